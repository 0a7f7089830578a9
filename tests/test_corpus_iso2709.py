"""The ISO 2709 reader over the shared corpus of real (and deliberately broken) MARC files.

Reads ../shared/corpus/marc/MANIFEST.tsv (file, repo, path_in_repo, commit, format,
n_records, notes). Every file whose bytes look like ISO 2709 must be read without an
exception and within a time limit; no record the splitter finds may disappear; we must
read at least as many records as pymarc's permissive reader did (``pymarc(permissive)
ok=N`` in the notes); files noted "contains Arabic script" must decode to Arabic letters.
"""

from __future__ import annotations

import csv
import gzip
import os
import re
from pathlib import Path

import pytest
from helpers import time_limit

from fundplanner.errors import Problem, Severity
from fundplanner.ingest.iso2709 import iter_iso2709, split_iso2709
from fundplanner.ingest.marcdata import MarcRecord
from fundplanner.ingest.sniff import SNIFF_BYTES, looks_like_iso2709

pytestmark = pytest.mark.corpus

#: The same place conftest's ``corpus_dir`` fixture uses (parametrisation needs it earlier).
CORPUS = Path(
    os.environ.get("FUNDPLANNER_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
)
SECONDS_PER_FILE = 20
ARABIC = re.compile("[\u0600-\u06ff]")
TITLE_TAGS = ("245", "880", "200")


def manifest_rows() -> list[dict[str, str]]:
    path = CORPUS / "marc" / "MANIFEST.tsv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def file_bytes(corpus: Path, name: str) -> bytes:
    data = (corpus / "marc" / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


def iso2709_rows() -> list[dict[str, str]]:
    rows = []
    for row in manifest_rows():
        head = file_bytes(CORPUS, row["file"])[:SNIFF_BYTES]
        if looks_like_iso2709(head):
            rows.append(row)
    return rows


ROWS = iso2709_rows()
#: Files the manifest calls MARC that the sniffer does not take for ISO 2709 (damaged
#: leaders…): the reader must still not crash on them, and must say something.
UNSNIFFED = [
    r
    for r in manifest_rows()
    if r["format"] in ("marc21-utf8", "marc8", "unimarc") and r not in ROWS
]


def read_file(corpus: Path, name: str) -> tuple[bytes, list[MarcRecord | Problem]]:
    data = file_bytes(corpus, name)
    with time_limit(SECONDS_PER_FILE):
        return data, list(iter_iso2709(data, file=name))


def pymarc_ok(notes: str) -> int | None:
    found = re.search(r"pymarc\(permissive\) ok=(\d+)", notes)
    return int(found.group(1)) if found else None


def arabic_letters(record: MarcRecord) -> bool:
    for tag in TITLE_TAGS:
        for value in record.fields.get(tag, ()):
            texts = [value] if isinstance(value, str) else [v for _, v in value[2]]
            if any(ARABIC.search(text) for text in texts):
                return True
    return False


@pytest.mark.skipif(not ROWS, reason="corpus not found")
@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_corpus_file(corpus_dir, row):
    name = row["file"]
    data, out = read_file(corpus_dir, name)
    records = [o for o in out if isinstance(o, MarcRecord)]
    problems = [o for o in out if isinstance(o, Problem)]
    # Not worse than pymarc's permissive reader.
    expected = pymarc_ok(row["notes"])
    if expected is not None:
        assert len(records) >= expected
    # No record disappears: each one the splitter finds is read or has its ERROR.
    found = [s.record_no for s in split_iso2709(data) if s.record_no is not None]
    errors = [p.record for p in problems if p.severity is Severity.ERROR and p.record]
    assert sorted([r.record_no for r in records] + errors) == found
    # Every problem names the file, and the record when it is about one.
    for problem in problems:
        assert problem.file == name
        assert problem.record is None or 1 <= problem.record <= len(found)
        assert problem.message
    if "contains Arabic script" in row["notes"]:
        assert any(arabic_letters(r) for r in records), "no Arabic letters in 245/880/200"


@pytest.mark.parametrize("row", UNSNIFFED, ids=[r["file"] for r in UNSNIFFED])
def test_corpus_file_the_sniffer_rejects_still_reads_safely(corpus_dir, row):
    _, out = read_file(corpus_dir, row["file"])
    assert out
    assert all(o.file == row["file"] for o in out if isinstance(o, Problem))


#: Broken files and what must be said about them: file, minimum records read, ERROR
#: record numbers (None: any), words some WARNING or ERROR message must contain.
BROKEN = [
    ("Catmandu-MARC__bu_bibs.mrc", 97, None, "characters instead of bytes"),
    ("File_MARC__wronglen.mrc", 1, [], "leader/00-04"),
    ("marc4j__pride-and-prejudice-with-many-errors.mrc", 367, None, "directory"),
    ("mrrc__e005_truncated_record.bin", 0, [1], "truncated"),
    ("marc-perl__baddir.usmarc", 1, [], "directory"),
    ("mrrc-testbed__synthetic_malformed_missing_terminators.mrc", 3, None, "terminator"),
    ("pymarc__bad_records.mrc", 2, None, "re-export"),
    ("ruby-marc__marc8_accented_chars.marc", 1, [], "leader/09"),
    ("mrrc__e101_non_ascii_tag.bin", 1, [], "unreadable tag"),
]


@pytest.mark.parametrize(("name", "minimum", "error_records", "words"), BROKEN)
def test_broken_corpus_files_are_explained(corpus_dir, name, minimum, error_records, words):
    _, out = read_file(corpus_dir, name)
    records = [o for o in out if isinstance(o, MarcRecord)]
    problems = [o for o in out if isinstance(o, Problem)]
    errors = [p for p in problems if p.severity is Severity.ERROR]
    assert len(records) >= minimum
    if error_records is not None:
        assert [p.record for p in errors] == error_records
    assert any(words in p.message for p in problems)
    assert all(p.record is not None for p in errors)


def test_arabic_880_in_marc8_decodes_to_arabic(corpus_dir):
    """xbib's MARC-8 multi-script file: the Arabic 880 (ESC ( 3) must come out as Arabic."""
    _, out = read_file(corpus_dir, "xbib-marc__IRMARC8.bin")
    arabic = [r for r in out if isinstance(r, MarcRecord) and arabic_letters(r)]
    assert arabic
    assert not [p for p in out if isinstance(p, Problem) and p.record == arabic[0].record_no]
