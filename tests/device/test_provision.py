"""Provisioning output: files, modes, round trips, and stable secrets across runs."""

from __future__ import annotations

import grp
import os
import stat
import subprocess
from pathlib import Path

import pytest

from lobbyq.device.branchfile import BranchFile, parse_branch_file
from lobbyq.device.brokerfiles import render_mosquitto_conf
from lobbyq.device.cli import configure, run
from lobbyq.device.config import load_device_config, read_credentials
from lobbyq.device.passwd import hash_password, verify_password
from lobbyq.device.provision import provision
from lobbyq.device.tomlout import dumps

REPO = Path(__file__).resolve().parents[2]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_device_file_parses_back_to_the_same_config(
    branch: BranchFile, tmp_path: Path
) -> None:
    provision(branch, tmp_path)
    for device in branch.devices:
        written = tmp_path / device.device_id / f"{device.device_id}.toml"
        assert load_device_config(written) == device


def _assert_broker_secret(path: Path) -> None:
    """Private, or readable by the broker's group alone when that group exists here."""
    try:
        gid = grp.getgrnam("mosquitto").gr_gid
    except KeyError:
        assert _mode(path) == 0o600
        return
    if os.geteuid() == 0:
        assert _mode(path) == 0o640 and path.stat().st_gid == gid
    else:
        assert _mode(path) in (0o600, 0o640)


def test_secrets_are_private_and_passwords_verify(branch: BranchFile, tmp_path: Path) -> None:
    provision(branch, tmp_path)
    assert _mode(tmp_path / "branch.secret") == 0o600
    assert len((tmp_path / "branch.secret").read_bytes()) == 32
    _assert_broker_secret(tmp_path / "broker" / "passwd")
    assert (tmp_path / "kiosk-1" / "branch.secret").read_bytes() == (
        tmp_path / "branch.secret"
    ).read_bytes()
    hashes = dict(
        line.split(":", 1) for line in (tmp_path / "broker" / "passwd").read_text().splitlines()
    )
    assert set(hashes) == {d.device_id for d in branch.devices} | {"tech"}
    for device in branch.devices:
        cred = tmp_path / device.device_id / f"{device.device_id}.cred"
        assert _mode(cred) == 0o600
        creds = read_credentials(cred)
        assert creds.username == device.device_id
        assert len(creds.password) >= 40
        assert verify_password(creds.password, hashes[device.device_id])
        assert not verify_password(creds.password + "x", hashes[device.device_id])
        assert creds.password not in (tmp_path / "broker" / "passwd").read_text()
        assert creds.password not in (tmp_path / "broker" / "acl").read_text()


def test_running_again_keeps_passwords_and_the_branch_secret(
    branch: BranchFile, tmp_path: Path
) -> None:
    first = provision(branch, tmp_path)
    secret = (tmp_path / "branch.secret").read_bytes()
    password = read_credentials(tmp_path / "counter-1" / "counter-1.cred").password
    again = provision(branch, tmp_path)
    assert again.new_credentials == []
    assert sorted(again.kept_credentials) == sorted(first.new_credentials)
    assert read_credentials(tmp_path / "counter-1" / "counter-1.cred").password == password
    rotated = provision(branch, tmp_path, rotate=True)
    assert "counter-1" in rotated.new_credentials
    assert read_credentials(tmp_path / "counter-1" / "counter-1.cred").password != password
    assert (tmp_path / "branch.secret").read_bytes() == secret


def test_a_ca_in_the_output_folder_goes_to_every_device(branch: BranchFile, tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    provision(branch, tmp_path)
    assert (tmp_path / "counter-2" / "ca.crt").read_text().startswith("-----BEGIN")


def test_the_shipped_broker_config_is_the_generated_one() -> None:
    assert (REPO / "deploy" / "mosquitto" / "lobbyq.conf").read_text() == render_mosquitto_conf()


@pytest.mark.skipif(
    subprocess.run(["which", "mosquitto_passwd"], capture_output=True).returncode != 0,
    reason="mosquitto_passwd not installed",
)
def test_hash_format_matches_mosquitto_passwd(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(pw), "someone", "synthetic-pw"], check=True)
    theirs = pw.read_text().strip().split(":", 1)[1]
    assert verify_password("synthetic-pw", theirs)
    salt_b64 = theirs.split("$")[3]
    import base64

    ours = hash_password("synthetic-pw", base64.b64decode(salt_b64), int(theirs.split("$")[2]))
    assert ours == theirs


def test_toml_writer_refuses_control_characters() -> None:
    with pytest.raises(ValueError):
        dumps({"device": {"id": "a\x00b"}})


def test_provision_command_checks_the_queue_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    configure(parser)
    queue = tmp_path / "queue.toml"
    queue.write_text(
        '[branch]\nid = "b0101"\n[[services]]\ncode = "A"\n'
        '[[counters]]\nid = "1"\nservices = ["A"]\n'
    )
    args = parser.parse_args(
        [
            "provision",
            str(REPO / "deploy" / "branch.example.toml"),
            "-o",
            str(tmp_path / "out"),
            "--queue-config",
            str(queue),
        ]
    )
    assert run(args) == 2
    err = capsys.readouterr().err
    assert "devices[3].counter.id: counter '2' is not in" in err
    assert not (tmp_path / "out").exists()
    args = parser.parse_args(
        ["provision", str(REPO / "deploy" / "branch.example.toml"), "-o", str(tmp_path / "out")]
    )
    assert run(args) == 0
    for device in ("engine", "kiosk-1", "counter-4", "display-hall"):
        assert (tmp_path / "out" / device / "queue.toml").exists()
    assert "counter-4" in capsys.readouterr().out


def test_every_port_and_broker_path_follows_the_branch_file(tmp_path: Path) -> None:
    from tests.device.conftest import branch_doc

    doc = branch_doc()
    doc["branch"].update(broker_port=18883, local_port=11883)
    doc["broker"] = {"conf_dir": "/srv/broker/", "data_dir": "/srv/broker-data", "user": "mqtt"}
    bf = parse_branch_file(doc)
    provision(bf, tmp_path)
    conf = (tmp_path / "broker" / "mosquitto.conf").read_text()
    listeners = [line for line in conf.splitlines() if line.startswith("listener ")]
    assert listeners == ["listener 11883 127.0.0.1", "listener 18883"]
    for line in ("password_file /srv/broker/passwd", "acl_file /srv/broker/acl"):
        assert line in conf.splitlines()
    assert "persistence_location /srv/broker-data/" in conf.splitlines()
    assert "cafile /srv/broker/ca.crt" in conf.splitlines()
    assert "user mqtt" in conf.splitlines()
    urls = {
        d.device_id: load_device_config(tmp_path / d.device_id / f"{d.device_id}.toml").broker.url
        for d in bf.devices
    }
    for device, url in urls.items():
        local = device == "engine" or device.startswith("kiosk-")
        assert url == ("mqtt://127.0.0.1:11883" if local else "mqtts://kiosk-1.local:18883")
    assert "8883" not in conf.replace("18883", "").replace("11883", "")
    assert "1883" not in conf.replace("18883", "").replace("11883", "")


def test_the_tls_and_loopback_ports_must_differ() -> None:
    from lobbyq.core.errors import ConfigError
    from tests.device.conftest import branch_doc

    doc = branch_doc()
    doc["branch"].update(broker_port=8883, local_port=8883)
    with pytest.raises(ConfigError, match="local_port"):
        parse_branch_file(doc)


def test_the_broker_tls_files_go_beside_the_generated_config(
    branch: BranchFile, tmp_path: Path
) -> None:
    for name in ("ca.crt", "server.crt", "server.key"):
        (tmp_path / name).write_text(f"{name}\n")
    provision(branch, tmp_path)
    for name in ("ca.crt", "server.crt", "server.key"):
        assert (tmp_path / "broker" / name).read_text() == f"{name}\n"
    _assert_broker_secret(tmp_path / "broker" / "server.key")
