"""The engine's roles file: provisioning writes it from the branch file, the launcher passes it."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pytest

from lobbyq.core.errors import ConfigError
from lobbyq.core.fields import read_toml
from lobbyq.core.roles import DeviceRole, parse_roles
from lobbyq.device.branchfile import BranchFile
from lobbyq.device.config import load_device_config, parse_device_config
from lobbyq.device.launch import app_argv
from lobbyq.device.provision import provision
from lobbyq.engine import cli as engine_cli


def test_provision_writes_every_devices_role_beside_engine_toml(
    branch: BranchFile, tmp_path: Path
) -> None:
    provision(branch, tmp_path)
    path = tmp_path / "engine" / "devices.toml"
    roles = parse_roles(read_toml(path, fix="provision again"), str(path))
    expected = {d.device_id: DeviceRole(d.role, d.counter_id) for d in branch.devices}
    assert expected["counter-1"] == DeviceRole("counter", "1")
    expected |= {"console": DeviceRole("console"), "tech": DeviceRole("technician")}
    assert roles == expected
    engine = load_device_config(tmp_path / "engine" / "engine.toml")
    assert engine.roles_file == Path(branch.config_dir) / "devices.toml"
    assert not (tmp_path / "kiosk-1" / "devices.toml").exists()  # the engine's alone


def test_the_launcher_passes_the_roles_file(branch: BranchFile) -> None:
    _, argv = app_argv(branch.device("engine"), "mqtt://engine:pw@127.0.0.1:1883")
    parser = argparse.ArgumentParser()
    engine_cli.configure(parser)
    args = parser.parse_args(argv)
    assert args.roles == f"{branch.config_dir}/devices.toml"


def test_only_the_engine_reads_a_roles_file() -> None:
    broker = {"url": "mqtt://127.0.0.1:1883", "credentials_file": "d.cred"}
    with pytest.raises(ConfigError) as err:
        parse_device_config(
            {
                "device": {
                    "id": "counter-3",
                    "role": "counter",
                    "branch": "b0101",
                    "queue_config": "q.toml",
                    "roles_file": "devices.toml",
                },
                "broker": broker,
                "serial": {"bus": "/dev/lobbyq-bus"},
                "bus": {"keypad": 1, "strip": 3},
                "counter": {"id": "3"},
            }
        )
    assert err.value.fields == ("device.roles_file",)


def test_the_engine_will_not_start_on_a_broken_roles_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    roles = tmp_path / "devices.toml"
    roles.write_text('[[device]]\nid = "counter-1"\nrole = "counter"\n')
    parser = argparse.ArgumentParser()
    engine_cli.configure(parser)
    args = parser.parse_args(
        ["--broker", "mqtt://127.0.0.1:1", "--db", str(tmp_path / "e.db"), "--roles", str(roles)]
    )
    with caplog.at_level(logging.ERROR, "lobbyq.engine"):
        assert engine_cli.run(args) == 2
    assert "device[0].counter" in caplog.text and not (tmp_path / "e.db").exists()
