"""The head-office PostgreSQL schema, as numbered migrations applied in order.

Each migration runs once, in its own transaction, recorded in
``schema_migrations``; workers starting together serialise on an advisory
lock, so any number of them may call :func:`migrate`.

Schema (version 1):

| table | column | meaning |
|---|---|---|
| events | branch TEXT, seq BIGINT | primary key: one row per branch log position, written once |
| | at DOUBLE PRECISION | epoch seconds of the event at the branch |
| | kind TEXT, body JSONB | the event, stripped of identity hash and masked form at the branch |
| | hash TEXT | content hash (``lobbyq.protocol.uplink.event_hash``) |
| | received_at TIMESTAMPTZ | when head office committed it |
| branches | branch TEXT PRIMARY KEY | every branch ever heard from |
| | contiguous BIGINT | every seq 1..contiguous is stored (the gap sweep moves it) |
| | hwm BIGINT | highest seq stored (high-water mark) |
| | flagged_at, flag_reason | set when it sent other content under a stored seq |
| gaps | branch, first_seq, last_seq | missing ranges below the hwm (last sweep) |
| conflicts | branch, seq, stored_hash | an event refused: its seq holds other content |
| | offered_hash, offered_body, received_at | what was offered, kept for review |
| rejected | id, subject, payload, reason | messages that were not valid events |
"""

from __future__ import annotations

import psycopg

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "events, branches, gaps, conflicts, rejected",
        """
CREATE TABLE events (
    branch TEXT NOT NULL,
    seq BIGINT NOT NULL CHECK (seq > 0),
    at DOUBLE PRECISION NOT NULL,
    kind TEXT NOT NULL,
    body JSONB NOT NULL,
    hash TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (branch, seq)
);
CREATE TABLE branches (
    branch TEXT PRIMARY KEY,
    contiguous BIGINT NOT NULL DEFAULT 0,
    hwm BIGINT NOT NULL DEFAULT 0,
    first_seen TIMESTAMPTZ NOT NULL DEFAULT now(),
    flagged_at TIMESTAMPTZ,
    flag_reason TEXT
);
CREATE TABLE gaps (
    branch TEXT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (branch, first_seq)
);
CREATE TABLE conflicts (
    branch TEXT NOT NULL,
    seq BIGINT NOT NULL,
    stored_hash TEXT NOT NULL,
    offered_hash TEXT NOT NULL,
    offered_body JSONB NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (branch, seq, offered_hash)
);
CREATE TABLE rejected (
    id BIGSERIAL PRIMARY KEY,
    subject TEXT NOT NULL,
    payload BYTEA NOT NULL,
    reason TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
""",
    ),
]

_LOCK_KEY = 0x6C6F6262  # any constant shared by every worker


def migrate(conn: psycopg.Connection) -> int:
    """Bring the database to the newest schema; returns the version now in place."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        row = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()
        current = int(row[0]) if row else 0
        for version, name, ddl in MIGRATIONS:
            if version > current:
                conn.execute(ddl.encode())
                conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, name)
                )
                current = version
    return current
