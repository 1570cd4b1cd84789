"""Console fixtures: a model fed by an in-process bus, a cheap hasher, a fake engine answer."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from console.actions import Command, Outcome
from console.auth import Accounts
from console.i18n import Catalogs
from console.link import ConsoleLink
from console.model import BranchModel
from console.throttle import LoginThrottle
from console.web import ConsoleDeps, create_app
from drivers.mqtt.bus import MemoryBus
from lobbyq.protocol.messages import StatusMsg
from lobbyq.protocol.topics import Topics

with warnings.catch_warnings():
    # Starlette now prefers the httpx2 fork; httpx drives it the same way.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

PASSWORD = "correct horse"
# Argon2 at its cheapest: the tests check the logic, not the cost.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class Clock:
    """A settable wall clock."""

    def __init__(self, t: float = 1_795_420_800.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@dataclass
class FakeCommander:
    """Records commands and answers with whatever the test set."""

    outcome: Outcome = field(default_factory=lambda: Outcome(True))
    sent: list[Command] = field(default_factory=list)

    def send(self, command: Command) -> Outcome:
        self.sent.append(command)
        return self.outcome


@dataclass
class Rig:
    client: TestClient
    bus: MemoryBus
    topics: Topics
    model: BranchModel
    accounts: Accounts
    commander: FakeCommander
    clock: Clock

    def engine_online(self, online: bool = True, at: float | None = None) -> None:
        msg = StatusMsg("engine", online, "engine", self.clock() if at is None else at, "1")
        self.bus.publish(self.topics.status("engine"), msg.encode(), retain=True)

    def login(self, name: str = "mgr", password: str = PASSWORD) -> int:
        page = self.client.get("/login")
        csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        resp = self.client.post(
            "/login",
            data={"csrf": csrf, "name": name, "password": password},
            follow_redirects=False,
        )
        return resp.status_code

    def csrf(self) -> str:
        page = self.client.get("/")
        return page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def catalogs() -> Catalogs:
    return Catalogs.load()


@pytest.fixture
def rig(tmp_path: Path, clock: Clock, catalogs: Catalogs) -> Iterator[Rig]:
    topics = Topics("b1")
    bus = MemoryBus()
    model = BranchModel(topics, clock=clock)
    ConsoleLink(bus, model, clock=clock).attach()
    bus.start()
    accounts = Accounts(tmp_path / "accounts.db", clock=clock, hasher=FAST_HASHER)
    accounts.add_user("mgr", "manager", PASSWORD)
    accounts.add_user("view", "viewer", PASSWORD)
    commander = FakeCommander()
    deps = ConsoleDeps(
        model=model,
        commander=commander,
        accounts=accounts,
        throttle=LoginThrottle(clock=clock),
        catalogs=catalogs,
        clock=clock,
    )
    app = create_app(deps)
    with TestClient(
        app, base_url="https://testserver", headers={"accept-language": "en"}
    ) as client:
        yield Rig(client, bus, topics, model, accounts, commander, clock)
    accounts.close()
