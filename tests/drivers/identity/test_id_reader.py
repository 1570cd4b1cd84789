"""The ID card reader end to end over a pty: the host drives find/select/read."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.errors import DeviceTimeout
from drivers.idcard.codec import Op, Status
from drivers.idcard.driver import IdCardReader
from drivers.idcard.sim import IdCardReaderSim
from drivers.identity import IdentityHasher
from tests.drivers.identity.conftest import Events, Synthetic
from tests.support import eventually

Rig = tuple[IdCardReaderSim, IdCardReader]


def _reader(sim: IdCardReaderSim, hasher: IdentityHasher, events: Events) -> IdCardReader:
    return IdCardReader(
        sim.url,
        hasher,
        events.identity,
        events.on_health,
        logging.getLogger("test.id"),
        on_reject=events.reject,
        poll_interval=0.01,
        timeout=0.15,
        read_timeout=0.5,
        backoff_max=0.05,
    )


@pytest.fixture
def rig(link_path: Path, hasher: IdentityHasher, events: Events) -> Iterator[Rig]:
    sim = IdCardReaderSim(link_path, seed=2)
    reader = _reader(sim, hasher, events)
    reader.start()
    yield sim, reader
    reader.close()
    sim.close()


def test_placed_card_is_read_once_and_again_after_lifting(
    rig: Rig,
    synth: Synthetic,
    hasher: IdentityHasher,
    events: Events,
) -> None:
    sim, _ = rig
    assert eventually(lambda: events.online is True)
    number = synth.id_number()
    sim.place(number, "张三丰")
    assert eventually(lambda: len(events.identities) == 1)
    assert events.identities == [hasher.id_card(number, "张三丰")]
    assert events.identities[0].masked == "张**"  # type: ignore[attr-defined]
    n_cmds = len(sim.commands)
    assert eventually(lambda: len(sim.commands) > n_cmds + 5)  # still polling, no second delivery
    assert len(events.identities) == 1
    sim.remove()
    sim.place(number, "张三丰")
    assert eventually(lambda: len(events.identities) == 2)


def test_the_host_runs_find_select_read_in_order(
    rig: Rig, synth: Synthetic, events: Events
) -> None:
    sim, _ = rig
    sim.place(synth.id_number(), "李四")
    assert eventually(lambda: len(events.identities) == 1)
    ops = [c.op for c in sim.commands]
    i = ops.index(Op.READ_BASE)
    assert ops[i - 2 : i + 1] == [Op.FIND_CARD, Op.SELECT_CARD, Op.READ_BASE]
    assert set(ops[: i - 2]) <= {Op.FIND_CARD}


def test_reader_that_does_not_halt_the_card_still_delivers_once(
    link_path: Path,
    hasher: IdentityHasher,
    synth: Synthetic,
    events: Events,
) -> None:
    with IdCardReaderSim(link_path, halt_after_read=False) as sim:
        reader = _reader(sim, hasher, events)
        reader.start()
        try:
            sim.place(synth.id_number(), "王五")
            assert eventually(lambda: sum(c.op is Op.READ_BASE for c in sim.commands) >= 3)
            assert len(events.identities) == 1
        finally:
            reader.close()


def test_failed_read_and_invalid_number_are_rejected_once(
    rig: Rig, synth: Synthetic, events: Events
) -> None:
    sim, _ = rig
    sim.read_status = Status.READ_FAILED
    sim.place(synth.id_number(), "赵六")
    assert eventually(lambda: len(events.rejects) == 1)
    assert events.rejects == ["read-failed: READ_FAILED"]
    sim.read_status = Status.OK
    sim.remove()
    good = synth.id_number()
    sim.place(good[:17] + ("0" if good[17] != "0" else "1"), "赵六")
    assert eventually(lambda: len(events.rejects) == 2)
    assert events.rejects[1].startswith("invalid-card:")
    assert events.identities == []


def test_silent_reader_goes_offline_and_comes_back(
    rig: Rig, synth: Synthetic, events: Events
) -> None:
    sim, reader = rig
    assert eventually(lambda: events.online is True)
    sim.silence()
    assert eventually(lambda: events.online is False)
    assert events.health[-1].reason == "not responding"
    assert reader.timeouts >= 1
    sim.resume()
    assert eventually(lambda: events.online is True)
    sim.place(synth.id_number(), "孙七")
    assert eventually(lambda: len(events.identities) == 1)


def test_unplug_replug_and_garbage(rig: Rig, synth: Synthetic, events: Events) -> None:
    sim, reader = rig
    assert eventually(lambda: events.online is True)
    sim.unplug()
    assert not reader.online or eventually(lambda: not reader.online)
    assert eventually(lambda: events.online is False)
    sim.replug()
    assert eventually(lambda: events.online is True)
    for _ in range(10):
        sim.send_garbage(300, end_line=False)
    sim.place(synth.id_number(), "周八")
    assert eventually(lambda: len(events.identities) == 1)
    assert [h.online for h in events.health][:3] == [True, False, True]


def test_transact_raises_device_timeout_when_nobody_answers(
    link_path: Path, hasher: IdentityHasher, events: Events
) -> None:
    with IdCardReaderSim(link_path) as sim:
        sim.silence()
        reader = _reader(sim, hasher, events)
        reader.link.start()  # the link only: no poll thread competing
        try:
            assert reader.wait_connected(3.0)
            with pytest.raises(DeviceTimeout):
                reader.transact(Op.SAM_STATUS)
            sim.resume()
            assert reader.transact(Op.SAM_STATUS).sw3 == Status.OK
        finally:
            reader.link.close()


def test_close_is_prompt_even_while_waiting_for_an_answer(
    link_path: Path, hasher: IdentityHasher, events: Events
) -> None:
    import time

    with IdCardReaderSim(link_path) as sim:
        reader = IdCardReader(sim.url, hasher, events.identity, read_timeout=5.0, timeout=5.0)
        reader.start()
        assert eventually(lambda: len(sim.commands) >= 1)
        sim.silence()
        n = len(sim.commands)
        assert eventually(lambda: len(sim.commands) > n)  # a command is now waiting 5 s
        t0 = time.monotonic()
        reader.close()
        assert time.monotonic() - t0 < 1.0


def test_reader_fault_status_is_reported_offline(rig: Rig, events: Events) -> None:
    sim, _ = rig
    assert eventually(lambda: events.online is True)
    sim.reader_fault = Status.SELF_TEST_FAILED
    assert eventually(lambda: events.online is False)
    assert events.health[-1].reason == "reader fault: SELF_TEST_FAILED"
    sim.reader_fault = None
    assert eventually(lambda: events.online is True)
