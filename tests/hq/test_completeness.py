"""Head office finds gaps, refuses bad messages, flags a log that went backwards.

Events are published straight to JetStream here (as an uplink would) when a
test needs a gap, a duplicate or a forged message that a real uplink would
never send.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import nats
import psycopg
import pytest

from hq.ingest import IngestSettings, IngestWorker
from hq.servers import NatsCluster
from hq.stream import ensure_stream
from lobbyq.engine.store import EventStore
from lobbyq.protocol.uplink import HqEvent, make_event, subject_for
from lobbyq.uplink.cursor import CursorFile
from lobbyq.uplink.service import Uplink, UplinkSettings
from lobbyq.uplink.source import LogReader
from tests.hq.helpers import Background, count, stored, ticket_event, write_log
from tests.support import eventually

REPO = Path(__file__).resolve().parents[2]
FAST = UplinkSettings(batch=50, ack_timeout_s=3, poll_s=0.05, backoff_min_s=0.1, backoff_max_s=0.5)


def _event(branch: str, seq: int, **extra: object) -> HqEvent:
    return make_event(branch, seq, 1000.0 + seq, "ticket_issued", {**ticket_event(seq, 0), **extra})


async def _publish(urls: list[str], items: list[tuple[str, bytes, str | None]]) -> None:
    nc = await nats.connect(servers=urls)
    try:
        js = nc.jetstream()
        await ensure_stream(js, replicas=3)
        for subject, payload, msg_id in items:
            await js.publish(subject, payload, headers={"Nats-Msg-Id": msg_id} if msg_id else None)
    finally:
        await nc.close()


def publish(cluster: NatsCluster, events: list[HqEvent], *, msg_id: bool = True) -> None:
    items = [(e.subject, e.encode(), e.msg_id if msg_id else None) for e in events]
    asyncio.run(_publish(cluster.urls, items))


def _worker(cluster: NatsCluster, dsn: str, name: str = "w") -> IngestWorker:
    return IngestWorker(
        cluster.urls,
        dsn,
        name=name,
        settings=IngestSettings(batch=50, ack_wait_s=2, fetch_timeout_s=0.2, sweep_interval_s=0.05),
    )


def branch_row(dsn: str, branch: str) -> tuple[int, int, list[tuple[int, int]], str | None]:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT contiguous, hwm, flag_reason FROM branches WHERE branch = %s", (branch,)
        ).fetchone()
        gaps = conn.execute(
            "SELECT first_seq, last_seq FROM gaps WHERE branch = %s ORDER BY 1", (branch,)
        ).fetchall()
    if row is None:
        return (0, 0, [], None)
    return (row[0], row[1], [tuple(g) for g in gaps], row[2])


def test_a_gap_is_found_and_closes_when_the_events_arrive(cluster: NatsCluster, dsn: str) -> None:
    bg = Background()
    stops = [bg.start(_worker(cluster, dsn).run)]
    try:
        publish(cluster, [_event("g1", s) for s in [*range(1, 4), *range(7, 11), 14]])
        assert eventually(
            lambda: branch_row(dsn, "g1") == (3, 14, [(4, 6), (11, 13)], None), timeout=20
        ), branch_row(dsn, "g1")
        publish(cluster, [_event("g1", s) for s in (4, 5, 6, 11, 12, 13)])
        assert eventually(lambda: branch_row(dsn, "g1") == (14, 14, [], None), timeout=20)
        assert stored(dsn, "g1") == list(range(1, 15))
    finally:
        bg.close(stops)


def test_the_same_event_twice_is_stored_once(cluster: NatsCluster, dsn: str) -> None:
    worker = _worker(cluster, dsn)
    bg = Background()
    stops = [bg.start(worker.run)]
    try:
        events = [_event("d1", s) for s in range(1, 21)]
        publish(cluster, events, msg_id=False)  # past JetStream's dedup: only PostgreSQL guards
        publish(cluster, events, msg_id=False)
        assert eventually(lambda: worker.stats.duplicates == 20, timeout=20), worker.stats
        assert stored(dsn, "d1") == list(range(1, 21))
        assert worker.stats.conflicts == 0
        assert branch_row(dsn, "d1")[3] is None
    finally:
        bg.close(stops)


def test_bad_and_forged_messages_are_kept_apart_and_not_redelivered(
    cluster: NatsCluster, dsn: str
) -> None:
    worker = _worker(cluster, dsn)
    bg = Background()
    stops = [bg.start(worker.run)]
    try:
        forged = _event("victim", 1)  # claims another branch's id on the sender's own subject
        asyncio.run(
            _publish(
                cluster.urls,
                [
                    (subject_for("f1"), b"\xff not json", None),
                    (subject_for("f1"), forged.encode(), None),
                ],
            )
        )
        publish(cluster, [_event("f1", 1)])
        assert eventually(lambda: stored(dsn, "f1") == [1], timeout=20)
        assert eventually(lambda: count(dsn, "SELECT count(*) FROM rejected") == 2, timeout=20)
        assert stored(dsn, "victim") == []
        asyncio.run(asyncio.sleep(2.5))  # longer than ack_wait: they were acked, not dropped
        assert count(dsn, "SELECT count(*) FROM rejected") == 2
        like = "%does not match the subject%"
        reasons = count(dsn, "SELECT count(*) FROM rejected WHERE reason LIKE %s", like)
        assert reasons == 1
    finally:
        bg.close(stops)


def test_a_log_restored_from_an_older_backup_is_flagged_never_merged(
    tmp_path: Path, cluster: NatsCluster, dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "r1.db"
    store = EventStore(db, branch="r1")
    write_log(store, 60)
    store.close()
    shutil.copy(db, tmp_path / "backup.db")  # last night's backup
    store = EventStore(db, branch="r1")
    write_log(store, 40)
    store.close()
    bg = Background()
    stops = [bg.start(_worker(cluster, dsn).run)]
    log = logging.getLogger("test.rewind")
    up = bg.start(Uplink(LogReader(db), CursorFile(f"{db}.uplink.json"), cluster.urls,
                         settings=FAST, logger=log).run)  # fmt: skip
    try:
        assert eventually(lambda: stored(dsn, "r1") == list(range(1, 101)), timeout=30)
        original = count(dsn, "SELECT count(*) FROM events WHERE branch='r1' AND seq > 60")
        with psycopg.connect(dsn) as conn:
            before = conn.execute("SELECT seq, hash FROM events ORDER BY seq").fetchall()
        # The branch server's disk is restored from the backup; the cursor file is not.
        shutil.copy(tmp_path / "backup.db", tmp_path / "restoring.db")
        (tmp_path / "restoring.db").replace(db)
        with caplog.at_level(logging.ERROR, logger="test.rewind"):
            store = EventStore(db, branch="r1")
            write_log(store, 50, start_at=1_770_000_000.0)  # new, different events 61..110
            store.close()
            assert eventually(
                lambda: any("went backwards" in r.message for r in caplog.records), timeout=20
            )
        assert eventually(lambda: branch_row(dsn, "r1")[3] is not None, timeout=30)
        assert "restored from an older backup" in (branch_row(dsn, "r1")[3] or "")
        assert eventually(
            lambda: count(dsn, "SELECT count(*) FROM conflicts WHERE branch='r1'") == 40, timeout=30
        )
        assert eventually(lambda: stored(dsn, "r1") == list(range(1, 111)), timeout=30)
        with psycopg.connect(dsn) as conn:
            after = conn.execute("SELECT seq, hash FROM events WHERE seq <= 100 ORDER BY seq")
            assert after.fetchall() == before  # what head office held is not overwritten
        assert original == 40
    finally:
        bg.close([*stops, up])


def test_an_ingest_worker_killed_mid_batch_loses_nothing(
    tmp_path: Path, cluster: NatsCluster, dsn: str
) -> None:
    events = [_event("k1", s) for s in range(1, 5001)]
    publish(cluster, events)
    cmd = [sys.executable, "-m", "lobbyq.cli", "hq", "ingest", "--nats", ",".join(cluster.urls),
           "--db", dsn, "--batch", "200", "--ack-wait", "2"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.DEVNULL)
    bg = Background()
    stops: list[asyncio.Event] = []
    try:
        assert eventually(lambda: len(stored(dsn, "k1")) >= 400, timeout=30)
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
        assert len(stored(dsn, "k1")) < 5000, "the worker finished first; publish more"
        stops.append(bg.start(_worker(cluster, dsn, "survivor").run))
        assert eventually(lambda: stored(dsn, "k1") == list(range(1, 5001)), timeout=60)
        assert eventually(lambda: branch_row(dsn, "k1") == (5000, 5000, [], None), timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        bg.close(stops)
