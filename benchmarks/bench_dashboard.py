"""Dashboard re-run time on a 50,000-candidate project, as a ratio to reading its candidates.

The project: 50,000 generated MARC21 records (``generate.py``, as ``bench_store.py`` uses)
imported into a new project with the Al Ram demo's profile, premises and budget lines, and a
base plan (no MILP polish). The dashboard runs under Streamlit's ``AppTest`` (script run and
element serialisation in-process; no browser), as a librarian would use it:

(a) ``store.candidates(conn)``: reading the whole candidate table from the store — the work
    every uncached page would do at least once;
(b) re-runs of pages after a widget change, with the caches warm: the Selection page after a
    title search is typed (the search filters all 50,000 titles; the selected titles' editor
    is redrawn), the Overview page after the language is switched.

Ratio = (b) / (a): below 1 means a widget change costs less than one read of the table (the
issue asks for "about a second" on such a project). Best of ``--repeat`` for each.

    python benchmarks/bench_dashboard.py [--records 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from fundplanner import project, store  # noqa: E402
from fundplanner.ingest import IngestOptions  # noqa: E402

APP = REPO / "app.py"
RUN_TIMEOUT = 600


def ensure_file(records: int) -> Path:
    mrc = OUT / f"bench_{records}.mrc"
    if not mrc.exists():
        generate.write(records, mrc)
    return mrc


def build_project(folder: Path, mrc: Path) -> tuple[Path, float]:
    """A project with the demo's planning documents and budget, the generated candidates and
    a base plan; returns its path and the plan's time."""
    path = folder / "bench.fundplan"
    project.init_project(path, name="bench", user="bench")
    record = tomllib.loads((project.DEMO_RECORD).read_text(encoding="utf-8"))
    engine = store.engine(path)
    with engine.begin() as conn:
        for table, file in (("profile", project.DEMO_PROFILE), ("premises", project.DEMO_PREMISES)):
            document = tomllib.loads(file.read_text(encoding="utf-8"))
            store.put_named_data(conn, table, str(document["name"]), document, user="bench")
        for line in record.get("budget", []):
            store.insert_row(conn, "budget_line", line, user="bench")
    engine.dispose()
    project.import_files(
        path, [mrc], partner=None, options=IngestOptions(origin="FR"), user="bench"
    )
    start = time.perf_counter()
    project.plan_project(path, polish=False, user="bench")
    return path, time.perf_counter() - start


def read_candidates(path: Path) -> tuple[float, int]:
    engine = store.engine(path)
    try:
        with engine.connect() as conn:
            start = time.perf_counter()
            frame = store.candidates(conn)
            return time.perf_counter() - start, len(frame)
    finally:
        engine.dispose()


def timed_run(at: AppTest) -> float:
    start = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(at.exception[0].message)
    return elapsed


def dashboard_times(path: Path, repeat: int) -> dict[str, float]:
    """Cold and warm page runs, and re-runs after a widget change, best of ``repeat``."""
    os.environ["FUNDPLANNER_PROJECT"] = str(path)
    os.environ["FUNDPLANNER_AUTH"] = "none"
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT)
    times: dict[str, float] = {"overview_cold": timed_run(at)}
    at.switch_page("views/selection.py")
    times["selection_cold"] = timed_run(at)
    searches, switches = [], []
    for n in range(repeat):
        at.text_input(key="search:base").input(f"the {n}" if n else "the")
        searches.append(timed_run(at))
    times["selection_rows"] = float(len(at.data_editor[0].value))
    at.switch_page("views/overview.py")
    timed_run(at)
    for n in range(repeat):
        picker = at.sidebar.selectbox(key="language_picker")
        picker.set_value(("en", "ar", "fr")[n % 3])
        switches.append(timed_run(at))
    times["selection_search"] = min(searches)
    times["overview_language"] = min(switches)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    mrc = ensure_file(args.records)
    print(f"dashboard benchmark: {args.records:,} generated MARC21 records, best of {args.repeat}")
    with tempfile.TemporaryDirectory(prefix="bench_dashboard_") as tmp:
        path, plan_s = build_project(Path(tmp), mrc)
        reads = [read_candidates(path) for _ in range(args.repeat)]
        read_s, rows = min(reads)
        times = dashboard_times(path, args.repeat)
    print(f"{'candidates in the project':<44}{rows:>10,}")
    print(f"{'base plan (no polish)':<44}{plan_s:>10.2f} s")
    print(f"{'store.candidates() read (a)':<44}{read_s:>10.2f} s")
    print(f"{'overview, first run (cold caches)':<44}{times['overview_cold']:>10.2f} s")
    print(
        f"{'selection, first run (cold caches)':<44}{times['selection_cold']:>10.2f} s  "
        f"({int(times['selection_rows']):,} titles in the editor)"
    )
    ratios = {}
    for key, what in (
        ("selection_search", "selection, re-run after a search (b)"),
        ("overview_language", "overview, re-run after a language switch (b)"),
    ):
        ratios[key] = times[key] / read_s
        print(f"{what:<44}{times[key]:>10.2f} s  ratio (b)/(a) {ratios[key]:.2f}")
    worst = max(times["selection_search"], times["overview_language"])
    ok = worst <= 1.5
    print("target (a widget change re-renders in about a second):", "met" if ok else "NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
