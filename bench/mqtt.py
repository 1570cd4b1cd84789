"""End-to-end ticket issuing over mosquitto: request, durable append, reply.

Runs a private mosquitto and an in-process engine with its SQLite log at
synchronous=FULL, then issues tickets from 1 and from 8 concurrent requesters
(each its own MQTT client, as kiosks are, in a separate process from the
engine so they do not share its interpreter lock). The baseline in the same run is
one requester with the log at synchronous=OFF, which shows what fsync costs.

A second part measures the retained state after broker loss: a broker
SIGKILLed and restarted, restarted without its data, and spoofed by another
client; each figure is the time from the broker's return (or the spoof) until
a newly subscribing display reads every view as the engine's log has it (the
goal is under 1 s), beside the time the engine's own client takes to
reconnect (the baseline: nothing can be right before that).

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


class _Reader:
    """What a display subscribing now would read: the broker's retained copies."""

    def __init__(self, port: int, topics: Topics) -> None:
        import paho.mqtt.client as paho
        from paho.mqtt.enums import CallbackAPIVersion

        self._filters = [(topics.state_all, 1), (topics.status("engine"), 1)]
        self._marker = f"{topics.base}/bench/marker"
        self._got: dict[str, bytes] = {}
        self._token = b""
        self._done = threading.Event()
        self._lock = threading.Lock()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-reader")
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(min_delay=0.05, max_delay=0.05)  # type: ignore[arg-type]
        self.client.connect_async("127.0.0.1", port)
        self.client.loop_start()

    def _on_message(self, client: Any, userdata: object, msg: Any) -> None:
        with self._lock:
            if msg.topic == self._marker:
                if bytes(msg.payload) == self._token:
                    self._done.set()
            elif msg.payload:
                self._got[msg.topic] = bytes(msg.payload)
            else:
                self._got.pop(msg.topic, None)

    def snapshot(self) -> dict[str, bytes] | None:
        if not self.client.is_connected():
            return None
        with self._lock:
            self._got, self._token = {}, os.urandom(8).hex().encode()
            self._done.clear()
        self.client.subscribe([(self._marker, 1), *self._filters])
        self.client.publish(self._marker, self._token, qos=1)
        if not self._done.wait(1.0):
            return None
        with self._lock:
            return dict(self._got)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _right(engine: Engine, got: dict[str, bytes] | None) -> bool:
    """Whether the retained notice, calls, counters and birth are the engine's."""
    from lobbyq.protocol.messages import StatusMsg
    from lobbyq.protocol.views import (
        CallsView,
        CounterView,
        NoticeView,
        decode_calls,
        decode_counter,
        decode_notice,
    )

    if got is None:
        return False
    t, state = engine.topics, engine.state
    try:
        if decode_notice(got[t.state_notice]).view != NoticeView.of(state):
            return False
        want_calls = CallsView.of(state, engine.options.recent_calls)
        if decode_calls(got[t.state_calls]).view != want_calls:
            return False
        for c in engine.config.counters:
            if decode_counter(got[t.state_counter(c.id)]).view != CounterView.of(state, c.id):
                return False
        return t.state_queue in got and StatusMsg.decode(got[t.status("engine")]).online
    except KeyError:
        return False


def _until(predicate: Any, timeout: float = 30.0) -> float:
    t0 = time.perf_counter()
    while not predicate():
        if time.perf_counter() - t0 > timeout:
            return float("inf")
        time.sleep(0.01)
    return time.perf_counter() - t0


def retained_after_broker_loss(workdir: Path) -> dict[str, Any]:
    """Seconds from the broker's return to right retained views, per way of losing them."""
    from lobbyq.protocol.messages import StatusMsg
    from lobbyq.runtime.version import VERSION

    broker = Mosquitto(workdir=workdir / "loss").start()
    config = BranchConfig.default()
    topics = Topics(config.branch_id)
    store = EventStore(workdir / "loss.db")
    will = (topics.status("engine"), StatusMsg("engine", False, "engine", 0.0, VERSION).encode())
    ebus = MqttBus(broker.url, "engine", will=will, clean_start=False)
    engine = Engine(config, store, ebus, options=EngineOptions(tick_interval_s=3600))
    engine.start()
    ebus.start()
    dbus = MqttBus(broker.url, "counter-1")
    dbus.start()
    ebus.wait_connected(10)
    dbus.wait_connected(10)
    # Each op from a device whose role may send it (lobbyq.core.roles).
    senders = {d: Requester(dbus, topics, d, resend_after=0.5) for d in ("console", "kiosk-1")}
    counter = Requester(dbus, topics, "counter-1", resend_after=0.5)
    for op, fields in (
        ("set_notice", {"notice": "power_cut"}),
        ("issue_ticket", {"service": "A"}),
        ("issue_ticket", {"service": "A"}),
        ("login", {"counter": "1", "teller": "T01"}),
        ("open_counter", {"counter": "1"}),
        ("call_next", {"counter": "1"}),
    ):
        sender = {"set_notice": "console", "issue_ticket": "kiosk-1"}.get(op)
        assert (senders[sender] if sender else counter).request(op, timeout=15, **fields).ok
    reader = _Reader(broker.port, topics)
    out: dict[str, Any] = {"goal_s": 1.0}
    try:
        assert _until(lambda: _right(engine, reader.snapshot())) < 30
        for case in ("sigkill", "wiped"):
            broker.kill()
            if case == "wiped":
                for f in broker.workdir.glob("*.db"):
                    f.unlink()
            time.sleep(1.0)  # a second without a broker: every client is retrying
            broker.start()
            t0 = time.perf_counter()
            reconnect = _until(lambda: ebus.connected)
            right = _until(lambda: _right(engine, reader.snapshot()))
            out[case] = {
                "engine_reconnect_s": round(reconnect, 3),
                "views_right_s": round(time.perf_counter() - t0, 3) if right < 30 else None,
            }
        import paho.mqtt.client as paho
        from paho.mqtt.enums import CallbackAPIVersion

        spoof = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-spoof")
        spoof.connect("127.0.0.1", broker.port)
        spoof.loop_start()
        fake = b'{"v":1,"seq":9,"state":{"notice":"system_failure","text":"go home","since":1}}'
        t0 = time.perf_counter()
        spoof.publish(topics.state_notice, fake, qos=1, retain=True).wait_for_publish(5)
        right = _until(lambda: _right(engine, reader.snapshot()))
        out["spoofed_notice"] = {"views_right_s": round(time.perf_counter() - t0, 3)}
        spoof.disconnect()
        spoof.loop_stop()
    finally:
        reader.close()
        dbus.stop()
        ebus.stop()
        engine.stop()
        store.close()
        broker.close()
    return out


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
        loss = retained_after_broker_loss(work)
    out = {
        "mqtt_tickets_per_s": eight["tickets_per_s"],
        "mqtt_p50_ms": eight["p50_ms"],
        "mqtt_p99_ms": eight["p99_ms"],
        "one_requester": one,
        "eight_requesters": eight,
        "baseline_one_requester_sync_off": baseline,
        "retained_after_broker_loss": loss,
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
