"""The deploy folder: systemd units, udev rules and the install script, checked offline."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lobbyq.cli import SUBCOMMANDS
from lobbyq.device.branchfile import load_branch_file
from lobbyq.device.cli import COMMANDS as DEVICE_COMMANDS
from lobbyq.device.provision import provision

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def test_there_is_a_unit_per_app() -> None:
    names = {p.name for p in UNITS}
    assert names == {
        "lobbyq-engine.service",
        "lobbyq-kiosk@.service",
        "lobbyq-counter@.service",
        "lobbyq-display@.service",
    }


@pytest.mark.parametrize("path", UNITS, ids=[p.name for p in UNITS])
def test_units_are_watched_notify_services_logging_to_the_journal(path: Path) -> None:
    svc = _unit(path)["Service"]
    assert svc["Type"] == "notify"
    assert int(svc["WatchdogSec"]) > 0
    assert svc["Restart"] == "on-failure"
    assert svc["StandardOutput"] == svc["StandardError"] == "journal"
    assert svc["User"] == "lobbyq"
    exe, device, run, flag, config = svc["ExecStart"].split()
    assert exe == "/opt/lobbyq/current/bin/lobbyq"
    assert (device, run, flag) == ("device", "run", "--config")
    assert SUBCOMMANDS["device"][0] == "lobbyq.device.cli" and "run" in DEVICE_COMMANDS
    assert re.fullmatch(r"/etc/lobbyq/(engine|%i)\.toml", config)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_every_unit(tmp_path: Path) -> None:
    paths = []
    for path in UNITS:
        text = path.read_text().replace("/opt/lobbyq/current/bin/lobbyq", "/bin/true")
        name = path.name.replace("@.", "@test-1.")
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *paths],
        capture_output=True,
        text=True,
        timeout=60,
    )
    complaints = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if str(tmp_path) in line  # only what is said about our files
    ]
    assert complaints == []


def test_every_port_the_example_branch_uses_has_a_udev_name() -> None:
    rules = "".join(p.read_text() for p in (DEPLOY / "udev").glob("*.rules"))
    made = set(re.findall(r'SYMLINK\+="([^"]+)"', rules))
    used = set(re.findall(r'"/dev/([a-z-]+)"', (DEPLOY / "branch.example.toml").read_text()))
    assert used <= made, f"no udev rule makes {sorted(used - made)}"


@pytest.mark.parametrize("path", sorted((DEPLOY / "udev").glob("*.rules")), ids=lambda p: p.name)
def test_udev_rule_lines_are_well_formed(path: Path) -> None:
    key = r"(SUBSYSTEM|KERNEL|ENV\{\w+\}|ATTRS?\{\w+\}|SYMLINK|GROUP|MODE|GOTO|LABEL)"
    clause = rf'{key}(==|!=|\+=|=)"[^"]*"'
    for line in path.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        for part in line.split(", "):
            assert re.fullmatch(clause, part.strip()), f"{path.name}: {part!r}"


def _sh(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(DEPLOY / "install.sh"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_install_script_syntax_and_shellcheck() -> None:
    for script in ("install.sh", "mkcerts.sh"):
        assert subprocess.run(["sh", "-n", str(DEPLOY / script)]).returncode == 0
    shellcheck = shutil.which("shellcheck") or shutil.which(
        "shellcheck",
        path=str(Path(sys.executable).parent),
    )
    if shellcheck is None:
        pytest.skip("shellcheck not installed")
    result = subprocess.run(
        [shellcheck, str(DEPLOY / "install.sh"), str(DEPLOY / "mkcerts.sh")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout


@pytest.fixture
def provisioned(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    queue = (DEPLOY / "queue.example.toml").read_text(encoding="utf-8")
    provision(load_branch_file(DEPLOY / "branch.example.toml"), out, queue_text=queue)
    return out


def test_dry_run_install_of_a_counter(provisioned: Path) -> None:
    result = _sh("--dry-run", "install", "--from", str(provisioned), "--device", "counter-3")
    assert result.returncode == 1
    assert "ca.crt not found" in result.stderr and "mkcerts.sh" in result.stderr
    (provisioned / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    result = _sh("--dry-run", "install", "--from", str(provisioned), "--device", "counter-3")
    assert result.returncode == 0, result.stderr
    plan = result.stdout
    assert (
        f"+ install -m 0600 -o lobbyq -g lobbyq {provisioned}/counter-3/counter-3.cred "
        "/etc/lobbyq/counter-3.cred"
    ) in plan
    assert "99-lobbyq-counter.rules /etc/udev/rules.d/99-lobbyq-counter.rules" in plan
    assert "+ systemctl enable lobbyq-counter@counter-3.service" in plan
    assert "mosquitto" not in plan
    assert "installed:" not in plan and "dry run: nothing was installed" in plan
    after = _sh("install", "--dry-run", "--from", str(provisioned), "--device", "counter-3")
    assert after.returncode == 0, after.stderr
    # --dry-run after the verb plans the same and changes nothing either
    assert "+ systemctl enable lobbyq-counter@counter-3.service" in after.stdout
    assert "dry run: nothing was installed" in after.stdout


def test_dry_run_install_of_the_kiosk_pi_brings_the_broker(provisioned: Path) -> None:
    args = ["--dry-run", "install", "--from", str(provisioned), "--device", "engine"]
    result = _sh(*args, "--device", "kiosk-1")
    assert result.returncode == 0, result.stderr
    # No certificates yet: made here, for the host the counters' files name.
    assert f"mkcerts.sh {provisioned} kiosk-1.local " in result.stdout
    for name in ("ca.crt", "server.crt", "server.key"):
        (provisioned / name).write_text("x\n")
    result = _sh(*args, "--device", "kiosk-1")
    assert result.returncode == 0, result.stderr
    plan = result.stdout
    assert "mkcerts.sh" not in plan
    assert f"{provisioned}/broker/passwd /etc/mosquitto/lobbyq/passwd" in plan
    assert f"{provisioned}/broker/mosquitto.conf /etc/mosquitto/mosquitto.conf" in plan
    assert f"{provisioned}/server.key /etc/mosquitto/lobbyq/server.key" in plan
    assert "/etc/lobbyq/branch.secret" in plan and "/etc/lobbyq/queue.toml" in plan
    assert "+ systemctl enable lobbyq-engine.service" in plan
    assert "+ systemctl enable lobbyq-kiosk@kiosk-1.service" in plan
    assert plan.index("systemctl restart mosquitto") < plan.index(
        "restart --no-block lobbyq-engine"
    )
    assert "+ systemctl restart --no-block lobbyq-engine.service" in plan


def test_dry_run_rollback_switches_current_and_previous(tmp_path: Path) -> None:
    prefix, conf = tmp_path / "opt", tmp_path / "etc"
    (prefix / "releases" / "20260101-000000").mkdir(parents=True)
    (prefix / "releases" / "20260201-000000").mkdir(parents=True)
    (prefix / "current").symlink_to(prefix / "releases" / "20260201-000000")
    conf.mkdir()
    (conf / "counter-3.toml").write_text('[device]\nid = "counter-3"\nrole = "counter"\n')
    env = {"LOBBYQ_PREFIX": str(prefix), "LOBBYQ_CONF": str(conf)}
    result = _sh("--dry-run", "rollback", env=env)
    assert result.returncode == 1 and "no previous release" in result.stderr
    (prefix / "previous").symlink_to(prefix / "releases" / "20260101-000000")
    result = _sh("--dry-run", "rollback", env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "+ systemctl stop lobbyq-counter@counter-3.service"
    assert f"+ ln -sfn {prefix}/releases/20260101-000000 {prefix}/current" in lines
    assert f"+ ln -sfn {prefix}/releases/20260201-000000 {prefix}/previous" in lines
    assert lines[-2] == "+ systemctl start --no-block lobbyq-counter@counter-3.service"
