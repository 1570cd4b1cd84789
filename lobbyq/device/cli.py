"""`lobbyq device ...`: the technician's one tool for a branch's devices.

| command | what it does |
|---|---|
| ``provision BRANCH.toml -o OUT`` | device files, MQTT credentials, broker passwd, ACL, config |
| ``check FILE.toml`` | validate a device file (or ``--branch`` a branch file) and say what to fix |
| ``status`` | every device's online state, version, last seen, paper, problems |
| ``scan PORT`` | list the addresses answering on an RS-485 bus |
| ``set-address PORT OLD NEW`` | give a bus device a new address |
| ``flash PORT --address N IMAGE`` | update a bus device's firmware through its bootloader |
| ``selftest PORT ...`` | beep, light, prompt and print on every device and report who answered |
| ``trace PORT`` | live decoded view of a port's frames |
| ``run --config FILE`` | run the device's app from its device file (what systemd starts) |

Every command returns 0 on success, 1 when the job failed (a device
refused, a device is offline), 2 for bad input (a config problem).
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, help); each module has configure(parser) and run(args) -> int
COMMANDS: dict[str, tuple[str, str]] = {
    "provision": ("lobbyq.device.provision_cli", "write device, credential and broker files"),
    "check": ("lobbyq.device.check_cli", "validate a device file or a branch file"),
    "status": ("lobbyq.device.status_cli", "show every device from its retained status"),
    "scan": ("lobbyq.device.scan_cli", "list the addresses answering on an RS-485 bus"),
    "set-address": ("lobbyq.device.address_cli", "give a bus device a new address"),
    "flash": ("lobbyq.device.flash_cli", "update a bus device's firmware"),
    "trace": ("lobbyq.device.trace_cli", "print a counter bus's frames, decoded, live"),
    "selftest": ("lobbyq.device.selftest_cli", "exercise every device of this Pi and report"),
    "run": ("lobbyq.device.run_cli", "run this device's app from its device file"),
}


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="device_command", metavar="TOOL")
    for name, (module_name, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text, description=help_text)
        importlib.import_module(module_name).configure(sp)


def run(args: argparse.Namespace) -> int:
    from lobbyq.core.errors import ConfigError
    from lobbyq.device.errors import DeviceToolError

    name = getattr(args, "device_command", None)
    if name is None:
        print("usage: lobbyq device TOOL ...; tools: " + ", ".join(COMMANDS), file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    try:
        result: int = module.run(args)
    except ConfigError as exc:
        print(f"lobbyq device {name}: {exc}", file=sys.stderr)
        return 2
    except DeviceToolError as exc:
        print(f"lobbyq device {name}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nlobbyq device {name}: interrupted", file=sys.stderr)
        return 130
    return result
