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
    assert "branch b0101, 7 devices, OK" in capsys.readouterr().out
