"""The figures of a report: one pass over the events, pure, no I/O.

`collect(events, config, first, last)` folds the events of business days
`first`..`last` into one `DayFigures` per day: the `lobbyq stats` tallies
(`lobbyq.report.stats`, the same code, so the tables equal `lobbyq stats
--json`) plus what only a report needs: arrival, finish and over-wait times
for the 15-minute charts, counter-open intervals, and the wait quoted on each
ticket against the real one. Identity fields are never read.

Definitions (shown in the report's definitions table):

| figure | definition |
|---|---|
| wait | first call minus issue; a recall or a call after a no-show is not a new wait |
| service level | first calls within the branch's `target_wait_min` / first calls |
| no-show rate | tickets dropped after a no-show / tickets issued |
| cancelled rate | tickets the customer cancelled (left) / tickets issued |
| identification rate | tickets taken with a card, ID or QR code / tickets issued |
| unrated rate | services left unrated / (rated + unrated) |
| satisfaction rate | ratings in the top two values of their scale / ratings |
| estimate error | quoted wait (at issue) minus real wait; bias is its mean, MAE its mean size |
| counters open | counter-minutes open (opened or resumed, not paused or closed) / bin length |
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from lobbyq.core.config import BranchConfig
from lobbyq.core.dayclock import branch_tz, business_day
from lobbyq.report.stats import DayTally, day_figures, day_of, fold_event

BIN_S = 15 * 60
DEFAULT_SERVICE_LEVEL_TARGET = 0.8  # the "80/20" convention of service-level targets


@dataclass(slots=True)
class Accuracy:
    """Quoted against real waits of one service, seconds."""

    errors: list[float] = field(default_factory=list)  # quoted - real

    def to_dict(self) -> dict[str, Any]:
        n = len(self.errors)
        if not n:
            return {"n": 0, "mae_s": None, "bias_s": None}
        return {
            "n": n,
            "mae_s": round(sum(abs(e) for e in self.errors) / n, 1),
            "bias_s": round(sum(self.errors) / n, 1),
        }


@dataclass(slots=True)
class DayFigures:
    """Everything a daily report shows about one business day."""

    day: str
    tally: DayTally = field(default_factory=DayTally)
    first_at: float | None = None
    last_at: float | None = None
    arrivals: list[float] = field(default_factory=list)
    finishes: list[float] = field(default_factory=list)
    alerts: list[float] = field(default_factory=list)
    open_intervals: list[tuple[float, float]] = field(default_factory=list)
    quoted: dict[str, tuple[str, float]] = field(default_factory=dict)
    accuracy: dict[str, Accuracy] = field(default_factory=dict)
    _called: set[str] = field(default_factory=set)

    def seen(self, at: float) -> None:
        if self.first_at is None or at < self.first_at:
            self.first_at = at
        if self.last_at is None or at > self.last_at:
            self.last_at = at

    def stats(self) -> dict[str, Any]:
        """This day's block of `lobbyq stats --json`."""
        return day_figures(self.tally)

    def headline(self, target_wait_min: float) -> dict[str, Any]:
        """The headline figures (rates as 0..1, times in minutes; None when undefined)."""
        b = self.tally.branch
        waits = b.waits
        within = sum(1 for w in waits if w <= target_wait_min * 60)
        s = self.stats()["branch"]
        return {
            "tickets": b.issued,
            "served": b.served,
            "mean_wait_min": _min(s["wait_s"]["mean"]) if waits else None,
            "p90_wait_min": _min(s["wait_s"]["p90"]) if waits else None,
            "service_level": _rate(within, len(waits)),
            "no_show_rate": _rate(b.no_shows_dropped, b.issued),
            "cancelled_rate": _rate(b.cancelled, b.issued),
            "over_wait_alerts": b.over_wait_alerts,
            "identification_rate": s["identification_rate"],
            "unrated_rate": s["unrated_rate"],
            "satisfaction_rate": s["satisfaction_rate"],
            "mean_service_min": _min(s["service_s"]["mean"]) if b.service_times else None,
        }

    def bins(self, tz_offset: Any) -> list[float]:
        """Start times of the 15-minute bins from the first to the last activity."""
        if self.first_at is None or self.last_at is None:
            return []
        start = self.first_at - (self.first_at + _utcoff(tz_offset, self.first_at)) % BIN_S
        out = []
        t = start
        while t <= self.last_at:
            out.append(t)
            t += BIN_S
        return out

    def counters_open(self, bins: list[float]) -> list[float]:
        """Mean number of counters open in each bin (over its part within the day's activity)."""
        out = []
        lo, hi = self.first_at or 0.0, self.last_at or 0.0
        for b0 in bins:
            b1 = min(b0 + BIN_S, hi)
            b0 = max(b0, lo)
            span = b1 - b0
            covered = sum(max(0.0, min(e, b1) - max(s, b0)) for s, e in self.open_intervals)
            out.append(round(covered / span, 2) if span > 0 else 0.0)
        return out


def _utcoff(tz: Any, at: float) -> float:
    from datetime import datetime

    off = datetime.fromtimestamp(at, tz).utcoffset()
    return off.total_seconds() if off is not None else 0.0


def count_in_bins(times: Iterable[float], bins: list[float]) -> list[int]:
    """How many of `times` fall in each 15-minute bin."""
    out = [0] * len(bins)
    if not bins:
        return out
    for t in times:
        i = int((t - bins[0]) // BIN_S)
        if 0 <= i < len(bins):
            out[i] += 1
    return out


def _min(seconds: float) -> float:
    return round(seconds / 60, 1)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def day_range(first: str, last: str) -> list[str]:
    """Every ISO date from `first` to `last` inclusive."""
    d0, d1 = date.fromisoformat(first), date.fromisoformat(last)
    return [(d0 + timedelta(days=i)).isoformat() for i in range((d1 - d0).days + 1)]


_OPENS = ("counter_opened", "counter_resumed")
_SHUTS = ("counter_closed", "counter_paused")


def collect(
    events: Iterable[Mapping[str, Any]], config: BranchConfig, first: str, last: str
) -> dict[str, DayFigures]:
    """Fold the events into one `DayFigures` per business day from `first` to `last`."""
    tz = branch_tz(config)
    wanted = set(day_range(first, last))
    days: dict[str, DayFigures] = {d: DayFigures(d) for d in sorted(wanted)}
    open_since: dict[str, float] = {}
    end_at = 0.0

    def add_open(since: float, until: float) -> None:
        t = since
        while t < until:
            d, ends = business_day(config, t)
            seg = min(until, ends)
            if d in days:
                days[d].open_intervals.append((t, seg))
            t = seg

    for d in events:
        kind = d.get("kind")
        at = d.get("at")
        if not isinstance(at, int | float):
            continue
        end_at = max(end_at, float(at))
        tid = d.get("ticket")
        if kind in _OPENS or kind in _SHUTS:
            counter = str(d.get("counter"))
            if kind in _OPENS:
                open_since.setdefault(counter, at)
            elif counter in open_since:
                add_open(open_since.pop(counter), at)
            continue
        if not isinstance(tid, str) or len(tid) < 10:
            continue
        fig = days.get(day_of(tid))
        if fig is None:
            continue
        fold_event(fig.tally, d, tz)
        fig.seen(at)
        if kind == "ticket_issued":
            fig.arrivals.append(at)
            quoted = d.get("expected_wait_s")
            if isinstance(quoted, int | float):
                fig.quoted[tid] = (str(d.get("service")), float(quoted))
        elif kind == "ticket_called" and not d.get("recall") and tid not in fig._called:
            fig._called.add(tid)
            q = fig.quoted.pop(tid, None)
            issued = fig.tally.issued_at.get(tid)
            if q is not None and issued is not None:
                fig.accuracy.setdefault(q[0], Accuracy()).errors.append(q[1] - (at - issued))
        elif kind == "ticket_finished":
            fig.finishes.append(at)
        elif kind == "wait_alert":
            fig.alerts.append(at)
    for since in open_since.values():
        add_open(since, end_at)
    return days


def trend(days: Mapping[str, DayFigures], target_wait_min: float) -> list[dict[str, Any]]:
    """The headline figures of each day, oldest first (the period report's table)."""
    return [{"day": d} | fig.headline(target_wait_min) for d, fig in sorted(days.items())]
