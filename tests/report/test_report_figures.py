"""Report figures: hand-counted cases, and the same numbers as `lobbyq stats` on a busy day."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lobbyq.core import BranchConfig, load_branch_config
from lobbyq.report.figures import collect, count_in_bins, trend
from lobbyq.report.stats import daily_stats
from tests.report.conftest import DAY, SCENARIO

# 2026-01-05 09:00 at +08:00.
T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC).timestamp()
D = "2026-01-05"


def _ev(kind: str, at: float, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "at": T0 + at, **fields}


def _issued(n: int, at: float, service: str, quoted: float | None) -> dict[str, Any]:
    return _ev(
        "ticket_issued", at, ticket=f"{D}-{n}", number=f"{service}{n:03d}", service=service,
        expected_wait_s=quoted, identity_kind="card" if n == 1 else None,
        identity_hash="ff" * 16 if n == 1 else None,
        identity_masked="**** 0042" if n == 1 else None,
    )  # fmt: skip


def _at(kind: str, at: float, n: int, **f: Any) -> dict[str, Any]:
    base = {"ticket": f"{D}-{n}", "service": "A", "counter": "1", "teller": "t1"}
    return _ev(kind, at, **(base | f))


def hand_day() -> list[dict[str, Any]]:
    """Counter 1 open 09:00-09:30, counter 2 09:15-09:30; four tickets of service A."""
    return [
        _ev("counter_opened", 0, counter="1", teller="t1"),
        _issued(1, 60, "A", 120.0),  # waits 240 s: quoted 120 -> error -120
        _issued(2, 120, "A", 600.0),  # waits 1080 s (18 min > 15): error -480
        _issued(3, 180, "A", None),  # cancelled: no quote to check
        _issued(4, 240, "A", 900.0),  # no-show, dropped
        _at("ticket_called", 300, 1),
        _ev("counter_opened", 900, counter="2", teller="t2"),
        _at("ticket_finished", 600, 1, service_s=300.0),
        _at("ticket_called", 610, 4),
        _at("ticket_no_show", 700, 4, requeued=False),
        _ev("ticket_cancelled", 800, ticket=f"{D}-3", service="A"),
        _ev("wait_alert", 1200, ticket=f"{D}-2", service="A", waited_s=1080.0, threshold_s=900.0),
        _at("ticket_called", 1200, 2),
        _at("ticket_called", 1210, 2, recall=True),
        _at("ticket_finished", 1500, 2, service_s=290.0),
        _ev("counter_closed", 1800, counter="1", teller="t1"),
        _ev("counter_closed", 1800, counter="2", teller="t2"),
    ]


def config() -> BranchConfig:
    return load_branch_config(SCENARIO)


def test_headline_of_a_hand_counted_day() -> None:
    fig = collect(hand_day(), config(), D, D)[D]
    h = fig.headline(15.0)
    assert (h["tickets"], h["served"], h["over_wait_alerts"]) == (4, 2, 1)
    # First waits: 240, 370 (ticket 4), 1080 s; two of three within 15 minutes.
    assert h["service_level"] == 0.6667
    assert h["mean_wait_min"] == 9.4  # 563.3 s
    assert (h["no_show_rate"], h["cancelled_rate"], h["identification_rate"]) == (0.25, 0.25, 0.25)
    assert h["mean_service_min"] == round(295 / 60, 1)
    assert h["satisfaction_rate"] is None and h["unrated_rate"] is None


def test_estimate_accuracy_compares_the_quote_with_the_first_call() -> None:
    fig = collect(hand_day(), config(), D, D)[D]
    # Errors (quoted - real): 120-240 = -120, 600-1080 = -480, 900-370 = 530.
    assert fig.accuracy["A"].to_dict() == {"n": 3, "mae_s": 376.7, "bias_s": -23.3}


def test_bins_counters_open_and_counts_are_local_quarter_hours() -> None:
    fig = collect(hand_day(), config(), D, D)[D]
    bins = fig.bins(fig_tz())
    assert [datetime.fromtimestamp(b, fig_tz()).strftime("%H:%M") for b in bins] == [
        "09:00",
        "09:15",
    ]  # the last ticket event is at 09:25; counter events do not extend the day
    assert count_in_bins(fig.arrivals, bins) == [4, 0]
    assert count_in_bins(fig.finishes, bins) == [1, 1]
    assert count_in_bins(fig.alerts, bins) == [0, 1]
    # 09:01-09:15 one counter; 09:15-09:25 two (the day's activity ends at 09:25).
    assert fig.counters_open(bins) == [1.0, 2.0]


def fig_tz() -> Any:
    from lobbyq.core.dayclock import branch_tz

    return branch_tz(config())


def test_a_ticket_of_the_next_business_day_is_not_counted() -> None:
    late = _issued(9, 0, "A", None) | {"ticket": "2026-01-06-1"}
    days = collect([*hand_day(), late], config(), D, D)
    assert days[D].tally.branch.issued == 4


def test_an_empty_day_has_no_figures_and_no_division_by_zero() -> None:
    fig = collect([], config(), D, D)[D]
    h = fig.headline(15.0)
    assert h["tickets"] == 0 and h["service_level"] is None and h["mean_wait_min"] is None
    assert fig.bins(fig_tz()) == []


def test_tables_equal_lobbyq_stats_on_a_busy_day(
    day_events: list[dict[str, Any]], branch_config: BranchConfig
) -> None:
    from lobbyq.core.dayclock import branch_tz

    fig = collect(day_events, branch_config, DAY, DAY)[DAY]
    expected = daily_stats(day_events, DAY, branch_tz(branch_config))["days"][DAY]
    assert fig.stats() == expected
    assert fig.tally.branch.issued > 200


def test_period_trend_has_one_row_per_day(
    day_events: list[dict[str, Any]], branch_config: BranchConfig
) -> None:
    days = collect(day_events, branch_config, "2026-01-05", "2026-01-07")
    rows = trend(days, 15.0)
    assert [r["day"] for r in rows] == ["2026-01-05", "2026-01-06", "2026-01-07"]
    assert rows[0]["tickets"] == 0 and rows[1]["tickets"] > 200
