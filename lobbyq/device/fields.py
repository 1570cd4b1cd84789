"""Typed reads from a parsed TOML table that collect problems instead of raising.

Both the device file and the branch file are validated with this, so every
message has the same shape: the dotted field name, what is wrong, and the fix.
Unknown keys are reported with the closest known spelling, because a typo in
``rating_pad`` otherwise silently turns a rating pad off.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lobbyq.device.errors import ConfigError, Problem

SERIAL_SCHEMES = ("loop", "spy", "rfc2217", "socket", "alt", "hwgrep", "cp2110")


def read_toml(path: Path, *, fix: str) -> dict[str, Any]:
    """A TOML file's tables, or :class:`ConfigError` with one ``file`` problem.

    Device and branch files fail to load the same two ways; ``fix`` says
    which file was expected, since a wrong path is the usual cause.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problem = Problem("file", f"cannot read it ({exc.strerror})", fix)
        raise ConfigError(str(path), [problem]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = Problem("file", f"not valid TOML: {exc}", "fix the syntax")
        raise ConfigError(str(path), [problem]) from None


class Fields:
    """Reads one table (``prefix`` names it in messages) and records problems."""

    def __init__(self, table: Mapping[str, Any], prefix: str, problems: list[Problem]) -> None:
        self.table = table
        self.prefix = prefix
        self.problems = problems

    def name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def add(self, key: str, problem: str, fix: str) -> None:
        self.problems.append(Problem(self.name(key), problem, fix))

    def _where(self) -> str:
        return f" under [{self.prefix}]" if self.prefix and "[" not in self.prefix else ""

    def has(self, key: str) -> bool:
        return key in self.table

    def unknown_keys(self, known: Iterable[str]) -> None:
        """Report keys this table does not define, suggesting the nearest known one."""
        known = tuple(known)
        for key in self.table:
            if key in known:
                continue
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "remove it"
            self.add(key, "unknown key", f"{hint} (known keys: {', '.join(known)})")

    def string(
        self,
        key: str,
        *,
        required: bool = False,
        pattern: re.Pattern[str] | None = None,
        fix: str = "",
        example: str = "",
    ) -> str | None:
        if key not in self.table:
            if required:
                hint = f" ({fix})" if fix else ""
                self.add(key, "missing", f"add {key} = {example or '...'!r}{self._where()}{hint}")
            return None
        value = self.table[key]
        if not isinstance(value, str):
            self.add(key, f"must be a string, got {_kind(value)}", f"write {key} = {example!r}")
            return None
        if pattern is not None and not pattern.match(value):
            self.add(key, f"{value!r} is not valid", fix or f"use a value like {example!r}")
            return None
        return value

    def integer(
        self, key: str, *, required: bool = False, low: int, high: int, example: int | None = None
    ) -> int | None:
        if key not in self.table:
            if required:
                number = example if example is not None else low
                self.add(key, "missing", f"add {key} = {number}{self._where()}")
            return None
        value = self.table[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(
                key, f"must be a whole number, got {_kind(value)}", f"write a number {low}-{high}"
            )
            return None
        if not low <= value <= high:
            self.add(key, f"{value} is out of range", f"use a number from {low} to {high}")
            return None
        return value

    def choice(
        self, key: str, options: Iterable[Any], *, required: bool = False, default: Any = None
    ) -> Any:
        options = tuple(options)
        if key not in self.table:
            if required:
                self.add(key, "missing", f"add {key} = one of {_list(options)}{self._where()}")
            return default
        value = self.table[key]
        if value not in options or isinstance(value, bool) != isinstance(options[0], bool):
            self.add(key, f"{value!r} is not allowed", f"use one of {_list(options)}")
            return default
        return value

    def path(
        self, key: str, base: Path, *, required: bool = False, example: str = ""
    ) -> Path | None:
        """A file or directory path; relative paths are taken from the file's folder."""
        value = self.string(key, required=required, example=example)
        if value is None:
            return None
        if not value.strip():
            self.add(key, "is empty", f"write a path such as {example!r}")
            return None
        p = Path(value)
        return p if p.is_absolute() else base / p

    def serial_url(
        self, key: str, *, required: bool = False, extra_schemes: tuple[str, ...] = ()
    ) -> str | None:
        """A port as pyserial opens it: a device path or a URL (``spy://``, ``rfc2217://``)."""
        value = self.string(key, required=required, example="/dev/lobbyq-bus")
        if value is None:
            return None
        scheme, sep, _rest = value.partition("://")
        if sep:
            if scheme not in SERIAL_SCHEMES + extra_schemes:
                self.add(
                    key,
                    f"URL scheme {scheme!r} is not a serial port",
                    f"use a device path such as /dev/lobbyq-bus or one of "
                    f"{', '.join(s + '://' for s in SERIAL_SCHEMES + extra_schemes)}",
                )
                return None
            return value
        if not value.startswith("/"):
            self.add(
                key,
                f"{value!r} is not an absolute device path",
                "use the stable udev name, e.g. /dev/lobbyq-bus (see deploy/udev)",
            )
            return None
        return value

    def table_of(self, key: str) -> Mapping[str, Any]:
        """A sub-table, or an empty one; a non-table value is a problem."""
        value = self.table.get(key, {})
        if not isinstance(value, Mapping):
            self.add(key, f"must be a table, got {_kind(value)}", f"write it as [{self.name(key)}]")
            return {}
        return value


def _kind(value: object) -> str:
    return {
        str: "text",
        int: "a number",
        float: "a decimal number",
        bool: "true/false",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def _list(options: tuple[Any, ...]) -> str:
    return ", ".join(repr(o) if isinstance(o, str) else str(o) for o in options)
