"""Simulated rating pad, 3-key or 5-key, with or without reason keys."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from drivers.bus.codes import DeviceKind, ErrorCode
from drivers.bus.device_sim import DeviceSim
from drivers.bus.firmware import Version
from drivers.bus.messages import Ack, Message, Nak, RatingEvent, RatingPrompt
from drivers.ratingpad.codes import LAYOUTS, Rating, RatingPadCap, Reason


class RatingPadSim(DeviceSim):
    """The pad facing the customer.

    Like the real pads, keys do nothing while the "please rate" prompt is
    dark, and the prompt goes dark after a rating or after its timeout.
    After an unhappy rating, a pad with reason keys sends the reason in the
    same event (``Reason.NONE`` if the customer walked away).
    """

    KIND: ClassVar[DeviceKind] = DeviceKind.RATING_PAD
    SERIAL_PREFIX: ClassVar[str] = "RP"

    def __init__(
        self,
        addr: int = 2,
        *,
        keys: int = 3,
        reason_keys: bool = True,
        serial: str | None = None,
        version: Version = (1, 0, 0),
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if keys not in LAYOUTS:
            raise ValueError(f"a rating pad has 3 or 5 keys, not {keys}")
        self.keys = keys
        self.reason_keys = reason_keys
        self._prompt_until: float | None = None
        self.ratings: list[tuple[Rating, Reason]] = []
        super().__init__(addr, serial=serial, version=version, clock=clock)

    @property
    def layout(self) -> tuple[Rating, ...]:
        return LAYOUTS[self.keys]

    def caps(self) -> int:
        return self.keys | (RatingPadCap.REASON_KEYS if self.reason_keys else 0)

    def reset_app_state(self) -> None:
        self._prompt_until = None

    @property
    def prompt(self) -> bool:
        """Whether "please rate" is lit now."""
        with self._cond:
            return self._prompt_until is not None and self.clock() < self._prompt_until

    def press(self, value: Rating | int, reason: Reason | None = None) -> bool:
        """The customer presses a rating key; False if the pad ignored it."""
        rating = Rating(value)
        if rating not in self.layout:
            raise ValueError(f"a {self.keys}-key pad has no key for {rating.name}")
        if reason not in (None, Reason.NONE) and not (self.reason_keys and rating.unhappy):
            raise ValueError("reason keys light only after an unhappy rating")
        with self._cond:
            if not self.prompt:
                return False
            self._prompt_until = None
            got = reason or Reason.NONE
            self.ratings.append((rating, got))
        return self.emit(RatingEvent(0, rating, got))

    def handle_app(self, msg: Message) -> Message:
        if isinstance(msg, RatingPrompt):
            if msg.on:
                span = msg.timeout_s if msg.timeout_s else 10**9
                self._prompt_until = self.clock() + span
            else:
                self._prompt_until = None
            return Ack()
        return Nak(ErrorCode.BAD_CMD)
