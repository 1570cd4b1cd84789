"""The reader table: which identification readers a kiosk has, and what their reads mean.

A bank card, an ID card and an appointment QR code each have a driver; the
kiosk opens those it was given a URL for. A read is looked up in the
customer directory on the reader's thread and reaches the loop as
``Identified`` or ``IdentifyFailed``; each reader's link state goes to the
kiosk's health.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from drivers.identity import Identity, IdentityHasher
from kiosk.directory import CustomerDirectory, Entry
from kiosk.inbox import Post
from kiosk.status import SetHealth
from kiosk.ui import KioskError
from kiosk.ui.flow import Appointment, Customer, Identified, IdentifyFailed

#: health part -> (driver module, reader class)
READERS: tuple[tuple[str, str, str], ...] = (
    ("card", "drivers.magstripe.driver", "CardReader"),
    ("idcard", "drivers.idcard.driver", "IdCardReader"),
    ("qr", "drivers.qrscan.driver", "QrScanner"),
)


class ReaderTable:
    """The kiosk's card, ID card and QR readers, opened from their URLs."""

    def __init__(
        self,
        urls: Mapping[str, str | None],
        hasher: IdentityHasher | None,
        directory: CustomerDirectory,
        *,
        post: Post,
        set_health: SetHealth,
        logger: logging.Logger,
        clock: Callable[[], float],
        wall: Callable[[], float],
    ) -> None:
        if any(urls.values()) and hasher is None:
            raise KioskError("a reader is configured but no IdentityHasher (branch secret) given")
        self._reader_urls = dict(urls)
        self.hasher = hasher
        self.directory = directory
        self._post = post
        self._set_health = set_health
        self.log = logger
        self.clock = clock
        self.wall = wall
        self.opened: list[Any] = []

    def configured(self) -> list[str]:
        """The health parts of the readers given a URL, in table order."""
        return [part for part, url in self._reader_urls.items() if url]

    def open(self) -> None:
        """Start every configured reader; one that fails is reported offline, not fatal."""
        for part, module, cls_name in READERS:
            url = self._reader_urls.get(part)
            if not url:
                continue
            try:
                cls = getattr(importlib.import_module(module), cls_name)
                on_health = self._reader_health(part)
                callback = self.on_appointment if part == "qr" else self.on_identity
                reader = cls(
                    url,
                    self.hasher,
                    callback,
                    on_health,
                    self.log.getChild(part),
                    on_reject=self.on_reject,
                )
                reader.start()
                self.opened.append(reader)
            except Exception as exc:
                self.log.error("%s reader at %s not started: %s", part, url, exc)
                self._set_health(part, "offline", str(exc))

    def close(self) -> None:
        """Close every reader opened; one that fails to close does not keep the others open."""
        for r in self.opened:
            try:
                r.close()
            except Exception:
                self.log.exception("closing a reader failed")

    def _reader_health(self, part: str) -> Callable[[Any], None]:
        def on_health(h: Any) -> None:
            self._set_health(part, "ok" if h.online else "offline", getattr(h, "reason", ""))

        return on_health

    def on_identity(self, identity: Identity) -> None:
        """A card or ID card was read (reader thread): look it up and tell the flow."""
        entry = self._lookup(identity)
        booking = entry.booking if entry else None
        customer = Customer(
            kind=identity.kind,
            hash=identity.hash,
            masked=identity.masked,
            tier=entry.tier if entry else "normal",
            appointment=Appointment(booking.ref, booking.due, booking.service) if booking else None,
        )
        self._post(Identified(customer, self.clock(), self.wall()))

    def on_appointment(self, appt: Any) -> None:
        """An appointment code was scanned (reader thread)."""
        identity: Identity = appt.identity if hasattr(appt, "identity") else appt
        entry = self._lookup(identity)
        if entry is None or entry.booking is None:
            self._post(IdentifyFailed("unknown-appointment", self.clock()))
            return
        b = entry.booking
        customer = Customer(
            kind=identity.kind,
            hash=identity.hash,
            masked=identity.masked,
            tier=entry.tier,
            appointment=Appointment(b.ref, b.due, b.service),
        )
        self._post(Identified(customer, self.clock(), self.wall()))

    def on_reject(self, reason: str) -> None:
        """A reader could not read what it was shown: the flow says so to the customer."""
        self._post(IdentifyFailed(reason.split(":")[0], self.clock()))

    def _lookup(self, identity: Identity) -> Entry | None:
        try:
            return self.directory.lookup(identity, self.wall())
        except Exception:
            self.log.exception("directory lookup failed; serving %s as a walk-in", identity.masked)
            return None
