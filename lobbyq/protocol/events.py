"""The engine's events and replies as types: decoded once at the edge, encoded by themselves.

An event on the wire (topic ``evt/<kind>``, and inside a reply) is a core
event (``lobbyq.core.events``) plus its event-log position ``seq``, which
shadows ``TicketIssued.seq`` (the issue order): the decoder takes that one
back from the ticket id, ``<business day>-<issue seq>``. :class:`LoggedEvent`
pairs the two; :class:`Reply` is the answer to one command with its events.

Decoding follows the rule in ``PROTOCOL.md``: by default fields a type does
not declare are ignored, and a reply's events of a kind this version does
not know are skipped, so an older device survives a newer engine;
``strict=True`` (the tests) refuses both and wants every declared field.

Broadcast form: ``evt/<kind>`` is read by every device, hall displays
included, so an event goes out there without the fields in
:data:`PRIVATE_FIELDS` (a keyed identity hash is stable across visits and
would let any display follow a customer). The log and the reply to the
device that sent the command keep them. :meth:`LoggedEvent.broadcast`
encodes that form; :meth:`LoggedEvent.decode` reads it, where a private
field is not declared (strict decoding refuses one that leaked) and takes
its type's default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from typing import Any, TypeVar

from lobbyq.core.events import EVENT_TYPES, Event, TicketIssued, event_to_dict
from lobbyq.protocol.fields import Fields, kind_of
from lobbyq.protocol.messages import PROTOCOL_VERSION, ProtocolError, ReplyMsg, dump, parse_object

E = TypeVar("E", bound=Event)

_ENVELOPE = ("v", "seq", "kind")
_REPLY_FIELDS = frozenset({"v", "id", "ok", "events", "code", "reason"})

# How each annotation of a core event field is read off the wire.
_READERS: dict[str, Callable[[Fields, str], Any]] = {
    "str": Fields.text,
    "str | None": Fields.opt_text,
    "float": Fields.number,
    "float | None": Fields.opt_number,
    "int": Fields.count,
    "bool": Fields.flag,
    "tuple[str, ...]": Fields.texts,
}


@dataclass(frozen=True, slots=True)
class _Spec:
    """How to decode one event kind: its fields, readers and defaults."""

    cls: type[Event]
    declared: frozenset[str]
    fields: tuple[tuple[str, Callable[[Fields, str], Any], Any], ...]


def _spec(cls: type[Event]) -> _Spec:
    rows = []
    for f in fields(cls):
        if cls is TicketIssued and f.name == "seq":
            continue  # shadowed by the log position; read back from the ticket id
        reader = _READERS.get(str(f.type))
        if reader is None:
            raise TypeError(f"{cls.__name__}.{f.name}: no wire reader for {f.type}")
        rows.append((f.name, reader, f.default))
    declared = frozenset(_ENVELOPE) | {name for name, _, _ in rows}
    return _Spec(cls, declared, tuple(rows))


_SPECS: dict[str, _Spec] = {kind: _spec(cls) for kind, cls in EVENT_TYPES.items()}

PRIVATE_FIELDS: dict[str, frozenset[str]] = {
    "ticket_issued": frozenset({"identity_hash", "identity_masked", "appointment_ref"}),
}
"""Per event kind, the fields kept off ``evt/`` (the log and the sender's reply keep them)."""


def _broadcast_spec(spec: _Spec) -> _Spec:
    private = PRIVATE_FIELDS.get(spec.cls.kind, frozenset())
    if not private:
        return spec
    rows = tuple(row for row in spec.fields if row[0] not in private)
    return _Spec(spec.cls, spec.declared - private, rows)


_BROADCAST_SPECS: dict[str, _Spec] = {kind: _broadcast_spec(sp) for kind, sp in _SPECS.items()}


def known_kind(kind: object) -> bool:
    """Whether this protocol version declares an event kind."""
    return isinstance(kind, str) and kind in _SPECS


def _issue_seq(ticket: str, name: str) -> int:
    _, _, tail = ticket.rpartition("-")
    if not tail.isdigit():
        raise ProtocolError(f"field {name!r} must be '<day>-<issue seq>', got {ticket[:40]!r}")
    return int(tail)


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One core event at its position in the event log (``seq``, gapless per engine)."""

    seq: int
    event: Event

    @property
    def kind(self) -> str:
        return self.event.kind

    @property
    def at(self) -> float:
        return self.event.at

    def expect(self, cls: type[E]) -> E:
        """The event as the kind a topic promises; a different kind is a protocol error."""
        if not isinstance(self.event, cls):
            raise ProtocolError(f"expected a {cls.kind} event, got {self.kind}")
        return self.event

    def to_dict(self) -> dict[str, Any]:
        """The wire record: the event's fields, its ``kind`` and the log ``seq``."""
        out = event_to_dict(self.event)
        out["seq"] = self.seq
        return out

    def encode(self) -> bytes:
        """The full record, as in a reply to the sender (never on ``evt/``)."""
        return dump({"v": PROTOCOL_VERSION, **self.to_dict()})

    def broadcast(self) -> bytes:
        """The ``evt/<kind>`` payload: the record without its private fields."""
        out = self.to_dict()
        for name in PRIVATE_FIELDS.get(self.kind, ()):
            out.pop(name, None)
        return dump({"v": PROTOCOL_VERSION, **out})

    @classmethod
    def from_dict(
        cls,
        obj: Mapping[str, Any],
        *,
        strict: bool = False,
        path: str = "",
        broadcast: bool = False,
    ) -> LoggedEvent:
        """Decode one event record (a reply's list item, or with ``broadcast`` an ``evt/`` one)."""
        if not isinstance(obj, Mapping):
            raise ProtocolError(f"field {path or 'event'!r} must be an object, got {kind_of(obj)}")
        kind = obj.get("kind")
        specs = _BROADCAST_SPECS if broadcast else _SPECS
        spec = specs.get(kind) if isinstance(kind, str) else None
        if spec is None:
            where = f"{path}.kind" if path else "kind"
            raise ProtocolError(f"field {where!r} is not a known event kind: {kind!r}")
        f = Fields(obj, path, spec.declared, strict=strict)
        seq = f.count("seq")
        values: dict[str, Any] = {}
        for name, reader, default in spec.fields:
            if default is not MISSING and not strict and not f.has(name):
                continue  # an older engine did not send it: the type's default
            values[name] = reader(f, name)
        if spec.cls is TicketIssued:
            values["seq"] = _issue_seq(values["ticket"], f.name("ticket"))
        return cls(seq, spec.cls(**values))

    @classmethod
    def decode(cls, payload: bytes | str, *, strict: bool = False) -> LoggedEvent:
        """Decode an ``evt/<kind>`` payload (the broadcast form: private fields left out)."""
        return cls.from_dict(parse_object(payload), strict=strict, broadcast=True)


def decode_records(
    records: Iterable[Mapping[str, Any]], *, strict: bool = False, path: str = "events"
) -> tuple[LoggedEvent, ...]:
    """Decode a reply's event records; unknown kinds are skipped unless ``strict``."""
    out = []
    for i, rec in enumerate(records):
        if not strict and isinstance(rec, Mapping) and not known_kind(rec.get("kind")):
            continue
        out.append(LoggedEvent.from_dict(rec, strict=strict, path=f"{path}[{i}]"))
    return tuple(out)


def first_of(events: Iterable[LoggedEvent], cls: type[E]) -> E | None:
    """The first event of a type among logged events, if any."""
    for e in events:
        if isinstance(e.event, cls):
            return e.event
    return None


@dataclass(frozen=True, slots=True)
class Reply:
    """The engine's answer to one command (topic ``reply/<device>``) with its events, typed.

    ``ok`` false carries a stable machine ``code`` and a human ``reason``.
    """

    id: str
    ok: bool
    events: tuple[LoggedEvent, ...] = ()
    code: str | None = None
    reason: str | None = None

    def first(self, cls: type[E]) -> E | None:
        """The first event of a type in this reply, if any."""
        return first_of(self.events, cls)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "ok": self.ok}
        if self.code is not None:
            out["code"] = self.code
        if self.reason is not None:
            out["reason"] = self.reason
        out["events"] = [e.to_dict() for e in self.events]
        return out

    def encode(self) -> bytes:
        return dump({"v": PROTOCOL_VERSION, **self.to_dict()})

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any], *, strict: bool = False) -> Reply:
        """Decode a reply object (as sent, or as the event log keeps it)."""
        f = Fields(obj, "", _REPLY_FIELDS, strict=strict)
        ok = f.flag("ok")
        records: Sequence[Any] = f.items("events") if f.has("events") or strict else []
        code = f.opt_text("code") if f.has("code") else None  # only on a refusal
        reason = f.opt_text("reason") if f.has("reason") else None
        if not ok and (code is None or reason is None):
            raise ProtocolError("a refusal needs string fields 'code' and 'reason'")
        return cls(f.text("id"), ok, decode_records(records, strict=strict), code, reason)

    @classmethod
    def decode(cls, payload: bytes | str, *, strict: bool = False) -> Reply:
        """Decode a ``reply/<device>`` payload."""
        return cls.from_dict(parse_object(payload), strict=strict)

    @classmethod
    def of(cls, msg: ReplyMsg, *, strict: bool = False) -> Reply:
        """Type the events of an already decoded envelope (``ReplyMsg``, as the requester gives)."""
        return cls(msg.id, msg.ok, decode_records(msg.events, strict=strict), msg.code, msg.reason)
