"""Fixtures shared by the driver tests: pty ports with stable names in tmp dirs."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# With a bare ``pytest`` (not ``python -m pytest``) the repository root is not on
# sys.path and ``tests/`` is, so ``tests/drivers`` would shadow the product
# package ``drivers`` as a namespace package. Put the root first and drop a
# shadow if one was already imported.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
if getattr(sys.modules.get("drivers"), "__file__", "") is None:
    for _name in [m for m in sys.modules if m == "drivers" or m.startswith("drivers.")]:
        del sys.modules[_name]

from drivers.sim.pty import PtyPort  # noqa: E402


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
