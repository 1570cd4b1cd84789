"""One polling round of an ID card reader, as a pure state machine.

``start`` begins a round, ``answer`` takes the reader's response to the
command in flight, ``timeout`` says none came; each returns the next
:class:`Session` and the effects for the shell (:mod:`drivers.idcard.driver`)
to perform: send a command, deliver an identity, reject a card, report
health. No I/O, no clock: tests are event scripts.

=============  ==========================  =====================================
waiting for    answer                      next
=============  ==========================  =====================================
FIND_CARD      ``60``/``66`` reader fault  offline "reader fault: ...", round ends
FIND_CARD      ``9F`` card found           online; send SELECT_CARD
FIND_CARD      anything else (``80``)      online; field empty, round ends
SELECT_CARD    ``90``                      send READ_BASE
SELECT_CARD    anything else               card moved off; round ends
READ_BASE      ``90`` + good text block    deliver (once per presentation)
READ_BASE      anything else / bad block   reject (once per presentation)
any            no answer                   offline "not responding", round ends
=============  ==========================  =====================================

A card is delivered once while it stays on the reader: the session keeps the
hash of the card present (or the reason it was rejected) until a FIND_CARD
says the field is empty.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from drivers.idcard.codec import InfoError, Op, Response, Status, parse_base_data
from drivers.identity import Identity, IdentityError, IdentityHasher

READER_FAULTS = frozenset({Status.SELF_TEST_FAILED, Status.NOT_AUTHORIZED})
"""Answers meaning the reader itself cannot work: it is offline for the kiosk."""


@dataclass(frozen=True, slots=True)
class Send:
    op: Op


@dataclass(frozen=True, slots=True)
class Deliver:
    identity: Identity


@dataclass(frozen=True, slots=True)
class Reject:
    reason: str


@dataclass(frozen=True, slots=True)
class Health:
    online: bool
    reason: str


Effect = Send | Deliver | Reject | Health


@dataclass(frozen=True, slots=True)
class Session:
    """``waiting``: the command in flight; ``present``: the card already handled."""

    waiting: Op | None = None
    present: str | None = None


Step = tuple[Session, list[Effect]]


def start(s: Session) -> Step:
    """Begin a round: look for a card."""
    return replace(s, waiting=Op.FIND_CARD), [Send(Op.FIND_CARD)]


def timeout(s: Session) -> Step:
    """The command in flight got no answer (after the shell's retries)."""
    return replace(s, waiting=None), [Health(False, "not responding")]


def answer(s: Session, resp: Response, hasher: IdentityHasher) -> Step:
    """The reader answered the command in flight."""
    op = s.waiting
    if op is Op.FIND_CARD:
        if resp.sw3 in READER_FAULTS:
            return replace(s, waiting=None), [Health(False, f"reader fault: {_name(resp)}")]
        online = Health(True, "responding")
        if resp.sw3 != Status.CARD_FOUND:
            return Session(), [online]  # the field is empty: forget the last card
        return replace(s, waiting=Op.SELECT_CARD), [online, Send(Op.SELECT_CARD)]
    if op is Op.SELECT_CARD:
        if resp.sw3 != Status.OK:
            return replace(s, waiting=None), []  # moved off between find and select
        return replace(s, waiting=Op.READ_BASE), [Send(Op.READ_BASE)]
    if op is Op.READ_BASE:
        s = replace(s, waiting=None)
        if resp.sw3 != Status.OK:
            return _reject(s, f"read-failed: {_name(resp)}")
        try:
            info = parse_base_data(resp.data)
            identity = hasher.id_card(info.id_number, info.name)
        except (InfoError, IdentityError) as exc:  # messages never hold the number
            return _reject(s, f"invalid-card: {exc}")
        if identity.hash == s.present:
            return s, []  # the same card still lying on the reader
        return replace(s, present=identity.hash), [Deliver(identity)]
    return s, []  # an answer nobody was waiting for


def _reject(s: Session, reason: str) -> Step:
    marker = f"reject:{reason}"
    if s.present == marker:
        return s, []  # said once per card presentation
    return replace(s, present=marker), [Reject(reason)]


def _name(resp: Response) -> str:
    st = resp.status
    return st.name if st is not None else f"{resp.sw3:02X}"
