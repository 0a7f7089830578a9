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
from fundplanner.ingest import IngestOptions, read_catalogue
start = time.perf_counter()
result = read_catalogue(sys.argv[1], options=IngestOptions(workers=int(sys.argv[2]) or None))
seconds = time.perf_counter() - start
parent_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "kept": len(result.titles), "read": result.records_read,
                  "problems": len(result.problems), "parent_mb": parent_mb,
                  "worker_mb": worker_mb}))
"""


def time_ours(path: Path, workers: int = 0) -> dict[str, float]:
    """Our ingest in a fresh process, so that its peak RSS is its own (workers 0 = default).

    RSS counts pages a forked worker shares with its parent (the file's bytes, the language
    models) in both, so parent + largest worker overstates the memory really used.
    """
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(workers)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    args = parser.parse_args()
    mrc, xml = ensure_files(args.records)
    print(f"ingest benchmark: {args.records:,} generated MARC21 records")
    print(
        f"{'file':<10}{'workers':>8}{'pymarc s':>10}{'ours s':>9}{'ratio':>8}"
        f"{'ours rec/s':>12}{'parent MB':>11}{'worker MB':>11}"
    )
    ok = True
    files = (("ISO 2709", mrc, time_pymarc_iso), ("MARCXML", xml, time_pymarc_xml))
    for label, path, baseline in files:
        for workers in (0, 1):
            base = baseline(path)  # measured again beside each run: same conditions
            ours = time_ours(path, workers)
            ratio = base / ours["seconds"]
            peak = ours["parent_mb"] + ours["worker_mb"]
            if workers == 0:
                ok &= ratio >= 1.0 and peak < 600 and ours["kept"] == args.records
            print(
                f"{label:<10}{'auto' if workers == 0 else workers:>8}{base:>10.2f}"
                f"{ours['seconds']:>9.2f}{ratio:>8.2f}{ours['read'] / ours['seconds']:>12,.0f}"
                f"{ours['parent_mb']:>11.0f}{ours['worker_mb']:>11.0f}"
            )
    print(
        "targets (auto workers): ratio >= 1.0, parent + worker peak < 600 MB, every record kept:",
        "met" if ok else "NOT MET",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
