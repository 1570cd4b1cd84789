"""The head-office event format: identity stripped, content hashed, damage refused."""

from __future__ import annotations

import json

import pytest

from lobbyq.protocol.uplink import (
    PRIVATE_FIELDS,
    WireError,
    decode_event,
    event_hash,
    make_event,
    subject_for,
)
from tests.hq.helpers import IDENTITY_HASH, MASKED, ticket_event


def test_identity_hash_and_masked_form_are_stripped_before_encoding() -> None:
    body = ticket_event(3, 100.0)
    assert body["identity_hash"] and body["identity_masked"]
    ev = make_event("b1", 3, 100.0, "ticket_issued", body)
    wire = ev.encode().decode()
    assert IDENTITY_HASH not in wire and MASKED not in wire
    assert not PRIVATE_FIELDS & ev.body.keys()
    assert ev.body["identity_kind"] == "card"  # what head office may count
    assert body["identity_hash"]  # the caller's event is left as it was


def test_round_trip_and_message_id() -> None:
    ev = make_event("b1", 7, 100.5, "ticket_issued", ticket_event(7, 100.5))
    assert decode_event(subject_for("b1"), ev.encode()) == ev
    assert ev.msg_id == f"b1:7:{ev.hash[:16]}"
    other = make_event("b1", 7, 100.5, "ticket_issued", {**ticket_event(7, 100.5), "ahead": 4})
    assert other.msg_id != ev.msg_id  # different content under one seq is not deduplicated


def _tampered(**changes: object) -> bytes:
    ev = make_event("b1", 1, 1.0, "ticket_issued", ticket_event(1, 1.0))
    d = json.loads(ev.encode())
    d.update(changes)
    return json.dumps(d).encode()


@pytest.mark.parametrize(
    ("subject", "payload", "why"),
    [
        ("lobbyq.hq.events.b1", b"not json", "not JSON"),
        ("lobbyq.hq.events.b1", b"[1, 2]", "not a version 1"),
        ("lobbyq.hq.events.b2", _tampered(), "does not match the subject"),
        ("lobbyq.hq.events.b1", _tampered(seq=0), "positive integer"),
        ("lobbyq.hq.events.b1", _tampered(seq=2), "hash mismatch"),
        ("lobbyq.hq.events.b1", _tampered(at="noon"), "at must be a number"),
        (
            "lobbyq.hq.events.b1",
            _tampered(body={"kind": "ticket_issued", "identity_hash": IDENTITY_HASH}),
            "private fields",
        ),
    ],
)
def test_bad_messages_are_refused_with_the_reason(subject: str, payload: bytes, why: str) -> None:
    with pytest.raises(WireError, match=why):
        decode_event(subject, payload)


def test_branch_ids_that_would_escape_the_subject_are_refused() -> None:
    for bad in ("b1.x", "b1>", "*", "", "B1", "a" * 33):
        with pytest.raises(WireError):
            subject_for(bad)


def test_hash_is_over_the_stripped_content() -> None:
    a = make_event("b1", 1, 1.0, "ticket_issued", ticket_event(3, 1.0))
    b = make_event("b1", 1, 1.0, "ticket_issued", {**ticket_event(3, 1.0), "identity_hash": "ff"})
    assert a.hash == b.hash == event_hash("b1", 1, 1.0, "ticket_issued", a.body)
