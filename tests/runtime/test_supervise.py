"""The service main loop: READY, watchdog pings while alive, exit 1 when a worker dies."""

from __future__ import annotations

import socket
from pathlib import Path

from lobbyq.runtime.sdnotify import Notifier, supervise


def test_supervise_pings_while_alive_and_fails_when_a_worker_dies(tmp_path: Path) -> None:
    path = str(tmp_path / "notify")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(1)
    turns = iter([True, True, True, False])
    notifier = Notifier(path, watchdog_interval=0.0)
    rc = supervise(lambda: next(turns), "counter 3", notifier=notifier, period_s=0.0)
    assert rc == 1
    got = []
    server.setblocking(False)
    while True:
        try:
            got.append(server.recv(256).decode())
        except BlockingIOError:
            break
    server.close()
    assert got[0].startswith("READY=1") and "STATUS=counter 3" in got[0]
    assert got.count("WATCHDOG=1") == 3


def test_supervise_stops_cleanly_when_the_window_closes() -> None:
    pumps = iter([True, False])
    assert (
        supervise(
            lambda: True, "display", notifier=Notifier(None), pump=lambda: next(pumps), period_s=0.0
        )
        == 0
    )
