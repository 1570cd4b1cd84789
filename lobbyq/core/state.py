"""The branch state: tickets, per-service queues and counters, built for speed.

Design (why it is fast enough for 100k commands/s in Python):
- `tickets` is a dict by ticket id; a display number maps to its live ticket
  through `by_number`, so `call_ticket A007` is one lookup.
- every queue (one per service, plus one per counter for tickets transferred
  to that counter, keyed "@<counter>") is a list of entries
  `(band, key, seq, ticket_id)` kept sorted with `bisect`. `band` 0 is the
  front (transfers to the front), 1 everyone else; `key` comes from the
  dispatch policy (arrival time, or arrival minus the class head start for
  priority-aging) and is fixed at insertion, so the head is always `q[0]`.
  Almost every insertion is an append; removals are a C-level memmove.
- the state is mutated in place by `evolve`; `apply` therefore consumes the
  state it is given (see `apply`).

`state_to_dict`/`state_from_dict` give a JSON-safe snapshot; queues are not
stored but rebuilt from the waiting tickets' entries, so a snapshot cannot
disagree with itself.
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lobbyq.core.config import BranchConfig, CounterConfig
from lobbyq.core.errors import CoreError

WAITING = "waiting"
CALLED = "called"
HELD = "held"
FINISHED = "finished"
NO_SHOW = "no_show"
CANCELLED = "cancelled"
EXPIRED = "expired"
TICKET_STATUSES: tuple[str, ...] = (WAITING, CALLED, HELD, FINISHED, NO_SHOW, CANCELLED, EXPIRED)
LIVE_STATUSES: frozenset[str] = frozenset((WAITING, CALLED, HELD))

OPEN = "open"
CLOSED = "closed"
PAUSED = "paused"

RECENT_KEEP = 32
SNAPSHOT_VERSION = 1

Entry = tuple[int, float, int, str]


@dataclass(slots=True)
class Ticket:
    """One ticket of the current business day."""

    id: str
    seq: int
    numeral: int
    number: str
    service: str  # the service it waits for now (changes on transfer)
    range_service: str  # the service whose number range it was issued from
    customer_class: str
    issued_at: float
    status: str = WAITING
    queue: str | None = None  # queue key while waiting: service code or "@<counter>"
    entry: Entry | None = None
    counter: str | None = None  # counter that called or holds it
    teller: str | None = None
    identity_kind: str | None = None
    identity_hash: str | None = None
    identity_masked: str | None = None
    appointment_ref: str | None = None
    appointment_due: float | None = None
    lang: str | None = None
    first_called_at: float | None = None
    called_at: float | None = None
    no_shows: int = 0
    transfers: int = 0
    rating: int | None = None


@dataclass(slots=True)
class Counter:
    """A counter's live status: open/closed/paused, who is there, whom it serves."""

    id: str
    status: str = CLOSED
    pause_reason: str | None = None
    teller: str | None = None
    current: str | None = None
    held: list[str] = field(default_factory=list)
    last_finished: str | None = None
    # The services it takes today when a manager changed them (primary first);
    # None: the configured ones. A list, so a snapshot round trip compares equal.
    services: list[str] | None = None


@dataclass(slots=True)
class Notice:
    notice: str
    text: str | None
    since: float


@dataclass(slots=True)
class BranchState:
    """The whole queue of one branch; equality compares every live fact."""

    config: BranchConfig
    day: str | None = None
    day_ends_at: float = float("-inf")
    tickets: dict[str, Ticket] = field(default_factory=dict)
    queues: dict[str, list[Entry]] = field(default_factory=dict)
    counters: dict[str, Counter] = field(default_factory=dict)
    next_numeral: dict[str, int] = field(default_factory=dict)
    live_numerals: dict[str, dict[int, str]] = field(default_factory=dict)
    by_number: dict[str, str] = field(default_factory=dict)
    appointments: dict[str, dict[str, float]] = field(default_factory=dict)
    issue_seq: int = 0
    entry_seq: int = 0
    avg_service_s: dict[str, float] = field(default_factory=dict)
    pending_ratings: dict[str, float] = field(default_factory=dict)
    alerted: set[str] = field(default_factory=set)
    advice: dict[str, str] = field(default_factory=dict)
    notice: Notice | None = None
    recent: deque[tuple[str, str, str, float]] = field(
        default_factory=lambda: deque(maxlen=RECENT_KEEP)
    )
    # Derived, not state: per service, the counters serving it and their weight
    # in the wait estimate (see estimate.py), so estimating needs no lookups.
    serving: dict[str, list[tuple[Counter, float]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    # Derived too: each counter's configuration with today's services (see `refresh_counters`).
    counter_cfg: dict[str, CounterConfig] = field(default_factory=dict, repr=False, compare=False)

    @staticmethod
    def initial(config: BranchConfig) -> BranchState:
        """A branch before its first event: all counters closed, nobody waiting."""
        state = BranchState(config=config)
        _fill_missing(state)
        return state


def _fill_missing(state: BranchState) -> None:
    """Give every configured service and counter its slots (also after a config change)."""
    for s in state.config.services:
        state.queues.setdefault(s.code, [])
        state.next_numeral.setdefault(s.code, s.first)
        state.live_numerals.setdefault(s.code, {})
        state.appointments.setdefault(s.code, {})
        state.avg_service_s.setdefault(s.code, s.expected_min * 60.0)
    for c in state.config.counters:
        state.counters.setdefault(c.id, Counter(id=c.id))
    refresh_counters(state)


def refresh_counters(state: BranchState) -> None:
    """Rebuild the derived counter lookups after a counter's services changed.

    A counter whose services a manager changed takes those (the ones still in
    the config, after a config change); every other counter its configured
    ones. Dispatch, wait estimates, advice and the counter view all read
    `counter_cfg` and `serving`, so one change reaches all of them.
    """
    cfg = state.config
    known = cfg.service
    effective: dict[str, CounterConfig] = {}
    for cc in cfg.counters:
        chosen = state.counters[cc.id].services
        kept = tuple(code for code in chosen if code in known) if chosen is not None else ()
        effective[cc.id] = CounterConfig(cc.id, kept, cc.mode) if kept else cc
    state.counter_cfg = effective
    state.serving = {
        s.code: [
            (state.counters[cc.id], 1.0 if cc.mode == "pooled" or cc.services[0] == s.code else 0.5)
            for cc in effective.values()
            if s.code in cc.services
        ]
        for s in cfg.services
    }


def enqueue(state: BranchState, t: Ticket, queue: str, band: int, key: float) -> None:
    """Put a ticket in a queue at its policy position (shared by evolve and snapshots)."""
    state.entry_seq += 1
    entry: Entry = (band, key, state.entry_seq, t.id)
    q = state.queues.get(queue)
    if q is None:
        q = state.queues[queue] = []
    if not q or q[-1] < entry:
        q.append(entry)
    else:
        insort(q, entry)
    t.status = WAITING
    t.queue = queue
    t.entry = entry
    if t.appointment_due is not None and not queue.startswith("@"):
        state.appointments[queue][t.id] = t.appointment_due


def dequeue(state: BranchState, t: Ticket) -> None:
    """Take a waiting ticket out of its queue (called, cancelled, expired)."""
    if t.queue is None or t.entry is None:
        return
    q = state.queues[t.queue]
    if q and q[0] == t.entry:
        del q[0]
    else:
        from bisect import bisect_left

        i = bisect_left(q, t.entry)
        if i < len(q) and q[i] == t.entry:
            del q[i]
    if t.queue.startswith("@"):
        if not q:
            # Counter queues exist only while someone is in them, as in a snapshot.
            del state.queues[t.queue]
    elif t.appointment_due is not None:
        state.appointments[t.queue].pop(t.id, None)
    t.queue = None
    t.entry = None


_TICKET_FIELDS = tuple(Ticket.__dataclass_fields__)
_COUNTER_FIELDS = tuple(Counter.__dataclass_fields__)


def state_to_dict(state: BranchState) -> dict[str, Any]:
    """A JSON-safe snapshot of the state (config included, for inspection)."""
    tickets = []
    for t in state.tickets.values():
        d = {name: getattr(t, name) for name in _TICKET_FIELDS}
        d["entry"] = list(t.entry) if t.entry is not None else None
        tickets.append(d)
    return {
        "version": SNAPSHOT_VERSION,
        "config": state.config.to_dict(),
        "day": state.day,
        "day_ends_at": state.day_ends_at if state.day is not None else None,
        "tickets": tickets,
        "counters": [
            {
                name: (list(v) if isinstance(v := getattr(c, name), list) else v)
                for name in _COUNTER_FIELDS
            }
            for c in state.counters.values()
        ],
        "next_numeral": dict(state.next_numeral),
        "issue_seq": state.issue_seq,
        "entry_seq": state.entry_seq,
        "avg_service_s": dict(state.avg_service_s),
        "pending_ratings": dict(state.pending_ratings),
        "alerted": sorted(state.alerted),
        "advice": dict(state.advice),
        "notice": (
            {"notice": state.notice.notice, "text": state.notice.text, "since": state.notice.since}
            if state.notice is not None
            else None
        ),
        "recent": [list(r) for r in state.recent],
    }


def state_from_dict(d: Mapping[str, Any], config: BranchConfig | None = None) -> BranchState:
    """Rebuild a state from `state_to_dict` output.

    Pass `config` to restart under the current configuration (a counter added
    since the snapshot appears closed); by default the snapshot's own is used.
    """
    if d.get("version") != SNAPSHOT_VERSION:
        raise CoreError(f"snapshot version {d.get('version')!r} is not {SNAPSHOT_VERSION}")
    cfg = config if config is not None else BranchConfig.from_dict(d["config"])
    state = BranchState(config=cfg)
    state.day = d["day"]
    state.day_ends_at = float(d["day_ends_at"]) if d["day_ends_at"] is not None else float("-inf")
    for td in d["tickets"]:
        values = dict(td)
        entry = values.pop("entry")
        t = Ticket(**values)
        if entry is not None:
            t.entry = (int(entry[0]), float(entry[1]), int(entry[2]), str(entry[3]))
        state.tickets[t.id] = t
    for cd in d["counters"]:
        c = Counter(**cd)
        c.held = list(c.held)
        state.counters[c.id] = c
    state.next_numeral = {k: int(v) for k, v in d["next_numeral"].items()}
    state.issue_seq = int(d["issue_seq"])
    state.entry_seq = int(d["entry_seq"])
    state.avg_service_s = {k: float(v) for k, v in d["avg_service_s"].items()}
    state.pending_ratings = {k: float(v) for k, v in d["pending_ratings"].items()}
    state.alerted = set(d["alerted"])
    state.advice = dict(d["advice"])
    n = d["notice"]
    state.notice = Notice(n["notice"], n["text"], float(n["since"])) if n is not None else None
    state.recent.extend((r[0], r[1], r[2], float(r[3])) for r in d["recent"])
    _fill_missing(state)
    for t in state.tickets.values():
        if t.status in LIVE_STATUSES:
            state.live_numerals.setdefault(t.range_service, {})[t.numeral] = t.id
            state.by_number[t.number] = t.id
        if t.status == WAITING and t.queue is not None and t.entry is not None:
            q = state.queues.setdefault(t.queue, [])
            insort(q, t.entry)
            if t.appointment_due is not None and not t.queue.startswith("@"):
                state.appointments.setdefault(t.queue, {})[t.id] = t.appointment_due
    return state
