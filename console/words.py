"""The machine words the bus speaks, and what a manager reads for each (marked for translation).

Templates look a word up here and translate the English text; a word not
listed (a new event kind, a new health word) is shown as it came, so a newer
engine or device never breaks the page.
"""

from __future__ import annotations

from collections.abc import Mapping

from console.i18n import N_

STATUS: Mapping[str, str] = {
    "open": N_("open"),
    "paused": N_("paused"),
    "closed": N_("closed"),
}

PAUSE_REASON: Mapping[str, str] = {
    "break": N_("break"),
    "lunch": N_("lunch"),
    "other": N_("other"),
}

NOTICE: Mapping[str, str] = {
    "power_cut": N_("Power cut"),
    "system_failure": N_("System failure"),
    "custom": N_("Custom notice"),
}

CLASS: Mapping[str, str] = {
    "normal": N_("normal"),
    "vip": N_("VIP"),
    "care": N_("priority care"),
    "appointment": N_("appointment"),
}

KIND: Mapping[str, str] = {
    "engine": N_("engine"),
    "kiosk": N_("kiosk"),
    "counter": N_("counter"),
    "display": N_("display"),
    "console": N_("console"),
}

HEALTH: Mapping[str, str] = {
    "ok": N_("ok"),
    "paper_near_end": N_("paper near end"),
    "paper_out": N_("paper out"),
    "cover_open": N_("cover open"),
    "offline": N_("offline"),
    "error": N_("error"),
}

EVENT: Mapping[str, str] = {
    "day_rolled_over": N_("new business day"),
    "ticket_issued": N_("ticket issued"),
    "ticket_called": N_("called"),
    "ticket_finished": N_("finished"),
    "ticket_no_show": N_("no-show"),
    "ticket_transferred": N_("transferred"),
    "ticket_held": N_("held"),
    "ticket_cancelled": N_("cancelled"),
    "ticket_expired": N_("expired"),
    "ticket_rated": N_("rated"),
    "ticket_unrated": N_("not rated"),
    "teller_logged_in": N_("teller logged in"),
    "teller_logged_out": N_("teller logged out"),
    "counter_opened": N_("counter opened"),
    "counter_closed": N_("counter closed"),
    "counter_paused": N_("counter paused"),
    "counter_resumed": N_("counter resumed"),
    "notice_set": N_("notice set"),
    "notice_cleared": N_("notice cleared"),
    "wait_alert": N_("over-long wait"),
    "counter_advice": N_("counter advice"),
    "command_refused": N_("command refused"),
}

BLOCKED: Mapping[str, str] = {
    "broker_offline": N_("The console has lost the branch network since {since}."),
    "engine_unknown": N_("The queue engine has not reported yet."),
    "engine_offline": N_("The queue engine is offline since {since}."),
    "engine_offline_noticed": N_("The queue engine is offline (noticed at {since})."),
}

ADVICE: Mapping[str, str] = {
    "open": N_("suggests opening it"),
    "close": N_("suggests closing it"),
    "ok": N_("staffing is right"),
}

#: Which table names an event's detail word (see ``model.decode_activity``).
DETAIL: Mapping[str, Mapping[str, str]] = {
    "counter_paused": PAUSE_REASON,
    "notice_set": NOTICE,
    "counter_advice": ADVICE,
}

ROLE: Mapping[str, str] = {
    "manager": N_("manager"),
    "viewer": N_("viewer"),
}


def detail(kind: str, value: str | None) -> str:
    """The English text for an event's detail word (a pause reason, an advice)."""
    return word(DETAIL.get(kind, {}), value)


def word(table: Mapping[str, str], key: str | None) -> str:
    """The English text for a machine word, or the word itself when unknown."""
    if key is None:
        return ""
    return table.get(key, key)
