"""Kiosk benchmark: idle CPU, memory, start to first frame, touch to ticket.

    python bench/kiosk.py --json

prints one JSON object with ``idle_cpu_pct``, ``rss_mb``, ``first_frame_s``
and ``touch_to_ticket_p99_ms`` (plus p50, the baseline and the targets).
The kiosk runs headless in a child process with the real engine on an
in-memory bus and the real printer driver on the printer simulator's pty, so
the figures are the kiosk's own. Touch to ticket is measured from the last
touch (``Continue without`` on the identify screen) to the last byte of the
ticket at the simulator; the baseline in the same run is the printer driver
alone printing the same ticket, i.e. the floor the kiosk cannot beat.

``idle_cpu_pct`` is headless (no SDL input to pump: the loop sleeps until
there is work); ``idle_cpu_pct_panel_poll`` is the same kiosk pumping SDL
input every 20 ms as it does with a touch panel.

Targets (issue 5): idle CPU <= 2 % of one core, RSS <= 80 MB, first frame
<= 2 s, touch to last ticket byte p99 <= 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

# bench/ holds scripts named like packages (bench/drivers.py): import the
# product from the repository root, never from this folder.
_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
sys.path[:] = [_ROOT, *(p for p in sys.path if os.path.abspath(p or ".") != _HERE)]

TARGETS = {
    "idle_cpu_pct": 2.0,
    "rss_mb": 80.0,
    "first_frame_s": 2.0,
    "touch_to_ticket_p99_ms": 100.0,
}


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def _rss_mb(field: str = "VmHWM") -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def child(spawned_at: float, n: int, idle_s: float) -> dict[str, float]:
    """Runs in the child process: start a kiosk, measure, stop."""
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    os.environ["SDL_AUDIODRIVER"] = "dummy"
    import tempfile
    import threading
    from pathlib import Path

    from drivers.mqtt.bus import MemoryBus
    from drivers.printer.sim import PrinterSim
    from kiosk.app import KioskApp
    from lobbyq.core.config import BranchConfig
    from lobbyq.engine.service import Engine
    from lobbyq.engine.store import EventStore

    tmp = Path(tempfile.mkdtemp(prefix="lobbyq-bench-"))
    config = BranchConfig.default()
    bus = MemoryBus()
    bus.start()
    engine = Engine(config, EventStore(tmp / "events.sqlite", branch=config.branch_id), bus)
    engine.start()
    sim = PrinterSim(tmp / "printer")
    # debounce 0: the bench's synthetic finger presses each new screen at once
    app = KioskApp(bus, config, printer=sim.url, headless=True, kiosk={"debounce_s": 0})
    out: dict[str, float] = {}
    done = threading.Event()

    def press(target: str) -> None:
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            frame = app.frame()
            if frame is not None:
                b = next((b for b in frame.buttons if b.id == target), None)
                if b is not None:
                    app.inject_touch(b.rect.x + b.rect.w / 2, b.rect.y + b.rect.h / 2)
                    return
            time.sleep(0.002)
        raise RuntimeError(f"no button {target!r} on {app.state.screen}")

    def wait_screen(screen: str) -> None:
        deadline = time.monotonic() + 3
        while app.state.screen != screen or app._dirty:
            if time.monotonic() > deadline:
                raise RuntimeError(f"stuck on {app.state.screen}, wanted {screen}")
            time.sleep(0.001)

    def drive() -> None:
        try:
            while app.first_frame_at is None:
                time.sleep(0.005)
            out["first_frame_s"] = (
                time.time() - (time.monotonic() - app.first_frame_at) - spawned_at
            )
            while app.printer is None:  # the printer opens on its own thread
                time.sleep(0.01)
            lat: list[float] = []
            failed = 0
            warmup = 3  # untimed: first-use imports and caches
            for i in range(n + warmup):
                press("start")
                wait_screen("ask")
                press("svc:A")
                wait_screen("identify")
                t0 = time.monotonic()
                press("skip")
                if sim.wait_for_ticket(2) is None:
                    failed += 1  # the driver gave up (deadline): counted, not timed
                elif i >= warmup:
                    lat.append((sim.ticket_times[-1] - t0) * 1000)
                wait_screen("ticket")
                while app.state.printing == "printing":
                    time.sleep(0.001)
                press("done")
                wait_screen("welcome")
            out["print_failures"] = failed
            out["touch_to_ticket_p50_ms"] = _pct(lat, 0.5)
            out["touch_to_ticket_p99_ms"] = _pct(lat, 0.99)
            # Baseline: the printer driver alone, same ticket, same simulator.
            data = app.printing.ticket_data(
                __import__("kiosk.ui.flow", fromlist=["PrintTicket"]).PrintTicket(
                    0, app.state.ticket or _any_ticket(), "zh-Hans"
                )
            )
            direct = app.printer  # the same driver object, without the kiosk around it
            assert direct is not None
            base: list[float] = []
            for _ in range(n):
                t0 = time.monotonic()
                try:
                    direct.print_ticket(data)
                except Exception:
                    continue
                if sim.wait_for_ticket(2) is not None:
                    base.append((sim.ticket_times[-1] - t0) * 1000)
            out["baseline_driver_p50_ms"] = _pct(base, 0.5)
            out["baseline_driver_p99_ms"] = _pct(base, 0.99)
            # Idle: nobody touches the screen; slides rotate, the printer is polled.
            time.sleep(1.0)
            c0, w0 = time.process_time(), time.monotonic()
            time.sleep(idle_s)
            out["idle_cpu_pct"] = (time.process_time() - c0) / (time.monotonic() - w0) * 100
            # The same with a panel attached: SDL input pumped every 20 ms.
            app.input_poll_s = 0.02
            app._wake()
            c0, w0 = time.process_time(), time.monotonic()
            time.sleep(idle_s)
            out["idle_cpu_pct_panel_poll"] = (
                (time.process_time() - c0) / (time.monotonic() - w0) * 100
            )
            out["rss_mb"] = _rss_mb()
        except Exception as exc:  # report, never hang the bench
            out["error"] = str(exc)  # type: ignore[assignment]
        finally:
            done.set()
            app.stop()

    threading.Thread(target=drive, daemon=True).start()
    app.run()
    done.wait(5)
    engine.stop()
    sim.close()
    return out


def _any_ticket() -> object:
    from kiosk.ui.flow import IssuedTicket

    return IssuedTicket("A001", "A", 0, None)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("-n", type=int, default=200, help="tickets to issue (default 200)")
    ap.add_argument("--idle", type=float, default=10.0, help="idle seconds measured (default 10)")
    ap.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.n, args.idle)))
        return 0
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    spawned = time.time()
    cmd = [sys.executable, os.path.abspath(__file__), "--child", str(spawned), "-n", str(args.n)]
    cmd += ["--idle", str(args.idle)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stderr[-4000:])
        return 1
    result = json.loads(lines[-1])
    result = {k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}
    result["n"] = args.n
    # The machine's load when the figures were taken: a shared box skews p99.
    result["loadavg_1m"] = round(os.getloadavg()[0], 2)
    result["cpus"] = os.cpu_count()
    result["targets"] = TARGETS
    result["pass"] = all(
        isinstance(result.get(k), float | int) and result[k] <= v for k, v in TARGETS.items()
    )
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:28} {v}")
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
