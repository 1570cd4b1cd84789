"""What the console's fold, alert rules and staffing advisor cost per message and per page.

A busy branch: 4 services, 200 waiting tickets, 6 counters, 300 arrivals in
the window. Figures (JSON on stdout):

- ``decode_queue_us``: decoding one ``state/queue`` payload alone (the baseline,
  measured in the same run);
- ``fold_queue_us``: the model's whole fold of it (decode, rows, alert rules);
- ``fold_event_us``: one ``ticket_issued`` event folded (decode, activity, rules);
- ``advise_us``: the staffing forecast from one snapshot;
- ``panels_ms``: every panel of the page rendered for one session (what each
  open console pays per change), against ``panels_first_slice_ms``, the
  panels the console had before alerts and the advisor (the baseline).

    ./.venv/bin/python bench/console_model.py     (``--json`` is accepted, as ./run bench passes it)
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

# bench/ holds scripts named like packages (bench/drivers.py): import the
# product from the repository root, never from this folder.
_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
sys.path[:] = [_ROOT, *(p for p in sys.path if os.path.abspath(p or ".") != _HERE)]

from argon2 import PasswordHasher  # noqa: E402

from console.actions import Command, Outcome  # noqa: E402
from console.auth import Accounts  # noqa: E402
from console.model import BranchModel  # noqa: E402
from console.staffing import advise  # noqa: E402
from console.web import ConsoleDeps, ConsoleWeb  # noqa: E402
from lobbyq.core.events import TicketIssued  # noqa: E402
from lobbyq.core.views import CounterView, CurrentTicket, QueueView, ServiceQueue, WaitingTicket  # noqa: E402
from lobbyq.protocol.events import LoggedEvent  # noqa: E402
from lobbyq.protocol.messages import StatusMsg  # noqa: E402
from lobbyq.protocol.topics import Topics  # noqa: E402
from lobbyq.protocol.views import Retained, decode_queue  # noqa: E402

DAY = "2026-11-23"


class _Commander:
    def send(self, command: Command) -> Outcome:
        return Outcome(True)


def _per_call(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main() -> None:
    now = time.time()
    topics = Topics("bench")
    model = BranchModel(topics, clock=lambda: now)
    services = {}
    for k, code in enumerate("ABCD"):
        tickets = tuple(
            WaitingTicket(f"{code}{i:03d}", "normal", 30.0 * i, 60.0 + 120.0 * i) for i in range(50)
        )
        services[code] = ServiceQueue({"en": code}, 50, 1.5, 6000.0 + k, tickets)
    queue = Retained(1, QueueView("bench", DAY, now, None, services)).encode()
    for cid, svc in zip("123456", ("A", "A", "B", "C", "D", "D"), strict=True):
        cur = CurrentTicket(f"{DAY}-1", f"{svc}999", svc, now - 60) if cid in "135" else None
        view = CounterView(cid, "open", None, f"t{cid}", (svc, "A"), cur, (), ())
        model.ingest(topics.state_counter(cid), Retained(1, view).encode())
    model.ingest(topics.status("engine"), StatusMsg("engine", True, "engine", now).encode())
    for i in range(300):
        e = TicketIssued(
            now - 1700 + i * 5, f"{DAY}-{i}", f"A{i:03d}", i, i, "A", "normal", 0, None
        )
        model.ingest(topics.evt("ticket_issued"), LoggedEvent(i, e).encode())
    event = LoggedEvent(
        999, TicketIssued(now, f"{DAY}-999", "B999", 999, 999, "B", "normal", 0, None)
    ).encode()

    decode_us = _per_call(lambda: decode_queue(queue), 300) * 1e6
    fold_us = _per_call(lambda: model.ingest(topics.state_queue, queue), 300) * 1e6
    event_us = _per_call(lambda: model.ingest(topics.evt("ticket_issued"), event), 2000) * 1e6
    snap = model.snapshot()
    advise_us = _per_call(lambda: advise(snap, now), 300) * 1e6
    with TemporaryDirectory() as tmp:
        accounts = Accounts(
            Path(tmp) / "a.db", hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        account = accounts.add_user("mgr", "manager", "bench password")
        token, _ = accounts.open_session(account)
        session = accounts.session(token)
        assert session is not None
        web = ConsoleWeb(ConsoleDeps(model=model, commander=_Commander(), accounts=accounts))
        web.panels(snap, "en", session)  # templates compiled once
        panels_ms = _per_call(lambda: web.panels(model.snapshot(), "en", session), 100) * 1e3
        # The baseline in the same run: the first slice's panels only (no alerts, advisor,
        # waiting-ticket form), rendered the same way.
        old = ("engine", "notice", "queues", "counters", "calls", "devices", "activity")
        web_any: Any = web

        def first_slice() -> None:
            snap = model.snapshot()
            ctx = {"_": web_any._tr("en"), "lang": "en", "snap": snap, "blocked": snap.blocked,
                   "can_act": True, "csrf": session.csrf}  # fmt: skip
            for pid in old:
                web_any._render(f"panels/{pid}.html", **ctx)

        before_ms = _per_call(first_slice, 100) * 1e3
        accounts.close()
    print(
        json.dumps(
            {
                "waiting": 200,
                "decode_queue_us": round(decode_us, 1),
                "fold_queue_us": round(fold_us, 1),
                "fold_over_decode": round(fold_us / decode_us, 2),
                "fold_event_us": round(event_us, 1),
                "advise_us": round(advise_us, 1),
                "panels_ms": round(panels_ms, 2),
                "panels_first_slice_ms": round(before_ms, 2),
                "alerts": len(model.snapshot().raised),
            }
        )
    )


if __name__ == "__main__":
    main()
