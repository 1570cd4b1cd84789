"""`./run` checks the system packages first: installs them as root, else names the command.

Every system tool the check calls (``dpkg-query``, ``fc-list``, ``apt-get``,
``id``, ``sudo``) is a fake on ``PATH``, so the test shows what a fresh
Debian machine would see without touching this one's packages.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

DPKG = """#!/bin/sh
# installed packages are files in $FAKE/installed
pkg="$3"
if [ -e "$FAKE/installed/$pkg" ]; then echo "install ok installed"; else exit 1; fi
"""
FC_LIST = """#!/bin/sh
[ -e "$FAKE/installed/fonts-noto-cjk" ] && echo "/usr/share/fonts/NotoSansCJK.ttc: Noto Sans CJK SC"
exit 0
"""
APT_GET = """#!/bin/sh
echo "$*" >> "$FAKE/apt.log"
[ "$1" = install ] || exit 0
shift
for p in "$@"; do case "$p" in -*) ;; *) touch "$FAKE/installed/$p";; esac; done
"""
SUDO_NO = """#!/bin/sh
echo "sudo: a password is required" >&2
exit 1
"""
SUDO_YES = """#!/bin/sh
[ "$1" = -n ] && shift
[ "$1" = true ] && exit 0
[ "$1" = env ] && { shift; while case "$1" in *=*) true;; *) false;; esac; do shift; done; }
exec "$@"
"""


def _fake_system(tmp: Path, *, uid: int, sudo: str, installed: tuple[str, ...]) -> dict[str, str]:
    bin_dir = tmp / "bin"
    (tmp / "installed").mkdir(parents=True)
    bin_dir.mkdir()
    for name, body in {
        "dpkg-query": DPKG,
        "fc-list": FC_LIST,
        "apt-get": APT_GET,
        "sudo": sudo,
        "id": f"#!/bin/sh\necho {uid}\n",
    }.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    for pkg in installed:
        (tmp / "installed" / pkg).touch()
    return {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "FAKE": str(tmp)}


def _run_deps(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(REPO / "run"), "deps"], env=env, capture_output=True, text=True, timeout=60
    )


def _apt_log(tmp: Path) -> list[str]:
    log = tmp / "apt.log"
    return log.read_text().splitlines() if log.exists() else []


ALL = (
    "mosquitto",
    "mosquitto-clients",
    "openssl",
    "fontconfig",
    "chromium",
    "nats-server",
    "postgresql",
    "fonts-noto-cjk",
)


def test_root_on_a_fresh_machine_installs_what_is_missing(tmp_path: Path) -> None:
    env = _fake_system(tmp_path, uid=0, sudo=SUDO_NO, installed=("openssl", "fontconfig"))
    result = _run_deps(env)
    assert result.returncode == 0, result.stderr
    assert _apt_log(tmp_path) == [
        "update -qq",
        "install -y mosquitto mosquitto-clients chromium nats-server postgresql fonts-noto-cjk -qq",
    ]
    assert (
        "installing system packages: mosquitto mosquitto-clients chromium nats-server postgresql "
        "fonts-noto-cjk" in result.stderr
    )


def test_without_root_or_sudo_it_names_the_command_and_does_nothing(tmp_path: Path) -> None:
    env = _fake_system(tmp_path, uid=1000, sudo=SUDO_NO, installed=("openssl", "fontconfig"))
    result = _run_deps(env)
    assert result.returncode == 1
    assert _apt_log(tmp_path) == []
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "lobbyq needs system packages; run: sudo apt-get update && "
        "sudo apt-get install -y mosquitto mosquitto-clients chromium nats-server postgresql "
        "fonts-noto-cjk"
    ]
    assert "Traceback" not in result.stdout + result.stderr


def test_with_passwordless_sudo_it_installs_through_sudo(tmp_path: Path) -> None:
    env = _fake_system(tmp_path, uid=1000, sudo=SUDO_YES, installed=ALL[:-1])
    result = _run_deps(env)
    assert result.returncode == 0, result.stderr
    assert _apt_log(tmp_path) == ["update -qq", "install -y fonts-noto-cjk -qq"]


@pytest.mark.parametrize("uid", [0, 1000])
def test_a_complete_machine_is_left_alone(tmp_path: Path, uid: int) -> None:
    env = _fake_system(tmp_path, uid=uid, sudo=SUDO_NO, installed=ALL)
    result = _run_deps(env)
    assert (result.returncode, result.stderr, _apt_log(tmp_path)) == (0, "", [])


def test_a_failed_install_says_what_is_still_missing(tmp_path: Path) -> None:
    env = _fake_system(tmp_path, uid=0, sudo=SUDO_NO, installed=ALL[:-1])
    broken = tmp_path / "bin" / "apt-get"
    broken.write_text('#!/bin/sh\necho "$*" >> "$FAKE/apt.log"\nexit 0\n')
    result = _run_deps(env)
    assert result.returncode == 1
    assert "still missing after apt-get: fonts-noto-cjk" in result.stderr


def test_the_entry_scripts_pass_shellcheck() -> None:
    import shutil
    import sys

    shellcheck = shutil.which("shellcheck") or shutil.which(
        "shellcheck", path=str(Path(sys.executable).parent)
    )
    if shellcheck is None:
        pytest.skip("shellcheck not installed")
    result = subprocess.run(
        [shellcheck, str(REPO / "run"), str(REPO / ".ci" / "run")], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_a_long_font_list_is_read_whole(tmp_path: Path) -> None:
    """A match early in fc-list's long output must not fail the check (SIGPIPE under pipefail)."""
    env = _fake_system(tmp_path, uid=1000, sudo=SUDO_NO, installed=ALL)
    many = tmp_path / "bin" / "fc-list"
    many.write_text(
        "#!/bin/sh\necho '/usr/share/fonts/NotoSansCJK.ttc: Noto Sans CJK SC'\n"
        'i=0; while [ $i -lt 20000 ]; do echo "/usr/share/fonts/f$i.ttf: Font $i"; '
        "i=$((i+1)); done\n"
    )
    for _ in range(3):
        result = _run_deps(env)
        assert (result.returncode, result.stderr) == (0, "")
