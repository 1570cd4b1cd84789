"""Mosquitto password-file lines, hashed the way ``mosquitto_passwd`` does.

Format (mosquitto 2.0): ``user:$7$<iterations>$<base64 salt>$<base64 hash>``
where the hash is PBKDF2-HMAC-SHA512 of the password with a 12-byte salt.
Writing it in Python means provisioning runs on a technician's laptop with
no mosquitto installed. mosquitto_passwd's default of 101 iterations is kept:
the passwords are 32 random bytes, so stretching buys nothing, and a broker
on a Pi checks the hash on every reconnect of a dozen devices.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ITERATIONS = 101
SALT_BYTES = 12
PASSWORD_BYTES = 32


def new_password() -> str:
    """A fresh device password: 256 random bits, URL-safe so it fits a broker URL."""
    return secrets.token_urlsafe(PASSWORD_BYTES)


def hash_password(password: str, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The ``$7$`` hash string for one password."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    salt_b64 = base64.b64encode(salt).decode()
    return f"$7${iterations}${salt_b64}${base64.b64encode(digest).decode()}"


def verify_password(password: str, hashed: str) -> bool:
    """Check a password against a ``$7$`` hash (for tests and `provision --check`)."""
    parts = hashed.split("$")
    if len(parts) != 5 or parts[1] != "7":
        return False
    try:
        iterations = int(parts[2])
        salt = base64.b64decode(parts[3], validate=True)
        want = base64.b64decode(parts[4], validate=True)
    except ValueError:
        return False
    got = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return hmac.compare_digest(got, want)


def password_line(username: str, password: str) -> str:
    if ":" in username or "\n" in username:
        raise ValueError(f"user name {username!r} cannot go in a password file")
    return f"{username}:{hash_password(password)}"
