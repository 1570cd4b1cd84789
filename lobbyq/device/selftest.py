"""The self-test: make every device show it works, and report what answered.

For each device it runs a few visible or audible steps (a beep, every LED,
a full test pattern, the "please rate" light, a printed ticket) and records
each as passed or failed with the reason. With ``interactive`` it also asks
the technician to press a key on each keypad and rating pad, which is the
only way to know the keys and the device-to-host direction work. The steps
go through the same drivers the apps use; the caller owns the ports.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from drivers.bus.codes import DeviceKind
from drivers.bus.events import BusEvent, DeviceInfo, KeyPressed, RatingGiven
from drivers.bus.firmware import version_str
from drivers.bus.master import BusMaster
from drivers.bus.text import fit_text
from drivers.errors import DeviceRefused, DriverError
from drivers.keypad.codes import BeepPattern, KeypadCap, KeypadLed
from drivers.keypad.driver import keypad_beep, keypad_leds, keypad_text
from drivers.led.codes import (
    BRIGHTNESS_MAX,
    HALL_MAX_ZONES,
    HALL_TEXT_MAX_BYTES,
    STRIP_TEXT_MAX_BYTES,
)
from drivers.led.driver import hall_brightness, hall_zone, strip_brightness, strip_show
from drivers.printer.driver import TicketPrinter
from drivers.printer.ticket import TicketData
from drivers.ratingpad.codes import RatingPadCap
from drivers.ratingpad.driver import rating_prompt
from lobbyq.device.bustools import refusal

FULL = "█"  # every dot of a character cell lit
Ask = Callable[[str], None]


@dataclass
class PartResult:
    """One device: did it answer, what is it, and how each step went."""

    part: str
    address: int | None = None
    answered: bool = False
    identity: str = ""
    steps: list[tuple[str, bool, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.answered and all(ok for _, ok, _ in self.steps)


def pattern(cells: int, max_bytes: int) -> str:
    """The longest run of full blocks that fits ``cells`` and the display's byte limit."""
    return fit_text(FULL * max(1, cells), max_bytes)


class _Presses:
    """Collects key presses and ratings so a step can wait for one from an address."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._events: list[BusEvent] = []

    def __call__(self, ev: BusEvent) -> None:
        if isinstance(ev, KeyPressed | RatingGiven):
            with self._cond:
                self._events.append(ev)
                self._cond.notify_all()

    def wait(self, addr: int, kind: type[BusEvent], timeout: float) -> BusEvent | None:
        def find() -> BusEvent | None:
            return next((e for e in self._events if e.addr == addr and isinstance(e, kind)), None)

        with self._cond:
            self._cond.wait_for(lambda: find() is not None, timeout)
            return find()


class BusSelfTest:
    """Steps for the devices on one counter bus or hall display port."""

    def __init__(
        self,
        master: BusMaster,
        *,
        interactive: bool = False,
        ask: Ask = print,
        press_timeout: float = 20.0,
        rating_keys: int | None = None,
    ) -> None:
        self.master = master
        # counter.rating_keys of the device file: a pad with other keys puts every
        # rating on the wrong scale, so the test fails rather than pass it silently.
        self.rating_keys = rating_keys
        self.interactive = interactive
        self.ask = ask
        self.press_timeout = press_timeout
        self._presses = _Presses()
        if interactive:
            master.subscribe(self._presses)

    def _identify(self, res: PartResult, want: DeviceKind) -> DeviceInfo | None:
        assert res.address is not None
        try:
            info = self.master.ping(res.address)
        except DriverError as exc:
            res.steps.append(("answers", False, f"no answer ({exc.__class__.__name__})"))
            return None
        res.answered = True
        res.identity = f"{info.kind.name.lower()} v{version_str(info.version)} sn {info.serial}"
        if info.kind != want:
            res.steps.append(
                (
                    "kind",
                    False,
                    f"is a {info.kind.name.lower()}, expected "
                    f"{want.name.lower()}: check the address",
                )
            )
            return None
        if info.in_boot:
            res.steps.append(("application", False, "in its bootloader: flash it"))
            return None
        return info

    def _step(self, res: PartResult, name: str, action: Callable[[], object]) -> bool:
        try:
            action()
        except DeviceRefused as exc:
            res.steps.append((name, False, refusal(exc)))
            return False
        except (DriverError, ValueError) as exc:
            res.steps.append((name, False, str(exc)))
            return False
        res.steps.append((name, True, ""))
        return True

    def _press(self, res: PartResult, name: str, what: str, kind: type[BusEvent]) -> None:
        assert res.address is not None
        self.master.watch(res.address)  # report mode, so the press comes at once
        self.ask(f"press {what} (within {self.press_timeout:.0f}s)")
        ev = self._presses.wait(res.address, kind, self.press_timeout)
        if ev is None:
            res.steps.append((name, False, "nothing pressed in time"))
        else:
            detail = getattr(ev, "key", None) or getattr(ev, "value", "")
            res.steps.append((name, True, str(getattr(detail, "name", detail))))

    def keypad(self, addr: int) -> PartResult:
        res = PartResult("keypad", addr)
        info = self._identify(res, DeviceKind.KEYPAD)
        if info is None:
            return res
        m = self.master
        self._step(res, "beep", lambda: keypad_beep(m, addr, BeepPattern.DOUBLE))
        every = KeypadLed(sum(int(f) for f in KeypadLed))
        self._step(res, "all LEDs", lambda: keypad_leds(m, addr, every))
        if info.caps & KeypadCap.TEXT_LINE:
            self._step(res, "text line", lambda: keypad_text(m, addr, "SELF TEST 自检"))
        if self.interactive:
            self._press(res, "key", f"any key on the keypad at address {addr}", KeyPressed)
        self._step(res, "LEDs off", lambda: keypad_leds(m, addr, KeypadLed.NONE))
        return res

    def rating_pad(self, addr: int) -> PartResult:
        res = PartResult("rating pad", addr)
        info = self._identify(res, DeviceKind.RATING_PAD)
        if info is None:
            return res
        keys = info.caps & RatingPadCap.KEYS_MASK
        if self.rating_keys is not None and keys and keys != self.rating_keys:
            res.steps.append(
                (
                    "keys",
                    False,
                    f"the pad has {keys} keys but counter.rating_keys is {self.rating_keys}: "
                    "fit the right pad or set rating_keys in the branch file and provision",
                )
            )
        m = self.master
        timeout = int(min(self.press_timeout + 5, 255))
        if self._step(res, "rate prompt", lambda: rating_prompt(m, addr, True, timeout_s=timeout)):
            if self.interactive:
                self._press(
                    res, "rating key", f"a rating key on the pad at address {addr}", RatingGiven
                )
            self._step(res, "prompt off", lambda: rating_prompt(m, addr, False))
        return res

    def strip(self, addr: int) -> PartResult:
        res = PartResult("LED strip", addr)
        info = self._identify(res, DeviceKind.LED_STRIP)
        if info is None:
            return res
        m = self.master
        text = pattern(info.caps or 8, STRIP_TEXT_MAX_BYTES)
        self._step(res, "brightness max", lambda: strip_brightness(m, addr, BRIGHTNESS_MAX))
        self._step(res, f"all segments ({len(text)} cells)", lambda: strip_show(m, addr, text))
        self._step(res, "text", lambda: strip_show(m, addr, "自检 TEST 0123", blink=True))
        return res

    def hall(self, addr: int) -> PartResult:
        res = PartResult("hall display", addr)
        info = self._identify(res, DeviceKind.HALL_DISPLAY)
        if info is None:
            return res
        m = self.master
        zones = min(info.caps or 1, HALL_MAX_ZONES)
        full = pattern(24, HALL_TEXT_MAX_BYTES)
        self._step(res, "brightness max", lambda: hall_brightness(m, addr, BRIGHTNESS_MAX))
        for zone in range(zones):

            def show(z: int = zone) -> None:
                hall_zone(m, addr, z, full)

            self._step(res, f"zone {zone} all segments", show)
        return res


def printer_selftest(printer: TicketPrinter, *, now: Callable[[], datetime]) -> PartResult:
    """Status, then a test ticket; the paper state is in the result."""
    res = PartResult("printer")
    st = printer.status()
    res.answered = st.online
    if not st.online:
        res.steps.append(("answers", False, st.detail or "offline"))
        return res
    res.identity = f"paper {st.paper}"
    ticket = TicketData(
        branch_name="lobbyq self-test",
        number="T000",
        service_name="Test ticket / 测试票",
        lang="en",
        issued_at=now(),
        people_ahead=0,
        expected_wait_min=None,
        prepare="",
        zone="",
        qr_payload="lobbyq:selftest",
        notice="If you can read this, the printer works.",
    )
    try:
        printer.print_ticket(ticket)
    except DriverError as exc:
        res.steps.append(("test ticket", False, str(exc)))
    else:
        res.steps.append(("test ticket", True, ""))
    return res


def render(results: list[PartResult]) -> str:
    lines = []
    for r in results:
        where = f" @{r.address}" if r.address is not None else ""
        head = "OK  " if r.ok else "FAIL"
        lines.append(f"{head} {r.part}{where}: {r.identity or 'no answer'}")
        for name, ok, detail in r.steps:
            lines.append(
                f"       {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}"
            )
    return "\n".join(lines)
