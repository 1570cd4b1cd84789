"""Daily figures from the event log: a pure function of the events.

Shared by `lobbyq stats` (the text table) and `lobbyq report` (the pages),
so both always print the same numbers; it lives in the report library, below
the services, because the console serves the same report and may not import
the engine.

The branch checks its call records and ratings every day (seed 001), head
office reads every branch's figures: so the figures come from the log alone,
never from the live state, and recomputing them always gives the same answer.

`daily_stats(events, day=None)` returns, per business day (taken from the
ticket id, `<day>-<seq>`), one block for the branch and one per service,
counter and teller:

| key | meaning |
|---|---|
| issued | tickets issued (service and branch blocks only) |
| identified, identification_rate | taken with a card, ID or QR code; share of issued |
| called | calls (a ticket called again after a no-show counts twice); recalls are counted apart |
| served | tickets finished |
| no_shows, no_shows_dropped | no-shows, and those dropped rather than put back in the queue |
| cancelled, expired, transferred | customers who left, tickets of a closed day, transfers out |
| over_wait_alerts | tickets that waited past their service's threshold |
| wait_s | {n, mean, p50, p90, max}: issue to first call, seconds |
| service_s | {n, mean, p50, p90, max}: call to finish, seconds |
| ratings | {"value/scale": count} |
| rated, unrated, unrated_rate | ratings given, services left unrated, unrated / (rated + unrated) |
| satisfaction_rate | ratings in the top two values of their scale (4-5 of 5, 2-3 of 3) / rated |
| by_hour (branch block) | {"HH": {issued, mean_wait_s}} by local hour of issue (staffing) |

Waits count toward the service, counter and teller of the first call;
service times toward the ones that finished the ticket.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from lobbyq.core import Event, event_to_dict


def percentile(values: list[float], p: float) -> float:
    """Linear-interpolated percentile (p in 0..1) of a non-empty list."""
    s = sorted(values)
    if len(s) == 1:
        return s[0]
    pos = p * (len(s) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summary(values: list[float]) -> dict[str, float | int]:
    """{n, mean, p50, p90, max} rounded to 0.1 (zeros when empty)."""
    if not values:
        return {"n": 0, "mean": 0.0, "p50": 0.0, "p90": 0.0, "max": 0.0}
    return {
        "n": len(values),
        "mean": round(sum(values) / len(values), 1),
        "p50": round(percentile(values, 0.5), 1),
        "p90": round(percentile(values, 0.9), 1),
        "max": round(max(values), 1),
    }


@dataclass(slots=True)
class Tally:
    issued: int = 0
    identified: int = 0
    called: int = 0
    recalls: int = 0
    served: int = 0
    no_shows: int = 0
    no_shows_dropped: int = 0
    cancelled: int = 0
    expired: int = 0
    transferred: int = 0
    over_wait_alerts: int = 0
    waits: list[float] = field(default_factory=list)
    service_times: list[float] = field(default_factory=list)
    ratings: dict[str, int] = field(default_factory=dict)
    rated: int = 0
    satisfied: int = 0
    unrated: int = 0

    def to_dict(self, with_issue: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if with_issue:
            out["issued"] = self.issued
            out["identified"] = self.identified
            out["identification_rate"] = _rate(self.identified, self.issued)
        out.update(
            called=self.called,
            recalls=self.recalls,
            served=self.served,
            no_shows=self.no_shows,
            no_shows_dropped=self.no_shows_dropped,
            cancelled=self.cancelled,
            expired=self.expired,
            transferred=self.transferred,
            over_wait_alerts=self.over_wait_alerts,
            wait_s=summary(self.waits),
            service_s=summary(self.service_times),
            ratings=dict(sorted(self.ratings.items())),
            rated=self.rated,
            unrated=self.unrated,
            unrated_rate=_rate(self.unrated, self.rated + self.unrated),
            satisfaction_rate=_rate(self.satisfied, self.rated),
        )
        return out


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(slots=True)
class DayTally:
    branch: Tally = field(default_factory=Tally)
    service: dict[str, Tally] = field(default_factory=dict)
    counter: dict[str, Tally] = field(default_factory=dict)
    teller: dict[str, Tally] = field(default_factory=dict)
    issued_at: dict[str, float] = field(default_factory=dict)
    issued_hour: dict[str, str] = field(default_factory=dict)
    first_called: set[str] = field(default_factory=set)
    hour_issued: dict[str, int] = field(default_factory=dict)
    hour_waits: dict[str, list[float]] = field(default_factory=dict)

    def by_hour(self) -> dict[str, dict[str, Any]]:
        return {
            h: {
                "issued": n,
                "mean_wait_s": round(sum(w) / len(w), 1) if (w := self.hour_waits.get(h)) else None,
            }
            for h, n in sorted(self.hour_issued.items())
        }

    def tallies(
        self, service: str | None, counter: str | None = None, teller: str | None = None
    ) -> list[Tally]:
        out = [self.branch]
        if service:
            out.append(self.service.setdefault(service, Tally()))
        if counter:
            out.append(self.counter.setdefault(counter, Tally()))
        if teller:
            out.append(self.teller.setdefault(teller, Tally()))
        return out


def natural(keys: Iterable[str]) -> list[str]:
    """Counter "2" before "10": shorter ids first, then alphabetical."""
    return sorted(keys, key=lambda k: (len(k), k))


def day_of(ticket: str) -> str:
    """The business day of a ticket id (`<day>-<seq>`): the engine chose it at issue."""
    return ticket[:10]


def fold_event(day: DayTally, d: Mapping[str, Any], tz: tzinfo) -> None:
    """Add one event (dict form) to its day's tallies."""
    kind = d["kind"]
    tid = d.get("ticket", "")
    service, counter, teller = d.get("service"), d.get("counter"), d.get("teller")
    if kind == "ticket_issued":
        day.issued_at[tid] = d["at"]
        hour = f"{datetime.fromtimestamp(d['at'], tz).hour:02d}"
        day.issued_hour[tid] = hour
        day.hour_issued[hour] = day.hour_issued.get(hour, 0) + 1
        for t in day.tallies(service):
            t.issued += 1
            if d.get("identity_kind"):
                t.identified += 1
    elif kind == "ticket_called":
        tallies = day.tallies(service, counter, teller)
        if d.get("recall"):
            for t in tallies:
                t.recalls += 1
            return
        first = tid not in day.first_called and tid in day.issued_at
        if first:
            day.first_called.add(tid)
            wait = d["at"] - day.issued_at[tid]
            day.hour_waits.setdefault(day.issued_hour[tid], []).append(wait)
        for t in tallies:
            t.called += 1
            if first:
                t.waits.append(wait)
    elif kind == "ticket_finished":
        for t in day.tallies(service, counter, teller):
            t.served += 1
            t.service_times.append(d["service_s"])
    elif kind == "ticket_no_show":
        for t in day.tallies(service, counter, teller):
            t.no_shows += 1
            if not d.get("requeued"):
                t.no_shows_dropped += 1
    elif kind == "ticket_transferred":
        for t in day.tallies(service, counter, teller):
            t.transferred += 1
    elif kind == "ticket_cancelled":
        for t in day.tallies(service):
            t.cancelled += 1
    elif kind == "ticket_expired":
        for t in day.tallies(service):
            t.expired += 1
    elif kind == "wait_alert":
        for t in day.tallies(service):
            t.over_wait_alerts += 1
    elif kind == "ticket_rated":
        key = f"{d['value']}/{d['scale']}"
        for t in day.tallies(service, counter, teller):
            t.rated += 1
            t.ratings[key] = t.ratings.get(key, 0) + 1
            if d["value"] >= d["scale"] - 1:
                t.satisfied += 1
    elif kind == "ticket_unrated":
        for t in day.tallies(service, counter or None, teller):
            t.unrated += 1


def fold_days(
    events: Iterable[Mapping[str, Any] | Event],
    day: str | None = None,
    tz: tzinfo | None = None,
) -> dict[str, DayTally]:
    """The tallies per business day (raw waits and service times kept), oldest first."""
    zone = tz if tz is not None else timezone(timedelta(0))
    days: dict[str, DayTally] = {}
    for ev in events:
        d = event_to_dict(ev) if isinstance(ev, Event) else ev
        tid = d.get("ticket")
        if not isinstance(tid, str) or len(tid) < 10:
            continue
        date = day_of(tid)
        if day is not None and date != day:
            continue
        fold_event(days.setdefault(date, DayTally()), d, zone)
    return dict(sorted(days.items()))


def day_figures(dd: DayTally) -> dict[str, Any]:
    """One day's block of `daily_stats`: branch, by_service, by_counter, by_teller."""
    return {
        "branch": dd.branch.to_dict(True) | {"by_hour": dd.by_hour()},
        "by_service": {k: dd.service[k].to_dict(True) for k in natural(dd.service)},
        "by_counter": {k: dd.counter[k].to_dict(False) for k in natural(dd.counter)},
        "by_teller": {k: dd.teller[k].to_dict(False) for k in natural(dd.teller)},
    }


def daily_stats(
    events: Iterable[Mapping[str, Any] | Event],
    day: str | None = None,
    tz: tzinfo | None = None,
) -> dict[str, Any]:
    """Figures per business day from an event log (dicts or Event objects), oldest first.

    Returns {"days": {date: {"branch": {...}, "by_service": {...},
    "by_counter": {...}, "by_teller": {...}}}}; `day` keeps only that date;
    `tz` is the branch's local time for `by_hour` (UTC if not given).
    """
    return {"days": {date: day_figures(dd) for date, dd in fold_days(events, day, tz).items()}}
