"""Head office: events per second from one branch's log into PostgreSQL.

Starts a private 3-node NATS JetStream cluster (stream with 3 replicas) and
a private PostgreSQL, writes one branch log of ``--events`` ticket events
with the engine's own store, then measures, each from a fresh database:

- ``end_to_end``: the uplink (its own process) sends the log while 1 and
  then 2 ingest workers (``lobbyq hq ingest`` processes) store it; the clock
  runs from the uplink's start to the last event committed.
- ``ingest_only``: the same log already in the stream, drained by 1 and 2
  workers: what the workers alone can do.
- ``baseline``: the same batches written straight into PostgreSQL by one
  process with the ingest's own write path, no broker: the ceiling the
  broker path is compared with.

Rates run from the first event committed to the last, so process start-up
is left out of every figure alike.

    python bench/hq.py [--json] [--events N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# bench/drivers.py and bench/kiosk.py share names with the packages: never
# let this folder shadow them.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
REPO = Path(_HERE).parent

import nats  # noqa: E402
import nats.js.errors  # noqa: E402
import psycopg  # noqa: E402

from hq.schema import migrate  # noqa: E402
from hq.servers import NatsCluster, PrivatePostgres  # noqa: E402
from hq.store import HqStore  # noqa: E402
from hq.stream import CONSUMER, STREAM, ensure_stream  # noqa: E402
from lobbyq.engine.store import EventStore, Record  # noqa: E402
from lobbyq.protocol.uplink import make_event  # noqa: E402
from lobbyq.uplink.source import LogReader  # noqa: E402

BRANCH = "bench1"


def write_log(path: Path, n: int) -> None:
    store = EventStore(path, branch=BRANCH, synchronous="OFF")
    at = 1_760_000_000.0
    batch: list[Record] = []
    for i in range(1, n + 1):
        body = {
            "kind": "ticket_issued", "at": at + i, "ticket": f"T{i}", "number": f"A{i % 1000:03d}",
            "seq": i, "numeral": i, "service": "cash", "customer_class": "normal", "ahead": i % 7,
            "expected_wait_s": 120.0, "identity_kind": "card", "identity_hash": "ab" * 16,
            "identity_masked": "6222 **** 0042", "lang": "zh-Hans", "command_id": f"c{i}",
        }  # fmt: skip
        batch.append(Record(f"c{i}", "issue_ticket", at + i, [body]))
        if len(batch) == 1000:
            store.append(batch)
            batch = []
    if batch:
        store.append(batch)
    store.close()


async def reset_stream(urls: list[str]) -> None:
    nc = await nats.connect(servers=urls)
    js = nc.jetstream()
    with contextlib.suppress(nats.js.errors.NotFoundError):
        await js.delete_stream(STREAM)
    await ensure_stream(js, replicas=3)
    await nc.close()


async def waiting_pulls(urls: list[str]) -> int:
    nc = await nats.connect(servers=urls)
    try:
        info = await nc.jetstream().consumer_info(STREAM, CONSUMER)
        return int(info.num_waiting or 0)
    except nats.js.errors.NotFoundError:
        return 0
    finally:
        await nc.close()


def stored(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        try:
            row = conn.execute("SELECT count(*) FROM events").fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return int(row[0]) if row else 0


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def start_workers(
    k: int, cluster: NatsCluster, dsn: str, *, wait: bool = True
) -> list[subprocess.Popen[bytes]]:
    """``k`` worker processes; with ``wait``, until each has a pull request open."""
    cmd = [sys.executable, "-m", "lobbyq.cli", "hq", "ingest", "--nats", ",".join(cluster.urls),
           "--db", dsn, "--batch", "500"]  # fmt: skip
    procs = [subprocess.Popen(cmd, env=_env(), stderr=subprocess.DEVNULL) for _ in range(k)]
    if not wait:
        return procs
    deadline = time.monotonic() + 60
    while asyncio.run(waiting_pulls(cluster.urls)) < k:
        if time.monotonic() > deadline:
            raise SystemExit("the ingest workers did not start")
        time.sleep(0.1)
    return procs


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(20)


def rate_until_stored(dsn: str, n: int, timeout: float = 600) -> float:
    """Events/s from the first event committed to the last (process start-up excluded)."""
    t0 = time.monotonic()
    while (first := stored(dsn)) == 0:
        if time.monotonic() - t0 > 60:
            raise SystemExit("no event arrived")
        time.sleep(0.01)
    t_first = time.monotonic()
    while (got := stored(dsn)) < n:
        if time.monotonic() - t_first > timeout:
            raise SystemExit(f"only {got} of {n} events arrived")
        time.sleep(0.05)
    return (n - first) / (time.monotonic() - t_first)


def run_uplink(log: Path, state: Path, cluster: NatsCluster) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "lobbyq.cli", "uplink", "--db", str(log), "--nats",
           ",".join(cluster.urls), "--state", str(state), "--batch", "1000"]  # fmt: skip
    return subprocess.Popen(cmd, env=_env(), stderr=subprocess.DEVNULL)


def end_to_end(k: int, n: int, log: Path, tmp: Path, cluster: NatsCluster, pg: Any) -> float:
    asyncio.run(reset_stream(cluster.urls))
    dsn = pg.create_database(f"e2e{k}")
    workers = start_workers(k, cluster, dsn)
    uplink = run_uplink(log, tmp / f"cursor{k}.json", cluster)
    try:
        return rate_until_stored(dsn, n)
    finally:
        stop([uplink, *workers])


def ingest_only(
    k: int, n: int, log: Path, tmp: Path, cluster: NatsCluster, pg: Any
) -> tuple[float, float]:
    """(uplink alone filling the stream, k workers draining it), events/s."""
    asyncio.run(reset_stream(cluster.urls))
    uplink = run_uplink(log, tmp / f"fill{k}.json", cluster)
    t0 = 0.0
    try:

        async def count() -> int:
            nc = await nats.connect(servers=cluster.urls)
            info = await nc.jetstream().stream_info(STREAM)
            await nc.close()
            return int(info.state.messages)

        while (got := asyncio.run(count())) < n:
            if got and not t0:
                t0, first = time.monotonic(), got
            time.sleep(0.05)
        fill = (n - first) / (time.monotonic() - t0)
    finally:
        stop([uplink])
    dsn = pg.create_database(f"ing{k}")
    with psycopg.connect(dsn) as conn:
        migrate(conn)
    workers = start_workers(k, cluster, dsn, wait=False)  # they drain as soon as they are up
    try:
        return fill, rate_until_stored(dsn, n)
    finally:
        stop(workers)


def baseline(n: int, log: Path, pg: Any) -> float:
    dsn = pg.create_database("baseline")
    with psycopg.connect(dsn) as conn:
        migrate(conn)
    reader = LogReader(log)
    rows = reader.rows(0, n)
    reader.close()

    async def go() -> float:
        store = await HqStore.connect(dsn)
        t0 = time.monotonic()
        for i in range(0, len(rows), 500):
            events = [make_event(BRANCH, r.seq, r.at, r.kind, r.body) for r in rows[i : i + 500]]
            await store.write(events)
        dt = time.monotonic() - t0
        await store.close()
        return dt

    return n / asyncio.run(go())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--events", type=int, default=50_000)
    args = ap.parse_args()
    n = args.events
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="lobbyq-bench-hq-") as tmp_s:
        tmp = Path(tmp_s)
        log = tmp / "branch.db"
        write_log(log, n)
        with NatsCluster(3) as cluster, PrivatePostgres() as pg:
            base = baseline(n, log, pg)
            e2e = {k: end_to_end(k, n, log, tmp, cluster, pg) for k in (1, 2)}
            both = {k: ingest_only(k, n, log, tmp, cluster, pg) for k in (1, 2)}
            ing = {k: v[1] for k, v in both.items()}
            fill = max(v[0] for v in both.values())
    result = {
        "events": n,
        "baseline_direct_inserts_per_s": round(base),
        "end_to_end_per_s": {f"{k}_workers": round(v) for k, v in e2e.items()},
        "uplink_only_per_s": round(fill),
        "ingest_only_per_s": {f"{k}_workers": round(v) for k, v in ing.items()},
        "ingest_scaling_2_over_1": round(ing[2] / ing[1], 2),
        "nats_nodes": 3,
        "stream_replicas": 3,
        "cpus": os.cpu_count(),
        "load_avg_1m_before": round(load_before, 2),
        "load_avg_1m_after": round(os.getloadavg()[0], 2),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
