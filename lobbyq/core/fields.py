"""Typed reads from a parsed TOML table that collect problems instead of raising.

Every file lobbyq reads (the branch queue config, the device and branch
files, simulator scenarios, the kiosk's content tables) is validated with
this, so every message has the same shape: the dotted field name, what is
wrong, and the fix, and every problem is listed at once in one
`ConfigError`. Unknown keys are reported with the closest known spelling,
because a typo in ``rating_pad`` otherwise silently turns a rating pad off.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from lobbyq.core.errors import ConfigError, Problem


def read_toml(path: Path, *, fix: str) -> dict[str, Any]:
    """A TOML file's tables, or `ConfigError` with one ``file`` problem.

    Every file fails to load the same two ways; ``fix`` says which file was
    expected, since a wrong path is the usual cause.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problem = Problem("file", f"cannot read it ({exc.strerror or exc})", fix)
        raise ConfigError(str(path), [problem]) from None
    except UnicodeDecodeError as exc:
        problem = Problem("file", f"not UTF-8 text ({exc.reason})", "save it as UTF-8")
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

    def number(
        self,
        key: str,
        *,
        required: bool = False,
        low: float | None = 0.0,
        high: float | None = None,
        above: bool = False,
        example: float = 1,
    ) -> float | None:
        """A whole or decimal number from ``low`` to ``high``, as a float.

        ``above`` excludes ``low`` itself (durations that must not be 0);
        ``low=None`` means no lower bound.
        """
        if key not in self.table:
            if required:
                self.add(key, "missing", f"add {key} = {example}{self._where()}")
            return None
        value = self.table[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(key, f"must be a number, got {_kind(value)}", f"write {key} = {example}")
            return None
        too_low = low is not None and (value <= low if above else value < low)
        if too_low or (high is not None and value > high):
            bounds = []
            if low is not None:
                bounds.append(f"above {low:g}" if above else f"at least {low:g}")
            if high is not None:
                bounds.append(f"at most {high:g}")
            self.add(key, f"{value} is out of range", f"use a number {' and '.join(bounds)}")
            return None
        return float(value)

    def boolean(self, key: str) -> bool | None:
        """``true`` or ``false``; ``None`` when absent or wrong (the wrong value is a problem)."""
        if key not in self.table:
            return None
        value = self.table[key]
        if not isinstance(value, bool):
            self.add(key, f"must be true or false, got {_kind(value)}", f"write {key} = true")
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

    def table_of(self, key: str) -> Mapping[str, Any]:
        """A sub-table, or an empty one; a non-table value is a problem."""
        value = self.table.get(key, {})
        if not isinstance(value, Mapping):
            self.add(key, f"must be a table, got {_kind(value)}", f"write it as [{self.name(key)}]")
            return {}
        return value

    def tables(self, key: str, *, example: str = "") -> list[Mapping[str, Any]]:
        """An array of tables (``[[key]]``); a wrong value or a non-table entry is a problem."""
        value = self.table.get(key, [])
        header = f"[[{example or self.name(key)}]]"
        if not isinstance(value, list):
            self.add(key, f"must be a list of tables, got {_kind(value)}", f"write {header}")
            return []
        out: list[Mapping[str, Any]] = []
        for i, entry in enumerate(value):
            if isinstance(entry, Mapping):
                out.append(entry)
            else:
                self.add(f"{key}[{i}]", f"must be a table, got {_kind(entry)}", f"write {header}")
        return out

    def texts(
        self, key: str, langs: Iterable[str], *, fallback: str | None = None
    ) -> dict[str, str]:
        """Text by language: a plain string (English) or a ``{lang = text}`` table."""
        langs = tuple(langs)
        value = self.table.get(key)
        if value is None:
            return {"en": fallback} if fallback is not None else {}
        if isinstance(value, str):
            return {"en": value}
        if not isinstance(value, Mapping):
            self.add(
                key,
                f"must be text or a table of languages, got {_kind(value)}",
                f'write {key}.en = "..." ({_list(langs)})',
            )
            return {}
        out: dict[str, str] = {}
        for lang, text in value.items():
            if lang not in langs:
                close = difflib.get_close_matches(lang, langs, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                self.add(f"{key}.{lang}", "unknown language", f"{hint}use one of {_list(langs)}")
            elif not isinstance(text, str):
                self.add(f"{key}.{lang}", f"must be text, got {_kind(text)}", "quote it")
            else:
                out[lang] = text
        return out


def raise_if(problems: list[Problem], source: str) -> None:
    """Raise one `ConfigError` listing every problem, if there is any."""
    if problems:
        raise ConfigError(source, problems)


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
