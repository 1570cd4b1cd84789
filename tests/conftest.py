"""Fixtures shared by the whole suite: a private mosquitto and headless SDL.

Tests never touch a broker the machine already runs: the session gets its
own mosquitto on a free loopback port with a generated config, and each test
gets its own branch id so retained topics of one test never leak into another.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from lobbyq.broker import Mosquitto


@pytest.fixture(scope="session")
def mosquitto() -> Iterator[Mosquitto]:
    """One mosquitto for the session (tests that restart a broker start their own)."""
    broker = Mosquitto().start()
    try:
        yield broker
    finally:
        broker.close()


@pytest.fixture
def broker_url(mosquitto: Mosquitto) -> str:
    return mosquitto.url


@pytest.fixture
def branch_id() -> str:
    """A fresh branch id per test, so retained state never crosses tests."""
    return f"t{uuid.uuid4().hex[:10]}"
