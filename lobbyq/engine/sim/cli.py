"""`lobbyq simulate SCENARIO.toml [--policy NAME] [--json]`: compare policies on a day.

Prints a readable summary (overall and per service and class), or with
`--json` one object with at least mean_wait_min, max_wait_min, makespan_min,
served and by_service. `--events FILE` writes the day's event log as JSON
lines, which `lobbyq stats --events FILE` reads.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from lobbyq.core import POLICIES, CoreError, event_to_dict
from lobbyq.engine.sim.run import simulate, summarize
from lobbyq.engine.sim.scenario import load_scenario


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", type=Path, help="scenario TOML file (see examples/README.md)")
    parser.add_argument(
        "--policy", choices=sorted(POLICIES), help="dispatch policy (default: the branch's own)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--events", type=Path, help="write the event log here (JSON lines)")


def _row(label: str, b: dict[str, Any]) -> str:
    return (
        f"  {label:<18} {b['customers']:>5} {b['served']:>6} {b['mean_wait_min']:>9.1f}"
        f" {b['p90_wait_min']:>8.1f} {b['max_wait_min']:>8.1f}"
    )


def print_summary(s: dict[str, Any], out: TextIO) -> None:
    """The human-readable form: one header, then overall, per service, per class."""
    print(f"scenario {s['scenario'] or '-'}  policy {s['policy']}", file=out)
    print(
        f"served {s['served']} of {s['customers']}  makespan {s['makespan_min']:.1f} min  "
        f"mean service {s['mean_service_min']:.1f} min  over-wait alerts {s['over_wait_alerts']}",
        file=out,
    )
    print(f"  {'':<18} {'cust':>5} {'served':>6} {'mean wait':>9} {'p90':>8} {'max':>8}", file=out)
    print(_row("all", s), file=out)
    for code, b in s["by_service"].items():
        print(_row(f"service {code}", b), file=out)
    for cls, b in s["by_class"].items():
        print(_row(f"class {cls}", b), file=out)
    print("  (waits in minutes, from ticket to first call)", file=out)


def run(args: argparse.Namespace) -> int:
    try:
        scenario = load_scenario(args.scenario)
        result = simulate(scenario, args.policy, keep_events=args.events is not None)
    except (CoreError, OSError) as exc:
        print(f"lobbyq simulate: {exc}", file=sys.stderr)
        return 2
    if args.events is not None:
        with args.events.open("w", encoding="utf-8") as f:
            for ev in result.events:
                f.write(json.dumps(event_to_dict(ev), ensure_ascii=False) + "\n")
    summary = summarize(result)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print_summary(summary, sys.stdout)
    return 0
