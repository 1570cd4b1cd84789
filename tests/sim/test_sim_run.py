"""The simulator on realistic days: determinism, pauses, no-shows, ratings, errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from lobbyq.core import (
    BranchConfig,
    BranchState,
    ConfigError,
    CounterPaused,
    CounterResumed,
    TicketCalled,
    TicketIssued,
    TicketRated,
    evolve,
)
from lobbyq.engine.sim import (
    cli,
    load_scenario,
    scenario_from_dict,
    simulate,
    summarize,
)


def test_same_scenario_same_result(examples: Path) -> None:
    scenario = load_scenario(examples / "branch-day.toml")
    a = summarize(simulate(scenario, "priority-aging"))
    b = summarize(simulate(load_scenario(examples / "branch-day.toml"), "priority-aging"))
    assert a == b
    assert a["customers"] == a["served"] + a["dropped"]


def test_branch_day_exercises_pauses_no_shows_and_ratings(examples: Path) -> None:
    run = simulate(load_scenario(examples / "branch-day.toml"), keep_events=True)
    paused = [e for e in run.events if isinstance(e, CounterPaused)]
    assert {(e.counter, e.reason) for e in paused} == {
        ("2", "lunch"),
        ("4", "lunch"),
        ("5", "break"),
    }
    assert any(e.kind == "ticket_no_show" for e in run.events)
    assert any(isinstance(e, TicketRated) for e in run.events)
    # Nobody is called at a counter between its pause and its resume.
    paused_at: dict[str, float] = {}
    for e in run.events:
        if isinstance(e, CounterPaused):
            paused_at[e.counter] = e.at
        elif isinstance(e, CounterResumed):
            assert e.at - paused_at.pop(e.counter) >= 10 * 60
        elif isinstance(e, TicketCalled):
            assert e.counter not in paused_at
    # The simulator's event log replays to its final state.
    assert run.state is not None
    replay = BranchState.initial(run.state.config)
    for e in run.events:
        replay = evolve(replay, e)
    assert replay == run.state


def test_identified_customers_carry_only_a_hash_and_a_masked_form(examples: Path) -> None:
    run = simulate(load_scenario(examples / "branch-day.toml"), keep_events=True)
    issued = [e for e in run.events if isinstance(e, TicketIssued)]
    share = sum(e.identity_kind is not None for e in issued) / len(issued)
    assert 0.45 < share < 0.75  # identified_rate = 0.6
    for e in issued:
        if e.identity_masked is not None:
            assert e.identity_masked.startswith("**** ") and len(e.identity_masked) == 9


def test_priority_classes_wait_less_under_priority_aging(examples: Path) -> None:
    scenario = load_scenario(examples / "branch-day.toml")
    fifo = summarize(simulate(scenario, "fifo"))["by_class"]
    aging = summarize(simulate(scenario, "priority-aging"))["by_class"]
    for cls in ("care", "vip", "appointment"):
        assert aging[cls]["mean_wait_min"] < fifo[cls]["mean_wait_min"], cls


def _doc(**sim: Any) -> dict[str, Any]:
    doc = BranchConfig.default().to_dict()
    doc["simulation"] = {"arrivals": [{"at_min": 0, "service": "A", "count": 3}], **sim}
    return doc


@pytest.mark.parametrize(
    ("sim", "field", "words"),
    [
        ({"arrivals": [{"service": "Q"}]}, "simulation.arrivals[0].service", "unknown service"),
        (
            {"arrivals": [{"service": "A", "class": "gold"}]},
            "simulation.arrivals[0].class",
            "unknown class",
        ),
        ({"arrivals": []}, "simulation.arrivals", "no customers"),
        (
            {"service_time": {"A": {"dist": "gamma"}}},
            "simulation.service_time.A.dist",
            "'gamma' is not allowed",
        ),
        ({"start": "9 o'clock"}, "simulation.start", "bad time"),
        ({"start": "2026-01-05T09:00:00"}, "simulation.start", "no UTC offset"),
        (
            {"pauses": [{"counter": "7", "at_min": 1, "minutes": 1}]},
            "simulation.pauses[0].counter",
            "unknown counter",
        ),
        ({"classes": {"vip": 0.8, "care": 0.5}}, "simulation.classes", "more than 1"),
        ({"no_show_rate": 2}, "simulation.no_show_rate", "above 1"),
    ],
)
def test_scenario_errors_name_the_key(sim: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ConfigError) as exc:
        scenario_from_dict(_doc(**sim))
    assert exc.value.fields == (field,)
    assert words in str(exc.value) and "fix:" in str(exc.value)


def test_poisson_rates_are_seeded() -> None:
    doc = _doc(arrivals=[], rates=[{"service": "D", "from_hour": 0, "to_hour": 4, "per_hour": 30}])
    a = scenario_from_dict({**doc, "simulation": {**doc["simulation"], "seed": 5}})
    b = scenario_from_dict({**doc, "simulation": {**doc["simulation"], "seed": 5}})
    c = scenario_from_dict({**doc, "simulation": {**doc["simulation"], "seed": 6}})
    assert a.arrivals == b.arrivals != c.arrivals
    assert 80 < len(a.arrivals) < 160  # about 120 expected
    assert all(0 <= x.at_min < 240 for x in a.arrivals)


def _cli(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.configure(parser)
    return parser.parse_args(argv)


def test_cli_json_and_events(examples: Path, tmp_path: Path, capsys: Any) -> None:
    events = tmp_path / "day.jsonl"
    rc = cli.run(
        _cli(
            [
                str(examples / "seed002.toml"),
                "--policy",
                "shortest-first",
                "--json",
                "--events",
                str(events),
            ]
        )
    )
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("mean_wait_min", "max_wait_min", "makespan_min", "served", "by_service"):
        assert key in out
    assert out["by_service"]["C"]["mean_wait_min"] == 3.0
    lines = events.read_text().splitlines()
    assert json.loads(lines[0])["kind"] == "day_rolled_over"
    assert sum(json.loads(x)["kind"] == "ticket_finished" for x in lines) == 20


def test_cli_readable_summary_and_bad_file(examples: Path, tmp_path: Path, capsys: Any) -> None:
    assert cli.run(_cli([str(examples / "seed002-one-counter.toml")])) == 0
    out = capsys.readouterr().out
    assert "makespan 130.0 min" in out and "service C" in out
    bad = tmp_path / "bad.toml"
    bad.write_text("[branch\n")
    assert cli.run(_cli([str(bad)])) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_result_does_not_depend_on_hash_randomization(examples: Path) -> None:
    """Same scenario in two interpreters with different string hashing: same figures."""
    import os
    import subprocess
    import sys

    code = (
        "import json,sys;from lobbyq.engine.sim import *;"
        "print(json.dumps(summarize(simulate(load_scenario(sys.argv[1]),'priority-aging'))))"
    )
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code, str(examples / "branch-day.toml")],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        outs.append(json.loads(done.stdout))
    assert outs[0] == outs[1]


def test_a_scenario_lists_branch_and_simulation_problems_at_once(tmp_path: Path) -> None:
    doc = _doc(
        seed="seven",
        no_show_rate=1.5,
        service_time={"A": {"dist": "uniform", "low": 5, "high": 2}, "Q": {"minutes": 3}},
        rates=[{"service": "A", "from_hour": 0, "per_hour": 10}],
        pauses=[{"counter": "9", "at_min": 5, "minutes": 10, "reason": "nap"}],
        arival_rate=3,
    )
    doc["branch"]["transfer"] = "back"
    with pytest.raises(ConfigError) as exc:
        scenario_from_dict(doc, source="day.toml")
    by_field = {p.field: p for p in exc.value.problems}
    assert set(by_field) == {
        "branch.transfer",
        "simulation.arival_rate",
        "simulation.seed",
        "simulation.no_show_rate",
        "simulation.service_time.Q",
        "simulation.service_time.A.high",
        "simulation.rates[0].to_hour",
        "simulation.pauses[0].counter",
        "simulation.pauses[0].reason",
    }
    assert all(p.fix for p in exc.value.problems)
    assert "known keys: A, B, C, D" in by_field["simulation.service_time.Q"].fix
    assert "swap them" in by_field["simulation.service_time.A.high"].fix
    assert str(exc.value).startswith("day.toml: 9 problems\n")
    path = tmp_path / "day.toml"
    path.write_text("[simulation\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_scenario(path)
    assert exc.value.fields == ("file",) and exc.value.source == str(path)
