"""Queue core benchmarks: pure throughput, durable throughput, a branch day, restart.

    python bench/core.py [--json] [--quick]

Prints one JSON object with `--json`:
- `pure_cmds_per_s`: `apply` on typed commands, an issue/call/finish mix over
  ten counters with a standing queue, per CPU second, best of three (goal: at
  least 100,000; `pure_cmds_per_wall_s` is the same per wall second, which a
  busy shared machine lowers); `pure_wire_cmds_per_s` adds what the
  engine does around it (`command_from_dict`, `event_to_dict`), the baseline
  the pure figure is compared with; `issue_us`, `call_us`, `finish_us` split it.
- `durable_cmds_per_s`: the same commands, each appended with its events to
  the SQLite event log at `synchronous=FULL` in its own transaction;
  `durable_group_cmds_per_s`: 32 commands per transaction (group commit).
- `branch_day_s`: simulating 1,000 customers on 10 counters (goal: <= 1 s).
- `replay_100k_s`: restart with 100,000 events in the log, from the newest
  snapshot plus the events after it (goal: <= 1 s); `replay_100k_full_s`
  folds all 100,000 events with no snapshot.
The two durable/replay keys need `lobbyq.engine.store`; without it they are left out.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lobbyq.core import (  # noqa: E402
    BranchConfig,
    BranchState,
    CallNext,
    Command,
    Finish,
    IssueTicket,
    Login,
    OpenCounter,
    Tick,
    apply,
    command_from_dict,
    command_to_dict,
    event_from_dict,
    event_to_dict,
    evolve,
    state_from_dict,
    state_to_dict,
)
from lobbyq.engine.sim import scenario_from_dict, simulate  # noqa: E402

T0 = 1767574800.0  # 2026-01-05 09:00 +08:00
# Seconds between commands: about 3,600 tickets per business day, a very busy
# branch, so days roll over and the state holds one day as in production.
STEP_S = 8.0
SERVICES = "ABCD"


def ten_counter_config() -> BranchConfig:
    """The demo branch's four services on ten counters (the bench's branch)."""
    doc = BranchConfig.default().to_dict()
    doc["counters"] = [
        {"id": str(i + 1), "services": [SERVICES[i % 4], SERVICES[(i + 1) % 4]]} for i in range(10)
    ]
    return BranchConfig.from_dict(doc)


def opening(config: BranchConfig, waiting: int = 40) -> list[Command]:
    """All counters logged in and open, and a standing queue of `waiting` customers."""
    cmds: list[Command] = []
    for c in config.counters:
        cmds.append(Login(f"login-{c.id}", c.id, f"t{c.id}"))
        cmds.append(OpenCounter(f"open-{c.id}", c.id))
    cmds.extend(IssueTicket(f"pre-{i}", SERVICES[i % 4]) for i in range(waiting))
    return cmds


def staffed(config: BranchConfig) -> BranchState:
    state = BranchState.initial(config)
    for cmd in opening(config):
        state, _ = apply(state, cmd, T0)
    return state


def workload(n: int) -> list[Command]:
    """Issue, call next, finish, as on a busy day: each call at a counter serving that service."""
    cmds: list[Command] = []
    i = 0
    while len(cmds) < n:
        s = i % 4
        counter = str(s + 1 + 4 * ((i // 4) % 2))  # counters s+1 and s+5 have s as primary
        cmds.append(IssueTicket(f"i{i}", SERVICES[s], "vip" if i % 13 == 0 else "normal"))
        cmds.append(CallNext(f"c{i}", counter))
        cmds.append(Finish(f"f{i}", counter))
        if i % 50 == 49:
            cmds.append(Tick(f"t{i}"))
        i += 1
    return cmds[:n]


def bench_pure(n: int) -> dict[str, Any]:
    """Throughput of `apply` in CPU seconds (the machine is shared; wall time is reported too)."""
    config = ten_counter_config()
    cmds = workload(n)
    per_op: dict[str, float] = {}
    count: dict[str, int] = {}
    state = staffed(config)
    now = T0
    clock = time.process_time
    for cmd in cmds:
        now += STEP_S
        t = clock()
        state, _ = apply(state, cmd, now)
        per_op[cmd.op] = per_op.get(cmd.op, 0.0) + clock() - t
        count[cmd.op] = count.get(cmd.op, 0) + 1

    best_cpu = best_wall = float("inf")
    for _ in range(3):
        state = staffed(config)
        now = T0
        c0, w0 = clock(), time.perf_counter()
        for cmd in cmds:
            now += STEP_S
            state, _ = apply(state, cmd, now)
        best_cpu = min(best_cpu, clock() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)

    dicts = [command_to_dict(c) | {"id": c.id} for c in cmds]
    state = staffed(config)
    now = T0
    c0 = clock()
    for d in dicts:
        now += STEP_S
        state, events = apply(state, command_from_dict(d), now)
        for ev in events:
            event_to_dict(ev)
    wire = clock() - c0
    return {
        "pure_cmds_per_s": round(n / best_cpu),
        "pure_cmds_per_wall_s": round(n / best_wall),
        "pure_wire_cmds_per_s": round(n / wire),
        "issue_us": round(per_op["issue_ticket"] / count["issue_ticket"] * 1e6, 2),
        "call_us": round(per_op["call_next"] / count["call_next"] * 1e6, 2),
        "finish_us": round(per_op["finish"] / count["finish"] * 1e6, 2),
        "pure_commands": n,
    }


def _records(state: BranchState, cmds: list[Command], now: float) -> tuple[BranchState, list[Any]]:
    from lobbyq.engine.store import Record

    records = []
    for cmd in cmds:
        state, events = apply(state, cmd, now)
        dicts = [event_to_dict(e) for e in events]
        records.append(
            Record(command_id=cmd.id, op=cmd.op, at=now, events=dicts, reply={"ok": True})
        )
    return state, records


def bench_durable(n: int, group: int) -> float:
    from lobbyq.engine.store import EventStore

    cmds = [c for c in workload(n * 2) if c.op != "tick"][:n]
    with tempfile.TemporaryDirectory() as tmp:
        store = EventStore(Path(tmp) / "events.sqlite3", branch="demo", synchronous="FULL")
        state = staffed(ten_counter_config())
        now = T0
        t = time.perf_counter()
        for i in range(0, n, group):
            now += STEP_S
            state, records = _records(state, cmds[i : i + group], now)
            store.append(records)
        elapsed = time.perf_counter() - t
        store.close()
    return n / elapsed


def bench_replay(n_events: int, snapshot_every: int) -> dict[str, float]:
    """Write a log of `n_events` (snapshots as the engine takes them), then time a restart."""
    from lobbyq.engine.store import EventStore

    config = ten_counter_config()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.sqlite3"
        store = EventStore(path, branch="demo", synchronous="OFF")
        state, records = _records(BranchState.initial(config), opening(config), T0)
        store.append(records)
        now = T0
        written = 0
        since_snapshot = 0
        cmds = workload(n_events * 2)
        i = 0
        while written < n_events:
            batch = cmds[i : i + 300]
            i += 300
            now += 8640.0  # 100 customers per batch, about 1,000 per business day
            state, records = _records(state, batch, now)
            k = sum(len(r.events) for r in records)
            snapshot = None
            if since_snapshot + k >= snapshot_every:
                snapshot = state_to_dict(state)
                since_snapshot = 0
            else:
                since_snapshot += k
            store.append(records, snapshot)
            written += k
        final = state
        store.close()

        t, c = time.perf_counter(), time.process_time()
        store = EventStore(path, branch="demo")
        snap = store.latest_snapshot()
        assert snap is not None
        restored = state_from_dict(snap[1], config)
        for _seq, body in store.events(after=snap[0]):
            restored = evolve(restored, event_from_dict(body))
        with_snapshot, with_snapshot_cpu = time.perf_counter() - t, time.process_time() - c
        assert restored == final, "restart from snapshot gave another state"

        t, c = time.perf_counter(), time.process_time()
        full = BranchState.initial(config)
        count = 0
        for _seq, body in store.events():
            full = evolve(full, event_from_dict(body))
            count += 1
        full_replay, full_cpu = time.perf_counter() - t, time.process_time() - c
        assert full == final, "full replay gave another state"
        store.close()
    return {
        "replay_100k_s": round(with_snapshot, 3),
        "replay_100k_cpu_s": round(with_snapshot_cpu, 3),
        "replay_100k_full_s": round(full_replay, 3),
        "replay_100k_full_cpu_s": round(full_cpu, 3),
        "replay_events": count,
    }


def branch_day_doc(customers: int = 1000) -> dict[str, Any]:
    """1,000 customers spread over 8 hours on 10 counters, four services, lognormal times."""
    doc = ten_counter_config().to_dict()
    doc["simulation"] = {
        "seed": 1000,
        "start": "2026-01-05T09:00:00+08:00",
        "service_time": {
            "A": {"dist": "lognormal", "minutes": 6, "sd": 3},
            "B": {"dist": "lognormal", "minutes": 8, "sd": 4},
            "C": {"dist": "lognormal", "minutes": 4, "sd": 2},
            "D": {"dist": "lognormal", "minutes": 2, "sd": 1},
        },
        "arrivals": [
            {"at_min": round(480.0 * k / customers, 3), "service": SERVICES[k * 7 % 10 // 3 % 4]}
            for k in range(customers)
        ],
    }
    return doc


def bench_branch_day() -> dict[str, Any]:
    scenario = scenario_from_dict(branch_day_doc(), name="bench-1000")
    t, c = time.perf_counter(), time.process_time()
    run = simulate(scenario, "priority-aging")
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    return {
        "branch_day_s": round(elapsed, 3),
        "branch_day_cpu_s": round(cpu, 3),
        "branch_day_customers": len(scenario.arrivals),
        "branch_day_commands": run.commands,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--quick", action="store_true", help="smaller runs (smoke test)")
    args = parser.parse_args(argv)
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    out: dict[str, Any] = {}
    out.update(bench_pure(20_000 if args.quick else 200_000))
    out.update(bench_branch_day())
    if importlib.util.find_spec("lobbyq.engine.store") is not None:
        n = 200 if args.quick else 2000
        out["durable_cmds_per_s"] = round(bench_durable(n, 1))
        out["durable_group_cmds_per_s"] = round(bench_durable(n * 4, 32))
        out["durable_group_size"] = 32
        out.update(bench_replay(10_000 if args.quick else 100_000, 5000))
    out["cpu_s"] = round(time.process_time() - cpu0, 2)
    out["wall_s"] = round(time.perf_counter() - wall0, 2)
    out["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.json:
        print(json.dumps(out))
    else:
        for key, value in out.items():
            print(f"{key:>26}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
