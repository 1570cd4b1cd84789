"""Expected waits: a cheap, explainable estimate a customer can read on a ticket.

For a service `s` with `p` people ahead:
- capacity `c` = open counters serving `s` with a teller, each counting 1 if
  `s` is its primary service or the counter is pooled, 0.5 if `s` is only a
  secondary service there (it serves `s` when its primary queue is empty);
- `idle` = those counters with nobody at the counter;
- `m` = moving average of the service time of `s` (starts at
  `expected_min`, then `m <- m + 0.2 (x - m)` on each finished ticket).

wait = 0 if p < idle, else (p - idle + 0.5) * m / c: the `0.5` is the mean
remaining time of the service in progress. With no open counter the wait is
unknown (None) and the kiosk says so rather than inventing a figure.
"""

from __future__ import annotations

from lobbyq.core.state import OPEN, BranchState

EWMA_ALPHA = 0.2


def capacity(state: BranchState, service: str) -> tuple[float, int]:
    """(weighted open counters serving `service`, how many of them are idle)."""
    c = 0.0
    idle = 0
    for counter, weight in state.serving[service]:
        if counter.status == OPEN and counter.teller is not None:
            c += weight
            if counter.current is None:
                idle += 1
    return c, idle


def expected_wait_s(state: BranchState, service: str, ahead: int) -> float | None:
    """Seconds a ticket with `ahead` people before it should wait (None: no counter open)."""
    c, idle = capacity(state, service)
    return wait_formula(ahead, c, idle, state.avg_service_s[service])


def wait_formula(ahead: int, c: float, idle: int, mean_service_s: float) -> float | None:
    """The estimate itself, for callers that already know the capacity (queue views)."""
    if c == 0.0:
        return None
    if ahead < idle:
        return 0.0
    return round((ahead - idle + 0.5) * mean_service_s / c, 1)
