"""PROTOCOL.md and the code tables say the same thing."""

from __future__ import annotations

import re
from enum import IntEnum
from pathlib import Path

import pytest

import drivers.bus
from drivers.bus.codes import Cmd, DeviceKind, ErrorCode, EventType, Status
from drivers.keypad.codes import BeepPattern, Key, KeypadLed
from drivers.ratingpad.codes import Rating, Reason

DOC = (Path(drivers.bus.__file__).parent / "PROTOCOL.md").read_text(encoding="utf-8")


def rows(code_pattern: str = r"0x[0-9A-F]{2}|\d") -> set[tuple[int, str]]:
    found = set()
    for m in re.finditer(rf"^\|\s*({code_pattern})\s*\|\s*([A-Z_0-9]+)\s*\|", DOC, re.M):
        found.add((int(m.group(1), 0), m.group(2)))
    return found


@pytest.mark.parametrize(
    "table", [Cmd, DeviceKind, ErrorCode, EventType, BeepPattern, Reason, Rating]
)
def test_every_code_is_documented(table: type[IntEnum]) -> None:
    documented = rows()
    for member in table:
        assert (int(member), member.name) in documented, f"{table.__name__}.{member.name}"


def test_flag_tables_documented() -> None:
    documented = rows()
    for flags in (Status, KeypadLed):
        for member in flags:
            if member.value and member.name:
                assert (member.value, member.name) in documented, member.name


def test_keys_documented() -> None:
    for key in Key:
        if key.digit is None:
            assert re.search(rf"\|\s*0x{key:02X}\s*\|\s*{key.name}\s*\|", DOC), key.name
    assert "0x30-0x39" in DOC


def test_no_undocumented_doc_rows_for_commands() -> None:
    cmd_rows = {(c, n) for c, n in rows() if n in Cmd.__members__}
    assert cmd_rows == {(int(c), c.name) for c in Cmd}
