"""A full disk or a failing one is said, alerted and refused; the log is never replayed per batch.

The full disk is SQLite's own: ``PRAGMA max_page_count`` caps the file at
its current size, so an append fails with ``SQLITE_FULL`` exactly as on a
full file system. A disk failure is an I/O error of the connection.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from drivers.mqtt.bus import MemoryBus
from lobbyq.core import BranchConfig
from lobbyq.engine.service import Engine
from lobbyq.engine.store import StoreError, classify
from lobbyq.protocol.messages import AlertMsg, StatusMsg
from lobbyq.protocol.topics import Topics
from tests.engine.conftest import requester
from tests.support import eventually

MakeEngine = Callable[[], tuple[Engine, MemoryBus]]


def _status(bus: MemoryBus, topics: Topics) -> StatusMsg | None:
    raw = bus.retained(topics.status("engine"))
    return StatusMsg.decode(raw) if raw else None


def _alerts(bus: MemoryBus, topics: Topics) -> list[AlertMsg]:
    return [AlertMsg.decode(p) for t, p, _ in bus.published if t == topics.alert("engine")]


def _fill_disk(engine: Engine) -> tuple[Any, int]:
    db = engine.store._db
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    return db, pages


def test_a_full_disk_is_said_alerted_and_refused_without_replays(
    make_engine: MakeEngine, config: BranchConfig, caplog: pytest.LogCaptureFixture
) -> None:
    engine, bus = make_engine()
    topics = Topics(config.branch_id)
    kiosk = requester(bus, config, "kiosk-1")
    assert kiosk.request("issue_ticket", service="A").ok
    assert eventually(lambda: (s := _status(bus, topics)) and s.health["log"] == "ok")
    db, _ = _fill_disk(engine)
    issued = 1
    with caplog.at_level(logging.INFO, "lobbyq.engine"):
        # the last page may still hold a few tickets; then the disk is full
        while (first := kiosk.request("issue_ticket", service="A", timeout=5)).ok:
            issued += 1
            assert issued < 500
        refusals = [first] + [
            kiosk.request("issue_ticket", service="A", timeout=5) for _ in range(30)
        ]
    assert all(
        not r.ok and r.code == "log_full" and "disk is full" in str(r.reason) for r in refusals
    )
    status = _status(bus, topics)
    assert status is not None and status.health["log"] == "full"
    alerts = _alerts(bus, topics)
    assert [(a.code, a.level) for a in alerts] == [("log_full", "critical")]
    replays = [r for r in caplog.records if "replayed" in r.getMessage()]
    assert len(replays) <= 1  # at most once, at the first failure; never per batch
    # space is freed: the next ticket follows the last one issued, and the branch says so
    db.execute("PRAGMA max_page_count = 1073741823")
    issued_before = issued
    ticket = kiosk.request("issue_ticket", service="A").event("ticket_issued")
    assert ticket is not None and ticket["number"] == f"A{issued_before + 1:03d}"
    status = _status(bus, topics)
    assert status is not None and status.health["log"] == "ok"
    assert _alerts(bus, topics)[-1].code == "log_ok"


def test_an_io_error_is_reported_as_disk_failure_not_a_malformed_log() -> None:
    malformed = sqlite3.DatabaseError("database disk image is malformed")
    io = sqlite3.OperationalError("disk I/O error")
    full = sqlite3.OperationalError("database or disk is full")
    for exc, fault in ((malformed, "disk"), (io, "disk"), (full, "full")):
        got = classify(exc)
        assert isinstance(got, StoreError) and got.fault == fault
    assert str(classify(malformed)).startswith("disk failure")


def test_a_failing_disk_says_disk_failure_in_status_and_refusals(
    make_engine: MakeEngine, config: BranchConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, bus = make_engine()
    topics = Topics(config.branch_id)
    kiosk = requester(bus, config, "kiosk-1")
    real = engine.store._db

    class FailingDisk:
        def execute(self, sql: str, *args: Any) -> Any:
            if sql == "BEGIN IMMEDIATE":
                raise sqlite3.DatabaseError("database disk image is malformed")
            return real.execute(sql, *args)

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    monkeypatch.setattr(engine.store, "_db", FailingDisk())
    reply = kiosk.request("issue_ticket", service="A", timeout=5)
    assert not reply.ok and reply.code == "log_failed" and "disk failure" in str(reply.reason)
    status = _status(bus, topics)
    assert status is not None and status.health["log"] == "failed"
    assert [a.code for a in _alerts(bus, topics)] == ["disk_failure"]
