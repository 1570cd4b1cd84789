"""Login throttling: a few wrong passwords per account, a few more per address, then a wait.

Failures are counted in a sliding window per account name and per client
address, so guessing one manager's password and spraying many accounts from
one tablet are both slowed. While a key is over its limit even the right
password is refused (the caller checks before verifying), and the wait is
said in the answer. It lives in memory: a restart forgets it, which costs an
attacker a console restart per window, and never locks a branch out for good.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``failures`` within ``window_s`` seconds."""

    failures: int
    window_s: float


PER_ACCOUNT = Limit(5, 900.0)
PER_ADDRESS = Limit(20, 900.0)


class LoginThrottle:
    """Counts failed logins; ``retry_after`` says how long a key must wait (0 = may try)."""

    def __init__(
        self,
        *,
        per_account: Limit = PER_ACCOUNT,
        per_address: Limit = PER_ADDRESS,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self._limits = {"account": per_account, "address": per_address}
        self._clock = clock
        self._max_keys = max_keys
        self._fails: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._fails.get(key)
        if q is None:
            return deque()
        window = self._limits[key[0]].window_s
        while q and q[0] <= now - window:
            q.popleft()
        if not q:
            del self._fails[key]
        return q

    def retry_after(self, account: str, address: str) -> float:
        """Seconds until this account from this address may try again."""
        now = self._clock()
        wait = 0.0
        for key in (("account", account.lower()), ("address", address)):
            limit = self._limits[key[0]]
            q = self._recent(key, now)
            if len(q) >= limit.failures:
                wait = max(wait, q[len(q) - limit.failures] + limit.window_s - now)
        return wait

    def failed(self, account: str, address: str) -> None:
        now = self._clock()
        if len(self._fails) >= self._max_keys:
            self._prune(now)
        for key in (("account", account.lower()), ("address", address)):
            self._fails.setdefault(key, deque()).append(now)

    def succeeded(self, account: str) -> None:
        """A right password clears the account's count (not the address's)."""
        self._fails.pop(("account", account.lower()), None)

    def _prune(self, now: float) -> None:
        for key in list(self._fails):
            self._recent(key, now)
        while len(self._fails) >= self._max_keys:
            self._fails.pop(next(iter(self._fails)))
