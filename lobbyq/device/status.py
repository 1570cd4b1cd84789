"""`lobbyq device status`: every device of a branch from its retained status topic.

Each app publishes a retained birth on ``dev/<device>/status`` and registers
a retained last will saying ``online: false``, so a fresh subscriber learns
at once who is up, who died (the broker published the will) and who has never
been seen (no retained message at all; only knowable from the branch file).
The board below is pure: it takes messages with the time they arrived and
renders rows; the CLI feeds it from the broker.

Columns: device, state (online / OFFLINE / never seen), kind, firmware
version, last seen, paper (the printer's health word), problems (every
health part not ``ok``, e.g. ``keypad=link_down``) and the latest alert.

Last seen: ``now`` for an online device (its connection is up, or the
broker would have published its will), not the age of its birth, which is
only when it connected. For a device that stopped cleanly, the time of its
goodbye. A last will carries no time (it is written before the device
connects, ``at: 0``), so the board notes when it saw the will arrive
(``seen_at``, from its injected clock) and shows that, with ``>`` when the
will was already retained at the board's start: the device died at least
that long ago.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from lobbyq.protocol.messages import AlertMsg, ProtocolError, StatusMsg
from lobbyq.protocol.topics import TopicError, Topics

OK_WORDS = ("ok", "ready", "online")


@dataclass
class DeviceRow:
    """What the board knows about one device."""

    device: str
    status: StatusMsg | None = None
    alert: AlertMsg | None = None
    expected: bool = False
    bad_payloads: int = 0
    seen_at: float | None = None  # when the board received the current status (epoch s)
    seen_at_start: bool = False  # ...in the retained burst at subscribe time

    def last_seen(self, now: float) -> str:
        """The LAST SEEN cell (see the module note)."""
        st = self.status
        if st is None:
            return "-"
        if st.online:
            return "now"
        if st.at > 0:
            return f"{age(now - st.at)} ago"
        if self.seen_at is None:
            return "?"
        return f"{'>' if self.seen_at_start else ''}{age(now - self.seen_at)} ago"

    @property
    def state(self) -> str:
        if self.status is None:
            return "never seen"
        return "online" if self.status.online else "OFFLINE"

    @property
    def paper(self) -> str:
        if self.status is None:
            return ""
        return self.status.health.get("printer", "") if self.status.kind == "kiosk" else ""

    @property
    def problems(self) -> list[str]:
        if self.status is None:
            return []
        return [f"{k}={v}" for k, v in sorted(self.status.health.items()) if v not in OK_WORDS]


@dataclass
class StatusBoard:
    """Folds status and alert messages into one row per device."""

    topics: Topics
    rows: dict[str, DeviceRow] = field(default_factory=dict)
    on_change: Callable[[DeviceRow], None] | None = None
    clock: Callable[[], float] = time.time
    settled: bool = False  # set once the retained burst is over (``settle``)

    def settle(self) -> None:
        """The retained messages are in: what arrives from now on happens live."""
        self.settled = True

    def expect(self, device_ids: Iterable[str]) -> None:
        """Devices from the branch file: shown as "never seen" until they speak."""
        for d in device_ids:
            self.rows.setdefault(d, DeviceRow(d)).expected = True

    def feed(self, topic: str, payload: bytes) -> DeviceRow | None:
        """One message from ``dev/+/status`` or ``dev/+/alert``; bad ones are counted."""
        try:
            levels = self.topics.parse(topic)
        except TopicError:
            return None
        if len(levels) != 3 or levels[0] != "dev" or levels[2] not in ("status", "alert"):
            return None
        row = self.rows.setdefault(levels[1], DeviceRow(levels[1]))
        if not payload:  # a retained status cleared by hand
            row.status = None
            return row
        try:
            if levels[2] == "status":
                row.status = StatusMsg.decode(payload)
                row.seen_at = self.clock()
                row.seen_at_start = not self.settled
            else:
                row.alert = AlertMsg.decode(payload)
        except ProtocolError:
            row.bad_payloads += 1
        if self.on_change is not None:
            self.on_change(row)
        return row

    def ordered(self) -> list[DeviceRow]:
        order = {"engine": 0, "kiosk": 1, "counter": 2, "display": 3}
        return sorted(
            self.rows.values(),
            key=lambda r: (order.get(r.device.split("-", 1)[0], 9), _natural(r.device)),
        )

    def exit_code(self) -> int:
        """0 when every known device is online, 1 otherwise (for scripts and monitoring)."""
        return 0 if all(r.state == "online" for r in self.rows.values()) else 1


def _natural(name: str) -> tuple[str, int, str]:
    head, _, tail = name.rpartition("-")
    return (head, int(tail), "") if tail.isdigit() else (name, 0, "")


def age(seconds: float) -> str:
    """A short human age: 42s, 5m, 3h, 2d."""
    s = max(0.0, seconds)
    if s < 120:
        return f"{s:.0f}s"
    if s < 7200:
        return f"{s / 60:.0f}m"
    if s < 172800:
        return f"{s / 3600:.0f}h"
    return f"{s / 86400:.0f}d"


HEADERS = ("DEVICE", "STATE", "KIND", "VERSION", "LAST SEEN", "PAPER", "PROBLEMS", "LAST ALERT")


def render(rows: Sequence[DeviceRow], now: float) -> str:
    """A fixed-width table; ``now`` is epoch seconds (status ``at`` is epoch too)."""
    table: list[tuple[str, ...]] = [HEADERS]
    for r in rows:
        st = r.status
        alert = f"{r.alert.level}: {r.alert.code}" if r.alert is not None else ""
        problems = ", ".join(r.problems)
        if r.bad_payloads:
            problems = ", ".join(filter(None, (problems, f"{r.bad_payloads} bad message(s)")))
        table.append(
            (
                r.device,
                r.state,
                st.kind if st else "",
                st.version if st else "",
                r.last_seen(now),
                r.paper,
                problems,
                alert,
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADERS))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    )


def quiet_waiter(
    last_message: Callable[[], float],
    *,
    quiet: float = 0.4,
    limit: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Callable[[], bool]:
    """A settle function: True once no message came for ``quiet`` s (retained burst over)."""

    def wait() -> bool:
        start = clock()
        while clock() - start < limit:
            if clock() - max(last_message(), start) >= quiet:
                return True
            sleep(0.05)
        return False

    return wait
