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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from console.i18n import N_
from drivers.mqtt.request import EngineUnavailable, Requester
from lobbyq.core.commands import NOTICES, PAUSE_REASONS

COUNTER_OPS: Mapping[str, str] = {
    "open": "open_counter",
    "close": "close_counter",
    "pause": "pause",
    "resume": "resume",
}
MAX_NOTICE_TEXT = 280
MAX_TICKET = 16
_COUNTER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,15}$")  # as branch config allows


class FormError(ValueError):
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
    """Open, close, pause (with a reason) or resume one counter."""
    op = COUNTER_OPS.get(action)
    if op is None:
        raise FormError(f"unknown counter action {action!r}")
    if not _COUNTER_ID.match(counter):
        raise FormError(f"{counter!r} is not a counter id")
    if op == "pause":
        _only(form, {"reason"})
        reason = form.get("reason", "")
        if reason not in PAUSE_REASONS:
            raise FormError(f"reason must be one of {', '.join(PAUSE_REASONS)}")
        return Command(op, {"counter": counter, "reason": reason})
    _only(form, set())
    return Command(op, {"counter": counter})


def parse_cancel(form: Mapping[str, str]) -> Command:
    """Cancel a waiting ticket by its display number (``A007``)."""
    _only(form, {"ticket"})
    ticket = form.get("ticket", "").strip().upper()
    if not ticket or len(ticket) > MAX_TICKET or not ticket.isalnum():
        raise FormError(N_("Give the ticket's number as printed, like A007."))
    return Command("cancel", {"ticket": ticket})


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
