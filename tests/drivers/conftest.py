"""Fixtures shared by the driver tests: pty ports with stable names in tmp dirs."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drivers.sim.pty import PtyPort


@pytest.fixture
def pty_port(tmp_path: Path) -> Iterator[PtyPort]:
    """A simulated cable; the application opens ``pty_port.url``."""
    port = PtyPort(tmp_path / "ttyLOBBYQ")
    yield port
    port.close()


def _wait_for(cond: Callable[[], bool], timeout: float = 3.0) -> bool:
    """Wait for a condition without a blind sleep: re-check on a short tick."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.001)
    return cond()


WaitFor = Callable[..., bool]


@pytest.fixture
def wait_for() -> WaitFor:
    """``wait_for(cond, timeout=3.0)``: True as soon as ``cond()`` holds."""
    return _wait_for
