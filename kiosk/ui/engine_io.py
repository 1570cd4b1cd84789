"""Translate between the engine's messages and the flow, purely.

The engine's messages are decoded once, by the protocol types
(``lobbyq.protocol``): the ``issue_ticket`` reply's ``ticket_issued``
event (``lobbyq.core.TicketIssued``) becomes the flow's ``IssuedTicket``,
and the retained ``state/queue`` and ``state/notice`` views become what the
screens show. A message that does not decode raises ``ProtocolError`` (or,
for a reply, reads as "no ticket"); fields a newer engine adds are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from kiosk.ui.content import Content, pick
from kiosk.ui.flow import IssuedTicket, RequestTicket
from kiosk.ui.layout import PRIORITY_LABELS, wait_minutes
from lobbyq.core import CommandRefused, TicketIssued
from lobbyq.protocol import views
from lobbyq.protocol.events import decode_records, first_of
from lobbyq.protocol.messages import ProtocolError
from lobbyq.runtime.i18n import N_, Translator

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


def ticket_from_reply(events: Sequence[Mapping[str, Any]]) -> IssuedTicket | None:
    """The issued ticket in a reply's event records, or ``None`` if there is none."""
    try:
        ev = first_of(decode_records(events), TicketIssued)
    except ProtocolError:
        return None
    if ev is None:
        return None
    return IssuedTicket(
        number=ev.number,
        service=ev.service,
        ahead=ev.ahead,
        expected_wait_s=ev.expected_wait_s,
        customer_class=ev.customer_class,
        ticket_id=ev.ticket,
    )


def refusal_of(events: Sequence[Mapping[str, Any]]) -> str | None:
    """The refusal code among a reply's event records, if the core refused the command."""
    try:
        refused = first_of(decode_records(events), CommandRefused)
    except ProtocolError:
        return None
    return refused.code if refused is not None else None


def queue_view(state: Mapping[str, Any]) -> dict[str, tuple[int, float | None]]:
    """``code -> (waiting, expected_wait_s)`` from a ``state/queue`` view (or ``ProtocolError``)."""
    view = views.queue_view(state)
    return {code: (q.waiting, q.expected_wait_s) for code, q in view.services.items()}


def notice_of(state: Mapping[str, Any]) -> dict[str, str] | None:
    """The notice from a ``state/notice`` view (``{}``: none), or ``ProtocolError``."""
    notice = views.notice_view(state)
    if notice is None:
        return None
    out = {"notice": notice.notice}
    if notice.text:
        out["text"] = notice.text
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
