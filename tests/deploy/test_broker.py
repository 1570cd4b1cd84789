"""Provisioning output used for real: a mosquitto running the generated config.

ACL refusals are silent under MQTT 3.1.1 (the broker acknowledges and drops),
so each test publishes the refused messages first and an allowed marker last
on the same connection, and asserts that a privileged subscriber got the
marker and nothing before it.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from drivers.mqtt.client import BrokerUrl, MqttBus
from lobbyq.device.cli import configure, run
from lobbyq.device.config import load_device_config
from lobbyq.device.status import StatusBoard
from lobbyq.protocol.messages import EventMsg, StatusMsg
from lobbyq.protocol.topics import Topics
from tests.deploy.conftest import BranchBroker
from tests.support import eventually

WAIT = 5.0


BARRIER = b'"barrier"'


class Inbox:
    """Messages a subscriber got, with a wait that never sleeps blindly."""

    def __init__(self) -> None:
        self.items: list[tuple[str, bytes]] = []
        self._cond = threading.Condition()

    def __call__(self, topic: str, payload: bytes) -> None:
        with self._cond:
            self.items.append((topic, payload))
            self._cond.notify_all()

    def wait_for(self, topic: str, timeout: float = WAIT) -> bool:
        with self._cond:
            return self._cond.wait_for(
                lambda: any(t == topic and BARRIER not in p for t, p in self.items), timeout
            )

    def wait_until(
        self, pred: Callable[[list[tuple[str, bytes]]], bool], timeout: float = WAIT
    ) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: pred(self.items), timeout)

    @property
    def topics(self) -> list[str]:
        """Topics received, without the barrier's markers (late ones included)."""
        with self._cond:
            return [t for t, p in self.items if BARRIER not in p]


def _bus(bb: BranchBroker, user: str, **kw: object) -> MqttBus:
    bus = MqttBus(bb.url(user), f"{user}-{uuid.uuid4().hex[:6]}", **kw)  # type: ignore[arg-type]
    return bus


def _barrier(sender: MqttBus | paho.Client, t: Topics, device: str, *boxes: Inbox) -> None:
    """Wait until the subscriptions are live at the broker: an allowed marker gets through.

    The device publishes a marker on its own ``cmd/`` and ``dev/.../status``
    topics until every inbox has seen one of them, so a test's "nothing
    arrived" assertions mean the broker refused, not "too early". Inboxes
    leave the markers out of what they report.
    """
    mine = {t.cmd(device), t.status(device)}

    def all_seen() -> bool:
        # A marker sent before a subscription is live is lost: send again.
        sender.publish(t.cmd(device), b'{"v":1,' + BARRIER + b":1}")
        sender.publish(t.status(device), b'{"v":1,' + BARRIER + b":1}")
        return all(
            box.wait_until(lambda items: any(topic in mine for topic, _ in items), 0.1)
            for box in boxes
        )

    assert eventually(all_seen, WAIT)


def _start(*buses: MqttBus) -> None:
    for b in buses:
        b.start()
    for b in buses:
        assert b.wait_connected(WAIT), f"{b.client_id} could not log in"


def _raw(
    url: str, client_id: str, *, will: tuple[str, bytes] | None = None, thread: bool = True
) -> tuple[paho.Client, paho.ReasonCode | None]:
    """A bare paho client (to see refusals and to die without DISCONNECT).

    ``thread=False`` runs the network loop here until the CONNACK, for probes
    that only look at the answer (stopping paho's thread after a refusal
    waits out its reconnect delay).
    """
    u = BrokerUrl.parse(url)
    c = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv311)
    if u.username:
        c.username_pw_set(u.username, u.password)
    if u.tls:
        c.tls_set(ca_certs=u.ca_file)
    if will:
        c.will_set(will[0], will[1], qos=1, retain=True)
    done = threading.Event()
    result: list[paho.ReasonCode] = []

    def on_connect(*args: object) -> None:
        result.append(args[3])  # type: ignore[arg-type]
        done.set()

    c.on_connect = on_connect
    c.connect(u.host, u.port, keepalive=5)
    if thread:
        c.loop_start()
        done.wait(WAIT)
    else:
        deadline = time.monotonic() + WAIT
        while not done.is_set() and time.monotonic() < deadline:
            c.loop(0.05)
    return c, (result[0] if result else None)


def _probe(url: str, client_id: str) -> paho.ReasonCode | None:
    """The broker's answer to a login, then hang up."""
    c, rc = _raw(url, client_id, thread=False)
    c.disconnect()
    return rc


def _anon_url(bb: BranchBroker, tls: bool) -> str:
    if tls:
        return f"mqtts://localhost:{bb.tls_port}?ca={bb.ca}"
    return f"mqtt://127.0.0.1:{bb.local_port}"


@pytest.mark.parametrize("tls", [True, False], ids=["tls", "loopback"])
def test_anonymous_and_wrong_passwords_are_refused(branch_broker: BranchBroker, tls: bool) -> None:
    rc = _probe(_anon_url(branch_broker, tls), "anonymous-probe")
    assert rc is not None and rc.is_failure, f"anonymous client got {rc}"
    good = BrokerUrl.parse(branch_broker.url("counter-1", tls=tls))
    scheme = "mqtts" if tls else "mqtt"
    query = f"?ca={branch_broker.ca}" if tls else ""
    wrong = f"{scheme}://counter-1:not-the-password@{good.host}:{good.port}{query}"
    rc = _probe(wrong, "wrong-password-probe")
    assert rc is not None and rc.is_failure
    rc = _probe(branch_broker.url("counter-1", tls=tls), "counter-1-probe")
    assert rc is not None and not rc.is_failure


def test_a_counter_cannot_speak_for_another_counter_or_the_engine(
    branch_broker: BranchBroker,
) -> None:
    t = Topics(branch_broker.branch.branch)
    engine_in, watcher_in = Inbox(), Inbox()
    engine = _bus(branch_broker, "engine")
    engine.subscribe(t.cmd_all, engine_in)
    watcher = _bus(branch_broker, "display-hall")
    for f in (t.evt_all, t.state_all, t.status_all, f"{t.base}/reply/+"):
        watcher.subscribe(f, watcher_in)
    counter = _bus(branch_broker, "counter-1")
    _start(engine, watcher, counter)
    try:
        _barrier(counter, t, "counter-1", engine_in, watcher_in)
        refused = [
            t.cmd("counter-2"),
            t.evt("called"),
            t.state_queue,
            t.reply("counter-2"),
            t.status("counter-2"),
        ]
        for topic in refused:
            counter.publish(topic, b'{"v":1}')
        counter.publish(t.cmd("counter-1"), b'{"v":1,"marker":1}')
        counter.publish(t.status("counter-1"), b'{"v":1,"marker":2}')
        assert engine_in.wait_for(t.cmd("counter-1"))
        assert watcher_in.wait_for(t.status("counter-1"))
        assert engine_in.topics == [t.cmd("counter-1")]
        assert t.status("counter-1") in watcher_in.topics
        assert not set(refused) & set(watcher_in.topics)

        # The engine may publish events and state, and the same watcher sees them.
        engine.publish(t.evt("called"), EventMsg(1, "called", 1.0, {}).encode())
        assert watcher_in.wait_for(t.evt("called"))
    finally:
        for b in (engine, watcher, counter):
            b.stop()


def test_the_technician_account_reads_but_cannot_publish(branch_broker: BranchBroker) -> None:
    t = Topics(branch_broker.branch.branch)
    engine_in = Inbox()
    engine = _bus(branch_broker, "engine")
    engine.subscribe(t.cmd_all, engine_in)
    _start(engine)
    tech, rc = _raw(branch_broker.url("tech"), "tech-probe")
    counter, _ = _raw(branch_broker.url("counter-4"), "counter-4-probe")
    try:
        assert rc is not None and not rc.is_failure
        _barrier(counter, t, "counter-4", engine_in)
        for topic in (t.cmd("tech"), t.cmd("counter-4"), t.evt("called")):
            tech.publish(topic, b'{"v":1}', qos=1).wait_for_publish(WAIT)
        # Published after the broker acknowledged the technician's three.
        counter.publish(t.cmd("counter-4"), b'{"v":1}', qos=1).wait_for_publish(WAIT)
        assert engine_in.wait_for(t.cmd("counter-4"))
        assert engine_in.topics == [t.cmd("counter-4")]
    finally:
        for c in (tech, counter):
            c.disconnect()
            c.loop_stop()
        engine.stop()


def test_last_will_marks_a_dead_device_offline(
    branch_broker: BranchBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    t = Topics(branch_broker.branch.branch)
    board = StatusBoard(t)
    seen = Inbox()

    def on_status(topic: str, payload: bytes) -> None:
        board.feed(topic, payload)
        seen(topic, payload)

    tech = _bus(branch_broker, "tech")
    tech.subscribe(t.status_all, on_status)
    _start(tech)
    online = StatusMsg("counter-5", True, "counter", time.time(), "1.4.2", {"keypad": "ok"})
    offline = StatusMsg("counter-5", False, "counter", time.time(), "1.4.2", {})
    device, rc = _raw(
        branch_broker.url("counter-5"), "counter-5", will=(t.status("counter-5"), offline.encode())
    )
    try:
        assert rc is not None and not rc.is_failure
        device.publish(t.status("counter-5"), online.encode(), qos=1, retain=True)
        assert seen.wait_for(t.status("counter-5"))
        assert board.rows["counter-5"].state == "online"
        # Power cut: the TCP connection drops without an MQTT DISCONNECT.
        device.loop_stop()
        sock = device.socket()
        assert sock is not None
        sock.close()
        assert eventually(lambda: board.rows["counter-5"].state == "OFFLINE", WAIT)
    finally:
        tech.stop()

    # A technician arriving later reads the retained last will with the tool.
    parser = argparse.ArgumentParser()
    configure(parser)
    args_list = [
        "status",
        "--broker",
        f"mqtts://localhost:{branch_broker.tls_port}",
        "--credentials",
        str(branch_broker.cred_file("tech")),
        "--ca",
        str(branch_broker.ca),
        "--branch",
        branch_broker.branch.branch,
    ]
    assert run(parser.parse_args(args_list)) == 1
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("counter-5"))
    assert "OFFLINE" in line and "1.4.2" in line

    assert run(parser.parse_args([*args_list, "--json"])) == 1
    rows = {r["device"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["counter-5"]["state"] == "OFFLINE"
    assert rows["counter-5"]["version"] == "1.4.2"


def test_a_provisioned_device_file_logs_in_over_tls(
    branch_broker: BranchBroker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The device file as provisioned, with only the install paths and test port swapped."""
    out = branch_broker.out
    text = (out / "counter-2" / "counter-2.toml").read_text()
    text = text.replace("/etc/lobbyq/counter-2.cred", str(out / "counter-2" / "counter-2.cred"))
    text = text.replace("/etc/lobbyq/ca.crt", str(branch_broker.ca))
    text = text.replace(":8883", f":{branch_broker.tls_port}")
    config = tmp_path / "counter-2.toml"
    config.write_text(text)
    cfg = load_device_config(config)
    assert cfg.broker.url.startswith("mqtts://localhost:")
    t = cfg.topics
    birth = StatusMsg("counter-2", True, "counter", time.time(), "0.1.0", {"keypad": "ok"})
    bus = MqttBus(cfg.mqtt_url(), cfg.device_id, birth=(t.status("counter-2"), birth.encode()))
    bus.start()
    try:
        assert bus.wait_connected(WAIT)
        parser = argparse.ArgumentParser()
        configure(parser)
        codes: list[int] = []

        def counter_2_online() -> bool:
            codes.append(run(parser.parse_args(["status", "--config", str(config), "--json"])))
            rows = {r["device"]: r for r in json.loads(capsys.readouterr().out)}
            return rows.get("counter-2", {}).get("state") == "online"

        assert eventually(counter_2_online, WAIT)
        assert codes[-1] in (0, 1)  # other tests' devices may be offline
    finally:
        bus.stop()
