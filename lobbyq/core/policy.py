"""Dispatch policies: which waiting ticket a counter calls next.

A policy is pure and has two parts:
- `key(config, customer_class, arrival_s)`: the sort key a ticket gets when it
  joins a service queue (fixed at insertion, so each queue's head is `q[0]`);
- `pick(state, services, now)`: which service's head to take among the
  candidate services a counter may serve right now.

Which services are candidates is the counter's business, not the policy's:
tickets transferred to the counter itself always come first; then a
"primary" counter offers only its first service that has anyone waiting
(secondary services when the primary queue is empty), a "pooled" counter
offers all of them and lets the policy choose.

Policies (`branch.policy`):
- `fifo`: earliest arrival first; customer classes are ignored.
- `priority-aging`: rank = class head start (minutes, `branch.priority_minutes`;
  default normal 0, vip 10, appointment 10, care 15) + minutes waited; the
  highest rank is called. Since every waiting ticket's rank grows at the same
  rate, this equals ordering by `arrival - head start`, a key fixed at
  insertion (O(log n), no re-sorting), and it bounds starvation: a ticket is
  never passed by anyone who arrived more than the largest head start after
  it. An appointment whose `due` time has come goes before everyone.
- `shortest-first`: among the candidate services, the one with the shortest
  expected service time (moving average), then earliest arrival (seed 002).
- `longest-first`: the opposite, kept as the seed's counter-example.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lobbyq.core.config import BranchConfig, CounterConfig
from lobbyq.core.state import BranchState

KeyFn = Callable[[BranchConfig, str, float], float]
PickFn = Callable[[BranchState, Sequence[str], float], "str | None"]


@dataclass(frozen=True, slots=True)
class Policy:
    name: str
    key: KeyFn
    pick: PickFn


def _arrival_key(config: BranchConfig, customer_class: str, arrival_s: float) -> float:
    return arrival_s


def _aging_key(config: BranchConfig, customer_class: str, arrival_s: float) -> float:
    return arrival_s - 60.0 * config.priority_minutes.get(customer_class, 0.0)


def _pick_min_head(state: BranchState, services: Sequence[str], now: float) -> str | None:
    queues = state.queues
    if len(services) == 1:
        q = queues[services[0]]
        return q[0][3] if q else None
    best = None
    for s in services:
        q = queues[s]
        if q and (best is None or q[0] < best):
            best = q[0]
    return best[3] if best is not None else None


def _pick_aging(state: BranchState, services: Sequence[str], now: float) -> str | None:
    due_best: tuple[float, str] | None = None
    appointments = state.appointments
    for s in services:
        for tid, due in appointments[s].items():
            if due <= now and (due_best is None or (due, tid) < due_best):
                due_best = (due, tid)
    if due_best is not None:
        return due_best[1]
    return _pick_min_head(state, services, now)


def _pick_by_service_time(longest: bool) -> PickFn:
    sign = -1.0 if longest else 1.0

    def pick(state: BranchState, services: Sequence[str], now: float) -> str | None:
        best = None
        avg = state.avg_service_s
        queues = state.queues
        for s in services:
            q = queues[s]
            if q:
                cand = (sign * avg[s], q[0])
                if best is None or cand < best:
                    best = cand
        return best[1][3] if best is not None else None

    return pick


POLICIES: dict[str, Policy] = {
    "fifo": Policy("fifo", _arrival_key, _pick_min_head),
    "priority-aging": Policy("priority-aging", _aging_key, _pick_aging),
    "shortest-first": Policy("shortest-first", _arrival_key, _pick_by_service_time(False)),
    "longest-first": Policy("longest-first", _arrival_key, _pick_by_service_time(True)),
}


def register_policy(policy: Policy) -> None:
    """Add a policy by name (a branch names it in `branch.policy`)."""
    POLICIES[policy.name] = policy


def choose(state: BranchState, counter: CounterConfig, now: float) -> str | None:
    """The ticket id `counter` should call now, or None when nobody waits for it."""
    direct = state.queues.get("@" + counter.id)
    if direct:
        return direct[0][3]
    queues = state.queues
    if counter.mode == "primary":
        for s in counter.services:
            if queues[s]:
                return POLICIES[state.config.policy].pick(state, (s,), now)
        return None
    return POLICIES[state.config.policy].pick(state, counter.services, now)
