"""Compare dispatch policies on one scenario over many seeded days.

    python bench/policies.py examples/branch-day.toml [--days 30] [--json]

One simulated day is noisy (a few long services move every wait), so this
runs the scenario with seeds 1..N under each policy on the *same* days and
prints the mean over days of each figure: mean and p90 wait overall, mean
and worst wait per customer class, makespan. `fifo` is the baseline the
others are compared with.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lobbyq.engine.sim import scenario_from_dict, simulate, summarize  # noqa: E402

POLICIES = ("fifo", "priority-aging", "shortest-first", "longest-first")


def compare(doc: dict[str, Any], days: int) -> dict[str, Any]:
    results: dict[str, list[dict[str, Any]]] = {p: [] for p in POLICIES}
    for seed in range(1, days + 1):
        day = {**doc, "simulation": {**doc.get("simulation", {}), "seed": seed}}
        scenario = scenario_from_dict(day)
        for policy in POLICIES:
            results[policy].append(summarize(simulate(scenario, policy)))
    out: dict[str, Any] = {}
    for policy, runs in results.items():
        classes = sorted({c for r in runs for c in r["by_class"]})
        out[policy] = {
            "mean_wait_min": _avg(r["mean_wait_min"] for r in runs),
            "p90_wait_min": _avg(r["p90_wait_min"] for r in runs),
            "max_wait_min": _avg(r["max_wait_min"] for r in runs),
            "makespan_min": _avg(r["makespan_min"] for r in runs),
            "by_class": {
                c: {
                    "mean_wait_min": _avg(
                        r["by_class"][c]["mean_wait_min"] for r in runs if c in r["by_class"]
                    ),
                    "max_wait_min": _avg(
                        r["by_class"][c]["max_wait_min"] for r in runs if c in r["by_class"]
                    ),
                }
                for c in classes
            },
        }
    return out


def _avg(xs: Any) -> float:
    values = list(xs)
    return round(sum(values) / len(values), 1) if values else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with args.scenario.open("rb") as f:
        doc = tomllib.load(f)
    t = time.perf_counter()
    out = compare(doc, args.days)
    elapsed = time.perf_counter() - t
    if args.json:
        print(json.dumps({"days": args.days, "policies": out, "elapsed_s": round(elapsed, 1)}))
        return 0
    print(f"{args.scenario.name}: mean over {args.days} seeded days (minutes, waits to first call)")
    classes = sorted({c for p in out.values() for c in p["by_class"]})
    head = "".join(f" {c[:11] + ' avg/max':>19}" for c in classes)
    print(f"{'policy':<15} {'mean':>5} {'p90':>5} {'max':>5}{head}")
    for policy, p in out.items():
        cells = "".join(
            f" {p['by_class'][c]['mean_wait_min']:>9.1f}/{p['by_class'][c]['max_wait_min']:<9.1f}"
            for c in classes
        )
        print(
            f"{policy:<15} {p['mean_wait_min']:>5.1f} {p['p90_wait_min']:>5.1f} "
            f"{p['max_wait_min']:>5.1f}{cells}"
        )
    print(f"({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
