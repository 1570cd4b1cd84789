"""Daily statistics from the event log: exact figures on a scripted day."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from lobbyq.core import event_to_dict
from lobbyq.core.dayclock import branch_tz
from lobbyq.engine import stats_cli
from lobbyq.report.stats import daily_stats, percentile


def _scripted_day(desk: Any) -> None:
    desk.staff("1", "2")
    desk.issue("A", identity={"kind": "card", "hash": "ab" * 16, "masked": "**** 0042"})
    desk.issue("A")
    desk.issue("B", identity={"kind": "id", "hash": "cd" * 16, "masked": "王*"})
    desk.advance(60)
    assert desk.called("1") == "A001"  # waited 60 s
    desk.advance(300)
    desk.do("finish", counter="1")  # served 300 s
    desk.do("rate", counter="1", value=5)
    assert desk.called("1") == "A002"  # waited 360 s
    desk.do("no_show", counter="1")  # back at the end of the queue once
    assert desk.called("2") == "B001"  # waited 360 s
    desk.do("recall", counter="2")
    desk.advance(120)
    desk.do("transfer", counter="2", to_service="A")  # keeps its arrival: first in A
    desk.issue("A")
    desk.do("cancel", ticket="A003")
    assert desk.called("1") == "B001"  # called again: not a second wait
    desk.advance(200)
    desk.do("finish", counter="1")  # served 200 s
    desk.do("rate", counter="1", value=2)
    assert desk.called("1") == "A002"
    desk.advance(100)
    desk.do("finish", counter="1")  # served 100 s
    desk.advance(61)
    desk.do("tick")  # A002 was not rated in time


def test_figures_of_a_scripted_day(desk: Any) -> None:
    _scripted_day(desk)
    result = daily_stats(desk.log)
    day = result["days"]["2026-01-05"]
    b = day["branch"]
    assert (b["issued"], b["identified"], b["identification_rate"]) == (4, 2, 0.5)
    assert (b["called"], b["recalls"], b["served"]) == (5, 1, 3)
    assert (b["no_shows"], b["no_shows_dropped"], b["cancelled"], b["transferred"]) == (1, 0, 1, 1)
    assert b["wait_s"] == {"n": 3, "mean": 260.0, "p50": 360.0, "p90": 360.0, "max": 360.0}
    assert b["service_s"] == {"n": 3, "mean": 200.0, "p50": 200.0, "p90": 280.0, "max": 300.0}
    assert b["ratings"] == {"2/5": 1, "5/5": 1}
    assert (b["rated"], b["unrated"], b["unrated_rate"], b["satisfaction_rate"]) == (
        2,
        1,
        0.3333,
        0.5,
    )
    assert day["by_service"]["A"]["issued"] == 3 and day["by_service"]["B"]["issued"] == 1
    assert day["by_service"]["B"]["transferred"] == 1
    assert day["by_counter"]["1"]["served"] == 3 and day["by_counter"]["2"]["recalls"] == 1
    assert day["by_teller"]["t1"]["rated"] == 2 and day["by_teller"]["t2"]["served"] == 0
    assert "issued" not in day["by_counter"]["1"]
    assert b["by_hour"] == {"01": {"issued": 4, "mean_wait_s": 260.0}}  # UTC by default
    local = daily_stats(desk.log, tz=branch_tz(desk.config))["days"]["2026-01-05"]["branch"]
    assert local["by_hour"] == {"09": {"issued": 4, "mean_wait_s": 260.0}}
    assert daily_stats(desk.log, day="2026-01-06") == {"days": {}}
    # Dicts (as read from the log) give the same figures as event objects.
    assert daily_stats([event_to_dict(e) for e in desk.log]) == result


def test_percentile_interpolates() -> None:
    assert percentile([0.0, 10.0], 0.5) == 5.0
    assert percentile([3.0], 0.9) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.9) == 4.6


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    stats_cli.configure(parser)
    return parser.parse_args(argv)


def test_stats_cli_reads_json_lines_and_the_engine_log(
    desk: Any, tmp_path: Path, capsys: Any
) -> None:
    _scripted_day(desk)
    lines = tmp_path / "events.jsonl"
    lines.write_text("".join(json.dumps(event_to_dict(e)) + "\n" for e in desk.log))
    assert stats_cli.run(_args(["--events", str(lines), "--json"])) == 0
    from_lines = json.loads(capsys.readouterr().out)
    assert from_lines["days"]["2026-01-05"]["branch"]["served"] == 3

    from lobbyq.engine.store import EventStore, Record

    db = tmp_path / "events.sqlite3"
    store = EventStore(db, branch="test")
    store.append(
        [Record(command_id=None, op="x", at=e.at, events=[event_to_dict(e)]) for e in desk.log]
    )
    store.close()
    assert stats_cli.run(_args(["--db", str(db), "--json"])) == 0
    assert json.loads(capsys.readouterr().out) == from_lines
    assert stats_cli.run(_args(["--db", str(db), "--day", "2026-01-05"])) == 0
    table = capsys.readouterr().out
    assert "day 2026-01-05" in table and "teller t1" in table
    assert stats_cli.run(_args(["--db", str(tmp_path / "none.sqlite3")])) == 2
