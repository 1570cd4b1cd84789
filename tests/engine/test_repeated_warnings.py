"""A flood of bad messages gives one warning line per reason per interval, with a count."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from drivers.mqtt.bus import MemoryBus
from lobbyq.core import BranchConfig
from lobbyq.engine.repeats import RepeatedWarnings
from lobbyq.engine.service import Engine
from lobbyq.protocol.topics import Topics
from tests.engine.conftest import Clock, requester
from tests.support import eventually

MakeEngine = Callable[[], tuple[Engine, MemoryBus]]


def test_a_garbage_flood_is_summarized_not_logged_line_by_line(
    make_engine: MakeEngine,
    config: BranchConfig,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine, bus = make_engine()
    topic = Topics(config.branch_id).cmd("evil-device-999")
    with caplog.at_level(logging.INFO, "lobbyq.engine"):
        for i in range(2000):
            engine.submit(topic, b"garbage %d" % i)
        # a legitimate command after the flood is still answered
        assert requester(bus, config, "kiosk-1").request("issue_ticket", service="A").ok
        lines = [r for r in caplog.records if "evil-device-999" in r.getMessage()]
        assert len(lines) == 1 and "malformed" in lines[0].getMessage()
        clock.t += 11  # the interval ends: one line counts the rest
        assert requester(bus, config, "kiosk-1").request("issue_ticket", service="A").ok
        summary = eventually(
            lambda: [r for r in caplog.records if "1999 more like it" in r.getMessage()]
        )
    assert summary and len(summary) == 1 and summary[0].levelno == logging.WARNING
    assert "garbage 1999" in summary[0].getMessage() or "not JSON" in summary[0].getMessage()


def test_reasons_are_counted_apart_and_quiet_ones_report_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    log = logging.getLogger("test.repeats")
    repeats = RepeatedWarnings(log, interval_s=10, monotonic=clock.monotonic)
    with caplog.at_level(logging.INFO, "test.repeats"):
        for _ in range(5):
            repeats.warn("a", "bad a %d", 1)
        repeats.warn("b", "bad b")
        clock.t += 10
        repeats.flush()
    got = [r.getMessage() for r in caplog.records]
    assert got == ["bad a 1", "bad b", "4 more like it (a) in the last 10 s; the last: bad a 1"]
