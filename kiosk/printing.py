"""The print worker: one thread owns the ticket printer, prints tickets, reports paper.

The printer opens on that thread (python-escpos takes a second to import,
the port up to a second to appear) so the screen stays live; a ticket issued
meanwhile queues behind it. Each ticket's outcome goes to the loop as
``Printed``, and the driver's paper and cover status to the kiosk's health.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.health import printer_error_word, printer_word
from kiosk.i18n import Catalogs
from kiosk.inbox import Post
from kiosk.status import SetHealth
from kiosk.ui import engine_io
from kiosk.ui.content import Content
from kiosk.ui.flow import Printed, PrintTicket
from kiosk.ui.layout import notice_text
from lobbyq.core.config import BranchConfig

if TYPE_CHECKING:
    from drivers.printer.ticket import TicketData


class TicketSink(Protocol):
    """What the kiosk needs from a printer: print one ticket or raise a ``PrinterError``."""

    def print_ticket(self, ticket: TicketData) -> None: ...


class PrintWorker:
    """The kiosk's ticket printer behind its own thread."""

    def __init__(
        self,
        printer: TicketSink | str | None,
        *,
        config: BranchConfig,
        content: Content,
        catalogs: Catalogs,
        assets: Path,
        device: str,
        post: Post,
        set_health: SetHealth,
        logger: logging.Logger,
        clock: Callable[[], float],
        wall: Callable[[], float],
    ) -> None:
        self.config = config
        self.content = content
        self.catalogs = catalogs
        self.assets = assets
        self.device = device
        self._post = post
        self._set_health = set_health
        self.log = logger
        self.clock = clock
        self.wall = wall
        self._printer_arg = printer
        self.printer: TicketSink | None = printer if not isinstance(printer, str) else None
        self._print_pool = ThreadPoolExecutor(1, thread_name_prefix=f"{device}-printer")

    def start(self) -> None:
        """Open the printer (or just import the ticket layout) on the printer thread."""
        if isinstance(self._printer_arg, str):
            self._print_pool.submit(self._open_printer_bg, self._printer_arg)
        else:
            self._print_pool.submit(importlib.import_module, "drivers.printer.ticket")

    def submit(self, eff: PrintTicket, notice: Mapping[str, str] | None) -> None:
        """Print ``eff``'s ticket after those before it; the outcome comes back as ``Printed``."""
        self._print_pool.submit(self._print, eff, notice)

    def close(self) -> None:
        """Close a printer this worker opened, and drop the tickets not yet printed."""
        close = getattr(self.printer, "close", None)
        if isinstance(self._printer_arg, str) and callable(close):
            close()
        self._print_pool.shutdown(wait=False, cancel_futures=True)

    def _open_printer_bg(self, url: str) -> None:
        try:
            self.printer = self._open_printer(url)
        except Exception as exc:
            self.log.error("printer at %s not opened: %s", url, exc)
            self._set_health("printer", "offline")

    def _open_printer(self, url: str) -> TicketSink:
        from PIL import Image

        from drivers.printer.driver import TicketPrinter
        from drivers.printer.profiles import get_profile

        # The print logo is line art: the screen logo's blue fields would print solid black.
        logo_path = self.assets / "images" / "logo-print.png"
        logo = Image.open(logo_path).convert("L") if logo_path.exists() else None
        printer = TicketPrinter(
            url,
            get_profile(self.content.printer_profile),
            logo=logo,
            name=f"{self.device}-printer",
            on_status=self._on_printer_status,
        )
        printer.open(wait=1.0)
        printer.status()
        printer.start_watch(5.0)
        return printer

    def _on_printer_status(self, status: Any) -> None:
        self._set_health("printer", printer_word(status))

    def ticket_data(self, eff: PrintTicket, notice: Mapping[str, str] | None = None) -> TicketData:
        """The ticket to print for ``eff``: the screen's facts, in the customer's language."""
        tr = self.catalogs[eff.lang]
        issued = engine_io.local_time(self.wall(), self.config.utc_offset_min, self.config.zone)
        return engine_io.ticket_data(self.content, tr, eff.ticket, issued, notice_text(notice, tr))

    def _print(self, eff: PrintTicket, notice: Mapping[str, str] | None) -> None:
        """On the printer thread: build and print one ticket, report how it went."""
        issue_no = eff.issue_no
        try:
            data = self.ticket_data(eff, notice)
        except Exception:
            self.log.exception("ticket %s could not be laid out", eff.ticket.number)
            self._post(Printed(issue_no, "fault", self.clock()))
            return
        if self.printer is None:
            self._post(Printed(issue_no, "offline", self.clock()))
            return
        try:
            self.printer.print_ticket(data)
        except Exception as exc:
            word = printer_error_word(exc)
            self.log.warning(
                "ticket %s not printed (%s); number stays on screen", data.number, word
            )
            self._set_health("printer", word)
            self._post(Printed(issue_no, word, self.clock()))
            return
        self._post(Printed(issue_no, None, self.clock()))
