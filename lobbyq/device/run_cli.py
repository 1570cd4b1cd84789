"""`lobbyq device run --config FILE`: run this device's app as its device file says.

What the systemd units start (see ``launch`` for why in-process). Options
after ``--`` go to the app as they are, e.g. ``-- --size 1920x1080``.
"""

from __future__ import annotations

import argparse
import importlib
import logging

from lobbyq.cli import SUBCOMMANDS
from lobbyq.device.config import load_device_config
from lobbyq.device.launch import app_argv


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="the device file, /etc/lobbyq/<id>.toml")
    parser.add_argument("extra", nargs=argparse.REMAINDER, help="options passed to the app")


def run(args: argparse.Namespace) -> int:
    cfg = load_device_config(args.config)
    command, argv = app_argv(cfg, cfg.mqtt_url())
    extra = list(args.extra)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    module = importlib.import_module(SUBCOMMANDS[command][0])
    parser = argparse.ArgumentParser(prog=f"lobbyq {command}")
    module.configure(parser)
    app_args = parser.parse_args(argv + extra)
    if not hasattr(app_args, "verbose"):  # the global -v, for apps that look at it
        app_args.verbose = getattr(args, "verbose", False)
    logging.getLogger("lobbyq.device").info(
        "%s %s of branch %s from %s", cfg.role, cfg.device_id, cfg.branch, args.config
    )
    result: int = module.run(app_args)
    return result
