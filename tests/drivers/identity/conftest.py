"""Fixtures for the identification readers: a hasher, synthetic numbers, sims.

Card and ID numbers in these tests are generated here, obviously synthetic
(test issuer prefix, birth dates in 1900), and valid only as far as their
check digits go; no fixture file holds one.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.identity import IdentityHasher
from drivers.readers import ReaderHealth, synthetic_id_number, synthetic_pan

SECRET = bytes(range(32))


class Synthetic:
    """Makes synthetic numbers; the tests' only source of card and ID numbers."""

    secret = SECRET

    def __init__(self, seed: int = 7813) -> None:
        self.rng = random.Random(seed)

    def pan(self, length: int = 16) -> str:
        return synthetic_pan(self.rng, length)

    def id_number(self) -> str:
        return synthetic_id_number(self.rng)


@pytest.fixture
def synth() -> Synthetic:
    return Synthetic()


@pytest.fixture
def hasher() -> IdentityHasher:
    return IdentityHasher(SECRET)


@pytest.fixture
def link_path(tmp_path: Path) -> Path:
    return tmp_path / "ttyREADER"


class LogText(logging.Handler):
    """Everything logged anywhere, formatted with arguments and tracebacks."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def all_logs() -> Iterator[LogText]:
    """Capture every log record at DEBUG from the root logger down."""
    handler = LogText()
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old)


class Events:
    """Collects what a reader hands the application, thread-safely enough for asserts."""

    def __init__(self) -> None:
        self.identities: list[object] = []
        self.health: list[ReaderHealth] = []
        self.rejects: list[str] = []

    def identity(self, item: object) -> None:
        self.identities.append(item)

    def on_health(self, h: ReaderHealth) -> None:
        self.health.append(h)

    def reject(self, reason: str) -> None:
        self.rejects.append(reason)

    @property
    def online(self) -> bool | None:
        return self.health[-1].online if self.health else None


@pytest.fixture
def events() -> Events:
    return Events()
