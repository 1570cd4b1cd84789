"""The engine as systemd starts it: `lobbyq device run` on its provisioned file.

It must log in with its generated credentials through the generated ACL,
say READY=1 and ping the watchdog over the notify socket, announce itself
on its retained status topic, and keep its password out of the process's
command line (which every local user can read).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from drivers.mqtt.client import MqttBus
from lobbyq.device.config import read_credentials
from lobbyq.device.status import StatusBoard
from lobbyq.protocol.topics import Topics
from tests.deploy.conftest import REPO, BranchBroker


def _engine_file(bb: BranchBroker, tmp_path: Path) -> Path:
    text = (bb.out / "engine" / "engine.toml").read_text()
    text = text.replace("mqtt://127.0.0.1:1883", f"mqtt://127.0.0.1:{bb.local_port}")
    text = text.replace("/etc/lobbyq/engine.cred", str(bb.out / "engine" / "engine.cred"))
    text = text.replace("/etc/lobbyq/queue.toml", str(REPO / "deploy" / "queue.example.toml"))
    text = text.replace("/etc/lobbyq/devices.toml", str(bb.out / "engine" / "devices.toml"))
    text = text.replace("/var/lib/lobbyq", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    path = tmp_path / "engine.toml"
    path.write_text(text)
    return path


def _watch_online(bb: BranchBroker, device: str, client_id: str) -> tuple[MqttBus, threading.Event]:
    """A technician's client on the broker and an event set once ``device``'s status is online."""
    t = Topics(bb.branch.branch)
    board = StatusBoard(t)
    online = threading.Event()

    def on_status(topic: str, payload: bytes) -> None:
        row = board.feed(topic, payload)
        if row is not None and row.device == device and row.state == "online":
            online.set()

    tech = MqttBus(bb.url("tech"), client_id)
    tech.subscribe(t.status_all, on_status)
    tech.start()
    return tech, online


def _run_device(config: Path, cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``lobbyq device run`` as the unit file starts it, output captured."""
    return subprocess.Popen(
        [sys.executable, "-m", "lobbyq", "device", "run", "--config", str(config)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop(proc: subprocess.Popen[bytes]) -> bytes:
    """Stop it as systemd does (SIGTERM, then a kill if it hangs); its output."""
    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def test_engine_starts_from_its_device_file_and_talks_to_systemd(
    branch_broker: BranchBroker, tmp_path: Path
) -> None:
    config = _engine_file(branch_broker, tmp_path)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(20)
    tech, seen = _watch_online(branch_broker, "engine", "tech-service-test")
    env = {
        **os.environ,
        "NOTIFY_SOCKET": str(tmp_path / "notify"),
        "WATCHDOG_USEC": "2000000",
        "PYTHONPATH": str(REPO),
    }
    env.pop("WATCHDOG_PID", None)
    proc = _run_device(config, tmp_path, env)
    try:
        messages = []
        while not any(m.startswith("READY=1") for m in messages):
            messages.append(notify.recv(4096).decode())
        ready = next(m for m in messages if m.startswith("READY=1"))
        assert "STATUS=branch b0101" in ready
        while "WATCHDOG=1" not in messages:
            messages.append(notify.recv(4096).decode())
        assert seen.wait(10), "the engine's retained status never said online"

        password = read_credentials(branch_broker.cred_file("engine")).password
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert password.encode() not in cmdline
        assert b"device\0run\0--config" in cmdline
    finally:
        out = _stop(proc)
        tech.stop()
        notify.close()
    assert proc.returncode == 0, out.decode(errors="replace")[-2000:]
    assert password.encode() not in out  # nor in its log


def test_a_counter_starts_from_its_device_file_with_its_bus(
    branch_broker: BranchBroker, tmp_path: Path
) -> None:
    """The counter app, launched as systemd does, on TLS with its own account and a bus sim."""
    from drivers.bus.sim import BusSim
    from drivers.keypad.sim import KeypadSim
    from drivers.led.sim import StripSim
    from drivers.ratingpad.sim import RatingPadSim

    sim = BusSim(tmp_path / "lobbyq-bus", [KeypadSim(1), RatingPadSim(2), StripSim(3)])
    out = branch_broker.out
    text = (out / "counter-3" / "counter-3.toml").read_text()
    for old, new in (
        ("/etc/lobbyq/counter-3.cred", str(out / "counter-3" / "counter-3.cred")),
        ("/etc/lobbyq/ca.crt", str(branch_broker.ca)),
        ("/etc/lobbyq/queue.toml", str(REPO / "deploy" / "queue.example.toml")),
        (":8883", f":{branch_broker.tls_port}"),
        ("/dev/lobbyq-bus", sim.url),
    ):
        text = text.replace(old, new)
    config = tmp_path / "counter-3.toml"
    config.write_text(text)
    tech, online = _watch_online(branch_broker, "counter-3", "tech-counter-test")
    proc = _run_device(config, tmp_path, {**os.environ, "PYTHONPATH": str(REPO)})
    try:
        assert online.wait(15), "counter-3 never reported online"
        assert sim.device(3).wait_until(lambda s: s.fresh_boot is False, 5)  # configured
    finally:
        out_text = _stop(proc)
        tech.stop()
        sim.close()
    assert b"Traceback" not in out_text, out_text.decode(errors="replace")[-2000:]
