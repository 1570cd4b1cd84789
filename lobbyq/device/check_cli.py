"""`lobbyq device check FILE`: validate a device file (or a branch file) before a restart."""

from __future__ import annotations

import argparse
from pathlib import Path

from lobbyq.device.branchfile import load_branch_file
from lobbyq.device.config import load_device_config
from lobbyq.device.provision_cli import print_disagreements, read_queue


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="a device file, e.g. /etc/lobbyq/counter-3.toml")
    parser.add_argument(
        "--branch", action="store_true", help="the file is a branch file, not a device file"
    )
    parser.add_argument(
        "--queue-config",
        type=Path,
        help="with --branch: the queue config to check the counters against "
        "(default: branch.queue_config), as provision does",
    )


def run(args: argparse.Namespace) -> int:
    if args.branch:
        bf = load_branch_file(args.file)
        queue = args.queue_config or bf.queue_config
        _text, problems = read_queue(bf, queue)
        if problems:
            print_disagreements(args.file, problems)
            return 2
        against = f", matches {queue}" if queue is not None else " (no queue config to check)"
        print(f"{args.file}: branch {bf.branch}, {len(bf.devices)} devices{against}, OK")
        return 0
    cfg = load_device_config(args.file)
    cfg.credentials()  # a missing or unreadable credentials file is a config problem too
    print(f"{args.file}: {cfg.role} {cfg.device_id} of branch {cfg.branch}, OK")
    return 0
