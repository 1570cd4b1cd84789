"""The counter reads the branch with the core's loader, so it types tickets as the engine prints."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import pytest

from counter.app import configure, run, service_keys
from counter.keys import ticket_from_digits
from lobbyq.core import BranchConfig, ConfigError
from lobbyq.core.config import load_branch_config as load_branch

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.mark.parametrize("name", ["branch-day.toml", "seed002.toml"])
def test_the_counter_reads_what_the_engine_reads(name: str) -> None:
    engine_view = BranchConfig.from_dict(tomllib.loads((EXAMPLES / name).read_text("utf-8")))
    ours = load_branch(str(EXAMPLES / name))
    assert ours == engine_view
    assert load_branch(str(EXAMPLES / name), "other").branch_id == "other"
    assert load_branch(None).branch_id == BranchConfig.default().branch_id


def test_a_typed_ticket_is_the_number_the_engine_prints() -> None:
    config = BranchConfig.from_dict(
        {
            "branch": {"id": "b"},
            "services": [
                {"code": "V", "name": {"en": "VIP"}, "prefix": "VIP", "range": [1, 99]},
                {"code": "W", "name": {"en": "Wide"}, "range": [1, 20000]},
            ],
            "counters": [{"id": "1", "services": ["V", "W"]}],
        }
    )
    keys = service_keys(config)
    assert [(k.code, k.prefix) for k in keys] == [("V", "VIP"), ("W", "W")]
    # A short range still prints three digits (VIP007); a long one as many as it needs.
    assert ticket_from_digits("17", keys) == config.service["V"].display(7) == "VIP007"
    assert ticket_from_digits("212", keys) == config.service["W"].display(12) == "W00012"


def test_a_wrong_branch_file_names_the_field_and_the_counter_does_not_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = tmp_path / "branch.toml"
    bad.write_text('[branch]\nid = "Not An Id"\n', "utf-8")
    with pytest.raises(ConfigError):
        load_branch(str(bad))
    parser = argparse.ArgumentParser()
    configure(parser)
    argv = ["--broker", "mqtt://127.0.0.1:1", "--counter", "3", "--port", "/dev/null"]
    with caplog.at_level("ERROR"):
        assert run(parser.parse_args([*argv, "--branch-config", str(bad)])) == 2
    assert "cannot read the branch config" in caplog.text
    assert "branch.id" in caplog.text  # every problem named, this one among them
