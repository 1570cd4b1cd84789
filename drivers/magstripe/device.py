"""Host side of a serial magnetic-stripe reader: bytes in, :class:`Identity` out.

The reader sends a line per swipe whenever a card goes through; there is no
command to send, so this is a decoder on the link's reader thread. Each swipe
is hashed the moment it is decoded (:class:`SwipeHandler`), and only the
:class:`~drivers.identity.Identity` leaves: the application, the log and the
flight recorder see ``**** 1234``, never the number.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from drivers.identity import Identity, IdentityError, IdentityHasher
from drivers.magstripe.codec import BadSwipe, Decoder, Message, Swipe
from drivers.readers import HealthCallback, ReaderBase, RejectCallback
from drivers.recorder import FlightRecorder

IdentityCallback = Callable[[Identity], None]


class SwipeHandler:
    """Swipes to identities; shared by the serial and the keyboard-wedge reader."""

    def __init__(
        self,
        *,
        name: str,
        hasher: IdentityHasher,
        on_identity: IdentityCallback,
        on_reject: RejectCallback | None,
        recorder: FlightRecorder,
        logger: logging.Logger,
        call: Callable[[Callable[[Any], Any], Any], None],
    ) -> None:
        self.name = name
        self._hasher = hasher
        self._on_identity = on_identity
        self._on_reject = on_reject
        self._recorder = recorder
        self._log = logger
        self._call = call
        self.swipes = 0
        self.rejects = 0

    def handle(self, messages: list[Message]) -> None:
        for msg in messages:
            if isinstance(msg, Swipe):
                try:
                    identity = self._hasher.card(msg.pan)
                except IdentityError as exc:  # message names the problem, never the number
                    self._reject(f"invalid-card: {exc}")
                    continue
                self.swipes += 1
                extra = f" (also {', '.join(msg.problems)})" if msg.problems else ""
                self._recorder.note(f"swipe {identity.masked}{extra}")
                self._log.info("%s: card %s%s", self.name, identity.masked, extra)
                self._call(self._on_identity, identity)
            elif isinstance(msg, BadSwipe):
                self._reject(msg.reason)

    def _reject(self, reason: str) -> None:
        self.rejects += 1
        self._recorder.note(f"bad swipe: {reason}")
        self._log.warning("%s: bad swipe (%s)", self.name, reason)
        if self._on_reject is not None:
            self._call(self._on_reject, reason)


class CardReader(ReaderBase):
    """A serial (or USB virtual COM) magnetic-stripe reader.

    ``on_identity`` gets an :class:`Identity` per good swipe; ``on_reject`` a
    short reason for a swipe that gave no card number (ask the customer to
    swipe again); ``on_health`` a :class:`~drivers.readers.ReaderHealth` when
    the reader goes away or comes back. All run on the link's reader thread.
    """

    def __init__(
        self,
        url: str,
        hasher: IdentityHasher,
        on_identity: IdentityCallback,
        on_health: HealthCallback | None = None,
        logger: logging.Logger | None = None,
        *,
        on_reject: RejectCallback | None = None,
        lrc: bool = False,
        name: str = "card-reader",
        baudrate: int = 9600,
        recorder: FlightRecorder | None = None,
        clock: Callable[[], float] = time.monotonic,
        backoff_max: float = 1.0,
        reconnect_deadline: float | None = None,
    ) -> None:
        super().__init__(
            url,
            name=name,
            on_health=on_health,
            logger=logger,
            recorder=recorder,
            baudrate=baudrate,
            clock=clock,
            backoff_max=backoff_max,
            reconnect_deadline=reconnect_deadline,
        )
        self.decoder = Decoder(lrc=lrc)
        self.swipes = SwipeHandler(
            name=name,
            hasher=hasher,
            on_identity=on_identity,
            on_reject=on_reject,
            recorder=self.recorder,
            logger=self.log,
            call=self.call,
        )

    def handle_data(self, data: bytes) -> None:
        self.swipes.handle(self.decoder.feed(data))

    def on_link(self, up: bool, reason: str) -> None:
        # A swipe cut by the unplug can never be completed: drop its start.
        self.decoder.reset()
        super().on_link(up, reason)
