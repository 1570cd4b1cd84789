"""`lobbyq device check`: the same validation the apps run, from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.device.conftest import REPO, device_cli


def test_check_a_provisioned_file_and_a_broken_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert (
        device_cli("provision", str(REPO / "deploy" / "branch.example.toml"), "-o", str(out)) == 0
    )
    capsys.readouterr()
    config = out / "counter-3" / "counter-3.toml"
    # As installed, the credentials live in /etc/lobbyq; point at the output copy.
    text = config.read_text().replace("/etc/lobbyq/counter-3.cred", "counter-3.cred")
    config.write_text(text)
    assert device_cli("check", str(config)) == 0
    assert "counter counter-3 of branch b0101, OK" in capsys.readouterr().out

    config.write_text(text.replace("keypad = 1", "keypad = 3"))
    assert device_cli("check", str(config)) == 2
    err = capsys.readouterr().err
    assert "bus.strip: address 3 is already bus.keypad" in err

    (out / "counter-3" / "counter-3.cred").unlink()
    config.write_text(text)
    assert device_cli("check", str(config)) == 2
    assert "provisioning output" in capsys.readouterr().err


def test_check_a_branch_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert device_cli("check", "--branch", str(REPO / "deploy" / "branch.example.toml")) == 0
    out = capsys.readouterr().out
    assert "branch b0101, 7 devices, matches" in out and out.rstrip().endswith("OK")


def test_check_refuses_a_branch_whose_counter_the_queue_config_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    branch = (REPO / "deploy" / "branch.example.toml").read_text()
    branch = branch.replace('counter = { id = "4" }', 'counter = { id = "9" }')
    branch = branch.replace("counter-4", "counter-9")
    branch = branch.replace(
        '"queue.example.toml"', repr(str(REPO / "deploy" / "queue.example.toml"))
    )
    path = tmp_path / "branch.toml"
    path.write_text(branch)
    assert device_cli("check", "--branch", str(path)) == 2
    err = capsys.readouterr().err
    assert "counter.id: counter '9' is not in" in err  # the same words provision refuses with
    assert device_cli("provision", str(path), "-o", str(tmp_path / "out")) == 2
