"""Importing a catalogue into a project, as a ratio to the scan alone, in the same run.

(a) scan   = ``fundplanner.ingest.read_catalogue(path)`` (parse, map, normalise, dedupe).
(b) import = the scan + the file's SHA-256 + ``store.import_catalogue`` (candidates, problems
    and the file itself) into a fresh SQLite project file, in one transaction (committed), as
    ``fundplanner import`` does it.

Ratio = (b) / (a): the target is ≤ 1.5 (the store adds at most half the scan's time: bulk
inserts, not row by row). Each side runs ``--repeat`` times, interleaved, each run in a fresh
process (the way the CLI runs it), and the best time of each is kept (as timeit does). Also
printed: the project file's size after the import (WAL checkpointed into the main file) and the
time of ``store.candidates(conn)``, reading the whole table back as the dashboard does.

    python benchmarks/bench_store.py [--records 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

TARGET = 1.5

#: One run in a fresh process: argv = mode ("scan" or "import"), catalogue path, project path.
CHILD = """
import hashlib, json, os, sys, time
from fundplanner import store
from fundplanner.ingest import read_catalogue
mode, path, project = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.perf_counter()
result = read_catalogue(path)
scanned = time.perf_counter()
out = {"scan_s": scanned - start, "kept": len(result.titles), "read": result.records_read}
if mode == "import":
    with open(path, "rb") as handle:
        content = handle.read()  # kept in the project, as fundplanner import does
    checksum = hashlib.sha256(content).hexdigest()
    summed = time.perf_counter()
    engine = store.engine(project)
    with engine.begin() as conn:
        store.import_catalogue(
            conn, file_name=os.path.basename(path), checksum=checksum,
            size_bytes=os.path.getsize(path), format=str(result.format), titles=result.titles,
            problems=[p.as_row() for p in result.problems], records_read=result.records_read,
            partner_id=None, user="bench", content=content,
        )
    done = time.perf_counter()
    out.update(checksum_s=summed - scanned, store_s=done - summed, total_s=done - start)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        begin = time.perf_counter()
        frame = store.candidates(conn)
        out["read_back_s"] = time.perf_counter() - begin
        out["read_back_rows"] = len(frame)
    engine.dispose()
    out["file_mb"] = os.path.getsize(project) / 1e6
print(json.dumps(out))
"""

NEW_PROJECT = """
import sys
from fundplanner import store
with store.engine(sys.argv[1], must_exist=False).begin() as conn:
    store.create_project(conn, {"name": "bench"}, user="bench")
"""


def ensure_file(records: int) -> Path:
    mrc = OUT / f"bench_{records}.mrc"
    if not mrc.exists():
        generate.write(records, mrc)
    return mrc


def run_child(mode: str, path: Path, project: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path), str(project)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def fresh_project(folder: Path, n: int) -> Path:
    """An empty project (schema at head) in its own file."""
    project = folder / f"bench_{n}.fundplan"
    subprocess.run([sys.executable, "-c", NEW_PROJECT, str(project)], check=True)
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    mrc = ensure_file(args.records)
    print(f"store benchmark: {args.records:,} generated MARC21 records, best of {args.repeat}")
    scans, imports = [], []
    with tempfile.TemporaryDirectory(prefix="bench_store_") as tmp:
        for n in range(args.repeat):
            scans.append(run_child("scan", mrc, Path(tmp) / "unused"))
            imports.append(run_child("import", mrc, fresh_project(Path(tmp), n)))
    scan = min(r["scan_s"] for r in scans)
    best = min(imports, key=lambda r: r["total_s"])
    ratio = best["total_s"] / scan
    print(f"{'scan alone (a)':<34}{scan:>8.2f} s")
    print(
        f"{'import = scan + store (b)':<34}{best['total_s']:>8.2f} s  (scan {best['scan_s']:.2f}"
        f" + sha256 {best['checksum_s']:.2f} + store {best['store_s']:.2f})"
    )
    print(f"{'ratio (b)/(a)':<34}{ratio:>8.2f}    target <= {TARGET}")
    print(
        f"{'store rows/s':<34}{best['kept'] / best['store_s']:>8,.0f}    "
        f"({best['kept']:,} candidates of {best['read']:,} records)"
    )
    print(f"{'project file (WAL checkpointed)':<34}{best['file_mb']:>8.1f} MB")
    print(
        f"{'store.candidates() read-back':<34}{best['read_back_s']:>8.2f} s  "
        f"({best['read_back_rows']:,} rows)"
    )
    ok = ratio <= TARGET and best["kept"] == best["read_back_rows"] == args.records
    print("target (ratio <= 1.5, every record stored and read back):", "met" if ok else "NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
