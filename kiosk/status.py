"""The kiosk's retained status and its alerts, fed by every part's health word.

The print worker, the readers and the engine link each report here;
``dev/<kiosk>/status`` (retained, with the health of every part) goes out
when a word changes, and ``dev/<kiosk>/alert`` when a part gets worse
(``kiosk.health`` decides which).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from drivers.mqtt.bus import Bus
from kiosk.health import Alert, Health
from kiosk.i18n import Catalogs
from lobbyq.protocol.messages import AlertMsg, StatusMsg
from lobbyq.protocol.topics import Topics
from lobbyq.runtime.version import VERSION


class SetHealth(Protocol):
    """How a part of the kiosk reports its health word (``StatusReporter.set_health``)."""

    def __call__(self, part: str, word: str, text: str = "") -> None: ...


class StatusReporter:
    """Holds the kiosk's health and publishes its status and alerts (thread-safe)."""

    def __init__(
        self,
        bus: Bus,
        topics: Topics,
        device: str,
        catalogs: Catalogs,
        parts: Mapping[str, str],
        *,
        logger: logging.Logger,
        wall: Callable[[], float],
    ) -> None:
        self.bus = bus
        self.topics = topics
        self.device = device
        self.catalogs = catalogs
        self.log = logger
        self.wall = wall
        self.health = Health(parts)
        self._health_lock = threading.Lock()

    def set_health(self, part: str, word: str, text: str = "") -> None:
        """Put ``part`` at ``word``; publish the status if it changed, alert if it got worse."""
        with self._health_lock:
            before = self.health
            self.health, alert = before.set(part, word, text)
            changed = self.health is not before
        if changed:
            self.publish_status(online=True)
        if alert is not None:
            self._publish_alert(alert)

    def _publish_alert(self, alert: Alert) -> None:
        text = self.catalogs["en"](alert.text)
        msg = AlertMsg(self.device, alert.code, alert.level, text, self.wall())
        self.log.warning("alert %s (%s): %s", alert.code, alert.level, text)
        self.bus.publish(self.topics.alert(self.device), msg.encode(), qos=1)

    def status_message(self, online: bool) -> StatusMsg:
        """The status with every part's health now (also the demo's last will)."""
        with self._health_lock:
            parts = dict(self.health.parts)
        return StatusMsg(self.device, online, "kiosk", self.wall(), VERSION, parts)

    def publish_status(self, online: bool) -> None:
        """Publish the retained status, so monitoring sees the kiosk as it is now."""
        msg = self.status_message(online)
        self.bus.publish(self.topics.status(self.device), msg.encode(), qos=1, retain=True)


def last_will(branch: str, device: str) -> tuple[str, bytes]:
    """The retained "offline" status to register as the MQTT last will of a kiosk.

    ``MqttBus(url, device, will=last_will(branch, device))``: the broker
    publishes it if the kiosk vanishes without saying goodbye.
    """
    topic = Topics(branch).status(device)
    return topic, StatusMsg(device, False, "kiosk", time.time(), VERSION, {}).encode()
