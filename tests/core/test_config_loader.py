"""The one branch-config loader and its validator: every problem at once, each with its fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lobbyq.core import BranchConfig, ConfigError, load_branch_config
from lobbyq.core.config import load_branch_and_table

REPO = Path(__file__).resolve().parents[2]


def _broken() -> dict[str, Any]:
    doc = BranchConfig.default().to_dict()
    doc["branch"]["policy"] = "fifi"
    doc["branch"]["rollover"] = "25:00"
    doc["branch"]["target_wait"] = 15  # a typo of target_wait_min
    doc["services"][0]["expected_min"] = "twelve"
    doc["services"][1]["name"] = {"fr": "Fonds"}
    doc["counters"][2]["mode"] = "shared"
    doc["counters"][3]["services"] = ["D", "Z"]
    return doc


def test_every_problem_of_a_queue_config_is_listed_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        BranchConfig.from_dict(_broken(), "queue.toml")
    by_field = {p.field: p for p in err.value.problems}
    assert set(by_field) == {
        "branch.policy",
        "branch.rollover",
        "branch.target_wait",
        "services[0].expected_min",
        "services[1].name.fr",
        "counters[2].mode",
        "counters[3].services",
    }
    assert all(p.fix for p in err.value.problems)
    assert "did you mean 'fifo'" in by_field["branch.policy"].fix
    assert "did you mean 'target_wait_min'" in by_field["branch.target_wait"].fix
    assert "'primary', 'pooled'" in by_field["counters[2].mode"].fix
    assert "unknown service 'Z'" in by_field["counters[3].services"].problem
    text = str(err.value)
    assert text.startswith("queue.toml: 7 problems\n")
    assert text.count("; fix: ") == 7


def test_the_loader_reads_the_file_and_reports_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "queue.toml"
    path.write_text(
        '[branch]\nid = "B 1"\nrating_timeout_s = 0\n'
        '[[services]]\ncode = "a"\n[[counters]]\nid = "1"\nservices = ["A"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_branch_config(path)
    assert err.value.source == str(path)
    assert err.value.fields == (
        "branch.id",
        "services[0].code",
        "counters[0].services",  # names "A", which no valid service has
        "branch.rating_timeout_s",
    )


def test_an_unreadable_file_is_one_problem_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_branch_config(tmp_path / "missing.toml")
    assert err.value.fields == ("file",)
    assert "queue.toml" in err.value.problems[0].fix
    bad = tmp_path / "bad.toml"
    bad.write_text("[branch\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_branch_config(bad)
    assert err.value.fields == ("file",) and "not valid TOML" in str(err.value)


def test_without_a_file_the_demo_branch_and_a_rename() -> None:
    assert load_branch_config(None) == BranchConfig.default()
    renamed = load_branch_config(None, "b0202")
    assert renamed.branch_id == "b0202"
    assert renamed.services == BranchConfig.default().services
    with pytest.raises(ConfigError) as err:
        load_branch_config(None, "No Such Id")
    assert err.value.fields == ("branch.id",)


def test_the_examples_load_and_an_app_table_comes_with_them(tmp_path: Path) -> None:
    for name in ("seed002.toml", "branch-day.toml"):
        assert load_branch_config(REPO / "examples" / name).services
    assert load_branch_config(REPO / "deploy" / "queue.example.toml").counters
    path = tmp_path / "queue.toml"
    text = (REPO / "examples" / "seed002.toml").read_text(encoding="utf-8")
    path.write_text(text + "\n[kiosk]\nidle_s = 45\n", encoding="utf-8")
    config, kiosk = load_branch_and_table(path, "kiosk")
    assert kiosk == {"idle_s": 45} and config.branch_id
    assert load_branch_and_table(path, "display")[1] == {}
    path.write_text('kiosk = "yes"\n' + text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_branch_and_table(path, "kiosk")
    assert err.value.fields == ("kiosk",) and "[kiosk]" in err.value.problems[0].fix
