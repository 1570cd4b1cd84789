"""One presence helper: birth on every connect, will, health changes once, alerts."""

from __future__ import annotations

import logging

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
