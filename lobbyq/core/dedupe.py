"""A bounded memory of recent command ids, as the engine's store keeps them.

The core itself does not deduplicate (see `apply`); code that drives the core
without the store (the simulator, tests) uses this to act the way the engine
does: a redelivered command id is answered from memory and changes nothing.
Ids are scoped per device as the engine scopes them: the key is (device, id),
so one device's id never answers for another's.
"""

from __future__ import annotations

from collections import OrderedDict

from lobbyq.core.events import Event


class RecentIds:
    """The last `size` (device, command id) pairs and the events each produced."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._seen: OrderedDict[tuple[str, str], list[Event]] = OrderedDict()

    def get(self, command_id: str, device: str = "") -> list[Event] | None:
        """The events a device's command id already produced, or None if it is new."""
        return self._seen.get((device, command_id))

    def remember(self, command_id: str, events: list[Event], device: str = "") -> None:
        self._seen[(device, command_id)] = events
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
