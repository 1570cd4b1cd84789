"""`lobbyq stats [--day DATE] [--json] [--db FILE | --events FILE]`: the daily figures.

Reads the branch's SQLite event log (`--db`, the engine's file) or a JSON-lines
event file (`--events`, as `lobbyq simulate --events` writes; the database is
opened read-only, so the engine keeps running) and prints the
figures of `lobbyq.report.stats.daily_stats`: a short table per day, or the
whole object with `--json` for head office.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from lobbyq.core.config import load_branch_config
from lobbyq.core.dayclock import branch_tz
from lobbyq.core.errors import LobbyqError
from lobbyq.report.source import open_events
from lobbyq.report.stats import daily_stats


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--day", help="business day as YYYY-MM-DD (default: every day in the log)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--branch-config", type=Path, help="branch TOML, for local hours in by_hour (default UTC)"
    )
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--db", type=Path, help="the engine's event log (SQLite, as given to lobbyq engine --db)"
    )
    src.add_argument("--events", type=Path, help="JSON-lines event file instead of the database")


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def print_table(result: dict[str, Any], out: TextIO) -> None:
    """One block per day: the branch line, then services, counters, tellers."""
    header = (
        f"  {'':<18} {'issued':>6} {'served':>6} {'noshow':>6} {'cancel':>6} "
        f"{'wait avg':>8} {'p90':>6} {'svc avg':>7} {'rated':>5} {'unrated':>7} "
        f"{'satisf':>7} {'ident':>7}"
    )
    for day, d in result["days"].items():
        print(f"day {day}", file=out)
        print(header, file=out)
        rows = [("branch", d["branch"])]
        rows += [(f"service {k}", v) for k, v in d["by_service"].items()]
        rows += [(f"counter {k}", v) for k, v in d["by_counter"].items()]
        rows += [(f"teller {k}", v) for k, v in d["by_teller"].items()]
        for label, b in rows:
            print(
                f"  {label:<18} {b.get('issued', ''):>6} {b['served']:>6} {b['no_shows']:>6} "
                f"{b['cancelled']:>6} {b['wait_s']['mean'] / 60:>7.1f}m "
                f"{b['wait_s']['p90'] / 60:>5.1f}m {b['service_s']['mean'] / 60:>6.1f}m "
                f"{b['rated']:>5} {b['unrated']:>7} {_pct(b['satisfaction_rate']):>7} "
                f"{_pct(b.get('identification_rate')) if 'issued' in b else '':>7}",
                file=out,
            )
        hours = d["branch"]["by_hour"]
        if hours:
            flow = "  ".join(f"{h}h {v['issued']}" for h, v in hours.items())
            print(f"  tickets by hour: {flow}", file=out)
    if not result["days"]:
        print("no tickets in the log for that day", file=out)


def run(args: argparse.Namespace) -> int:
    try:
        events = open_events(args.db, args.events)
        tz = None
        if args.branch_config is not None:
            tz = branch_tz(load_branch_config(args.branch_config))
        result = daily_stats(events, args.day, tz)
    except (OSError, ValueError, LobbyqError) as exc:  # ValueError: a bad JSON line
        print(f"lobbyq stats: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print_table(result, sys.stdout)
    return 0
