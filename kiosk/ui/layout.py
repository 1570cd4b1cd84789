"""Where everything goes on each screen, as plain data (no pygame).

``layout(state, view) -> Frame`` returns the widgets of one frame: buttons
with their touch rectangles, text, a QR code, the logo. The pygame painter
draws a frame and hit-tests touches against its buttons, so what is drawn and
what is touchable cannot disagree, and tests check every screen in every
language for touch-target size (at least 15 mm at the panel's DPI) without a
display.

Colours are chosen for contrast (WCAG AA or better on every pairing used):
near-black on white, white on deep blue, black on notice yellow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from kiosk.ui.content import Content, pick
from kiosk.ui.flow import FlowState
from lobbyq.runtime.i18n import LANG_NAMES, LANGS, N_, Translator

MIN_TARGET_MM = 15.0

Role = Literal["primary", "secondary", "care", "care_on", "lang", "lang_on", "danger"]
Tone = Literal["text", "muted", "inverse", "alert", "number"]
PanelRole = Literal["notice", "alert", "card", "bar", "ok"]


@dataclass(frozen=True, slots=True)
class Rect:
    x: int
    y: int
    w: int
    h: int

    def contains(self, px: float, py: float) -> bool:
        return self.x <= px < self.x + self.w and self.y <= py < self.y + self.h


@dataclass(frozen=True, slots=True)
class Button:
    id: str
    rect: Rect
    text: str
    role: Role
    size: int
    lang: str


@dataclass(frozen=True, slots=True)
class Label:
    rect: Rect
    text: str
    size: int
    lang: str
    tone: Tone = "text"
    bold: bool = False
    align: Literal["left", "center"] = "left"
    middle: bool = True  # centred vertically; body text starts at the top instead


@dataclass(frozen=True, slots=True)
class Panel:
    rect: Rect
    role: PanelRole


@dataclass(frozen=True, slots=True)
class QrCode:
    rect: Rect
    payload: str


@dataclass(frozen=True, slots=True)
class Picture:
    rect: Rect
    name: str


Widget = Panel | Label | Button | QrCode | Picture


@dataclass(frozen=True, slots=True)
class Frame:
    widgets: tuple[Widget, ...]

    @property
    def buttons(self) -> tuple[Button, ...]:
        return tuple(w for w in self.widgets if isinstance(w, Button))

    def hit(self, x: float, y: float) -> str | None:
        """The button under a touch (topmost first), or ``None``."""
        for b in reversed(self.buttons):
            if b.rect.contains(x, y):
                return b.id
        return None

    def texts(self) -> list[tuple[str, str]]:
        """Every (language, text) drawn: the font-coverage test reads these."""
        out: list[tuple[str, str]] = []
        for w in self.widgets:
            if isinstance(w, Label | Button):
                out.append((w.lang, w.text))
        return out


@dataclass(frozen=True, slots=True)
class View:
    """What a frame needs besides the flow state."""

    content: Content
    tr: Mapping[str, Translator]
    width: int = 1280
    height: int = 800
    queue: Mapping[str, tuple[int, float | None]] | None = None  # code -> (waiting, wait_s)
    qr_payload: str = ""

    def px_per_mm(self) -> float:
        return self.content.dpi / 25.4

    def min_target(self) -> int:
        return int(MIN_TARGET_MM * self.px_per_mm() + 0.999)


# Strings that only the layout uses; N_ marks them for the catalogs.
S_START = N_("Take a number")
S_START_HINT = N_("You may swipe your bank card, place your ID card or scan an appointment code.")
S_CARE = N_("Priority care")
S_CARE_ON = N_("Priority care: on")
S_CARE_HINT = N_("Elderly, disabled or pregnant? Tap here.")
S_LARGE = N_("Larger text")
S_BACK = N_("Back")
S_HOME = N_("Start over")
S_ASK = N_("What would you like to do today?")
S_WAITING = N_("{waiting} waiting · about {minutes} min")
S_WAITING_NONE = N_("{waiting} waiting")
S_NO_WAIT = N_("No wait")
S_MACHINE_TITLE = N_("A self-service machine can do this for you, with no wait.")
S_MACHINE_USE = N_("I will use a machine")
S_MACHINE_TICKET = N_("Take a ticket anyway")
S_IDENTIFY = N_("Identify yourself for your priority and appointments")
S_CARD = N_("Swipe or insert your bank card")
S_IDCARD = N_("Place your ID card on the reader")
S_QR = N_("Show your appointment code to the scanner")
S_SKIP = N_("Continue without")
S_ISSUING = N_("Taking your number, one moment…")
S_YOUR_NUMBER = N_("Your number")
S_AHEAD = N_("People ahead")
S_WAIT = N_("Expected wait")
S_MINUTES = N_("{minutes} min")
S_WAIT_UNKNOWN = N_("to be announced")
S_ZONE = N_("Please wait in")
S_PREPARE = N_("Please have ready")
S_PRINTING = N_("Printing your ticket…")
S_PRINTED = N_("Please take your ticket below.")
S_PRINT_FAILED = N_("The printer is not working. Please remember your number.")
S_QR_HINT = N_("Scan this code with your phone to keep your number.")
S_DONE = N_("Done")
S_OK = N_("OK")
S_ENGINE_DOWN = N_("The queue system cannot be reached.")
S_ENGINE_DOWN_BODY = N_("No number was issued. Please ask a member of staff for help.")
S_ENGINE_OFFLINE = N_("The queue system is offline. Please ask a member of staff.")
S_REFUSED = N_("We could not issue a number for this service.")
S_REFUSED_BODY = N_("The service may be closed now. Please ask a member of staff.")
S_NOTICE_TITLE = N_("Notice")
S_NOTICE_POWER = N_("Power cut: some services may be slower. Thank you for your patience.")
S_NOTICE_FAILURE = N_("System failure: some services are not available. Staff will help you.")

HINTS: Mapping[str, str] = {
    "vip": N_("Welcome back. Your priority service is recognised."),
    "appointment": N_("Your appointment is checked in."),
    "appointment_not_due": N_("Your appointment is not due now; you are served as a walk-in."),
    "identified": N_("Thank you, you are identified."),
    "read_failed": N_("That could not be read. Please try again, or continue without."),
}

PRIORITY_LABELS: Mapping[str, str] = {
    "vip": N_("Priority service"),
    "care": N_("Priority care"),
    "appointment": N_("Appointment"),
}


def notice_text(notice: Mapping[str, str] | None, tr: Translator) -> str | None:
    """The branch notice in the customer's language (custom text is shown as written)."""
    if not notice:
        return None
    kind = notice.get("notice")
    if kind == "power_cut":
        return tr(S_NOTICE_POWER)
    if kind == "system_failure":
        return tr(S_NOTICE_FAILURE)
    text = notice.get("text")
    return text or None


def wait_minutes(wait_s: float | None) -> int | None:
    """Whole minutes, rounded up: a customer told "3 min" should not wait 3:40."""
    if wait_s is None:
        return None
    return max(0, int(-(-wait_s // 60)))


class _Builder:
    def __init__(self, state: FlowState, view: View) -> None:
        self.s = state
        self.v = view
        self.tr = view.tr[state.lang]
        self.lang = state.lang
        self.k = 1.25 if state.large else 1.0
        self.t = view.min_target()
        self.W, self.H = view.width, view.height
        self.pad = max(12, self.W // 64)
        self.out: list[Widget] = []

    def fs(self, base: int, *, fixed: bool = False) -> int:
        """A font size scaled to the panel height and (unless ``fixed``) the large-text mode."""
        return max(12, int(base * self.H / 800 * (1.0 if fixed else self.k)))

    def label(self, rect: Rect, text: str, base: int, **kw: object) -> None:
        lang = kw.pop("lang", self.lang)
        self.out.append(Label(rect, text, self.fs(base), str(lang), **kw))  # type: ignore[arg-type]

    def button(
        self,
        id: str,
        rect: Rect,
        text: str,
        role: Role,
        base: int = 34,
        lang: str | None = None,
        *,
        fixed: bool = False,
    ) -> None:
        w, h = max(rect.w, self.t), max(rect.h, self.t)
        size = self.fs(base, fixed=fixed)
        self.out.append(Button(id, Rect(rect.x, rect.y, w, h), text, role, size, lang or self.lang))

    # -- chrome shared by every screen -----------------------------------

    def top_bar(self, with_langs: bool = True) -> int:
        bar_h = self.t + 2 * self.pad
        self.out.append(Panel(Rect(0, 0, self.W, bar_h), "bar"))
        logo = self.t
        self.out.append(Picture(Rect(self.pad, self.pad, logo, logo), "logo"))
        x_right = self.W - self.pad
        large_w = max(self.t, int(self.W * 0.11))
        x_right -= large_w
        large_role: Role = "lang_on" if self.s.large else "secondary"  # lit while on
        self.button(
            "large", Rect(x_right, self.pad, large_w, self.t), self.tr(S_LARGE), large_role, 24
        )
        if with_langs:
            lang_w = max(self.t, int(self.W * 0.115))
            for lang in reversed(LANGS):
                x_right -= lang_w + self.pad // 2
                role: Role = "lang_on" if lang == self.lang else "lang"
                self.button(
                    f"lang:{lang}",
                    Rect(x_right, self.pad, lang_w, self.t),
                    LANG_NAMES[lang],
                    role,
                    26,
                    lang,
                    fixed=True,  # each language's own name: read by its speakers, not resized
                )
        x = self.pad * 2 + logo
        name = self.v.content.branch_name(self.lang)
        self.label(
            Rect(x, self.pad, x_right - x - self.pad, self.t), name, 34, bold=True, tone="inverse"
        )
        return bar_h + self.pad

    def bottom_bar(self, back: str | None, care_hint: bool = True) -> int:
        y = self.H - self.t - self.pad
        care_w = max(self.t, int(self.W * 0.36))
        role: Role = "care_on" if self.s.care else "care"
        text = self.tr(S_CARE_ON) if self.s.care else self.tr(S_CARE)
        self.button("care", Rect(self.pad, y, care_w, self.t), text, role, 30)
        hint_x = self.pad * 2 + care_w
        if back is not None:
            bw = max(self.t, int(self.W * 0.17))
            bx = self.W - self.pad - bw
            label = self.tr(S_BACK) if back == "back" else self.tr(S_HOME)
            self.button(back, Rect(bx, y, bw, self.t), label, "secondary", 30)
            hint_w = bx - hint_x - self.pad
        else:
            hint_w = self.W - hint_x - self.pad
        if care_hint and not self.s.care:
            self.label(Rect(hint_x, y, hint_w, self.t), self.tr(S_CARE_HINT), 24, tone="muted")
        return y - self.pad

    def banner(self, y: int, text: str, role: PanelRole = "notice") -> int:
        h = int(self.fs(28) * 2.6)
        r = Rect(self.pad, y, self.W - 2 * self.pad, h)
        self.out.append(Panel(r, role))
        tone: Tone = "text" if role == "notice" else "inverse"
        inner = Rect(r.x + self.pad, r.y, r.w - 2 * self.pad, r.h)
        self.label(inner, text, 28, bold=True, tone=tone)
        return y + h + self.pad

    def hint(self, y: int) -> int:
        if self.s.hint is None:
            return y
        role: PanelRole = "alert" if self.s.hint == "read_failed" else "ok"
        return self.banner(y, self.tr(HINTS[self.s.hint]), role)

    # -- screens -----------------------------------------------------------

    def welcome(self) -> None:
        y = self.top_bar()
        bottom = self.bottom_bar(None)
        if not self.s.engine_up:
            y = self.banner(y, self.tr(S_ENGINE_OFFLINE), "alert")
        note = notice_text(self.s.notice, self.tr)
        if note:
            y = self.banner(y, f"{self.tr(S_NOTICE_TITLE)}{self.tr(': ')}{note}")
        y = self.hint(y)
        start_h = max(self.t, int(self.H * 0.16 * self.k))
        start_y = bottom - start_h - self.fs(24) * 2 - self.pad
        slides = self.v.content.slides
        if slides and start_y - y > self.fs(30) * 3:
            slide = slides[self.s.slide % len(slides)]
            card = Rect(self.pad, y, self.W - 2 * self.pad, start_y - y - self.pad)
            self.out.append(Panel(card, "card"))
            inner = Rect(
                card.x + 2 * self.pad,
                card.y + self.pad,
                card.w - 4 * self.pad,
                card.h - 2 * self.pad,
            )
            title_h = int(self.fs(40) * 1.6)
            body_h = inner.h - title_h
            if body_h < int(self.fs(32) * 1.3) * 3:
                # Notices take the room: the slide keeps its title, centred.
                self.label(inner, pick(slide.title, self.lang), 40, bold=True)
            else:
                self.label(
                    Rect(inner.x, inner.y, inner.w, title_h),
                    pick(slide.title, self.lang),
                    40,
                    bold=True,
                )
                self.label(
                    Rect(inner.x, inner.y + title_h, inner.w, body_h),
                    pick(slide.body, self.lang),
                    32,
                    middle=False,
                )
        start_w = int(self.W * 0.6)
        self.button(
            "start",
            Rect((self.W - start_w) // 2, start_y, start_w, start_h),
            self.tr(S_START),
            "primary",
            48,
        )
        self.label(
            Rect(
                self.pad, start_y + start_h + self.pad // 2, self.W - 2 * self.pad, self.fs(24) * 2
            ),
            self.tr(S_START_HINT),
            24,
            tone="muted",
            align="center",
        )

    def ask(self) -> None:
        y = self.top_bar()
        bottom = self.bottom_bar("back")
        y = self.hint(y)
        self.label(
            Rect(self.pad, y, self.W - 2 * self.pad, int(self.fs(36) * 1.5)),
            self.tr(S_ASK),
            36,
            bold=True,
        )
        y += int(self.fs(36) * 1.5) + self.pad
        groups = self.v.content.groups
        head_h = int(self.fs(28) * 1.5)
        avail = bottom - (y + head_h)
        # As many rows as fit at the minimum target height; a group too long for
        # that spreads over several columns, so a small panel still gets 15 mm keys.
        rows_fit = max(1, (avail + self.pad) // (self.t + self.pad))
        spans = [max(1, -(-len(g.services) // rows_fit)) for g in groups]
        cols = max(1, sum(spans))
        col_w = (self.W - self.pad * (cols + 1)) // cols
        col = 0
        for g, span in zip(groups, spans, strict=True):
            x0 = self.pad + col * (col_w + self.pad)
            group_w = span * col_w + (span - 1) * self.pad
            self.label(
                Rect(x0, y, group_w, head_h), pick(g.names, self.lang), 28, bold=True, tone="muted"
            )
            rows = -(-len(g.services) // span)
            bh = max(
                self.t,
                min(int(self.H * 0.2 * self.k), (avail - self.pad * (rows - 1)) // rows),
            )
            for k, code in enumerate(g.services):
                x = x0 + (k // rows) * (col_w + self.pad)
                by = y + head_h + (k % rows) * (bh + self.pad)
                self.button(
                    f"svc:{code}", Rect(x, by, col_w, bh), self._service_text(code), "primary", 32
                )
            col += span

    def _service_text(self, code: str) -> str:
        text = self.v.content.service_name(code, self.lang)
        q = (self.v.queue or {}).get(code)
        if q is None:
            return text
        waiting, wait_s = q
        if waiting == 0:
            return f"{text}\n{self.tr(S_NO_WAIT)}"
        minutes = wait_minutes(wait_s)
        sub = (
            self.tr.format(S_WAITING, waiting=waiting, minutes=minutes)
            if minutes is not None
            else self.tr.format(S_WAITING_NONE, waiting=waiting)
        )
        return f"{text}\n{sub}"

    def machine(self) -> None:
        y = self.top_bar()
        bottom = self.bottom_bar("back")
        svc = self.v.content.service_name(self.s.service or "", self.lang)
        self.label(
            Rect(self.pad, y, self.W - 2 * self.pad, self.fs(40) * 3),
            self.tr(S_MACHINE_TITLE),
            40,
            bold=True,
        )
        y += self.fs(40) * 3 + self.pad
        self.label(Rect(self.pad, y, self.W - 2 * self.pad, self.fs(30) * 2), svc, 30, tone="muted")
        y += self.fs(30) * 2
        where = pick(self.v.content.machine_where, self.lang)
        y = self.banner(y, where, "ok")
        bw = (self.W - 3 * self.pad) // 2
        bh = max(self.t, min(int(self.H * 0.18 * self.k), bottom - y - self.pad))
        by = bottom - bh
        self.button(
            "use_machine", Rect(self.pad, by, bw, bh), self.tr(S_MACHINE_USE), "primary", 36
        )
        self.button(
            "take_ticket",
            Rect(2 * self.pad + bw, by, bw, bh),
            self.tr(S_MACHINE_TICKET),
            "secondary",
            36,
        )

    def identify(self) -> None:
        y = self.top_bar()
        bottom = self.bottom_bar("back")
        y = self.hint(y)
        svc = self.v.content.service_name(self.s.service or "", self.lang)
        self.label(
            Rect(self.pad, y, self.W - 2 * self.pad, int(self.fs(26) * 1.5)), svc, 26, tone="muted"
        )
        y += int(self.fs(26) * 1.5)
        self.label(
            Rect(self.pad, y, self.W - 2 * self.pad, self.fs(36) * 2),
            self.tr(S_IDENTIFY),
            36,
            bold=True,
        )
        y += self.fs(36) * 2 + self.pad
        skip_h = max(self.t, int(self.H * 0.14 * self.k))
        cards_h = bottom - y - skip_h - 2 * self.pad
        cw = (self.W - 4 * self.pad) // 3
        for i, text in enumerate((S_CARD, S_IDCARD, S_QR)):
            r = Rect(self.pad + i * (cw + self.pad), y, cw, cards_h)
            self.out.append(Panel(r, "card"))
            self.label(
                Rect(r.x + self.pad, r.y, r.w - 2 * self.pad, r.h),
                self.tr(text),
                30,
                align="center",
                bold=True,
            )
        sw = int(self.W * 0.5)
        self.button(
            "skip",
            Rect((self.W - sw) // 2, bottom - skip_h, sw, skip_h),
            self.tr(S_SKIP),
            "primary",
            40,
        )

    def issuing(self) -> None:
        y = self.top_bar(with_langs=False)
        self.label(
            Rect(self.pad, y, self.W - 2 * self.pad, self.H - y - self.pad),
            self.tr(S_ISSUING),
            44,
            align="center",
            bold=True,
        )

    def ticket(self) -> None:
        t = self.s.ticket
        assert t is not None
        y = self.top_bar(with_langs=False)
        bottom = self.bottom_bar(None, care_hint=False)
        if self.s.printing == "failed":
            y = self.banner(y, self.tr(S_PRINT_FAILED), "alert")
        left_w = int(self.W * 0.48)
        self.label(
            Rect(self.pad, y, left_w, self.fs(34) * 2), self.tr(S_YOUR_NUMBER), 34, align="center"
        )
        y0 = y + self.fs(34) * 2
        num_h = int(self.H * (0.26 if self.s.printing == "failed" else 0.3))
        self.out.append(
            Label(
                Rect(self.pad, y0, left_w, num_h),
                t.number,
                int(num_h * 0.8),
                self.lang,
                "number",
                True,
                "center",
            )
        )
        y1 = y0 + num_h
        self.label(
            Rect(self.pad, y1, left_w, self.fs(32) * 3),
            self.v.content.service_name(t.service, self.lang),
            32,
            bold=True,
            align="center",
        )
        if t.customer_class in PRIORITY_LABELS:
            self.label(
                Rect(self.pad, y1 + self.fs(32) * 3, left_w, self.fs(26) * 2),
                self.tr(PRIORITY_LABELS[t.customer_class]),
                26,
                tone="muted",
                align="center",
            )
        x = self.pad * 2 + left_w
        rw = self.W - x - self.pad
        minutes = wait_minutes(t.expected_wait_s)
        wait = (
            self.tr.format(S_MINUTES, minutes=minutes)
            if minutes is not None
            else self.tr(S_WAIT_UNKNOWN)
        )
        info = self.v.content.by_code.get(t.service)
        rows = [(S_AHEAD, str(t.ahead)), (S_WAIT, wait)]
        if info is not None:
            rows.append((S_ZONE, pick(info.zone, self.lang)))
        ry = y
        row_h = int(self.fs(30) * 1.6)
        for key, value in rows:
            self.label(
                Rect(x, ry, rw, row_h),
                f"{self.tr(key)}{self.tr(': ')}{value}",
                30,
                bold=key == S_ZONE,
            )
            ry += row_h
        prepare = pick(info.prepare, self.lang) if info is not None else ""
        qr_side = 0
        head_h = int(self.fs(26) * 1.5)
        need = head_h + int(self.fs(26) * 1.3) * 2 if prepare else 0
        if self.s.printing == "failed" and self.v.qr_payload:
            # The QR code shrinks (not below a phone-scannable size) so that
            # what to prepare stays on screen: the printout that says it failed.
            room = bottom - ry - need - self.pad
            qr_side = max(int(self.t * 1.1), min(int(self.H * 0.2), room))
        if prepare:
            ph = bottom - ry - head_h - (qr_side + self.pad if qr_side else 0)
            if ph >= int(self.fs(26) * 1.3):
                self.label(Rect(x, ry, rw, head_h), self.tr(S_PREPARE), 26, tone="muted")
                self.label(Rect(x, ry + head_h, rw, ph), prepare, 26, middle=False)
        if qr_side:
            qy = bottom - qr_side
            self.out.append(QrCode(Rect(x, qy, qr_side, qr_side), self.v.qr_payload))
            self.label(
                Rect(x + qr_side + self.pad, qy, rw - qr_side - self.pad, qr_side),
                self.tr(S_QR_HINT),
                26,
            )
        status = {
            "printing": self.tr(S_PRINTING),
            "printed": self.tr(S_PRINTED),
            "failed": "",  # the red banner above already says it
            "none": "",
        }[self.s.printing]
        dw = max(self.t, int(self.W * 0.2))
        by = self.H - self.t - self.pad
        self.button(
            "done", Rect(self.W - self.pad - dw, by, dw, self.t), self.tr(S_DONE), "primary", 32
        )
        # The care button stays visible (bottom bar); the status sits between the two.
        care_w = max(self.t, int(self.W * 0.36))
        sx = self.pad * 2 + care_w
        self.label(
            Rect(sx, by, self.W - dw - sx - 2 * self.pad, self.t),
            status,
            26,
            bold=True,
            tone="alert" if self.s.printing == "failed" else "text",
        )

    def message(self, title: str, body: str) -> None:
        y = self.top_bar()
        bottom = self.bottom_bar(None)
        y = self.banner(y + self.pad, self.tr(title), "alert")
        self.label(Rect(self.pad * 2, y, self.W - 4 * self.pad, self.fs(32) * 4), self.tr(body), 32)
        ow = int(self.W * 0.4)
        oh = max(self.t, int(self.H * 0.14))
        self.button(
            "ok", Rect((self.W - ow) // 2, bottom - oh, ow, oh), self.tr(S_OK), "primary", 40
        )


def layout(state: FlowState, view: View) -> Frame:
    """The widgets of the screen ``state`` is on."""
    b = _Builder(state, view)
    screen = state.screen
    if screen == "welcome":
        b.welcome()
    elif screen == "ask":
        b.ask()
    elif screen == "machine":
        b.machine()
    elif screen == "identify":
        b.identify()
    elif screen == "issuing":
        b.issuing()
    elif screen == "ticket":
        b.ticket()
    elif screen == "engine_down":
        b.message(S_ENGINE_DOWN, S_ENGINE_DOWN_BODY)
    else:
        b.message(S_REFUSED, S_REFUSED_BODY)
    return Frame(tuple(b.out))
