"""`lobbyq engine` tells systemd READY only once its broker answers, and says why until then."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from lobbyq.broker import free_port
from tests.support import eventually


def test_no_ready_while_the_broker_refuses_and_the_reason_is_in_status(tmp_path: Path) -> None:
    path = str(tmp_path / "notify")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.setblocking(False)
    url = f"mqtt://127.0.0.1:{free_port()}"  # nothing listens there
    env = {**os.environ, "NOTIFY_SOCKET": path}
    cmd = [
        sys.executable,
        "-m",
        "lobbyq",
        "engine",
        "--broker",
        url,
        "--db",
        str(tmp_path / "e.db"),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    got: list[str] = []

    def received() -> list[str]:
        while True:
            try:
                got.append(server.recv(512).decode())
            except BlockingIOError:
                return got

    try:
        assert eventually(
            lambda: any("STATUS=waiting for the broker at" in m for m in received()), 20.0
        ), got
        assert not any(m.startswith("READY=1") for m in got)
        assert any("refused" in m.lower() for m in got if m.startswith("STATUS=")), got
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
        server.close()
