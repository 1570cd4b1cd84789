"""A simulated busy day (the branch-day example) as event dicts, made once per session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lobbyq.core import BranchConfig, event_to_dict, load_branch_config
from lobbyq.engine.sim.run import simulate
from lobbyq.engine.sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "examples" / "branch-day.toml"
DAY = "2026-01-06"


@pytest.fixture(scope="session")
def branch_config() -> BranchConfig:
    return load_branch_config(SCENARIO)


@pytest.fixture(scope="session")
def day_events() -> list[dict[str, Any]]:
    result = simulate(load_scenario(SCENARIO), None, keep_events=True)
    return [event_to_dict(e) for e in result.events]
