"""The version every service reports in its birth message, from the installed package.

One number for the whole product, read from the distribution's metadata
(``pyproject.toml``), so a release bump cannot leave one app behind. A source
tree that was never installed reports ``0+unknown`` rather than failing.
"""

from __future__ import annotations

from importlib import metadata


def _installed_version() -> str:
    try:
        return metadata.version("lobbyq")
    except metadata.PackageNotFoundError:
        return "0+unknown"


VERSION: str = _installed_version()
