"""The console on the bus: what it reads, and how it says it is there.

It subscribes to the retained views, the events and every device's status
and alerts, and feeds them to the model; its own presence is one more
``dev/console/status`` like any other device's, so the device board of
another console (or ``lobbyq device status``) sees it too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from console.model import BranchModel
from drivers.mqtt.bus import Bus
from lobbyq.protocol.topics import Topics
from lobbyq.runtime.presence import Presence, last_will

DEVICE = "console"
KIND = "console"


def console_will(topics: Topics, device: str = DEVICE) -> tuple[str, bytes]:
    """The console's retained last will, to register when the bus is built."""
    return last_will(topics, device, KIND)


class ConsoleLink:
    """Connects one bus to one model; the bus is started and stopped by its owner."""

    def __init__(
        self,
        bus: Bus,
        model: BranchModel,
        *,
        device: str = DEVICE,
        clock: Callable[[], float] = time.time,
        logger: logging.Logger | None = None,
    ) -> None:
        self.bus = bus
        self.model = model
        self.topics = model.topics
        self.presence = Presence(
            bus, self.topics, device, KIND, health={"web": "ok"}, clock=clock, logger=logger
        )

    def attach(self) -> None:
        """Subscribe before the bus starts, so the retained state arrives on the first connect."""
        t = self.topics
        for topic_filter in (t.state_all, t.evt_all, t.status_all, t.alert_all):
            self.bus.subscribe(topic_filter, self.model.ingest, qos=1)
        self.bus.on_connection(self.model.set_link)
        self.presence.attach()
