"""Every screen in every language, and the failure screens, as PNG files.

``lobbyq kiosk --headless --screenshots DIR`` calls :func:`render_gallery`.
The states are built with the flow's own types, so the gallery shows exactly
what a customer would see; file names are ``<nn>-<screen>-<lang>.png``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Protocol

from kiosk.ui.content import Content
from kiosk.ui.flow import Customer, FlowState, IssuedTicket
from lobbyq.runtime.i18n import LANGS


class GalleryApp(Protocol):
    """What the gallery needs of a kiosk (``kiosk.app.KioskApp``), so it need not import it."""

    content: Content
    queue: dict[str, tuple[int, float | None]]

    def render_state(self, state: FlowState, path: Path) -> None: ...


def gallery_states(app: GalleryApp, lang: str) -> list[tuple[str, FlowState]]:
    """Named example states covering every screen and failure the kiosk can show."""
    codes = [s.code for s in app.content.services]
    first = codes[0]
    machine = next((s.code for s in app.content.services if s.machine), codes[-1])
    base = FlowState(lang=lang)
    ticket = IssuedTicket(f"{first}023", first, 7, 14 * 60.0, "normal", "t-demo-23")
    vip = Customer("card", "0" * 64, "**** 0017", "vip")
    return [
        ("welcome", base),
        ("welcome-notice", replace(base, notice={"notice": "power_cut"})),
        ("welcome-offline", replace(base, engine_up=False, notice={"notice": "system_failure"})),
        ("ask", replace(base, screen="ask")),
        ("ask-queue", replace(base, screen="ask")),
        ("ask-large", replace(base, screen="ask", large=True, care=True)),
        ("machine", replace(base, screen="machine", service=machine)),
        ("identify", replace(base, screen="identify", service=first)),
        ("identify-failed", replace(base, screen="identify", service=first, hint="read_failed")),
        ("ask-vip", replace(base, screen="ask", customer=vip, hint="vip")),
        ("issuing", replace(base, screen="issuing", service=first)),
        ("ticket-printing", replace(base, screen="ticket", ticket=ticket, printing="printing")),
        ("ticket-printed", replace(base, screen="ticket", ticket=ticket, printing="printed")),
        (
            "ticket-vip",
            replace(
                base,
                screen="ticket",
                ticket=replace(ticket, customer_class="vip", ahead=0, expected_wait_s=None),
                printing="printed",
            ),
        ),
        (
            "ticket-paper-out",
            replace(
                base, screen="ticket", ticket=ticket, printing="failed", print_error="paper_out"
            ),
        ),
        ("engine-down", replace(base, screen="engine_down")),
        ("refused", replace(base, screen="refused", refusal="service_closed")),
    ]


def render_gallery(app: GalleryApp, folder: Path) -> list[Path]:
    """Render all gallery states in all languages into ``folder``."""
    out: list[Path] = []
    live_queue = app.queue
    codes = [s.code for s in app.content.services]
    # waiting counts as the engine's state/queue would give them: busy, quiet, empty
    sample: dict[str, tuple[int, float | None]] = {
        code: (n, n * 120.0) for code, n in zip(codes, (7, 2, 0, 12), strict=False)
    }
    try:
        for lang in LANGS:
            for i, (name, state) in enumerate(gallery_states(app, lang)):
                app.queue = sample if name == "ask-queue" else {}
                path = folder / f"{i:02d}-{name}-{lang}.png"
                app.render_state(state, path)
                out.append(path)
    finally:
        app.queue = live_queue
    return out
