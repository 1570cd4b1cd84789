"""`lobbyq device set-address PORT OLD NEW`: move a bus device to a new address.

A new keypad arrives at its factory address (1); give it the address the
branch file lists for its counter before it joins the bus, or use
``--serial`` to pick one of two devices that share an address.
"""

from __future__ import annotations

import argparse

from lobbyq.device.bustools import describe, open_bus, parse_address, set_address


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("port", help="serial port or URL, e.g. /dev/lobbyq-bus")
    parser.add_argument("old", help="the device's address now")
    parser.add_argument("new", help="the address to give it")
    parser.add_argument("--serial", default="", help="only the device with this serial number")
    parser.add_argument("--baud", type=int, default=9600, help="bus speed (default 9600)")


def run(args: argparse.Namespace) -> int:
    old, new = parse_address(args.old), parse_address(args.new)
    master = open_bus(args.port, baudrate=args.baud)
    try:
        info = set_address(master, args.port, old, new, args.serial)
    finally:
        master.close()
    print(f"moved to {describe(info)}")
    return 0
