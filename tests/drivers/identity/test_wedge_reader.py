"""The keyboard-wedge host loop, driven by an injected event source."""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from drivers.identity import IdentityHasher
from drivers.magstripe.codec import encode_swipe, encode_track2
from drivers.magstripe.wedge import KeyEvent, encode_keys
from drivers.magstripe.wedge_driver import WedgeReader, WedgeUnavailable, evdev_events
from tests.drivers.identity.conftest import Events, Synthetic
from tests.support import eventually


class FakeDevice:
    """An input device that can be fed key events and pulled out."""

    def __init__(self) -> None:
        self.q: queue.Queue[KeyEvent | None] = queue.Queue()
        self.opens = 0
        self.absent = False

    def open(self, path: str, stop: threading.Event) -> Iterator[KeyEvent]:
        if self.absent:
            raise FileNotFoundError(2, "No such device", path)
        self.opens += 1
        return self._events(stop)

    def _events(self, stop: threading.Event) -> Iterator[KeyEvent]:
        while not stop.is_set():
            try:
                ev = self.q.get(timeout=0.05)
            except queue.Empty:
                continue
            if ev is None:
                raise OSError(19, "No such device")
            yield ev

    def type(self, text: str) -> None:
        for ev in encode_keys(text):
            self.q.put(ev)


def test_wedge_reader_swipes_and_survives_unplug(
    hasher: IdentityHasher, synth: Synthetic, events: Events
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
        assert eventually(lambda: len(events.identities) == 1)
        assert events.identities == [hasher.card(pan)]
        dev.type(";12")  # a half-typed swipe, then the device is pulled out
        dev.q.put(None)
        assert eventually(lambda: events.online is False)
        assert eventually(lambda: events.online is True)
        assert dev.opens == 2
        pan2 = synth.pan()
        dev.type(encode_swipe(None, encode_track2(pan2, "3012", "201")).decode())
        assert eventually(lambda: len(events.identities) == 2)
        assert events.rejects == []  # the half swipe was forgotten, not misread
    finally:
        reader.close()


def test_absent_device_is_offline_until_it_appears(hasher: IdentityHasher, events: Events) -> None:
    dev = FakeDevice()
    dev.absent = True
    reader = WedgeReader(
        "kbd", hasher, events.identity, events.on_health, open_events=dev.open, backoff_max=0.02
    )
    reader.start()
    try:
        assert eventually(lambda: events.online is False)
        assert "No such device" in events.health[0].reason
        dev.absent = False
        assert eventually(lambda: events.online is True)
        assert [h.online for h in events.health] == [False, True]  # no flapping
        t0 = time.monotonic()
    finally:
        reader.close()
    assert time.monotonic() - t0 < 1.0  # close is prompt on a quiet device


def test_missing_evdev_is_a_clear_error(
    hasher: IdentityHasher, events: Events, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "evdev", None)  # import evdev -> ImportError
    reader = WedgeReader("/dev/input/event0", hasher, events.identity)
    with pytest.raises(WedgeUnavailable, match="evdev"):
        reader.start()
    with pytest.raises(WedgeUnavailable, match="pip install evdev"):
        evdev_events("/dev/input/event0", threading.Event())


def test_evdev_adapter_grabs_reads_and_releases(
    hasher: IdentityHasher,
    synth: Synthetic,
    events: Events,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os
    import types
    from dataclasses import dataclass

    @dataclass
    class InputEvent:
        type: int
        code: int
        value: int

    devices: list[FakeInputDevice] = []

    class FakeInputDevice:
        """What the reader uses of python-evdev's InputDevice."""

        def __init__(self, path: str) -> None:
            self.rfd, self.wfd = os.pipe()
            self.fd = self.rfd
            self.pending: queue.Queue[InputEvent] = queue.Queue()
            self.grabbed = self.closed = False
            devices.append(self)

        def grab(self) -> None:
            self.grabbed = True

        def ungrab(self) -> None:
            self.grabbed = False

        def read(self) -> Iterator[InputEvent]:
            os.read(self.rfd, 4096)
            if self.pending.empty():
                raise BlockingIOError(11, "Resource temporarily unavailable")
            while not self.pending.empty():
                yield self.pending.get()

        def close(self) -> None:
            self.closed = True
            os.close(self.rfd)
            os.close(self.wfd)

        def type_text(self, text: str) -> None:
            for ev in encode_keys(text):
                self.pending.put(InputEvent(4, 4, 0))  # EV_MSC scan code: ignored
                self.pending.put(InputEvent(1, ev.code, ev.value))
            os.write(self.wfd, b"!")

    fake = types.ModuleType("evdev")
    fake.InputDevice = FakeInputDevice  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "evdev", fake)
    reader = WedgeReader("event7", hasher, events.identity, events.on_health)
    reader.start()
    try:
        assert eventually(lambda: events.online is True)
        (dev,) = devices
        assert dev.grabbed
        os.write(dev.wfd, b"!")  # a wake-up with nothing to read is not a lost device
        pan = synth.pan()
        dev.type_text(encode_swipe(None, encode_track2(pan, "3012", "201")).decode())
        assert eventually(lambda: len(events.identities) == 1)
        assert events.identities == [hasher.card(pan)]
        assert events.online is True
    finally:
        reader.close()
    assert dev.closed and not dev.grabbed
