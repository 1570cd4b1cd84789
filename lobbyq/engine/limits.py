"""Per-device rate limits: a token bucket per device, sized to what its role can really do.

One device flooding the engine (a faulty keypad repeating a key, a kiosk
taken over) must not take every ticket number of the day, fill the log, or
hold up the other devices' commands. Every command costs its device one
token; a device's bucket holds at most ``burst`` tokens and refills at
``per_s``. A command without a token is dropped before it reaches the
engine's queue (so the others' commands never wait behind a flood), counted,
and its device is answered ``rate_limited`` at most once per ``tell_every_s``,
so a real device learns why while a flood costs no reply each. A real
device whose command was dropped resends it with the same id, and it passes
once a token is back.

| role | per_s | burst | why |
|---|---|---|---|
| kiosk | 0.5 | 10 | a customer needs seconds at a kiosk: a flood gets 30 numbers a minute |
| counter | 2 | 20 | a teller's keys: login, open, call, finish, rate in quick runs |
| console | 5 | 50 | a manager's clicks and a page's bulk changes |
| any other, or unknown | 0.2 | 5 | displays and the technician send nothing; refused anyway |

Pure apart from the lock: time comes from the injected monotonic clock. Used
from the MQTT thread, so it is locked, and cheap (a dict lookup and a few
float operations per command).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Rate:
    """A sustained rate (tokens per second) and the burst a full bucket allows."""

    per_s: float
    burst: float


DEFAULT_RATES: Mapping[str, Rate] = {
    "kiosk": Rate(0.5, 10),
    "counter": Rate(2.0, 20),
    "console": Rate(5.0, 50),
}
OTHER_RATE = Rate(0.2, 5)
MAX_BUCKETS = 1024  # devices tracked at once; beyond, idle buckets are dropped
_SHARED = "\x00shared"  # the bucket of devices beyond MAX_BUCKETS while all are busy


@dataclass(slots=True)
class TokenBucket:
    """Tokens for one device: ``burst`` at most, refilled at ``per_s``."""

    rate: Rate
    tokens: float
    at: float
    dropped: int = 0
    told_at: float | None = None

    def refill(self, now: float) -> None:
        if now > self.at:
            self.tokens = min(self.rate.burst, self.tokens + (now - self.at) * self.rate.per_s)
        self.at = max(self.at, now)

    def take(self, now: float) -> bool:
        self.refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        self.dropped += 1
        return False

    @property
    def idle(self) -> bool:
        return self.tokens >= self.rate.burst


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a command may pass, and whether to tell its device it was dropped."""

    allowed: bool
    tell: bool = False
    dropped: int = 0  # this device's commands dropped so far


ALLOWED = Verdict(True)


@dataclass
class Limiter:
    """The buckets of every device that sent something; ``role_of`` names a device's role."""

    role_of: Callable[[str], str | None]
    monotonic: Callable[[], float]
    rates: Mapping[str, Rate] = field(default_factory=lambda: dict(DEFAULT_RATES))
    other: Rate = OTHER_RATE
    tell_every_s: float = 1.0
    max_buckets: int = MAX_BUCKETS
    _buckets: dict[str, TokenBucket] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def check(self, device: str) -> Verdict:
        """Take a token for one command from ``device``."""
        now = self.monotonic()
        with self._lock:
            bucket = self._buckets.get(device)
            if bucket is None:
                bucket = self._new(device, now)
            if bucket.take(now):
                return ALLOWED
            tell = bucket.told_at is None or now - bucket.told_at >= self.tell_every_s
            if tell:
                bucket.told_at = now
            return Verdict(False, tell, bucket.dropped)

    def dropped(self) -> dict[str, int]:
        """Commands dropped per device since it was first seen (for status and benches)."""
        with self._lock:
            return {d: b.dropped for d, b in self._buckets.items() if b.dropped}

    def _new(self, device: str, now: float) -> TokenBucket:
        if len(self._buckets) >= self.max_buckets:
            for name, b in list(self._buckets.items()):
                b.refill(now)
                if b.idle and name != _SHARED:
                    del self._buckets[name]
        if len(self._buckets) >= self.max_buckets:
            shared = self._buckets.get(_SHARED)
            if shared is None:
                shared = self._buckets[_SHARED] = TokenBucket(self.other, self.other.burst, now)
            return shared
        kind = self.role_of(device)
        rate = self.rates.get(kind, self.other) if kind is not None else self.other
        bucket = self._buckets[device] = TokenBucket(rate, rate.burst, now)
        return bucket
