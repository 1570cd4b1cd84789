"""One device floods the engine: what real kiosks see, with and without the per-device limits.

Runs a private mosquitto and an in-process engine with its SQLite log at
synchronous=FULL. Twenty real kiosks (one process, each its own MQTT client)
issue a ticket every 2 s each, within their rate, and time each request.
In the same run:

- ``quiet``: the kiosks alone, the engine with its rate limits (the baseline);
- ``flood``: the same while ``kiosk-99`` publishes ``issue_ticket`` as fast
  as it can (another process), the engine with its rate limits;
- ``flood_unlimited``: the same flood against an engine without limits, as
  before them.

Each case reports the real kiosks' p50/p99/max in ms (goal: p99 at most
100 ms during the flood), how many of their requests failed, the commands the
flood sent, the tickets it got, the events the log grew by, and the lines the
engine logged about the flood.

    python bench/flood.py [--json] [--seconds S] [--rate N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

# bench/drivers.py and bench/kiosk.py share names with the packages: never
# let this folder shadow them.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

from drivers.mqtt.client import MqttBus  # noqa: E402
from drivers.mqtt.request import EngineUnavailable, Requester  # noqa: E402
from lobbyq.broker import Mosquitto  # noqa: E402
from lobbyq.core import BranchConfig  # noqa: E402
from lobbyq.engine.limits import DEFAULT_RATES  # noqa: E402
from lobbyq.engine.service import Engine, EngineOptions  # noqa: E402
from lobbyq.engine.store import EventStore  # noqa: E402
from lobbyq.protocol.messages import CommandMsg  # noqa: E402
from lobbyq.protocol.topics import Topics  # noqa: E402

KIOSKS = 20
KIOSK_EVERY_S = 2.0  # within a kiosk's 0.5/s: these are customers, not a flood
FLOODER = "kiosk-99"


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


def _kiosks(url: str, branch: str, seconds: float, out: Any) -> None:
    """Child process: real kiosks, each a request every ``KIOSK_EVERY_S``."""
    topics = Topics(branch)
    buses = [MqttBus(url, f"bench-{branch}-kiosk-{i}") for i in range(1, KIOSKS + 1)]
    for bus in buses:
        bus.start()
        bus.wait_connected(10)
    latencies: list[float] = []
    failed: list[str] = []
    lock = threading.Lock()

    def kiosk(i: int, bus: MqttBus) -> None:
        req = Requester(bus, topics, f"kiosk-{i}", resend_after=1.0)
        time.sleep(KIOSK_EVERY_S * i / KIOSKS)  # spread them over the interval
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t0 = time.perf_counter()
            try:
                reply = req.request("issue_ticket", service="A", timeout=10)
                ok, why = reply.ok, reply.code or ""
            except EngineUnavailable:
                ok, why = False, "timeout"
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                if not ok:
                    failed.append(why)
            time.sleep(max(0.0, KIOSK_EVERY_S - dt))

    threads = [threading.Thread(target=kiosk, args=(i + 1, b)) for i, b in enumerate(buses)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for bus in buses:
        bus.stop()
    out.put((latencies, failed))


def _flood(url: str, branch: str, seconds: float, rate: int, out: Any) -> None:
    """Child process: one device sending ``issue_ticket`` at ``rate`` a second, no waiting."""
    topics = Topics(branch)
    bus = MqttBus(url, f"bench-{branch}-flood")
    bus.start()
    bus.wait_connected(10)
    topic = topics.cmd(FLOODER)
    sent = 0
    t0 = time.monotonic()
    while (now := time.monotonic()) - t0 < seconds:
        due = int((now - t0) * rate)
        while sent < due:
            bus.publish(
                topic, CommandMsg.build(f"flood-{sent:08d}", "issue_ticket", service="A").encode()
            )
            sent += 1
        time.sleep(0.002)
    time.sleep(0.5)
    bus.stop()
    out.put(sent)


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines = 0

    def emit(self, record: logging.LogRecord) -> None:
        if FLOODER in record.getMessage():
            self.lines += 1


def run_case(
    url: str, workdir: Path, name: str, *, flood: bool, limits: bool, seconds: float, rate: int
) -> dict[str, Any]:
    raw = BranchConfig.default().to_dict()
    raw["branch"]["id"] = f"flood{name.replace('_', '')}{time.monotonic_ns() % 10**6}"
    config = BranchConfig.from_dict(raw)
    store = EventStore(workdir / f"{config.branch_id}.db")
    ebus = MqttBus(url, f"engine-{config.branch_id}")
    engine = Engine(
        config,
        store,
        ebus,
        options=EngineOptions(tick_interval_s=3600),
        rate_limits=DEFAULT_RATES if limits else None,
    )
    counter = _Count()
    engine_log = logging.getLogger("lobbyq.engine")
    engine_log.addHandler(counter)
    engine_log.setLevel(logging.INFO)
    engine_log.propagate = False  # counted, not printed
    engine.start()
    ebus.start()
    ebus.wait_connected(10)
    time.sleep(0.3)
    ctx = multiprocessing.get_context("spawn")
    kq, fq = ctx.Queue(), ctx.Queue()
    kiosks = ctx.Process(target=_kiosks, args=(url, config.branch_id, seconds, kq))
    flooder = ctx.Process(target=_flood, args=(url, config.branch_id, seconds, rate, fq))
    if flood:
        flooder.start()
        time.sleep(1.0)  # the flood is under way before the customers come
    kiosks.start()
    latencies, failed = kq.get(timeout=seconds + 120)
    kiosks.join(30)
    sent = 0
    if flood:
        sent = fq.get(timeout=seconds + 120)
        flooder.join(30)
    time.sleep(0.5)
    flood_tickets = _issued_by(store.path, FLOODER)
    out = {
        "p50_ms": round(_pct(latencies, 50) * 1000, 1),
        "p99_ms": round(_pct(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies, default=0.0) * 1000, 1),
        "requests": len(latencies),
        "failed": len(failed),
        "failed_codes": sorted(set(failed)),
        "flood_sent": sent,
        "flood_tickets": flood_tickets,
        "log_events": store.last_seq,
        "flood_log_lines": counter.lines,
        "dropped": (engine.limits.dropped().get(FLOODER, 0) if engine.limits else 0),
    }
    logging.getLogger("lobbyq.engine").removeHandler(counter)
    ebus.stop()
    engine.stop()
    store.close()
    return out


def _issued_by(path: Path | str, device: str) -> int:
    """How many tickets a device's commands issued, read from the log file."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        row = db.execute(
            "SELECT count(*) FROM events e JOIN commands c ON c.id = e.command_id "
            "WHERE e.kind = 'ticket_issued' AND c.device = ?",
            (device,),
        ).fetchone()
    return int(row[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--seconds", type=float, default=10.0, help="each case's length")
    parser.add_argument("--rate", type=int, default=10_000, help="flood commands a second")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        broker = Mosquitto(workdir=workdir / "broker").start()
        try:
            result: dict[str, Any] = {"goal_p99_ms": 100, "kiosks": KIOSKS, "flood_rate": args.rate}
            for name, flood, limits in (
                ("quiet", False, True),
                ("flood", True, True),
                ("flood_unlimited", True, False),
            ):
                result[name] = run_case(
                    broker.url,
                    workdir,
                    name,
                    flood=flood,
                    limits=limits,
                    seconds=args.seconds,
                    rate=args.rate,
                )
        finally:
            broker.close()
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
