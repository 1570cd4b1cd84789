"""The kiosk tells systemd it is READY only once its broker answers, and says why until then."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.mqtt.bus import MemoryBus
from lobbyq.runtime.sdnotify import Notifier
from tests.support import eventually


class _DownBus(MemoryBus):
    """A bus whose broker refuses, until the test lets it connect."""

    def __init__(self) -> None:
        super().__init__()
        self.reason: str | None = "[Errno 111] Connection refused"

    @property
    def last_error(self) -> str | None:
        return None if self.connected else self.reason


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    path = str(tmp_path / "notify")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.setblocking(False)
    yield path, server
    server.close()


def _received(server: socket.socket, got: list[str]) -> list[str]:
    while True:
        try:
            got.append(server.recv(512).decode())
        except BlockingIOError:
            return got


def test_ready_waits_for_the_broker_and_the_wait_is_explained(
    make_kiosk: Any, notify_socket: tuple[str, socket.socket]
) -> None:
    path, server = notify_socket
    bus = _DownBus()
    rk = make_kiosk(bus=bus, notifier=Notifier(path), broker_name="mqtts://branch:8883")
    got: list[str] = []
    assert eventually(
        lambda: any(
            "waiting for the broker at mqtts://branch:8883" in m for m in _received(server, got)
        ),
        5.0,
    ), got
    assert not any(m.startswith("READY=1") for m in got)
    bus.start()
    assert eventually(lambda: any(m.startswith("READY=1") for m in _received(server, got)), 5.0)
    ready = next(m for m in got if m.startswith("READY=1"))
    assert f"{rk.app.device} serving" in ready
