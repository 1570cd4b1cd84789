"""``lobbyq sim``: run counter bus and hall display simulators on ptys.

For a technician without hardware, or a demo: each simulated port appears
behind a stable name (``./dev/counter1``) that a counter app opens as if it
were ``/dev/lobbyq-bus``. A console on stdin presses keys and pulls
cables; what the host makes the displays show is printed as it happens::

    lobbyq sim --dir ./dev --counters 2 --hall
    > call            (keypad of counter 1)
    > c2 rate 1 2     (counter 2's pad: very unsatisfied, reason 2)
    > hall unplug
    > show

Console commands are parsed by ``parse_command`` (pure) and applied by
``apply_command``; both are tested without a terminal.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from drivers.bus.device_sim import DeviceSim
from drivers.bus.messages import BootBegin, BootVerify, BootWrite, Message
from drivers.bus.rigs import CounterRig, HallRig
from drivers.errors import DriverError
from drivers.keypad.codes import Key
from drivers.ratingpad.codes import Rating, Reason

KEY_WORDS: dict[str, Key] = {
    "call": Key.CALL,
    "recall": Key.RECALL,
    "noshow": Key.NO_SHOW,
    "no-show": Key.NO_SHOW,
    "transfer": Key.TRANSFER,
    "hold": Key.HOLD,
    "pause": Key.PAUSE,
    "finish": Key.FINISH,
    "login": Key.LOGIN,
    "clear": Key.CLEAR,
    "enter": Key.ENTER,
}

HELP = """\
[cN] call|recall|noshow|transfer|hold|pause|finish|login|clear|enter
[cN] digits 305        type digits (add 'enter' to confirm)
[cN] rate 1..5 [reason] press a rating key (prompt must be lit)
[cN|hall] unplug | replug | garbage N | silence | wake
show | help | quit"""


class CommandError(DriverError):
    """A console line that is not a command."""


@dataclass(frozen=True)
class Command:
    target: str  # "c1".."cN" or "hall"; "" for global commands
    verb: str
    args: tuple[str, ...] = ()


def parse_command(line: str) -> Command | None:
    """One console line to a command; None for a blank line."""
    words = line.strip().lower().split()
    if not words:
        return None
    target = "c1"
    if words[0] == "hall" or (words[0].startswith("c") and words[0][1:].isdigit()):
        target, words = words[0], words[1:]
        if not words:
            raise CommandError("what should it do?")
    verb, args = words[0], tuple(words[1:])
    if verb in ("show", "help", "quit", "exit"):
        return Command("", "quit" if verb == "exit" else verb)
    if verb in KEY_WORDS:
        return Command(target, "key", (verb,))
    if verb == "digits":
        if len(args) != 1 or not args[0].isdigit():
            raise CommandError("digits wants a number: digits 305")
        return Command(target, verb, args)
    if verb == "rate":
        if not 1 <= len(args) <= 2 or not all(a.isdigit() for a in args):
            raise CommandError("rate wants a value 1-5 and maybe a reason: rate 1 2")
        return Command(target, verb, args)
    if verb == "garbage":
        if len(args) != 1 or not args[0].isdigit():
            raise CommandError("garbage wants a byte count: garbage 100")
        return Command(target, verb, args)
    if verb in ("unplug", "replug", "silence", "wake"):
        return Command(target, verb)
    raise CommandError(f"unknown command {verb!r}; try help")


class Bench:
    """The running simulators, addressed by console target names."""

    def __init__(self, counters: dict[str, CounterRig], hall: HallRig | None) -> None:
        self.counters = counters
        self.hall = hall

    def close(self) -> None:
        for rig in self.counters.values():
            rig.close()
        if self.hall is not None:
            self.hall.close()

    def describe(self) -> list[str]:
        lines = []
        for name, rig in self.counters.items():
            lines.append(
                f"{name} {rig.url}: keypad text={rig.keypad.text!r} leds={rig.keypad.leds!r}; "
                f"pad prompt={'on' if rig.pad.prompt else 'off'}; "
                f"strip={rig.strip.text!r}{' (blink)' * rig.strip.blinking}"
            )
        if self.hall is not None:
            zones = " | ".join(
                f"{z}{'*' if i in self.hall.hall.blinking else ''}"
                for i, z in enumerate(self.hall.hall.zones)
            )
            lines.append(f"hall {self.hall.url}: {zones}")
        return lines


def apply_command(bench: Bench, cmd: Command) -> str:
    """Do ``cmd``; returns what to print."""
    if cmd.verb == "show":
        return "\n".join(bench.describe())
    if cmd.verb == "help":
        return HELP
    if cmd.target == "hall":
        if bench.hall is None:
            raise CommandError("no hall display in this run")
        sim = bench.hall.sim
        devices: list[DeviceSim] = [bench.hall.hall]
    else:
        rig = bench.counters.get(cmd.target)
        if rig is None:
            raise CommandError(f"no counter {cmd.target}")
        sim = rig.sim
        devices = [rig.keypad, rig.pad, rig.strip]
        if cmd.verb == "key":
            ok = rig.keypad.press(KEY_WORDS[cmd.args[0]])
            return f"{cmd.target} {cmd.args[0]}" + ("" if ok else " (keypad cannot send now)")
        if cmd.verb == "digits":
            for ch in cmd.args[0]:
                rig.keypad.press(Key.for_digit(int(ch)))
            return f"{cmd.target} typed {cmd.args[0]}"
        if cmd.verb == "rate":
            value = Rating(int(cmd.args[0])) if 1 <= int(cmd.args[0]) <= 5 else None
            if value is None:
                raise CommandError("rating is 1..5")
            reason = Reason(int(cmd.args[1])) if len(cmd.args) > 1 else None
            try:
                ok = rig.pad.press(value, reason)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            return f"{cmd.target} rated {value.name}" + ("" if ok else " (prompt is dark)")
    if cmd.verb == "unplug":
        sim.unplug()
        return f"{cmd.target} unplugged"
    if cmd.verb == "replug":
        sim.replug()
        return f"{cmd.target} plugged back (devices restart)"
    if cmd.verb == "garbage":
        sim.send_garbage(int(cmd.args[0]))
        return f"{cmd.target} sent {cmd.args[0]} noise bytes"
    if cmd.verb in ("silence", "wake"):
        for dev in devices:
            dev.silence(cmd.verb == "silence")
        return f"{cmd.target} {'silent' if cmd.verb == 'silence' else 'answering'}"
    raise CommandError(f"{cmd.verb} does not apply to {cmd.target}")


def _mirror(out: TextIO, name: str) -> Callable[[DeviceSim, Message], None]:
    """A device listener that prints what the host made the device do.

    A firmware transfer is thousands of ``BootWrite`` blocks: they are
    counted and said once at ``BootVerify``, not printed one by one (a
    flash would otherwise write megabytes of log).
    """
    blocks: dict[int, int] = {}

    def listener(dev: DeviceSim, msg: Message) -> None:
        if isinstance(msg, BootWrite):
            blocks[dev.addr] = blocks.get(dev.addr, 0) + 1
            return
        if isinstance(msg, BootBegin):
            blocks[dev.addr] = 0
        elif isinstance(msg, BootVerify):
            print(f"[{name} @{dev.addr}] {blocks.pop(dev.addr, 0)} firmware blocks", file=out)
        print(f"[{name} @{dev.addr}] {msg!r}", file=out, flush=True)

    return listener


def pad_keys_for(text: str, counters: int) -> list[int]:
    """``--pad-keys``: one value for every counter (``5``) or one per counter (``5,3``)."""
    try:
        keys = [int(x) for x in text.split(",")]
    except ValueError:
        raise CommandError(f"--pad-keys wants 3 or 5, or a list like 5,3: {text!r}") from None
    if any(k not in (3, 5) for k in keys):
        raise CommandError(f"a rating pad has 3 or 5 keys, not {text!r}")
    if len(keys) == 1:
        return keys * counters
    if len(keys) != counters:
        raise CommandError(f"--pad-keys lists {len(keys)} pads for {counters} counters")
    return keys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dir", default="./dev", help="where the port names go (default ./dev)")
    parser.add_argument("--counters", type=int, default=1, help="counter buses (counter1..N)")
    parser.add_argument(
        "--pad-keys",
        default="5",
        help="rating pad keys, 3 or 5 (as counter.rating_keys, default 5), or one per counter: 5,3",
    )
    parser.add_argument("--hall", action="store_true", help="also a hall display (name 'hall')")
    parser.add_argument("--zones", type=int, default=4, help="hall display zones")
    parser.add_argument("--quiet", action="store_true", help="do not print what devices receive")
    parser.add_argument(
        "--no-console", action="store_true", help="no stdin console; run until stopped"
    )


def run(args: argparse.Namespace) -> int:
    log = logging.getLogger("lobbyq.sim")
    base = Path(args.dir)
    base.mkdir(parents=True, exist_ok=True)
    try:
        pad_keys = pad_keys_for(str(args.pad_keys), args.counters)
    except CommandError as exc:
        log.error("%s", exc)
        return 2
    counters = {
        f"c{i}": CounterRig.build(base / f"counter{i}", pad_keys=keys, counter_no=i)
        for i, keys in enumerate(pad_keys, 1)
    }
    hall = HallRig.build(base / "hall", zones=args.zones) if args.hall else None
    bench = Bench(counters, hall)
    if not args.quiet:
        for name, rig in counters.items():
            for dev in (rig.keypad, rig.pad, rig.strip):
                dev.listeners.append(_mirror(sys.stdout, name))
        if hall is not None:
            hall.hall.listeners.append(_mirror(sys.stdout, "hall"))
    for line in bench.describe():
        print(line, flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        if args.no_console or not sys.stdin:
            stop.wait()
            return 0
        print("type 'help' for commands", flush=True)
        for line in sys.stdin:
            try:
                cmd = parse_command(line)
                if cmd is None:
                    continue
                if cmd.verb == "quit":
                    break
                print(apply_command(bench, cmd), flush=True)
            except CommandError as exc:
                print(f"? {exc}", flush=True)
            if stop.is_set():
                break
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        log.info("closing simulators")
        bench.close()
