"""The report page: one Jinja2 template, CSS inline, charts as relative PNG files.

Autoescaped (service and teller names come from configuration and logs).
The page names no URL at all, so it opens from a USB stick with no network;
``lang`` on the root lets the browser pick the SC or TC glyphs, and the
stylesheet names the regional Noto Sans CJK face first.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import jinja2

FONTS = {
    "zh-Hans": '"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", sans-serif',
    "zh-Hant": '"Noto Sans CJK TC", "Noto Sans TC", "WenQuanYi Micro Hei", sans-serif',
}
LATIN = '"DejaVu Sans", "Noto Sans", Arial, "Noto Sans CJK SC", sans-serif'


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("lobbyq.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render_page(**values: Any) -> str:
    """The whole page as text (see templates/report.html for what it needs)."""
    tr = values["tr"]
    values.setdefault("font_family", FONTS.get(values["lang"], LATIN))
    return _env().get_template("report.html").render(_=tr, **values)
