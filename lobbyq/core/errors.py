"""The root of lobbyq's exceptions, the queue core's own family, and config problems.

Every error lobbyq raises on purpose derives from `LobbyqError`, each package
through its own base (`CoreError` here, `ProtocolError`, `StoreError`,
`DriverError`, `KioskError`, `DeviceToolError`, ...), so a process edge can
turn any of them into a logged refusal without catching bare `Exception`,
and no `ValueError` or `TimeoutError` subclass stands in for a lobbyq error.
The root lives in the core because the core is the bottom layer: every
layer may import it.

A refusal of a *valid* command (call on a closed counter) is not an
exception: it is a `CommandRefused` event, because it is a normal outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class LobbyqError(Exception):
    """Base of every error lobbyq raises on purpose, in every package."""


class CoreError(LobbyqError):
    """Base of every error the queue core raises."""


class InvalidCommand(CoreError):
    """A command dict is malformed (type, missing field, unknown enum value)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidEvent(CoreError):
    """A stored event dict cannot be decoded (corrupt or newer log)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a config file: where, what, and the fix."""

    field: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}; fix: {self.fix}"


class ConfigError(CoreError):
    """A config file is wrong; lists every problem found, not just the first.

    The one error of every file lobbyq reads (branch queue config, device
    file, branch file, scenario, kiosk content): a technician editing a file
    on a Pi over a serial console wants all the mistakes in one run, each
    naming the dotted field and the fix.
    """

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        count = len(self.problems)
        super().__init__(f"{source}: {count} problem{'s' if count != 1 else ''}\n{lines}")

    @property
    def fields(self) -> tuple[str, ...]:
        """The dotted field names, in the order the problems were found."""
        return tuple(p.field for p in self.problems)
