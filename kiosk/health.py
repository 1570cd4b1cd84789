"""The kiosk's health words and alerts, decided from what the devices report.

Pure: the app feeds printer statuses, printer errors and reader health in,
and publishes what comes out (``dev/<kiosk>/status`` retained health, and
``dev/<kiosk>/alert`` when a part gets worse). An alert goes out on the
change, not on every poll, so monitoring is not flooded.

| part | words | alert on entering |
|---|---|---|
| ``printer`` | ok, paper_near_end, cover_open, slow | each but ok (warning) |
| ``printer`` | paper_out, offline, fault | each (critical) |
| ``card``, ``idcard``, ``qr`` | ok, offline, absent | offline (warning) |
| ``engine`` | ok, unreachable | unreachable (critical) |
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from lobbyq.runtime.i18n import N_

#: printer word -> (alert level, alert code, text for the branch staff)
PRINTER_ALERTS: Mapping[str, tuple[str, str, str]] = {
    "paper_near_end": (
        "warning",
        "paper_near_end",
        N_("Ticket paper is running low: load a new roll soon."),
    ),
    "paper_out": ("critical", "paper_out", N_("The ticket printer is out of paper.")),
    "cover_open": ("warning", "cover_open", N_("The ticket printer cover is open.")),
    "offline": ("critical", "printer_offline", N_("The ticket printer does not answer.")),
    "fault": ("critical", "printer_fault", N_("The ticket printer reports an error.")),
    "slow": ("warning", "printer_slow", N_("The ticket printer is too slow to answer.")),
}
READER_ALERT = ("warning", "reader_offline")
ENGINE_ALERT = ("critical", "engine_unreachable")


@dataclass(frozen=True, slots=True)
class Alert:
    code: str
    level: str
    text: str


@dataclass(frozen=True, slots=True)
class Health:
    parts: Mapping[str, str] = field(default_factory=dict)

    def set(self, part: str, word: str, text: str = "") -> tuple[Health, Alert | None]:
        """The health with ``part`` at ``word``, and the alert to send if it got worse."""
        if self.parts.get(part) == word:
            return self, None
        new = replace(self, parts={**self.parts, part: word})
        if word == "ok":
            return new, None
        if part == "printer" and word in PRINTER_ALERTS:
            level, code, msg = PRINTER_ALERTS[word]
            return new, Alert(code, level, msg)
        if part == "engine":
            return new, Alert(ENGINE_ALERT[1], ENGINE_ALERT[0], text or "engine unreachable")
        if word == "offline":
            return new, Alert(READER_ALERT[1], READER_ALERT[0], text or f"{part} reader offline")
        return new, None


def printer_word(status: Any) -> str:
    """The health word of a ``drivers.printer.status.PrinterStatus``."""
    if getattr(status, "paper", None) == "out":
        return "paper_out"
    if getattr(status, "cover_open", False):
        return "cover_open"
    if getattr(status, "error", False):
        return "fault"
    if not getattr(status, "online", False):
        return "offline"
    if getattr(status, "paper", None) == "near_end":
        return "paper_near_end"
    return "ok"


#: printer exception class name -> (health word, code the flow and screen see)
PRINTER_ERRORS: Mapping[str, str] = {
    "PaperOut": "paper_out",
    "CoverOpen": "cover_open",
    "PrinterOffline": "offline",
    "PrinterTimeout": "slow",
    "PrinterFault": "fault",
}


def printer_error_word(exc: BaseException) -> str:
    """The health word for a printer exception (walks the class hierarchy)."""
    for cls in type(exc).__mro__:
        word = PRINTER_ERRORS.get(cls.__name__)
        if word is not None:
            return word
    return "fault"
