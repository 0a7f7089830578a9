"""Per-record cost of each ingest stage, in µs/record, on a slice of a generated MARC21 file.

Stages, in the order ``read_catalogue`` runs them in a worker: parse (ISO 2709 bytes →
``MarcRecord``), extract (field map → ``RawRow``, ``extract_batch``), normalise
(``Normaliser.rows``) and frame (``to_candidate_frame``). Each stage runs once over the whole
slice, in batches of ``STAGE_BATCH`` records as in a worker, in a fresh process, with
the garbage collector off (as in ``read_catalogue``) and the language detector prepared: the
figures are *cold* (every ISBN, Dewey number and extent is seen for the first time by the
caches), which is what an import of a real catalogue pays. ``--breakdown`` then times the parts
of normalisation, each in a fresh process of its own (so each is cold too).

    python benchmarks/bench_stages.py [--records 25000] [--file out/bench_100000.mrc]
        [--defer] [--breakdown] [--repeat 3]

``--defer`` leaves detector-only languages pending, as the parallel workers do. ``--repeat``
runs the whole measurement in that many fresh processes and keeps each stage's best figure
(other work on the machine only ever makes a run slower).
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_FILE = HERE / "out" / "bench_100000.mrc"
STAGES = ("parse", "extract", "normalise", "frame")
PARTS = ("isbn", "language", "classify", "physical", "year", "price", "row")


def _slice(path: Path, records: int) -> bytes:
    """The first ``records`` records of the file, cut on record boundaries."""
    from fundplanner.ingest.iso2709 import split_iso2709

    data = path.read_bytes()
    spans = list(islice(split_iso2709(data), records))
    return data[: spans[-1].end]


def _timed(work: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    result = work()
    return result, time.perf_counter() - start


def _raw_rows(data: bytes) -> tuple[list[Any], dict[str, float]]:
    """Parse and extract the slice, timing both stages."""
    from fundplanner.ingest import fieldmap
    from fundplanner.ingest.iso2709 import decide_encoding, iter_iso2709
    from fundplanner.ingest.marcdata import MarcRecord

    encoding = decide_encoding(data)
    records, parse = _timed(
        lambda: list(
            iter_iso2709(data, file="bench", wanted=fieldmap.WANTED_TAGS.get, encoding=encoding)
        )
    )
    records = [r for r in records if isinstance(r, MarcRecord)]
    raws, extract = _timed(
        lambda: [row for batch in _batches(records) for row in fieldmap.extract_batch(batch)]
    )
    return raws, {"parse": parse, "extract": extract}


def _batches(items: list[Any]) -> list[list[Any]]:
    """``items`` in batches of ``STAGE_BATCH``, as ``read_catalogue`` hands them on."""
    from fundplanner.ingest import STAGE_BATCH

    return [items[start : start + STAGE_BATCH] for start in range(0, len(items), STAGE_BATCH)]


def _normaliser(defer: bool) -> Any:
    from fundplanner.ingest.normalise import IngestOptions, Normaliser

    options = IngestOptions(defer_detection=defer)
    return Normaliser(file="bench", source="bench", format="marc21", options=options)


def measure_stages(data: bytes, defer: bool) -> dict[str, float]:
    """Seconds per stage over the slice (one cold pass each)."""
    from fundplanner.model import to_candidate_frame

    raws, seconds = _raw_rows(data)
    normaliser = _normaliser(defer)
    rows, seconds["normalise"] = _timed(
        lambda: [row for batch in _batches(raws) for row in normaliser.rows(batch)]
    )
    _, seconds["frame"] = _timed(lambda: to_candidate_frame([r for r in rows if r is not None]))
    seconds["records"] = len(raws)
    return seconds


def measure_part(data: bytes, part: str, defer: bool) -> dict[str, float]:
    """Seconds of one part of normalisation over the slice (cold: run in a fresh process)."""
    from fundplanner import classify, isbn, language, physical
    from fundplanner.ingest import normalise as n

    raws, _ = _raw_rows(data)
    normaliser = _normaliser(defer)
    options = normaliser.options

    def one(raw: dict[str, Any]) -> Any:
        if part == "isbn":
            return normaliser._isbn(raw)
        if part == "language":
            return language.resolve_language(
                raw.get("languages") or (),
                raw["title"],
                raw.get("subtitle"),
                summary=raw.get("summary"),
                from_marc=True,
                isbn_language=isbn.group_hint(None).language,
                languages=options.languages,
                backend=options.detector,
                defer_detector=defer,
            )
        if part == "classify":
            return classify.classify(
                flavour="marc21",
                audience_code=raw.get("audience_code"),
                literary_form=raw.get("literary_form"),
                contents=raw.get("contents"),
                dewey=raw.get("dewey"),
                title=raw["title"],
                languages=n._all_codes(raw.get("languages")) or ("und",),
                tables=normaliser._tables,
            )
        if part == "physical":
            return physical.estimate_physical(
                pages=physical.parse_pages(raw.get("extent")),
                height_cm=physical.parse_height_cm(raw.get("dimensions")),
                category="fiction",
            )
        if part == "year":
            return normaliser._year(raw)
        if part == "price":
            return normaliser._price(raw)
        return normaliser.row(raw)

    _, seconds = _timed(lambda: [one(raw) for raw in raws])
    return {part: seconds, "records": len(raws)}


def _child(args: argparse.Namespace, part: str | None) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", part or "", "--records", str(args.records)]
    command += ["--file", str(args.file)] + (["--defer"] if args.defer else [])
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _run_child(args: argparse.Namespace) -> None:
    from fundplanner import language

    data = _slice(args.file, args.records)
    language.prepare_detector()
    gc.disable()
    if args.child:
        print(json.dumps(measure_part(data, args.child, args.defer)))
    else:
        print(json.dumps(measure_stages(data, args.defer)))


def _best(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: min(run[key] for run in runs) for key in runs[0]}


def _print(
    title: str, figures: dict[str, float], names: tuple[str, ...], *, total: bool = True
) -> None:
    per = {name: figures[name] / figures["records"] * 1e6 for name in names if name in figures}
    print(title)
    for name, micros in per.items():
        print(f"  {name:<10}{micros:>8.1f} µs/record")
    if total:
        print(f"  {'total':<10}{sum(per.values()):>8.1f} µs/record")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=25_000)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--defer", action="store_true", help="defer detection as workers do")
    parser.add_argument("--breakdown", action="store_true", help="time normalisation's parts")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        _run_child(args)
        return
    if not args.file.exists():
        sys.path.insert(0, str(HERE))
        import generate

        generate.write(max(args.records, 100_000), args.file)
    runs = [_child(args, None) for _ in range(args.repeat)]
    label = "deferred detection" if args.defer else "detector prepared"
    _print(
        f"stages, cold, {args.records:,} records ({label}, best of {args.repeat}):",
        _best(runs),
        STAGES,
    )
    if args.breakdown:
        parts = {}
        for part in PARTS:
            best = _best([_child(args, part) for _ in range(args.repeat)])
            parts[part] = best[part]
            parts["records"] = best["records"]
        _print(
            "normalise, by part (each cold on its own; row = the whole row):",
            parts,
            PARTS,
            total=False,
        )


if __name__ == "__main__":
    main()
