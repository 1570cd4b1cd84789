"""A manager's form becomes one engine command, and the engine's answer comes back as words.

``parse_*`` check a submitted form against what the engine accepts (the ops
and fields of ``lobbyq/core/PROTOCOL.md``) and refuse a wrong one with a
reason before anything is sent (the reasons a person can cause are marked for
translation; the rest are for a technician). ``BusCommander`` sends through the console's
own requester (device ``console``, so the engine and its log know who asked)
and turns a reply or a silence into an :class:`Outcome`. Tests give the web
app a fake commander at construction.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from console.alerts import Alert
from console.errors import ConsoleError
from drivers.mqtt.request import EngineUnavailable, Requester
from lobbyq.core.commands import NOTICES, PAUSE_REASONS
from lobbyq.runtime.i18n import N_

COUNTER_OPS: Mapping[str, str] = {
    "open": "open_counter",
    "close": "close_counter",
    "pause": "pause",
    "resume": "resume",
}
MAX_NOTICE_TEXT = 280
MAX_TICKET = 16
MAX_SERVICES = 16
_COUNTER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,15}$")  # as branch config allows
_SERVICE_CODE = re.compile(r"^[A-Z][A-Z0-9]{0,3}$")  # as branch config allows
_ALERT_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,96}$")  # as ack_alert allows


class FormError(ConsoleError):
    """A form the console will not send; the text says which field and why."""


@dataclass(frozen=True, slots=True)
class Command:
    """One engine command as the console sends it."""

    op: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What came of a command: ``ok``, or a machine ``code`` with the engine's ``reason``."""

    ok: bool
    code: str = "ok"
    reason: str | None = None


class Commander(Protocol):
    def send(self, command: Command) -> Outcome:
        """Send one command and wait for the engine's answer (blocking)."""


def _only(form: Mapping[str, str], allowed: set[str]) -> None:
    extra = sorted(set(form) - allowed - {"csrf"})
    if extra:
        raise FormError(f"unexpected field {extra[0]!r}")


def parse_notice(form: Mapping[str, str]) -> Command:
    """Set the branch notice: power_cut, system_failure, or custom with its text."""
    _only(form, {"notice", "text"})
    notice = form.get("notice", "")
    if notice not in NOTICES:
        raise FormError(f"notice must be one of {', '.join(NOTICES)}")
    text = form.get("text", "").strip()
    if len(text) > MAX_NOTICE_TEXT:
        raise FormError(f"the notice text is longer than {MAX_NOTICE_TEXT} characters")
    if notice == "custom" and not text:
        raise FormError(N_("A custom notice needs its text."))
    fields: dict[str, Any] = {"notice": notice}
    if text:
        fields["text"] = text
    return Command("set_notice", fields)


def parse_clear_notice(form: Mapping[str, str]) -> Command:
    _only(form, set())
    return Command("clear_notice", {})


def parse_counter(counter: str, action: str, form: Mapping[str, str]) -> Command:
    """Open, close, pause (with a reason) or resume one counter, or set its services."""
    if not _COUNTER_ID.match(counter):
        raise FormError(f"{counter!r} is not a counter id")
    if action == "services":
        return parse_services(counter, form)
    op = COUNTER_OPS.get(action)
    if op is None:
        raise FormError(f"unknown counter action {action!r}")
    if op == "pause":
        _only(form, {"reason"})
        reason = form.get("reason", "")
        if reason not in PAUSE_REASONS:
            raise FormError(f"reason must be one of {', '.join(PAUSE_REASONS)}")
        return Command(op, {"counter": counter, "reason": reason})
    _only(form, set())
    return Command(op, {"counter": counter})


def _ticket(form: Mapping[str, str]) -> str:
    ticket = form.get("ticket", "").strip().upper()
    if not ticket or len(ticket) > MAX_TICKET or not ticket.isalnum():
        raise FormError(N_("Give the ticket's number as printed, like A007."))
    return ticket


def parse_cancel(form: Mapping[str, str]) -> Command:
    """Cancel a waiting ticket by its display number (``A007``).

    The waiting-ticket form also carries the move target; cancelling ignores it.
    """
    _only(form, {"ticket", "to"})
    return Command("cancel", {"ticket": _ticket(form)})


def parse_move(form: Mapping[str, str]) -> Command:
    """Send a waiting ticket to a service (``service:B``) or a counter (``counter:3``)."""
    _only(form, {"ticket", "to"})
    ticket = _ticket(form)
    kind, _, target = form.get("to", "").partition(":")
    if kind == "service" and _SERVICE_CODE.match(target):
        return Command("move_ticket", {"ticket": ticket, "to_service": target})
    if kind == "counter" and _COUNTER_ID.match(target):
        return Command("move_ticket", {"ticket": ticket, "to_counter": target})
    raise FormError(N_("Choose where the ticket goes."))


def parse_services(counter: str, form: Mapping[str, str]) -> Command:
    """The services a counter takes now, primary first: ``D, A`` (commas or spaces)."""
    _only(form, {"services"})
    codes = [c for c in re.split(r"[\s,;]+", form.get("services", "").strip().upper()) if c]
    if not codes:
        raise FormError(N_("List at least one service, primary first, like D, A."))
    if len(codes) > MAX_SERVICES or not all(_SERVICE_CODE.match(c) for c in codes):
        raise FormError(N_("List service codes, primary first, like D, A."))
    if len(set(codes)) != len(codes):
        raise FormError(N_("A service is listed twice."))
    return Command("set_counter_services", {"counter": counter, "services": codes})


def parse_ack(form: Mapping[str, str], by: str, lookup: Callable[[str], Alert | None]) -> Command:
    """Acknowledge one alert of the list, in the manager's name (``by``, from the session)."""
    _only(form, {"alert"})
    alert_id = form.get("alert", "")
    alert = lookup(alert_id) if _ALERT_ID.match(alert_id) else None
    if alert is None:
        raise FormError(N_("That alert is no longer in the list."))
    if not alert.open:
        raise FormError(N_("Someone has already acknowledged it."))
    return Command("ack_alert", {"alert": alert_id, "by": by})


class BusCommander:
    """Sends commands as the console device and waits for the engine's reply."""

    def __init__(
        self, requester: Requester, *, timeout: float = 3.0, logger: logging.Logger | None = None
    ) -> None:
        self._requester = requester
        self._timeout = timeout
        self._log = logger or logging.getLogger("lobbyq.console.actions")

    def send(self, command: Command) -> Outcome:
        try:
            reply = self._requester.request(command.op, timeout=self._timeout, **command.fields)
        except EngineUnavailable as exc:
            self._log.warning("%s: %s", command.op, exc)
            return Outcome(False, "engine_unavailable", None)
        if reply.ok:
            return Outcome(True)
        return Outcome(False, reply.code or "refused", reply.reason)
