"""The customer directory: tier and appointments by keyed hash, never by number.

The bank syncs a small SQLite file to each kiosk (a nightly copy is enough:
tiers change slowly, appointments are booked a day ahead). The kiosk opens
it read-only and looks an :class:`~drivers.identity.Identity` hash up in it.
The file holds only keyed hashes (``drivers.identity.IdentityHasher`` with
the branch secret) and masked names, so a copied file reveals no card or ID
number and is useless without the branch secret.

Format 1 (``assets/directory/README.md`` has the same table and an example):

| table | column | type | meaning |
|---|---|---|---|
| meta | key, value | text | ``format`` ``lobbyq-directory``, ``version`` ``1``, ``synced_at`` |
| customers | hash | text, key | HMAC hex digest of the card or ID number (per kind) |
| customers | kind | ``card`` / ``id`` | what was hashed |
| customers | tier | ``normal`` / ``vip`` / ``care`` | service class the bank gives the customer |
| customers | masked | text | masked name or number (``张*``, ``**** 1234``), shown to staff |
| appointments | ref_hash | text, key | HMAC hex digest (kind ``qr``) of the booking reference |
| appointments | customer_hash | text or null | the booking customer's card or ID hash |
| appointments | service | text | service code the booking is for |
| appointments | due | real | booked time, epoch seconds |

Other directories (an HTTP service, LDAP) plug in by implementing
:class:`CustomerDirectory`; the kiosk takes one at construction.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from drivers.identity import Identity, IdentityHasher, id_check_char
from kiosk.ui import KioskError

FORMAT = "lobbyq-directory"
VERSION = "1"
TIERS = ("normal", "vip", "care")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS customers (
    hash TEXT PRIMARY KEY CHECK (length(hash) BETWEEN 16 AND 128),
    kind TEXT NOT NULL CHECK (kind IN ('card', 'id')),
    tier TEXT NOT NULL CHECK (tier IN ('normal', 'vip', 'care')),
    masked TEXT NOT NULL CHECK (length(masked) <= 32)
);
CREATE TABLE IF NOT EXISTS appointments (
    ref_hash TEXT PRIMARY KEY CHECK (length(ref_hash) BETWEEN 16 AND 128),
    customer_hash TEXT,
    service TEXT NOT NULL,
    due REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS appointments_by_customer ON appointments (customer_hash, due);
"""

#: Appointment refs sent to the engine are this many hex digits of the ref hash.
REF_DIGITS = 32


class DirectoryError(KioskError):
    """A directory file that is missing, of another format, or unreadable."""


@dataclass(frozen=True, slots=True)
class Booking:
    ref: str  # REF_DIGITS of the booking's keyed hash: what the engine records
    service: str
    due: float


@dataclass(frozen=True, slots=True)
class Entry:
    """What the directory knows about one presented identity."""

    tier: str = "normal"
    masked: str | None = None
    booking: Booking | None = None


class CustomerDirectory(Protocol):
    """Look a presented identity up; ``now`` (epoch s) picks the nearest booking."""

    def lookup(self, identity: Identity, now: float) -> Entry | None: ...


class EmptyDirectory:
    """No directory configured: every customer is a walk-in."""

    def lookup(self, identity: Identity, now: float) -> Entry | None:
        return None


class SqliteDirectory:
    """A format-1 SQLite directory, opened read-only; safe to call from reader threads."""

    def __init__(self, path: str | Path) -> None:
        p = Path(path)
        if not p.exists():
            raise DirectoryError(f"directory file {p.name} does not exist")
        try:
            self._db = sqlite3.connect(
                f"{p.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as exc:
            raise DirectoryError(f"directory file {p.name} is unreadable: {exc}") from exc
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise DirectoryError(
                f"directory file {p.name} is not {FORMAT} version {VERSION}: "
                f"format={meta.get('format')!r} version={meta.get('version')!r}"
            )
        self.synced_at = meta.get("synced_at")
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def lookup(self, identity: Identity, now: float) -> Entry | None:
        with self._lock:
            if identity.kind == "qr":
                row = self._db.execute(
                    "SELECT ref_hash, service, due, customer_hash FROM appointments"
                    " WHERE ref_hash = ?",
                    (identity.hash,),
                ).fetchone()
                if row is None:
                    return None
                tier_row = (
                    self._db.execute(
                        "SELECT tier FROM customers WHERE hash = ?", (row[3],)
                    ).fetchone()
                    if row[3]
                    else None
                )
                booking = Booking(row[0][:REF_DIGITS], row[1], float(row[2]))
                return Entry(tier=tier_row[0] if tier_row else "normal", booking=booking)
            cust = self._db.execute(
                "SELECT tier, masked FROM customers WHERE hash = ? AND kind = ?",
                (identity.hash, identity.kind),
            ).fetchone()
            appt = self._db.execute(
                "SELECT ref_hash, service, due FROM appointments WHERE customer_hash = ?"
                " ORDER BY abs(due - ?) LIMIT 1",
                (identity.hash, now),
            ).fetchone()
        if cust is None and appt is None:
            return None
        found = Booking(appt[0][:REF_DIGITS], appt[1], float(appt[2])) if appt else None
        tier = cust[0] if cust else "normal"
        return Entry(tier=tier, masked=cust[1] if cust else None, booking=found)


# -- writing a directory (the bank's sync job, and the example data) -----------


@dataclass(frozen=True, slots=True)
class Person:
    """A synthetic customer for the example directory; clear numbers live only here."""

    pan: str
    id_number: str
    name: str
    tier: str
    booking_ref: str | None = None
    booking_service: str | None = None
    booking_in_s: float = 0.0


def write_directory(
    path: str | Path,
    customers: Iterable[tuple[Identity, str]],
    bookings: Iterable[tuple[Identity, Identity | None, str, float]],
    synced_at: datetime,
) -> None:
    """Write a format-1 file from identities (hash + masked only) and bookings."""
    p = Path(path)
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.executescript(SCHEMA)
        db.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("format", FORMAT), ("version", VERSION), ("synced_at", synced_at.isoformat())],
        )
        for ident, tier in customers:
            if tier not in TIERS:
                raise DirectoryError(f"tier {tier!r} is not one of {', '.join(TIERS)}")
            db.execute(
                "INSERT OR REPLACE INTO customers VALUES (?, ?, ?, ?)",
                (ident.hash, ident.kind, tier, ident.masked),
            )
        for ref, who, service, due in bookings:
            db.execute(
                "INSERT OR REPLACE INTO appointments VALUES (?, ?, ?, ?)",
                (ref.hash, who.hash if who else None, service, due),
            )
        db.commit()
    finally:
        db.close()
    tmp.replace(p)


def synthetic_pan(n: int) -> str:
    """An obviously synthetic 16-digit card number (issuer 999999) with a valid Luhn digit."""
    body = f"999999{n:09d}"
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def synthetic_id(n: int) -> str:
    """An obviously synthetic resident ID number (area 999999, born 2000-01-01)."""
    body = f"99999920000101{n:03d}"
    return body + id_check_char(body)


def example_people() -> Sequence[Person]:
    """The example directory's customers: one of each kind the kiosk treats differently."""
    return (
        Person(synthetic_pan(1), synthetic_id(1), "王小明", "vip"),
        Person(synthetic_pan(2), synthetic_id(2), "陈美玲", "care"),
        Person(synthetic_pan(3), synthetic_id(3), "Ana García", "normal", "DEMO-A1", "B", 5 * 60),
        Person(synthetic_pan(4), synthetic_id(4), "李大伟", "normal", "DEMO-B2", "A", 3 * 3600),
        Person(synthetic_pan(5), synthetic_id(5), "John Smith", "normal"),
    )


def build_example(path: str | Path, hasher: IdentityHasher, now: float) -> Sequence[Person]:
    """Write the example directory for ``hasher``'s secret, bookings relative to ``now``."""
    people = example_people()
    customers: list[tuple[Identity, str]] = []
    bookings: list[tuple[Identity, Identity | None, str, float]] = []
    for p in people:
        card = hasher.card(p.pan)
        idc = hasher.id_card(p.id_number, p.name)
        customers += [(card, p.tier), (idc, p.tier)]
        if p.booking_ref and p.booking_service:
            due = now + p.booking_in_s
            bookings.append((hasher.qr(p.booking_ref), card, p.booking_service, due))
    write_directory(path, customers, bookings, datetime.fromtimestamp(now, UTC))
    return people


DEMO_SECRET = b"lobbyq-demo-branch-secret-000000"
"""The example directory's secret: public, for the demo only; never use it in a branch."""


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kiosk.directory example OUT.sqlite [--secret FILE]``: write example data."""
    import argparse
    import time

    from drivers.identity import load_secret

    ap = argparse.ArgumentParser(prog="python -m kiosk.directory", description=main.__doc__)
    ap.add_argument("command", choices=["example"])
    ap.add_argument("out", type=Path)
    ap.add_argument("--secret", type=Path, help="branch secret file (default: the demo secret)")
    args = ap.parse_args(argv)
    secret = load_secret(args.secret) if args.secret else DEMO_SECRET
    people = build_example(args.out, IdentityHasher(secret), time.time())
    for p in people:
        booking = (
            f", booking {p.booking_service} in {p.booking_in_s / 60:.0f} min"
            if p.booking_ref
            else ""
        )
        print(f"{p.tier:7} card ****{p.pan[-4:]}{booking}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
