"""Named one-shot timers on one thread, on an injected monotonic clock.

The flow asks for timers as effects (the call blink, the rating prompt, the
typed-digit expiry) and restarts them on every call, so one thread serves
them all instead of a thread per timer. Each expiry is posted back as
``TimerFired``; starting a name again restarts it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from counter.flow import Event, TimerFired

IDLE_WAIT_S = 3600.0  # nothing due: sleep until a timer is started


class Timers:
    """One-shot timers by name that post ``TimerFired(name)`` when due."""

    def __init__(
        self, post: Callable[[Event], None], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._post = post
        self._clock = clock
        self._due: dict[str, float] = {}
        self._cond = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None

    def start(self, name: str, seconds: float) -> None:
        """Fire ``name`` after ``seconds`` on the clock; an earlier start of it is forgotten."""
        with self._cond:
            self._due[name] = self._clock() + seconds
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="counter-timers", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def cancel(self, name: str) -> None:
        with self._cond:
            self._due.pop(name, None)

    def pending(self) -> frozenset[str]:
        """The names that have not fired yet."""
        with self._cond:
            return frozenset(self._due)

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._due.clear()
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stop:
                    return
                now = self._clock()
                fired = [n for n, t in self._due.items() if t <= now]
                for n in fired:
                    del self._due[n]
                if not fired:
                    self._cond.wait(min(self._due.values(), default=now + IDLE_WAIT_S) - now)
                    continue
            for n in fired:
                self._post(TimerFired(n))
