"""The service main loop: READY, watchdog pings while alive, exit 1 when a worker dies."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest

from lobbyq.runtime.sdnotify import LinkWatch, Notifier, supervise


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


class _Link:
    """A bus that connects on the turn it is told, with the error paho gave before."""

    def __init__(self, up_on_turn: int, error: str) -> None:
        self.turn = 0
        self.up_on_turn = up_on_turn
        self.error = error

    @property
    def connected(self) -> bool:
        return self.turn >= self.up_on_turn

    @property
    def last_error(self) -> str | None:
        return None if self.connected else self.error


def _received(server: socket.socket) -> list[str]:
    got = []
    server.setblocking(False)
    while True:
        try:
            got.append(server.recv(512).decode())
        except BlockingIOError:
            return got


def test_ready_waits_for_the_broker_and_status_says_why(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = str(tmp_path / "notify")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    link = _Link(4, "TLS: the broker's certificate is not trusted (unable to get local issuer)")
    now = [0.0]

    def alive() -> bool:
        link.turn += 1
        now[0] += 20.0  # each turn is 20 s: the reason is said again after 30 s
        return link.turn < 6

    with caplog.at_level(logging.INFO):
        rc = supervise(
            alive,
            "counter 3 serving",
            notifier=Notifier(path),
            period_s=0.0,
            link=link,
            where="mqtts://10.0.0.2:18883",
            clock=lambda: now[0],
        )
    assert rc == 1
    got = _received(server)
    server.close()
    waiting = "STATUS=waiting for the broker at mqtts://10.0.0.2:18883: TLS: the broker's"
    assert got[0].startswith(waiting)  # at once, before any READY
    ready = [i for i, m in enumerate(got) if m.startswith("READY=1")]
    assert len(ready) == 1 and "STATUS=counter 3 serving" in got[ready[0]]
    assert all(m.startswith(waiting) for m in got[: ready[0]])
    said = [r for r in caplog.records if "waiting for the broker" in r.getMessage()]
    assert len(said) == 2 and said[0].levelno == logging.ERROR  # turns 1 and 3 (40 s later)


def test_link_watch_says_nothing_during_a_normal_connect() -> None:
    now = [0.0]
    watch = LinkWatch("mqtt://127.0.0.1:1883", clock=lambda: now[0])
    assert watch.check(False, None) is None  # the first connect is under way
    now[0] = 4.0
    assert watch.check(True, None) is None
    now[0] = 10.0
    assert watch.check(False, None) is None  # lost just now: the grace again
    now[0] = 16.0
    no_answer = "waiting for the broker at mqtt://127.0.0.1:1883: no answer yet"
    assert watch.check(False, None) == no_answer
    line = watch.check(False, "connection refused (nothing listens on that port)")
    assert line is not None and line.endswith("connection refused (nothing listens on that port)")
