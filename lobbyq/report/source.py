"""Where the events of a report come from: the engine's SQLite log or a JSON-lines file.

The SQLite log is opened read-only (``mode=ro`` URI, no schema creation, no
WAL checkpoint), with a busy timeout, and read in batches by ``seq``: a report
made while the engine runs never takes a write lock and never holds a read
transaction longer than one batch, so the engine keeps issuing tickets.
A JSON-lines file is what ``lobbyq simulate --events`` writes, one
``event_to_dict`` object per line.

Either way the events come out as dicts, oldest first, one at a time, so a
month of a large branch is never held in memory whole.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from lobbyq.core.errors import LobbyqError
from lobbyq.protocol.messages import ProtocolError, loads


class EventSourceError(LobbyqError):
    """The event log cannot be read (missing, not a lobbyq log, or a bad line)."""


def jsonl_events(path: Path) -> Iterator[dict[str, Any]]:
    """Events of a JSON-lines file; a bad line is an error naming its line number."""
    try:
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    d = loads(line)
                except ProtocolError as exc:
                    raise EventSourceError(f"{path}:{n}: not a JSON event ({exc})") from exc
                if not isinstance(d, dict) or not isinstance(d.get("kind"), str):
                    raise EventSourceError(f"{path}:{n}: not an event object")
                yield d
    except OSError as exc:
        raise EventSourceError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _ro_uri(path: Path) -> str:
    return f"file:{quote(str(path.resolve()))}?mode=ro"


def db_events(path: Path, *, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Events of the engine's log, read-only, in ``seq`` order, ``batch`` rows per query."""
    if not path.is_file():
        raise EventSourceError(f"no event log at {path}")
    try:
        db = sqlite3.connect(_ro_uri(path), uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        raise EventSourceError(f"cannot open {path} read-only: {exc}") from exc
    try:
        last = 0
        while True:
            try:
                rows = db.execute(
                    "SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                    (last, batch),
                ).fetchall()
            except sqlite3.Error as exc:
                raise EventSourceError(f"{path} is not a lobbyq event log: {exc}") from exc
            if not rows:
                return
            for seq, body in rows:
                try:
                    yield loads(body)
                except ProtocolError as exc:
                    raise EventSourceError(f"{path}: event {seq} is not JSON") from exc
            last = rows[-1][0]
    finally:
        db.close()


def open_events(db: Path | None, events: Path | None) -> Iterator[dict[str, Any]]:
    """The events of whichever source was given (exactly one of them)."""
    if (db is None) == (events is None):
        raise EventSourceError("give either an event log (--db) or an event file (--events)")
    if db is not None:
        return db_events(db)
    assert events is not None
    return jsonl_events(events)
