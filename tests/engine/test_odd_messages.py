"""One odd message never breaks a batch, and what is not strict JSON never gets in.

The messages of one group commit are submitted before the worker starts, so
they are taken as one batch: an odd one among them must be refused alone,
every other command answered, and the log never replayed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.mqtt.bus import MemoryBus
from lobbyq.core import BranchConfig
from lobbyq.engine.service import Engine, EngineOptions
from lobbyq.engine.store import EventStore
from lobbyq.protocol.messages import ReplyMsg
from lobbyq.protocol.topics import Topics
from tests.engine.conftest import Clock
from tests.support import eventually

ODD_ID = "kiosk-1-odd-0001"

ODD_PAYLOADS = {
    "deep_array": (
        '{"v":1,"id":"'
        + ODD_ID
        + '","op":"issue_ticket","service":"A","x":'
        + "[" * 50_000  # under the 64 KiB cap; the parser runs out of stack first
        + "}"
    ).encode(),
    "long_integer": (
        '{"v":1,"id":"' + ODD_ID + '","op":"rate","counter":"1","value":' + "9" * 5000 + "}"
    ).encode(),
    "nan": ('{"v":1,"id":"' + ODD_ID + '","op":"issue_ticket","service":"A","x":NaN}').encode(),
    "nan_due": (
        '{"v":1,"id":"' + ODD_ID + '","op":"issue_ticket","service":"A",'
        '"appointment":{"ref":"R12345","due":NaN}}'
    ).encode(),
    "infinity": (
        '{"v":1,"id":"' + ODD_ID + '","op":"issue_ticket","service":"A","x":Infinity}'
    ).encode(),
    "minus_infinity": (
        '{"v":1,"id":"' + ODD_ID + '","op":"issue_ticket","service":"A","x":-Infinity}'
    ).encode(),
    "overflowing_float": (
        '{"v":1,"id":"' + ODD_ID + '","op":"issue_ticket","service":"A","x":1e999}'
    ).encode(),
}


class Batch:
    """An engine whose first batch is exactly the messages submitted before ``start``."""

    def __init__(self, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
        self.config = BranchConfig.default()
        self.topics = Topics(self.config.branch_id)
        self.bus = MemoryBus()
        self.bus.start()
        self.store = EventStore(tmp_path / "events.db")
        self.engine = Engine(
            self.config,
            self.store,
            self.bus,
            clock=(clock := Clock()),
            monotonic=clock.monotonic,
            options=EngineOptions(tick_interval_s=3600, batch_max=128),
        )
        self.caplog = caplog

    def replies(self) -> dict[str, ReplyMsg]:
        out = {}
        for topic, payload, _ in self.bus.published:
            if topic == self.topics.reply("kiosk-1"):
                r = ReplyMsg.decode(payload)
                out[r.id] = r
        return out


@pytest.fixture
def batch(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Batch]:
    b = Batch(tmp_path, caplog)
    yield b
    b.engine.stop()
    b.store.close()


@pytest.mark.parametrize("kind", sorted(ODD_PAYLOADS))
def test_an_odd_message_is_refused_alone_and_the_batch_is_answered(batch: Batch, kind: str) -> None:
    ids = [f"kiosk-1-{i:08d}" for i in range(40)]
    payloads = [
        json.dumps({"v": 1, "id": i, "op": "issue_ticket", "service": "A"}).encode() for i in ids
    ]
    payloads.insert(20, ODD_PAYLOADS[kind])
    topic = batch.topics.cmd("kiosk-1")
    for p in payloads:
        batch.engine.submit(topic, p)
    with batch.caplog.at_level(logging.INFO, "lobbyq.engine"):
        batch.engine.start()
        replies = eventually(lambda: len(batch.replies()) == 41 and batch.replies(), 10)
    assert replies, f"{len(batch.replies())} of 41 replies"
    assert all(replies[i].ok for i in ids)
    odd = replies[ODD_ID]
    assert not odd.ok and odd.code == "malformed" and odd.reason
    numbers = [b["number"] for _, b in batch.store.events() if b["kind"] == "ticket_issued"]
    assert numbers == [f"A{n:03d}" for n in range(1, 41)]  # the odd one added nothing
    assert not [r for r in batch.caplog.records if "reloaded" in r.getMessage()]
    assert "NaN" not in " ".join(json.dumps(b) for _, b in batch.store.events())
