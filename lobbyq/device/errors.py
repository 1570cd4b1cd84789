"""One exception family for the technician tools and the device config loader.

The CLI catches :class:`DeviceToolError` and prints its message, which is
written for the technician at the branch: what is wrong and what to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class DeviceToolError(Exception):
    """Base of every error raised by ``lobbyq.device``."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a config file: where, what, and the fix."""

    field: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}; fix: {self.fix}"


class ConfigError(DeviceToolError):
    """A device or branch file is wrong; lists every problem found, not just the first.

    A technician editing a file on a Pi over a serial console wants all the
    mistakes in one run, each naming the field and the fix.
    """

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        count = len(self.problems)
        super().__init__(f"{source}: {count} problem{'s' if count != 1 else ''}\n{lines}")

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(p.field for p in self.problems)


class ProvisionError(DeviceToolError):
    """Provisioning cannot write a consistent set of files."""


class BusToolError(DeviceToolError):
    """A scan, address change, flash or self-test step failed on the bus."""
