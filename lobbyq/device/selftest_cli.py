"""`lobbyq device selftest`: beep, light, prompt and print on every device of this Pi.

Stop the app first (``systemctl stop lobbyq-counter@counter-3``): the test
needs the ports to itself. Devices come from ``--config`` (the device file)
or from explicit options.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime

from drivers.printer.driver import TicketPrinter
from drivers.printer.profiles import get_profile
from lobbyq.core.errors import ConfigError, Problem
from lobbyq.device.bustools import open_bus, parse_address
from lobbyq.device.config import load_device_config
from lobbyq.device.errors import BusToolError
from lobbyq.device.selftest import BusSelfTest, PartResult, printer_selftest, render


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="the device file, e.g. /etc/lobbyq/counter-3.toml")
    parser.add_argument("--bus", help="RS-485 port (without --config)")
    for name in ("keypad", "rating-pad", "strip", "hall"):
        parser.add_argument(f"--{name}", help=f"{name.replace('-', ' ')} address on --bus")
    parser.add_argument(
        "--rating-keys", type=int, choices=(3, 5), help="keys the rating pad must have"
    )
    parser.add_argument("--printer", help="printer port (without --config)")
    parser.add_argument("--profile", default="cn80", help="printer profile (default cn80)")
    parser.add_argument("--interactive", action="store_true", help="ask for key presses too")
    parser.add_argument("--press-timeout", type=float, default=20.0, help="seconds per press")
    parser.add_argument("--baud", type=int, default=9600, help="bus speed (default 9600)")


@dataclass(frozen=True, slots=True)
class _Plan:
    bus: str | None
    parts: dict[str, int]
    printer: str | None
    profile: str
    rating_keys: int | None = None


def _plan(args: argparse.Namespace) -> _Plan:
    """What to test, from the device file or the options."""
    if args.config:
        cfg = load_device_config(args.config)
        if cfg.role == "engine":
            raise BusToolError("the engine has no devices; `lobbyq device status` shows it")
        return _Plan(
            cfg.serial.get("bus"),
            dict(cfg.addresses),
            cfg.serial.get("printer"),
            cfg.printer_profile or args.profile,
            cfg.rating_keys,
        )
    parts = {
        key: parse_address(value)
        for key, value in (
            ("keypad", args.keypad),
            ("rating_pad", args.rating_pad),
            ("strip", args.strip),
            ("hall", args.hall),
        )
        if value is not None
    }
    if parts and not args.bus:
        raise ConfigError("selftest", [Problem("--bus", "missing", "give the RS-485 port")])
    if not parts and not args.printer:
        raise ConfigError(
            "selftest",
            [Problem("devices", "none given", "pass --config FILE, or --bus with addresses")],
        )
    return _Plan(args.bus, parts, args.printer, args.profile, args.rating_keys)


def run(args: argparse.Namespace) -> int:
    plan = _plan(args)
    bus, parts, printer_port, profile = plan.bus, plan.parts, plan.printer, plan.profile
    results: list[PartResult] = []
    if bus is not None and parts:
        master = open_bus(bus, baudrate=args.baud)
        try:
            test = BusSelfTest(
                master,
                interactive=args.interactive,
                ask=lambda text: print(f">>> {text}", flush=True),
                press_timeout=args.press_timeout,
                rating_keys=plan.rating_keys,
            )
            steps = {
                "keypad": test.keypad,
                "rating_pad": test.rating_pad,
                "strip": test.strip,
                "hall": test.hall,
            }
            for part, addr in parts.items():
                results.append(steps[part](addr))
        finally:
            master.close()
    if printer_port is not None:
        printer = TicketPrinter(printer_port, get_profile(profile))
        try:
            printer.open(wait=2.0)
            results.append(printer_selftest(printer, now=datetime.now))
        finally:
            printer.close()
    print(render(results))
    return 0 if all(r.ok for r in results) else 1
