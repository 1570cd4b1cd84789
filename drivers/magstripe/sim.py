"""A serial magnetic-stripe reader on a pty, scriptable from tests and the demo."""

from __future__ import annotations

import os

from drivers.magstripe.codec import encode_swipe, encode_track1, encode_track2
from drivers.readers import DeviceSim, synthetic_pan


class CardReaderSim(DeviceSim):
    """Swipe cards, fail swipes, go silent, be unplugged, send noise.

    ``lrc`` makes the simulated reader append each track's LRC character,
    as readers configured that way do; the host must be set the same.
    """

    def __init__(
        self, link_path: str | os.PathLike[str], *, lrc: bool = False, seed: int | None = None
    ) -> None:
        super().__init__(link_path, seed=seed)
        self.lrc = lrc
        self._last_pan = ""

    def swipe(self, track1: str | None, track2: str | None) -> None:
        """Send raw track contents (without sentinels); ``None`` omits a track."""
        self.send(encode_swipe(track1, track2, lrc=self.lrc))

    def swipe_card(
        self,
        pan: str,
        name: str = "CUSTOMER/TEST",
        expiry: str = "3012",
        service_code: str = "201",
        *,
        tracks: str = "12",
    ) -> None:
        """Swipe a card built from its fields; ``tracks`` picks "1", "2" or "12"."""
        t1 = encode_track1(pan, name, expiry, service_code, "000") if "1" in tracks else None
        t2 = encode_track2(pan, expiry, service_code, "000") if "2" in tracks else None
        self.swipe(t1, t2)

    def bad_swipe(self) -> None:
        """A swipe the reader could not read: both tracks report an error."""
        self.send(
            encode_swipe(None, None, lrc=self.lrc, track1_unreadable=True, track2_unreadable=True)
        )

    def device_command(self, verb: str, args: list[str]) -> str:
        """``swipe`` (a fresh synthetic card), ``swipe again`` (the last one), ``bad``."""
        if verb == "swipe":
            if not (args and args[0] == "again" and self._last_pan):
                self._last_pan = synthetic_pan(self._rng)
            self.swipe_card(self._last_pan)
            return f"swiped card **** {self._last_pan[-4:]}"
        if verb == "bad":
            self.bad_swipe()
            return "bad swipe sent"
        return super().device_command(verb, args)
