"""Branch file validation: per-device problems are named by entry, plus cross-device rules."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from lobbyq.core.config import BranchConfig
from lobbyq.core.errors import ConfigError
from lobbyq.device.branchfile import check_against_queue, load_branch_file, parse_branch_file

REPO = Path(__file__).resolve().parents[2]
Doc = dict[str, Any]


def _fields(doc: Doc) -> tuple[str, ...]:
    with pytest.raises(ConfigError) as err:
        parse_branch_file(doc)
    return err.value.fields


def test_the_example_branch_file_is_valid_and_matches_its_queue_config() -> None:
    bf = load_branch_file(REPO / "deploy" / "branch.example.toml")
    assert bf.branch == "b0101"
    assert [d.role for d in bf.devices].count("counter") == 4
    assert bf.queue_config is not None
    queue = tomllib.loads(bf.queue_config.read_text(encoding="utf-8"))
    BranchConfig.from_dict(queue)
    assert check_against_queue(bf, queue, "queue.example.toml") == []


def test_an_unreadable_or_malformed_branch_file_is_one_file_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_branch_file(tmp_path / "nope.toml")
    assert err.value.fields == ("file",)
    assert err.value.problems[0].fix == "pass the branch file, e.g. branch.toml"
    bad = tmp_path / "branch.toml"
    bad.write_text("[branch\nid = 1\n")
    with pytest.raises(ConfigError) as err:
        load_branch_file(bad)
    assert err.value.fields == ("file",)
    assert "not valid TOML" in err.value.problems[0].problem
    assert err.value.source == str(bad)


def test_device_problems_are_named_by_their_entry(branch_config: Doc) -> None:
    branch_config["devices"][2]["bus"]["keypad"] = 999
    branch_config["devices"][4]["serial"] = {}
    assert _fields(branch_config) == ("devices[2].bus.keypad", "devices[4].serial.bus")


def test_unknown_device_key_is_named(branch_config: Doc) -> None:
    branch_config["devices"][3]["adress"] = 5
    with pytest.raises(ConfigError) as err:
        parse_branch_file(branch_config)
    assert err.value.fields == ("devices[3].adress",)


def test_duplicate_ids_and_engine_count(branch_config: Doc) -> None:
    branch_config["devices"].append(dict(branch_config["devices"][2]))
    branch_config["devices"].append({"id": "engine", "role": "engine"})
    with pytest.raises(ConfigError) as err:
        parse_branch_file(branch_config)
    text = str(err.value)
    assert "devices[5].id: 'counter-1' is listed twice" in text
    assert "2 engines listed" in text and "exactly one" in text


def test_no_kiosk_and_no_devices(branch_config: Doc) -> None:
    branch_config["devices"] = [d for d in branch_config["devices"] if d["role"] != "kiosk"]
    with pytest.raises(ConfigError, match="no kiosk listed"):
        parse_branch_file(branch_config)
    with pytest.raises(ConfigError, match="devices: no devices"):
        parse_branch_file({"branch": branch_config["branch"]})


def test_branch_level_problems(branch_config: Doc) -> None:
    branch_config["branch"]["broker_host"] = "kiosk 1"
    branch_config["branch"]["config_dir"] = "etc/lobbyq"
    assert set(_fields(branch_config)) == {"branch.broker_host", "branch.config_dir"}


def test_counters_must_exist_in_the_queue_config(branch_config: Doc) -> None:
    bf = parse_branch_file(branch_config)
    queue = {"branch": {"id": "b0202"}, "counters": [{"id": "1", "services": ["A"]}]}
    problems = check_against_queue(bf, queue, "queue.toml")
    by_field = {p.field: p for p in problems}
    assert set(by_field) == {"branch.id", "devices[3].counter.id"}
    assert "add [[counters]] id = '2'" in by_field["devices[3].counter.id"].fix
    assert "'1'" in by_field["devices[3].counter.id"].fix


def test_generated_device_files_use_tls_off_the_kiosk(branch_config: Doc) -> None:
    bf = parse_branch_file(branch_config)
    counter = bf.device("counter-1")
    assert counter.broker.url == "mqtts://kiosk-1.local:8883"
    assert str(counter.broker.ca_file) == "/etc/lobbyq/ca.crt"
    kiosk = bf.device("kiosk-1")
    assert kiosk.broker.url == "mqtt://127.0.0.1:1883"
    assert str(kiosk.branch_secret_file) == "/etc/lobbyq/branch.secret"
    assert str(bf.device("engine").queue_config) == "/etc/lobbyq/queue.toml"
    assert str(counter.queue_config) == "/etc/lobbyq/queue.toml"
    # The display reads its announcement languages from the queue config.
    assert str(bf.device("display-hall").queue_config) == "/etc/lobbyq/queue.toml"
