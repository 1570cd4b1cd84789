"""Who holds a serial port: so "port in use" names the process and how to stop it.

Every ``SerialLink`` opens its port exclusively (pyserial ``exclusive=True``,
an ``flock`` on the device), so a technician's bus tool and a running
counter app can no longer both read one RS-485 line and steal each other's
answers. The one who comes second is told who has the port::

    /dev/lobbyq-bus is in use by PID 812 (lobbyq-counter@counter-3.service):
    stop it with `systemctl stop lobbyq-counter@counter-3.service`

The holder is found in ``/proc``: first the owner of the ``flock`` on the
device (``/proc/locks``, by device and inode), else any process with the
device open (its ``fd`` links; a simulator holding a pty's other end is
such a process but holds no lock), and its systemd unit from its cgroup.
``proc`` is a parameter so tests can feed a fake tree. Only Linux has
``/proc``: elsewhere the message just says the port is in use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class Holder:
    pid: int
    unit: str | None  # the systemd unit it runs in, if any


def device_path(url: str) -> str | None:
    """The device file behind a port URL (``spy:///dev/x?file=...`` is ``/dev/x``), or None."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if parts.scheme in ("spy", "alt", "hwgrep") and parts.path.startswith("/"):
        return parts.path
    return None


def lockers(path: str, *, proc: Path = PROC, me: int | None = None) -> list[Holder]:
    """The processes (other than this one) holding an ``flock`` on ``path``."""
    try:
        st = os.stat(path)
        text = (proc / "locks").read_text()
    except OSError:
        return []
    mine = os.getpid() if me is None else me
    want = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    out: list[Holder] = []
    for line in text.splitlines():
        # "1: FLOCK  ADVISORY  WRITE 812 00:19:3 0 EOF"
        words = line.split()
        if len(words) >= 6 and words[1] == "FLOCK" and words[5] == want:
            pid = int(words[4]) if words[4].isdigit() else None
            if pid is not None and pid != mine:
                out.append(Holder(pid, unit_of(pid, proc=proc)))
    return out


def holders(path: str, *, proc: Path = PROC, me: int | None = None) -> list[Holder]:
    """The processes (other than this one) with ``path`` locked, else with it open."""
    locked = lockers(path, proc=proc, me=me)
    if locked:
        return locked
    try:
        target = os.path.realpath(path)
    except OSError:
        return []
    mine = os.getpid() if me is None else me
    out: list[Holder] = []
    try:
        pids = sorted(int(p.name) for p in proc.iterdir() if p.name.isdigit())
    except OSError:
        return []
    for pid in pids:
        if pid == mine:
            continue
        try:
            fds = list((proc / str(pid) / "fd").iterdir())
        except OSError:
            continue  # gone, or not ours to look at
        for fd in fds:
            try:
                if os.path.realpath(os.readlink(fd)) == target:
                    out.append(Holder(pid, unit_of(pid, proc=proc)))
                    break
            except OSError:
                continue
    return out


def unit_of(pid: int, *, proc: Path = PROC) -> str | None:
    """The systemd service a process runs in, from its cgroup path, or None."""
    try:
        text = (proc / str(pid) / "cgroup").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        path = line.rpartition(":")[2]
        for part in reversed(path.split("/")):
            if part.endswith(".service"):
                return part.replace("\\x2d", "-")
    return None


def in_use_message(url: str, *, proc: Path = PROC, me: int | None = None) -> str:
    """What to tell a person whose open of ``url`` found it locked."""
    path = device_path(url) or url
    found = holders(path, proc=proc, me=me) if device_path(url) else []
    if not found:
        return f"{path} is in use by another program"
    h = found[0]
    if h.unit is not None:
        return f"{path} is in use by PID {h.pid} ({h.unit}): stop it with `systemctl stop {h.unit}`"
    return f"{path} is in use by PID {h.pid}: stop that program (`kill {h.pid}`)"
