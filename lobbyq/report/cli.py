"""`lobbyq report (--db FILE | --events FILE) (--day D | --from D1 --to D2) --out DIR`.

Writes the daily report of one business day, or the period report of a
range, into DIR (see `lobbyq.report.build`). The engine's SQLite log is read
read-only, so a report can be made while the branch is open. Without
``--branch-config`` the day is taken in UTC with the default 15-minute target.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path

from lobbyq.core.config import BranchConfig, load_branch_config
from lobbyq.core.errors import LobbyqError
from lobbyq.report.i18n import DEFAULT_LANG, LANGS
from lobbyq.report.source import open_events

log = logging.getLogger("lobbyq.report")

MAX_PERIOD_DAYS = 366


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-06") from None


def configure(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--db", type=Path, help="the engine's event log (SQLite), read-only")
    src.add_argument("--events", type=Path, help="JSON-lines event file (lobbyq simulate)")
    parser.add_argument("--branch-config", type=Path, help="branch TOML: local time, targets")
    parser.add_argument("--day", type=_day, help="business day YYYY-MM-DD: the daily report")
    parser.add_argument("--from", dest="first", type=_day, help="first day of a period report")
    parser.add_argument("--to", dest="last", type=_day, help="last day of a period report")
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG, help="report language")


def _days(args: argparse.Namespace) -> tuple[str, str] | str:
    if args.day and (args.first or args.last):
        return "give either --day or --from and --to, not both"
    if args.day:
        return args.day, args.day
    if not (args.first and args.last):
        return "give --day D, or --from D1 --to D2"
    if args.first > args.last:
        return f"--from {args.first} is after --to {args.last}"
    if (date.fromisoformat(args.last) - date.fromisoformat(args.first)).days >= MAX_PERIOD_DAYS:
        return f"a period report covers at most {MAX_PERIOD_DAYS} days"
    return args.first, args.last


def _config(path: Path | None) -> BranchConfig:
    if path is not None:
        return load_branch_config(path)
    return BranchConfig(branch_id="branch", names={}, services=(), counters=())


def run(args: argparse.Namespace) -> int:
    span = _days(args)
    if isinstance(span, str):
        print(f"lobbyq report: {span}", file=sys.stderr)
        return 2
    from lobbyq.report.build import write_report

    try:
        config = _config(args.branch_config)
        written = write_report(
            open_events(args.db, args.events), config, span[0], span[1], args.out, args.lang
        )
    except (OSError, LobbyqError) as exc:
        log.error("report not written: %s", exc)
        print(f"lobbyq report: {exc}", file=sys.stderr)
        return 2
    print(f"{written.out / 'index.html'}  ({len(written.charts)} charts, {len(written.csvs)} CSV)")
    return 0
