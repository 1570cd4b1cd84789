"""The walking skeleton end to end: mosquitto, the engine, and every app on ptys.

A touch at the kiosk must come out as ticket bytes at the printer simulator,
and a CALL key at the keypad simulator must come out as the number on the
counter strip and the hall display simulators: the production code path
all the way (MQTT through a real broker, serial through real ptys).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.keypad.codes import Key
from lobbyq.demo import build
from tests.support import eventually


@pytest.fixture
def branch(broker_url: str, branch_id: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    handle, parts = build(broker_url, tmp_path, 2, headless=True, branch_id=branch_id)
    kiosk = parts["kiosk"]
    loop = threading.Thread(target=kiosk.run, name="kiosk", daemon=True)
    loop.start()
    try:
        yield parts
    finally:
        kiosk.stop()
        loop.join(10)
        kiosk.close_io()
        handle.close()


def _issued_numbers(parts: dict[str, Any]) -> list[str]:
    return [
        body["number"] for _, body in parts["store"].events() if body["kind"] == "ticket_issued"
    ]


def test_touch_prints_a_ticket_and_call_reaches_both_leds(branch: dict[str, Any]) -> None:
    kiosk, printer = branch["kiosk"], branch["printer"]
    rig = branch["rigs"]["1"]
    assert eventually(lambda: branch["engine"].bus.connected, timeout=10.0)
    kiosk.tap_service("A")
    ticket = printer.wait_for_ticket(timeout=10)
    assert ticket is not None, "no ticket reached the printer simulator"
    numbers = _issued_numbers(branch)
    assert numbers == ["A001"]
    assert b"A001" in ticket

    for ch in "1001":
        rig.keypad.press(Key.for_digit(int(ch)))
    rig.keypad.press(Key.LOGIN)
    assert eventually(lambda: branch["engine"].state.counters["1"].status == "open", timeout=10.0)
    # The counter answers one key at a time: wait until it has the engine's
    # reply to the login and open, as a teller waits for the keypad's beep.
    counter = branch["counters"][0]
    assert eventually(
        lambda: counter.state.pending is None and counter.state.view.status == "open", timeout=10.0
    )
    rig.keypad.press(Key.CALL)
    assert rig.strip.wait_until(lambda s: "A001" in s.text, timeout=10), rig.strip.text
    hall = branch["hall"].hall
    assert hall.wait_until(lambda h: any("A001" in z for z in h.zones), timeout=10), hall.zones
