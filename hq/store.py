"""Writing branch events into PostgreSQL: idempotent batches, conflicts kept apart.

Why this shape. A batch is copied into a session-local staging table and
moved with one ``INSERT ... ON CONFLICT (branch, seq) DO NOTHING``, in one
transaction, so a redelivered batch (a worker killed before its ack, the
uplink resending after a lost ack) changes nothing. An event offered under a
seq that already holds *different* content is not an error to swallow: it
goes to ``conflicts`` and the branch is flagged, so a log restored from an
old backup is visible and never merged silently.

The ingest transaction touches only ``events`` (and ``conflicts``/
``branches`` when something is wrong), so workers writing the same branch do
not queue behind a per-branch row lock. The high-water mark and the missing
ranges are kept by :meth:`HqStore.sweep`, a short separate transaction that
skips a branch another worker is already sweeping.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import psycopg

from lobbyq.protocol.uplink import HqEvent

_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS incoming ("
    " branch TEXT, seq BIGINT, at DOUBLE PRECISION, kind TEXT, body JSONB, hash TEXT"
    ") ON COMMIT DELETE ROWS"
)


@dataclass(frozen=True, slots=True)
class WriteResult:
    inserted: int
    duplicates: int
    conflicts: list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class BranchState:
    branch: str
    contiguous: int
    hwm: int
    gaps: list[tuple[int, int]]
    flagged: str | None


class HqStore:
    """One worker's connection to the head-office database."""

    def __init__(self, conn: psycopg.AsyncConnection, logger: logging.Logger | None = None):
        self.conn = conn
        self._log = logger or logging.getLogger("hq.store")
        self._known: set[str] = set()

    @classmethod
    async def connect(cls, dsn: str, logger: logging.Logger | None = None) -> HqStore:
        conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
        await conn.execute(_STAGING)
        return cls(conn, logger)

    async def close(self) -> None:
        await self.conn.close()

    async def write(
        self, events: Sequence[HqEvent], rejected: Iterable[tuple[str, bytes, str]] = ()
    ) -> WriteResult:
        """Store a batch (and the messages refused as invalid) in one transaction."""
        conflicts: list[tuple[str, int]] = []
        inserted = 0
        async with self.conn.transaction(), self.conn.cursor() as cur:
            for subject, payload, reason in rejected:
                await cur.execute(
                    "INSERT INTO rejected (subject, payload, reason) VALUES (%s, %s, %s)",
                    (subject, payload, reason),
                )
            if events:
                new = sorted({e.branch for e in events} - self._known)
                if new:
                    await cur.executemany(
                        "INSERT INTO branches (branch) VALUES (%s) ON CONFLICT DO NOTHING",
                        [(b,) for b in new],
                    )
                async with cur.copy(
                    "COPY incoming (branch, seq, at, kind, body, hash) FROM STDIN"
                ) as copy:
                    for e in events:
                        await copy.write_row(
                            (e.branch, e.seq, e.at, e.kind, json.dumps(e.body), e.hash)
                        )
                await cur.execute(
                    "INSERT INTO events (branch, seq, at, kind, body, hash)"
                    " SELECT branch, seq, at, kind, body, hash FROM incoming"
                    " ON CONFLICT (branch, seq) DO NOTHING"
                )
                inserted = max(cur.rowcount, 0)
                if inserted < len(events):
                    conflicts = await self._conflicts(cur)
                self._known.update(new)
        return WriteResult(inserted, len(events) - inserted - len(conflicts), conflicts)

    async def _conflicts(self, cur: psycopg.AsyncCursor) -> list[tuple[str, int]]:
        await cur.execute(
            "INSERT INTO conflicts (branch, seq, stored_hash, offered_hash, offered_body)"
            " SELECT i.branch, i.seq, e.hash, i.hash, i.body"
            " FROM incoming i JOIN events e USING (branch, seq) WHERE e.hash <> i.hash"
            " ON CONFLICT DO NOTHING"
        )
        await cur.execute(
            "SELECT DISTINCT i.branch, i.seq FROM incoming i JOIN events e USING (branch, seq)"
            " WHERE e.hash <> i.hash ORDER BY 1, 2"
        )
        found = [(str(b), int(s)) for b, s in await cur.fetchall()]
        for branch in sorted({b for b, _ in found}):
            seqs = [s for b, s in found if b == branch]
            reason = (
                f"sent different events under seq {seqs[0]}"
                + (f" and {len(seqs) - 1} more" if len(seqs) > 1 else "")
                + " already stored: was its log restored from an older backup?"
            )
            self._log.error("branch %s %s", branch, reason)
            await cur.execute(
                "UPDATE branches SET flagged_at = COALESCE(flagged_at, now()),"
                " flag_reason = COALESCE(flag_reason, %s) WHERE branch = %s",
                (reason, branch),
            )
        return found

    async def sweep(self, branch: str) -> bool:
        """Recompute the branch's high-water mark and missing ranges; False if busy elsewhere."""
        async with self.conn.transaction(), self.conn.cursor() as cur:
            await cur.execute(
                "SELECT contiguous FROM branches WHERE branch = %s FOR UPDATE SKIP LOCKED",
                (branch,),
            )
            row = await cur.fetchone()
            if row is None:
                return False
            contiguous = int(row[0])
            await cur.execute(
                "SELECT prev + 1, seq - 1 FROM ("
                " SELECT seq, lag(seq, 1, %(c)s::bigint) OVER (ORDER BY seq) AS prev"
                " FROM events WHERE branch = %(b)s AND seq > %(c)s) t"
                " WHERE seq > prev + 1 ORDER BY 1",
                {"b": branch, "c": contiguous},
            )
            gaps = [(int(a), int(z)) for a, z in await cur.fetchall()]
            await cur.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM events WHERE branch = %s", (branch,)
            )
            hwm_row = await cur.fetchone()
            hwm = int(hwm_row[0]) if hwm_row else 0
            contiguous = gaps[0][0] - 1 if gaps else max(hwm, contiguous)
            await cur.execute("DELETE FROM gaps WHERE branch = %s", (branch,))
            if gaps:
                await cur.executemany(
                    "INSERT INTO gaps (branch, first_seq, last_seq) VALUES (%s, %s, %s)",
                    [(branch, a, z) for a, z in gaps],
                )
            await cur.execute(
                "UPDATE branches SET contiguous = %s, hwm = %s WHERE branch = %s",
                (contiguous, hwm, branch),
            )
        return True

    async def branch_state(self, branch: str) -> BranchState | None:
        """What head office knows of one branch's completeness."""
        async with self.conn.cursor() as cur:
            await cur.execute(
                "SELECT contiguous, hwm, flag_reason FROM branches WHERE branch = %s", (branch,)
            )
            row = await cur.fetchone()
            if row is None:
                return None
            await cur.execute(
                "SELECT first_seq, last_seq FROM gaps WHERE branch = %s ORDER BY 1", (branch,)
            )
            gaps = [(int(a), int(z)) for a, z in await cur.fetchall()]
        return BranchState(branch, int(row[0]), int(row[1]), gaps, row[2])
