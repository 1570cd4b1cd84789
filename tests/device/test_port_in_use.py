"""A bus tool beside a running app: the port is exclusive and the holder is named."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.bus.sim import BusSim
from drivers.keypad.sim import KeypadSim
from drivers.portlock import device_path, holders, in_use_message, unit_of
from lobbyq.device.bustools import open_bus
from lobbyq.device.errors import BusToolError

HOLD = (
    "import serial, sys, time\n"
    "s = serial.Serial(sys.argv[1], exclusive=True)\n"
    "print('held', flush=True)\n"
    "time.sleep(60)\n"
)


@pytest.fixture
def held_port(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    sim = BusSim(tmp_path / "lobbyq-bus", [KeypadSim(1)])
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, sim.url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield sim.url, proc
    finally:
        proc.kill()
        proc.wait()
        sim.close()


def test_a_bus_tool_names_the_program_that_holds_the_port(
    held_port: tuple[str, subprocess.Popen[str]],
) -> None:
    url, proc = held_port
    with pytest.raises(BusToolError) as err:
        open_bus(url, wait=1.0)
    text = str(err.value)
    assert text.startswith(f"{url} is in use by PID {proc.pid}")
    assert "stop" in text  # how: systemctl stop <unit>, or kill PID outside systemd


def test_the_port_is_free_again_once_the_holder_stops(
    held_port: tuple[str, subprocess.Popen[str]],
) -> None:
    url, proc = held_port
    proc.kill()
    proc.wait()
    master = open_bus(url, wait=3.0)
    master.close()


def test_the_holders_unit_comes_from_its_cgroup(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    port = tmp_path / "ttyUSB0"
    port.write_text("")
    (proc / "812" / "fd").mkdir(parents=True)
    (proc / "812" / "fd" / "3").symlink_to(port)
    (proc / "812" / "cgroup").write_text(
        "0::/system.slice/system-lobbyq\\x2dcounter.slice/lobbyq-counter@counter-3.service\n"
    )
    (proc / "900" / "fd").mkdir(parents=True)  # another process, other files
    assert unit_of(812, proc=proc) == "lobbyq-counter@counter-3.service"
    assert [h.pid for h in holders(str(port), proc=proc, me=1)] == [812]
    assert in_use_message(f"spy://{port}?file=x.txt", proc=proc, me=1) == (
        f"{port} is in use by PID 812 (lobbyq-counter@counter-3.service): "
        "stop it with `systemctl stop lobbyq-counter@counter-3.service`"
    )


def test_only_device_urls_have_a_device_file() -> None:
    assert device_path("/dev/lobbyq-bus") == "/dev/lobbyq-bus"
    assert device_path("spy:///dev/lobbyq-bus?file=t.txt") == "/dev/lobbyq-bus"
    assert device_path("socket://10.0.0.9:4001") is None


def test_the_lock_owner_wins_over_a_process_that_only_has_the_port_open(tmp_path: Path) -> None:
    import os

    proc = tmp_path / "proc"
    port = tmp_path / "ttyUSB0"
    port.write_text("")
    st = os.stat(port)
    for pid in ("700", "812"):
        (proc / pid / "fd").mkdir(parents=True)
        (proc / pid / "fd" / "3").symlink_to(port)
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    (proc / "locks").write_text(f"1: FLOCK  ADVISORY  WRITE 812 {inode} 0 EOF\n")
    assert [h.pid for h in holders(str(port), proc=proc, me=1)] == [812]
