"""Fixtures for the technician tools: valid documents that tests then break one way each."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.bus.rigs import CounterRig
from lobbyq.device.branchfile import BranchFile, parse_branch_file

REPO = Path(__file__).resolve().parents[2]


def counter_doc() -> dict[str, Any]:
    return {
        "device": {
            "id": "counter-3",
            "role": "counter",
            "branch": "b0101",
            "queue_config": "/etc/lobbyq/queue.toml",
        },
        "broker": {
            "url": "mqtts://kiosk-1.local:8883",
            "ca_file": "/etc/lobbyq/ca.crt",
            "credentials_file": "/etc/lobbyq/counter-3.cred",
        },
        "serial": {"bus": "/dev/lobbyq-bus"},
        "bus": {"keypad": 1, "rating_pad": 2, "strip": 3},
        "counter": {"id": "3", "rating_keys": 5},
    }


def branch_doc() -> dict[str, Any]:
    return {
        "branch": {"id": "b0101", "broker_host": "kiosk-1.local"},
        "devices": [
            {"id": "engine", "role": "engine"},
            {
                "id": "kiosk-1",
                "role": "kiosk",
                "serial": {"printer": "/dev/lobbyq-printer", "card_reader": "/dev/lobbyq-card"},
                "printer": {"profile": "cn80"},
            },
            {
                "id": "counter-1",
                "role": "counter",
                "serial": {"bus": "/dev/lobbyq-bus"},
                "bus": {"keypad": 1, "rating_pad": 2, "strip": 3},
                "counter": {"id": "1"},
            },
            {
                "id": "counter-2",
                "role": "counter",
                "serial": {"bus": "/dev/lobbyq-bus"},
                "bus": {"keypad": 1, "strip": 3},
                "counter": {"id": "2"},
            },
            {
                "id": "display-hall",
                "role": "display",
                "serial": {"bus": "/dev/lobbyq-hall"},
                "bus": {"hall": 1},
            },
        ],
    }


@pytest.fixture
def counter_config() -> dict[str, Any]:
    return copy.deepcopy(counter_doc())


@pytest.fixture
def branch_config() -> dict[str, Any]:
    return copy.deepcopy(branch_doc())


@pytest.fixture
def branch() -> BranchFile:
    return parse_branch_file(branch_doc())


@pytest.fixture
def counter_bus(tmp_path: Path) -> Iterator[CounterRig]:
    """A branch's counter bus as the demo builds it, with a 5-key rating pad."""
    rig = CounterRig.build(tmp_path / "lobbyq-bus", pad_keys=5, counter_no=101)
    yield rig
    rig.close()


def device_cli(*argv: str) -> int:
    """Run ``lobbyq device ...`` in-process, as the command line would."""
    import argparse

    from lobbyq.device.cli import configure, run

    parser = argparse.ArgumentParser()
    configure(parser)
    return run(parser.parse_args(list(argv)))
