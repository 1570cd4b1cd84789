"""The branch's event log: an append-only SQLite file, the truth of the queue.

Why SQLite with WAL and ``synchronous=FULL``: a kiosk Pi loses power without
warning, and a ticket the customer holds must exist after the reboot. A
command's events and its reply are written in one transaction that is on disk
before the reply is published; the command id is the primary key of
``commands``, so a redelivered command is answered from here and never acts
twice. Snapshots only speed up the start; the events stay the truth.

Command ids are scoped per device: a stored command answers a resend only
when the same device sends the same op and fields under its id again; the
same id from another device, or with another op or fields, is a conflict the
engine refuses (``id_conflict``), never answered with another command's reply.

Schema (version 2):

| table | column | meaning |
|---|---|---|
| events | seq INTEGER PRIMARY KEY | gapless position, assigned by the single engine |
| | at REAL | epoch seconds the core was given |
| | kind TEXT | event kind (``ticket_issued`` ...) |
| | command_id TEXT NULL | the command that caused it (NULL for timer events) |
| | body TEXT | the event as JSON (``event_to_dict``) |
| commands | id TEXT PRIMARY KEY | the sender's command id |
| | op TEXT | the command's op |
| | at REAL | when it was applied |
| | reply TEXT | the reply as JSON, sent again on a resend |
| | device TEXT | the device that sent it (``''``: logged before version 2) |
| | fingerprint TEXT | digest of the command's op and fields (``''``: before version 2) |
| snapshots | seq INTEGER PRIMARY KEY | last event folded into this state |
| | body TEXT | ``state_to_dict`` as JSON |
| meta | key TEXT PRIMARY KEY, value TEXT | ``schema``, ``branch`` |

Migrations: a version 1 log (no ``device``, ``fingerprint``) is migrated in
place when opened, in one transaction; its commands then answer a resend
whose op matches, from any device, as before. A log of a newer version is
refused with what to do (run the lobbyq that wrote it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lobbyq.core.errors import LobbyqError

SCHEMA_VERSION = "2"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    command_id TEXT,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS commands (
    id TEXT PRIMARY KEY,
    op TEXT NOT NULL,
    at REAL NOT NULL,
    reply TEXT NOT NULL,
    device TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS snapshots (
    seq INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


_MIGRATE_1_TO_2 = (
    "ALTER TABLE commands ADD COLUMN device TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE commands ADD COLUMN fingerprint TEXT NOT NULL DEFAULT ''",
    "UPDATE meta SET value = '2' WHERE key = 'schema'",
)


class StoreError(LobbyqError):
    """The event log cannot be read or written (disk full, corrupt, wrong branch).

    ``fault`` says what a person must do: ``full`` (free space), ``disk`` (the
    disk or its link failed: check or replace it) or ``other``.
    """

    def __init__(self, message: str, fault: str = "other") -> None:
        super().__init__(message)
        self.fault = fault


# SQLite result codes by what they mean for the branch. After an I/O error
# SQLite often says "database disk image is malformed" of a file that is
# fine: the disk, not the log, failed, and that is what the engine reports.
_FULL = frozenset({"SQLITE_FULL"})
_DISK = ("SQLITE_IOERR", "SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_CANTOPEN", "SQLITE_READONLY")


def classify(exc: sqlite3.Error) -> StoreError:
    """Name a failed write by its cause: the disk is full, or the disk failed."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    text = str(exc)
    if name in _FULL or "disk is full" in text:
        return StoreError(f"the disk is full ({text})", "full")
    if name.startswith(_DISK) or "disk I/O error" in text or "malformed" in text:
        return StoreError(
            f"disk failure ({text}); the log file is most likely intact: check the disk", "disk"
        )
    return StoreError(text)


@dataclass(frozen=True, slots=True)
class StoredCommand:
    """A command already applied, as the log keeps it to answer resends."""

    device: str
    op: str
    fingerprint: str
    reply: dict[str, Any]

    def same(self, device: str, op: str, fingerprint: str) -> bool:
        """Whether a command with this id is a resend of this one (not a conflicting reuse)."""
        if not self.device:  # logged before ids were scoped: only the op is known
            return op == self.op
        return (device, op, fingerprint) == (self.device, self.op, self.fingerprint)


@dataclass(slots=True)
class Record:
    """What one command (or one timer tick) adds to the log."""

    command_id: str | None
    op: str
    at: float
    events: Sequence[Mapping[str, Any]]
    reply: Mapping[str, Any] | None = None
    device: str = ""
    fingerprint: str = ""
    seqs: list[int] = field(default_factory=list)

    def numbered_events(self) -> list[dict[str, Any]]:
        """The events with their log positions, once appended."""
        return [dict(ev, seq=s) for ev, s in zip(self.events, self.seqs, strict=True)]

    def full_reply(self) -> dict[str, Any] | None:
        """The reply as stored and sent: with the numbered events."""
        if self.reply is None:
            return None
        return {**self.reply, "events": self.numbered_events()}


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class EventStore:
    """The SQLite event log; one engine process writes it."""

    def __init__(
        self,
        path: str | Path,
        *,
        branch: str | None = None,
        synchronous: str = "FULL",
        logger: logging.Logger | None = None,
    ) -> None:
        self.path = Path(path)
        self._log = logger or logging.getLogger("lobbyq.store")
        self._lock = threading.Lock()
        if synchronous not in ("FULL", "NORMAL", "OFF", "EXTRA"):
            raise StoreError(f"synchronous must be FULL, EXTRA, NORMAL or OFF, not {synchronous!r}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.executescript(_SCHEMA)
            self._check_meta(branch)
            row = self._db.execute(
                "SELECT COALESCE(MAX(seq), 0), COALESCE(MAX(at), 0.0) FROM events"
            ).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the event log {self.path}: {exc}") from exc
        self._last_seq: int = row[0]
        self._last_at: float = float(row[1])

    def _check_meta(self, branch: str | None) -> None:
        rows = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        if not rows:
            self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            if branch:
                self._db.execute("INSERT INTO meta VALUES ('branch', ?)", (branch,))
            return
        if rows.get("schema") == "1":
            self._migrate_1_to_2()
        elif rows.get("schema") != SCHEMA_VERSION:
            raise StoreError(
                f"event log {self.path} has schema {rows.get('schema')!r}; "
                f"this version reads {SCHEMA_VERSION} (and migrates 1); run the lobbyq "
                "version that wrote it, or restore the log from before the upgrade"
            )
        if branch and rows.get("branch") not in (None, branch):
            raise StoreError(
                f"event log {self.path} belongs to branch {rows['branch']!r}, not {branch!r}; "
                "point --db at this branch's own file"
            )

    def _migrate_1_to_2(self) -> None:
        """Add the sender and fingerprint of each command (ids scoped per device)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _MIGRATE_1_TO_2:
                self._db.execute(statement)
            self._db.execute("COMMIT")
        except sqlite3.Error:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            raise
        self._log.info("event log %s migrated from schema 1 to 2", self.path)

    @property
    def last_seq(self) -> int:
        return self._last_seq

    @property
    def last_at(self) -> float:
        """The latest time in the log (0.0 when empty): a restarted engine never goes before it."""
        return self._last_at

    def append(self, records: Sequence[Record], snapshot: Mapping[str, Any] | None = None) -> None:
        """Write records (and an optional snapshot at the new end) in one durable transaction.

        Each record's events get consecutive ``seq`` numbers, written back into
        ``record.seqs``. On failure nothing is written and :class:`StoreError`
        says why; the caller must then treat its in-memory state as unsafe.
        """
        with self._lock:
            seq = self._last_seq
            ev_rows: list[tuple[int, float, str, str | None, str]] = []
            cmd_rows: list[tuple[str, str, float, str, str, str]] = []
            for rec in records:
                rec.seqs = []
                for ev in rec.events:
                    seq += 1
                    rec.seqs.append(seq)
                    ev_rows.append((seq, rec.at, str(ev["kind"]), rec.command_id, _dumps(ev)))
                reply = rec.full_reply()
                if rec.command_id is not None and reply is not None:
                    cmd_rows.append(
                        (rec.command_id, rec.op, rec.at, _dumps(reply), rec.device, rec.fingerprint)
                    )
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", ev_rows)
                self._db.executemany(
                    "INSERT INTO commands (id, op, at, reply, device, fingerprint) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    cmd_rows,
                )
                if snapshot is not None:
                    at = records[-1].at if records else 0.0
                    self._db.execute(
                        "INSERT OR REPLACE INTO snapshots VALUES (?, ?, ?)",
                        (seq, at, _dumps(snapshot)),
                    )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                fault = classify(exc)
                raise StoreError(
                    f"cannot append to the event log {self.path}: {fault}", fault.fault
                ) from exc
            self._last_seq = seq
            if records:
                self._last_at = max(self._last_at, max(rec.at for rec in records))

    def command(self, command_id: str) -> StoredCommand | None:
        """The command already applied under this id (by whichever device), or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT device, op, fingerprint, reply FROM commands WHERE id = ?", (command_id,)
            ).fetchone()
        if row is None:
            return None
        return StoredCommand(row[0], row[1], row[2], json.loads(row[3]))

    def issuer(self, ticket_id: str) -> str | None:
        """The device whose command issued this ticket (None: a timer, unknown, or before v2).

        Read from the newest event backwards: a live ticket was issued today,
        so the scan stops near the end of even a year's log.
        """
        with self._lock:
            row = self._db.execute(
                "SELECT c.device FROM events e JOIN commands c ON c.id = e.command_id "
                "WHERE e.kind = 'ticket_issued' AND json_extract(e.body, '$.ticket') = ? "
                "ORDER BY e.seq DESC LIMIT 1",
                (ticket_id,),
            ).fetchone()
        return str(row[0]) if row is not None and row[0] else None

    def events(self, after: int = 0, *, batch: int = 5000) -> Iterator[tuple[int, dict[str, Any]]]:
        """Events with ``seq > after`` in order, read in batches (safe on a large log)."""
        last = after
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (last, batch)
                ).fetchall()
            if not rows:
                return
            for seq, body in rows:
                yield seq, json.loads(body)
            last = rows[-1][0]

    def latest_snapshot(self) -> tuple[int, dict[str, Any]] | None:
        """The newest snapshot as (seq, state dict), or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT seq, body FROM snapshots ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        return row[0], json.loads(row[1])

    def drop_snapshots(self) -> None:
        """Forget snapshots (after a core change that alters the state's shape)."""
        with self._lock:
            self._db.execute("DELETE FROM snapshots")

    def close(self) -> None:
        with self._lock:
            self._db.close()
