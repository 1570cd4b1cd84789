"""The uplink's own files: a read-only view of the log and an atomic cursor."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from lobbyq.engine.store import EventStore
from lobbyq.uplink.cursor import Cursor, CursorError, CursorFile
from lobbyq.uplink.source import LogError, LogReader
from tests.hq.helpers import write_log


def test_the_reader_cannot_write_the_log(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "b.db", branch="b1")
    write_log(store, 3)
    reader = LogReader(tmp_path / "b.db")
    assert reader.branch() == "b1"
    assert [r.seq for r in reader.rows(1, 10)] == [2, 3]
    assert reader.row(3) is not None and reader.row(4) is None
    db = reader._connect()
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.execute("DELETE FROM events")
    reader.close()
    store.close()


def test_a_log_replaced_on_disk_is_reopened(tmp_path: Path) -> None:
    path = tmp_path / "b.db"
    store = EventStore(path, branch="b1")
    write_log(store, 10)
    store.close()
    backup = tmp_path / "old.db"
    shutil.copy(path, backup)
    store = EventStore(path, branch="b1")
    write_log(store, 5)
    store.close()
    reader = LogReader(path)
    assert reader.row(15) is not None
    shutil.copy(backup, tmp_path / "restoring.db")
    (tmp_path / "restoring.db").replace(path)  # a restore is a new file
    assert reader.row(15) is None and reader.row(10) is not None
    reader.close()


def test_a_missing_log_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LogError, match="cannot read the event log"):
        LogReader(tmp_path / "none.db").rows(0, 1)
    (tmp_path / "junk.db").write_text("not sqlite")
    with pytest.raises(LogError, match="not a readable lobbyq event log"):
        LogReader(tmp_path / "junk.db").rows(0, 1)


def test_cursor_round_trip_and_refusals(tmp_path: Path) -> None:
    cursors = CursorFile(tmp_path / "state" / "cursor.json")
    assert cursors.load("b1") == Cursor("b1")
    cursors.save(Cursor("b1", 42, "ab" * 32))
    assert cursors.load("b1") == Cursor("b1", 42, "ab" * 32)
    assert not list((tmp_path / "state").glob("*.tmp"))
    with pytest.raises(CursorError, match="belongs to branch 'b1'"):
        cursors.load("b2")
    cursors.path.write_text("{half")
    with pytest.raises(CursorError, match="damaged"):
        cursors.load("b1")


def test_the_uplink_refuses_another_branchs_log(tmp_path: Path) -> None:
    import asyncio

    from lobbyq.uplink.service import Uplink, UplinkError

    store = EventStore(tmp_path / "b.db", branch="b1")
    store.close()
    uplink = Uplink(
        LogReader(tmp_path / "b.db"),
        CursorFile(tmp_path / "c.json"),
        ["nats://127.0.0.1:1"],
        branch="b2",
    )
    with pytest.raises(UplinkError, match="belongs to branch 'b1', not 'b2'"):
        asyncio.run(uplink.run(asyncio.Event()))


def test_with_no_head_office_at_all_the_uplink_says_why_and_stops_when_asked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio
    import logging

    from hq.servers import free_port
    from lobbyq.uplink.service import Uplink, UplinkSettings

    store = EventStore(tmp_path / "b.db", branch="b1")
    write_log(store, 5)
    store.close()
    log = logging.getLogger("test.nohq")
    settings = UplinkSettings(connect_timeout_s=1, backoff_min_s=0.1, backoff_max_s=0.2)
    uplink = Uplink(
        LogReader(tmp_path / "b.db"),
        CursorFile(tmp_path / "c.json"),
        [f"nats://127.0.0.1:{free_port()}"],
        settings=settings,
        logger=log,
    )

    async def go() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(uplink.run(stop))
        await asyncio.sleep(4.5)  # a few bounded connect attempts
        stop.set()
        await asyncio.wait_for(task, 5)

    with caplog.at_level(logging.WARNING, logger="test.nohq"):
        asyncio.run(go())
    said = [r.message for r in caplog.records if "head office not reachable" in r.message]
    assert len(said) == 1, said  # once per interval, not once per attempt
    assert uplink.cursor.seq == 0 and not (tmp_path / "c.json").exists()
