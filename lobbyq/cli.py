"""The `lobbyq` command: one entry point, one subcommand per app or tool.

Subcommands are looked up in a table and imported only when chosen, so
`lobbyq stats` never pays for pygame and a missing optional part breaks only
its own subcommand. Each module named here exposes
``configure(parser: argparse.ArgumentParser) -> None`` and
``run(args: argparse.Namespace) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

# name -> (module, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("lobbyq.demo", "run a whole branch on this machine with simulated devices"),
    "engine": ("lobbyq.engine.cli", "run the branch queue engine (MQTT + SQLite event log)"),
    "kiosk": ("kiosk.cli", "run the lobby kiosk (touch screen, readers, ticket printer)"),
    "counter": ("counter.app", "run one counter terminal (keypad, rating pad, counter LED)"),
    "display": ("display.app", "run the hall call display and voice"),
    "console": ("console.cli", "run the lobby manager's console (a web app) or add its accounts"),
    "simulate": ("lobbyq.engine.sim.cli", "run a branch scenario through the real queue core"),
    "stats": ("lobbyq.engine.stats_cli", "daily figures from the event log"),
    "report": ("lobbyq.report.cli", "daily or period report: HTML page, charts, CSV"),
    "uplink": ("lobbyq.uplink.cli", "send this branch's event log to head office (NATS JetStream)"),
    "hq": ("hq.cli", "head office: ingest every branch's events into PostgreSQL, completeness"),
    "device": ("lobbyq.device.cli", "technician tools: provision, scan, flash, selftest, status"),
    "sim": ("drivers.simcli", "run device simulators on pseudo-terminals"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """Build the parser; configure just `only` so help for one part never imports the rest."""
    parser = argparse.ArgumentParser(prog="lobbyq", description="Queue system for bank branches.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        if name == only:
            importlib.import_module(module_name).configure(sp)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in args_list if a in SUBCOMMANDS), None)
    parser = build_parser(chosen)
    args = parser.parse_args(args_list)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help()
        return 2
    module = importlib.import_module(SUBCOMMANDS[args.command][0])
    result: int = module.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
