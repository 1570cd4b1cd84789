"""Retained state after the broker loses it, restores older copies, or is spoofed.

The engine is the only writer of ``state/#`` and ``dev/engine/status``: after
every reconnect it republishes each view, and it corrects any retained copy
on those topics that differs from its own (a spoofed notice, a fake call, a
fake offline status, an older value the broker restored from its file).
Each test reads the broker's retained copies with a fresh subscription and
compares their content with the engine's own state.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from drivers.mqtt.client import MqttBus
from drivers.mqtt.request import Requester
from lobbyq.broker import Mosquitto
from lobbyq.core import BranchConfig
from lobbyq.engine.service import Engine, EngineOptions
from lobbyq.engine.store import EventStore
from lobbyq.protocol.messages import StatusMsg
from lobbyq.protocol.topics import Topics
from lobbyq.protocol.views import (
    CallsView,
    CounterView,
    NoticeView,
    QueueView,
    decode_calls,
    decode_counter,
    decode_notice,
    decode_queue,
)
from lobbyq.runtime.version import VERSION
from tests.support import eventually

# The engine must be right within 1 s of the broker's return; the wait here
# is longer only so a loaded machine does not fail the test (bench/mqtt.py
# measures the time itself).
CONVERGE_S = 4.0


class RetainedReader:
    """Reads what a newly subscribing display would get: the broker's retained copies.

    Each ``snapshot`` subscribes again (the broker resends every retained
    message on a repeated subscription) and then waits for a marker it
    publishes itself, which the broker delivers after the retained copies.
    """

    def __init__(self, url: str, topics: Topics) -> None:
        self._filters = [topics.state_all, topics.status("engine")]
        self._marker = f"{topics.base}/test/marker"
        self._lock = threading.Lock()
        self._got: dict[str, bytes] = {}
        self._token = b""
        self._done = threading.Event()
        port = int(url.rsplit(":", 1)[1])
        self._client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"reader-{uuid.uuid4()}")
        self._client.on_message = self._on_message
        self._client.reconnect_delay_set(min_delay=0.1, max_delay=0.2)  # type: ignore[arg-type]
        self._client.connect_async("127.0.0.1", port)
        self._client.loop_start()

    def _on_message(self, client: paho.Client, userdata: object, msg: paho.MQTTMessage) -> None:
        with self._lock:
            if msg.topic == self._marker:
                if bytes(msg.payload) == self._token:
                    self._done.set()
            elif msg.payload:
                self._got[msg.topic] = bytes(msg.payload)
            else:
                self._got.pop(msg.topic, None)

    def snapshot(self) -> dict[str, bytes] | None:
        """The retained copies now, or None while the broker is unreachable."""
        if not self._client.is_connected():
            return None
        with self._lock:
            self._got = {}
            self._token = uuid.uuid4().hex.encode()
            self._done.clear()
        self._client.subscribe([(self._marker, 1)] + [(f, 1) for f in self._filters])
        self._client.publish(self._marker, self._token, qos=1)
        if not self._done.wait(2.0):
            return None
        with self._lock:
            return dict(self._got)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def _timeless(view: QueueView) -> QueueView:
    """A queue view without the times that move on their own (its own, and each wait)."""
    services = {
        code: replace(q, tickets=tuple(replace(w, waited_s=0.0) for w in q.tickets))
        for code, q in view.services.items()
    }
    return replace(view, at=0.0, services=services)


def differences(engine: Engine, got: dict[str, bytes] | None) -> list[str]:
    """What the broker's retained copies get wrong about the engine's state (empty: right)."""
    if got is None:
        return ["broker unreachable"]
    t, state, cfg = engine.topics, engine.state, engine.config
    wrong = []

    def check(topic: str, decode: Callable[[bytes], object], want: object) -> None:
        payload = got.get(topic)
        if payload is None:
            wrong.append(f"{topic}: missing")
            return
        view = decode(payload)
        if view != want:
            wrong.append(f"{topic}: {view!r} != {want!r}")

    check(t.state_notice, lambda p: decode_notice(p).view, NoticeView.of(state))
    recent = EngineOptions().recent_calls
    check(t.state_calls, lambda p: decode_calls(p).view, CallsView.of(state, recent))
    for c in cfg.counters:
        check(t.state_counter(c.id), lambda p: decode_counter(p).view, CounterView.of(state, c.id))
    queue = _timeless(QueueView.of(state, 0))
    check(t.state_queue, lambda p: _timeless(decode_queue(p).view), queue)
    check(
        t.status("engine"),
        lambda p: (lambda s: (s.device, s.online, s.kind))(StatusMsg.decode(p)),
        ("engine", True, "engine"),
    )
    own = {t.state_notice, t.state_calls, t.state_queue, t.status("engine")}
    own |= {t.state_counter(c.id) for c in cfg.counters}
    wrong += [f"{topic}: not the engine's" for topic in got if topic not in own]
    return wrong


class Branch:
    """A private mosquitto, an engine wired as ``lobbyq engine`` wires it, and a counter."""

    def __init__(self, tmp_path: Path) -> None:
        self.broker = Mosquitto(workdir=tmp_path / "broker").start()
        self.config = BranchConfig.default()
        self.topics = Topics(self.config.branch_id)
        self.store = EventStore(tmp_path / "events.db")
        will = (
            self.topics.status("engine"),
            StatusMsg("engine", False, "engine", 0.0, VERSION).encode(),
        )
        self.ebus = MqttBus(self.broker.url, "engine", will=will, clean_start=False)
        self.engine = Engine(
            self.config, self.store, self.ebus, options=EngineOptions(tick_interval_s=3600)
        )
        self.dbus = MqttBus(self.broker.url, "counter-1")
        self.engine.start()
        self.ebus.start()
        self.dbus.start()
        assert self.ebus.wait_connected(10) and self.dbus.wait_connected(10)
        # Each op from the device whose role may send it (lobbyq.core.roles).
        self.devices = {
            name: Requester(self.dbus, self.topics, name, resend_after=0.5)
            for name in ("counter-1", "kiosk-1", "console")
        }
        self.reader = RetainedReader(self.broker.url, self.topics)

    def do(self, op: str, **fields: Any) -> None:
        console = ("set_notice", "clear_notice")
        device = "kiosk-1" if op == "issue_ticket" else "console" if op in console else "counter-1"
        reply = self.devices[device].request(op, timeout=15, **fields)
        assert reply.ok, reply

    def busy_morning(self) -> None:
        """A notice, an open counter with a called ticket, people waiting."""
        self.do("set_notice", notice="power_cut", text="Power cut: counters 3-4 closed")
        for _ in range(4):
            self.do("issue_ticket", service="A")
        self.do("login", counter="1", teller="T01")
        self.do("open_counter", counter="1")
        self.do("call_next", counter="1")

    def converged(self) -> list[str]:
        return differences(self.engine, self.reader.snapshot())

    def assert_converges(self) -> None:
        wrong = eventually(lambda: not self.converged(), CONVERGE_S, interval=0.05)
        assert wrong, self.converged()

    def close(self) -> None:
        self.reader.close()
        self.dbus.stop()
        self.ebus.stop()
        self.engine.stop()
        self.store.close()
        self.broker.close()


@pytest.fixture
def branch(tmp_path: Path) -> Iterator[Branch]:
    b = Branch(tmp_path)
    try:
        yield b
    finally:
        b.close()


def _restart_without_data(broker: Mosquitto) -> None:
    broker.kill()
    for f in broker.workdir.glob("*.db"):
        f.unlink()
    broker.start()


def test_a_broker_killed_after_changes_gets_every_view_back(branch: Branch) -> None:
    branch.busy_morning()
    branch.assert_converges()
    branch.broker.kill()  # SIGKILL: nothing since its last save survives
    branch.broker.start()
    branch.assert_converges()


def test_older_copies_a_broker_restores_are_corrected(branch: Branch) -> None:
    branch.busy_morning()
    branch.assert_converges()
    branch.broker.stop()  # a clean stop saves the retained copies of now
    branch.broker.start()
    branch.assert_converges()
    # The day goes on, then the broker dies before it saves again.
    branch.do("finish", counter="1")
    branch.do("clear_notice")
    branch.do("call_next", counter="1")
    branch.assert_converges()
    branch.broker.kill()
    branch.broker.start()  # restores the notice and the call of the first save
    branch.assert_converges()


def test_a_wiped_broker_gets_every_view_back(branch: Branch) -> None:
    branch.busy_morning()
    branch.assert_converges()
    _restart_without_data(branch.broker)
    branch.assert_converges()


def test_spoofed_retained_state_is_corrected(branch: Branch) -> None:
    branch.busy_morning()
    branch.assert_converges()
    t = branch.topics
    fakes = [
        (
            t.state_notice,
            b'{"v":1,"seq":999,"state":{"notice":"system_failure",'
            b'"text":"System failure, branch closed, go home","since":1.0}}',
        ),
        (
            t.state_calls,
            b'{"v":1,"seq":999,"state":{"calls":[{"number":"A999","counter":"1",'
            b'"service":"A","at":1.0}]}}',
        ),
        (t.status("engine"), StatusMsg("engine", False, "engine", 1.0, VERSION).encode()),
        (t.state_counter("1"), b"not even json"),
        (f"{t.base}/state/counter/99", b'{"v":1,"seq":1,"state":{}}'),
        (t.state_counter("2"), b""),  # a view cleared by another client
    ]
    attacker = paho.Client(CallbackAPIVersion.VERSION2, client_id="evil-device-999")
    attacker.connect("127.0.0.1", branch.broker.port)
    attacker.loop_start()
    try:
        for topic, payload in fakes:
            attacker.publish(topic, payload, qos=1, retain=True).wait_for_publish(5)
    finally:
        attacker.disconnect()
        attacker.loop_stop()
    branch.assert_converges()
