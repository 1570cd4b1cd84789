"""Reading the fields of a decoded JSON object, naming each one by its path in errors.

The typed decoders (``events``, ``views``) read every field through
:class:`Fields`, so a bad message is refused with a reason such as
``field 'state.services.A.waiting' must be a non-negative integer, got str``.
``strict`` also refuses fields the type does not declare (see the
forward-compatibility rule in ``PROTOCOL.md``).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

from lobbyq.protocol.messages import ProtocolError


def kind_of(value: Any) -> str:
    """The JSON name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


class Fields:
    """One JSON object under decoding: typed reads of its fields by name."""

    __slots__ = ("obj", "path")

    def __init__(
        self, value: Any, path: str, declared: Collection[str], *, strict: bool = False
    ) -> None:
        if not isinstance(value, Mapping):
            raise ProtocolError(f"field {path!r} must be an object, got {kind_of(value)}")
        if strict:
            extra = sorted(k for k in value if k not in declared)
            if extra:
                names = ", ".join(repr(self._join(path, k)) for k in extra)
                raise ProtocolError(f"undeclared field {names}")
        self.obj: Mapping[str, Any] = value
        self.path = path

    @staticmethod
    def _join(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def name(self, key: str) -> str:
        """The path of one field, as errors name it."""
        return self._join(self.path, key)

    def has(self, key: str) -> bool:
        return key in self.obj

    def raw(self, key: str) -> Any:
        """A field's value as it is; a missing field is an error."""
        try:
            return self.obj[key]
        except KeyError:
            raise ProtocolError(f"field {self.name(key)!r} is missing") from None

    def _wrong(self, key: str, what: str, value: Any) -> ProtocolError:
        return ProtocolError(f"field {self.name(key)!r} must be {what}, got {kind_of(value)}")

    def text(self, key: str) -> str:
        value = self.raw(key)
        if not isinstance(value, str):
            raise self._wrong(key, "a string", value)
        return value

    def opt_text(self, key: str) -> str | None:
        value = self.raw(key)
        if value is not None and not isinstance(value, str):
            raise self._wrong(key, "a string or null", value)
        return value

    def number(self, key: str) -> float:
        value = self.raw(key)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self._wrong(key, "a finite number", value)
        return float(value)

    def opt_number(self, key: str) -> float | None:
        if self.raw(key) is None:
            return None
        return self.number(key)

    def count(self, key: str) -> int:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self._wrong(key, "a non-negative integer", value)
        return value

    def flag(self, key: str) -> bool:
        value = self.raw(key)
        if not isinstance(value, bool):
            raise self._wrong(key, "true or false", value)
        return value

    def items(self, key: str) -> list[Any]:
        value = self.raw(key)
        if not isinstance(value, list):
            raise self._wrong(key, "a list", value)
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        items = self.items(key)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise ProtocolError(
                    f"field '{self.name(key)}[{i}]' must be a string, got {kind_of(item)}"
                )
        return tuple(items)

    def text_map(self, key: str) -> dict[str, str]:
        value = self.raw(key)
        if not isinstance(value, dict):
            raise self._wrong(key, "an object", value)
        for k, v in value.items():
            if not isinstance(v, str):
                raise ProtocolError(
                    f"field '{self.name(key)}.{k}' must be a string, got {kind_of(v)}"
                )
        return dict(value)
