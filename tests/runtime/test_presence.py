"""One presence helper: birth on every connect, will, health changes once, alerts."""

from __future__ import annotations

import logging
import threading

import pytest

from drivers.mqtt.bus import MemoryBus
from lobbyq.protocol.messages import AlertMsg, StatusMsg
from lobbyq.protocol.topics import Topics
from lobbyq.runtime.presence import Presence, last_will
from lobbyq.runtime.version import VERSION

TOPICS = Topics("b1")


def _status(bus: MemoryBus, device: str) -> StatusMsg:
    raw = bus.retained(TOPICS.status(device))
    assert raw is not None
    return StatusMsg.decode(raw)


def _statuses(bus: MemoryBus, device: str) -> list[StatusMsg]:
    topic = TOPICS.status(device)
    return [StatusMsg.decode(p) for t, p, _ in bus.published if t == topic]


def test_birth_on_every_connect_carries_kind_version_and_health() -> None:
    bus = MemoryBus()
    p = Presence(bus, TOPICS, "counter-3", "counter", health={"keypad": "ok"}, clock=lambda: 5.0)
    p.attach()
    bus.start()
    st = _status(bus, "counter-3")
    assert (st.online, st.kind, st.version, st.at) == (True, "counter", VERSION, 5.0)
    assert st.health == {"keypad": "ok"}
    bus.stop()
    bus.start()  # a reconnect: the broker may have lost the retained birth
    assert len(_statuses(bus, "counter-3")) == 2


def test_a_health_word_is_published_only_when_it_changes() -> None:
    bus = MemoryBus()
    p = Presence(bus, TOPICS, "kiosk-1", "kiosk")
    p.online()
    assert p.set("printer", "ok") is True
    assert p.set("printer", "ok") is False
    assert p.set("printer", "paper_out") is True
    words = [s.health.get("printer") for s in _statuses(bus, "kiosk-1")]
    assert words == [None, "ok", "paper_out"]
    assert p.health == {"printer": "paper_out"}


def test_nothing_is_published_as_healthy_before_the_birth() -> None:
    bus = MemoryBus()
    p = Presence(bus, TOPICS, "display-hall", "display")
    p.set("hall_led", "ok")
    assert bus.published == []
    p.online()
    assert _status(bus, "display-hall").health == {"hall_led": "ok"}


def test_offline_and_the_will_say_the_same() -> None:
    bus = MemoryBus()
    p = Presence(bus, TOPICS, "engine", "engine", health={"log": "ok"})
    p.online()
    p.offline()
    st = _status(bus, "engine")
    assert (st.online, st.health) == (False, {})
    topic, payload = last_will(TOPICS, "engine", "engine")
    will = StatusMsg.decode(payload)
    assert topic == TOPICS.status("engine") == p.will()[0]
    assert (will.online, will.kind, will.health, will.version) == (False, "engine", {}, VERSION)


def test_an_alert_is_published_and_logged_with_the_device(caplog: pytest.LogCaptureFixture) -> None:
    bus = MemoryBus()
    p = Presence(bus, TOPICS, "counter-2", "counter", clock=lambda: 9.0)
    with caplog.at_level(logging.WARNING):
        p.alert("keypad_offline", "warning", "keypad at counter 2: no answer")
    (topic, raw, retain) = bus.published[-1]
    assert topic == TOPICS.alert("counter-2") and not retain
    msg = AlertMsg.decode(raw)
    assert (msg.code, msg.level, msg.at) == ("keypad_offline", "warning", 9.0)
    assert "counter-2 alert keypad_offline" in caplog.text


def test_replace_drops_parts_not_named() -> None:
    bus = MemoryBus()
    p = Presence(bus, TOPICS, "display-hall", "display", health={"hall_led": "ok", "voice": "ok"})
    p.online()
    assert p.replace({"hall_led": "offline"}) is True
    assert p.replace({"hall_led": "offline"}) is False
    assert _status(bus, "display-hall").health == {"hall_led": "offline"}


class _SlowBus(MemoryBus):
    """Holds the first status publish until told, as a busy MQTT client can."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()
        self._held = False

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        if retain and not self._held:
            self._held = True
            self.entered.set()
            self.release.wait(5)
        super().publish(topic, payload, qos=qos, retain=retain)


def test_a_status_built_earlier_is_never_published_after_a_newer_one() -> None:
    # The race behind a working strip shown offline: a reconnect's birth built
    # with the strip offline, a "strip ok" published meanwhile from the bus thread.
    bus = _SlowBus()
    p = Presence(bus, TOPICS, "counter-3", "counter", health={"strip": "offline"})
    birth = threading.Thread(target=p.online)
    birth.start()
    assert bus.entered.wait(5)
    ok = threading.Thread(target=p.set, args=("strip", "ok"))
    ok.start()
    ok.join(0.2)  # it must wait for the birth to be handed over first
    bus.release.set()
    birth.join(5)
    ok.join(5)
    assert [s.health["strip"] for s in _statuses(bus, "counter-3")] == ["offline", "ok"]
    assert _status(bus, "counter-3").health == {"strip": "ok"}


def test_health_changes_wait_for_the_next_birth_while_the_link_is_down() -> None:
    bus = MemoryBus()
    p = Presence(bus, TOPICS, "counter-3", "counter", health={"strip": "ok"})
    p.attach()
    bus.start()
    bus.stop()
    n = len(bus.published)
    p.set("strip", "offline")  # a client would queue it and send it after the fresh birth
    assert len(bus.published) == n
    bus.start()
    assert _status(bus, "counter-3").health == {"strip": "offline"}
