"""A simulated counter bus: several device sims at their addresses on one pty.

``BusSim`` is the shell around the pure ``DeviceSim`` logic: it reads host
frames from the ``PtyPort``, hands each to the device at that address,
writes the replies, and sends devices' events unsolicited (in report mode)
with retries until the host acknowledges them. Faults are scripted here:
``silence()``, ``unplug()``/``replug()`` (a power cut for every device on the
cable), ``send_garbage(n)``, ``lossy(rate)`` (frames lost on a noisy line).

Everything a test needs to wait on is a condition on a device
(``strip.wait_until(lambda s: s.text == "A023")``), never a blind sleep.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import select
import threading
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from drivers.bus.codes import BROADCAST_ADDR, ErrorCode
from drivers.bus.device_sim import DeviceSim
from drivers.bus.frame import FrameDecoder, encode
from drivers.bus.messages import Event, Nak, decode_message
from drivers.errors import FrameError
from drivers.sim.pty import PtyPort, PtyPortError

D = TypeVar("D", bound=DeviceSim)

# FrameError reason -> the NAK a device answers for a frame it cannot take
_NAK_FOR: dict[str, ErrorCode] = {
    "cmd": ErrorCode.BAD_CMD,
    "payload": ErrorCode.BAD_LENGTH,
    "too_long": ErrorCode.TEXT_TOO_LONG,
    "value": ErrorCode.BAD_ARG,
    "text": ErrorCode.BAD_ARG,
}


class BusSim:
    """Host a set of device sims on one simulated RS-485 cable."""

    def __init__(
        self,
        link_path: str | os.PathLike[str],
        devices: Iterable[DeviceSim] = (),
        *,
        event_retry_s: float = 0.03,
        clock: Callable[[], float] = time.perf_counter,
        logger: logging.Logger | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.port = PtyPort(link_path)
        self.devices: list[DeviceSim] = []
        self.event_retry_s = event_retry_s
        self.clock = clock
        self.log = logger or logging.getLogger("lobbyq.sim.bus")
        self.rng = rng or random.Random(0)
        self.decoder = FrameDecoder()
        self.bad_frames = 0
        self._silent = False
        self.loss = 0.0  # chance that any one frame, either way, is lost on the line
        self.lost_frames = 0
        self._write_lock = threading.Lock()
        # self-pipe: a key press on another thread wakes the select at once
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._plugged = threading.Event()
        self._plugged.set()
        self._stop = threading.Event()
        self._last_sent: dict[int, tuple[int, float]] = {}  # id(dev) -> (seq, t)
        for dev in devices:
            self.add(dev)
        self._thread = threading.Thread(target=self._run, name="bus-sim", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return self.port.url

    def add(self, dev: D) -> D:
        """Put a device on the cable (it powers up with a POWER_UP event)."""
        dev.attach(self._kick)
        self.devices.append(dev)
        self._kick()
        return dev

    def _kick(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"k")

    def device(self, addr: int) -> DeviceSim:
        for dev in self.devices:
            if dev.addr == addr:
                return dev
        raise KeyError(addr)

    # -- faults -----------------------------------------------------------

    def lossy(self, rate: float) -> None:
        """Lose each frame (host to device and back) with probability ``rate``:
        a noisy line, to prove retries act once and events arrive once."""
        if not 0.0 <= rate < 1.0:
            raise ValueError("loss rate must be in [0, 1)")
        self.loss = rate

    def _lost(self) -> bool:
        with self._write_lock:
            if self.loss and self.rng.random() < self.loss:
                self.lost_frames += 1
                return True
            return False

    def silence(self, on: bool = True) -> None:
        """The whole bus stops answering (e.g. a cut A/B pair); the port stays."""
        self._silent = on

    def unplug(self) -> None:
        """Pull the cable: the host's port fails; devices lose power."""
        self._plugged.clear()
        for dev in self.devices:
            dev.powered = False
        self.port.unplug()
        self._kick()

    def replug(self) -> None:
        """Plug back: new pty behind the same name, every device boots again."""
        self.decoder.reset()
        for dev in self.devices:
            dev.powered = True
            dev.power_cycle()
        self._last_sent.clear()
        self.port.replug()
        self._plugged.set()
        self._kick()

    def send_garbage(self, n: int) -> bytes:
        """Write ``n`` random bytes toward the host (noise on the line)."""
        with self._write_lock:
            data = self.rng.randbytes(n)
        self._write(data)
        return data

    def close(self) -> None:
        self._stop.set()
        self._plugged.set()
        self._kick()
        self._thread.join(timeout=2)
        self.port.close()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> BusSim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the shell --------------------------------------------------------

    def _send_frame(self, data: bytes) -> bool:
        """A frame onto the line (maybe lost: then it looks sent to the device)."""
        if self._lost():
            return True
        return self._write(data)

    def _write(self, data: bytes) -> bool:
        with self._write_lock:
            try:
                self.port.write(data)
            except (PtyPortError, OSError):
                return False
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._plugged.is_set():
                self._plugged.wait()
                continue
            timeout = self._send_events()
            try:
                fd = self.port.fileno()
                ready, _, _ = select.select([fd, self._wake_r], [], [], timeout)
                if self._wake_r in ready:
                    with contextlib.suppress(BlockingIOError):
                        os.read(self._wake_r, 4096)
                data = self.port.read(0) if fd in ready else b""
            except (PtyPortError, OSError, ValueError):
                if self._plugged.is_set() and not self._stop.is_set():
                    self._stop.wait(0.01)
                continue
            if data:
                self._on_bytes(data)

    def _send_events(self) -> float:
        """Send due unsolicited events; the read timeout until the next is due."""
        if self._silent:
            return 0.05
        now = self.clock()
        next_due = 0.05
        for dev in self.devices:
            ev = dev.pending_event()
            if ev is None:
                continue
            last = self._last_sent.get(id(dev))
            if last is not None and last[0] == ev.seq and now - last[1] < self.event_retry_s:
                next_due = min(next_due, self.event_retry_s - (now - last[1]))
                continue
            if self._send_frame(encode(dev.addr, ev.CMD, ev.seq, ev.payload())):
                self._last_sent[id(dev)] = (ev.seq, now)
                dev.note_sent(ev)
            next_due = min(next_due, self.event_retry_s)
        return max(0.0005, next_due)

    def _on_bytes(self, data: bytes) -> None:
        for frame in self.decoder.feed(data):
            if frame.from_device or self._silent or self._lost():
                continue
            try:
                msg = decode_message(frame)
            except FrameError as exc:
                # a good frame with a payload the device cannot take: say why
                self.bad_frames += 1
                self.log.debug("bus sim: refused host frame: %s", exc)
                if frame.addr != BROADCAST_ADDR and not self._silent:
                    nak = Nak(_NAK_FOR.get(exc.reason, ErrorCode.BAD_ARG))
                    for dev in self.devices:
                        if dev.addr == frame.addr and dev.powered and not dev.silent:
                            self._send_frame(encode(frame.addr, nak.CMD, frame.seq, nak.payload()))
                            break
                continue
            raw = frame.payload
            for dev in list(self.devices):
                if frame.addr not in (dev.addr, BROADCAST_ADDR):
                    continue
                reply = dev.handle(frame.addr, frame.seq, msg, raw)
                if reply is not None:
                    self._send_frame(encode(frame.addr, reply.CMD, frame.seq, reply.payload()))
                    if isinstance(reply, Event):
                        dev.note_sent(reply)
        with contextlib.suppress(Exception):
            self._send_events()
