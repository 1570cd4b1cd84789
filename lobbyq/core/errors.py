"""The queue core's one exception family.

Everything the core raises derives from `CoreError`, so the engine service can
turn any of them into a logged refusal at its edge without catching bare
`Exception`. A refusal of a *valid* command (call on a closed counter) is not
an exception: it is a `CommandRefused` event, because it is a normal outcome.
"""

from __future__ import annotations


class CoreError(Exception):
    """Base of every error the queue core raises."""


class InvalidCommand(CoreError):
    """A command dict is malformed (type, missing field, unknown enum value)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidEvent(CoreError):
    """A stored event dict cannot be decoded (corrupt or newer log)."""


class ConfigError(CoreError):
    """The branch configuration is wrong; the message names the field and the fix."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        super().__init__(f"{field}: {problem}; fix: {fix}")
        self.field = field
        self.problem = problem
        self.fix = fix
