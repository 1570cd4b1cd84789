"""A technician brings up a branch from the docs alone, then breaks it one thing at a time.

No hand edits: a branch file with non-default ports, ``check``, ``provision``,
mosquitto from the generated config as generated, then the engine, a counter
and the hall display through ``lobbyq device run`` on simulated devices, as
the units start them. ``device status`` must show all online and a call must
reach the strip and the hall. Then one break at a time, each with the words
it must give: a CA that did not sign the broker, a bus tool beside the
running counter, a display without a sound card, the broker down.

What differs from a Pi is only where things are: the branch file points
``config_dir``, ``data_dir`` and the broker's folders into a temporary
folder, the devices' files are copied there as ``install.sh`` copies them
to ``/etc/lobbyq``, and the serial ports are simulator ptys.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from drivers.bus.rigs import CounterRig, HallRig
from drivers.keypad.codes import Key
from drivers.mqtt.client import MqttBus
from drivers.mqtt.request import Requester
from lobbyq.broker import find_mosquitto, free_port, wait_listening
from lobbyq.device.config import load_device_config
from lobbyq.protocol.topics import Topics
from tests.deploy.conftest import REPO
from tests.support import eventually

SYSTEM_CAS = Path("/etc/ssl/certs/ca-certificates.crt")
BRANCH = "b0101"

pytestmark = pytest.mark.skipif(
    find_mosquitto() is None or shutil.which("openssl") is None,
    reason="mosquitto and openssl are needed for the field test",
)


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), **extra}
    for key in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        if key not in extra:
            env.pop(key, None)
    return env


def lobbyq(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """One ``lobbyq`` command as a technician types it."""
    return subprocess.run(
        [sys.executable, "-m", "lobbyq", *args],
        cwd=cwd,
        env=env or _env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


@dataclass
class App:
    """``lobbyq device run`` started as its unit starts it, with its own notify socket."""

    proc: subprocess.Popen[bytes]
    notify: socket.socket
    log: Path
    said: list[str] = field(default_factory=list)

    def messages(self) -> list[str]:
        self.notify.setblocking(False)
        while True:
            try:
                self.said.append(self.notify.recv(4096).decode())
            except BlockingIOError:
                return self.said

    def ready(self) -> bool:
        return any(m.startswith("READY=1") for m in self.messages())

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.notify.close()
        return self.output()


@dataclass
class Site:
    root: Path
    out: Path
    etc: Path
    branch_file: Path
    tls_port: int
    local_port: int
    counter: CounterRig
    hall: HallRig
    apps: list[App] = field(default_factory=list)
    broker: subprocess.Popen[bytes] | None = None

    def run(self, device: str, *extra: str, config: Path | None = None, **env: str) -> App:
        n = len(self.apps)
        sock_path = self.root / f"notify-{n}"
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(str(sock_path))
        log = self.root / f"{device}-{n}.log"
        argv = [sys.executable, "-m", "lobbyq", "device", "run"]
        argv += ["--config", str(config or self.etc / f"{device}.toml")]
        if extra:
            argv += ["--", *extra]
        with log.open("wb") as out:
            proc = subprocess.Popen(
                argv,
                cwd=self.root,
                env=_env(NOTIFY_SOCKET=str(sock_path), **env),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        app = App(proc, notify, log)
        self.apps.append(app)
        return app

    def status(self) -> subprocess.CompletedProcess[str]:
        return lobbyq(
            "device", "status", "--json",
            "--broker", f"mqtts://localhost:{self.tls_port}",
            "--credentials", str(self.out / "tech.cred"),
            "--ca", str(self.out / "ca.crt"),
            "--branch", BRANCH,
            cwd=self.root,
        )  # fmt: skip

    def rows(self) -> dict[str, dict[str, object]]:
        result = self.status()
        try:
            return {r["device"]: r for r in json.loads(result.stdout)}
        except json.JSONDecodeError:
            return {}

    def start_broker(self) -> None:
        binary = find_mosquitto()
        assert binary is not None
        log = (self.root / "mosquitto.log").open("ab")
        self.broker = subprocess.Popen(
            [binary, "-c", str(self.out / "broker" / "mosquitto.conf")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for port in (self.tls_port, self.local_port):
            assert wait_listening(port, 10), (self.root / "mosquitto.log").read_text()

    def stop_broker(self) -> None:
        if self.broker is not None and self.broker.poll() is None:
            self.broker.terminate()
            self.broker.wait(10)


def _branch_text(root: Path, tls: int, local: int, counter: str, hall: str) -> str:
    user = 'user = "root"' if os.geteuid() == 0 else ""
    return f"""
[branch]
id = "{BRANCH}"
broker_host = "localhost"
broker_port = {tls}
local_port = {local}
config_dir = "{root / "etc"}"
data_dir = "{root / "data"}"
queue_config = "{REPO / "deploy" / "queue.example.toml"}"

[broker]
conf_dir = "{root / "out" / "broker"}"
data_dir = "{root / "mqdata"}"
{user}

[[devices]]
id = "engine"
role = "engine"

[[devices]]
id = "kiosk-1"
role = "kiosk"
serial = {{ printer = "/dev/lobbyq-printer" }}
printer = {{ profile = "cn80" }}

[[devices]]
id = "counter-1"
role = "counter"
serial = {{ bus = "{counter}" }}
bus = {{ keypad = 1, rating_pad = 2, strip = 3 }}
counter = {{ id = "1", rating_keys = 5 }}

[[devices]]
id = "display-hall"
role = "display"
serial = {{ bus = "{hall}" }}
bus = {{ hall = 1 }}
display = {{ voice = "off" }}
"""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    (tmp_path / "dev").mkdir()
    counter = CounterRig.build(tmp_path / "dev" / "counter1")
    hall = HallRig.build(tmp_path / "dev" / "hall")
    tls, local = free_port(), free_port()
    branch_file = tmp_path / "branch.toml"
    branch_file.write_text(_branch_text(tmp_path, tls, local, counter.url, hall.url))
    s = Site(tmp_path, tmp_path / "out", tmp_path / "etc", branch_file, tls, local, counter, hall)
    try:
        yield s
    finally:
        for app in s.apps:
            app.stop()
        s.stop_broker()
        counter.close()
        hall.close()


def _bring_up(s: Site) -> tuple[App, App, App]:
    """Deploy README steps 1-4 on one machine, no file touched by hand."""
    checked = lobbyq("device", "check", "--branch", str(s.branch_file), cwd=s.root)
    assert checked.returncode == 0, checked.stderr
    subprocess.run(
        [str(REPO / "deploy" / "mkcerts.sh"), str(s.out), "localhost", "127.0.0.1"],
        check=True,
        capture_output=True,
    )
    provisioned = lobbyq("device", "provision", str(s.branch_file), "-o", str(s.out), cwd=s.root)
    assert provisioned.returncode == 0, provisioned.stderr
    # What install.sh does on each Pi: the device's folder into config_dir, the data folders.
    s.etc.mkdir()
    for device in ("engine", "kiosk-1", "counter-1", "display-hall"):
        for f in (s.out / device).iterdir():
            shutil.copy(f, s.etc / f.name)
    (s.root / "data").mkdir()
    (s.root / "mqdata").mkdir()
    s.start_broker()
    apps = (s.run("engine"), s.run("counter-1"), s.run("display-hall"))
    for app in apps:
        assert eventually(app.ready, 20), app.output()[-3000:]
    return apps


def test_a_branch_comes_up_from_the_docs_and_says_what_breaks(site: Site) -> None:
    s = site
    _engine, counter, display = _bring_up(s)

    # device status: every running device online (kiosk-1 is not started here).
    def all_online() -> bool:
        rows = s.rows()
        return all(
            rows.get(d, {}).get("state") == "online"
            for d in ("engine", "counter-1", "display-hall")
        )

    assert eventually(all_online, 20), s.status().stdout
    assert s.status().returncode == 0

    # A teller logs in, a customer takes a ticket, the call reaches the strip and the hall.
    keypad, strip, hall = s.counter.keypad, s.counter.strip, s.hall.hall
    keypad.type_number("1024")
    assert keypad.wait_until(lambda k: k.text == "1024 就绪", 10), keypad.text
    kiosk_cfg = load_device_config(s.etc / "kiosk-1.toml")
    assert kiosk_cfg.broker.url == f"mqtt://127.0.0.1:{s.local_port}"
    kbus = MqttBus(kiosk_cfg.mqtt_url(), "kiosk-1")
    kbus.start()
    try:
        assert kbus.wait_connected(10)
        reply = Requester(kbus, Topics(BRANCH), "kiosk-1").request(
            "issue_ticket", service="A", timeout=5.0
        )
        assert reply.ok, reply
        ev = reply.event("ticket_issued")
        assert ev is not None
        number = str(ev["number"])
    finally:
        kbus.stop()
    keypad.press(Key.CALL)
    assert strip.wait_until(lambda st: st.text.startswith(number), 10), strip.text
    assert hall.wait_until(lambda h: number in h.zones[0], 10), hall.zones

    # Break 1: a bus tool beside the running counter names it instead of blaming the cable.
    scan = lobbyq("device", "scan", s.counter.url, cwd=s.root)
    assert scan.returncode == 1
    assert f"is in use by PID {counter.proc.pid}" in scan.stderr, scan.stderr

    # Break 2: a CA that did not sign the broker: no READY, the TLS reason logged and in STATUS.
    counter.stop()
    if SYSTEM_CAS.exists():
        text = (s.etc / "counter-1.toml").read_text()
        bad = s.root / "counter-1-bad-ca.toml"
        bad.write_text(text.replace(str(s.etc / "ca.crt"), str(SYSTEM_CAS)))
        wrong = s.run("counter-1", config=bad)
        tls_words = "TLS: the broker's certificate is not trusted"
        waiting = f"STATUS=waiting for the broker at mqtts://counter-1@localhost:{s.tls_port}: TLS"
        assert eventually(lambda: tls_words in wrong.output(), 15), wrong.output()
        assert eventually(
            lambda: any(m.startswith(waiting) for m in wrong.messages()),
            15,
        ), wrong.said
        assert not wrong.ready()
        wrong.stop()

    # Break 3: no sound card: the display keeps calling, says so in its status and an alert.
    display.stop()
    silent = s.run("display-hall", "--voice", "zh,en", SDL_AUDIODRIVER="no-such-audio")
    assert eventually(silent.ready, 20), silent.output()
    assert "voice unavailable: no audio device" in silent.output()

    def voice_word() -> object:
        health = s.rows().get("display-hall", {}).get("health", {})
        return health.get("voice") if isinstance(health, dict) else None

    assert eventually(lambda: voice_word() == "unavailable", 20), s.status().stdout

    # Break 4: the broker is down: a counter starting now waits, says why, and sends no READY.
    s.stop_broker()
    late = s.run("counter-1")
    refused = "connection refused (nothing listens on that port)"
    assert eventually(
        lambda: any(refused in m and m.startswith("STATUS=waiting") for m in late.messages()), 15
    ), late.said
    assert not late.ready()
    assert refused in late.output()
    assert eventually(lambda: keypad.text == "网络断开 no link", 10), keypad.text
    # ...and it comes up by itself once the broker is back.
    s.start_broker()
    assert eventually(late.ready, 30), late.output()[-3000:]
