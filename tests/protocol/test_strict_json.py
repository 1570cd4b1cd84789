"""Strict JSON at every decoder: no NaN, no infinities, and no parse failure escapes.

Python's ``json`` reads ``NaN``, ``Infinity``, ``-Infinity`` and ``1e999``
(infinity) without complaint; none is JSON, and one stored breaks every
reader after it. Every decoder of the protocol refuses them with a
:class:`ProtocolError`, as it refuses payloads too deep or numbers too long
for the interpreter to parse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lobbyq.protocol import views as pv
from lobbyq.protocol.events import LoggedEvent, Reply
from lobbyq.protocol.messages import (
    AlertMsg,
    CommandMsg,
    EventMsg,
    ProtocolError,
    ReplyMsg,
    StateMsg,
    StatusMsg,
    loads,
    parse_object,
    salvage_id,
)

DECODERS: dict[str, Callable[[bytes], Any]] = {
    "parse_object": parse_object,
    "CommandMsg": CommandMsg.decode,
    "ReplyMsg": ReplyMsg.decode,
    "EventMsg": EventMsg.decode,
    "StateMsg": StateMsg.decode,
    "StatusMsg": StatusMsg.decode,
    "AlertMsg": AlertMsg.decode,
    "Reply": Reply.decode,
    "LoggedEvent": LoggedEvent.decode,
    "decode_queue": pv.decode_queue,
    "decode_counter": pv.decode_counter,
    "decode_calls": pv.decode_calls,
    "decode_notice": pv.decode_notice,
}

NOT_JSON = {
    "nan": '{"v":1,"id":"cmd-00000001","at":NaN}',
    "infinity": '{"v":1,"id":"cmd-00000001","at":Infinity}',
    "minus_infinity": '{"v":1,"id":"cmd-00000001","at":-Infinity}',
    "overflow": '{"v":1,"id":"cmd-00000001","at":1e999}',
    "deep": '{"v":1,"id":"cmd-00000001","at":' + "[" * 50_000,
    "long_integer": '{"v":1,"id":"cmd-00000001","at":' + "7" * 5000 + "}",
}


@pytest.mark.parametrize("decoder", sorted(DECODERS))
@pytest.mark.parametrize("case", sorted(NOT_JSON))
def test_every_decoder_refuses_what_is_not_strict_json(decoder: str, case: str) -> None:
    with pytest.raises(ProtocolError):
        DECODERS[decoder](NOT_JSON[case].encode())


def test_the_reason_names_the_constant() -> None:
    with pytest.raises(ProtocolError, match="NaN"):
        loads('{"due": NaN}')
    assert loads('{"due": 1.5e3, "n": -0}') == {"due": 1500.0, "n": 0}


def test_the_id_of_an_unparseable_command_is_salvaged_to_answer_it() -> None:
    assert salvage_id(NOT_JSON["deep"].encode()) == "cmd-00000001"
    assert salvage_id(b'{"v":1,"op":"x"' + b"[" * 100) is None
    assert salvage_id(b'{"id":"short"}') is None  # not a command id
