"""Translate between the engine's messages and the flow, tolerantly and purely.

The engine's ``issue_ticket`` reply carries a ``ticket_issued`` event
(``lobbyq.core.events.TicketIssued``: ``number``, ``service``,
``ahead``, ``expected_wait_s``, ``ticket``, ``customer_class``). The retained
``state/queue`` and ``state/notice`` snapshots are read field by field with
defaults, so a newer engine that adds fields never breaks the kiosk.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from kiosk.i18n import N_, Translator
from kiosk.ui.content import Content, pick
from kiosk.ui.flow import IssuedTicket, RequestTicket
from kiosk.ui.layout import PRIORITY_LABELS, wait_minutes

if TYPE_CHECKING:
    # python-escpos reads its printer database at import (about a second on a
    # Pi): the kiosk imports it after the first frame, when the printer opens.
    from drivers.printer.ticket import TicketData

#: Ticket labels (``drivers.printer.ticket.DEFAULT_LABELS`` keys) as catalog ids.
TICKET_LABELS: Mapping[str, str] = {
    "your_number": N_("Your number"),
    "people_ahead": N_("People ahead"),
    "expected_wait": N_("Expected wait"),
    "minutes": N_("{minutes} min"),
    "wait_unknown": N_("to be announced"),
    "zone": N_("Please wait in"),
    "prepare": N_("Please have ready"),
    "scan": N_("Scan to follow your turn"),
    "issued": N_("Issued"),
    "keep": N_("Please keep this ticket and listen for your number."),
    "sep": N_(": "),
}


def command_fields(effect: RequestTicket) -> dict[str, Any]:
    """The ``issue_ticket`` fields of a request (optional fields only when present)."""
    fields: dict[str, Any] = {
        "service": effect.service,
        "customer_class": effect.customer_class,
        "lang": effect.lang,
    }
    if effect.identity is not None:
        fields["identity"] = dict(effect.identity)
    if effect.appointment is not None:
        fields["appointment"] = {"ref": effect.appointment.ref, "due": effect.appointment.due}
    return fields


def ticket_from_reply(
    events: tuple[Mapping[str, Any], ...], effect: RequestTicket
) -> IssuedTicket | None:
    """The issued ticket in a reply's events, or ``None`` if there is none."""
    ev = next((e for e in events if e.get("kind") == "ticket_issued"), None)
    if ev is None:
        return None
    number = ev.get("number")
    if not isinstance(number, str) or not number:
        return None
    ahead = ev.get("ahead", ev.get("people_ahead", 0))
    wait = ev.get("expected_wait_s", ev.get("wait_s"))
    return IssuedTicket(
        number=number,
        service=str(ev.get("service", effect.service)),
        ahead=int(ahead) if isinstance(ahead, int | float) and not isinstance(ahead, bool) else 0,
        expected_wait_s=float(wait)
        if isinstance(wait, int | float) and not isinstance(wait, bool)
        else None,
        customer_class=str(ev.get("customer_class", effect.customer_class)),
        ticket_id=str(ev.get("ticket", "")),
    )


def refusal_of(events: tuple[Mapping[str, Any], ...]) -> str | None:
    ev = next((e for e in events if e.get("kind") == "command_refused"), None)
    if ev is None:
        return None
    return str(ev.get("code") or ev.get("reason") or "refused")


def queue_view(state: Mapping[str, Any]) -> dict[str, tuple[int, float | None]]:
    """``code -> (waiting, expected_wait_s)`` from a ``state/queue`` snapshot."""
    services: Any = state.get("services", state.get("queues", state))
    items: list[tuple[str, Any]] = []
    if isinstance(services, Mapping):
        items = [(str(k), v) for k, v in services.items()]
    elif isinstance(services, list):
        items = [
            (str(v.get("service", v.get("code", ""))), v)
            for v in services
            if isinstance(v, Mapping)
        ]
    out: dict[str, tuple[int, float | None]] = {}
    for code, v in items:
        if not isinstance(v, Mapping) or not code:
            continue
        waiting = v.get("waiting", v.get("count", v.get("length")))
        if isinstance(waiting, list):
            waiting = len(waiting)
        if not isinstance(waiting, int) or isinstance(waiting, bool):
            continue
        wait = v.get("expected_wait_s", v.get("wait_s"))
        ok = isinstance(wait, int | float) and not isinstance(wait, bool)
        out[code] = (waiting, float(wait) if ok else None)
    return out


def notice_of(state: Mapping[str, Any]) -> dict[str, str] | None:
    """The branch notice from a ``state/notice`` snapshot (``{}`` means none)."""
    kind = state.get("notice")
    if not isinstance(kind, str) or not kind:
        return None
    out = {"notice": kind}
    text = state.get("text")
    if isinstance(text, str) and text:
        out["text"] = text
    return out


def local_time(wall: float, content_offset_min: int, zone: str | None) -> datetime:
    """The branch's local time for a ticket (the zone wins over the fixed offset)."""
    if zone:
        from zoneinfo import ZoneInfo

        return datetime.fromtimestamp(wall, ZoneInfo(zone))
    return datetime.fromtimestamp(wall, timezone(timedelta(minutes=content_offset_min)))


def qr_payload(branch: str, ticket: IssuedTicket) -> str:
    """What the ticket's QR code says: branch and ticket, nothing about the customer."""
    return f"LOBBYQ:{branch}:{ticket.ticket_id or ticket.number}"


def ticket_data(
    content: Content,
    tr: Translator,
    ticket: IssuedTicket,
    issued_at: datetime,
    notice: str | None = None,
) -> TicketData:
    """The printed ticket: same facts as the screen plus date, time, branch and QR.

    The priority class is printed with the same words the ticket screen shows
    (``PRIORITY_LABELS``), so the paper a customer hands over says the same.
    """
    from drivers.printer.ticket import TicketData

    info = content.by_code.get(ticket.service)
    labels = {key: tr(msg) for key, msg in TICKET_LABELS.items()}
    priority = PRIORITY_LABELS.get(ticket.customer_class)
    return TicketData(
        branch_name=content.branch_name(tr.lang),
        number=ticket.number,
        service_name=content.service_name(ticket.service, tr.lang),
        lang=tr.lang,
        issued_at=issued_at,
        people_ahead=ticket.ahead,
        expected_wait_min=wait_minutes(ticket.expected_wait_s),
        prepare=pick(info.prepare, tr.lang) if info else "",
        zone=pick(info.zone, tr.lang) if info else "",
        qr_payload=qr_payload(content.branch_id, ticket),
        notice=notice,
        labels=labels,
        priority=tr(priority) if priority is not None else None,
    )
