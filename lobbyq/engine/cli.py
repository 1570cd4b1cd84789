"""`lobbyq engine`: start the branch queue engine from command-line options.

A provisioned branch server starts it through ``lobbyq device run --config
/etc/lobbyq/engine.toml`` (``lobbyq.device.launch`` turns the device file
into the options below), so the engine itself never reads device files and
imports nothing of the composition root.
"""

from __future__ import annotations

import argparse
import gc
import logging
from pathlib import Path

from lobbyq.core.config import load_branch_config
from lobbyq.core.errors import LobbyqError
from lobbyq.core.fields import read_toml
from lobbyq.core.roles import RoleBook, parse_roles
from lobbyq.engine.limits import DEFAULT_RATES
from lobbyq.engine.service import Engine
from lobbyq.engine.store import EventStore
from lobbyq.protocol.messages import StatusMsg
from lobbyq.protocol.topics import Topics
from lobbyq.runtime.version import VERSION

ROLES_FIX = "pass the devices.toml that `lobbyq device provision` wrote beside engine.toml"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", required=True, help="broker URL, e.g. mqtt://127.0.0.1:1883")
    parser.add_argument("--branch-config", help="branch queue config (TOML); default: demo branch")
    parser.add_argument("--branch", help="branch id (overrides the config's)")
    parser.add_argument("--db", required=True, help="event log file (SQLite)")
    parser.add_argument("--client-id", default="engine")
    parser.add_argument(
        "--roles",
        help="the branch's device roles (devices.toml, written by provisioning); "
        "default: accept the demo branch's devices by their ids' conventional names",
    )


def run(args: argparse.Namespace) -> int:
    from drivers.mqtt.client import MqttBus
    from lobbyq.runtime.sdnotify import Notifier, supervise

    log = logging.getLogger("lobbyq.engine")
    try:
        config = load_branch_config(args.branch_config, args.branch)
        roles = (
            RoleBook(
                parse_roles(read_toml(Path(args.roles), fix=ROLES_FIX), args.roles),
                counters=(c.id for c in config.counters),
            )
            if args.roles
            else None
        )
        store = EventStore(args.db, branch=config.branch_id)
    except (OSError, LobbyqError) as exc:
        log.error("cannot start: %s", exc)
        return 2
    topics = Topics(config.branch_id)
    will = (topics.status("engine"), StatusMsg("engine", False, "engine", 0.0, VERSION).encode())
    bus = MqttBus(args.broker, args.client_id, will=will, clean_start=False)
    engine = Engine(config, store, bus, roles=roles, rate_limits=DEFAULT_RATES)
    # The replayed state is long-lived: keep the collector from rescanning it
    # on every burst of commands (about a quarter of the core's time).
    gc.freeze()
    # The engine publishes its birth and every view on each connect itself.
    bus.start()
    engine.start()
    notifier = Notifier.from_environ()
    print(f"engine ready on {bus.url.redacted()} branch {config.branch_id}", flush=True)
    try:
        # READY only once the broker answers (supervise says why until then),
        # so install.sh's health check never counts an engine that is cut off.
        return supervise(
            lambda: engine.alive,
            f"branch {config.branch_id}, {store.last_seq} events",
            notifier=notifier,
            period_s=min(2.0, (notifier.watchdog_interval or 8.0) / 4),
            logger=log,
            link=bus,
            where=bus.url.redacted(),
        )
    finally:
        engine.stop()
        bus.stop()
        store.close()
