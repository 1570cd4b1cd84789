"""Helpers for counter flow tests: a branch's services, states, and an event-script runner."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from counter.flow import (
    CounterState,
    Effect,
    EngineView,
    Event,
    FlowConfig,
    Send,
    step,
)
from counter.keys import ServiceKey

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


def run(state: CounterState, events: Iterable[Event]) -> tuple[CounterState, list[Effect]]:
    """Feed events in order; return the final state and every effect."""
    out: list[Effect] = []
    for ev in events:
        state, fx = step(state, ev)
        out.extend(fx)
    return state, out


def sends(effects: Iterable[Effect]) -> list[Send]:
    return [e for e in effects if isinstance(e, Send)]
