"""`lobbyq device run`: each role's device file becomes options its real app accepts."""

from __future__ import annotations

import argparse
import importlib
from dataclasses import replace
from pathlib import Path

import pytest

from lobbyq.cli import SUBCOMMANDS
from lobbyq.device.branchfile import BranchFile, load_branch_file
from lobbyq.device.launch import app_argv
from tests.device.conftest import REPO, device_cli

URL = "mqtts://counter-1:synthetic@kiosk-1.local:8883?ca=/etc/lobbyq/ca.crt"


def _parse(command: str, argv: list[str]) -> argparse.Namespace:
    module = importlib.import_module(SUBCOMMANDS[command][0])
    parser = argparse.ArgumentParser()
    module.configure(parser)
    return parser.parse_args(argv)


@pytest.fixture(scope="module")
def branch() -> BranchFile:
    return load_branch_file(REPO / "deploy" / "branch.example.toml")


def test_counter_options(branch: BranchFile) -> None:
    command, argv = app_argv(branch.device("counter-3"), URL)
    args = _parse(command, argv)
    assert command == "counter"
    assert (args.broker, args.counter, args.port) == (URL, "3", "/dev/lobbyq-bus")
    assert (args.keypad_addr, args.ratingpad_addr, args.strip_addr) == (1, 2, 3)
    assert args.branch_config == "/etc/lobbyq/queue.toml" and args.branch == "b0101"
    assert args.rating_keys == 3  # counter.rating_keys: a 3-key pad


def test_counter_without_a_rating_pad(branch: BranchFile) -> None:
    command, argv = app_argv(branch.device("counter-4"), URL)
    args = _parse(command, argv)
    assert (args.keypad_addr, args.ratingpad_addr, args.strip_addr) == (1, None, 3)
    _, argv = app_argv(branch.device("counter-1"), URL)
    assert _parse(command, argv).rating_keys == 5


def test_engine_options(branch: BranchFile) -> None:
    command, argv = app_argv(branch.device("engine"), URL)
    args = _parse(command, argv)
    assert command == "engine"
    assert args.db == "/var/lib/lobbyq/events.db"
    assert args.client_id == "engine" and args.branch == "b0101"


def test_kiosk_options(branch: BranchFile) -> None:
    command, argv = app_argv(branch.device("kiosk-1"), URL)
    args = _parse(command, argv)
    assert command == "kiosk"
    assert args.printer == "/dev/lobbyq-printer" and args.card == "/dev/lobbyq-card"
    assert args.idcard == "/dev/lobbyq-idcard" and args.qr == "/dev/lobbyq-qr"
    assert str(args.secret) == "/etc/lobbyq/branch.secret" and args.device == "kiosk-1"
    assert str(args.branch_config) == "/etc/lobbyq/queue.toml"
    assert args.printer_profile == "cn80"  # the device file's printer.profile


def test_kiosk_printer_profile_from_the_device_file_beats_the_queue_config(
    branch: BranchFile, tmp_path: Path
) -> None:
    from kiosk.cli import branch_settings

    queue = tmp_path / "queue.toml"
    example = (REPO / "deploy" / "queue.example.toml").read_text(encoding="utf-8")
    queue.write_text(example + '\n[kiosk]\nprinter_profile = "cn58"\n', encoding="utf-8")
    cfg = replace(branch.device("kiosk-1"), printer_profile="tw80", queue_config=queue)
    _, table = branch_settings(_parse(*app_argv(cfg, URL)))
    assert table["printer_profile"] == "tw80" and table["device"] == "kiosk-1"
    _, table = branch_settings(_parse("kiosk", ["--branch-config", str(queue)]))
    assert table["printer_profile"] == "cn58"  # without the option the queue config holds


def test_display_options(branch: BranchFile) -> None:
    command, argv = app_argv(branch.device("display-hall"), URL)
    args = _parse(command, argv)
    assert command == "display"
    assert (args.name, args.led, args.addr, args.branch) == ("hall", "/dev/lobbyq-hall", 1, "b0101")
    assert args.branch_config == "/etc/lobbyq/queue.toml"  # read for its [display] voice
    cfg = replace(branch.device("display-hall"), queue_config=None)
    args = _parse(*app_argv(cfg, URL))
    assert args.branch_config is None  # a hand-written file without one still runs


def test_the_engine_runs_from_the_options_the_launcher_fills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lobbyq.engine.cli as engine_cli

    out = tmp_path / "out"
    assert (
        device_cli("provision", str(REPO / "deploy" / "branch.example.toml"), "-o", str(out)) == 0
    )
    config = out / "engine" / "engine.toml"
    config.write_text(config.read_text().replace("/etc/lobbyq/engine.cred", "engine.cred"))
    seen: list[argparse.Namespace] = []
    monkeypatch.setattr(engine_cli, "run", lambda args: seen.append(args) or 0)
    assert device_cli("run", "--config", str(config)) == 0
    args = seen[0]
    assert not hasattr(args, "config")  # the engine never reads the device file
    assert args.broker.startswith("mqtt") and args.db.endswith("events.db")
    assert args.client_id == "engine" and args.branch


def test_a_silent_display_from_its_device_file(tmp_path: Path) -> None:
    from lobbyq.core.errors import ConfigError
    from lobbyq.device.config import load_device_config, parse_device_config
    from lobbyq.device.provision import device_toml

    base = {
        "device": {"id": "display-hall", "role": "display", "branch": "b0101"},
        "broker": {"url": "mqtt://127.0.0.1:1883", "credentials_file": "/etc/lobbyq/d.cred"},
        "serial": {"bus": "/dev/lobbyq-hall"},
        "bus": {"hall": 1},
    }
    off = parse_device_config({**base, "display": {"voice": "off"}})
    assert _parse(*app_argv(off, URL)).voice == "off"
    langs = parse_device_config({**base, "display": {"voice": ["yue", "en"]}})
    assert _parse(*app_argv(langs, URL)).voice == "yue,en"
    assert _parse(*app_argv(parse_device_config(base), URL)).voice is None  # the queue config's
    (tmp_path / "display-hall.toml").write_text(device_toml(langs, "/etc/lobbyq"))
    assert load_device_config(tmp_path / "display-hall.toml") == langs  # provision writes it back
    with pytest.raises(ConfigError, match=r"display\.voice"):
        parse_device_config({**base, "display": {"voice": ["klingon"]}})
    with pytest.raises(ConfigError, match=r"only a display uses \[display\]"):
        parse_device_config(
            {
                **base,
                "device": {**base["device"], "id": "engine", "role": "engine"},
                "serial": {},
                "bus": {},
                "display": {"voice": "off"},
            }
        )
