"""End-to-end ticket issuing over mosquitto: request, durable append, reply.

Runs a private mosquitto and an in-process engine with its SQLite log at
synchronous=FULL, then issues tickets from 1 and from 8 concurrent requesters
(each its own MQTT client, as kiosks are, in a separate process from the
engine so they do not share its interpreter lock). The baseline in the same run is
one requester with the log at synchronous=OFF, which shows what fsync costs.

    python bench/mqtt.py [--json] [--tickets N]
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import resource
import statistics
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
from drivers.mqtt.request import Requester  # noqa: E402
from lobbyq.broker import Mosquitto  # noqa: E402
from lobbyq.core import BranchConfig  # noqa: E402
from lobbyq.engine.service import Engine, EngineOptions  # noqa: E402
from lobbyq.engine.store import EventStore  # noqa: E402
from lobbyq.protocol.topics import Topics  # noqa: E402


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def _requesters(
    url: str, branch: str, requesters: int, per: int, services: list[str], out: Any
) -> None:
    """Child process: the kiosks. Separate from the engine, as in a branch."""
    topics = Topics(branch)
    buses = []
    clients = []
    for i in range(requesters):
        bus = MqttBus(url, f"kiosk-{branch}-{i}")
        bus.start()
        bus.wait_connected(10)
        buses.append(bus)
        clients.append(Requester(bus, topics, f"kiosk-{i}", resend_after=5.0))
    time.sleep(0.3)
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(req: Requester) -> None:
        mine = []
        for n in range(per):
            t0 = time.perf_counter()
            reply = req.request("issue_ticket", service=services[n % len(services)], timeout=10)
            mine.append(time.perf_counter() - t0)
            assert reply.ok
        with lock:
            latencies.extend(mine)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    for bus in buses:
        bus.stop()
    out.put((latencies, elapsed))


def run_case(url: str, workdir: Path, requesters: int, tickets: int, sync: str) -> dict[str, float]:
    config = BranchConfig.default()
    raw = config.to_dict()
    raw["branch"]["id"] = f"bench{requesters}{sync.lower()}{time.monotonic_ns() % 10**6}"
    config = BranchConfig.from_dict(raw)
    store = EventStore(workdir / f"{config.branch_id}.db", synchronous=sync)
    ebus = MqttBus(url, f"engine-{config.branch_id}")
    engine = Engine(config, store, ebus, options=EngineOptions(tick_interval_s=3600))
    engine.start()
    ebus.start()
    ebus.wait_connected(10)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    per = tickets // requesters
    services = [s.code for s in config.services]
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    child = ctx.Process(
        target=_requesters, args=(url, config.branch_id, requesters, per, services, out)
    )
    child.start()
    latencies, elapsed = out.get(timeout=600)
    child.join(30)
    engine_cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    engine.stop()
    ebus.stop()
    store.close()
    return {
        "tickets": len(latencies),
        "tickets_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(_pct(latencies, 50) * 1000, 2),
        "p99_ms": round(_pct(latencies, 99) * 1000, 2),
        "engine_cpu_pct": round(100 * engine_cpu / wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--tickets", type=int, default=2000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp, Mosquitto() as broker:
        work = Path(tmp)
        one = run_case(broker.url, work, 1, args.tickets, "FULL")
        eight = run_case(broker.url, work, 8, args.tickets, "FULL")
        baseline = run_case(broker.url, work, 1, args.tickets, "OFF")
    out = {
        "mqtt_tickets_per_s": eight["tickets_per_s"],
        "mqtt_p50_ms": eight["p50_ms"],
        "mqtt_p99_ms": eight["p99_ms"],
        "one_requester": one,
        "eight_requesters": eight,
        "baseline_one_requester_sync_off": baseline,
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpus": os.cpu_count(),
        "peer_reference_tickets_per_s": 80,
        "p50_ms_stdev_hint": round(statistics.pstdev([one["p50_ms"], baseline["p50_ms"]]), 2),
    }
    if args.json:
        print(json.dumps(out))
    else:
        for key, value in out.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
