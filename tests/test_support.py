"""The shared wait helper returns as soon as the condition holds, and gives up on time."""

from __future__ import annotations

import time

from tests.support import eventually


def test_returns_the_first_truthy_value_at_once() -> None:
    calls = iter([0, 0, "found"])
    t0 = time.monotonic()
    assert eventually(lambda: next(calls), timeout=5.0, interval=0.001) == "found"
    assert time.monotonic() - t0 < 1.0


def test_gives_up_at_the_deadline_with_a_falsy_result() -> None:
    t0 = time.monotonic()
    assert not eventually(lambda: False, timeout=0.05)
    assert 0.05 <= time.monotonic() - t0 < 1.0
