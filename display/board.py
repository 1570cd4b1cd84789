"""What the hall display shows, as pure data: latest calls, counters, notice, idle info.

The board is fed by the engine's messages, decoded by the app into their
protocol types: ``ticket_called`` events (``TicketCalled``; fast: the event
goes out before the retained state) and the retained ``state/calls``,
``state/counter/<id>`` and ``state/notice`` views (``CallsView``,
``CounterView``, ``NoticeView``; the truth after a reboot). Each carries the
event-log ``seq``; news older than what the board
already reflects is ignored, so an event and its snapshot never show a call
twice. ``layout`` turns the board into zone lines for an LED display of any
size, and the HDMI screen draws the same board.

Layout for ``n`` zones (``n`` >= 2): zones ``0..n-2`` are the latest calls,
newest first, the newest blinking; the last zone is the notice when there is
one, else a line of paused/closed counters, else the idle info text. With no
call yet, zone 0 shows the welcome line. With one zone: the newest call, or
the notice, or the welcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from lobbyq.core import CallsView, CounterView, NoticeView, TicketCalled

MAX_CALLS = 8


@dataclass(frozen=True, slots=True)
class CallLine:
    number: str
    counter: str
    service: str = ""
    at: float = 0.0


@dataclass(frozen=True, slots=True)
class BoardTexts:
    """Sentences on the hall display (one zone holds 96 GB18030 bytes)."""

    call: str = "请 {number} 号到 {counter} 号窗口  {number} → Counter {counter}"
    welcome: str = "欢迎光临  Welcome"
    info: tuple[str, ...] = ("请留意叫号 Please watch for your number",)
    paused: str = "暂停服务窗口 Closed: {counters}"
    notices: Mapping[str, str] = field(
        default_factory=lambda: {
            "power_cut": "停电，部分业务暂停，请耐心等候 Power cut: some services are paused",
            "system_failure": "系统故障，正在恢复，请耐心等候 System failure: please wait",
        }
    )


@dataclass(frozen=True, slots=True)
class Board:
    calls: tuple[CallLine, ...] = ()
    calls_seq: int = -1
    counters: Mapping[str, str] = field(default_factory=dict)  # id -> open/closed/paused
    counters_seq: Mapping[str, int] = field(default_factory=dict)
    notice: NoticeView | None = None
    notice_seq: int = -1


def on_called(board: Board, seq: int, event: TicketCalled) -> Board:
    """A ``ticket_called`` event: the call goes on top (a recall too: it is called again)."""
    if seq <= board.calls_seq:
        return board
    line = CallLine(event.number, event.counter, event.service, event.at)
    return replace(board, calls=(line, *board.calls)[:MAX_CALLS], calls_seq=seq)


def on_calls_state(board: Board, seq: int, view: CallsView) -> Board:
    """The retained latest calls, newest first."""
    if seq < board.calls_seq:
        return board
    lines = tuple(CallLine(c.number, c.counter, c.service, c.at) for c in view.calls)
    return replace(board, calls=lines[:MAX_CALLS], calls_seq=seq)


def on_counter_state(board: Board, seq: int, view: CounterView) -> Board:
    """A counter's retained view: only its status shows (paused and closed ones are listed)."""
    counter = view.counter
    if seq < board.counters_seq.get(counter, -1):
        return board
    if view.status not in ("open", "closed", "paused"):
        return board  # a status this display does not know: keep what it shows
    return replace(
        board,
        counters={**board.counters, counter: view.status},
        counters_seq={**board.counters_seq, counter: seq},
    )


def on_notice_state(board: Board, seq: int, notice: NoticeView | None) -> Board:
    if seq < board.notice_seq:
        return board
    return replace(board, notice=notice, notice_seq=seq)


def notice_text(board: Board, texts: BoardTexts) -> str | None:
    if board.notice is None:
        return None
    if board.notice.text:
        return board.notice.text
    kind = board.notice.notice
    return texts.notices.get(kind, kind)


def _sort_key(counter: str) -> tuple[int, str]:
    return (int(counter), "") if counter.isdigit() else (1 << 30, counter)


def layout(
    board: Board, zones: int, texts: BoardTexts | None = None, tick: int = 0
) -> list[tuple[str, bool]]:
    """One ``(text, blink)`` per zone; ``tick`` rotates the idle info lines."""
    t = texts or BoardTexts()
    if zones < 1:
        raise ValueError("a display has at least one zone")
    calls = [t.call.format(number=c.number, counter=c.counter) for c in board.calls]
    notice = notice_text(board, t)
    not_open = sorted((c for c, s in board.counters.items() if s != "open"), key=_sort_key)
    info = t.info[tick % len(t.info)] if t.info else t.welcome
    if zones == 1:
        if calls:
            return [(calls[0], True)]
        return [(notice or t.welcome, False)]
    out: list[tuple[str, bool]] = []
    for i in range(zones - 1):
        if i < len(calls):
            out.append((calls[i], i == 0))
        elif i == 0:
            out.append((t.welcome, False))
        else:
            out.append(("", False))
    if notice is not None:
        out.append((notice, False))
    elif not_open and board.counters:
        out.append((t.paused.format(counters=" ".join(f"{c}号" for c in not_open)), False))
    else:
        out.append((info, False))
    return out
