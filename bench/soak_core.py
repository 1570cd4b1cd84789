"""Run the queue core's long property campaigns (deselected from the normal suite).

    python bench/soak_core.py [--examples N]

Runs `tests/core` with `-m soak`: 500 random sequences (or `--examples`) of 1,500
commands each over every dispatch policy, checking every invariant after
every step, then replay and snapshot equality. Prints pytest's summary and
the wall time; the exit status is pytest's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, help="override hypothesis max_examples")
    args = parser.parse_args(argv)
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "tests/core",
        "-m",
        "soak",
        "-q",
        "-p",
        "no:cacheprovider",
        "--timeout=0",
    ]
    env = dict(os.environ)
    if args.examples:
        env["LOBBYQ_SOAK_EXAMPLES"] = str(args.examples)
    t = time.perf_counter()
    rc = subprocess.call(cmd, cwd=ROOT, env=env)
    print(f"soak finished in {time.perf_counter() - t:.1f} s (exit {rc})")
    return rc


if __name__ == "__main__":
    sys.exit(main())
