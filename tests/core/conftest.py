"""Shared fixtures for the queue core tests: a small branch and a command driver."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from lobbyq.core import (
    BranchConfig,
    BranchState,
    Event,
    RecentIds,
    apply,
    command_from_dict,
    event_to_dict,
)

# 2026-01-05 09:00 at +08:00, the branch's opening time.
T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC).timestamp()


def small_config(counters: list[dict[str, Any]] | None = None, **branch: Any) -> BranchConfig:
    """Three counters, a tiny A range (to test wrapping), a self-service entry."""
    doc: dict[str, Any] = {
        "branch": {
            "id": "test",
            "policy": "fifo",
            "utc_offset": "+08:00",
            "rollover": "03:00",
            "rating_timeout_s": 60,
            "target_wait_min": 15,
            **branch,
        },
        "services": [
            {"code": "A", "range": [1, 5], "expected_min": 5, "over_wait_min": 20},
            {"code": "B", "expected_min": 10},
            {"code": "S", "self_service": True},
        ],
        "counters": counters
        or [
            {"id": "1", "services": ["A", "B"]},
            {"id": "2", "services": ["B"]},
            {"id": "3", "services": ["A"], "mode": "pooled"},
        ],
    }
    return BranchConfig.from_dict(doc)


class Desk:
    """Drives the core like the engine: wire dicts in, events out, a clock we move."""

    def __init__(self, config: BranchConfig | None = None) -> None:
        self.config = config or small_config()
        self.state = BranchState.initial(self.config)
        self.now = T0
        self.log: list[Event] = []
        self.n = 0
        self.seen = RecentIds()

    def do(self, op: str, **fields: Any) -> list[Event]:
        self.n += 1
        return self.send({"id": f"cmd-{self.n}", "op": op, **fields})

    def send(self, d: dict[str, Any]) -> list[Event]:
        """Apply a wire dict; a repeated id is answered from memory like the engine does."""
        old = self.seen.get(d["id"])
        if old is not None:
            return old
        self.state, events = apply(self.state, command_from_dict(d), self.now)
        self.seen.remember(d["id"], events)
        self.log.extend(events)
        return events

    def kinds(self, op: str, **fields: Any) -> list[str]:
        return [e.kind for e in self.do(op, **fields)]

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def staff(self, *counters: str) -> None:
        for c in counters:
            self.do("login", counter=c, teller=f"t{c}")
            self.do("open_counter", counter=c)

    def issue(self, service: str = "A", **fields: Any) -> str:
        (ev,) = [
            e
            for e in self.do("issue_ticket", service=service, **fields)
            if e.kind == "ticket_issued"
        ]
        return str(event_to_dict(ev)["number"])

    def called(self, counter: str) -> str | None:
        evs = [e for e in self.do("call_next", counter=counter) if e.kind == "ticket_called"]
        return str(event_to_dict(evs[0])["number"]) if evs else None


@pytest.fixture
def desk() -> Iterator[Desk]:
    d = Desk()
    d.do("tick")  # start the business day so later events are only the command's own
    yield d


@pytest.fixture
def make_desk() -> Any:
    """Build a Desk on the small branch with some `[branch]` keys changed."""

    def make(counters: list[dict[str, Any]] | None = None, **branch: Any) -> Desk:
        d = Desk(small_config(counters, **branch))
        d.do("tick")
        return d

    return make


@pytest.fixture
def t0() -> float:
    return T0
