"""Shared pieces of the counter tests: a branch's services, states, engine events, a runner."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from counter.app import CounterApp
from counter.flow import (
    CounterState,
    Effect,
    EngineView,
    Event,
    FlowConfig,
    Logged,
    Send,
    step,
)
from counter.keys import ServiceKey
from drivers.bus.sim import BusSim
from drivers.keypad.sim import KeypadSim
from drivers.led.sim import StripSim
from drivers.mqtt.bus import MemoryBus
from drivers.mqtt.request import Requester
from drivers.ratingpad.sim import RatingPadSim
from lobbyq.core import events as ce

SERVICES = (
    ServiceKey("A", "A", 3),
    ServiceKey("B", "B", 3),
    ServiceKey("C", "C", 3),
    ServiceKey("D", "D", 3),
)


def make_state(**view: Any) -> CounterState:
    """A counter 3 state whose engine view has the given fields."""
    cfg = FlowConfig(counter="3", services=SERVICES, rating_timeout_s=30.0)
    return CounterState(config=cfg, view=EngineView(**view), link_up=True)


def called(number: str, seq: int = 11, recall: bool = False, counter: str = "3") -> Logged:
    """A reply's ``ticket_called`` for ``number`` at ``counter``, at log position ``seq``."""
    ev = ce.TicketCalled(0.0, "t" + number, number, number[0], counter, "1024", recall)
    return Logged(seq, ev)


def finished(number: str, seq: int = 20, counter: str = "3") -> Logged:
    return Logged(
        seq, ce.TicketFinished(0.0, "t" + number, number, number[0], counter, "1024", 60.0)
    )


def run(state: CounterState, events: Iterable[Event]) -> tuple[CounterState, list[Effect]]:
    """Feed events in order; return the final state and every effect."""
    out: list[Effect] = []
    for ev in events:
        state, fx = step(state, ev)
        out.extend(fx)
    return state, out


def sends(effects: Iterable[Effect]) -> list[Send]:
    return [e for e in effects if isinstance(e, Send)]


FAST_BUS = {"keepalive_s": 0.1, "reply_timeout_s": 0.03, "baudrate": 1_000_000, "backoff_max": 0.05}


@dataclass
class Branch:
    """An engine on an in-memory MQTT bus, with counter 3's bus of simulated devices."""

    config: Any
    bus: MemoryBus
    engine: Any
    kiosk: Requester
    sim: BusSim
    keypad: KeypadSim
    pad: RatingPadSim
    strip: StripSim
    app: CounterApp

    def issue(self, service: str) -> str:
        reply = self.kiosk.request("issue_ticket", service=service, timeout=3.0)
        assert reply.ok, reply
        ev = reply.event("ticket_issued")
        assert ev is not None
        return str(ev["number"])

    def idle(self) -> None:
        assert self.app.wait_idle(3.0)
