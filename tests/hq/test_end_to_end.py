"""A branch log reaches head office complete and exactly once, through real servers.

The engine's own ``EventStore`` writes the log; the uplink sends it to a
3-node JetStream cluster; two ingest workers compete for it and write to a
private PostgreSQL. Each test checks every ``(branch, seq)`` is there once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from hq.ingest import IngestSettings, IngestWorker
from hq.servers import NatsCluster
from lobbyq.engine.store import EventStore
from lobbyq.uplink.cursor import CursorFile
from lobbyq.uplink.service import Uplink, UplinkSettings
from lobbyq.uplink.source import LogReader
from tests.hq.helpers import IDENTITY_HASH, MASKED, Background, count, stored, write_log
from tests.support import eventually

REPO = Path(__file__).resolve().parents[2]
FAST = UplinkSettings(batch=200, ack_timeout_s=3, poll_s=0.05, backoff_min_s=0.1, backoff_max_s=0.5)


def _workers(bg: Background, cluster: NatsCluster, dsn: str, n: int = 2) -> tuple[list, list]:
    """``n`` in-process workers, returned once every one is subscribed."""
    workers = [
        IngestWorker(
            cluster.urls,
            dsn,
            name=f"w{i}",
            settings=IngestSettings(
                batch=100, ack_wait_s=3, fetch_timeout_s=0.3, sweep_interval_s=0.1
            ),
        )
        for i in range(n)
    ]
    ready = [threading.Event() for _ in workers]
    stops = [
        bg.start(lambda stop, w=w, r=r: w.run(stop, r.set))
        for w, r in zip(workers, ready, strict=True)
    ]
    assert all(r.wait(30) for r in ready), "an ingest worker did not subscribe"
    return workers, stops


def _uplink(db: Path, cluster: NatsCluster, logger: logging.Logger | None = None) -> Uplink:
    return Uplink(
        LogReader(db), CursorFile(f"{db}.uplink.json"), cluster.urls, settings=FAST, logger=logger
    )


def _complete(dsn: str, branch: str, n: int) -> bool:
    return stored(dsn, branch) == list(range(1, n + 1))


def _state(dsn: str, branch: str) -> tuple[int, int, int, str | None]:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT contiguous, hwm, (SELECT count(*) FROM gaps g WHERE g.branch = b.branch),"
            " flag_reason FROM branches b WHERE branch = %s",
            (branch,),
        ).fetchone()
    return (0, 0, 0, None) if row is None else (row[0], row[1], row[2], row[3])


def test_two_workers_store_every_event_once_and_nothing_private(
    tmp_path: Path, cluster: NatsCluster, dsn: str
) -> None:
    db = tmp_path / "b1.db"
    store = EventStore(db, branch="b1")
    write_log(store, 1500)
    bg = Background()
    workers, stops = _workers(bg, cluster, dsn)
    uplink = _uplink(db, cluster)
    stops.append(bg.start(uplink.run))
    try:
        assert eventually(lambda: _complete(dsn, "b1", 1500), timeout=60), stored(dsn, "b1")[-5:]
        # Both workers took a share: they compete for one durable consumer.
        assert all(w.stats.inserted > 0 for w in workers), [w.stats for w in workers]
        assert sum(w.stats.inserted for w in workers) == 1500
        assert eventually(lambda: _state(dsn, "b1") == (1500, 1500, 0, None), timeout=10)
        assert uplink.cursor.seq == 1500
        assert count(dsn, "SELECT count(*) FROM conflicts") == 0
        # Privacy: no identity hash or masked number anywhere head office stores.
        with psycopg.connect(dsn) as conn:
            dump = "\n".join(
                str(r)
                for table in ("events", "conflicts", "rejected", "branches")
                for r in conn.execute(f"SELECT * FROM {table}").fetchall()
            )
            kinds = conn.execute(
                "SELECT count(*) FROM events WHERE body->>'identity_kind' = 'card'"
            ).fetchone()
        assert IDENTITY_HASH not in dump and MASKED not in dump and "identity_hash" not in dump
        assert "identity_masked" not in dump
        assert kinds == (500,)  # what HQ may count: how many identified, by what
    finally:
        bg.close(stops)
        store.close()
    assert bg.errors() == []


def test_uplink_killed_mid_way_and_restarted_leaves_no_gap_and_no_duplicate(
    tmp_path: Path, cluster: NatsCluster, dsn: str
) -> None:
    db = tmp_path / "b2.db"
    store = EventStore(db, branch="b2")
    write_log(store, 6000)
    bg = Background()
    _, stops = _workers(bg, cluster, dsn)
    cmd = [sys.executable, "-m", "lobbyq.cli", "uplink", "--db", str(db), "--nats",
           ",".join(cluster.urls), "--batch", "100", "--backoff-max", "0.5"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
        assert eventually(lambda: len(stored(dsn, "b2")) > 500, timeout=30)
        proc.send_signal(signal.SIGKILL)
        proc.wait(5)
        killed_at = len(stored(dsn, "b2"))
        assert killed_at < 6000, "the uplink finished before it was killed; send more events"
        write_log(store, 500)  # the branch serves on while the uplink is down
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
        assert eventually(lambda: _complete(dsn, "b2", 6500), timeout=60), len(stored(dsn, "b2"))
        proc.terminate()
        _, err = proc.communicate(timeout=10)
        assert proc.returncode == 0, err
        assert count(dsn, "SELECT count(*) FROM conflicts") == 0
        assert eventually(lambda: _state(dsn, "b2") == (6500, 6500, 0, None), timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
        bg.close(stops)
        store.close()


def test_one_nats_node_stopped_under_load_still_complete(
    tmp_path: Path, cluster: NatsCluster, dsn: str
) -> None:
    db = tmp_path / "b3.db"
    store = EventStore(db, branch="b3")
    write_log(store, 2000)
    bg = Background()
    _, stops = _workers(bg, cluster, dsn)
    stops.append(bg.start(_uplink(db, cluster).run))
    try:
        assert eventually(lambda: len(stored(dsn, "b3")) > 200, timeout=30)
        cluster.nodes[0].kill()
        write_log(store, 2000)
        assert eventually(lambda: _complete(dsn, "b3", 4000), timeout=60), len(stored(dsn, "b3"))
    finally:
        bg.close(stops)
        store.close()
        cluster.nodes[0].start()


def test_head_office_down_the_branch_serves_on_and_the_backlog_arrives(
    tmp_path: Path, cluster: NatsCluster, dsn: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "b4.db"
    store = EventStore(db, branch="b4")
    write_log(store, 300)
    bg = Background()
    _, stops = _workers(bg, cluster, dsn)
    log = logging.getLogger("test.uplink")
    uplink = _uplink(db, cluster, log)
    stops.append(bg.start(uplink.run))
    try:
        assert eventually(lambda: _complete(dsn, "b4", 300), timeout=30)
        for node in cluster.nodes:
            node.stop()
        with caplog.at_level(logging.WARNING, logger="test.uplink"):
            write_log(store, 3000)  # the log keeps growing: the engine never waits for HQ
            assert store.last_seq == 3300
            assert eventually(
                lambda: any("head office not reachable" in r.message for r in caplog.records),
                timeout=20,
            )
            asyncio.run(asyncio.sleep(1.5))  # several retries while the link stays down
        down = [r for r in caplog.records if "head office not reachable" in r.message]
        assert len(down) == 1, [r.message for r in down]  # said once per interval, not per retry
        assert uplink.cursor.seq < 3300
        for node in cluster.nodes:
            node.start()
        assert eventually(lambda: _complete(dsn, "b4", 3300), timeout=60), len(stored(dsn, "b4"))
        assert count(dsn, "SELECT count(*) FROM conflicts") == 0
    finally:
        bg.close(stops)
        store.close()


def test_an_uplink_started_before_the_engine_waits_for_the_log(
    tmp_path: Path, cluster: NatsCluster, dsn: str
) -> None:
    db = tmp_path / "b5.db"
    bg = Background()
    _, stops = _workers(bg, cluster, dsn, n=1)
    stops.append(bg.start(_uplink(db, cluster).run))
    try:
        asyncio.run(asyncio.sleep(0.5))
        assert bg.errors() == []  # still waiting, not dead
        store = EventStore(db, branch="b5")
        write_log(store, 120)
        store.close()
        assert eventually(lambda: _complete(dsn, "b5", 120), timeout=30)
    finally:
        bg.close(stops)
