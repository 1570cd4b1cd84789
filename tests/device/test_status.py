"""The status board: retained births, last wills, health and alerts into rows."""

from __future__ import annotations

from lobbyq.device.status import StatusBoard, age, render
from lobbyq.protocol.messages import AlertMsg, StatusMsg
from lobbyq.protocol.topics import Topics

T = Topics("b0101")
NOW = 1_700_000_000.0


def _status(device: str, online: bool, kind: str, **health: str) -> bytes:
    return StatusMsg(device, online, kind, NOW - 30, "2.1.0", health).encode()


def test_rows_show_state_version_paper_problems_and_alerts() -> None:
    board = StatusBoard(T)
    board.expect(["engine", "kiosk-1", "counter-1", "counter-10", "counter-2", "display-hall"])
    board.feed(T.status("kiosk-1"), _status("kiosk-1", True, "kiosk", printer="paper_near_end"))
    board.feed(T.status("counter-2"), _status("counter-2", False, "counter"))
    board.feed(
        T.status("counter-1"), _status("counter-1", True, "counter", keypad="ok", strip="link_down")
    )
    board.feed(
        T.alert("kiosk-1"),
        AlertMsg("kiosk-1", "paper_low", "warning", "paper low", NOW).encode(),
    )
    board.feed(T.status("engine"), b"not json")
    rows = board.ordered()
    assert [r.device for r in rows] == [
        "engine",
        "kiosk-1",
        "counter-1",
        "counter-2",
        "counter-10",
        "display-hall",
    ]
    by = {r.device: r for r in rows}
    assert by["kiosk-1"].paper == "paper_near_end"
    assert by["counter-1"].problems == ["strip=link_down"]
    assert by["counter-2"].state == "OFFLINE"
    assert by["display-hall"].state == "never seen"
    assert by["engine"].bad_payloads == 1
    text = render(rows, NOW)
    kiosk_line = next(line for line in text.splitlines() if line.startswith("kiosk-1"))
    assert "online" in kiosk_line and " now " in kiosk_line and "warning: paper_low" in kiosk_line
    counter_line = next(line for line in text.splitlines() if line.startswith("counter-2 "))
    assert "30s ago" in counter_line  # stopped cleanly: the time of its goodbye
    assert "1 bad message(s)" in text
    assert board.exit_code() == 1


def test_all_online_is_exit_code_zero_and_foreign_topics_are_ignored() -> None:
    board = StatusBoard(T)
    board.feed(T.status("counter-1"), _status("counter-1", True, "counter"))
    assert board.feed(Topics("other").status("counter-9"), b"{}") is None
    assert board.feed(T.state_queue, b"{}") is None
    assert board.exit_code() == 0
    board.feed(T.status("counter-1"), b"")  # retained status cleared
    assert board.rows["counter-1"].state == "never seen"


def test_age_is_short() -> None:
    assert [age(s) for s in (5, 600, 7200 * 2, 86400 * 3)] == ["5s", "10m", "4h", "3d"]


def test_a_last_will_shows_when_it_was_seen_not_the_epoch() -> None:
    now = [NOW]
    board = StatusBoard(T, clock=lambda: now[0])
    will = StatusMsg("counter-4", False, "counter", 0.0, "2.1.0").encode()
    board.feed(T.status("counter-4"), will)  # retained: it died before we looked
    board.settle()
    now[0] += 90
    line = render(board.ordered(), now[0]).splitlines()[1]
    assert ">90s ago" in line and "d ago" not in line
    board.feed(T.status("counter-5"), will.replace(b"counter-4", b"counter-5"))  # dies live
    now[0] += 5
    assert board.rows["counter-5"].last_seen(now[0]) == "5s ago"
