"""Who may do what: the ops each device role may send, and for which counter.

The broker's ACL lets each device publish only on its own command topic, so
the engine knows for certain which device sent a command; this table says
whether that device may. Without it any account could act for any counter
(a kiosk calling the next customer to counter 1, a hall display setting a
power-cut notice, a made-up device issuing tickets).

| op | kiosk | counter | console | display | technician | engine |
|---|---|---|---|---|---|---|
| issue_ticket | any | - | - | - | - | - |
| cancel | own ticket | - | any | - | - | - |
| login | - | own counter | - | - | - | - |
| logout | - | own counter | - | - | - | - |
| open_counter | - | own counter | any | - | - | - |
| close_counter | - | own counter | any | - | - | - |
| pause | - | own counter | any | - | - | - |
| resume | - | own counter | any | - | - | - |
| call_next | - | own counter | - | - | - | - |
| call_ticket | - | own counter | - | - | - | - |
| recall | - | own counter | - | - | - | - |
| no_show | - | own counter | - | - | - | - |
| finish | - | own counter | - | - | - | - |
| transfer | - | own counter | - | - | - | - |
| hold | - | own counter | - | - | - | - |
| call_back | - | own counter | - | - | - | - |
| rate | - | own counter | - | - | - | - |
| set_notice | - | - | any | - | - | - |
| clear_notice | - | - | any | - | - | - |
| set_counter_services | - | - | any | - | - | - |
| move_ticket | - | - | any | - | - | - |
| ack_alert | - | - | any | - | - | - |
| tick | - | - | - | - | - | - |

"own counter": the command's ``counter`` is the keypad's own (a transfer's
``to_counter`` may be any); "own ticket": a ticket this same kiosk issued
(one it gave up waiting for). A display only shows retained state, the
technician's tools only read, and ``tick`` is the engine's own timer, never
a message.

A device the engine does not know is refused everything. The engine answers
a refusal with ``code`` ``not_allowed`` (a known device, an op or counter
outside its role) or ``unknown_device``, and changes nothing.

Pure: the engine looks up who issued a ticket only when :func:`needs_issuer`
says the verdict depends on it.

The roles file (``devices.toml`` beside ``engine.toml``, written by ``lobbyq
device provision`` from the branch file; ``lobbyq engine --roles FILE``):

| key | type | meaning |
|---|---|---|
| ``[[device]]`` | table, one per device | |
| ``id`` | string | the device id, which is also its MQTT account |
| ``role`` | string | one of ``ROLE_KINDS`` |
| ``counter`` | string | the counter id; for ``role = "counter"`` only, and required there |
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from lobbyq.core.errors import Problem
from lobbyq.core.fields import Fields, raise_if

ROLE_KINDS: tuple[str, ...] = ("kiosk", "counter", "display", "console", "technician", "engine")
NOT_ALLOWED = "not_allowed"
UNKNOWN_DEVICE = "unknown_device"


class Scope(Enum):
    """How far an allowed op reaches."""

    ANY = "any"  # any counter, any ticket
    OWN_COUNTER = "own_counter"  # the command's ``counter`` is the device's own
    OWN_TICKET = "own_ticket"  # the ticket was issued by this same device


_COUNTER_OPS = (
    "login",
    "logout",
    "open_counter",
    "close_counter",
    "pause",
    "resume",
    "call_next",
    "call_ticket",
    "recall",
    "no_show",
    "finish",
    "transfer",
    "hold",
    "call_back",
    "rate",
)
_CONSOLE_OPS = (
    "set_notice",
    "clear_notice",
    "open_counter",
    "close_counter",
    "pause",
    "resume",
    "set_counter_services",
    "move_ticket",
    "cancel",
    "ack_alert",
)

OPS_BY_ROLE: Mapping[str, Mapping[str, Scope]] = {
    "kiosk": {"issue_ticket": Scope.ANY, "cancel": Scope.OWN_TICKET},
    "counter": {op: Scope.OWN_COUNTER for op in _COUNTER_OPS},
    "console": {op: Scope.ANY for op in _CONSOLE_OPS},
    "display": {},
    "technician": {},
    "engine": {},
}
"""The table above, as the engine applies it."""


@dataclass(frozen=True, slots=True)
class DeviceRole:
    """A device's role and, for a counter keypad, the counter it belongs to."""

    kind: str
    counter: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ROLE_KINDS:
            raise ValueError(f"unknown role {self.kind!r}; use one of {', '.join(ROLE_KINDS)}")
        if (self.kind == "counter") != (self.counter is not None):
            raise ValueError("a counter role needs its counter id, and only a counter has one")

    def describe(self) -> str:
        return f"counter {self.counter}" if self.kind == "counter" else self.kind


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a command is refused: a stable ``code`` and a sentence for the log and the sender."""

    code: str
    reason: str


def needs_issuer(role: DeviceRole | None, op: str) -> bool:
    """Whether the verdict on ``op`` depends on which device issued the command's ticket."""
    return role is not None and OPS_BY_ROLE[role.kind].get(op) is Scope.OWN_TICKET


def judge(
    device: str,
    role: DeviceRole | None,
    op: str,
    fields: Mapping[str, Any],
    issuer: str | None = None,
) -> Refusal | None:
    """None when ``device`` (in ``role``) may send ``op`` with these fields, else why not.

    ``issuer`` is the device that issued the command's ticket, when
    :func:`needs_issuer` says it matters (None: unknown or none).
    """
    if role is None:
        return Refusal(UNKNOWN_DEVICE, f"device {device!r} is not one of this branch's devices")
    scope = OPS_BY_ROLE[role.kind].get(op)
    if scope is None:
        return Refusal(NOT_ALLOWED, f"a {role.describe()} device may not send {op}")
    if scope is Scope.OWN_COUNTER:
        counter = fields.get("counter")
        if counter != role.counter:
            return Refusal(
                NOT_ALLOWED,
                f"{device} is counter {role.counter}'s and may not send {op} "
                f"for counter {counter!r}",
            )
    elif scope is Scope.OWN_TICKET and issuer != device:
        return Refusal(
            NOT_ALLOWED,
            f"a {role.kind} may {op} only a ticket it issued itself; "
            f"{fields.get('ticket')!r} is not {device}'s",
        )
    return None


_KIOSK = re.compile(r"^kiosk-[A-Za-z0-9][A-Za-z0-9_.-]{0,56}$")
_COUNTER = re.compile(r"^counter-([A-Za-z0-9][A-Za-z0-9-]{0,15})$")
_DISPLAY = re.compile(r"^display-[A-Za-z0-9][A-Za-z0-9_.-]{0,54}$")
CONVENTIONAL_NAMES = "kiosk-N, counter-<counter id>, display-<name>, console, tech, engine"


def conventional_role(device: str, counters: Iterable[str]) -> DeviceRole | None:
    """The role a device's id names by convention (an unprovisioned branch: the demo, tests).

    ``counter-<id>`` is counter ``<id>`` only when the branch has that counter.
    """
    if _KIOSK.match(device):
        return DeviceRole("kiosk")
    m = _COUNTER.match(device)
    if m:
        return DeviceRole("counter", m.group(1)) if m.group(1) in set(counters) else None
    if _DISPLAY.match(device):
        return DeviceRole("display")
    return {
        "console": DeviceRole("console"),
        "tech": DeviceRole("technician"),
        "engine": DeviceRole("engine"),
    }.get(device)


class RoleBook:
    """Each device's role: from the provisioned list, or by the ids' conventional names."""

    def __init__(
        self,
        roles: Mapping[str, DeviceRole] | None = None,
        *,
        counters: Iterable[str] = (),
    ) -> None:
        self._roles = dict(roles) if roles is not None else None
        self._counters = frozenset(counters)

    @classmethod
    def conventional(cls, counters: Iterable[str]) -> RoleBook:
        """Accept devices by their ids' conventional names (``CONVENTIONAL_NAMES``)."""
        return cls(None, counters=counters)

    @property
    def provisioned(self) -> bool:
        return self._roles is not None

    def __len__(self) -> int:
        return 0 if self._roles is None else len(self._roles)

    def role(self, device: str) -> DeviceRole | None:
        if self._roles is None:
            return conventional_role(device, self._counters)
        return self._roles.get(device)


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_COUNTER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,15}$")


def parse_roles(doc: Mapping[str, Any], source: str) -> dict[str, DeviceRole]:
    """The roles file's devices by id; ``ConfigError`` listing every problem."""
    problems: list[Problem] = []
    top = Fields(doc, "", problems)
    top.unknown_keys(("device",))
    out: dict[str, DeviceRole] = {}
    for i, entry in enumerate(top.tables("device")):
        f = Fields(entry, f"device[{i}]", problems)
        f.unknown_keys(("id", "role", "counter"))
        device = f.string("id", required=True, pattern=_ID, example="kiosk-1")
        kind = f.choice("role", ROLE_KINDS, required=True)
        counter = f.string("counter", pattern=_COUNTER_ID, example="3")
        if kind == "counter" and counter is None and not f.has("counter"):
            f.add("counter", "missing", 'add counter = "<its counter id>"')
            continue
        if kind is not None and kind != "counter" and f.has("counter"):
            f.add("counter", f"only a counter has one, this device is a {kind}", "remove it")
            continue
        if device is None or kind is None or (kind == "counter" and counter is None):
            continue
        if device in out:
            f.add("id", f"{device!r} is listed twice", "keep one entry per device")
            continue
        out[device] = DeviceRole(kind, counter if kind == "counter" else None)
    raise_if(problems, source)
    return out
