"""Repeated warnings summarized: one line per reason per interval, with a count.

A device gone wrong (or a hostile one) can send thousands of bad messages a
second; a warning line for each would flood journald, which then drops lines,
real errors among them. The first occurrence of a reason is logged at once
with its details; the rest within the interval are counted and reported in
one line when the interval ends, with the last one's details.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Open:
    since: float
    level: int
    count: int = 0
    last: str = ""


class RepeatedWarnings:
    """Log a warning per ``reason`` at most once per ``interval_s``, then a count."""

    def __init__(
        self,
        log: logging.Logger,
        *,
        interval_s: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = log
        self._interval = interval_s
        self._mono = monotonic
        self._open: dict[str, _Open] = {}

    def warn(self, reason: str, msg: str, *args: object) -> None:
        self.log(logging.WARNING, reason, msg, *args)

    def info(self, reason: str, msg: str, *args: object) -> None:
        self.log(logging.INFO, reason, msg, *args)

    def log(self, level: int, reason: str, msg: str, *args: object) -> None:
        now = self._mono()
        self.flush(now)
        entry = self._open.get(reason)
        if entry is None:
            self._open[reason] = _Open(now, level)
            self._log.log(level, msg, *args)
            return
        entry.count += 1
        entry.last = msg % args if args else msg

    def flush(self, now: float | None = None) -> None:
        """Report the counts of intervals that have ended (the worker calls this as it wakes)."""
        if not self._open:
            return
        now = self._mono() if now is None else now
        for reason, entry in list(self._open.items()):
            if now - entry.since < self._interval:
                continue
            del self._open[reason]
            if entry.count:
                self._log.log(
                    entry.level,
                    "%d more like it (%s) in the last %.0f s; the last: %s",
                    entry.count,
                    reason,
                    now - entry.since,
                    entry.last,
                )
