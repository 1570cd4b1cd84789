"""Host side of a serial magnetic-stripe reader: bytes in, :class:`Identity` out.

The reader sends a line per swipe whenever a card goes through; there is no
command to send, so this is a decoder on the link's reader thread. Each swipe
is hashed the moment it is decoded (:class:`SwipeHandler`), and only the
:class:`~drivers.identity.Identity` leaves: the application, the log and the
flight recorder see ``**** 1234``, never the number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Unpack

from drivers.identity import Identity, IdentityError, IdentityHasher
from drivers.magstripe.codec import BadSwipe, Decoder, Message, Swipe
from drivers.readers import (
    HealthCallback,
    ReaderBase,
    ReaderCore,
    ReaderOptions,
)

IdentityCallback = Callable[[Identity], None]


class SwipeHandler:
    """Swipes to identities; shared by the serial and the keyboard-wedge reader.

    ``reader`` records, logs and calls back; this only decides what a swipe is
    and keeps the swipe figures.
    """

    def __init__(
        self, reader: ReaderCore, hasher: IdentityHasher, on_identity: IdentityCallback
    ) -> None:
        self._reader = reader
        self._hasher = hasher
        self._on_identity = on_identity
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
                self._reader.deliver(
                    self._on_identity,
                    identity,
                    note=f"swipe {identity.masked}{extra}",
                    message=f"card {identity.masked}{extra}",
                )
            elif isinstance(msg, BadSwipe):
                self._reject(msg.reason)

    def _reject(self, reason: str) -> None:
        self.rejects += 1
        self._reader.reject(reason, note="bad swipe", message="bad swipe")


class CardReader(ReaderBase):
    """A serial (or USB virtual COM) magnetic-stripe reader.

    ``on_identity`` gets an :class:`Identity` per good swipe; ``on_reject`` a
    short reason for a swipe that gave no card number (ask the customer to
    swipe again); ``on_health`` a :class:`~drivers.readers.ReaderHealth` when
    the reader goes away or comes back. All run on the link's reader thread.
    """

    default_name = "card-reader"
    default_baudrate = 9600

    def __init__(
        self,
        url: str,
        hasher: IdentityHasher,
        on_identity: IdentityCallback,
        on_health: HealthCallback | None = None,
        logger: logging.Logger | None = None,
        *,
        lrc: bool = False,
        **options: Unpack[ReaderOptions],
    ) -> None:
        super().__init__(url, on_health=on_health, logger=logger, **options)
        self.decoder = Decoder(lrc=lrc)
        self.swipes = SwipeHandler(self, hasher, on_identity)

    def handle_data(self, data: bytes) -> None:
        self.swipes.handle(self.decoder.feed(data))

    def on_link(self, up: bool, reason: str) -> None:
        # A swipe cut by the unplug can never be completed: drop its start.
        self.decoder.reset()
        super().on_link(up, reason)
