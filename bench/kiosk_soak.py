"""Run the kiosk's soak campaigns: long random customer scripts through the flow.

    python bench/kiosk_soak.py

Runs the ``soak``-marked tests of ``tests/kiosk`` (20 000 random scripts of up
to 200 steps each) and prints how long they took; the default test run keeps
a 300-script version of the same property.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    start = time.monotonic()
    cmd = [sys.executable, "-m", "pytest", "-q", "-m", "soak", "-p", "no:cacheprovider"]
    cmd += ["--timeout=3600", os.path.join(ROOT, "tests", "kiosk")]
    rc = subprocess.call(cmd, cwd=ROOT)
    print(f"kiosk soak: exit {rc} in {time.monotonic() - start:.1f} s")
    return rc


if __name__ == "__main__":
    sys.exit(main())
