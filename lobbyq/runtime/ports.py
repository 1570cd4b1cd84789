"""Local processes a service or a test starts: a free loopback port, waiting for it, the binary.

The private mosquitto (``lobbyq.broker``) and head office's private NATS and
PostgreSQL (``hq.servers``) start the same way: pick a port nobody holds,
start the program Debian keeps in ``/usr/sbin`` (outside a user's PATH),
and wait until it accepts connections.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time


def free_port() -> int:
    """A loopback TCP port that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_listening(port: int, timeout: float) -> bool:
    """Wait until something accepts TCP connections on the loopback port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        time.sleep(0.02)
    return False


def find_program(name: str, *places: str) -> str | None:
    """``name`` on PATH, else the first executable of ``places`` (Debian's sbin paths)."""
    return shutil.which(name) or next((p for p in places if os.access(p, os.X_OK)), None)


def stop_process(proc: subprocess.Popen[bytes] | None, grace_s: float = 5.0) -> None:
    """SIGTERM, then SIGKILL if it is not gone within ``grace_s``: a stop that always ends."""
    if proc is None:
        return
    proc.terminate()
    try:
        proc.wait(grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def kill_process(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGKILL and reap: a crash or a power cut, for the tests that need one."""
    if proc is None:
        return
    proc.kill()
    proc.wait(5)
