"""A thermal ticket printer simulator on a pty, for tests, benches and the demo.

It speaks the device side of the same bytes a real printer does: it answers
DLE EOT status queries (real-time, even while "printing" or faulted), keeps
everything it receives, and splits the print data into tickets at each cut.
Faults are scripted from the test: paper near end, paper out, cover open,
cutter error, silence (powered but mute), slowness, unplug/replug of the
cable, and garbage sent up the line. While paper is out, the cover open or
the cutter jammed, print data stays in the receive buffer and prints when
the fault clears, as on a real printer.

``slow(seconds)`` makes the printer take that long before it handles each
chunk it receives, status queries included: a printer busy or set to a low
baud rate. The driver reports that as ``PrinterTimeout`` when the answer
comes after its print deadline, and as silence (offline) after its timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from drivers.printer.status import Paper, encode_status
from drivers.printer.stream import Op, StreamParser
from drivers.sim.pty import PtyPort, PtyPortError


class PrinterSim:
    """Device end of one simulated printer behind the stable name ``link_path``."""

    def __init__(
        self,
        link_path: str | os.PathLike[str],
        *,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger | None = None,
    ) -> None:
        self.port = PtyPort(link_path)
        self.log = logger or logging.getLogger("lobbyq.sim.printer")
        self._clock = clock
        self._rng = random.Random(seed)
        self._cond = threading.Condition()
        self._parser = StreamParser()
        self._stop = threading.Event()
        # printer state, guarded by _cond
        self.paper: Paper = "ok"
        self.cover_is_open = False
        self.cutter_jammed = False
        self.silent = False
        self.slow_s = 0.0
        # what was received
        self.received = bytearray()
        self.tickets: list[bytes] = []
        self.ticket_times: list[float] = []
        self.status_queries = 0
        self._current = bytearray()
        self._held: list[Op] = []
        self._cursor = 0
        self._thread = threading.Thread(target=self._run, name="printer-sim", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """What the driver opens."""
        return self.port.url

    # -- scripted faults --------------------------------------------------

    def paper_near_end(self) -> None:
        self._set(paper="near_end")

    def paper_out(self) -> None:
        self._set(paper="out")

    def load_paper(self) -> None:
        """A new roll: clears near-end and paper-out, prints what was held."""
        self._set(paper="ok")

    def open_cover(self) -> None:
        self._set(cover_is_open=True)

    def close_cover(self) -> None:
        self._set(cover_is_open=False)

    def jam_cutter(self) -> None:
        self._set(cutter_jammed=True)

    def clear_jam(self) -> None:
        self._set(cutter_jammed=False)

    def silence(self, on: bool = True) -> None:
        """Stop (or resume) answering status queries: powered but mute."""
        self._set(silent=on)

    def slow(self, seconds: float) -> None:
        """Take ``seconds`` before handling each received chunk (0 = normal)."""
        self._set(slow_s=max(0.0, seconds))

    def unplug(self) -> None:
        """Pull the cable; a command cut in half is lost with it."""
        with self._cond:
            self.port.unplug()
            self._parser = StreamParser()

    def replug(self) -> None:
        with self._cond:
            self.port.replug()

    def send_garbage(self, n: int = 64) -> bytes:
        """Send ``n`` random bytes up the line (noise, a confused printer)."""
        junk = bytes(self._rng.randrange(256) for _ in range(n))
        with contextlib.suppress(PtyPortError, OSError):
            self.port.write(junk)
        return junk

    def reset(self) -> None:
        """Back to a healthy printer (faults cleared, held data printed)."""
        self._set(paper="ok", cover_is_open=False, cutter_jammed=False, silent=False, slow_s=0.0)

    # -- observation ------------------------------------------------------

    @property
    def faulted(self) -> bool:
        return self.paper == "out" or self.cover_is_open or self.cutter_jammed

    def status_bytes(self) -> bytes:
        """The four DLE EOT answers the printer would send now."""
        return encode_status(
            paper=self.paper, cover_open=self.cover_is_open, cutter_error=self.cutter_jammed
        )

    def wait_for_ticket(self, timeout: float = 1.0) -> bytes | None:
        """The next ticket not yet returned (in print order), or ``None`` after ``timeout``."""
        deadline = self._clock() + timeout
        with self._cond:
            while self._cursor >= len(self.tickets):
                left = deadline - self._clock()
                if left <= 0:
                    return None
                self._cond.wait(left)
            ticket = self.tickets[self._cursor]
            self._cursor += 1
            return ticket

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        self.port.close()

    def __enter__(self) -> PrinterSim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- device loop ------------------------------------------------------

    def _set(self, **changes: object) -> None:
        with self._cond:
            for key, value in changes.items():
                setattr(self, key, value)
            if not self.faulted and self._held:
                held, self._held = self._held, []
                for op in held:
                    self._print(op)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                chunk = self.port.read(0.05)
            except (PtyPortError, OSError):
                self._stop.wait(0.01)  # unplugged: wait for replug
                continue
            if not chunk:
                continue
            if self.slow_s:
                self._stop.wait(self.slow_s)
            try:
                self._handle(chunk)
            except Exception:  # a simulator must survive anything the host sends
                self.log.exception("printer sim: failed on %d bytes", len(chunk))

    def _handle(self, chunk: bytes) -> None:
        with self._cond:
            self.received += chunk
            for op in self._parser.feed(chunk):
                if op.name == "status_query":
                    self.status_queries += 1
                    if not self.silent and 1 <= op.arg <= 4:
                        answer = self.status_bytes()[op.arg - 1 : op.arg]
                        with contextlib.suppress(PtyPortError, OSError):
                            self.port.write(answer)
                elif self.faulted:
                    self._held.append(op)
                else:
                    self._print(op)

    def _print(self, op: Op) -> None:
        self._current += op.raw
        if op.name == "cut" and not self.cutter_jammed:
            self.tickets.append(bytes(self._current))
            self.ticket_times.append(self._clock())
            self._current.clear()
            self._cond.notify_all()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one printer simulator on a pty until interrupted (demo, manual tests).

    ``python -m drivers.printer.sim ./lobbyq-printer --out tickets --png``
    makes ``./lobbyq-printer`` a printer the kiosk can open, and saves each
    ticket it prints as ``.bin`` (and a ``.png`` preview with ``--png``).
    """
    parser = argparse.ArgumentParser(
        prog="python -m drivers.printer.sim", description="Simulated ticket printer on a pty."
    )
    parser.add_argument("link", type=Path, help="stable name to create, e.g. ./lobbyq-printer")
    parser.add_argument("--out", type=Path, help="directory to save each ticket in")
    parser.add_argument("--png", action="store_true", help="also save a PNG preview per ticket")
    parser.add_argument("--profile", default="cn80", help="profile for the preview (cn80...)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    with PrinterSim(args.link) as sim:
        print(f"printer simulator on {sim.url}; Ctrl-C to stop", flush=True)
        count = 0
        try:
            while True:
                ticket = sim.wait_for_ticket(1.0)
                if ticket is None:
                    continue
                count += 1
                print(f"ticket {count}: {len(ticket)} bytes", flush=True)
                if args.out:
                    path = args.out / f"ticket-{count:04d}.bin"
                    path.write_bytes(ticket)
                    if args.png:
                        _save_preview(ticket, path.with_suffix(".png"), args.profile)
        except KeyboardInterrupt:
            pass
    return 0


def _save_preview(ticket: bytes, path: Path, profile_name: str) -> None:
    from drivers.printer.preview import escpos_to_png
    from drivers.printer.profiles import get_profile

    profile = get_profile(profile_name)
    codec = "big5" if profile.cjk == "big5" else "gb18030"
    escpos_to_png(ticket, profile.width_dots, cjk_codec=codec).save(path)


if __name__ == "__main__":
    sys.exit(main())
