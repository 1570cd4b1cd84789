"""Reading the branch event log read-only, as the uplink's outbox.

Why straight SQL and not ``lobbyq.engine.store``: the uplink is a service of
its own beside the engine (the import contract keeps services apart), and it
must never be able to write the log. It opens the file with ``mode=ro``, so a
bug here cannot touch the truth of the queue. The schema it reads is the one
documented in ``lobbyq/engine/store.py``: ``events(seq, at, kind, body)`` and
``meta(key, value)`` with the branch id under ``branch``.

A log replaced on disk (restored from a backup while the uplink runs) is a
new file: the reader notices the changed inode and reopens, so it reads the
restored content rather than the deleted file's.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lobbyq.core.errors import LobbyqError


class LogError(LobbyqError):
    """The event log cannot be read (missing, not a lobbyq log, another branch's)."""


@dataclass(frozen=True, slots=True)
class LogRow:
    seq: int
    at: float
    kind: str
    body: dict[str, Any]


class LogReader:
    """Read-only access to one branch's SQLite event log."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 2000) -> None:
        self.path = Path(path)
        self._busy_ms = busy_timeout_ms
        self._db: sqlite3.Connection | None = None
        self._inode: int | None = None

    def _connect(self) -> sqlite3.Connection:
        try:
            inode = os.stat(self.path).st_ino
        except OSError as exc:
            raise LogError(f"cannot read the event log {self.path}: {exc}") from exc
        if self._db is not None and inode == self._inode:
            return self._db
        self.close()
        try:
            db = sqlite3.connect(
                f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            db.execute(f"PRAGMA busy_timeout={int(self._busy_ms)}")
            db.execute("SELECT 1 FROM events LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise LogError(f"{self.path} is not a readable lobbyq event log: {exc}") from exc
        self._db, self._inode = db, inode
        return db

    def branch(self) -> str | None:
        """The branch id the engine wrote into the log, if any."""
        try:
            row = self._connect().execute("SELECT value FROM meta WHERE key='branch'").fetchone()
        except sqlite3.Error as exc:
            raise LogError(f"cannot read the event log {self.path}: {exc}") from exc
        return None if row is None else str(row[0])

    def rows(self, after: int, limit: int) -> list[LogRow]:
        """Up to ``limit`` events with ``seq > after``, in order."""
        try:
            rows = (
                self._connect()
                .execute(
                    "SELECT seq, at, kind, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                    (after, limit),
                )
                .fetchall()
            )
        except sqlite3.Error as exc:
            raise LogError(f"cannot read the event log {self.path}: {exc}") from exc
        out: list[LogRow] = []
        for seq, at, kind, body in rows:
            try:
                parsed = json.loads(body)
            except json.JSONDecodeError as exc:
                raise LogError(f"event {seq} in {self.path} is not JSON: {exc}") from exc
            out.append(LogRow(int(seq), float(at), str(kind), parsed))
        return out

    def row(self, seq: int) -> LogRow | None:
        """The event at ``seq``, or None when the log does not reach it."""
        got = self.rows(seq - 1, 1)
        return got[0] if got and got[0].seq == seq else None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db, self._inode = None, None
