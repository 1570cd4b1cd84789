"""Driving a simulated bus from tests, benchmarks and the demo.

``EventLog`` collects a ``BusMaster``'s events and lets a caller wait for one
(no blind sleeps); ``replug_recovery`` pulls a ``BusSim``'s cable and times
how long the master takes to see every device again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from drivers.bus.events import BusEvent, DeviceOffline, DeviceOnline
from drivers.bus.master import BusMaster
from drivers.bus.sim import BusSim
from drivers.errors import DeviceTimeout

E = TypeVar("E", bound=BusEvent)


class EventLog:
    """Collects BusMaster events; tests wait on it instead of sleeping."""

    def __init__(self) -> None:
        self.events: list[BusEvent] = []
        self._cond = threading.Condition()

    def __call__(self, ev: BusEvent) -> None:
        with self._cond:
            self.events.append(ev)
            self._cond.notify_all()

    def of(self, cls: type[E]) -> list[E]:
        with self._cond:
            return [e for e in self.events if isinstance(e, cls)]

    def wait_for(
        self, cls: type[E], pred: Callable[[E], bool] = lambda e: True, timeout: float = 3.0
    ) -> E:
        """The first event of ``cls`` matching ``pred``, waiting if need be."""
        with self._cond:
            found: list[E] = []

            def ready() -> bool:
                found[:] = [e for e in self.events if isinstance(e, cls) and pred(e)]
                return bool(found)

            if not self._cond.wait_for(ready, timeout):
                raise DeviceTimeout(f"no {cls.__name__} within {timeout}s: {self.events}")
            return found[0]

    def clear(self) -> None:
        with self._cond:
            self.events.clear()


def replug_recovery(
    sim: BusSim, master: BusMaster, log: EventLog, addrs: list[int], timeout: float = 3.0
) -> float:
    """Unplug, see every device go offline, replug; seconds until all are back.

    Events are told apart by their host time stamp, not by clearing the log:
    the dispatcher may still be delivering an older ``DeviceOnline``.
    """
    for a in addrs:
        if not master.wait_online(a, timeout):
            raise DeviceTimeout(f"@{a:02X} not online before the unplug")
    t_unplug = master.clock()
    sim.unplug()
    for a in addrs:
        log.wait_for(DeviceOffline, _at(a, t_unplug), timeout)
    t_replug = master.clock()
    sim.replug()
    for a in addrs:
        ev = log.wait_for(DeviceOnline, _at(a, t_replug), timeout)
        if not ev.restarted:  # a power cut: the app must be told to resend
            raise DeviceTimeout(f"@{a:02X} came back without the restarted flag")
    return master.clock() - t_replug


def _at(addr: int, since: float) -> Callable[[BusEvent], bool]:
    return lambda e: e.addr == addr and e.t >= since
