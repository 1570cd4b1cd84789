"""The keyboard-wedge host loop, driven by an injected event source."""

from __future__ import annotations

import queue
import sys
from collections.abc import Callable, Iterator

import pytest
from conftest import Events, Synthetic

from drivers.identity import IdentityHasher
from drivers.magstripe.codec import encode_swipe, encode_track2
from drivers.magstripe.wedge import KeyEvent, encode_keys
from drivers.magstripe.wedge_device import WedgeReader, WedgeUnavailable, evdev_events


class FakeDevice:
    """An input device that can be fed key events and pulled out."""

    def __init__(self) -> None:
        self.q: queue.Queue[KeyEvent | None] = queue.Queue()
        self.opens = 0
        self.absent = False

    def open(self, path: str) -> Iterator[KeyEvent]:
        if self.absent:
            raise FileNotFoundError(2, "No such device", path)
        self.opens += 1
        return self._events()

    def _events(self) -> Iterator[KeyEvent]:
        while True:
            ev = self.q.get()
            if ev is None:
                raise OSError(19, "No such device")
            yield ev

    def type(self, text: str) -> None:
        for ev in encode_keys(text):
            self.q.put(ev)


def test_wedge_reader_swipes_and_survives_unplug(
    hasher: IdentityHasher, synth: Synthetic, events: Events, wait_for: Callable[..., bool]
) -> None:
    dev = FakeDevice()
    reader = WedgeReader(
        "/dev/input/by-id/test-kbd",
        hasher,
        events.identity,
        events.on_health,
        on_reject=events.reject,
        open_events=dev.open,
        backoff_initial=0.01,
        backoff_max=0.02,
    )
    reader.start()
    try:
        pan = synth.pan()
        dev.type(encode_swipe(None, encode_track2(pan, "3012", "201")).decode())
        assert wait_for(lambda: len(events.identities) == 1)
        assert events.identities == [hasher.card(pan)]
        dev.type(";12")  # a half-typed swipe, then the device is pulled out
        dev.q.put(None)
        assert wait_for(lambda: events.online is False)
        assert wait_for(lambda: events.online is True)
        assert dev.opens == 2
        pan2 = synth.pan()
        dev.type(encode_swipe(None, encode_track2(pan2, "3012", "201")).decode())
        assert wait_for(lambda: len(events.identities) == 2)
        assert events.rejects == []  # the half swipe was forgotten, not misread
    finally:
        dev.q.put(KeyEvent(0, 0))
        reader.close()


def test_missing_evdev_is_a_clear_error(
    hasher: IdentityHasher, events: Events, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "evdev", None)  # import evdev -> ImportError
    reader = WedgeReader("/dev/input/event0", hasher, events.identity)
    with pytest.raises(WedgeUnavailable, match="evdev"):
        reader.start()
    with pytest.raises(WedgeUnavailable, match="pip install evdev"):
        next(iter(evdev_events("/dev/input/event0")))
