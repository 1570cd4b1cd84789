"""Command ids are scoped per device: a reused id never gets another command's reply.

A resend (same device, same op and fields, same id) is answered from the
log and acts never; the same id with another op or fields, or from another
device, is refused with ``id_conflict`` and changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from drivers.mqtt.bus import MemoryBus
from lobbyq.core import BranchConfig, RecentIds
from lobbyq.engine.service import Engine, EngineOptions
from lobbyq.engine.store import EventStore, StoreError
from lobbyq.protocol.messages import ReplyMsg
from lobbyq.protocol.topics import Topics
from tests.engine.conftest import Clock, requester
from tests.support import eventually

MakeEngine = Callable[[], tuple[Engine, MemoryBus]]
ID = "kiosk-1-00000042"


def _issued_numbers(engine: Engine) -> list[str]:
    return [b["number"] for _, b in engine.store.events() if b["kind"] == "ticket_issued"]


def test_a_reused_id_with_another_op_is_refused_and_never_acts(
    make_engine: MakeEngine, config: BranchConfig
) -> None:
    engine, bus = make_engine()
    kiosk = requester(bus, config, "kiosk-1")
    assert kiosk.request("issue_ticket", service="A", cmd_id=ID).ok
    reply = kiosk.request("cancel", ticket="A001", cmd_id=ID)
    assert not reply.ok and reply.code == "id_conflict" and reply.reason
    assert reply.event("ticket_issued") is None  # not the issue's reply
    kinds = [b["kind"] for _, b in engine.store.events()]
    assert "ticket_cancelled" not in kinds
    # the same id with other fields of the same op is a conflict too
    other = kiosk.request("issue_ticket", service="B", cmd_id=ID)
    assert not other.ok and other.code == "id_conflict"
    # and an exact resend is still answered from the log, acting once
    again = kiosk.request("issue_ticket", service="A", cmd_id=ID)
    assert again.ok and again.event("ticket_issued") is not None
    assert _issued_numbers(engine) == ["A001"]


def test_another_devices_id_gets_a_conflict_not_its_reply(
    make_engine: MakeEngine, config: BranchConfig
) -> None:
    engine, bus = make_engine()
    assert requester(bus, config, "kiosk-1").request("issue_ticket", service="A", cmd_id=ID).ok
    reply = requester(bus, config, "kiosk-9").request("issue_ticket", service="A", cmd_id=ID)
    assert not reply.ok and reply.code == "id_conflict"
    topics = Topics(config.branch_id)
    to_nine = [ReplyMsg.decode(p) for t, p, _ in bus.published if t == topics.reply("kiosk-9")]
    assert to_nine and all(r.event("ticket_issued") is None for r in to_nine)
    assert _issued_numbers(engine) == ["A001"]


def test_a_conflict_within_one_batch_is_refused(tmp_path: Path) -> None:
    config = BranchConfig.default()
    topics = Topics(config.branch_id)
    bus = MemoryBus()
    bus.start()
    store = EventStore(tmp_path / "events.db")
    clock = Clock()
    engine = Engine(
        config,
        store,
        bus,
        clock=clock,
        monotonic=clock.monotonic,
        options=EngineOptions(tick_interval_s=3600),
    )
    issue = {"v": 1, "id": ID, "op": "issue_ticket", "service": "A"}
    engine.submit(topics.cmd("kiosk-1"), json.dumps(issue).encode())
    engine.submit(topics.cmd("kiosk-1"), json.dumps(issue).encode())  # a resend: one reply
    engine.submit(topics.cmd("kiosk-9"), json.dumps(issue).encode())
    engine.start()
    try:

        def replies(device: str) -> list[ReplyMsg]:
            return [ReplyMsg.decode(p) for t, p, _ in bus.published if t == topics.reply(device)]

        assert eventually(lambda: replies("kiosk-1") and replies("kiosk-9"))
        assert [r.ok for r in replies("kiosk-1")] == [True]
        assert [r.code for r in replies("kiosk-9")] == ["id_conflict"]
        assert _issued_numbers(engine) == ["A001"]
    finally:
        engine.stop()
        store.close()


_V1_SCHEMA = """
CREATE TABLE events (seq INTEGER PRIMARY KEY, at REAL NOT NULL, kind TEXT NOT NULL,
    command_id TEXT, body TEXT NOT NULL);
CREATE TABLE commands (id TEXT PRIMARY KEY, op TEXT NOT NULL, at REAL NOT NULL,
    reply TEXT NOT NULL);
CREATE TABLE snapshots (seq INTEGER PRIMARY KEY, at REAL NOT NULL, body TEXT NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema', '1');
"""


def test_a_version_1_log_is_migrated_and_keeps_answering_resends(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    db = sqlite3.connect(path)
    db.executescript(_V1_SCHEMA)
    reply = {"id": ID, "ok": True, "events": []}
    db.execute("INSERT INTO commands VALUES (?, 'issue_ticket', 1.0, ?)", (ID, json.dumps(reply)))
    db.commit()
    db.close()
    store = EventStore(path)
    try:
        stored = store.command(ID)
        assert stored is not None and stored.device == "" and stored.reply == reply
        assert stored.same("kiosk-1", "issue_ticket", "any")  # op known, sender not
        assert not stored.same("kiosk-1", "cancel", "any")
    finally:
        store.close()
    assert sqlite3.connect(path).execute("SELECT value FROM meta").fetchone() == ("2",)


def test_a_log_of_a_newer_schema_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    db = sqlite3.connect(path)
    db.executescript(_V1_SCHEMA.replace("'schema', '1'", "'schema', '3'"))
    db.close()
    with pytest.raises(StoreError, match=r"schema '3'.*run the lobbyq version that wrote it"):
        EventStore(path)


def test_the_cores_recent_ids_are_scoped_per_device() -> None:
    seen = RecentIds()
    seen.remember("cmd-1", [], device="kiosk-1")
    assert seen.get("cmd-1", device="kiosk-1") == []
    assert seen.get("cmd-1", device="kiosk-9") is None
