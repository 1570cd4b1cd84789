"""``lobbyq kiosk``: the command line that builds a :class:`kiosk.app.KioskApp` and runs it.

The branch file gives the queue config and the ``[kiosk]`` table; the device
file's options (``lobbyq device run``) name this kiosk's hardware.
``--screenshots DIR`` renders the gallery (``kiosk.ui.gallery``) instead.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from drivers.identity import IdentityHasher
from drivers.screen.fonts import ScreenFontError
from kiosk.app import KioskApp
from kiosk.status import last_will
from kiosk.ui import KioskError
from lobbyq.core.config import BranchConfig, load_branch_and_table
from lobbyq.core.errors import ConfigError
from lobbyq.runtime.i18n import I18nError
from lobbyq.runtime.sdnotify import Notifier


def configure(parser: argparse.ArgumentParser) -> None:
    """The options of ``lobbyq kiosk``; ``lobbyq device run`` passes the device file's."""
    parser.add_argument("--broker", default="mqtt://localhost:1883", help="MQTT broker URL")
    parser.add_argument("--branch-config", type=Path, help="branch TOML (core tables + [kiosk])")
    parser.add_argument("--printer", help="ticket printer URL (serial path, socket://, usb://)")
    from drivers.printer.profiles import PROFILES  # a plain table: no python-escpos import

    parser.add_argument(
        "--printer-profile",
        choices=sorted(PROFILES),
        metavar="NAME",
        help=f"printer model ({', '.join(sorted(PROFILES))}); overrides [kiosk].printer_profile",
    )
    parser.add_argument("--card", help="bank card reader URL")
    parser.add_argument("--idcard", help="ID card reader URL")
    parser.add_argument("--qr", help="QR scanner URL")
    parser.add_argument(
        "--secret",
        type=Path,
        default=Path("branch.secret"),
        help="branch secret file for identity hashes (created 0600 if missing)",
    )
    parser.add_argument("--directory", type=Path, help="customer directory (SQLite, format 1)")
    parser.add_argument("--device", help="device id (default: [kiosk].device or kiosk-1)")
    parser.add_argument("--size", default="1280x800", help="screen size WxH")
    parser.add_argument("--headless", action="store_true", help="no window (SDL dummy video)")
    parser.add_argument(
        "--screenshots",
        type=Path,
        help="render every screen in every language to PNGs here and exit",
    )


def load_branch(path: Path | None) -> tuple[BranchConfig, dict[str, Any]]:
    """The core config and the ``[kiosk]`` table of a branch file (the demo branch if none)."""
    return load_branch_and_table(path, "kiosk")


def branch_settings(args: argparse.Namespace) -> tuple[BranchConfig, dict[str, Any]]:
    """The branch file's config and ``[kiosk]`` table, command-line options applied.

    The options win because they come from the device file (``lobbyq device
    run``), which describes this kiosk's hardware; the queue config is shared
    by the whole branch.
    """
    config, kiosk_table = load_branch(args.branch_config)
    if args.device:
        kiosk_table["device"] = args.device
    if args.printer_profile:
        kiosk_table["printer_profile"] = args.printer_profile
    return config, kiosk_table


def run(args: argparse.Namespace) -> int:
    """Build the kiosk from the options and serve until stopped; 2 on a config error."""
    log = logging.getLogger("lobbyq.kiosk")
    try:
        config, kiosk_table = branch_settings(args)
        w, h = (int(v) for v in str(args.size).lower().split("x"))
        if args.screenshots is not None:
            from drivers.mqtt.bus import MemoryBus
            from kiosk.ui.gallery import render_gallery

            app = KioskApp(MemoryBus(), config, kiosk=kiosk_table, headless=True, size=(w, h))
            paths = render_gallery(app, args.screenshots)
            log.info("wrote %d screenshots to %s", len(paths), args.screenshots)
            return 0
        from drivers.identity import load_secret
        from drivers.mqtt.client import MqttBus
        from kiosk.directory import SqliteDirectory

        device = str(kiosk_table.get("device", "kiosk-1"))
        bus = MqttBus(args.broker, device, will=last_will(config.branch_id, device))
        readers = any((args.card, args.idcard, args.qr))
        hasher = IdentityHasher(load_secret(args.secret)) if readers else None
        directory = SqliteDirectory(args.directory) if args.directory else None
        app = KioskApp(
            bus,
            config,
            printer=args.printer,
            kiosk=kiosk_table,
            card=args.card,
            idcard=args.idcard,
            qr=args.qr,
            hasher=hasher,
            directory=directory,
            headless=args.headless,
            size=(w, h),
            notifier=Notifier.from_environ(),
            broker_name=bus.url.redacted(),
        )
        import signal

        # systemd stops the kiosk with SIGTERM: leave through the loop so the
        # retained status says offline and the readers close cleanly.
        signal.signal(signal.SIGTERM, lambda _sig, _frame: app.stop())
        bus.start()
        try:
            return app.run()
        finally:
            bus.stop()
    except (KioskError, ConfigError, ScreenFontError, I18nError) as exc:
        log.error("%s", exc)
        return 2
