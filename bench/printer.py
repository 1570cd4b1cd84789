"""Ticket printer figures: render time, touch-to-last-byte, recovery, fuzzing.

Run: ``python bench/printer.py [--tickets 500] [--cycles 20] [--fuzz 1000000] [--json]``

* ``render_ms``: pure ``render_ticket`` time per profile (p50/p99).
* ``ticket_ms``: what the kiosk pays per ticket: render, DLE EOT status
  round trip, write, until the simulator on the pty has the cut (last byte).
  The goal is p99 at most 100 ms. ``floor_ms`` is the baseline measured in
  the same run: the same pre-rendered bytes written on a plain pyserial port
  with no status check, so ``overhead_ms`` is what the driver adds.
* ``replug_recovery_s``: worst time from replug to an online status.
* ``fuzz_frames``/``fuzz_failures``: the printer decoders under mutated input.
* ``cpu_s``, ``rss_mb``: process CPU time and peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import serial
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drivers.fuzzregistry import CODECS, fuzz
from drivers.printer.driver import TicketPrinter
from drivers.printer.profiles import PROFILES
from drivers.printer.sim import PrinterSim
from drivers.printer.ticket import TicketData, render_ticket

ZH = {"your_number": "您的号码", "people_ahead": "前面等候", "expected_wait": "预计等待",
      "minutes": "{minutes} 分钟", "zone": "请到", "prepare": "请准备", "sep": "："}  # fmt: skip


def _ticket(i: int) -> TicketData:
    return TicketData(
        branch_name="北京西单支行",
        number=f"A{i % 1000:03d}",
        service_name="个人开户 / 银行卡",
        lang="zh-Hans",
        issued_at=datetime(2026, 11, 23, 9, 0),
        people_ahead=i % 17,
        expected_wait_min=i % 40,
        prepare="身份证原件\n开户申请表",
        zone="A区 1-2号窗口",
        qr_payload=f"https://q.example/t/{i:06d}",
        labels=ZH,
    )


def _logo() -> Image.Image:
    img = Image.new("L", (320, 96), 255)
    draw = ImageDraw.Draw(img)
    draw.rectangle((4, 4, 315, 91), outline=0, width=6)
    draw.ellipse((20, 14, 88, 82), fill=0)
    return img


def _pct(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"p50": round(statistics.median(ordered), 3), "p99": round(p99, 3)}


def bench_render(n: int) -> dict[str, dict[str, float]]:
    out = {}
    logo = _logo()
    for name in ("cn80", "intl80"):
        times = []
        for i in range(n):
            t0 = time.perf_counter()
            render_ticket(_ticket(i), PROFILES[name], logo=logo)
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = _pct(times)
    return out


def bench_tickets(n: int, profile: str, tmp: Path) -> dict[str, object]:
    logo = _logo()
    with PrinterSim(tmp / f"printer-{profile}") as sim:
        printer = TicketPrinter(sim.url, PROFILES[profile], logo=logo)
        printer.open(wait=2.0)
        times = []
        start = time.perf_counter()
        for i in range(n):
            t0 = time.perf_counter()
            printer.print_ticket(_ticket(i))
            if sim.wait_for_ticket(2.0) is None:
                raise SystemExit("the simulator never got a ticket")
            times.append((time.perf_counter() - t0) * 1000)
        total = time.perf_counter() - start
        printer.close()
        # baseline: the same bytes, plain pyserial, no status, no render
        data = render_ticket(_ticket(0), PROFILES[profile], logo=logo)
        port = serial.serial_for_url(sim.url, baudrate=19200, timeout=1.0)
        floor = []
        for _ in range(n):
            t0 = time.perf_counter()
            port.write(data)
            sim.wait_for_ticket(2.0)
            floor.append((time.perf_counter() - t0) * 1000)
        port.close()
    ours, base = _pct(times), _pct(floor)
    return {
        "ticket_ms": ours,
        "floor_ms": base,
        "overhead_ms": {k: round(ours[k] - base[k], 3) for k in ours},
        "tickets_per_s": round(n / total, 1),
        "ticket_bytes": len(data),
    }


def bench_recovery(cycles: int, tmp: Path) -> float:
    worst = 0.0
    with PrinterSim(tmp / "printer-replug") as sim:
        printer = TicketPrinter(sim.url, PROFILES["cn80"], timeout=0.2)
        printer.open(wait=2.0)
        for _ in range(cycles):
            sim.unplug()
            while printer.connected:
                time.sleep(0.001)
            sim.replug()
            t0 = time.perf_counter()
            while not printer.status().online:
                if time.perf_counter() - t0 > 10:
                    raise SystemExit("no recovery within 10 s")
            worst = max(worst, time.perf_counter() - t0)
        printer.close()
    return round(worst, 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--fuzz", type=int, default=100_000, help="frames per printer decoder")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    result: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        result["render_ms"] = bench_render(args.tickets)
        result["native_cn80"] = bench_tickets(args.tickets, "cn80", tmp)
        result["raster_intl80"] = bench_tickets(args.tickets, "intl80", tmp)
        result["replug_recovery_s"] = bench_recovery(args.cycles, tmp)
    frames = failures = 0
    t0 = time.perf_counter()
    for codec in CODECS:
        if codec.name.startswith("printer."):
            r = fuzz(codec, args.fuzz, seed=2026)
            frames += r.frames
            failures += len(r.failures)
    result["fuzz_frames"] = frames
    result["fuzz_failures"] = failures
    result["fuzz_s"] = round(time.perf_counter() - t0, 1)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    result["rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>18}: {value}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
