"""`lobbyq hq`: the head office. ``ingest`` runs one worker; ``status`` prints completeness.

Start as many ``lobbyq hq ingest`` processes as the load needs (one systemd
unit instance each): they share the durable consumer and split the work.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import socket


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="hq_command", metavar="HQ_COMMAND", required=True)
    ingest = sub.add_parser("ingest", help="consume branch events from NATS into PostgreSQL")
    ingest.add_argument("--nats", required=True, help="NATS servers, comma-separated")
    ingest.add_argument("--db", required=True, help="PostgreSQL connection string (libpq DSN)")
    ingest.add_argument("--name", help="worker name in logs (default: host-pid)")
    ingest.add_argument("--batch", type=int, default=500, help="events per fetch and transaction")
    ingest.add_argument("--replicas", type=int, default=3, help="stream replicas when creating it")
    ingest.add_argument(
        "--ack-wait",
        type=float,
        default=30.0,
        help="seconds before an unacked batch is redelivered",
    )
    status = sub.add_parser("status", help="each branch's high-water mark, gaps and flags (JSON)")
    status.add_argument("--db", required=True, help="PostgreSQL connection string (libpq DSN)")


def run(args: argparse.Namespace) -> int:
    if args.hq_command == "ingest":
        return _ingest(args)
    return _status(args)


def _ingest(args: argparse.Namespace) -> int:
    from hq.ingest import IngestSettings, IngestWorker

    worker = IngestWorker(
        [s.strip() for s in args.nats.split(",") if s.strip()],
        args.db,
        name=args.name or f"{socket.gethostname()}-{os.getpid()}",
        settings=IngestSettings(batch=args.batch, replicas=args.replicas, ack_wait_s=args.ack_wait),
        logger=logging.getLogger("hq.ingest"),
    )

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await worker.run(stop)

    asyncio.run(main())
    return 0


def _status(args: argparse.Namespace) -> int:
    import psycopg

    with psycopg.connect(args.db) as conn:
        rows = conn.execute(
            "SELECT b.branch, b.contiguous, b.hwm, b.flag_reason,"
            " COALESCE(json_agg(json_build_array(g.first_seq, g.last_seq) ORDER BY g.first_seq)"
            " FILTER (WHERE g.branch IS NOT NULL), '[]')"
            " FROM branches b LEFT JOIN gaps g USING (branch) GROUP BY b.branch ORDER BY 1"
        ).fetchall()
    for branch, contiguous, hwm, flag, gaps in rows:
        print(
            json.dumps(
                {
                    "branch": branch,
                    "contiguous": contiguous,
                    "hwm": hwm,
                    "gaps": gaps,
                    "flag": flag,
                },
                ensure_ascii=False,
            )
        )
    return 0
