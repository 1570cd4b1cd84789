"""Driver benchmarks: decode throughput, fuzzing, key latency, replug recovery.

    python bench/drivers.py --json            # full run (1,000,000 fuzz frames per codec)
    python bench/drivers.py --json --quick    # 100,000 per codec, 20 replug cycles
    python bench/drivers.py --json --only bus.  # fuzz just the counter bus codecs

Prints one JSON object (with --json) or a table:

- ``decode_fps``: good frames per second through each registered decoder,
  with checksumming alone over the same bus frames (``bus_crc16_only_fps``)
  as the in-run baseline;
- ``fuzz_frames`` run and ``fuzz_failures`` found (anything but ``DriverError``);
- ``key_latency_ms``: key press at the keypad simulator to ``KeyPressed`` at
  the host (report mode), with poll mode as the baseline;
- ``key_to_strip_ms``: press written by the keypad simulator to the STRIP_SHOW
  the host sends in reaction, received by the strip simulator: the bus share
  of the end-to-end call latency;
- ``replug_recovery_s``: worst time from replug to every device online again,
  over N unplug/replug cycles per device kind (goal < 1 s), with the
  master's default keep-alive and reconnect backoff, as the apps run it;
- ``idle_cpu_pct_counter_bus``: CPU share of an idle counter bus (host and
  three simulated devices in this process), report vs poll mode;
- ``cpu_s`` and ``max_rss_mb`` of the whole run, and ``loadavg_1m``: the
  latency tails are scheduler-bound on a busy two-core machine, so read them
  with the load beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from drivers.bus.crc import crc16  # noqa: E402
from drivers.bus.device_sim import DeviceSim  # noqa: E402
from drivers.bus.events import BusEvent, KeyPressed  # noqa: E402
from drivers.bus.harness import EventLog, replug_recovery  # noqa: E402
from drivers.bus.master import BusMaster  # noqa: E402
from drivers.bus.messages import StripShow  # noqa: E402
from drivers.bus.sim import BusSim  # noqa: E402
from drivers.errors import DriverError  # noqa: E402
from drivers.fuzzregistry import CODECS, fuzz  # noqa: E402
from drivers.keypad.codes import Key  # noqa: E402
from drivers.keypad.sim import KeypadSim  # noqa: E402
from drivers.led.driver import strip_show  # noqa: E402
from drivers.led.sim import HallDisplaySim, StripSim  # noqa: E402
from drivers.ratingpad.sim import RatingPadSim  # noqa: E402

FAST = {"keepalive_s": 0.1, "reply_timeout_s": 0.03, "baudrate": 1_000_000, "backoff_max": 0.05}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary_ms(values: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values]
    return {
        "p50": round(pct(ms, 50), 3),
        "p99": round(pct(ms, 99), 3),
        "max": round(max(ms), 3),
        "mean": round(statistics.fmean(ms), 3),
        "n": len(ms),
    }


def decode_throughput(min_time: float = 0.3) -> tuple[dict[str, float], float]:
    """Good frames per second per codec, and CRC-16 alone over the bus samples."""
    out: dict[str, float] = {}
    bus_frames: list[bytes] = []
    for codec in CODECS:
        samples = list(codec.sample_frames())
        if codec.name == "bus.frame":
            bus_frames = samples
        n = 0
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < min_time:
            decoder = codec.make_decoder()
            for frame in samples:
                with contextlib.suppress(DriverError):
                    decoder(frame)
                n += 1
        out[codec.name] = round(n / (time.perf_counter() - t0))
    n = 0
    t0 = time.perf_counter()
    while bus_frames and time.perf_counter() - t0 < min_time:
        for frame in bus_frames:
            crc16(frame[1:-2])
            n += 1
    return out, round(n / (time.perf_counter() - t0))


def run_fuzz(per_codec: int, only: str) -> tuple[int, int, dict[str, list[str]]]:
    total = failures = 0
    details: dict[str, list[str]] = {}
    for codec in CODECS:
        if not codec.name.startswith(only):
            continue
        result = fuzz(codec, per_codec, seed=2024)
        total += result.frames
        failures += len(result.failures)
        if result.failures:
            details[codec.name] = result.failures[:3]
    return total, failures, details


def key_latency(tmp: Path, presses: int, report: bool) -> list[float]:
    kp = KeypadSim(1)
    got = threading.Event()
    stamps: list[float] = []

    def on_event(ev: BusEvent) -> None:
        if isinstance(ev, KeyPressed):
            stamps.append(time.perf_counter())
            got.set()

    lat: list[float] = []
    with (
        BusSim(tmp / f"lat-{report}", [kp]) as sim,
        BusMaster(
            sim.url,
            devices=[1],
            on_event=on_event,
            report_events=report,
            poll_interval_s=0.005,
            **FAST,  # type: ignore[arg-type]
        ) as m,
    ):
        if not m.wait_online(1, 5):
            raise DriverError("keypad never came online")
        time.sleep(0.05)
        for _ in range(presses):
            got.clear()
            t0 = time.perf_counter()
            kp.press(Key.CALL)
            if not got.wait(2):
                raise DriverError("a key press was lost")
            lat.append(stamps[-1] - t0)
            time.sleep(0.002)
    return lat


def key_to_strip(tmp: Path, presses: int) -> list[float]:
    """Press at the keypad sim -> host reacts with STRIP_SHOW -> strip sim has it."""
    kp, strip = KeypadSim(1), StripSim(3)
    lat: list[float] = []
    with BusSim(tmp / "k2s", [kp, strip]) as sim:
        master = BusMaster(sim.url, devices=[1, 3], **FAST)  # type: ignore[arg-type]
        counter = [0]

        def on_event(ev: BusEvent) -> None:
            if isinstance(ev, KeyPressed):
                counter[0] += 1
                with contextlib.suppress(DriverError):  # closing down
                    strip_show(master, 3, f"请A{counter[0]:03d}号到3号窗口")

        master.subscribe(on_event)
        with master:
            if not (master.wait_online(1, 5) and master.wait_online(3, 5)):
                raise DriverError("devices never came online")
            time.sleep(0.05)
            for i in range(1, presses + 1):
                want = f"请A{i:03d}号到3号窗口"
                kp.press(Key.CALL)
                if not strip.wait_until(lambda s, w=want: s.text == w, 2):  # type: ignore[misc]
                    raise DriverError("strip never showed the call")
                sent_t = kp.sent_events[-1][0]
                got = [
                    r
                    for r in strip.received_of(StripShow)
                    if isinstance(r.msg, StripShow) and r.msg.text == want
                ]
                lat.append(got[0].t - sent_t)
    return lat


def idle_cpu(tmp: Path, seconds: float) -> dict[str, float]:
    """CPU share of one idle counter bus (3 devices), default keep-alive, host and sims."""
    from drivers.bus.rigs import CounterRig

    out: dict[str, float] = {}
    for name, report in (("report_mode", True), ("poll_mode", False)):
        rig = CounterRig.build(tmp / f"idle-{name}")
        try:
            with BusMaster(
                rig.url, devices=[1, 2, 3], report_events=report, baudrate=1_000_000
            ) as m:
                for a in (1, 2, 3):
                    m.wait_online(a, 5)
                c0, t0 = time.process_time(), time.perf_counter()
                time.sleep(seconds)
                out[name] = round(100 * (time.process_time() - c0) / (time.perf_counter() - t0), 2)
        finally:
            rig.close()
    return out


def replug_worst(tmp: Path, cycles: int) -> dict[str, float]:
    kinds: dict[str, Callable[[], list[DeviceSim]]] = {
        "keypad": lambda: [KeypadSim(1)],
        "rating_pad": lambda: [RatingPadSim(1, keys=5)],
        "led_strip": lambda: [StripSim(1)],
        "hall_display": lambda: [HallDisplaySim(1)],
        "counter_bus_3_devices": lambda: [KeypadSim(1), RatingPadSim(2), StripSim(3)],
    }
    out: dict[str, float] = {}
    for name, make in kinds.items():
        devs = make()
        addrs = [d.addr for d in devs]
        log = EventLog()
        with (
            BusSim(tmp / f"rp-{name}", devs) as sim,
            BusMaster(sim.url, devices=addrs, on_event=log, baudrate=1_000_000) as m,
        ):
            for a in addrs:
                if not m.wait_online(a, 5):
                    raise DriverError(f"{name} never came online")
            out[name] = round(max(replug_recovery(sim, m, log, addrs) for _ in range(cycles)), 4)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--quick", action="store_true", help="100k fuzz frames, 20 replug cycles")
    ap.add_argument("--fuzz", type=int, help="fuzz frames per codec (default 1,000,000)")
    ap.add_argument("--cycles", type=int, help="unplug/replug cycles per device (default 100)")
    ap.add_argument("--presses", type=int, default=300, help="key presses for latency")
    ap.add_argument(
        "--only", default="", help="fuzz only codecs whose name starts with this (e.g. bus.)"
    )
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    per_codec = args.fuzz or (100_000 if args.quick else 1_000_000)
    cycles = args.cycles or (20 if args.quick else 100)

    t_start = time.perf_counter()
    decode_fps, crc_fps = decode_throughput()
    fuzz_frames, fuzz_failures, fuzz_details = run_fuzz(per_codec, args.only)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        report = key_latency(tmp, args.presses, report=True)
        poll = key_latency(tmp, args.presses, report=False)
        k2s = key_to_strip(tmp, args.presses)
        replug = replug_worst(tmp, cycles)
        idle = idle_cpu(tmp, 2.0 if args.quick else 5.0)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "decode_fps": decode_fps,
        "bus_crc16_only_fps": crc_fps,
        "fuzz_frames": fuzz_frames,
        "fuzz_failures": fuzz_failures,
        "fuzz_failure_samples": fuzz_details,
        "fuzz_codecs": [c.name for c in CODECS if c.name.startswith(args.only)],
        "key_latency_ms": summary_ms(report),
        "key_latency_poll_mode_ms": summary_ms(poll),
        "key_to_strip_ms": summary_ms(k2s),
        "replug_recovery_s": max(replug.values()),
        "replug_recovery_by_device_s": replug,
        "replug_cycles_per_device": cycles,
        "goals": {
            "replug_recovery_under_1s": max(replug.values()) < 1.0,
            "bus_share_p99_under_2ms": pct([x * 1000 for x in k2s], 99) < 2.0,
            "no_fuzz_failures": fuzz_failures == 0,
        },
        "idle_cpu_pct_counter_bus": idle,
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "wall_s": round(time.perf_counter() - t_start, 1),
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key, value in result.items():
            print(f"{key:32} {value}")
    return 0 if fuzz_failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
