"""What other threads hand the kiosk's main loop: flow events and four shell items.

Only the loop touches the flow state and the screen. Readers, the engine
link, the print worker and the thread-safe entry points put an item in its
inbox instead: a ``kiosk.ui.flow`` event, or one of the small items below,
and the loop dispatches on the item's type.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.ui.flow import Event


@dataclass(frozen=True, slots=True)
class Touch:
    """A touch at screen pixel ``(x, y)``: the loop hit-tests it against the frame shown."""

    x: float
    y: float


@dataclass(frozen=True, slots=True)
class Screenshot:
    """Save the screen as PNG at ``path``, then set ``done`` (the asker waits on it)."""

    path: Path
    done: threading.Event


@dataclass(frozen=True, slots=True)
class QueueChanged:
    """The engine's queue figures, ``code -> (waiting, expected_wait_s)``, for the ask screen."""

    view: dict[str, tuple[int, float | None]]


@dataclass(frozen=True, slots=True)
class Wake:
    """Nothing to do but look again: ``stop()``, or a setting changed outside the loop."""


InboxItem = Event | Touch | Screenshot | QueueChanged | Wake

#: How a part of the kiosk hands the loop an item (thread-safe).
Post = Callable[[InboxItem], None]
