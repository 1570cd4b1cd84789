"""Versioned MQTT payloads, validated at the edge.

Every payload is a UTF-8 JSON object with ``"v": 1``. Decoding a payload
either returns a frozen message or raises :class:`ProtocolError` with a
reason fit for a log line; a caller that gets the error changes nothing.
The command *body* (``op`` and its fields) is validated again by the queue
core, which owns the meaning of each op; this layer checks the envelope.
Field tables: ``PROTOCOL.md``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lobbyq.protocol.errors import ProtocolError

PROTOCOL_VERSION = 1
MAX_PAYLOAD = 64 * 1024  # commands, replies, events
MAX_STATE_PAYLOAD = 4 * 1024 * 1024  # a retained queue view at a very busy peak
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{7,63}$")
_OP = re.compile(r"^[a-z][a-z_]{1,31}$")
ALERT_LEVELS = ("info", "warning", "critical")


def valid_id(value: str) -> bool:
    """Whether a string can be a command id (the same rule the decoder applies)."""
    return bool(_ID.match(value))


def _no_constant(name: str) -> Any:
    raise ProtocolError(f"payload has {name}, which strict JSON has not; numbers must be finite")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ProtocolError(f"payload has the number {text[:40]}, too large to be finite")
    return value


def loads(text: str | bytes) -> Any:
    """Strict JSON: the one decoder for everything that comes off the wire or a file.

    Python's ``json`` accepts ``NaN``, ``Infinity`` and ``-Infinity`` and turns
    ``1e999`` into infinity; none is JSON, and one stored breaks every reader
    after it (SQLite's ``json_extract`` among them), so each is refused here.
    Any other failure to parse (nesting deeper than the interpreter's stack,
    an integer past its digit limit) is a :class:`ProtocolError` as well, so a
    caller handling one message never sees anything else.
    """
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float)
    except ProtocolError:
        raise
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"payload is not JSON: {exc.msg} at {exc.pos}") from exc
    except RecursionError as exc:
        raise ProtocolError("payload nests deeper than any message of this protocol") from exc
    except ValueError as exc:  # int() past sys.get_int_max_str_digits()
        raise ProtocolError(f"payload has a number this protocol cannot hold: {exc}") from exc
    except Exception as exc:  # whatever else a hostile payload finds
        raise ProtocolError(f"payload cannot be parsed: {type(exc).__name__}") from exc


_ID_FIELD = re.compile(r'"id"\s*:\s*"([A-Za-z0-9][A-Za-z0-9_.:-]{7,63})"')


def salvage_id(payload: bytes | str, window: int = 4096) -> str | None:
    """The command id of a payload that does not parse, when its start names one.

    Only to answer the sender (so it stops resending): a payload too deep or
    too odd to parse is refused by its id when ``"id"`` comes early, as every
    lobbyq client writes it.
    """
    head = payload[:window]
    text = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
    m = _ID_FIELD.search(text)
    return m.group(1) if m else None


def parse_object(payload: bytes | str, max_size: int = MAX_PAYLOAD) -> dict[str, Any]:
    """Decode a JSON object payload of this protocol version."""
    if isinstance(payload, bytes):
        if len(payload) > max_size:
            raise ProtocolError(f"payload of {len(payload)} bytes exceeds {max_size}")
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError(f"payload is not UTF-8: {exc.reason} at byte {exc.start}") from exc
    else:
        text = payload
    obj = loads(text)
    if not isinstance(obj, dict):
        raise ProtocolError(f"payload must be a JSON object, got {type(obj).__name__}")
    v = obj.get("v")
    if v != PROTOCOL_VERSION:
        raise ProtocolError(f"unsupported protocol version {v!r}; expected {PROTOCOL_VERSION}")
    return obj


def dump(obj: Mapping[str, Any]) -> bytes:
    """Encode a payload compactly; non-ASCII text stays readable on the wire."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _str(obj: Mapping[str, Any], key: str, pattern: re.Pattern[str] | None = None) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise ProtocolError(f"field {key!r} must be a string, got {type(value).__name__}")
    if pattern is not None and not pattern.match(value):
        raise ProtocolError(f"field {key!r} has an invalid value {value[:40]!r}")
    return value


def _num(obj: Mapping[str, Any], key: str) -> float:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProtocolError(f"field {key!r} must be a finite number")
    return float(value)


def _int(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProtocolError(f"field {key!r} must be a non-negative integer")
    return value


def _bool(obj: Mapping[str, Any], key: str) -> bool:
    value = obj.get(key)
    if not isinstance(value, bool):
        raise ProtocolError(f"field {key!r} must be true or false")
    return value


@dataclass(frozen=True, slots=True)
class CommandMsg:
    """A device's request to the engine (topic ``cmd/<device>``, QoS 1).

    ``id`` is chosen by the sender and kept across resends, so a command
    redelivered after a broker or network drop acts once.
    """

    id: str
    op: str
    body: Mapping[str, Any]

    @classmethod
    def decode(cls, payload: bytes | str) -> CommandMsg:
        obj = parse_object(payload)
        cmd_id = _str(obj, "id", _ID)
        op = _str(obj, "op", _OP)
        body = {k: v for k, v in obj.items() if k != "v"}
        return cls(cmd_id, op, body)

    @classmethod
    def build(cls, cmd_id: str, op: str, **fields: Any) -> CommandMsg:
        body = {"id": cmd_id, "op": op, **fields}
        return cls.decode(dump({"v": PROTOCOL_VERSION, **body}))

    def encode(self) -> bytes:
        return dump({"v": PROTOCOL_VERSION, **self.body})


@dataclass(frozen=True, slots=True)
class ReplyMsg:
    """The engine's answer to one command (topic ``reply/<device>``).

    ``ok`` false carries a stable machine ``code`` and a human ``reason``;
    ``events`` are the event-log records the command produced (with ``seq``).
    """

    id: str
    ok: bool
    events: tuple[Mapping[str, Any], ...] = ()
    code: str | None = None
    reason: str | None = None

    @classmethod
    def decode(cls, payload: bytes | str) -> ReplyMsg:
        obj = parse_object(payload)
        cmd_id = _str(obj, "id", _ID)
        ok = _bool(obj, "ok")
        events = obj.get("events", [])
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise ProtocolError("field 'events' must be a list of objects")
        code = obj.get("code")
        reason = obj.get("reason")
        if not ok and (not isinstance(code, str) or not isinstance(reason, str)):
            raise ProtocolError("a refusal needs string fields 'code' and 'reason'")
        return cls(cmd_id, ok, tuple(events), code, reason)

    def encode(self) -> bytes:
        obj: dict[str, Any] = {"v": PROTOCOL_VERSION, "id": self.id, "ok": self.ok}
        if self.events:
            obj["events"] = list(self.events)
        if self.code is not None:
            obj["code"] = self.code
        if self.reason is not None:
            obj["reason"] = self.reason
        return dump(obj)

    def event(self, kind: str) -> Mapping[str, Any] | None:
        """The first event of a kind in this reply, if any."""
        return next((e for e in self.events if e.get("kind") == kind), None)


@dataclass(frozen=True, slots=True)
class EventMsg:
    """One event-log record (topic ``evt/<kind>``); ``seq`` lets a reader see a gap."""

    seq: int
    kind: str
    at: float
    body: Mapping[str, Any]

    @classmethod
    def decode(cls, payload: bytes | str) -> EventMsg:
        obj = parse_object(payload)
        seq = _int(obj, "seq")
        kind = _str(obj, "kind", _OP)
        at = _num(obj, "at")
        body = {k: v for k, v in obj.items() if k != "v"}
        return cls(seq, kind, at, body)

    def encode(self) -> bytes:
        return dump(
            {"v": PROTOCOL_VERSION, **self.body, "seq": self.seq, "kind": self.kind, "at": self.at}
        )


@dataclass(frozen=True, slots=True)
class StateMsg:
    """A retained snapshot (topics ``state/...``) tagged with the log position."""

    seq: int
    body: Mapping[str, Any]

    @classmethod
    def decode(cls, payload: bytes | str) -> StateMsg:
        obj = parse_object(payload, MAX_STATE_PAYLOAD)
        seq = _int(obj, "seq")
        body = obj.get("state")
        if not isinstance(body, dict):
            raise ProtocolError("field 'state' must be an object")
        return cls(seq, body)

    def encode(self) -> bytes:
        return dump({"v": PROTOCOL_VERSION, "seq": self.seq, "state": dict(self.body)})


@dataclass(frozen=True, slots=True)
class StatusMsg:
    """A device's retained birth / last will / health (topic ``dev/<device>/status``)."""

    device: str
    online: bool
    kind: str
    at: float
    version: str = ""
    health: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def decode(cls, payload: bytes | str) -> StatusMsg:
        obj = parse_object(payload)
        health = obj.get("health", {})
        if not isinstance(health, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in health.items()
        ):
            raise ProtocolError("field 'health' must map part names to status strings")
        version = obj.get("version", "")
        if not isinstance(version, str):
            raise ProtocolError("field 'version' must be a string")
        return cls(
            _str(obj, "device"),
            _bool(obj, "online"),
            _str(obj, "kind"),
            _num(obj, "at"),
            version,
            health,
        )

    def encode(self) -> bytes:
        return dump(
            {
                "v": PROTOCOL_VERSION,
                "device": self.device,
                "online": self.online,
                "kind": self.kind,
                "at": self.at,
                "version": self.version,
                "health": dict(self.health),
            }
        )


@dataclass(frozen=True, slots=True)
class AlertMsg:
    """Something a person should act on (topic ``dev/<device>/alert``): paper low, link down."""

    device: str
    code: str
    level: str
    text: str
    at: float

    @classmethod
    def decode(cls, payload: bytes | str) -> AlertMsg:
        obj = parse_object(payload)
        level = _str(obj, "level")
        if level not in ALERT_LEVELS:
            raise ProtocolError(f"field 'level' must be one of {', '.join(ALERT_LEVELS)}")
        return cls(
            _str(obj, "device"), _str(obj, "code", _OP), level, _str(obj, "text"), _num(obj, "at")
        )

    def encode(self) -> bytes:
        return dump(
            {
                "v": PROTOCOL_VERSION,
                "device": self.device,
                "code": self.code,
                "level": self.level,
                "text": self.text,
                "at": self.at,
            }
        )
