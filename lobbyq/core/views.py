"""Views: JSON-safe dicts for the retained MQTT state topics.

A device that reboots reads these and shows the right thing at once, so each
view is complete on its own (no deltas). Ticket identity never appears here,
not even masked: the hall display has no business with it.

The shapes are tabled in `PROTOCOL.md` beside this file.
"""

from __future__ import annotations

from typing import Any

from lobbyq.core.estimate import capacity, wait_formula
from lobbyq.core.state import BranchState


def notice_view(state: BranchState) -> dict[str, Any] | None:
    n = state.notice
    if n is None:
        return None
    return {"notice": n.notice, "text": n.text, "since": n.since}


def queue_view(state: BranchState, now: float) -> dict[str, Any]:
    """Per service: who waits, in call order, with each one's expected wait."""
    services: dict[str, Any] = {}
    tickets = state.tickets
    for svc in state.config.services:
        q = state.queues[svc.code]
        c, idle = capacity(state, svc.code)
        mean = state.avg_service_s[svc.code]
        rows = []
        for i, entry in enumerate(q):
            t = tickets[entry[3]]
            rows.append(
                {
                    "number": t.number,
                    "class": t.customer_class,
                    "waited_s": round(max(0.0, now - t.issued_at), 1),
                    "expected_wait_s": wait_formula(i, c, idle, mean),
                }
            )
        services[svc.code] = {
            "name": dict(svc.names),
            "waiting": len(q),
            "open_counters": c,
            "expected_wait_s": wait_formula(len(q), c, idle, mean),
            "tickets": rows,
        }
    return {
        "branch": state.config.branch_id,
        "day": state.day,
        "at": now,
        "notice": notice_view(state),
        "services": services,
    }


def counter_view(state: BranchState, counter_id: str) -> dict[str, Any]:
    """One counter's status for its LED strip, keypad and the lobby view."""
    c = state.counters[counter_id]
    cur = state.tickets.get(c.current) if c.current is not None else None
    direct = state.queues.get("@" + counter_id, [])
    return {
        "counter": c.id,
        "status": c.status,
        "reason": c.pause_reason,
        "teller": c.teller,
        "services": list(state.config.counter[counter_id].services),
        "current": (
            {
                "ticket": cur.id,
                "number": cur.number,
                "service": cur.service,
                "called_at": cur.called_at,
            }
            if cur is not None
            else None
        ),
        "held": [
            {
                "ticket": tid,
                "number": state.tickets[tid].number,
                "service": state.tickets[tid].service,
            }
            for tid in c.held
        ],
        "transferred_here": [state.tickets[e[3]].number for e in direct],
    }


def recent_calls(state: BranchState, n: int = 8) -> list[dict[str, Any]]:
    """The last `n` calls (recalls included), newest first, for the hall display."""
    out: list[dict[str, Any]] = []
    for number, counter, service, at in reversed(state.recent):
        if len(out) >= n:
            break
        out.append({"number": number, "counter": counter, "service": service, "at": at})
    return out
