"""The optimiser on generated instances, as a ratio to its LP relaxation, in the same run.

(a) LP   = ``planner.solve_relaxation``: frames → arrays → the lexicographic LP relaxation
    (phase 1, then phase 2); its phase-1 optimum is the LP bound.
(b) full = ``planner.plan(polish=False)``: (a) + origins + rounding and repair + reports.
(c) polished = ``planner.plan()`` with the instance's ``time_limit_s`` (30 s): (b) + the
    MILP polish in a forked child, killed at the deadline.

Ratio = (b) / (a); gap = (shortfall − LP bound) / shortfall, the bound being the LP's
phase-1 optimum rounded up when every weight is whole (the generated weights are 1 and 2;
the gap to the unrounded optimum is printed too). Targets at 50,000 candidates:
ratio ≤ 3 and gap ≤ 0.5 %; at 200,000: peak memory under 1 GB. Each size runs in a fresh
process (peak RSS = that process's ru_maxrss; the polish child's is printed beside it);
(a) and (b) run ``--repeat`` times, interleaved, and the best time of each is kept.
Instances come from ``generate_plan.py`` (seeded) and are cached in benchmarks/out.

    python benchmarks/bench_plan.py [--sizes 5000 50000 200000] [--repeat 3] [--no-polish]
"""

from __future__ import annotations

import argparse
import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import generate_plan  # noqa: E402

RATIO_TARGET, GAP_TARGET, MEMORY_TARGET_MB = 3.0, 0.005, 1024.0
TARGET_SIZE, MEMORY_SIZE = 50_000, 200_000

#: One size in a fresh process: argv = pickle path, repeats, polish (0/1).
CHILD = """
import json, pickle, resource, sys, time
from fundplanner import planner
path, repeat, polish = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
with open(path, "rb") as handle:
    candidates, targets, constraints = pickle.load(handle)
out = {"lp_s": [], "full_s": []}
for _ in range(repeat):
    start = time.perf_counter()
    relaxation = planner.solve_relaxation(candidates, targets, constraints)
    out["lp_s"].append(time.perf_counter() - start)
    start = time.perf_counter()
    plan = planner.plan(candidates, targets, constraints, polish=False)
    out["full_s"].append(time.perf_counter() - start)
out.update(
    lp_bound=relaxation.shortfall, fractional=relaxation.fractional, shortfall=plan.shortfall,
    bound=plan.bound, gap=plan.gap, cost=plan.cost_eur, status=plan.status,
    target=int(targets["target"].sum()), budget=constraints.budget_eur,
)
if polish:
    start = time.perf_counter()
    polished = planner.plan(candidates, targets, constraints)
    out.update(
        polished_s=time.perf_counter() - start, polished_gap=polished.gap,
        polished_shortfall=polished.shortfall, polished_cost=polished.cost_eur,
        polished_status=polished.status, polished_method=polished.method,
        polish_note=polished.polish, time_limit_s=constraints.time_limit_s,
    )
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["child_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(out))
"""


def instance(n: int, seed: int) -> Path:
    """The generated instance of ``n`` candidates, pickled once per (n, seed)."""
    path = OUT / f"plan_{n}_seed{seed}.pkl"
    if not path.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            pickle.dump(generate_plan.generate(n, seed), handle)
    return path


def run(path: Path, repeat: int, polish: bool) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(repeat), "1" if polish else "0"],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def report(n: int, r: dict[str, Any]) -> bool:
    """Print one size's line(s); True when its targets (if any) are met."""
    lp, full = min(r["lp_s"]), min(r["full_s"])
    ratio, gap, peak = full / lp, float(r["gap"]), float(r["peak_mb"])
    ok = True
    ratio_note = gap_note = peak_note = "no target"
    if n == TARGET_SIZE:
        ratio_note = f"target ≤ {RATIO_TARGET:g}: {verdict(ratio <= RATIO_TARGET)}"
        gap_note = f"target ≤ {GAP_TARGET:.1%}: {verdict(gap <= GAP_TARGET)}"
        ok = ratio <= RATIO_TARGET and gap <= GAP_TARGET
    if n == MEMORY_SIZE:
        peak_note = f"target < {MEMORY_TARGET_MB:,.0f} MB: {verdict(peak < MEMORY_TARGET_MB)}"
        ok = ok and peak < MEMORY_TARGET_MB
    print(
        f"plan {n:,}: LP {lp:.2f} s, full {full:.2f} s → ratio {ratio:.2f} ({ratio_note}), "
        f"gap {gap:.2%} ({gap_note}), peak {peak:,.0f} MB ({peak_note})"
    )
    raw_gap = (r["shortfall"] - r["lp_bound"]) / r["shortfall"] if r["shortfall"] else 0.0
    print(
        f"    shortfall {r['shortfall']:,.1f} vs LP bound {r['bound']:,.1f} (the LP optimum "
        f"{r['lp_bound']:,.2f} rounded up: whole weights; {raw_gap:.2%} above the optimum "
        f"itself; {r['fractional']} fractional candidates); "
        f"cost {r['cost']:,.2f} of {r['budget']:,.0f} EUR; target {r['target']:,} copies; "
        f"status {r['status']}"
    )
    if "polished_s" in r:
        print(
            f"    with MILP polish ({r['time_limit_s']:g} s limit): {r['polished_s']:.2f} s, "
            f"polish {r['polish_note']}; {r['polished_method']}, status {r['polished_status']}, "
            f"shortfall {r['polished_shortfall']:,.1f}, cost {r['polished_cost']:,.2f}, "
            f"gap {r['polished_gap']:.2%}; polish child peak {r['child_peak_mb']:,.0f} MB"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000, 200_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-polish", action="store_true", help="skip the polished runs")
    args = parser.parse_args()
    print(
        f"plan benchmark: generated instances (seed {args.seed}), best of {args.repeat}; "
        "LP = the LP relaxation alone, full = LP + rounding + repair (no polish)"
    )
    ok = True
    for n in args.sizes:
        ok = report(n, run(instance(n, args.seed), args.repeat, not args.no_polish)) and ok
    print("targets (50,000: ratio ≤ 3 and gap ≤ 0.5 %; 200,000: peak < 1 GB):", verdict(ok))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
