"""The machine words the bus speaks, and what a manager reads for each (marked for translation).

Templates look a word up here and translate the English text; a word not
listed (a new event kind, a new health word) is shown as it came, so a newer
engine or device never breaks the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from lobbyq.core.staffing import pct
from lobbyq.runtime.i18n import N_

if TYPE_CHECKING:
    from console.alerts import Alert
    from lobbyq.core.staffing import Advice

__all__ = ["pct"]

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
    "disk_full": N_("disk full"),
    "write_error": N_("write error"),
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
    "counter_services_changed": N_("counter services changed"),
    "ticket_moved": N_("ticket moved"),
    "alert_acknowledged": N_("alert acknowledged"),
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

ALERT_TITLE: Mapping[str, str] = {
    "over_wait": N_("Over-long wait"),
    "low_rating": N_("Low rating"),
    "idle_counter": N_("Idle counter"),
    "ghost_call": N_("Ghost call"),
    "no_shows": N_("Repeated no-shows"),
    "device_offline": N_("Device offline"),
    "paper_out": N_("Printer out of paper"),
    "engine_log": N_("Engine log unhealthy"),
    "device_alert": N_("Device alert"),
}

#: What each alert says, with the fields of its subject (``alert_text`` fills them).
ALERT_TEXT: Mapping[str, str] = {
    "over_wait": N_("{number} ({service}) has waited {wait}."),
    "low_rating": N_(
        "{number} rated counter {counter}: {value} of {scale}. The customer may still be here."
    ),
    "idle_counter": N_("Counter {counter} calls nobody while a customer it serves waited {wait}."),
    "ghost_call": N_("{number} was finished at counter {counter} {seconds} s after the call."),
    "no_shows": N_("{count} no-shows at counter {counter} in a short time."),
    "device_offline": N_("{device} is offline."),
    "paper_out": N_("{device}: the printer is out of paper."),
    "engine_log": N_("The queue engine reports its event log as: {word}."),
    "device_alert": N_("{device}: {text}"),
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


def alert_text(tr: Callable[[str], str], alert: Alert, dur: Callable[[float | None], str]) -> str:
    """The sentence for one alert in the page's language (an unknown code: its id)."""
    template = ALERT_TEXT.get(alert.code)
    if template is None:
        return alert.id
    value = alert.value
    return tr(template).format(
        number=alert.number or "?",
        service=alert.service or "?",
        counter=alert.counter or "?",
        device=alert.device or "?",
        wait=dur(value),
        value=int(value) if value is not None else "?",
        scale=alert.scale or "?",
        seconds=int(value) if value is not None else "?",
        count=int(value) if value is not None else "?",
        word=tr(word(HEALTH, alert.word)),
        text=alert.text or alert.word or "",
    )


#: The staffing advisor's advice, by its code (``lobbyq.core.staffing``).
ADVICE_TEXT: Mapping[str, str] = {
    "open1": N_(
        "Open one more counter for {services} ({counters}): service level {now}% → {after}%."
    ),
    "open2": N_(
        "Open two more counters for {services} ({counters}): service level {now}% → {after}%."
    ),
    "release": N_("Counter {counter} can go to lunch now and {services} stays at {after}%."),
    "all_open": N_("Every counter for {services} is open and the service level is {now}%."),
    "ok": N_("No change needed: {services} at {now}%."),
}


def advice_text(tr: Callable[[str], str], advice: Advice) -> str:
    """The advice in plain words, in the page's language."""
    code = advice.code
    if code == "open":
        code = "open1" if len(advice.counters) == 1 else "open2"
    template = ADVICE_TEXT.get(code)
    if template is None:
        return advice.text_en
    p = advice.params()
    return tr(template).format(
        services=", ".join(advice.services),
        counters=", ".join(advice.counters),
        counter=p["counter"] or "",
        now=p["now_pct"],
        after=p["after_pct"],
    )
