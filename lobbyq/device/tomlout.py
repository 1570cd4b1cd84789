"""A minimal TOML writer for the files provisioning emits (tomllib only reads).

Handles what device files hold: tables of strings, integers, booleans,
paths and lists of strings (``display.voice``). Strings are written as TOML
basic strings; JSON's escapes are a subset of TOML's, and control characters
are refused because no setting needs them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

Scalar = str | int | bool | Path | list[str]


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def value(value: Scalar) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_text(str(x)) for x in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _text(str(value))


def _text(text: str) -> str:
    if _CONTROL.search(text):
        raise ValueError(f"control character in a setting value: {text!r}")
    return json.dumps(text, ensure_ascii=False)


def dumps(doc: Mapping[str, Mapping[str, Scalar]], header: str = "") -> str:
    """Render ``{table: {key: value}}``; empty tables are left out."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    for table, values in doc.items():
        if not values:
            continue
        if lines:
            lines.append("")
        lines.append(f"[{_key(table)}]")
        lines.extend(f"{_key(k)} = {value(v)}" for k, v in values.items())
    return "\n".join(lines) + "\n"
