"""`lobbyq uplink`: send this branch's event log to head office (NATS JetStream).

Runs beside the engine on the branch server, as its own systemd service. It
reads the engine's log read-only and keeps its cursor in ``--state`` (by
default the log's path with ``.uplink.json`` appended).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from lobbyq.core.errors import LobbyqError
from lobbyq.uplink.cursor import CursorFile
from lobbyq.uplink.service import Uplink, UplinkSettings
from lobbyq.uplink.source import LogReader


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, help="the engine's event log (SQLite), read-only")
    parser.add_argument(
        "--nats",
        required=True,
        help="head office NATS servers, comma-separated (nats://host:4222,nats://host2:4222)",
    )
    parser.add_argument("--branch", help="branch id (default: the one the log names)")
    parser.add_argument("--state", help="cursor file (default: <db>.uplink.json)")
    parser.add_argument("--batch", type=int, default=1000, help="events per round (default 1000)")
    parser.add_argument(
        "--log-interval", type=float, default=60.0, help="report a down link at most this often"
    )
    parser.add_argument(
        "--backoff-max", type=float, default=30.0, help="longest wait between retries (s)"
    )


def run(args: argparse.Namespace) -> int:
    log = logging.getLogger("lobbyq.uplink")
    state = Path(args.state) if args.state else Path(f"{args.db}.uplink.json")
    uplink = Uplink(
        LogReader(args.db),
        CursorFile(state),
        [s.strip() for s in args.nats.split(",") if s.strip()],
        branch=args.branch,
        settings=UplinkSettings(
            batch=args.batch, log_interval_s=args.log_interval, backoff_max_s=args.backoff_max
        ),
        logger=log,
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await uplink.run(stop)

    try:
        asyncio.run(main())
    except LobbyqError as exc:
        log.error("uplink stopped: %s", exc)
        return 2
    return 0
