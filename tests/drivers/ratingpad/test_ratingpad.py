"""Rating pad: 3- and 5-key layouts, prompt gating and timeout, reasons, recovery."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from drivers.bus.events import RatingGiven
from drivers.bus.harness import EventLog
from drivers.bus.master import BusMaster
from drivers.bus.sim import BusSim
from drivers.ratingpad.codes import KEYS_3, Rating, Reason
from drivers.ratingpad.driver import rating_prompt
from drivers.ratingpad.sim import RatingPadSim

FAST: dict[str, Any] = {"keepalive_s": 0.1, "reply_timeout_s": 0.03, "baudrate": 1_000_000}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_three_key_values_span_the_five_point_scale() -> None:
    assert KEYS_3 == (Rating.VERY_UNSATISFIED, Rating.AVERAGE, Rating.VERY_SATISFIED)
    assert Rating.UNSATISFIED.unhappy and not Rating.AVERAGE.unhappy


def test_keys_ignored_without_prompt_and_prompt_times_out() -> None:
    clock = Clock()
    pad = RatingPadSim(2, keys=3, clock=clock)
    assert not pad.press(Rating.AVERAGE)
    from drivers.bus.messages import RatingPrompt

    pad.handle(2, 1, RatingPrompt(True, 30))
    assert pad.prompt
    clock.now += 31
    assert not pad.prompt
    assert not pad.press(Rating.AVERAGE)
    pad.handle(2, 2, RatingPrompt(True, 30))
    pad.handle(2, 3, RatingPrompt(False, 0))
    assert not pad.prompt


def test_layout_and_reason_rules() -> None:
    pad = RatingPadSim(2, keys=3)
    with pytest.raises(ValueError):
        pad.press(Rating.SATISFIED)  # a 3-key pad has no such key
    with pytest.raises(ValueError):
        pad.press(Rating.VERY_SATISFIED, Reason.ATTITUDE)
    with pytest.raises(ValueError):
        RatingPadSim(2, keys=4)


@pytest.mark.parametrize("keys", [3, 5])
def test_each_key_reaches_host(tmp_path: Path, keys: int) -> None:
    pad = RatingPadSim(2, keys=keys)
    log = EventLog()
    with (
        BusSim(tmp_path / "rp", [pad]) as sim,
        BusMaster(sim.url, devices=[2], on_event=log, **FAST) as m,
    ):
        assert m.wait_online(2, 3)
        assert m.info(2) is not None and m.info(2).caps & 0x0F == keys  # type: ignore[union-attr]
        for value in pad.layout:
            rating_prompt(m, 2, True)
            assert pad.press(value)
            assert not pad.prompt  # a rating puts the prompt out
            log.wait_for(RatingGiven, lambda e, v=value: e.value is v)  # type: ignore[misc]
        assert [e.value for e in log.of(RatingGiven)] == list(pad.layout)


def test_unhappy_rating_carries_reason(counter_bus: Any) -> None:
    rating_prompt(counter_bus.master, 2, True)
    counter_bus.pad.press(Rating.UNSATISFIED, Reason.WAIT_TOO_LONG)
    ev = counter_bus.log.wait_for(RatingGiven)
    assert (ev.value, ev.reason) == (Rating.UNSATISFIED, Reason.WAIT_TOO_LONG)


def test_pad_alone_recovers_and_prompt_is_lost_on_power_cut(
    tmp_path: Path, replug: Callable[..., float]
) -> None:
    pad = RatingPadSim(2, keys=5)
    log = EventLog()
    with (
        BusSim(tmp_path / "rp", [pad]) as sim,
        BusMaster(sim.url, devices=[2], on_event=log, backoff_max=0.05, **FAST) as m,
    ):
        assert m.wait_online(2, 3)
        rating_prompt(m, 2, True)
        assert replug(sim, m, log, [2]) < 1.0
        assert not pad.prompt
        rating_prompt(m, 2, True)
        pad.press(Rating.SATISFIED)
        assert log.wait_for(RatingGiven).value is Rating.SATISFIED
