"""Roles on the real broker: provisioned accounts over TLS, the generated ACL, the roles file.

The ACL keeps each account to its own command topic, so the device a
command names is the device that sent it; the engine's roles file then
decides what that device may do.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers.mqtt.client import MqttBus
from drivers.mqtt.request import EngineUnavailable, Requester
from lobbyq.core.config import load_branch_config
from lobbyq.core.fields import read_toml
from lobbyq.core.roles import RoleBook, parse_roles
from lobbyq.engine.service import Engine, EngineOptions
from lobbyq.engine.store import EventStore
from lobbyq.protocol.topics import Topics
from tests.deploy.conftest import REPO, BranchBroker, branch_broker  # noqa: F401

pytestmark = pytest.mark.usefixtures("branch_broker")


class Branch:
    def __init__(self, bb: BranchBroker, store: EventStore) -> None:
        self.bb = bb
        self.store = store
        self.buses: list[MqttBus] = []
        self.topics = Topics(bb.branch.branch)

    def bus(self, account: str) -> MqttBus:
        bus = MqttBus(self.bb.url(account), f"{account}-roles-test")
        bus.start()
        assert bus.wait_connected(10), account
        self.buses.append(bus)
        return bus

    def device(self, account: str, device: str | None = None) -> Requester:
        """A requester on ``account``'s TLS connection, naming ``device`` (default: itself)."""
        return Requester(self.bus(account), self.topics, device or account, resend_after=0.5)


@pytest.fixture
def branch(branch_broker: BranchBroker, tmp_path: object) -> Iterator[Branch]:  # noqa: F811
    bb = branch_broker
    config = load_branch_config(str(REPO / "deploy" / "queue.example.toml"), bb.branch.branch)
    path = bb.out / "engine" / "devices.toml"
    book = RoleBook(
        parse_roles(read_toml(path, fix="provision"), str(path)),
        counters=[c.id for c in config.counters],
    )
    store = EventStore(f"{tmp_path}/events.db", branch=config.branch_id)
    ebus = MqttBus(bb.url("engine", tls=False), "engine-roles-test")
    engine = Engine(config, store, ebus, options=EngineOptions(tick_interval_s=3600), roles=book)
    engine.start()
    ebus.start()
    assert ebus.wait_connected(10)
    b = Branch(bb, store)
    try:
        yield b
    finally:
        for bus in b.buses:
            bus.stop()
        ebus.stop()
        engine.stop()
        store.close()


def test_each_account_may_do_only_its_roles_ops(branch: Branch) -> None:
    kiosk = branch.device("kiosk-1")
    issued = kiosk.request("issue_ticket", service="A", timeout=10)
    assert issued.ok
    refused = kiosk.request("call_next", counter="1", timeout=10)
    assert not refused.ok and refused.code == "not_allowed"
    display = branch.device("display-hall")
    refused = display.request("set_notice", notice="power_cut", timeout=10)
    assert not refused.ok and refused.code == "not_allowed"
    counter_1 = branch.device("counter-1")
    refused = counter_1.request("login", counter="2", teller="T02", timeout=10)
    assert not refused.ok and refused.code == "not_allowed"
    assert counter_1.request("login", counter="1", teller="T01", timeout=10).ok


def test_an_account_cannot_speak_for_another_device(branch: Branch) -> None:
    """The ACL drops a command on another device's topic: the engine never sees it."""
    before = branch.store.last_seq
    posing = branch.device("kiosk-1", "counter-1")
    with pytest.raises(EngineUnavailable):
        posing.request("call_next", counter="1", timeout=2)
    evil = branch.device("kiosk-1", "evil-device-999")
    with pytest.raises(EngineUnavailable):
        evil.request("issue_ticket", service="A", timeout=2)
    assert branch.store.last_seq == before
