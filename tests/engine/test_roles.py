"""Who may do what: the role table as written, and the engine refusing outside it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from drivers.mqtt.bus import MemoryBus
from lobbyq.core import BranchConfig, roles
from lobbyq.core.commands import COMMAND_TYPES
from lobbyq.core.errors import ConfigError
from lobbyq.core.roles import (
    OPS_BY_ROLE,
    ROLE_KINDS,
    DeviceRole,
    RoleBook,
    Scope,
    conventional_role,
    judge,
    needs_issuer,
    parse_roles,
)
from lobbyq.engine.service import Engine, EngineOptions
from lobbyq.engine.store import EventStore
from tests.engine.conftest import Clock, requester

MakeEngine = Callable[[], tuple[Engine, MemoryBus]]
_CELL = {"any": Scope.ANY, "own counter": Scope.OWN_COUNTER, "own ticket": Scope.OWN_TICKET}


def _doc_table() -> dict[str, dict[str, Scope]]:
    """The op table of the module's docstring, read back: what people are told."""
    doc = roles.__doc__ or ""
    lines = [ln for ln in doc.splitlines() if ln.startswith("| ")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header[0] == "op"
    table: dict[str, dict[str, Scope]] = {kind: {} for kind in header[1:]}
    for line in lines[1:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] in ("key", "``[[device]]``", "``id``", "``role``", "``counter``"):
            break  # the roles file's schema table follows
        for kind, cell in zip(header[1:], cells[1:], strict=True):
            if cell != "-":
                table[kind][cells[0]] = _CELL[cell]
    return table


def test_the_docstring_table_is_the_table_the_engine_applies() -> None:
    assert _doc_table() == {k: dict(v) for k, v in OPS_BY_ROLE.items()}
    assert set(OPS_BY_ROLE) == set(ROLE_KINDS)


def test_every_op_has_a_row_and_tick_is_nobodys() -> None:
    doc = roles.__doc__ or ""
    for op in COMMAND_TYPES:
        assert f"| {op} |" in doc, op
    assert not any("tick" in ops for ops in OPS_BY_ROLE.values())
    assert {op for ops in OPS_BY_ROLE.values() for op in ops} <= set(COMMAND_TYPES)


ROLE_OF = {
    "kiosk": ("kiosk-2", DeviceRole("kiosk")),
    "counter": ("counter-1", DeviceRole("counter", "1")),
    "console": ("console", DeviceRole("console")),
    "display": ("display-hall", DeviceRole("display")),
    "technician": ("tech", DeviceRole("technician")),
    "engine": ("engine", DeviceRole("engine")),
}


@pytest.mark.parametrize("op", sorted(COMMAND_TYPES))
@pytest.mark.parametrize("kind", ROLE_KINDS)
def test_each_cell_of_the_table(kind: str, op: str) -> None:
    device, role = ROLE_OF[kind]
    scope = OPS_BY_ROLE[kind].get(op)
    own = {"counter": "1", "ticket": "A001"}
    other = {"counter": "2", "ticket": "A001"}
    verdict_own = judge(device, role, op, own, issuer=device)
    verdict_other = judge(device, role, op, other, issuer="kiosk-1")
    if scope is None:
        assert verdict_own is not None and verdict_own.code == "not_allowed"
        assert op in verdict_own.reason
    elif scope is Scope.ANY:
        assert verdict_own is None and verdict_other is None
    elif scope is Scope.OWN_COUNTER:
        assert verdict_own is None
        assert verdict_other is not None and verdict_other.code == "not_allowed"
        assert "'2'" in verdict_other.reason
    else:
        assert needs_issuer(role, op)
        assert verdict_own is None
        assert verdict_other is not None and verdict_other.code == "not_allowed"
    assert needs_issuer(role, op) == (scope is Scope.OWN_TICKET)


def test_unknown_device_is_refused_everything() -> None:
    for op in COMMAND_TYPES:
        refused = judge("evil-device-999", None, op, {})
        assert refused is not None and refused.code == "unknown_device"


def test_a_counter_may_transfer_to_another_counter() -> None:
    role = DeviceRole("counter", "4")
    assert judge("counter-4", role, "transfer", {"counter": "4", "to_counter": "2"}) is None
    assert judge("counter-4", role, "transfer", {"counter": 4}) is not None  # not the string


def test_conventional_names() -> None:
    counters = ("1", "2")
    assert conventional_role("kiosk-7", counters) == DeviceRole("kiosk")
    assert conventional_role("counter-2", counters) == DeviceRole("counter", "2")
    assert conventional_role("counter-9", counters) is None  # no such counter here
    assert conventional_role("display-hall", counters) == DeviceRole("display")
    assert conventional_role("console", counters) == DeviceRole("console")
    assert conventional_role("tech", counters) == DeviceRole("technician")
    for name in ("evil-device-999", "kiosk-", "kiosk", "Console", "counter-1/x", ""):
        assert conventional_role(name, counters) is None, name


def test_roles_file_parses_and_lists_every_problem() -> None:
    doc = {
        "device": [
            {"id": "kiosk-1", "role": "kiosk"},
            {"id": "counter-3", "role": "counter", "counter": "3"},
            {"id": "display-hall", "role": "display"},
        ]
    }
    assert parse_roles(doc, "devices.toml") == {
        "kiosk-1": DeviceRole("kiosk"),
        "counter-3": DeviceRole("counter", "3"),
        "display-hall": DeviceRole("display"),
    }
    bad = {
        "device": [
            {"id": "counter-3", "role": "counter"},
            {"id": "kiosk-1", "role": "kiosk", "counter": "1"},
            {"id": "x", "role": "wizard"},
            {"id": "kiosk-2", "role": "kiosk", "colour": "red"},
            {"id": "kiosk-2", "role": "kiosk"},
        ],
        "extra": 1,
    }
    with pytest.raises(ConfigError) as err:
        parse_roles(bad, "devices.toml")
    fields = [p.field for p in err.value.problems]
    assert fields == [
        "extra",
        "device[0].counter",
        "device[1].counter",
        "device[2].role",
        "device[3].colour",
        "device[4].id",
    ]


# -- through the engine, on the in-process bus --------------------------------


def test_evil_device_cannot_issue(make_engine: MakeEngine, config: BranchConfig) -> None:
    engine, bus = make_engine()
    before = engine.store.last_seq
    reply = requester(bus, config, "evil-device-999").request("issue_ticket", service="A")
    assert not reply.ok and reply.code == "unknown_device"
    assert engine.store.last_seq == before  # nothing issued, nothing stored
    assert (
        requester(bus, config, "kiosk-1")
        .request("issue_ticket", service="A")
        .event("ticket_issued")["number"]
        == "A001"
    )  # the number was not taken


def test_display_cannot_set_a_notice(make_engine: MakeEngine, config: BranchConfig) -> None:
    engine, bus = make_engine()
    reply = requester(bus, config, "display-hall").request("set_notice", notice="power_cut")
    assert not reply.ok and reply.code == "not_allowed"
    assert engine.state.notice is None
    assert requester(bus, config, "console").request("set_notice", notice="power_cut").ok
    assert engine.state.notice is not None


def _open(bus: MemoryBus, config: BranchConfig, counter: str) -> None:
    c = requester(bus, config, f"counter-{counter}")
    assert c.request("login", counter=counter, teller="T0" + counter).ok
    assert c.request("open_counter", counter=counter).ok


def test_kiosk_cannot_call_next_for_a_counter(
    make_engine: MakeEngine, config: BranchConfig
) -> None:
    engine, bus = make_engine()
    _open(bus, config, "1")
    assert requester(bus, config, "kiosk-1").request("issue_ticket", service="A").ok
    reply = requester(bus, config, "kiosk-2").request("call_next", counter="1")
    assert not reply.ok and reply.code == "not_allowed"
    assert engine.state.counters["1"].current is None
    assert requester(bus, config, "counter-1").request("call_next", counter="1").ok


def test_counter_cannot_act_for_another_counter(
    make_engine: MakeEngine, config: BranchConfig
) -> None:
    engine, bus = make_engine()
    _open(bus, config, "2")
    assert requester(bus, config, "kiosk-1").request("issue_ticket", service="A").ok
    counter_1 = requester(bus, config, "counter-1")
    for op, fields in (
        ("call_next", {}),
        ("close_counter", {}),
        ("logout", {}),
        ("pause", {"reason": "lunch"}),
        ("rate", {"value": 5, "scale": 5}),
    ):
        reply = counter_1.request(op, counter="2", **fields)
        assert not reply.ok and reply.code == "not_allowed", op
        assert "counter '2'" in (reply.reason or "")
    assert engine.state.counters["2"].current is None
    assert engine.state.counters["2"].status == "open"


def test_a_kiosk_cancels_only_its_own_tickets(
    make_engine: MakeEngine, config: BranchConfig
) -> None:
    engine, bus = make_engine()
    number = (
        requester(bus, config, "kiosk-1")
        .request("issue_ticket", service="A")
        .event("ticket_issued")["number"]
    )
    refused = requester(bus, config, "kiosk-2").request("cancel", ticket=number)
    assert not refused.ok and refused.code == "not_allowed"
    assert number in engine.state.by_number
    assert requester(bus, config, "kiosk-1").request("cancel", ticket=number).ok
    assert number not in engine.state.by_number


def test_a_kiosk_knows_its_tickets_after_a_restart(
    make_engine: MakeEngine, config: BranchConfig
) -> None:
    first, bus = make_engine()
    number = (
        requester(bus, config, "kiosk-1")
        .request("issue_ticket", service="A")
        .event("ticket_issued")["number"]
    )
    first.stop()
    _again, bus2 = make_engine()
    assert not requester(bus2, config, "kiosk-2").request("cancel", ticket=number).ok
    assert requester(bus2, config, "kiosk-1").request("cancel", ticket=number).ok


def test_a_flood_of_refusals_is_logged_as_a_summary(
    make_engine: MakeEngine, config: BranchConfig, caplog: pytest.LogCaptureFixture
) -> None:
    engine, bus = make_engine()
    caplog.set_level(logging.INFO, "lobbyq.engine")
    evil = requester(bus, config, "evil-device-999")
    for _ in range(20):
        assert evil.request("issue_ticket", service="A").code == "unknown_device"
    lines = [r for r in caplog.records if "evil-device-999" in r.getMessage()]
    assert len(lines) == 1 and "unknown_device" in lines[0].getMessage()
    assert engine.store.last_seq == 0


def test_a_provisioned_list_refuses_what_it_does_not_name(
    tmp_path: Path, config: BranchConfig, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "lobbyq.engine")
    book = RoleBook(
        {"kiosk-1": DeviceRole("kiosk"), "teller-a": DeviceRole("counter", "3")},
        counters=[c.id for c in config.counters],
    )
    bus = MemoryBus()
    bus.start()
    store = EventStore(tmp_path / "events.db", branch=config.branch_id)
    engine = Engine(
        config,
        store,
        bus,
        clock=clock,
        monotonic=clock.monotonic,
        options=EngineOptions(tick_interval_s=3600),
        roles=book,
    )
    engine.start()
    try:
        assert "2 provisioned devices" in caplog.text
        assert "conventional" not in caplog.text
        # kiosk-2 has a conventional name, but the branch has no such kiosk
        reply = requester(bus, config, "kiosk-2").request("issue_ticket", service="A")
        assert reply.code == "unknown_device"
        assert requester(bus, config, "kiosk-1").request("issue_ticket", service="A").ok
        teller = requester(bus, config, "teller-a")
        assert teller.request("login", counter="3", teller="T03").ok
        assert teller.request("login", counter="1", teller="T01").code == "not_allowed"
    finally:
        engine.stop()
        store.close()


def test_without_a_roles_file_the_engine_says_so(
    make_engine: MakeEngine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "lobbyq.engine")
    make_engine()
    assert "no roles file" in caplog.text and "kiosk-N" in caplog.text
