"""Fixtures for the counter tests."""

from __future__ import annotations

import pytest
from flowkit import make_state

from counter.flow import CounterState


@pytest.fixture
def open_counter() -> CounterState:
    return make_state(status="open", teller="1024", seq=10)
