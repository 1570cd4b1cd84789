"""A device's presence on the bus: retained birth, last will, health words and alerts.

Every service (engine, kiosk, counter, display) says the same three things
about itself, and a monitor (``lobbyq device status``, the console) reads
them the same way:

| topic | retained | sent | payload (``StatusMsg`` / ``AlertMsg``) |
|---|---|---|---|
| ``dev/<d>/status`` | yes | each connect (birth), health change | online, kind, version, health |
| ``dev/<d>/status`` | yes | by the broker as the last will; at a stop | offline, empty health |
| ``dev/<d>/alert`` | no | when the app's policy says a person should act | code, level, text |

The app keeps its policy (which words a part can take, which change is worth
an alert); this class keeps the mechanism, so the four services cannot drift
apart in what they publish. Health changes are published only when a word
really changes, so a part polled every second does not flood the broker,
and only while the bus is up: a client would otherwise queue an old picture
and deliver it after the fresh birth of the next connect.

Each status is built and handed to the bus under one lock, so two threads
(a device going online on the bus thread, a reconnect on the MQTT thread)
cannot publish in the opposite order to the one they built in: the retained
status is always the newest health, never an older picture that lost a race.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from drivers.mqtt.bus import Bus
from lobbyq.protocol.messages import AlertMsg, StatusMsg
from lobbyq.protocol.topics import Topics
from lobbyq.runtime.version import VERSION


def last_will(topics: Topics, device: str, kind: str) -> tuple[str, bytes]:
    """The retained "offline" status to register as the MQTT last will (topic, payload).

    Built before the bus exists (``MqttBus(url, device, will=...)``), so it is
    a function of names alone; ``at`` is 0 because the broker, not the
    device, decides when it is sent.
    """
    return topics.status(device), StatusMsg(device, False, kind, 0.0, VERSION).encode()


class Presence:
    """Publishes one device's status and alerts; safe to call from any thread."""

    def __init__(
        self,
        bus: Bus,
        topics: Topics,
        device: str,
        kind: str,
        *,
        health: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
        logger: logging.Logger | None = None,
    ) -> None:
        self.bus = bus
        self.topics = topics
        self.device = device
        self.kind = kind
        self._clock = clock
        self._log = logger or logging.getLogger(f"lobbyq.{kind}")
        # Reentrant: a MemoryBus delivers in the publishing thread, and a listener may ask again.
        self._lock = threading.RLock()
        self._health: dict[str, str] = dict(health or {})
        self._online = False

    @property
    def health(self) -> dict[str, str]:
        """A copy of the current health words, part -> word."""
        with self._lock:
            return dict(self._health)

    def will(self) -> tuple[str, bytes]:
        """This device's last will (topic, payload)."""
        return last_will(self.topics, self.device, self.kind)

    @property
    def is_online(self) -> bool:
        """Whether the birth went out and no clean stop followed."""
        with self._lock:
            return self._online

    def message(self, online: bool) -> StatusMsg:
        """The status this device would publish now."""
        with self._lock:
            health = dict(self._health) if online else {}
        return StatusMsg(self.device, online, self.kind, self._clock(), VERSION, health)

    def attach(self) -> None:
        """Publish the birth on every (re)connect, so a broker that lost it gets it back."""
        self.bus.on_connection(self._on_connection)

    def _on_connection(self, up: bool) -> None:
        if up:
            self.online()
        else:
            with self._lock:
                self._online = False  # no health while down: the next birth carries it

    def online(self) -> None:
        """Publish the retained birth (online, with the current health)."""
        with self._lock:
            self._online = True
            self._publish(self.message(True))

    def offline(self) -> None:
        """Publish the retained offline status at a clean stop, as the will would."""
        with self._lock:
            self._online = False
            self._publish(self.message(False))

    def set(self, part: str, word: str) -> bool:
        """Set one part's health word; publish the status if it changed. True if it did."""
        with self._lock:
            if self._health.get(part) == word:
                return False
            self._health[part] = word
            if self._online:
                self._publish(self.message(True))
        return True

    def replace(self, health: Mapping[str, str]) -> bool:
        """Set every part's health word at once (parts not named are dropped)."""
        with self._lock:
            if self._health == dict(health):
                return False
            self._health = dict(health)
            if self._online:
                self._publish(self.message(True))
        return True

    def alert(self, code: str, level: str, text: str) -> None:
        """Tell the people who watch the branch that something needs a hand."""
        msg = AlertMsg(self.device, code, level, text, self._clock())
        self._log.warning("%s alert %s (%s): %s", self.device, code, level, text)
        self.bus.publish(self.topics.alert(self.device), msg.encode(), qos=1)

    def _publish(self, msg: StatusMsg) -> None:
        self.bus.publish(self.topics.status(msg.device), msg.encode(), qos=1, retain=True)
