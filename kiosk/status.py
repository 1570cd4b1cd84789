"""The kiosk's retained status and its alerts, fed by every part's health word.

The print worker, the readers and the engine link each report here;
``dev/<kiosk>/status`` (retained, with the health of every part) goes out
when a word changes, and ``dev/<kiosk>/alert`` when a part gets worse.
The policy (which word is worth an alert, and its text) is
``kiosk.health``; the mechanism (birth, will, publishing once per change)
is the shared :class:`lobbyq.runtime.presence.Presence`, as in every app.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Protocol

from drivers.mqtt.bus import Bus
from kiosk.health import Alert, Health
from kiosk.i18n import Catalogs
from lobbyq.protocol.messages import StatusMsg
from lobbyq.protocol.topics import Topics
from lobbyq.runtime import presence

KIND = "kiosk"


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
        self.device = device
        self.catalogs = catalogs
        self.health = Health(parts)
        self._health_lock = threading.Lock()
        self.presence = presence.Presence(
            bus, topics, device, KIND, health=parts, clock=wall, logger=logger
        )

    def set_health(self, part: str, word: str, text: str = "") -> None:
        """Put ``part`` at ``word``; publish the status if it changed, alert if it got worse."""
        with self._health_lock:
            before = self.health
            self.health, alert = before.set(part, word, text)
            if self.health is not before:
                self.presence.replace(self.health.parts)
        if alert is not None:
            self._publish_alert(alert)

    def _publish_alert(self, alert: Alert) -> None:
        self.presence.alert(alert.code, alert.level, self.catalogs["en"](alert.text))

    def status_message(self, online: bool) -> StatusMsg:
        """The status with every part's health now."""
        return self.presence.message(online)

    def publish_status(self, online: bool) -> None:
        """Publish the retained status (the birth, or the goodbye at a clean stop)."""
        if online:
            self.presence.online()
        else:
            self.presence.offline()


def last_will(branch: str, device: str) -> tuple[str, bytes]:
    """The retained "offline" status to register as the MQTT last will of a kiosk.

    ``MqttBus(url, device, will=last_will(branch, device))``: the broker
    publishes it if the kiosk vanishes without saying goodbye.
    """
    return presence.last_will(Topics(branch), device, KIND)
