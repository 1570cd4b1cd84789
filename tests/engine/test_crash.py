"""Power cut: SIGKILL the engine process and restart it over a real mosquitto."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.mqtt.client import MqttBus
from drivers.mqtt.request import Requester
from lobbyq.protocol.messages import StateMsg
from lobbyq.protocol.topics import Topics


def _start_engine(broker_url: str, branch: str, db: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lobbyq",
            "engine",
            "--broker",
            broker_url,
            "--branch",
            branch,
            "--db",
            str(db),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if b"engine ready" in line:
            return proc
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError("engine did not start")


@pytest.fixture
def client(broker_url: str, branch_id: str) -> Iterator[MqttBus]:
    bus = MqttBus(broker_url, f"test-{branch_id}")
    bus.start()
    assert bus.wait_connected(10)
    yield bus
    bus.stop()


def _queue_numbers(bus: MqttBus, topics: Topics, count: int) -> dict[str, list[str]]:
    """Read the retained queue state fresh, as a rebooted display would.

    The engine coalesces queue views, so wait until one lists ``count`` tickets.
    """
    got: list[bytes] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        numbers = _read_queue(bus, topics, got)
        if sum(len(v) for v in numbers.values()) == count:
            return numbers
        got.clear()
    return numbers


def _read_queue(bus: MqttBus, topics: Topics, got: list[bytes]) -> dict[str, list[str]]:
    probe = MqttBus(bus.url.redacted(), f"probe-{time.monotonic_ns()}")
    probe.subscribe(topics.state_queue, lambda t, p: got.append(p))
    probe.start()
    try:
        deadline = time.monotonic() + 10
        while not got and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        probe.stop()
    assert got, "no retained queue state"
    state = StateMsg.decode(got[-1]).body
    return {code: [t["number"] for t in svc["tickets"]] for code, svc in state["services"].items()}


def test_sigkill_after_acknowledged_tickets_loses_nothing(
    broker_url: str, branch_id: str, client: MqttBus, tmp_path: Path
) -> None:
    db = tmp_path / "events.db"
    topics = Topics(branch_id)
    engine = _start_engine(broker_url, branch_id, db)
    try:
        kiosk = Requester(client, topics, "kiosk-1", resend_after=0.5)
        acknowledged = []
        for service in "AABACA":
            reply = kiosk.request("issue_ticket", service=service, timeout=10)
            issued = reply.event("ticket_issued")
            assert reply.ok and issued is not None
            acknowledged.append(issued["number"])
        before = _queue_numbers(client, topics, len(acknowledged))
        engine.send_signal(signal.SIGKILL)
        engine.wait(10)
        # Clear the retained state so what we read next is the new engine's.
        client.publish(topics.state_queue, b"", retain=True)
        engine = _start_engine(broker_url, branch_id, db)
        after = _queue_numbers(client, topics, len(acknowledged))
        assert after == before
        assert sorted(n for ns in after.values() for n in ns) == sorted(acknowledged)
        nxt = kiosk.request("issue_ticket", service="A", timeout=10).event("ticket_issued")
        assert nxt is not None and nxt["number"] == "A005"
        assert nxt["number"] not in acknowledged
    finally:
        if engine.poll() is None:
            os.kill(engine.pid, signal.SIGTERM)
            engine.wait(10)
