"""sd_notify over a real unix datagram socket, as systemd provides it."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from lobbyq.runtime.sdnotify import Notifier


@pytest.fixture
def systemd_socket(tmp_path: Path) -> Iterator[tuple[str, socket.socket]]:
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    yield path, sock
    sock.close()


def _recv(sock: socket.socket) -> str:
    return sock.recv(4096).decode()


def test_ready_status_and_stopping_reach_systemd(systemd_socket: tuple[str, socket.socket]) -> None:
    path, sock = systemd_socket
    n = Notifier.from_environ({"NOTIFY_SOCKET": path})
    assert n.enabled
    assert n.ready("serving counter 3\nnow")
    assert _recv(sock) == "READY=1\nSTATUS=serving counter 3 now"
    assert n.status("broker link down")
    assert _recv(sock) == "STATUS=broker link down"
    assert n.stopping()
    assert _recv(sock) == "STOPPING=1"
    n.close()


def test_watchdog_is_rate_limited_by_the_injected_clock(
    systemd_socket: tuple[str, socket.socket],
) -> None:
    path, sock = systemd_socket
    now = [100.0]
    n = Notifier.from_environ(
        {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "42"},
        pid=42,
        clock=lambda: now[0],
    )
    assert n.watchdog_interval == 20.0
    assert n.watchdog()
    assert _recv(sock) == "WATCHDOG=1"
    now[0] += 9.9
    assert not n.watchdog()  # within half the interval: nothing sent
    now[0] += 0.2
    assert n.watchdog()
    assert _recv(sock) == "WATCHDOG=1"
    assert n.watchdog(force=True)
    assert _recv(sock) == "WATCHDOG=1"


def test_watchdog_meant_for_another_process_is_ignored(
    systemd_socket: tuple[str, socket.socket],
) -> None:
    path, _ = systemd_socket
    n = Notifier.from_environ(
        {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}, pid=2
    )
    assert n.watchdog_interval is None
    assert not n.watchdog()


def test_abstract_namespace_socket() -> None:
    name = f"lobbyq-test-{id(object())}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2)
    try:
        assert Notifier.from_environ({"NOTIFY_SOCKET": "@" + name}).ready()
        assert _recv(sock) == "READY=1"
    finally:
        sock.close()


def test_outside_systemd_everything_is_a_quiet_no_op() -> None:
    n = Notifier.from_environ({})
    assert not n.enabled
    assert not n.ready() and not n.watchdog() and not n.status("x")


def test_a_vanished_socket_is_logged_once_and_never_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    n = Notifier.from_environ({"NOTIFY_SOCKET": str(tmp_path / "gone")})
    with caplog.at_level(logging.WARNING, logger="lobbyq.sdnotify"):
        assert not n.ready()
        assert not n.status("again")
    assert len(caplog.records) == 1
