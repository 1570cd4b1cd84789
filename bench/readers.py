"""Identification reader benchmarks: decode cost, latency over a pty, recovery, fuzz.

    python bench/readers.py              # full run: 1,000,000 fuzz frames per reader decoder
    python bench/readers.py --quick      # 100,000 per decoder, fewer latency samples
    python bench/readers.py --json

Figures, each with its in-run baseline:

- ``decode_us``: microseconds per good frame through each reader decoder
  (decode, check, hash), against ``hmac_us``, one HMAC-SHA256 of the same
  bytes: the cost every identification pays anyway;
- ``swipe_ms`` / ``scan_ms``: a swipe (scan) written by the simulator to the
  ``Identity`` (``Appointment``) delivered to the application, p50/p99,
  against ``pty_ms``, the same bytes through the same transport to a handler
  that does nothing;
- ``id_read_ms``: one find/select/read round for a placed ID card (1295-byte
  answer), p50/p99, against ``id_find_ms``, one find-card exchange;
- ``replug_s``: unplug, replug, until the reader reports online again (worst);
- ``fuzz``: frames fed to each registered reader decoder and failures found
  (anything but ``DriverError``), from ``drivers.fuzzregistry``;
- ``cpu_s`` and ``max_rss_mb`` of the whole run.

The structure-aware fuzz campaigns live in the test suite:
``pytest -m soak tests/drivers/identity`` runs them with a million frames each.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import logging
import random
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from drivers.fuzzregistry import CODECS, fuzz  # noqa: E402
from drivers.idcard.codec import Op  # noqa: E402
from drivers.idcard.driver import IdCardReader  # noqa: E402
from drivers.idcard.sim import IdCardReaderSim  # noqa: E402
from drivers.identity import IdentityHasher  # noqa: E402
from drivers.magstripe.driver import CardReader  # noqa: E402
from drivers.magstripe.sim import CardReaderSim  # noqa: E402
from drivers.qrscan.driver import QrScanner  # noqa: E402
from drivers.qrscan.sim import QrScannerSim  # noqa: E402
from drivers.readers import synthetic_id_number, synthetic_pan  # noqa: E402
from drivers.transport import SerialLink  # noqa: E402

READER_CODECS = ("magstripe.", "idcard.", "qrscan.")
HASHER = IdentityHasher(b"benchmark-only-secret-not-a-branch")


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {"p50": round(pct(values, 50), 3), "p99": round(pct(values, 99), 3), "n": len(values)}


def decode_cost(rounds: int) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    key = b"k" * 32
    for codec in CODECS:
        if not codec.name.startswith(READER_CODECS):
            continue
        samples = list(codec.sample_frames())
        n = rounds * len(samples)
        decode = codec.make_decoder()
        t0 = time.perf_counter()
        for _ in range(rounds):
            for frame in samples:
                decode(frame)
        dec = (time.perf_counter() - t0) / n * 1e6
        t0 = time.perf_counter()
        for _ in range(rounds):
            for frame in samples:
                hmac.new(key, frame, hashlib.sha256).digest()
        base = (time.perf_counter() - t0) / n * 1e6
        out[codec.name] = {"decode_us": round(dec, 2), "hmac_us": round(base, 2)}
    return out


def _timed_deliveries(
    count: int, send: Callable[[int], None], delivered: threading.Event
) -> list[float]:
    times: list[float] = []
    for i in range(count):
        delivered.clear()
        t0 = time.perf_counter()
        send(i)
        if not delivered.wait(2.0):
            raise RuntimeError("no delivery within 2 s")
        times.append((time.perf_counter() - t0) * 1000)
    return times


def swipe_latency(tmp: Path, count: int) -> dict[str, dict[str, float]]:
    rng = random.Random(1)
    pans = [synthetic_pan(rng) for _ in range(count)]
    got = threading.Event()
    with CardReaderSim(tmp / "card") as sim:
        # baseline: the same transport and bytes, a handler that only signals
        frames: list[bytes] = []
        link = SerialLink(
            sim.url, name="pty-baseline", on_data=lambda b: got.set() if b.endswith(b"\r") else None
        )
        link.start()
        link.wait_connected(3.0)
        from drivers.magstripe.codec import encode_swipe, encode_track1, encode_track2

        for p in pans:
            frames.append(
                encode_swipe(
                    encode_track1(p, "BENCH/TEST", "3012", "201"), encode_track2(p, "3012", "201")
                )
            )
        base = _timed_deliveries(count, lambda i: sim.send(frames[i]), got)
        link.close()
        reader = CardReader(sim.url, HASHER, lambda _i: got.set())
        reader.start()
        reader.wait_connected(3.0)
        swipe = _timed_deliveries(count, lambda i: sim.swipe_card(pans[i], "BENCH/TEST"), got)
        reader.close()
    return {"swipe_ms": summary(swipe), "pty_ms": summary(base)}


def scan_latency(tmp: Path, count: int) -> dict[str, float]:
    got = threading.Event()
    with QrScannerSim(tmp / "qr") as sim:
        scanner = QrScanner(sim.url, HASHER, lambda _a: got.set())
        scanner.start()
        scanner.wait_connected(3.0)
        times = _timed_deliveries(count, lambda i: sim.scan_appointment(f"APPT-{i:06d}"), got)
        scanner.close()
    return summary(times)


def id_latency(tmp: Path, count: int) -> dict[str, dict[str, float]]:
    rng = random.Random(2)
    with IdCardReaderSim(tmp / "id") as sim:
        reader = IdCardReader(sim.url, HASHER, lambda _i: None)
        reader.link.start()  # drive rounds by hand: no poll thread
        reader.link.wait_connected(3.0)
        find: list[float] = []
        read: list[float] = []
        for _ in range(count):
            t0 = time.perf_counter()
            reader.transact(Op.FIND_CARD)
            find.append((time.perf_counter() - t0) * 1000)
            sim.place(synthetic_id_number(rng), "测试")
            t0 = time.perf_counter()
            if reader.poll_once() is None:
                raise RuntimeError("placed card not read")
            read.append((time.perf_counter() - t0) * 1000)
            sim.remove()
            reader.poll_once()  # sees the empty field
        reader.link.close()
    return {"id_read_ms": summary(read), "id_find_ms": summary(find)}


def replug(tmp: Path, cycles: int) -> dict[str, float]:
    worst: dict[str, float] = {}
    for kind in ("card", "qr", "id"):
        online = threading.Event()

        def on_health(h: object, ev: threading.Event = online) -> None:
            if getattr(h, "online", False):
                ev.set()

        sim: CardReaderSim | QrScannerSim | IdCardReaderSim
        if kind == "card":
            sim = CardReaderSim(tmp / "r-card")
            reader: CardReader | QrScanner | IdCardReader = CardReader(
                sim.url, HASHER, lambda _i: None, on_health, backoff_max=0.1
            )
        elif kind == "qr":
            sim = QrScannerSim(tmp / "r-qr")
            reader = QrScanner(sim.url, HASHER, lambda _a: None, on_health, backoff_max=0.1)
        else:
            sim = IdCardReaderSim(tmp / "r-id")
            reader = IdCardReader(
                sim.url, HASHER, lambda _i: None, on_health, poll_interval=0.05, backoff_max=0.1
            )
        reader.start()
        if not online.wait(3.0):
            raise RuntimeError(f"{kind} reader never came online")
        times: list[float] = []
        for _ in range(cycles):
            sim.unplug()
            while reader.online:
                time.sleep(0.001)
            online.clear()
            t0 = time.perf_counter()
            sim.replug()
            if not online.wait(5.0):
                raise RuntimeError(f"{kind} reader did not come back")
            times.append(time.perf_counter() - t0)
        reader.close()
        sim.close()
        worst[kind] = round(max(times), 3)
    return worst


def run_fuzz(frames: int) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for codec in CODECS:
        if codec.name.startswith(READER_CODECS):
            t0 = time.perf_counter()
            result = fuzz(codec, frames, seed=1)
            out[codec.name] = {
                "frames": result.frames,
                "rejected": result.rejected,
                "failures": len(result.failures),
                "frames_per_s": round(result.frames / (time.perf_counter() - t0)),
            }
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100,000 fuzz frames, fewer samples")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    # faults are provoked on purpose (unplugs): keep their recorder dumps off the output
    logging.basicConfig(level=logging.CRITICAL)
    frames = 100_000 if args.quick else 1_000_000
    samples = 100 if args.quick else 500
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        report: dict[str, object] = {"decode": decode_cost(200 if args.quick else 2000)}
        report.update(swipe_latency(tmp, samples))
        report["scan_ms"] = scan_latency(tmp, samples)
        report.update(id_latency(tmp, samples // 5))
        report["replug_s"] = replug(tmp, 5 if args.quick else 20)
    fuzz_report = run_fuzz(frames)
    report["fuzz"] = fuzz_report
    ru = resource.getrusage(resource.RUSAGE_SELF)
    report["cpu_s"] = round(ru.ru_utime + ru.ru_stime, 2)
    report["max_rss_mb"] = round(ru.ru_maxrss / 1024, 1)
    failures = sum(int(str(v["failures"])) for v in fuzz_report.values())
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        for key, value in report.items():
            print(f"{key:12} {value}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
