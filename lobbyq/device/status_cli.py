"""`lobbyq device status`: connect as the technician (or a device) and show the board."""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from pathlib import Path

from drivers.mqtt.client import MqttBus
from lobbyq.core.errors import ConfigError, Problem
from lobbyq.device.branchfile import load_branch_file
from lobbyq.device.config import BrokerSettings, broker_url, load_device_config, read_credentials
from lobbyq.device.errors import BusToolError
from lobbyq.device.status import DeviceRow, StatusBoard, quiet_waiter, render
from lobbyq.protocol.topics import Topics


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="use a device file's broker and credentials")
    parser.add_argument("--broker", help="broker URL, e.g. mqtts://kiosk-1.local:8883")
    parser.add_argument("--credentials", type=Path, help="credentials file, e.g. tech.cred")
    parser.add_argument("--ca", type=Path, help="branch CA certificate for mqtts://")
    parser.add_argument("--branch", help="branch id (default: from --config or --branch-file)")
    parser.add_argument(
        "--branch-file", type=Path, help="list devices that never reported as 'never seen'"
    )
    parser.add_argument("--watch", action="store_true", help="keep running and print changes")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds to reach the broker")


def _connection(args: argparse.Namespace) -> tuple[str, str]:
    """(broker URL with credentials, branch id) from --config or the explicit options."""
    branch = args.branch
    if args.config is not None:
        cfg = load_device_config(args.config)
        return cfg.mqtt_url(), branch or cfg.branch
    if args.branch_file is not None and branch is None:
        branch = load_branch_file(args.branch_file).branch
    missing = [
        Problem(f"--{name}", "missing", f"pass --{name} or --config /etc/lobbyq/<device>.toml")
        for name, value in (
            ("broker", args.broker),
            ("credentials", args.credentials),
            ("branch", branch),
        )
        if value is None
    ]
    if missing:
        raise ConfigError("lobbyq device status", missing)
    settings = BrokerSettings(args.broker, args.credentials, args.ca)
    return broker_url(settings, read_credentials(args.credentials)), branch


def run(args: argparse.Namespace) -> int:
    url, branch = _connection(args)
    topics = Topics(branch)
    board = StatusBoard(topics)
    if args.branch_file is not None:
        board.expect(d.device_id for d in load_branch_file(args.branch_file).devices)
    lock = threading.Lock()
    last = [0.0]

    def on_message(topic: str, payload: bytes) -> None:
        with lock:
            row = board.feed(topic, payload)
            last[0] = time.monotonic()
        if row is not None and args.watch and settled.is_set():
            print(render([row], time.time()).splitlines()[1], flush=True)

    settled = threading.Event()
    bus = MqttBus(url, f"lobbyq-status-{os.getpid()}")
    bus.subscribe(topics.status_all, on_message)
    bus.subscribe(topics.alert_all, on_message)
    bus.start()
    try:
        if not bus.wait_connected(args.timeout):
            why = bus.last_error or f"no answer within {args.timeout:.0f}s"
            raise BusToolError(
                f"cannot reach the broker at {bus.url.redacted()}: {why} "
                "(check the host, the port, the CA file and the credentials; "
                "`journalctl -u mosquitto` on the kiosk says why a login was refused)"
            )
        quiet_waiter(lambda: last[0])()
        with lock:
            board.settle()
            rows = board.ordered()
            code = board.exit_code()
        if not rows:
            raise BusToolError(
                f"no device of branch {branch!r} has ever reported to {bus.url.redacted()}: "
                "is the branch id right? (--branch-file lists the devices it should have)"
            )
        if args.json:
            print(json.dumps([_row_json(r) for r in rows], ensure_ascii=False, indent=2))
        else:
            print(render(rows, time.time()))
        if args.watch:
            settled.set()
            threading.Event().wait()
        return code
    finally:
        bus.stop()


def _row_json(row: DeviceRow) -> dict[str, object]:
    st = row.status
    return {
        "device": row.device,
        "state": row.state,
        "kind": st.kind if st else None,
        "version": st.version if st else None,
        "at": st.at if st else None,
        "last_seen": row.last_seen(time.time()),
        "health": dict(st.health) if st else {},
        "problems": row.problems,
        "alert": {"code": row.alert.code, "level": row.alert.level, "text": row.alert.text}
        if row.alert
        else None,
    }
