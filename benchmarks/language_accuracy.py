"""Compare the restricted language detectors (lingua, langdetect) on labelled titles.

Usage::

    python benchmarks/language_accuracy.py [--corpus PATH] [--cases PATH] [--curve] [--memory]

``--corpus`` defaults to ``../shared/corpus/titles_labelled_dev.tsv`` relative to the repository
(read in place, never copied); ``--cases`` to ``tests/data/language_cases.tsv``. For each
backend and variant it prints: accuracy of the whole chain (script rule, romanised-Arabic rule,
detector) on the rows labelled ara/fre/eng, the same on the Latin-script subset (where the
detectors matter), the share sent to ``und``, how many other-language rows were wrongly called
ara/fre/eng, and µs per title. ``--curve`` prints accuracy vs share sent to ``und`` for a range
of thresholds; ``--memory`` measures each backend's resident memory in a fresh process.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fundplanner import language as lang  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "titles_labelled_dev.tsv"
DEFAULT_CASES = REPO / "tests" / "data" / "language_cases.tsv"
PROJECT = lang.PROJECT_LANGUAGES


@dataclass(frozen=True)
class Row:
    title: str
    label: str
    latin: bool


def read_rows(path: Path, label_column: str) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(
            (line for line in handle if not line.startswith("#")),
            delimiter="\t",
            quoting=csv.QUOTE_NONE,
        )
        return [
            Row(r["title"], r[label_column], lang.script_profile(r["title"]).dominant == "latin")
            for r in reader
            if r.get("title")
        ]


@dataclass(frozen=True)
class Variant:
    name: str
    backend: str
    romanised_rule: bool = True
    others: bool = True


VARIANTS = (
    Variant("lingua", "lingua"),
    Variant("lingua, 3 langs only", "lingua", others=False),
    Variant("lingua, no romanised rule", "lingua", romanised_rule=False),
    Variant("langdetect", "langdetect"),
    Variant("langdetect, 3 langs only", "langdetect", others=False),
    Variant("langdetect, no romanised rule", "langdetect", romanised_rule=False),
)


def predict(rows: Iterable[Row], variant: Variant, threshold: float) -> tuple[list[str], float]:
    """Codes for ``rows`` and the mean CPU µs per title spent in detect_language (CPU time,
    so that other processes on a shared machine do not inflate it)."""
    out: list[str] = []
    elapsed = 0.0
    for warm_up in ("The cat in the hat", "Le petit prince", "Der Prozess"):  # load models
        lang.detect_language(warm_up, PROJECT, backend=variant.backend, others=variant.others)
    for row in rows:
        start = time.process_time()
        guess = lang.detect_language(
            row.title,
            PROJECT,
            backend=variant.backend,
            threshold=threshold,
            romanised_rule=variant.romanised_rule,
            others=variant.others,
        )
        elapsed += time.process_time() - start
        out.append(guess.code)
    return out, 1e6 * elapsed / max(1, len(out))


def summarise(rows: list[Row], codes: list[str]) -> dict[str, float]:
    project = [(r, c) for r, c in zip(rows, codes, strict=True) if r.label in PROJECT]
    latin = [(r, c) for r, c in project if r.latin]
    other = [(r, c) for r, c in zip(rows, codes, strict=True) if r.label not in PROJECT]

    def accuracy(pairs: list[tuple[Row, str]]) -> float:
        return 100.0 * sum(r.label == c for r, c in pairs) / max(1, len(pairs))

    def und_share(pairs: list[tuple[Row, str]]) -> float:
        return 100.0 * sum(c == "und" for _, c in pairs) / max(1, len(pairs))

    decided = [(r, c) for r, c in latin if c != "und"]
    return {
        "n": len(project),
        "acc": accuracy(project),
        "n_latin": len(latin),
        "acc_latin": accuracy(latin),
        "prec_latin": accuracy(decided),
        "und_latin": und_share(latin),
        "n_other": len(other),
        "other_wrong": sum(c in PROJECT for _, c in other),
        "wrong_calls": sum(c != "und" and c != r.label for r, c in zip(rows, codes, strict=True)),
    }


def print_table(title: str, rows: list[Row], thresholds: dict[str, float]) -> None:
    print(f"\n## {title}")
    print(
        "| variant | threshold | acc. ara/fre/eng (whole chain) | acc. Latin subset | "
        "precision when decided (Latin) | Latin → und | other-language rows called "
        "ara/fre/eng | wrong calls (not und), all rows | CPU µs/title |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for variant in VARIANTS:
        threshold = thresholds[variant.backend]
        codes, micros = predict(rows, variant, threshold)
        s = summarise(rows, codes)
        print(
            f"| {variant.name} | {threshold:.2f} | {s['acc']:.1f} % (n={s['n']}) | "
            f"{s['acc_latin']:.1f} % (n={s['n_latin']}) | {s['prec_latin']:.1f} % | "
            f"{s['und_latin']:.1f} % | {s['other_wrong']} / {s['n_other']} | "
            f"{s['wrong_calls']} / {len(rows)} | {micros:.0f} |"
        )


def print_curve(rows: list[Row]) -> None:
    """Accuracy when decided vs share sent to und, Latin-script project rows, default variant."""
    latin = [r for r in rows if r.latin and r.label in PROJECT]
    print("\n## Threshold curve (Latin-script ara/fre/eng rows; romanised rule + other languages)")
    print("| backend | threshold | accuracy (und = wrong) | precision when decided | → und |")
    print("|---|---|---|---|---|")
    for backend in lang.BACKENDS:
        for threshold in (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
            codes, _ = predict(latin, Variant(backend, backend), threshold)
            s = summarise(latin, codes)
            print(
                f"| {backend} | {threshold:.2f} | {s['acc_latin']:.1f} % | "
                f"{s['prec_latin']:.1f} % | {s['und_latin']:.1f} % |"
            )


def print_prior(rows: list[Row], backend: str) -> None:
    """A correct or a wrong ISBN prior, simulated on the dev set's Latin-script fre/eng rows
    (the dev set has no ISBNs): the gain when the group is right, the cost when it is wrong."""
    latin = [r for r in rows if r.latin and r.label in ("fre", "eng")]
    threshold = lang.DEFAULT_THRESHOLD[backend]
    print(f"\n## ISBN-group prior, simulated ({backend}, Latin fre/eng rows, n={len(latin)})")
    print("| prior factor | prior = true language | prior = the other language |")
    print("|---|---|---|")
    scores = [lang.detector_scores(row.title, PROJECT, backend=backend) for row in latin]
    for factor in (1.0, 2.0, 3.0, 5.0):
        results = []
        for correct in (True, False):
            hits = 0
            for row, score in zip(latin, scores, strict=True):
                prior = row.label if correct else ("eng" if row.label == "fre" else "fre")
                code, _ = lang.decide_from_scores(
                    lang.apply_prior(score, prior, factor), PROJECT, threshold
                )
                hits += code == row.label
            results.append(100.0 * hits / max(1, len(latin)))
        print(f"| {factor:g} | {results[0]:.1f} % | {results[1]:.1f} % |")


def marc_records_with_isbn(marc_dir: Path) -> list[tuple[str, str, str]]:
    """(245 $a $b, 008/35-37, ISBN-group language) of the corpus's ISO 2709 records that have
    a valid 020 $a in a group with a language prior and a project language in 008."""
    import contextlib
    import io
    import warnings

    import pymarc

    from fundplanner.isbn import best_isbn, group_hint

    found = []
    paths = sorted([*marc_dir.glob("*.mrc"), *marc_dir.glob("*.marc")])
    for path in paths:
        quiet = io.StringIO()  # pymarc prints MARC-8 decoding complaints
        with (
            warnings.catch_warnings(),
            contextlib.redirect_stdout(quiet),
            contextlib.redirect_stderr(quiet),
            path.open("rb") as handle,
        ):
            warnings.simplefilter("ignore")
            try:
                for record in pymarc.MARCReader(handle, permissive=True, utf8_handling="replace"):
                    if record is None or record["008"] is None or record["245"] is None:
                        continue
                    code = record["008"].data[35:38]
                    isbns = [a for f in record.get_fields("020") for a in f.get_subfields("a")]
                    title = " ".join(record["245"].get_subfields("a", "b"))
                    best, _ = best_isbn(isbns)
                    prior = group_hint(best.group).language if best else None
                    if prior and code in PROJECT and title:
                        found.append((title, code, prior))
            except Exception:  # a broken file: skip it, this is a benchmark
                continue
    return found


def print_prior_on_records(marc_dir: Path) -> None:
    """Does the ISBN-group prior help on real records (008 as the truth)?"""
    records = [
        r for r in marc_records_with_isbn(marc_dir) if lang.script_profile(r[0]).dominant == "latin"
    ]
    agree = sum(code == prior for _, code, prior in records)
    print(
        f"\n## ISBN-group prior on real records ({marc_dir}, Latin-script 245, "
        f"n={len(records)}; group language = 008 language in {agree})"
    )
    print("| backend | prior factor | accuracy vs 008 | → und |")
    print("|---|---|---|---|")
    saved = lang.PRIOR_FACTOR
    try:
        for backend in lang.BACKENDS:
            for factor in (1.0, 2.0, 3.0, 5.0):
                lang.PRIOR_FACTOR = factor
                codes = [
                    lang.detect_language(t, backend=backend, prior=p).code for t, _, p in records
                ]
                hits = sum(c == code for c, (_, code, _) in zip(codes, records, strict=True))
                und = sum(c == "und" for c in codes)
                n = max(1, len(records))
                print(
                    f"| {backend} | {factor:g} | {100 * hits / n:.1f} % | {100 * und / n:.1f} % |"
                )
    finally:
        lang.PRIOR_FACTOR = saved


MEMORY_PROBE = """
import resource, sys
sys.path.insert(0, {repo!r})
from fundplanner import language as lang
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for t in ["The cat in the hat", "Le petit prince", "Der Prozess", "Cien años de soledad"]:
    lang.detect_language(t, backend={backend!r})
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{{(after - before) / 1024:.0f}} MB added, peak {{after / 1024:.0f}} MB")
"""


def print_memory() -> None:
    print("\n## Memory (resident, MB added by building the detector and detecting 4 titles)")
    for backend in lang.BACKENDS:
        code = MEMORY_PROBE.format(repo=str(REPO), backend=backend)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        print(f"- {backend}: {out.stdout.strip() or out.stderr.strip()[-200:]}")


def print_resolve_cost() -> None:
    """µs per resolve_language call when the record has a valid 008 code."""
    codes = ["fre"]
    lang.resolve_language(codes, "Germinal")
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(100_000):
            lang.resolve_language(codes, "Germinal")
        runs.append((time.perf_counter() - start) * 1e6 / 100_000)
    print(f"\nresolve_language with a valid 008 code: {statistics.median(runs):.2f} µs/call")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--curve", action="store_true", help="print the threshold curve")
    parser.add_argument("--prior", action="store_true", help="measure the ISBN-group prior")
    parser.add_argument("--memory", action="store_true", help="measure memory per backend")
    args = parser.parse_args(argv)
    thresholds = dict(lang.DEFAULT_THRESHOLD)
    if args.corpus.exists():
        corpus = read_rows(args.corpus, "lang")
        print_table(f"{args.corpus.name} ({len(corpus)} titles)", corpus, thresholds)
        if args.curve:
            print_curve(corpus)
        if args.prior:
            for backend in lang.BACKENDS:
                print_prior(corpus, backend)
            print_prior_on_records(args.corpus.parent / "marc")
    else:
        print(f"corpus not found at {args.corpus}; pass --corpus PATH", file=sys.stderr)
    if args.cases.exists():
        cases = read_rows(args.cases, "expected")
        print_table(f"{args.cases.name} ({len(cases)} titles)", cases, thresholds)
    if args.memory:
        print_memory()
    print_resolve_cost()
    print(f"\ndefault backend: {lang.DEFAULT_BACKEND}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
