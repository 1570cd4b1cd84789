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
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lobbyq.core import CUSTOMER_CLASSES, BranchConfig, ConfigError, CoreError

DISTRIBUTIONS: tuple[str, ...] = ("fixed", "exponential", "lognormal", "uniform")
PAUSE_REASONS: tuple[str, ...] = ("break", "lunch", "other")
DEFAULT_START = "2026-01-05T09:00:00+00:00"


class ScenarioError(CoreError):
    """The scenario file is wrong; the message names the key and the fix."""


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


def _err(key: str, problem: str, fix: str) -> ScenarioError:
    return ScenarioError(f"simulation.{key}: {problem}; fix: {fix}")


def _num(d: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = d.get(key, default)
    if value is None:
        raise _err(f"{where}{key}", "is missing", f"add {key} = <number>")
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise _err(f"{where}{key}", f"must be a number >= 0, got {value!r}", "write a number")
    return float(value)


def _service_times(sim: Mapping[str, Any], config: BranchConfig) -> dict[str, ServiceTime]:
    raw = sim.get("service_time", {})
    if not isinstance(raw, Mapping):
        raise _err("service_time", "must be a table", "write [simulation.service_time.A]")
    out: dict[str, ServiceTime] = {}
    for svc in config.services:
        d = raw.get(svc.code)
        if d is None:
            out[svc.code] = ServiceTime("fixed", svc.expected_min)
            continue
        where = f"service_time.{svc.code}."
        if not isinstance(d, Mapping):
            raise _err(where[:-1], "must be a table", 'write {dist = "fixed", minutes = 3}')
        dist = d.get("dist", "fixed")
        if dist not in DISTRIBUTIONS:
            raise _err(f"{where}dist", f"unknown {dist!r}", "use " + ", ".join(DISTRIBUTIONS))
        if dist == "uniform":
            low, high = _num(d, "low", where), _num(d, "high", where)
            if high < low:
                raise _err(f"{where}high", "is below low", "swap them")
            out[svc.code] = ServiceTime(dist, (low + high) / 2.0, low=low, high=high)
        else:
            minutes = _num(d, "minutes", where, svc.expected_min)
            if minutes <= 0:
                raise _err(f"{where}minutes", "must be > 0", "give a positive mean")
            sd = _num(d, "sd", where, minutes / 2.0) if dist == "lognormal" else 0.0
            out[svc.code] = ServiceTime(dist, minutes, sd=sd)
    for code in raw:
        if code not in config.service:
            raise _err(
                f"service_time.{code}", "names an unknown service", "use a [[services]] code"
            )
    return out


def _check_arrival(config: BranchConfig, service: Any, cls: Any, where: str) -> tuple[str, str]:
    if service not in config.service:
        raise _err(f"{where}service", f"unknown service {service!r}", "use a [[services]] code")
    if cls not in CUSTOMER_CLASSES:
        raise _err(f"{where}class", f"unknown class {cls!r}", "use " + ", ".join(CUSTOMER_CLASSES))
    return str(service), str(cls)


def _class_mix(sim: Mapping[str, Any]) -> list[tuple[str, float]]:
    raw = sim.get("classes", {})
    if not isinstance(raw, Mapping):
        raise _err("classes", "must be a table", "write [simulation.classes] vip = 0.1")
    mix: list[tuple[str, float]] = []
    for cls in raw:
        if cls not in CUSTOMER_CLASSES or cls == "normal":
            raise _err(f"classes.{cls}", "unknown class", "use vip, care or appointment")
        mix.append((cls, _num(raw, cls, "classes.")))
    if sum(s for _, s in mix) > 1.0:
        raise _err("classes", "shares add up to more than 1", "lower them; the rest is normal")
    return mix


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


def scenario_from_dict(doc: Mapping[str, Any], name: str = "") -> Scenario:
    """Validate a parsed scenario and draw its customers; raises ScenarioError/ConfigError."""
    config = BranchConfig.from_dict(doc)
    sim = doc.get("simulation", {})
    if not isinstance(sim, Mapping):
        raise _err("", "must be a table", "write [simulation]")
    seed = sim.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise _err("seed", f"must be an integer, got {seed!r}", "write seed = 1")
    rng = random.Random(seed)
    start_raw = sim.get("start", DEFAULT_START)
    try:
        start = datetime.fromisoformat(str(start_raw))
    except ValueError as exc:
        raise _err("start", f"bad time {start_raw!r}", 'write "2026-01-05T09:00:00+08:00"') from exc
    if start.tzinfo is None:
        raise _err("start", "has no UTC offset", "end it with +08:00 (or Z)")
    times = _service_times(sim, config)
    no_show_rate = _num(sim, "no_show_rate", "", 0.0)
    if no_show_rate > 1.0:
        raise _err("no_show_rate", "is above 1", "use a probability, e.g. 0.05")
    mix = _class_mix(sim)
    rating_rate = _num(sim, "rating_rate", "", 0.0)
    if rating_rate > 1.0:
        raise _err("rating_rate", "is above 1", "use a probability, e.g. 0.7")
    identified_rate = _num(sim, "identified_rate", "", 0.0)
    if identified_rate > 1.0:
        raise _err("identified_rate", "is above 1", "use a probability, e.g. 0.6")
    # Its own generator, so adding identification to a scenario keeps its customers.
    id_rng = random.Random(f"{seed}-identity")

    planned: list[tuple[float, int, str, str]] = []
    order = 0
    for i, a in enumerate(sim.get("arrivals", [])):
        where = f"arrivals[{i}]."
        service, cls = _check_arrival(config, a.get("service"), a.get("class", "normal"), where)
        count = a.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise _err(f"{where}count", f"bad count {count!r}", "use a positive integer")
        at = _num(a, "at_min", where, 0.0)
        for _ in range(count):
            planned.append((at, order, service, cls))
            order += 1
    for i, r in enumerate(sim.get("rates", [])):
        where = f"rates[{i}]."
        service, _ = _check_arrival(config, r.get("service"), "normal", where)
        t = _num(r, "from_hour", where) * 60.0
        end = _num(r, "to_hour", where) * 60.0
        per_min = _num(r, "per_hour", where) / 60.0
        while per_min > 0:
            t += rng.expovariate(per_min)
            if t >= end:
                break
            planned.append((t, order, service, _draw_class(rng, mix)))
            order += 1
    if not planned:
        raise _err(
            "arrivals", "no customers", "add [[simulation.arrivals]] or [[simulation.rates]]"
        )
    planned.sort()
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
    pauses = []
    for i, p in enumerate(sim.get("pauses", [])):
        where = f"pauses[{i}]."
        counter = str(p.get("counter"))
        if counter not in config.counter:
            raise _err(f"{where}counter", f"unknown counter {counter!r}", "use a [[counters]] id")
        reason = p.get("reason", "break")
        if reason not in PAUSE_REASONS:
            raise _err(f"{where}reason", f"unknown {reason!r}", "use " + ", ".join(PAUSE_REASONS))
        pauses.append(
            PausePlan(counter, _num(p, "at_min", where), _num(p, "minutes", where), reason)
        )
    open_raw = sim.get("open", [c.id for c in config.counters])
    if not isinstance(open_raw, list) or any(str(c) not in config.counter for c in open_raw):
        raise _err("open", f"bad counter list {open_raw!r}", "list [[counters]] ids")
    return Scenario(
        config=config,
        start_epoch=start.timestamp(),
        arrivals=arrivals,
        pauses=tuple(pauses),
        open_counters=tuple(str(c) for c in open_raw),
        tick_min=_num(sim, "tick_min", "", 1.0) or 1.0,
        name=name or str(sim.get("name", "")),
        description=str(sim.get("description", "")),
        raw=doc,
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            doc = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{p.name}: not valid TOML: {exc}") from exc
    try:
        return scenario_from_dict(doc, name=p.stem)
    except ConfigError:
        raise
