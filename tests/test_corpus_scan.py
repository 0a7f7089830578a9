"""Acceptance: every file of ../shared/corpus/marc goes through `fundplanner scan`.

No crash and no hang; a malformed file yields problems naming its records, and the good
records of the same file are kept. The manifest says what each file is.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import time_limit

from fundplanner.cli import cli
from fundplanner.errors import FundplannerError, Severity
from fundplanner.ingest import read_catalogue

pytestmark = pytest.mark.corpus

SECONDS_PER_FILE = 30


def manifest(corpus: Path) -> list[dict[str, str]]:
    with (corpus / "marc" / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def pymarc_ok(notes: str) -> int | None:
    match = re.search(r"pymarc\(permissive\) ok=(\d+)", notes)
    return int(match.group(1)) if match else None


def test_every_corpus_file_is_read_or_refused_clearly(corpus_dir: Path) -> None:
    failures = []
    for entry in manifest(corpus_dir):
        path = corpus_dir / "marc" / entry["file"]
        try:
            with time_limit(SECONDS_PER_FILE, entry["file"]):
                result = read_catalogue(path)
        except FundplannerError as exc:
            assert entry["file"] in str(exc), f"the message does not name the file: {exc}"
            continue
        kept, rejected = len(result.titles), result.rejected_records
        if result.records_read != kept + len(rejected):
            failures.append(
                f"{entry['file']}: {result.records_read} read != {kept} + {len(rejected)}"
            )
        errors = [p for p in result.problems if p.severity is Severity.ERROR]
        if any(
            p.record is not None and not 1 <= p.record <= max(result.records_read, 1)
            for p in errors
        ):
            failures.append(f"{entry['file']}: a problem names a record that was not read")
        expected = pymarc_ok(entry["notes"])
        if expected and result.records_read < expected:
            failures.append(
                f"{entry['file']}: read {result.records_read} records, pymarc reads {expected}"
            )
    assert not failures, "\n".join(failures)


def test_malformed_files_name_their_records_and_keep_the_good_ones(corpus_dir: Path) -> None:
    """Files the manifest marks broken whose other records are fine: both halves must show."""
    checked = 0
    for entry in manifest(corpus_dir):
        notes = entry["notes"].lower()
        if "broken" not in notes and "bad" not in entry["file"].lower():
            continue
        try:
            result = read_catalogue(corpus_dir / "marc" / entry["file"])
        except FundplannerError:
            continue
        named = [p for p in result.problems if p.record is not None]
        if result.records_read > 1 and named and len(result.titles):
            checked += 1
            assert all(p.file.endswith(entry["file"]) for p in named)
    assert checked >= 5, f"only {checked} broken files had both problems and kept records"


def test_scan_walks_the_whole_corpus_in_one_run(corpus_dir: Path, tmp_path: Path) -> None:
    files = [str(corpus_dir / "marc" / e["file"]) for e in manifest(corpus_dir)]
    out, problems = tmp_path / "corpus.csv", tmp_path / "problems.csv"
    with time_limit(300, "scan of the whole corpus"):
        result = CliRunner().invoke(
            cli, ["scan", *files, "--out", str(out), "--problems", str(problems), "--json"]
        )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["kept"] > 5000
    assert summary["read"] == summary["kept"] + summary["rejected"]
    assert {"ara", "fre", "eng"} <= set(summary["by_language"])


#: Corpus files with both the reader's problems (damaged records, encodings) and the
#: normaliser's (ISBN, year, price…).
MIXED_PROBLEMS = [
    "marc4j__pride-and-prejudice-with-many-errors.mrc",
    "Catmandu-MARC__bu_bibs.mrc",
    "marc4j__008008027.mrc",
    "mrrc-testbed__synthetic_malformed_bad_directory.mrc",
    "mrrc__publication.xml",
    "bibliostratus__mon_impr.tsv",
]


@pytest.mark.parametrize("name", MIXED_PROBLEMS)
@pytest.mark.parametrize("batch", [7, 100])
def test_batches_give_what_record_by_record_gives(
    corpus_dir: Path, name: str, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records go through the stages in batches: the table and the problem list, in its
    order (each record's problems where the reader and the normaliser found them), are those
    of one record at a time."""
    import fundplanner.ingest as ingest

    path = corpus_dir / "marc" / name
    monkeypatch.setattr(ingest, "STAGE_BATCH", 1)
    one = read_catalogue(path)
    monkeypatch.setattr(ingest, "STAGE_BATCH", batch)
    batched = read_catalogue(path)
    assert batched.problems == one.problems
    pd.testing.assert_frame_equal(batched.titles, one.titles)
