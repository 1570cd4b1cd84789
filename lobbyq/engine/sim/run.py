"""Drive the real queue core through a simulated day with simpy.

Time in simpy is minutes from the scenario start; the core sees epoch seconds
(`start + minutes * 60`). Every action is a real command through `apply`, so
the simulator measures the policies the branch will run, not a model of them.

Processes: one arrivals process (issues tickets at their times and wakes idle
counters), one per counter (call next, serve for the customer's drawn
service time, finish; pause when a planned pause is due and the counter is
free), and a ticker (one `tick` per `tick_min`, for alerts and advice). The
day ends when the last customer has been served.

Order at equal times is fixed: arrivals before calls (the arrivals process
starts first), counters in configuration order, so results are exactly
reproducible (the seed 002 figures rely on it).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import simpy

from lobbyq.core import (
    Appointment,
    BranchState,
    CallNext,
    Command,
    Event,
    Finish,
    Identity,
    IssueTicket,
    Login,
    NoShow,
    OpenCounter,
    Pause,
    Rate,
    Resume,
    Tick,
    TicketCalled,
    TicketIssued,
    WaitAlert,
    apply,
)
from lobbyq.engine.sim.scenario import Arrival, PausePlan, Scenario
from lobbyq.report.stats import percentile


@dataclass(slots=True)
class CustomerLog:
    """What happened to one simulated customer (minutes from start)."""

    arrival: Arrival
    ticket: str = ""
    number: str = ""
    called_min: float | None = None
    finished_min: float | None = None
    counter: str | None = None
    dropped: bool = False


@dataclass(slots=True)
class SimRun:
    """The outcome of one run: per-customer log, the event log and counts."""

    scenario: Scenario
    policy: str
    customers: list[CustomerLog]
    events: list[Event] = field(default_factory=list)
    commands: int = 0
    alerts: int = 0
    makespan_min: float = 0.0
    state: BranchState | None = None


class _Driver:
    def __init__(self, scenario: Scenario, policy: str | None, keep_events: bool) -> None:
        config = scenario.config if policy is None else scenario.config.with_policy(policy)
        self.scenario = scenario
        self.config = config
        self.state = BranchState.initial(config)
        self.env = simpy.Environment()
        self.ids = itertools.count(1)
        self.keep_events = keep_events
        self.events: list[Event] = []
        self.commands = 0
        self.alerts = 0
        self.customers = [CustomerLog(a) for a in scenario.arrivals]
        self.by_ticket: dict[str, CustomerLog] = {}
        self.outstanding = 0
        self.arrivals_done = False
        self.done = self.env.event()
        self.wake: dict[str, simpy.Event] = {c.id: self.env.event() for c in config.counters}
        self.idle: set[str] = set()
        self.pause_due: dict[str, list[PausePlan]] = {c.id: [] for c in config.counters}
        self.last_finish = 0.0

    def now_epoch(self) -> float:
        return self.scenario.start_epoch + self.env.now * 60.0

    def do(self, make: Callable[..., Command], *args: Any) -> list[Event]:
        """Apply one command built as `make(<fresh id>, *args)` at the current time."""
        cmd = make(f"sim-{next(self.ids)}", *args)
        self.state, events = apply(self.state, cmd, self.now_epoch())
        self.commands += 1
        if self.keep_events:
            self.events.extend(events)
        for ev in events:
            if isinstance(ev, WaitAlert):
                self.alerts += 1
        return events

    def wake_counter(self, cid: str) -> None:
        ev = self.wake[cid]
        if not ev.triggered:
            ev.succeed()

    def arrivals(self) -> Generator[simpy.Event, Any, None]:
        for log in self.customers:
            a = log.arrival
            if a.at_min > self.env.now:
                yield self.env.timeout(a.at_min - self.env.now)
            appt = None
            if a.customer_class == "appointment":
                # A simulated appointment is due the moment its customer arrives.
                appt = Appointment(ref=f"appt-{len(self.by_ticket) + 1}", due=self.now_epoch())
            ident = None
            if a.identified:
                # A synthetic identity: a random keyed-hash-shaped value and a masked
                # form. No card number exists anywhere in the simulator.
                n = len(self.by_ticket) + 1
                digest = f"{self.scenario.start_epoch:.0f}{n:08d}".encode().hex()[:64]
                ident = Identity(
                    kind="card", hash=digest.ljust(32, "0"), masked=f"**** {n % 10000:04d}"
                )
            events = self.do(IssueTicket, a.service, a.customer_class, ident, appt)
            issued = next((e for e in events if isinstance(e, TicketIssued)), None)
            if issued is None:
                log.dropped = True
                continue
            log.ticket, log.number = issued.ticket, issued.number
            self.by_ticket[issued.ticket] = log
            self.outstanding += 1
            for cid in self.scenario.open_counters:  # configuration order, never set order
                if cid in self.idle:
                    self.wake_counter(cid)
        self.arrivals_done = True
        self.check_done()

    def check_done(self) -> None:
        if self.arrivals_done and self.outstanding == 0 and not self.done.triggered:
            self.done.succeed()

    def counter(self, cid: str) -> Generator[simpy.Event, Any, None]:
        while True:
            plans = self.pause_due[cid]
            if plans:
                plan = plans.pop(0)
                self.do(Pause, cid, plan.reason)
                yield self.env.timeout(plan.minutes)
                self.do(Resume, cid)
                continue
            events = self.do(CallNext, cid)
            called = next((e for e in events if isinstance(e, TicketCalled)), None)
            if called is None:
                self.idle.add(cid)
                self.wake[cid] = self.env.event()
                yield self.wake[cid]
                self.idle.discard(cid)
                continue
            log = self.by_ticket[called.ticket]
            if log.called_min is None:
                log.called_min = self.env.now
            log.counter = cid
            if log.arrival.no_show:
                yield self.env.timeout(1.0)
                (ev,) = [e for e in self.do(NoShow, cid) if e.kind == "ticket_no_show"]
                if not getattr(ev, "requeued", False):
                    log.dropped = True
                    self.outstanding -= 1
                    self.check_done()
                continue
            yield self.env.timeout(log.arrival.service_min)
            self.do(Finish, cid)
            if log.arrival.rating is not None:
                self.do(Rate, cid, log.arrival.rating, 5)
            log.finished_min = self.env.now
            self.last_finish = self.env.now
            self.outstanding -= 1
            self.check_done()

    def pauser(self, plan: PausePlan) -> Generator[simpy.Event, Any, None]:
        yield self.env.timeout(plan.at_min)
        self.pause_due[plan.counter].append(plan)
        if plan.counter in self.idle:
            self.wake_counter(plan.counter)

    def ticker(self) -> Generator[simpy.Event, Any, None]:
        step = self.scenario.tick_min
        while not self.done.triggered:
            yield self.env.timeout(step)
            self.do(Tick)

    def run(self) -> SimRun:
        for cid in self.scenario.open_counters:
            self.do(Login, cid, f"teller-{cid}")
            self.do(OpenCounter, cid)
        self.env.process(self.arrivals())
        for cid in self.scenario.open_counters:
            self.env.process(self.counter(cid))
        for plan in self.scenario.pauses:
            self.env.process(self.pauser(plan))
        self.env.process(self.ticker())
        self.env.run(until=self.done)
        return SimRun(
            scenario=self.scenario,
            policy=self.config.policy,
            customers=self.customers,
            events=self.events,
            commands=self.commands,
            alerts=self.alerts,
            makespan_min=self.last_finish,
            state=self.state,
        )


def simulate(scenario: Scenario, policy: str | None = None, keep_events: bool = False) -> SimRun:
    """Run `scenario` (under `policy`, or the branch's own) to the last customer served."""
    return _Driver(scenario, policy, keep_events).run()


def _mean(xs: list[float]) -> float:
    return round(sum(xs) / len(xs), 3) if xs else 0.0


def _pct(xs: list[float], p: float) -> float:
    return round(percentile(xs, p), 3) if xs else 0.0


def _block(logs: list[CustomerLog]) -> dict[str, Any]:
    waits = [c.called_min - c.arrival.at_min for c in logs if c.called_min is not None]
    return {
        "customers": len(logs),
        "served": sum(1 for c in logs if c.finished_min is not None),
        "mean_wait_min": _mean(waits),
        "p50_wait_min": _pct(waits, 0.5),
        "p90_wait_min": _pct(waits, 0.9),
        "max_wait_min": round(max(waits), 3) if waits else 0.0,
    }


def summarize(run: SimRun) -> dict[str, Any]:
    """The figures `lobbyq simulate --json` prints (waits are to the first call)."""
    logs = run.customers
    out = {"scenario": run.scenario.name, "policy": run.policy, **_block(logs)}
    service_times = [
        c.finished_min - c.called_min
        for c in logs
        if c.finished_min is not None and c.called_min is not None
    ]
    out["no_shows"] = sum(1 for c in logs if c.arrival.no_show)
    out["dropped"] = sum(1 for c in logs if c.dropped)
    out["makespan_min"] = round(run.makespan_min, 3)
    out["mean_service_min"] = _mean(service_times)
    out["over_wait_alerts"] = run.alerts
    out["commands"] = run.commands
    out["by_service"] = {
        s.code: _block([c for c in logs if c.arrival.service == s.code])
        for s in run.scenario.config.services
        if any(c.arrival.service == s.code for c in logs)
    }
    classes = sorted({c.arrival.customer_class for c in logs})
    out["by_class"] = {
        k: _block([c for c in logs if c.arrival.customer_class == k]) for k in classes
    }
    return out
