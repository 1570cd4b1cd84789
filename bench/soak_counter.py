"""Soak the counter flow: the random-script properties over many more scripts.

    python bench/soak_counter.py          # 10,000 scripts of up to 120 events

Runs ``tests/counter/test_counter_flow_props.py -m soak`` and prints how long it took.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    t0 = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "soak", "-p", "no:cacheprovider",
         str(ROOT / "tests" / "counter" / "test_counter_flow_props.py")],
        cwd=ROOT,
    )  # fmt: skip
    print(f"soak_counter: exit {res.returncode} in {time.perf_counter() - t0:.1f} s")
    return res.returncode


if __name__ == "__main__":
    sys.exit(main())
