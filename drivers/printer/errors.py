"""The printer driver's one exception family.

Every failure the kiosk must react to differently has its own class, so the
kiosk can keep the number on screen and raise the right health alert without
parsing messages: the ticket is issued whatever the printer says.
"""

from __future__ import annotations

from drivers.errors import DriverError
from drivers.printer.status import PrinterStatus


class PrinterError(DriverError):
    """Base of every printer failure; ``status`` is the last status read, if any."""

    def __init__(self, message: str, status: PrinterStatus | None = None) -> None:
        super().__init__(message)
        self.status = status


class PrinterOffline(PrinterError):
    """No answer to a status query, the link is down, or the printer reports offline."""


class PaperOut(PrinterError):
    """The roll paper end sensor fired: nothing can be printed."""


class CoverOpen(PrinterError):
    """The cover is open: the printer refuses to print until it is closed."""


class PrinterFault(PrinterError):
    """A mechanical, cutter or head error reported by DLE EOT 3."""


class PrinterTimeout(PrinterError):
    """The printer answered too slowly or did not take the ticket data in time."""


class TicketDataError(PrinterError):
    """Ticket data that must not be printed (bad field, or what looks like a card or ID number)."""
