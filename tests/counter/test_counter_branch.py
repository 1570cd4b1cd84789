"""The counter reads the same branch TOML as the engine, and agrees with it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from counter.app import service_keys
from counter.branch import CounterBranch
from counter.flow import FlowError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", ["branch-day.toml", "seed002.toml"])
def test_the_counter_reads_what_the_engine_reads(name: str) -> None:
    from lobbyq.core import BranchConfig

    raw = tomllib.loads((EXAMPLES / name).read_text("utf-8"))
    engine_view = BranchConfig.from_dict(raw)
    ours = CounterBranch.load(str(EXAMPLES / name))
    assert ours.branch_id == engine_view.branch_id
    assert ours.rating_timeout_s == engine_view.rating_timeout_s
    assert service_keys(ours) == service_keys(engine_view)


def test_prefix_and_width_come_from_the_service_table() -> None:
    cfg = CounterBranch.from_dict(
        {"branch": {"id": "b"}, "services": [{"code": "V", "prefix": "VIP", "range": [1, 99]}]}
    )
    assert [(s.code, s.prefix, s.width) for s in cfg.services] == [("V", "VIP", 2)]
    assert CounterBranch.load(None, "other").branch_id == "other"
    with pytest.raises(FlowError):
        CounterBranch.from_dict({"services": []})
