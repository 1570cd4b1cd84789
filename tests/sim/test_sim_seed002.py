"""The seed 002 worked example, reproduced exactly by the real core (all four figures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lobbyq.engine.sim import load_scenario, simulate, summarize


def _run(path: Path, policy: str | None = None) -> dict[str, object]:
    return summarize(simulate(load_scenario(path), policy))


def test_one_counter_takes_130_minutes(examples: Path) -> None:
    s = _run(examples / "seed002-one-counter.toml")
    assert s["served"] == 20
    assert s["makespan_min"] == 130.0


@pytest.mark.parametrize("policy", ["fifo", "priority-aging", "shortest-first", "longest-first"])
def test_ten_counters_take_13_minutes_whatever_the_order(examples: Path, policy: str) -> None:
    s = _run(examples / "seed002.toml", policy)
    assert s["served"] == 20
    assert s["makespan_min"] == 13.0


def test_shortest_first_complex_customers_start_at_3_minutes(examples: Path) -> None:
    s = _run(examples / "seed002.toml", "shortest-first")
    by = s["by_service"]
    assert isinstance(by, dict)
    assert by["S"]["max_wait_min"] == 0.0
    assert by["C"]["mean_wait_min"] == 3.0 and by["C"]["max_wait_min"] == 3.0
    assert s["mean_wait_min"] == 1.5


def test_longest_first_simple_customers_wait_10_minutes(examples: Path) -> None:
    s = _run(examples / "seed002.toml", "longest-first")
    by = s["by_service"]
    assert isinstance(by, dict)
    assert by["C"]["max_wait_min"] == 0.0
    assert by["S"]["mean_wait_min"] == 10.0 and by["S"]["max_wait_min"] == 10.0
    assert s["mean_wait_min"] == 5.0
