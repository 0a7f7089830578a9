"""Ingest throughput against pymarc merely iterating the same file, in the same run.

For ISO 2709: baseline = ``for record in pymarc.MARCReader(data): pass``.
For MARCXML:  baseline = ``pymarc.map_xml(lambda record: None, path)`` (pymarc's streaming parser).
Ours = ``fundplanner.ingest.read_catalogue(path)``: parse, map fields, normalise (ISBN, language,
classification, physical estimates, prices), deduplicate, build the DataFrame.

Ratio = baseline seconds / our seconds: ≥ 1.0 means the full ingest is at least as fast as
pymarc's bare iteration (the target). Peak memory is the max RSS of a child process that
runs only our ingest (target < 600 MB).

    python benchmarks/bench_ingest.py [--records 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import pymarc

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import generate  # noqa: E402


def ensure_files(records: int) -> tuple[Path, Path]:
    mrc, xml = OUT / f"bench_{records}.mrc", OUT / f"bench_{records}.xml"
    if not (mrc.exists() and xml.exists()):
        generate.write(records, mrc, xml)
    return mrc, xml


def time_pymarc_iso(path: Path) -> float:
    data = path.read_bytes()
    start = time.perf_counter()
    for _ in pymarc.MARCReader(data):
        pass
    return time.perf_counter() - start


def time_pymarc_xml(path: Path) -> float:
    start = time.perf_counter()
    pymarc.map_xml(lambda record: None, str(path))
    return time.perf_counter() - start


CHILD = """
import json, resource, sys, time
from fundplanner.ingest import read_catalogue
start = time.perf_counter()
result = read_catalogue(sys.argv[1])
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "kept": len(result.titles), "read": result.records_read,
                  "problems": len(result.problems), "peak_mb": peak_mb}))
"""


def time_ours(path: Path) -> dict[str, float]:
    """Our ingest in a fresh process, so that its peak RSS is its own."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    mrc, xml = ensure_files(args.records)
    print(f"ingest benchmark: {args.records:,} generated MARC21 records")
    print(f"{'file':<10}{'pymarc s':>10}{'ours s':>9}{'ratio':>8}{'ours rec/s':>12}{'peak MB':>9}")
    ok = True
    for label, path, baseline in (("ISO 2709", mrc, time_pymarc_iso), ("MARCXML", xml, time_pymarc_xml)):
        base = baseline(path)
        ours = time_ours(path)
        ratio = base / ours["seconds"]
        ok &= ratio >= 1.0 and ours["peak_mb"] < 600 and ours["kept"] == args.records
        print(
            f"{label:<10}{base:>10.2f}{ours['seconds']:>9.2f}{ratio:>8.2f}"
            f"{ours['read'] / ours['seconds']:>12,.0f}{ours['peak_mb']:>9.0f}"
        )
    print("targets: ratio >= 1.0, peak < 600 MB, every record kept:", "met" if ok else "NOT MET")


if __name__ == "__main__":
    main()
