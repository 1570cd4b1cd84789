"""`lobbyq device provision BRANCH.toml -o OUT`: the files for every device and the broker."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from lobbyq.core.errors import ConfigError, Problem
from lobbyq.device.branchfile import BranchFile, load_branch_file
from lobbyq.device.provision import provision, queue_problems


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "branch_file", type=Path, help="the branch file (see deploy/branch.example.toml)"
    )
    parser.add_argument(
        "-o", "--out", type=Path, required=True, help="output folder (kept between runs)"
    )
    parser.add_argument(
        "--queue-config",
        type=Path,
        help="the queue config (services, counters) to check against and ship to the engine, "
        "kiosks and counters; "
        "default: branch.queue_config",
    )
    parser.add_argument(
        "--rotate", action="store_true", help="issue new passwords for every account"
    )


def read_queue(bf: BranchFile, path: Path | None) -> tuple[str | None, list[str]]:
    """The queue config's text (None without one) and what disagrees with the devices.

    ``check --branch`` and ``provision`` both call this, so a branch that
    check passes is one provision accepts.
    """
    if path is None:
        return None, []
    try:
        text = path.read_text(encoding="utf-8")
        doc = tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(
            str(path),
            [Problem("file", f"cannot read it ({exc.strerror})", "pass --queue-config PATH")],
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            str(path), [Problem("file", f"not valid TOML: {exc}", "fix the syntax")]
        ) from None
    return text, queue_problems(bf, doc, str(path))


def print_disagreements(branch_file: Path, problems: list[str]) -> None:
    print(f"{branch_file}: the devices and the queue config disagree:", file=sys.stderr)
    for p in problems:
        print(f"  - {p}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    bf = load_branch_file(args.branch_file)
    queue_text, problems = read_queue(bf, args.queue_config or bf.queue_config)
    if problems:
        print_disagreements(args.branch_file, problems)
        return 2
    result = provision(bf, args.out, queue_text=queue_text, rotate=args.rotate)
    print(f"branch {bf.branch}: {len(bf.devices)} devices written to {args.out}")
    for d in bf.devices:
        extra = f" counter {d.counter_id}" if d.counter_id else ""
        print(f"  {d.device_id:<16} {d.role:<8}{extra}".rstrip())
    if result.new_credentials:
        print("new passwords: " + ", ".join(result.new_credentials))
    if result.kept_credentials:
        print(f"kept existing passwords for {len(result.kept_credentials)} accounts")
    if queue_text is None:
        print(
            "note: no queue config given; the engine, kiosks and counters need queue.toml "
            "in /etc/lobbyq before they start"
        )
    if not (args.out / "ca.crt").exists():
        print("note: no ca.crt in the output folder yet; the kiosk install creates the branch CA")
    print("next: install on each Pi with deploy/install.sh (see deploy/README.md)")
    return 0
