"""The staffing advisor: Erlang C against published figures, edge cases, properties, the sim."""

from __future__ import annotations

import heapq
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lobbyq.core import BranchConfig
from lobbyq.core.staffing import (
    ALL_OPEN,
    NO_CHANGE,
    OPEN_MORE,
    RELEASE,
    Group,
    StaffingInputs,
    advise_state,
    counter_groups,
    erlang_b,
    erlang_c,
    forecast,
    inputs_from_state,
    pct,
    predict,
)

ROOT = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------- published figures


def test_westbay_worked_example() -> None:
    # Westbay Engineers, "The Erlang-C formula" (the worked example of their
    # Erlang C page): 360 calls per half hour, 4 min average call, 55 agents,
    # 15 s target. Traffic 48 Erlangs, occupancy 87.3%, probability of waiting
    # 23.9%, average speed of answer 8.2 s, service level 84.6%.
    p = predict(55, 360 / 30, 240.0, 15.0)
    assert p.load_erlangs == pytest.approx(48.0)
    assert p.utilisation == pytest.approx(0.873, abs=5e-4)
    assert p.p_wait == pytest.approx(0.2387, abs=5e-4)
    assert p.mean_wait_s == pytest.approx(8.2, abs=0.05)
    assert p.service_level == pytest.approx(0.846, abs=5e-4)


def test_call_centre_helper_example() -> None:
    # Call Centre Helper, "Erlang C formula - made simple": 100 calls in 30 min,
    # 180 s handling time (10 Erlangs), 20 s target; 11 agents: probability of
    # waiting 68.21%, service level 39%.
    p = predict(11, 100 / 30, 180.0, 20.0)
    assert p.load_erlangs == pytest.approx(10.0)
    assert p.p_wait == pytest.approx(0.6821, abs=5e-5)
    assert pct(p.service_level) == 38  # 38.96%: "39%" in the article, floored here


def test_erlang_b_table_value() -> None:
    # The standard Erlang B table (e.g. Cooper, Introduction to Queueing Theory,
    # table of B(c, a)): 10 servers at 10 Erlangs block 21.46%; 5 at 2, 3.67%.
    assert erlang_b(10, 10.0) == pytest.approx(0.2146, abs=5e-5)
    assert erlang_b(5, 2.0) == pytest.approx(0.0367, abs=5e-5)


@given(st.floats(min_value=0.01, max_value=0.99))
def test_one_and_two_servers_closed_forms(rho: float) -> None:
    # Cooper, section 3.3 (and any queueing text): M/M/1 waits with probability
    # rho and mean rho/(mu - lambda); M/M/2 waits with probability 2 rho^2/(1+rho).
    mean_s = 60.0
    one = predict(1, rho, mean_s, 0.0)
    assert one.p_wait == pytest.approx(rho)
    assert one.mean_wait_s == pytest.approx(rho * mean_s / (1.0 - rho))
    assert one.service_level == pytest.approx(1.0 - rho)  # target 0: only who never waits
    two = predict(2, 2 * rho, mean_s, 0.0)
    assert two.p_wait == pytest.approx(2 * rho**2 / (1 + rho))


@given(st.integers(min_value=1, max_value=20), st.floats(min_value=0.0, max_value=0.999))
def test_recursion_matches_the_factorial_formula(c: int, rho: float) -> None:
    a = rho * c
    top = a**c / math.factorial(c) * c / (c - a)
    textbook = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    assert erlang_c(c, a) == pytest.approx(textbook, rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------- edge cases


@pytest.mark.parametrize("c, a", [(1, 1.0), (2, 2.0), (3, 7.5), (50, 50.0)])
def test_unstable_load_is_reported_not_divided_by_zero(c: int, a: float) -> None:
    p = predict(c, a, 60.0, 300.0)
    assert not p.stable
    assert p.service_level == 0.0
    assert p.p_wait == 1.0
    assert math.isinf(p.mean_wait_s)
    d = p.to_dict()
    assert d["mean_wait_s"] is None and d["stable"] is False
    json.dumps(d, allow_nan=False)


def test_no_counter_and_no_customer() -> None:
    assert not predict(0, 1.0, 60.0, 60.0).stable
    idle = predict(0, 0.0, 60.0, 60.0)
    assert idle.stable and idle.service_level == 1.0 and idle.mean_wait_s == 0.0
    quiet = predict(3, 0.0, 300.0, 60.0)
    assert quiet.p_wait == 0.0 and quiet.service_level == 1.0 and quiet.utilisation == 0.0


@pytest.mark.parametrize("c", [50, 100, 500])
def test_stable_for_many_counters_near_full_load(c: int) -> None:
    for rho in (0.5, 0.9, 0.99, 0.9999):
        p = predict(c, rho * c, 60.0, 60.0)
        assert p.stable
        assert 0.0 < p.p_wait < 1.0
        assert 0.0 <= p.service_level <= 1.0
        assert math.isfinite(p.mean_wait_s) and p.mean_wait_s > 0.0


@pytest.mark.parametrize(
    "args", [(-1, 1.0, 60.0, 60.0), (1, -1.0, 60.0, 60.0), (1, math.nan, 60.0, 60.0)]
)
def test_nonsense_inputs_are_refused(args: tuple[int, float, float, float]) -> None:
    with pytest.raises(ValueError):
        predict(*args)


# ---------------------------------------------------------------- properties

loads = st.floats(min_value=0.0, max_value=40.0, allow_nan=False)
counters = st.integers(min_value=0, max_value=60)


@given(counters, loads, st.floats(min_value=0.0, max_value=30.0))
def test_service_level_grows_with_counters(c: int, a: float, target_min: float) -> None:
    now = predict(c, a, 60.0, target_min * 60.0)
    more = predict(c + 1, a, 60.0, target_min * 60.0)
    assert more.service_level >= now.service_level - 1e-12
    assert more.mean_wait_s <= now.mean_wait_s
    assert 0.0 <= now.p_wait <= 1.0 and 0.0 <= now.service_level <= 1.0


@given(counters, loads, loads, st.floats(min_value=0.0, max_value=30.0))
def test_service_level_falls_with_load(c: int, a: float, b: float, target_min: float) -> None:
    low, high = sorted((a, b))
    at_low = predict(c, low, 60.0, target_min * 60.0)
    at_high = predict(c, high, 60.0, target_min * 60.0)
    assert at_high.service_level <= at_low.service_level + 1e-12
    assert at_high.p_wait >= at_low.p_wait - 1e-12


@given(st.integers(min_value=1, max_value=60), st.floats(min_value=0.0, max_value=60.0))
def test_waiting_is_likelier_than_blocking(c: int, a: float) -> None:
    assert erlang_c(c, a) >= erlang_b(c, a) - 1e-12


# ---------------------------------------------------------------- groups


def _config(counters: list[dict[str, Any]], **branch: Any) -> BranchConfig:
    return BranchConfig.from_dict(
        {
            "branch": {"id": "t", "target_wait_min": 5, **branch},
            "services": [
                {"code": "A", "expected_min": 10},
                {"code": "B", "expected_min": 8},
                {"code": "D", "expected_min": 3},
                {"code": "S", "self_service": True},
            ],
            "counters": counters,
        }
    )


def test_groups_pool_counters_that_share_a_service() -> None:
    cfg = _config(
        [
            {"id": "1", "services": ["A", "B"]},
            {"id": "2", "services": ["B"]},
            {"id": "3", "services": ["D"]},
            {"id": "4", "services": ["D", "S"]},
        ]
    )
    assert counter_groups(cfg) == (Group(("A", "B"), ("1", "2")), Group(("D",), ("3", "4")))
    # The demo branch's counters all share services with each other: one pool.
    (demo,) = counter_groups(BranchConfig.default())
    assert demo == Group(("A", "B", "C", "D"), ("1", "2", "3", "4"))


# ---------------------------------------------------------------- advice

D_ONLY = [{"id": str(i), "services": ["D"]} for i in range(1, 5)]


def _advice(open_ids: str, per_min: float, idle: str = "", **kw: Any) -> Any:
    cfg = _config(D_ONLY)
    inputs = StaffingInputs(
        arrivals_per_min={"D": per_min},
        mean_service_s={"D": 180.0},
        open_counters=frozenset(open_ids),
        idle_counters=frozenset(idle),
    )
    (f,) = forecast(cfg, inputs, **kw)
    return f


def test_open_one_more_counter() -> None:
    f = _advice("12", 0.6)  # 1.8 Erlangs on two counters
    a = f.advice
    assert a.code == OPEN_MORE and a.counters == ("3",)
    assert a.service_level_now < 0.8 <= a.service_level_after
    assert a.reaches_goal
    assert a.text_en == (
        f"open one more counter for D: service level {pct(f.options[0].service_level)}%"
        f" -> {pct(f.options[1].service_level)}%"
    )
    assert sorted(f.options) == [-1, 0, 1, 2]
    assert [f.options[d].counters for d in (-1, 0, 1, 2)] == [1, 2, 3, 4]


def test_open_two_when_one_is_not_enough() -> None:
    f = _advice("1", 0.5)  # 1.5 Erlangs on one counter: unstable; two: not enough
    assert not f.options[0].stable
    assert f.options[1].service_level < 0.8 <= f.options[2].service_level
    assert f.advice.code == OPEN_MORE and f.advice.counters == ("2", "3")
    assert f.advice.text_en.startswith("open two more counters for D: service level 0% -> ")


def test_release_an_idle_counter_for_lunch() -> None:
    f = _advice("123", 0.3, idle="23")
    a = f.advice
    assert a.code == RELEASE and a.counters == ("3",)
    assert a.service_level_after == f.options[-1].service_level >= 0.9
    assert a.text_en == f"counter 3 can go to lunch now and D stays at {a.params()['after_pct']}%"


def test_no_change_and_every_counter_open() -> None:
    assert _advice("123", 0.6).advice.code == NO_CHANGE
    full = _advice("1234", 1.5)
    assert full.advice.code == ALL_OPEN and full.advice.counters == ()
    assert full.advice.text_en.startswith("every counter for D is open")


def test_never_advises_closing_the_last_counter() -> None:
    f = _advice("1", 0.0, idle="1")
    assert f.options[-1].service_level == 1.0
    assert f.advice.code == NO_CHANGE
    assert f.advice.text_en == "no change needed: D at 100%"


def test_forecast_is_json_safe_with_an_unstable_option() -> None:
    f = _advice("1", 0.5)
    d = f.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["options"]["0"]["mean_wait_s"] is None
    assert d["advice"]["params"]["counters"] == ["2", "3"]


@given(
    st.integers(min_value=1, max_value=4),
    st.floats(min_value=0.0, max_value=3.0),
    st.floats(min_value=30.0, max_value=900.0),
)
def test_advice_does_not_flap(n_open: int, per_min: float, mean_s: float) -> None:
    """Following the advice never brings the opposite advice at the same load."""
    cfg = _config(D_ONLY)

    def run(open_ids: set[str]) -> Any:
        inputs = StaffingInputs({"D": per_min}, {"D": mean_s}, frozenset(open_ids), frozenset())
        return forecast(cfg, inputs)[0].advice

    open_ids = {str(i) for i in range(1, n_open + 1)}
    first = run(open_ids)
    if first.code == OPEN_MORE:
        assert run(open_ids | set(first.counters)).code != RELEASE
    elif first.code == RELEASE:
        assert run(open_ids - set(first.counters)).code not in (OPEN_MORE, ALL_OPEN)


# ---------------------------------------------------------------- from the engine's state


def test_inputs_from_state(make_desk: Any, t0: float) -> None:
    desk = make_desk(target_wait_min=10)
    desk.staff("1", "2", "3")
    desk.do("pause", counter="2", reason="lunch")
    desk.issue("A")  # 40 min before `now`: outside the window
    desk.advance(25 * 60)
    for _ in range(3):
        desk.issue("A")
        desk.advance(60)
    desk.issue("B")
    desk.called("3")
    desk.advance(12 * 60)
    inputs = inputs_from_state(desk.state, desk.now)
    assert inputs.arrivals_per_min == {"A": 3 / 30, "B": 1 / 30, "S": 0.0}
    assert inputs.mean_service_s == desk.state.avg_service_s
    assert inputs.open_counters == {"1", "3"}  # 2 is paused
    assert inputs.idle_counters == {"1"}  # 3 is serving
    short = inputs_from_state(desk.state, desk.now, window_s=600.0)
    assert short.arrivals_per_min["A"] == 0.0
    (f,) = advise_state(desk.state, desk.now)
    assert f.group.services == ("A", "B")
    assert f.open_counters == ("1", "3") and f.closed_counters == ("2",)
    assert f.arrivals_per_min == pytest.approx(4 / 30)
    assert f.target_wait_s == 600.0
    with pytest.raises(ValueError):
        inputs_from_state(desk.state, desk.now, window_s=0.0)


# ---------------------------------------------------------------- against the simulator


def test_formula_matches_the_simulator_at_steady_load() -> None:
    """bench/staffing.py --quick: M/M/c days through the real core, within the margin."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "staffing.py"), "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    result = json.loads(out.stdout)
    assert result["margin"] == 0.08
    points = result["points"]
    assert [(p["counters"], p["rho"]) for p in points] == [(2, 0.6), (3, 0.75), (5, 0.9)]
    for p in points:
        assert abs(p["sim_service_level"] - p["formula_service_level"]) <= result["margin"], p
        assert p["customers"] > 1000
    assert result["all_within_margin"] and out.returncode == 0
    # The margin tells formulas apart: the share who never wait is far off.
    assert any(
        abs(p["sim_service_level"] - (1.0 - p["formula_p_wait"])) > 2 * result["margin"]
        for p in points
    )


def test_the_simulated_day_is_an_exact_fifo_multi_server_queue() -> None:
    """Differences in the bench are sampling noise: the core dispatches like M/M/c FIFO."""
    from lobbyq.engine.sim import load_scenario, simulate

    scenario = load_scenario(ROOT / "examples" / "erlang-steady.toml")
    run = simulate(scenario)
    free = [0.0] * len(scenario.open_counters)  # when each counter is next free
    waited = 0
    for log in run.customers:
        a = log.arrival
        start = max(heapq.heappop(free), a.at_min)
        heapq.heappush(free, start + a.service_min)
        assert log.called_min == pytest.approx(start, abs=1e-9)
        waited += start > a.at_min
    assert len(run.customers) > 150 and waited > 50
