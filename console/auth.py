"""Accounts and sessions in one small SQLite file: argon2 hashes, roles, expiring sessions.

Roles: ``manager`` sees and acts, ``viewer`` sees. A session is a random
token; the browser holds it signed (so a tampered cookie is refused before
any lookup), the file holds only its SHA-256 with the account, the role, the
CSRF token and the expiry, so a copied file opens no session. Expired
sessions are refused and swept. The cookie-signing secret is made on first
use and kept in the same file, which is created readable by its owner only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from console.errors import ConsoleError

ROLES: tuple[str, ...] = ("manager", "viewer")
SESSION_TTL_S = 12 * 3600.0  # one business day
MIN_PASSWORD = 8
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, csrf TEXT NOT NULL,
    created REAL NOT NULL, expires REAL NOT NULL, flash TEXT);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class AccountError(ConsoleError):
    """An account that cannot be made as asked; the text says why."""


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    role: str

    @property
    def can_act(self) -> bool:
        return self.role == "manager"


@dataclass(frozen=True, slots=True)
class Session:
    """A live session; ``id`` is its token's digest, the clear token is only in the cookie."""

    id: str
    account: Account
    csrf: str
    expires: float

    def csrf_ok(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.csrf.encode())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """The accounts file; every method is safe from any thread."""

    def __init__(
        self,
        path: Path | str,
        *,
        clock: Callable[[], float] = time.time,
        hasher: PasswordHasher | None = None,
        session_ttl_s: float = SESSION_TTL_S,
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self.session_ttl_s = session_ttl_s
        self._lock = threading.Lock()
        if str(path) != ":memory:" and not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)
        # Something to verify against when the name is unknown, so a wrong name
        # costs as long as a wrong password and says nothing about who exists.
        self._dummy = self._hasher.hash(secrets.token_hex(16))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- accounts --------------------------------------------------------------
    def add_user(self, name: str, role: str, password: str, *, replace: bool = False) -> Account:
        if not _NAME.match(name):
            raise AccountError(
                f"account name {name!r} must be 1-32 of a-z 0-9 . _ -, starting with a letter"
                " or digit"
            )
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
        digest = self._hasher.hash(password)
        with self._lock:
            exists = self._db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone()
            if exists and not replace:
                raise AccountError(f"account {name!r} exists already")
            self._db.execute(
                "INSERT OR REPLACE INTO users (name, role, hash, created) VALUES (?, ?, ?, ?)",
                (name, role, digest, self._clock()),
            )
            # A changed password or role ends that account's open sessions.
            self._db.execute("DELETE FROM sessions WHERE name = ?", (name,))
        return Account(name, role)

    def users(self) -> list[Account]:
        with self._lock:
            rows = self._db.execute("SELECT name, role FROM users ORDER BY name").fetchall()
        return [Account(n, r) for n, r in rows]

    def verify(self, name: str, password: str) -> Account | None:
        """The account if the password is right; None otherwise (same cost either way)."""
        with self._lock:
            row = self._db.execute(
                "SELECT role, hash FROM users WHERE name = ?", (name,)
            ).fetchone()
        digest = row[1] if row else self._dummy
        try:
            self._hasher.verify(digest, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if self._hasher.check_needs_rehash(digest):
            with self._lock:
                self._db.execute(
                    "UPDATE users SET hash = ? WHERE name = ?", (self._hasher.hash(password), name)
                )
        return Account(name, row[0])

    # -- sessions --------------------------------------------------------------
    def open_session(self, account: Account) -> tuple[str, Session]:
        """A fresh session for a verified account: (clear token for the cookie, session)."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        session = Session(
            _digest(token), account, secrets.token_urlsafe(32), now + self.session_ttl_s
        )
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE expires <= ?", (now,))
            self._db.execute(
                "INSERT INTO sessions (id, name, role, csrf, created, expires)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (session.id, account.name, account.role, session.csrf, now, session.expires),
            )
        return token, session

    def session(self, token: str) -> Session | None:
        """The live session of a token, or None when unknown or expired."""
        sid = _digest(token)
        now = self._clock()
        with self._lock:
            row = self._db.execute(
                "SELECT name, role, csrf, expires FROM sessions WHERE id = ?", (sid,)
            ).fetchone()
            if row is None:
                return None
            if row[3] <= now:
                self._db.execute("DELETE FROM sessions WHERE id = ?", (sid,))
                return None
        return Session(sid, Account(row[0], row[1]), row[2], row[3])

    def close_session(self, session_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def set_flash(self, session_id: str, text: str) -> None:
        """A one-time message for the next page of this session (forms posted without JS)."""
        with self._lock:
            self._db.execute("UPDATE sessions SET flash = ? WHERE id = ?", (text, session_id))

    def pop_flash(self, session_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT flash FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            if row is None or row[0] is None:
                return None
            self._db.execute("UPDATE sessions SET flash = NULL WHERE id = ?", (session_id,))
        return str(row[0])

    def secret(self) -> bytes:
        """The cookie-signing key, made on first use."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
            if row is None:
                value = secrets.token_hex(32)
                self._db.execute("INSERT INTO meta (key, value) VALUES ('secret', ?)", (value,))
                return bytes.fromhex(value)
        return bytes.fromhex(row[0])
