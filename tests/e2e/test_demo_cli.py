"""The README's demo command, as a user runs it (shortened)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image


def test_headless_demo_writes_summary_and_screenshot(broker_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "lobbyq",
            "demo",
            "--headless",
            "--duration",
            "8",
            "--out",
            str(out),
            "--broker",
            broker_url,
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert f"broker: {broker_url}" in proc.stdout
    summary = json.loads((out / "summary.json").read_text())
    for key in ("tickets_issued", "tickets_called", "tickets_finished"):
        assert isinstance(summary[key], int)
    assert summary["tickets_issued"] > 0
    assert summary["tickets_called"] > 0
    assert summary["broker_url"] == broker_url
    assert any("→" in zone for zone in summary["hall_zones"])  # a call reached the hall LED
    console = summary["console"]
    assert console["url"] in proc.stdout and console["password"] in proc.stdout
    assert console["login_page"] == 200 and console["user"] == "manager"
    assert console["services_seen"] == 4 and console["counters_seen"] >= 1
    with Image.open(out / "ticket.png") as ticket:
        assert ticket.size[0] >= 576  # a whole 80 mm ticket (576 dots) with its margin
    with Image.open(out / "kiosk.png") as img:
        assert img.size[0] >= 800 and img.size[1] >= 480
        colors = img.convert("L").getcolors(maxcolors=256)
        assert colors is not None and len(colors) > 10  # not a blank frame
