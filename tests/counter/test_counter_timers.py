"""The counter's timers run on the clock they are given, not on the machine's."""

from __future__ import annotations

from counter.flow import Event, TimerFired
from counter.timers import Timers
from tests.support import eventually


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_timer_fires_when_its_clock_says_so() -> None:
    clock = Clock()
    fired: list[Event] = []
    timers = Timers(fired.append, clock)
    try:
        timers.start("blink", 10.0)
        timers.start("rating", 60.0)
        timers.start("now", 0.0)
        assert eventually(lambda: fired == [TimerFired("now")], 2.0), fired
        assert timers.pending() == {"blink", "rating"}
        clock.now += 10.0
        timers.start("entry", 20.0)  # any start wakes the thread to look at the clock again
        assert eventually(lambda: TimerFired("blink") in fired, 2.0), fired
        assert timers.pending() == {"rating", "entry"}
        timers.cancel("rating")
        timers.start("entry", 5.0)  # started again: the earlier due time is forgotten
        clock.now += 5.0
        timers.start("thanks", 100.0)
        assert eventually(lambda: TimerFired("entry") in fired, 2.0), fired
        assert fired == [TimerFired("now"), TimerFired("blink"), TimerFired("entry")]
        assert timers.pending() == {"thanks"}
    finally:
        timers.close()
