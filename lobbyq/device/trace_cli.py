"""`lobbyq device trace PORT`: print a counter bus's frames, decoded, as they pass.

To capture for later, put a ``spy://`` URL in the device file's port
(``bus = "spy:///dev/lobbyq-bus?file=/var/lib/lobbyq/bus-spy.txt"``) and
restart the app; ``--replay bus-spy.txt`` decodes that dump (or a raw byte
capture) with the times it was recorded at.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

from drivers.errors import DriverError
from drivers.transport import SerialLink
from lobbyq.device.errors import BusToolError
from lobbyq.device.trace import Tracer, is_spy_dump, read_spy


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("port", nargs="?", help="serial port or URL, e.g. /dev/lobbyq-bus")
    parser.add_argument(
        "--replay", type=Path, help="decode a capture instead: a spy:// dump or raw bytes"
    )
    parser.add_argument("--baud", type=int, default=9600, help="bus speed (default 9600)")
    parser.add_argument("--hex", action="store_true", help="also print each payload in hex")
    parser.add_argument("--count", type=int, help="stop after this many frames")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")


def run(args: argparse.Namespace) -> int:
    tracer = Tracer(hex=args.hex, max_frames=args.count)
    if args.replay is not None:
        try:
            data = args.replay.read_bytes()
        except OSError as exc:
            raise BusToolError(f"cannot read {args.replay}: {exc.strerror}") from None
        chunks = read_spy(data.decode("ascii", "replace")) if is_spy_dump(data) else [(0.0, data)]
        start = args.replay.stat().st_mtime - (chunks[-1][0] if chunks else 0.0)
        for t, chunk in chunks:
            for line in tracer.feed(chunk, start + t):
                print(line)
            if args.count is not None and tracer.frames >= args.count:
                break
        print(tracer.summary())
        return 0
    if args.port is None:
        raise BusToolError("give a PORT to listen on, or --replay FILE")
    done = threading.Event()
    lock = threading.Lock()
    seen = [0]

    def on_data(chunk: bytes) -> None:
        with lock:
            lines = tracer.feed(chunk, time.time())
            for line in lines:
                print(line, flush=True)
            seen[0] = sum(v for k, v in tracer.counts.items() if k != "bad")
        if args.count is not None and seen[0] >= args.count:
            done.set()

    def on_state(up: bool, reason: str) -> None:
        print(
            f"-- {args.port}: {'listening' if up else 'lost: ' + reason}",
            file=sys.stderr,
            flush=True,
        )

    link = SerialLink(
        args.port, name="trace", on_data=on_data, on_state=on_state, baudrate=args.baud
    )
    try:
        link.start()
        done.wait(args.duration)
    except DriverError as exc:
        raise BusToolError(f"cannot listen on {args.port}: {exc}") from None
    finally:
        link.close()
        with lock:
            print(tracer.summary(), file=sys.stderr)
    return 0
