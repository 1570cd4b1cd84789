"""Waiting in tests: for a condition, never for a guessed number of seconds.

Apps, simulators and brokers run in threads and processes, so a test must
wait for what it expects to see. ``eventually`` re-checks the condition on a
short tick and returns as soon as it holds; on a loaded machine it simply
waits longer, up to ``timeout``, where a blind ``sleep`` would have guessed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.005
) -> T | None:
    """``predicate()``'s first truthy value within ``timeout`` seconds, else its last value.

    Returns what the predicate returned, so ``assert eventually(lambda: got)``
    reads as the assertion and ``msg = eventually(find_reply)`` hands back the
    thing found. The condition is checked once more at the deadline.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return value or None
        time.sleep(interval)
