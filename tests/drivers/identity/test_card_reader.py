"""The serial card reader end to end over a pty: swipes, faults, unplug/replug."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.identity import Identity, IdentityHasher
from drivers.magstripe.driver import CardReader
from drivers.magstripe.sim import CardReaderSim
from tests.drivers.identity.conftest import Events, Synthetic
from tests.support import eventually

Rig = tuple[CardReaderSim, CardReader]


@pytest.fixture
def rig(link_path: Path, hasher: IdentityHasher, events: Events) -> Iterator[Rig]:
    sim = CardReaderSim(link_path, lrc=True, seed=1)
    reader = CardReader(
        sim.url,
        hasher,
        events.identity,
        events.on_health,
        logging.getLogger("test.card"),
        on_reject=events.reject,
        lrc=True,
        backoff_max=0.05,
    )
    reader.start()
    assert reader.wait_connected(3.0)
    yield sim, reader
    reader.close()
    sim.close()


def test_swipe_gives_an_identity(
    rig: Rig,
    synth: Synthetic,
    hasher: IdentityHasher,
    events: Events,
) -> None:
    sim, _ = rig
    pan = synth.pan()
    sim.swipe_card(pan)
    assert eventually(lambda: len(events.identities) == 1)
    assert events.identities == [hasher.card(pan)]
    ident = events.identities[0]
    assert isinstance(ident, Identity) and ident.masked == f"**** {pan[-4:]}"
    assert events.health[0].online and events.health[0].device == "card-reader"


def test_track2_only_and_track1_only_cards(rig: Rig, synth: Synthetic, events: Events) -> None:
    sim, _ = rig
    sim.swipe_card(synth.pan(19), tracks="2")
    sim.swipe_card(synth.pan(13), tracks="1")
    assert eventually(lambda: len(events.identities) == 2)


def test_bad_swipe_and_bad_luhn_are_rejected_not_delivered(
    rig: Rig, synth: Synthetic, events: Events
) -> None:
    sim, reader = rig
    sim.bad_swipe()
    pan = synth.pan()
    wrong = pan[:-1] + str((int(pan[-1]) + 1) % 10)
    sim.swipe_card(wrong)
    sim.swipe_card(pan)
    assert eventually(lambda: len(events.identities) == 1 and len(events.rejects) == 2)
    assert events.rejects[0] == "track1:unreadable,track2:unreadable"
    assert events.rejects[1].startswith("invalid-card:")
    assert reader.swipes.rejects == 2


def test_garbage_then_swipe(rig: Rig, synth: Synthetic, events: Events) -> None:
    sim, reader = rig
    for _ in range(20):
        sim.send_garbage(200)
    sim.swipe_card(synth.pan())
    assert eventually(lambda: len(events.identities) == 1)
    assert reader.link.connected


def test_silent_reader_delivers_nothing(rig: Rig, synth: Synthetic, events: Events) -> None:
    sim, _ = rig
    sim.silence()
    sim.swipe_card(synth.pan())
    assert not eventually(lambda: bool(events.identities), timeout=0.2)
    sim.resume()
    sim.swipe_card(synth.pan())
    assert eventually(lambda: len(events.identities) == 1)


def test_unplug_replug_reports_health_and_reads_again(
    rig: Rig, synth: Synthetic, events: Events
) -> None:
    sim, reader = rig
    sim.unplug()
    assert eventually(lambda: events.online is False)
    sim.replug()
    assert eventually(lambda: events.online is True)
    assert [h.online for h in events.health] == [True, False, True]
    sim.swipe_card(synth.pan())
    assert eventually(lambda: len(events.identities) == 1)
    assert reader.link.reconnects == 1


def test_callback_exception_does_not_stop_the_reader(
    link_path: Path, hasher: IdentityHasher, synth: Synthetic
) -> None:
    got: list[Identity] = []

    def flaky(ident: Identity) -> None:
        got.append(ident)
        if len(got) == 1:
            raise RuntimeError("kiosk bug")

    with CardReaderSim(link_path) as sim:
        reader = CardReader(sim.url, hasher, flaky)
        reader.start()
        try:
            assert reader.wait_connected(3.0)
            sim.swipe_card(synth.pan())
            sim.swipe_card(synth.pan())
            assert eventually(lambda: len(got) == 2)
        finally:
            reader.close()


def test_reader_absent_at_start_is_reported_then_found(
    link_path: Path, hasher: IdentityHasher, events: Events
) -> None:
    reader = CardReader(str(link_path), hasher, events.identity, events.on_health, backoff_max=0.02)
    reader.start()
    try:
        assert eventually(lambda: events.online is False)
        assert events.health[0].reason.startswith("open failed")
        with CardReaderSim(link_path):
            assert eventually(lambda: events.online is True)
        assert [h.online for h in events.health[:2]] == [False, True]
    finally:
        reader.close()


def test_reconnect_deadline_gives_up_and_says_so(link_path: Path, hasher: IdentityHasher) -> None:
    sim = CardReaderSim(link_path)
    health = Events()
    reader = CardReader(
        sim.url, hasher, health.identity, health.on_health, backoff_max=0.02, reconnect_deadline=0.2
    )
    reader.start()
    try:
        assert eventually(lambda: health.online is True)
        sim.unplug()
        assert eventually(lambda: reader.gave_up)
        assert eventually(lambda: health.health[-1].reason == "gave up reconnecting")
        assert [h.online for h in health.health] == [True, False, False]
    finally:
        reader.close()
        sim.close()
