"""Erlang C against the simulator: service level, waiting share and mean wait at steady load.

    python bench/staffing.py [--days 30] [--hours 20] [--json] [--quick]

Runs `examples/erlang-steady.toml` (one queue, equal counters, Poisson
arrivals, exponential service: the M/M/c queue Erlang C assumes) through the
real core for each (counters, utilisation) point, with seeds 1..N, and prints
the formula next to the mean over days of the simulated figures. The days are
long (20 h, starting just after the business day's rollover) and customers
who arrive in the first hour are left out, because the formula is the steady
state and a day starts empty; with `--hours 8` the table shows an ordinary
opening day instead, where the queue at high load never reaches that steady
state and the formula is pessimistic. A point passes when the simulated
service level is within `MARGIN` of the formula (about two standard errors
of the mean at the noisiest points). `--quick` is the small version the tests
run: three points, eight days, a margin widened for the extra noise.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lobbyq.core.staffing import predict  # noqa: E402
from lobbyq.engine.sim import scenario_from_dict, simulate  # noqa: E402

SCENARIO = ROOT / "examples" / "erlang-steady.toml"
POINTS: tuple[tuple[int, float], ...] = tuple(
    (c, rho) for c in (2, 3, 5) for rho in (0.6, 0.75, 0.9)
)
QUICK_POINTS: tuple[tuple[int, float], ...] = ((2, 0.6), (3, 0.75), (5, 0.9))
MARGIN = 0.05  # absolute, on the service level: the mean of 30 days of 20 h
QUICK_MARGIN = 0.08  # the same on 8 days: two to three standard errors
WARMUP_MIN = 60.0
LONG_DAY_START = "2026-01-05T03:00:00+08:00"


def _day(doc: dict[str, Any], counters: int, rho: float, seed: int, hours: float) -> dict[str, Any]:
    """The scenario with `counters` counters at utilisation `rho`, seeded."""
    service = doc["services"][0]["code"]
    mean_min = float(doc["simulation"]["service_time"][service]["minutes"])
    per_hour = rho * counters * 60.0 / mean_min
    sim = dict(doc["simulation"])
    sim["seed"] = seed
    # Right after the 03:00 rollover, so a long day stays one business day.
    sim["start"] = LONG_DAY_START
    sim["rates"] = [{"service": service, "from_hour": 0, "to_hour": hours, "per_hour": per_hour}]
    sim.pop("open", None)
    return {
        **doc,
        "counters": [{"id": str(i + 1), "services": [service]} for i in range(counters)],
        "simulation": sim,
    }


def _measure(day: dict[str, Any], target_min: float) -> dict[str, float]:
    run = simulate(scenario_from_dict(day))
    waits = [
        c.called_min - c.arrival.at_min
        for c in run.customers
        if c.called_min is not None and c.arrival.at_min >= WARMUP_MIN
    ]
    n = len(waits)
    return {
        "service_level": sum(1 for w in waits if w <= target_min) / n,
        "p_wait": sum(1 for w in waits if w > 1e-9) / n,
        "mean_wait_min": sum(waits) / n,
        "customers": float(n),
    }


def compare(
    points: tuple[tuple[int, float], ...], days: int, hours: float, margin: float
) -> list[dict[str, Any]]:
    """One row per point: formula, simulated mean over days, standard error, pass."""
    with SCENARIO.open("rb") as f:
        doc = tomllib.load(f)
    target_min = float(doc["branch"]["target_wait_min"])
    mean_min = float(doc["simulation"]["service_time"]["A"]["minutes"])
    rows = []
    for counters, rho in points:
        per_day = [
            _measure(_day(doc, counters, rho, seed, hours), target_min)
            for seed in range(1, days + 1)
        ]
        sl = [d["service_level"] for d in per_day]
        p = predict(counters, rho * counters / mean_min, mean_min * 60.0, target_min * 60.0)
        sim_sl = statistics.fmean(sl)
        se = statistics.stdev(sl) / math.sqrt(days) if days > 1 else math.nan
        rows.append(
            {
                "counters": counters,
                "rho": rho,
                "formula_service_level": round(p.service_level, 4),
                "sim_service_level": round(sim_sl, 4),
                "sim_se": round(se, 4),
                "diff": round(sim_sl - p.service_level, 4),
                "formula_p_wait": round(p.p_wait, 4),
                "sim_p_wait": round(statistics.fmean(d["p_wait"] for d in per_day), 4),
                "formula_mean_wait_min": round(p.mean_wait_s / 60.0, 2),
                "sim_mean_wait_min": round(
                    statistics.fmean(d["mean_wait_min"] for d in per_day), 2
                ),
                "customers": int(sum(d["customers"] for d in per_day)),
                "within_margin": abs(sim_sl - p.service_level) <= margin,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--days", type=int, help="seeded days per point (30; quick 8)")
    parser.add_argument("--hours", type=float, default=20.0, help="length of each day")
    parser.add_argument("--quick", action="store_true", help="three points, eight days")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not 1.0 < args.hours <= 20.0:
        # Longer, and the day would run past the 03:00 rollover into the next one.
        parser.error("--hours must be more than 1 and at most 20")
    if args.days is not None and args.days < 2:
        parser.error("--days must be at least 2 (the standard error needs two)")
    points = QUICK_POINTS if args.quick else POINTS
    days = args.days or (8 if args.quick else 30)
    margin = QUICK_MARGIN if args.quick else MARGIN
    t = time.perf_counter()
    rows = compare(points, days, args.hours, margin)
    elapsed = time.perf_counter() - t
    ok = all(r["within_margin"] for r in rows)
    if args.json:
        out = {
            "days": days,
            "hours": args.hours,
            "warmup_min": WARMUP_MIN,
            "margin": margin,
            "all_within_margin": ok,
            "points": rows,
            "elapsed_s": round(elapsed, 1),
        }
        print(json.dumps(out))
        return 0 if ok else 1
    print(
        f"Erlang C vs simulation: mean of {days} seeded {args.hours:g} h days, "
        f"first {WARMUP_MIN:g} min left out, margin {margin:.0%} on the service level"
    )
    print(
        f"{'c':>2} {'rho':>5} {'SL formula':>10} {'SL sim':>7} {'+-se':>6} {'diff':>6}"
        f" {'P(wait) f/s':>12} {'mean wait f/s':>14} {'ok':>3}"
    )
    for r in rows:
        print(
            f"{r['counters']:>2} {r['rho']:>5.2f} {r['formula_service_level']:>10.3f}"
            f" {r['sim_service_level']:>7.3f} {r['sim_se']:>6.3f} {r['diff']:>+6.3f}"
            f" {r['formula_p_wait']:>5.3f}/{r['sim_p_wait']:<6.3f}"
            f" {r['formula_mean_wait_min']:>6.2f}/{r['sim_mean_wait_min']:<7.2f}"
            f" {'yes' if r['within_margin'] else 'NO':>3}"
        )
    print(f"({elapsed:.1f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
