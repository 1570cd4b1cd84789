"""The hall board: merging events with retained state, and the zone layout."""

from __future__ import annotations

from display import board as b
from lobbyq.core import Call, CallsView, CounterView, NoticeView, TicketCalled


def called(number: str, counter: str, recall: bool = False) -> TicketCalled:
    return TicketCalled(1.0, f"d-{number}", number, number[0], counter, "T01", recall)


def status(counter: str, status: str) -> CounterView:
    return CounterView(counter, status, None, None, ("A",), None, (), ())


def test_event_then_its_snapshot_shows_the_call_once() -> None:
    bd = b.on_called(b.Board(), 10, called("A001", "1"))
    bd = b.on_called(bd, 12, called("B002", "2"))
    assert [c.number for c in bd.calls] == ["B002", "A001"]
    snap = CallsView((Call("B002", "2", "B", 2.0), Call("A001", "1", "A", 1.0)))
    bd = b.on_calls_state(bd, 12, snap)
    assert [c.number for c in bd.calls] == ["B002", "A001"]
    # a late event already in the snapshot is not shown twice
    assert b.on_called(bd, 11, called("A001", "1")) is bd
    # an older snapshot is ignored
    assert b.on_calls_state(bd, 5, CallsView(())) is bd


def test_a_recall_goes_back_on_top() -> None:
    bd = b.on_called(b.Board(), 1, called("A001", "1"))
    bd = b.on_called(bd, 2, called("A002", "2"))
    bd = b.on_called(bd, 3, called("A001", "1", recall=True))
    assert [c.number for c in bd.calls] == ["A001", "A002", "A001"]


def test_layout_newest_blinks_notice_wins_the_last_zone() -> None:
    bd = b.Board()
    for seq, (n, c) in enumerate([("A001", "1"), ("B002", "2"), ("C003", "3"), ("D004", "4")]):
        bd = b.on_called(bd, seq + 1, called(n, c))
    lines = b.layout(bd, 4)
    assert lines[0] == ("请 D004 号到 4 号窗口  D004 → Counter 4", True)
    assert [blink for _, blink in lines] == [True, False, False, False]
    assert lines[2][0].startswith("请 B002")
    assert lines[3][0] == b.BoardTexts().info[0]  # idle info when nothing else
    bd = b.on_counter_state(bd, 9, status("2", "paused"))
    bd = b.on_counter_state(bd, 9, status("10", "closed"))
    bd = b.on_counter_state(bd, 9, status("1", "open"))
    assert b.layout(bd, 4)[3][0] == "暂停服务窗口 Closed: 2号 10号"
    bd = b.on_notice_state(bd, 10, NoticeView("power_cut", None, 1.0))
    assert b.layout(bd, 4)[3][0].startswith("停电")
    bd = b.on_notice_state(bd, 11, None)
    assert bd.notice is None


def test_idle_and_one_zone_displays() -> None:
    assert b.layout(b.Board(), 3)[0] == ("欢迎光临  Welcome", False)
    assert b.layout(b.Board(), 1) == [("欢迎光临  Welcome", False)]
    bd = b.on_called(b.Board(), 1, called("A001", "7"))
    assert b.layout(bd, 1) == [("请 A001 号到 7 号窗口  A001 → Counter 7", True)]
    texts = b.BoardTexts(info=("one", "two"))
    assert [b.layout(b.Board(), 2, texts, tick)[1][0] for tick in range(3)] == ["one", "two", "one"]


def test_every_line_fits_a_hall_zone() -> None:
    from drivers.led.codes import HALL_TEXT_MAX_BYTES

    t = b.BoardTexts()
    longest = t.call.format(number="ABCD9999", counter="99")
    for text in (longest, t.welcome, *t.info, *t.notices.values()):
        assert len(text.encode("gb18030")) <= HALL_TEXT_MAX_BYTES, text
