"""Start an app from its device file: the bridge between ``/etc/lobbyq/<id>.toml`` and the apps.

The apps take their settings as command-line options; the systemd units run
``lobbyq device run --config /etc/lobbyq/<id>.toml``, which loads and checks
the device file, turns it into the app's own options with the table below,
and runs the app in this same process. In-process matters twice: the MQTT
password (folded into the broker URL) never appears in the process's
command line, where any local user could read it, and the app stays the
unit's main process, so its ``READY=1`` and watchdog pings reach systemd.
No app reads device files itself, so the file is interpreted in this one
place and the apps never import the composition root.

| role | options of ``lobbyq <role>`` filled from the device file |
|---|---|
| engine | --broker --branch-config --branch --db (data_dir/events.db) --client-id --roles |
| kiosk | --broker --branch-config --device --printer(-profile) --card --idcard --qr --secret |
| counter | --broker --counter --port --branch-config --branch --keypad/strip-addr |
| | --ratingpad-addr and --rating-keys, or --no-ratingpad without bus.rating_pad |
| display | --broker --branch-config --branch --name --led --addr, --voice (display.voice) |

Pure apart from reading the credentials file.
"""

from __future__ import annotations

from lobbyq.device.config import DeviceConfig

APP_FOR_ROLE = {"engine": "engine", "kiosk": "kiosk", "counter": "counter", "display": "display"}
ENGINE_DB = "events.db"  # in the device's data_dir


def app_argv(cfg: DeviceConfig, broker_url: str) -> tuple[str, list[str]]:
    """(the ``lobbyq`` subcommand, its options) for this device."""
    argv = ["--broker", broker_url]
    serial, addr = cfg.serial, cfg.addresses
    queue = [] if cfg.queue_config is None else ["--branch-config", str(cfg.queue_config)]
    if cfg.role == "engine":
        argv += [*queue, "--branch", cfg.branch, "--db", str(cfg.data_dir / ENGINE_DB)]
        argv += ["--client-id", cfg.device_id]
        if cfg.roles_file is not None:
            argv += ["--roles", str(cfg.roles_file)]
    elif cfg.role == "kiosk":
        argv += [*queue, "--device", cfg.device_id, "--printer", serial["printer"]]
        if cfg.printer_profile is not None:
            argv += ["--printer-profile", cfg.printer_profile]
        for key, option in (
            ("card_reader", "--card"),
            ("id_reader", "--idcard"),
            ("qr_reader", "--qr"),
        ):
            if key in serial:
                argv += [option, serial[key]]
        if cfg.branch_secret_file is not None:
            argv += ["--secret", str(cfg.branch_secret_file)]
    elif cfg.role == "counter":
        assert cfg.counter_id is not None
        argv += ["--counter", cfg.counter_id, "--port", serial["bus"], *queue]
        argv += ["--branch", cfg.branch]
        argv += ["--keypad-addr", str(addr["keypad"]), "--strip-addr", str(addr["strip"])]
        if "rating_pad" in addr:
            argv += ["--ratingpad-addr", str(addr["rating_pad"])]
            argv += ["--rating-keys", str(cfg.rating_keys or 5)]
        else:  # the app's own default is a pad at address 2: say there is none
            argv += ["--no-ratingpad"]
    elif cfg.role == "display":
        name = cfg.device_id.removeprefix("display-")
        argv += [*queue, "--branch", cfg.branch, "--name", name, "--led", serial["bus"]]
        argv += ["--addr", str(addr["hall"])]
        if cfg.voice is not None:
            argv += ["--voice", cfg.voice]
    else:  # validated by the config loader; a new role needs a line here
        raise ValueError(f"no app for role {cfg.role!r}")
    return APP_FOR_ROLE[cfg.role], argv
