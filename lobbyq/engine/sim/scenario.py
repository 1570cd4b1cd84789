"""Scenario files: a branch plus the day to simulate on it (TOML).

A scenario is a normal branch configuration (`[branch]`, `[[services]]`,
`[[counters]]`, see the core's `PROTOCOL.md`) plus a `[simulation]` table.
The full format, with examples, is in `examples/README.md`. Arrivals and
service times are drawn here, once, from a seeded generator, so a scenario
is one fixed list of customers and every policy is compared on the same day.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lobbyq.core.config import CUSTOMER_CLASSES, BranchConfig, parse_branch
from lobbyq.core.errors import ConfigError, Problem
from lobbyq.core.fields import Fields, raise_if, read_toml

DISTRIBUTIONS: tuple[str, ...] = ("fixed", "exponential", "lognormal", "uniform")
PAUSE_REASONS: tuple[str, ...] = ("break", "lunch", "other")
DEFAULT_START = "2026-01-05T09:00:00+00:00"
SIMULATION_KEYS = (
    "name",
    "description",
    "seed",
    "start",
    "tick_min",
    "open",
    "no_show_rate",
    "rating_rate",
    "identified_rate",
    "classes",
    "service_time",
    "arrivals",
    "rates",
    "pauses",
)


@dataclass(frozen=True, slots=True)
class ServiceTime:
    """How long a service takes at the counter, in minutes."""

    dist: str
    minutes: float
    sd: float = 0.0
    low: float = 0.0
    high: float = 0.0

    def draw(self, rng: random.Random) -> float:
        if self.dist == "fixed":
            return self.minutes
        if self.dist == "exponential":
            return rng.expovariate(1.0 / self.minutes)
        if self.dist == "uniform":
            return rng.uniform(self.low, self.high)
        # lognormal with the given mean and standard deviation
        var = math.log(1.0 + (self.sd / self.minutes) ** 2)
        return rng.lognormvariate(math.log(self.minutes) - var / 2.0, math.sqrt(var))


@dataclass(frozen=True, slots=True)
class Arrival:
    """One customer: when (minutes from start), for what, which class, how long."""

    at_min: float
    service: str
    customer_class: str
    service_min: float
    no_show: bool = False
    rating: int | None = None
    identified: bool = False


@dataclass(frozen=True, slots=True)
class PausePlan:
    counter: str
    at_min: float
    minutes: float
    reason: str


@dataclass(frozen=True, slots=True)
class Scenario:
    config: BranchConfig
    start_epoch: float
    arrivals: tuple[Arrival, ...]
    pauses: tuple[PausePlan, ...] = ()
    open_counters: tuple[str, ...] = ()
    tick_min: float = 1.0
    name: str = ""
    description: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


def _names(doc: Mapping[str, Any], table: str, key: str) -> tuple[str, ...] | None:
    """The codes or ids a branch table writes, as far as they can be read."""
    entries = doc.get(table)
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        return None
    names = [e.get(key) for e in entries]
    if not all(isinstance(n, str | int) and not isinstance(n, bool) for n in names):
        return None
    return tuple(str(n) for n in names)


def _service_times(
    sim: Fields, config: BranchConfig | None, codes: tuple[str, ...] | None
) -> dict[str, ServiceTime]:
    raw = Fields(sim.table_of("service_time"), "simulation.service_time", sim.problems)
    out: dict[str, ServiceTime] = {}
    if codes is None:
        return out
    raw.unknown_keys(codes)
    for code in codes:
        expected = config.service[code].expected_min if config is not None else 5.0
        if not raw.has(code):
            out[code] = ServiceTime("fixed", expected)
            continue
        d = Fields(raw.table_of(code), raw.name(code), sim.problems)
        before = len(sim.problems)
        d.unknown_keys(("dist", "minutes", "sd", "low", "high"))
        dist = d.choice("dist", DISTRIBUTIONS, default="fixed")
        if dist == "uniform":
            low = d.number("low", required=True, example=2)
            high = d.number("high", required=True, example=6)
            if low is not None and high is not None and high < low:
                d.add("high", f"{high:g} is below low ({low:g})", "swap them")
            if len(sim.problems) == before and low is not None and high is not None:
                out[code] = ServiceTime(dist, (low + high) / 2.0, low=low, high=high)
            continue
        minutes = d.number("minutes", above=True, example=expected)
        mean = minutes if minutes is not None else expected
        sd = d.number("sd", example=mean / 2.0) if dist == "lognormal" else 0.0
        if len(sim.problems) == before:
            out[code] = ServiceTime(dist, mean, sd=mean / 2.0 if sd is None else sd)
    return out


def _class_mix(sim: Fields) -> list[tuple[str, float]]:
    raw = Fields(sim.table_of("classes"), "simulation.classes", sim.problems)
    raw.unknown_keys(c for c in CUSTOMER_CLASSES if c != "normal")
    mix: list[tuple[str, float]] = []
    for cls in raw.table:
        share = raw.number(str(cls), high=1.0, example=0.1)
        if cls in CUSTOMER_CLASSES and cls != "normal" and share is not None:
            mix.append((str(cls), share))
    if sum(s for _, s in mix) > 1.0:
        sim.add("classes", "shares add up to more than 1", "lower them; the rest is normal")
    return mix


def _rate(sim: Fields, key: str, example: float) -> float:
    """A probability from 0 to 1; 0 when absent."""
    value = sim.number(key, example=example)
    if value is not None and value > 1.0:
        sim.add(key, f"{value:g} is above 1", f"use a probability, e.g. {example}")
        return 0.0
    return value or 0.0


def _service_and_class(
    f: Fields, codes: tuple[str, ...] | None, *, with_class: bool
) -> tuple[str, str] | None:
    service = f.table.get("service")
    cls = f.table.get("class", "normal") if with_class else "normal"
    ok = True
    if codes is not None and service not in codes:
        known = ", ".join(codes)
        f.add("service", f"unknown service {service!r}", f"use a [[services]] code: {known}")
        ok = False
    if cls not in CUSTOMER_CLASSES:
        f.add("class", f"unknown class {cls!r}", "use " + ", ".join(CUSTOMER_CLASSES))
        ok = False
    return (str(service), str(cls)) if ok else None


def _draw_class(rng: random.Random, mix: list[tuple[str, float]]) -> str:
    x = rng.random()
    for cls, share in mix:
        if x < share:
            return cls
        x -= share
    return "normal"


def _draw_rating(rng: random.Random) -> int:
    """A 5-point rating, skewed the way branch ratings are (mostly satisfied)."""
    return rng.choices((5, 4, 3, 2, 1), weights=(70, 18, 7, 3, 2))[0]


def scenario_from_dict(doc: Mapping[str, Any], name: str = "", source: str = "") -> Scenario:
    """Validate a parsed scenario and draw its customers.

    One `ConfigError` lists every problem of the branch tables and of
    ``[simulation]`` at once; customers are drawn only from a valid file.
    """
    problems: list[Problem] = []
    config = parse_branch(doc, problems)
    # Read from the raw tables too, so the [simulation] problems show even
    # when the branch tables have their own.
    codes = tuple(config.service) if config is not None else _names(doc, "services", "code")
    ids = tuple(config.counter) if config is not None else _names(doc, "counters", "id")
    sim = Fields(Fields(doc, "", problems).table_of("simulation"), "simulation", problems)
    sim.unknown_keys(SIMULATION_KEYS)
    seed = sim.integer("seed", low=-(2**63), high=2**63 - 1, example=1)
    seed = 1 if seed is None else seed
    start_raw = sim.table.get("start", DEFAULT_START)
    start: datetime | None = None
    try:
        start = datetime.fromisoformat(str(start_raw))
    except ValueError:
        sim.add("start", f"bad time {start_raw!r}", 'write "2026-01-05T09:00:00+08:00"')
    if start is not None and start.tzinfo is None:
        sim.add("start", "has no UTC offset", "end it with +08:00 (or Z)")
    times = _service_times(sim, config, codes)
    no_show_rate = _rate(sim, "no_show_rate", 0.05)
    mix = _class_mix(sim)
    rating_rate = _rate(sim, "rating_rate", 0.7)
    identified_rate = _rate(sim, "identified_rate", 0.6)

    planned: list[tuple[float, int, str, str]] = []
    for i, entry in enumerate(sim.tables("arrivals", example="simulation.arrivals")):
        a = Fields(entry, f"simulation.arrivals[{i}]", problems)
        a.unknown_keys(("at_min", "service", "class", "count"))
        picked = _service_and_class(a, codes, with_class=True)
        count = a.integer("count", low=1, high=10**9, example=1)
        at = a.number("at_min", example=0)
        if picked is not None:
            for _ in range(1 if count is None else count):
                planned.append((0.0 if at is None else at, len(planned), *picked))
    rates: list[tuple[str, float, float, float]] = []
    for i, entry in enumerate(sim.tables("rates", example="simulation.rates")):
        r = Fields(entry, f"simulation.rates[{i}]", problems)
        r.unknown_keys(("service", "from_hour", "to_hour", "per_hour"))
        picked = _service_and_class(r, codes, with_class=False)
        hours = [r.number(k, required=True, example=9) for k in ("from_hour", "to_hour")]
        per_hour = r.number("per_hour", required=True, example=30)
        if picked is not None and None not in hours and per_hour is not None:
            rates.append((picked[0], float(hours[0] or 0), float(hours[1] or 0), per_hour))
    if not sim.table.get("arrivals") and not sim.table.get("rates"):
        sim.add("arrivals", "no customers", "add [[simulation.arrivals]] or [[simulation.rates]]")
    pauses = []
    for i, entry in enumerate(sim.tables("pauses", example="simulation.pauses")):
        p = Fields(entry, f"simulation.pauses[{i}]", problems)
        p.unknown_keys(("counter", "at_min", "minutes", "reason"))
        counter = str(p.table.get("counter"))
        if ids is not None and counter not in ids:
            known = ", ".join(ids)
            p.add("counter", f"unknown counter {counter!r}", f"use a [[counters]] id: {known}")
        reason = p.choice("reason", PAUSE_REASONS, default="break")
        at = p.number("at_min", required=True, example=60)
        minutes = p.number("minutes", required=True, example=15)
        if at is not None and minutes is not None:
            pauses.append(PausePlan(counter, at, minutes, reason))
    open_raw = sim.table.get("open", list(ids or ()))
    if not isinstance(open_raw, list) or (
        ids is not None and any(str(c) not in ids for c in open_raw)
    ):
        sim.add("open", f"bad counter list {open_raw!r}", "list [[counters]] ids")
    tick = sim.number("tick_min", example=1)
    raise_if(problems, source or name or "scenario")
    assert config is not None and start is not None and isinstance(open_raw, list)

    rng = random.Random(seed)
    for service, from_hour, to_hour, per_hour in rates:
        t, end, per_min = from_hour * 60.0, to_hour * 60.0, per_hour / 60.0
        while per_min > 0:
            t += rng.expovariate(per_min)
            if t >= end:
                break
            planned.append((t, len(planned), service, _draw_class(rng, mix)))
    if not planned:
        raise ConfigError(
            source or name or "scenario",
            [Problem("simulation.arrivals", "no customers", "add arrivals or raise per_hour")],
        )
    planned.sort()
    # Its own generator, so adding identification to a scenario keeps its customers.
    id_rng = random.Random(f"{seed}-identity")
    arrivals = tuple(
        Arrival(
            at_min=at,
            service=service,
            customer_class=cls,
            service_min=times[service].draw(rng),
            no_show=no_show_rate > 0 and rng.random() < no_show_rate,
            rating=_draw_rating(rng) if rating_rate > 0 and rng.random() < rating_rate else None,
            identified=identified_rate > 0 and id_rng.random() < identified_rate,
        )
        for at, _, service, cls in planned
    )
    return Scenario(
        config=config,
        start_epoch=start.timestamp(),
        arrivals=arrivals,
        pauses=tuple(pauses),
        open_counters=tuple(str(c) for c in open_raw),
        tick_min=tick or 1.0,
        name=name or str(sim.table.get("name", "")),
        description=str(sim.table.get("description", "")),
        raw=doc,
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file; `ConfigError` lists every problem."""
    p = Path(path)
    doc = read_toml(p, fix="pass a scenario file, e.g. examples/branch-day.toml")
    return scenario_from_dict(doc, name=p.stem, source=str(p))
