"""Staffing advisor: Erlang C predictions and plain-words advice per group of counters.

The formula (Erlang 1917; Cooper, *Introduction to Queueing Theory*, 2nd ed.
1981, section 3.3; Koole, *Call Center Mathematics*, 2013, chapter 4). A group
of `c` counters serves customers who arrive at rate `lambda` (per minute) and
take `s` minutes on average. The offered load is `a = lambda * s` Erlangs and
the utilisation `rho = a / c`. For `rho < 1` the M/M/c queue is stable and:

- Erlang B, by the recursion `B(0) = 1`, `B(k) = a B(k-1) / (k + a B(k-1))`
  (never factorials or powers, so it stays in [0, 1] for any `c`);
- probability of waiting `C(c, a) = c B / (c - a (1 - B))` (Erlang C);
- service level `SL(t) = P(W <= t) = 1 - C exp(-(c - a) t / s)`, the share of
  customers called within the target `t` (the branch's `target_wait_min`);
- mean wait `E[W] = C s / (c - a)`.

For `rho >= 1` the queue grows without limit: the prediction says so
(`stable` false, service level 0, mean wait infinite) instead of dividing by
zero.

Limits. Erlang C assumes Poisson arrivals, exponential service times, one
first-come queue for the whole group, identical counters, a steady load, and
that nobody leaves (no abandonment). A real lobby has customers who give up,
so real waits are somewhat shorter than predicted at high load: the advice
errs on the side of more counters. A group whose counters serve several
services with different means is modelled as one pool at the arrival-weighted
mean service time; `primary` counters that prefer one service are treated as
if pooled. The arrival rate is the last window's (30 minutes by default), so
in the first half hour after opening it reads low.

Groups. Counters that share a service pool their capacity for it, so the
advisor works on connected groups: two services are in one group when some
counter takes both, two counters when they take a common service.

Advice. Open counters (1 or 2) while the predicted service level is below
`goal` (0.8 by default: 80% called within target); release one counter when
the level with one fewer stays at or above `release_goal` (0.9). Because
`release_goal >= goal`, the advice cannot flap: after opening, one fewer is
the old level, below `goal`; after a release, the new level is above it.
Every piece of advice carries a code and numbers so the console can say it in
any language; `text_en` is the English sentence, for logs and tests.

Everything here is pure: no I/O, no clock (time comes in as `now`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lobbyq.core.config import BranchConfig
from lobbyq.core.state import OPEN, BranchState

WINDOW_S = 1800.0
GOAL = 0.8
RELEASE_GOAL = 0.9

OPEN_MORE = "open"
RELEASE = "release"
NO_CHANGE = "ok"
ALL_OPEN = "all_open"
ADVICE_CODES: tuple[str, ...] = (OPEN_MORE, RELEASE, NO_CHANGE, ALL_OPEN)
DELTAS: tuple[int, ...] = (-1, 0, 1, 2)


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of c servers at load a Erlangs, by the stable recursion."""
    _check(c, a)
    b = 1.0
    for k in range(1, c + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability an arriving customer waits at all (1.0 when the queue is unstable)."""
    _check(c, a)
    if a == 0.0:
        return 0.0
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    return min(1.0, c * b / (c - a * (1.0 - b)))


def _check(c: int, a: float) -> None:
    if c < 0:
        raise ValueError(f"counters must be >= 0, got {c}")
    if not a >= 0.0 or math.isinf(a):  # also rejects NaN
        raise ValueError(f"load must be a finite number >= 0, got {a}")


@dataclass(frozen=True, slots=True)
class Prediction:
    """What Erlang C predicts for one number of counters (times in seconds)."""

    counters: int
    load_erlangs: float
    utilisation: float  # rho = load / counters; inf with no counter and some load
    stable: bool
    p_wait: float
    service_level: float  # share called within the target wait
    mean_wait_s: float  # inf when unstable

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: an infinite figure becomes None (with `stable` false)."""
        return {
            "counters": self.counters,
            "load_erlangs": round(self.load_erlangs, 4),
            "utilisation": _finite(self.utilisation, 4),
            "stable": self.stable,
            "p_wait": round(self.p_wait, 4),
            "service_level": round(self.service_level, 4),
            "mean_wait_s": _finite(self.mean_wait_s, 1),
        }


def _finite(x: float, digits: int) -> float | None:
    return round(x, digits) if math.isfinite(x) else None


def predict(
    counters: int, arrivals_per_min: float, mean_service_s: float, target_wait_s: float
) -> Prediction:
    """Erlang C for `counters` open counters; see the module docstring for the formula."""
    if counters < 0:
        raise ValueError(f"counters must be >= 0, got {counters}")
    if not arrivals_per_min >= 0.0 or not mean_service_s >= 0.0 or not target_wait_s >= 0.0:
        raise ValueError("arrival rate, service time and target must be >= 0")
    s_min = mean_service_s / 60.0
    a = arrivals_per_min * s_min
    if a == 0.0:
        rho = 0.0 if counters else (math.inf if arrivals_per_min else 0.0)
        return Prediction(counters, 0.0, rho, True, 0.0, 1.0, 0.0)
    if a >= counters:
        rho = a / counters if counters else math.inf
        return Prediction(counters, a, rho, False, 1.0, 0.0, math.inf)
    pw = erlang_c(counters, a)
    spare = counters - a
    sl = 1.0 - pw * math.exp(-spare * (target_wait_s / 60.0) / s_min)
    wait_s = pw * mean_service_s / spare
    return Prediction(counters, a, a / counters, True, pw, min(1.0, max(0.0, sl)), wait_s)


@dataclass(frozen=True, slots=True)
class Group:
    """Counters that share services, and the services they share (config order)."""

    services: tuple[str, ...]
    counters: tuple[str, ...]


def counter_groups(config: BranchConfig) -> tuple[Group, ...]:
    """Connected groups of counters and services; self-service services have no counter."""
    served = {s.code for s in config.services if not s.self_service}
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for cc in config.counters:
        node = "c:" + cc.id
        find(node)
        for code in cc.services:
            if code in served:
                parent[find("s:" + code)] = find(node)
    groups: dict[str, tuple[list[str], list[str]]] = {}
    for svc in config.services:
        if svc.code in served and "s:" + svc.code in parent:
            groups.setdefault(find("s:" + svc.code), ([], []))[0].append(svc.code)
    for cc in config.counters:
        root = find("c:" + cc.id)
        if root in groups:
            groups[root][1].append(cc.id)
    return tuple(Group(tuple(s), tuple(c)) for s, c in groups.values())


@dataclass(frozen=True, slots=True)
class StaffingInputs:
    """What the advisor needs: per-service arrival rate and mean service time, counters."""

    arrivals_per_min: Mapping[str, float]
    mean_service_s: Mapping[str, float]
    open_counters: frozenset[str]
    idle_counters: frozenset[str] = frozenset()  # open with nobody at the counter
    window_s: float = WINDOW_S

    def to_dict(self) -> dict[str, Any]:
        return {
            "arrivals_per_min": {k: round(v, 4) for k, v in self.arrivals_per_min.items()},
            "mean_service_s": {k: round(v, 1) for k, v in self.mean_service_s.items()},
            "open_counters": sorted(self.open_counters),
            "idle_counters": sorted(self.idle_counters),
            "window_s": self.window_s,
        }


def inputs_from_state(state: BranchState, now: float, window_s: float = WINDOW_S) -> StaffingInputs:
    """The advisor's inputs at `now`: tickets issued in the last window, moving averages.

    A ticket counts for the service it was issued for (`range_service`), so a
    transfer does not count twice. Open means open with a teller, as in the
    ticket's wait estimate; a paused or closed counter is not open.
    """
    if window_s <= 0.0:
        raise ValueError(f"window must be > 0 s, got {window_s}")
    since = now - window_s
    counts = {s.code: 0 for s in state.config.services}
    for t in state.tickets.values():
        if since < t.issued_at <= now and t.range_service in counts:
            counts[t.range_service] += 1
    per_min = 60.0 / window_s
    open_ids = frozenset(
        c.id for c in state.counters.values() if c.status == OPEN and c.teller is not None
    )
    idle = frozenset(cid for cid in open_ids if state.counters[cid].current is None)
    return StaffingInputs(
        arrivals_per_min={code: n * per_min for code, n in counts.items()},
        mean_service_s=dict(state.avg_service_s),
        open_counters=open_ids,
        idle_counters=idle,
        window_s=window_s,
    )


@dataclass(frozen=True, slots=True)
class Advice:
    """One piece of advice: a code, the counters it names and the levels it quotes."""

    code: str  # open | release | ok | all_open
    counters: tuple[str, ...]  # to open (open), to release (release), else ()
    services: tuple[str, ...]
    service_level_now: float
    service_level_after: float  # equal to now for ok / all_open
    mean_wait_now_s: float
    mean_wait_after_s: float
    reaches_goal: bool  # after the advice, service level >= goal
    text_en: str

    def params(self) -> dict[str, Any]:
        """Template parameters for a translated sentence (percentages floored)."""
        return {
            "count": len(self.counters),
            "counters": list(self.counters),
            "counter": self.counters[0] if self.counters else None,
            "services": list(self.services),
            "now_pct": pct(self.service_level_now),
            "after_pct": pct(self.service_level_after),
            "wait_now_min": _minutes(self.mean_wait_now_s),
            "wait_after_min": _minutes(self.mean_wait_after_s),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "counters": list(self.counters),
            "services": list(self.services),
            "service_level_now": round(self.service_level_now, 4),
            "service_level_after": round(self.service_level_after, 4),
            "mean_wait_now_s": _finite(self.mean_wait_now_s, 1),
            "mean_wait_after_s": _finite(self.mean_wait_after_s, 1),
            "reaches_goal": self.reaches_goal,
            "params": self.params(),
            "text_en": self.text_en,
        }


def pct(level: float) -> int:
    """A service level as a whole percentage, floored: "stays at 95%" is never rounded up."""
    return math.floor(level * 100.0 + 1e-9)


def _minutes(wait_s: float) -> float | None:
    return round(wait_s / 60.0, 1) if math.isfinite(wait_s) else None


@dataclass(frozen=True, slots=True)
class GroupForecast:
    """One group's figures now and with one fewer, one more and two more counters."""

    group: Group
    open_counters: tuple[str, ...]
    arrivals_per_min: float
    mean_service_s: float
    target_wait_s: float
    goal: float
    options: Mapping[int, Prediction]  # delta -> prediction; -1 absent with no counter open
    advice: Advice
    closed_counters: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "services": list(self.group.services),
            "counters": list(self.group.counters),
            "open_counters": list(self.open_counters),
            "closed_counters": list(self.closed_counters),
            "arrivals_per_min": round(self.arrivals_per_min, 4),
            "mean_service_s": round(self.mean_service_s, 1),
            "target_wait_s": self.target_wait_s,
            "goal": self.goal,
            "options": {str(d): p.to_dict() for d, p in self.options.items()},
            "advice": self.advice.to_dict(),
        }


def forecast(
    config: BranchConfig,
    inputs: StaffingInputs,
    goal: float = GOAL,
    release_goal: float = RELEASE_GOAL,
    min_open: int = 1,
) -> tuple[GroupForecast, ...]:
    """Per group: predictions for -1, 0, +1, +2 counters and the advice that follows."""
    if not 0.0 < goal <= release_goal <= 1.0:
        raise ValueError("need 0 < goal <= release_goal <= 1")
    target_s = config.target_wait_min * 60.0
    out = []
    for g in counter_groups(config):
        lam = sum(inputs.arrivals_per_min.get(s, 0.0) for s in g.services)
        mean_s = _mean_service(g.services, inputs, config)
        open_ids = tuple(c for c in g.counters if c in inputs.open_counters)
        closed = tuple(c for c in g.counters if c not in inputs.open_counters)
        c = len(open_ids)
        options = {d: predict(c + d, lam, mean_s, target_s) for d in DELTAS if c + d >= 0}
        idle = tuple(cid for cid in open_ids if cid in inputs.idle_counters)
        advice = _advise(g, options, closed, open_ids, idle, goal, release_goal, min_open)
        out.append(GroupForecast(g, open_ids, lam, mean_s, target_s, goal, options, advice, closed))
    return tuple(out)


def _mean_service(services: Iterable[str], inputs: StaffingInputs, config: BranchConfig) -> float:
    """Arrival-weighted mean service time of a group (plain mean when nobody came)."""
    pairs = [
        (
            inputs.arrivals_per_min.get(s, 0.0),
            inputs.mean_service_s.get(s, config.service[s].expected_min * 60.0),
        )
        for s in services
    ]
    lam = sum(w for w, _ in pairs)
    if lam > 0.0:
        return sum(w * m for w, m in pairs) / lam
    return sum(m for _, m in pairs) / len(pairs)


def _advise(
    g: Group,
    options: Mapping[int, Prediction],
    closed: tuple[str, ...],
    open_ids: tuple[str, ...],
    idle: tuple[str, ...],
    goal: float,
    release_goal: float,
    min_open: int,
) -> Advice:
    now = options[0]

    def advice(code: str, counters: tuple[str, ...], after: Prediction) -> Advice:
        a = Advice(
            code=code,
            counters=counters,
            services=g.services,
            service_level_now=now.service_level,
            service_level_after=after.service_level,
            mean_wait_now_s=now.mean_wait_s,
            mean_wait_after_s=after.mean_wait_s,
            reaches_goal=after.service_level >= goal,
            text_en="",
        )
        return _with_text(a)

    if now.service_level < goal:
        if not closed:
            return advice(ALL_OPEN, (), now)
        k = 1 if options[1].service_level >= goal or len(closed) == 1 else 2
        return advice(OPEN_MORE, closed[:k], options[k])
    fewer = options.get(-1)
    if fewer is not None and len(open_ids) > min_open and fewer.service_level >= release_goal:
        # An idle counter can leave at once; otherwise the last one, after its customer.
        who = idle[-1] if idle else open_ids[-1]
        return advice(RELEASE, (who,), fewer)
    return advice(NO_CHANGE, (), now)


_NUMBER_WORDS = {1: "one", 2: "two"}


def _with_text(a: Advice) -> Advice:
    p = a.params()
    names = ", ".join(a.services)
    if a.code == OPEN_MORE:
        n = len(a.counters)
        what = "one more counter" if n == 1 else f"{_NUMBER_WORDS.get(n, str(n))} more counters"
        text = f"open {what} for {names}: service level {p['now_pct']}% -> {p['after_pct']}%"
    elif a.code == RELEASE:
        text = f"counter {p['counter']} can go to lunch now and {names} stays at {p['after_pct']}%"
    elif a.code == ALL_OPEN:
        text = f"every counter for {names} is open and the service level is {p['now_pct']}%"
    else:
        text = f"no change needed: {names} at {p['now_pct']}%"
    return replace(a, text_en=text)


def advise_state(
    state: BranchState,
    now: float,
    window_s: float = WINDOW_S,
    goal: float = GOAL,
    release_goal: float = RELEASE_GOAL,
) -> tuple[GroupForecast, ...]:
    """The one call for the console and the reports: inputs from the state, then forecast."""
    inputs = inputs_from_state(state, now, window_s)
    return forecast(state.config, inputs, goal=goal, release_goal=release_goal)
