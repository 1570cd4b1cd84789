"""PROTOCOL.md tables every event and view field the types declare."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from lobbyq.core import (
    EVENT_TYPES,
    Call,
    CallsView,
    CounterView,
    CurrentTicket,
    HeldTicket,
    NoticeView,
    QueueView,
    ServiceQueue,
    TicketIssued,
    WaitingTicket,
)

DOC = Path(__file__).resolve().parents[2] / "lobbyq" / "protocol" / "PROTOCOL.md"


def _rows() -> dict[str, list[str]]:
    """First backticked cell of each table row -> the backticked words of the other cells."""
    out: dict[str, list[str]] = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith("`"):
            out[cells[0].strip("`")] = re.findall(r"`([^`]+)`", " | ".join(cells[1:]))
    return out


@pytest.mark.parametrize("kind", sorted(EVENT_TYPES))
def test_every_event_field_is_tabled(kind: str) -> None:
    cls = EVENT_TYPES[kind]
    declared = {f.name for f in fields(cls)} - {"at"}
    if cls is TicketIssued:
        declared.discard("seq")  # the wire's seq is the log position
    row = _rows().get(kind)
    assert row is not None, f"PROTOCOL.md has no row for {kind}"
    assert row[0] == cls.__name__
    assert set(row[1:]) == declared


NOTICE = NoticeView("custom", "text", 1.0)
WAITING = WaitingTicket("A001", "normal", 1.0, None)
SERVICE = ServiceQueue({"en": "A"}, 1, 1.0, None, (WAITING,))
SAMPLES: list[Any] = [
    NOTICE,
    WAITING,
    SERVICE,
    QueueView("demo", None, 1.0, NOTICE, {"A": SERVICE}),
    CurrentTicket("d-1", "A001", "A", 1.0),
    HeldTicket("d-1", "A001", "A"),
    CounterView("1", "open", None, None, ("A",), None, (), ()),
    Call("A001", "1", "A", 1.0),
    CallsView(()),
]


@pytest.mark.parametrize("view", SAMPLES, ids=lambda v: type(v).__name__)
def test_every_view_field_is_tabled(view: Any) -> None:
    row = _rows().get(type(view).__name__)
    assert row is not None, f"PROTOCOL.md has no row for {type(view).__name__}"
    assert set(view.to_dict()) <= set(row)
