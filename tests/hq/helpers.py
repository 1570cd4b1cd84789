"""Running the uplink and ingest workers in a background event loop, and making branch logs."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import psycopg

from lobbyq.engine.store import EventStore, Record

# A keyed identity hash and a masked card number as the kiosk's readers hand them over.
IDENTITY_HASH = "9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c"
MASKED = "6222 **** **** 0042"


def ticket_event(n: int, at: float) -> dict[str, Any]:
    """A ticket_issued body as the core logs it, with a customer identity on every third."""
    identified = n % 3 == 0
    return {
        "kind": "ticket_issued",
        "at": at,
        "ticket": f"T{n}",
        "number": f"A{n:03d}",
        "seq": n,
        "numeral": n,
        "service": "cash",
        "customer_class": "normal",
        "ahead": 0,
        "expected_wait_s": 60.0,
        "identity_kind": "card" if identified else None,
        "identity_hash": f"{IDENTITY_HASH}{n:04d}" if identified else None,
        "identity_masked": MASKED if identified else None,
        "appointment_ref": None,
        "appointment_due": None,
        "lang": "zh-Hans",
        "command_id": f"c{n}",
    }


def write_log(store: EventStore, count: int, *, start_at: float = 1_760_000_000.0) -> None:
    """Append ``count`` ticket events in groups, as the engine would."""
    base = store.last_seq
    records = []
    for i in range(count):
        n = base + i + 1
        at = start_at + n
        records.append(Record(f"c{n}", "issue_ticket", at, [ticket_event(n, at)]))
        if len(records) == 50:
            store.append(records)
            records = []
    if records:
        store.append(records)


class Background:
    """An asyncio loop in a thread running services until :meth:`stop`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self._tasks: list[asyncio.Future[Any]] = []
        self._by_stop: dict[int, asyncio.Future[Any]] = {}
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def start(self, service: Callable[[asyncio.Event], Awaitable[None]]) -> asyncio.Event:
        """Run ``service(stop)``; returns its own stop event."""

        async def make() -> asyncio.Event:
            return asyncio.Event()

        stop = asyncio.run_coroutine_threadsafe(make(), self.loop).result(5)
        task = asyncio.run_coroutine_threadsafe(service(stop), self.loop)
        self._tasks.append(task)
        self._by_stop[id(stop)] = task
        return stop

    def stop_one(self, stop: asyncio.Event, timeout: float = 15) -> None:
        self.loop.call_soon_threadsafe(stop.set)
        self._by_stop[id(stop)].result(timeout)

    def errors(self) -> list[BaseException]:
        return [e for t in self._tasks if t.done() and (e := t.exception()) is not None]

    def close(self, stops: list[asyncio.Event]) -> None:
        for s in stops:
            self.loop.call_soon_threadsafe(s.set)
        for t in self._tasks:
            try:
                t.result(20)
            except Exception as exc:  # reported by the test through errors()
                print(f"background service ended with {exc!r}", file=sys.stderr)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)


def stored(dsn: str, branch: str) -> list[int]:
    """The seqs head office holds for a branch ([] before a worker made the schema)."""
    with psycopg.connect(dsn) as conn:
        try:
            rows = conn.execute(
                "SELECT seq FROM events WHERE branch = %s ORDER BY seq", (branch,)
            ).fetchall()
        except psycopg.errors.UndefinedTable:
            return []
        return [r[0] for r in rows]


def count(dsn: str, sql: str, *params: Any) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(sql, params).fetchone()
        return int(row[0]) if row else 0


def log_path(tmp: Path, branch: str) -> Path:
    return tmp / f"{branch}.db"
