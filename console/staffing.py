"""The staffing advisor, fed from what the console hears rather than from a branch state.

``lobbyq.core.staffing`` holds the formula (Erlang C, with its references and
limits) and works on a branch configuration and :class:`StaffingInputs`. The
console has neither a ``BranchState`` nor the branch file: it learns the
queue from messages only. So this module rebuilds both from the snapshot:

- the groups of counters come from the counter views (each lists the services
  it takes now, so a floating teller moves their counter between groups);
- arrivals per minute per service are the ``ticket_issued`` events of the last
  window (30 minutes); a console up for less than that divides by the time
  it has listened, but by at least ``MIN_WINDOW_S`` (so its first minutes do
  not read a few tickets as a rush), and the panel says since when it counts;
- the mean service time per service is the moving average of the finished
  tickets the console heard (the engine's own rule), else what the engine's
  queue view implies (two consecutive waiting tickets' expected waits differ
  by ``mean / counters``), else ``DEFAULT_SERVICE_S`` (the branch file's
  default ``expected_min``), and the panel marks it assumed;
- open means open with a teller; idle, open with nobody at the counter;
- the target wait is the engine's (``counter_advice`` carries it), else
  ``DEFAULT_TARGET_S`` (the branch file's default ``target_wait_min``).

Pure: the snapshot and ``now`` come in, the forecast goes out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from console.model import Snapshot
from lobbyq.core.config import BranchConfig, CounterConfig, ServiceConfig
from lobbyq.core.staffing import GroupForecast, StaffingInputs, forecast

WINDOW_S = 1800.0
MIN_WINDOW_S = 300.0
DEFAULT_SERVICE_S = 300.0
DEFAULT_TARGET_S = 900.0


@dataclass(frozen=True, slots=True)
class StaffingPanel:
    """The advisor's figures for the page, with where each input came from."""

    groups: tuple[GroupForecast, ...]
    window_s: float  # the arrival window actually used
    full_window: bool  # false: the console has listened for less than WINDOW_S
    since: float  # start of the arrival window, or when the console started listening
    target_wait_s: float
    assumed_service: frozenset[str]  # services whose mean service time is the default
    mean_service_s: Mapping[str, float]
    arrivals_per_min: Mapping[str, float]


def branch_config(snap: Snapshot, target_wait_s: float) -> BranchConfig | None:
    """A branch configuration with what the views say: services, and counters as they are now."""
    if not snap.services or not snap.counters:
        return None
    known = {q.code for q in snap.services}
    services = tuple(
        ServiceConfig(
            code=q.code,
            names=dict(q.names),
            prefix=q.code,
            first=1,
            last=999,
            expected_min=DEFAULT_SERVICE_S / 60.0,
            over_wait_min=snap.thresholds.default_over_wait_s / 60.0,
        )
        for q in snap.services
    )
    counters = tuple(
        CounterConfig(c.counter, tuple(s for s in c.services if s in known))
        for c in snap.counters
        if any(s in known for s in c.services)
    )
    return BranchConfig(
        branch_id="console",
        names={},
        services=services,
        counters=counters,
        target_wait_min=target_wait_s / 60.0,
    )


def advise(snap: Snapshot, now: float, window_s: float = WINDOW_S) -> StaffingPanel | None:
    """The forecast per group of counters, or None before the engine's views have arrived."""
    tp = snap.throughput
    if tp is None:
        return None
    target = tp.target_wait_s if tp.target_wait_s is not None else DEFAULT_TARGET_S
    config = branch_config(snap, target)
    if config is None:
        return None
    listened = max(0.0, now - tp.since)
    window = min(window_s, max(listened, MIN_WINDOW_S))
    start = now - window
    counts = {s.code: 0 for s in config.services}
    for at, code in tp.arrivals:
        if start < at <= now and code in counts:
            counts[code] += 1
    per_min = {code: n * 60.0 / window for code, n in counts.items()}
    means: dict[str, float] = {}
    assumed = set()
    for s in config.services:
        m = tp.mean_service_s.get(s.code) or tp.view_service_s.get(s.code)
        if m is None or m <= 0.0:
            assumed.add(s.code)
            m = DEFAULT_SERVICE_S
        means[s.code] = m
    open_ids = frozenset(c.counter for c in snap.counters if c.status == "open" and c.teller)
    idle = frozenset(c.counter for c in snap.counters if c.counter in open_ids and not c.current)
    inputs = StaffingInputs(per_min, means, open_ids, idle, window)
    return StaffingPanel(
        groups=forecast(config, inputs),
        window_s=window,
        full_window=listened >= window_s,
        since=start if listened >= window_s else tp.since,
        target_wait_s=target,
        assumed_service=frozenset(assumed),
        mean_service_s=means,
        arrivals_per_min=per_min,
    )
