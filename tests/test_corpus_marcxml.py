"""Every MARCXML / UNIMARC XML file of the shared corpus goes through iter_marcxml + extract."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from fundplanner.errors import Problem
from fundplanner.ingest.fieldmap import extract
from fundplanner.ingest.marcdata import MarcRecord
from fundplanner.ingest.marcxml import iter_marcxml
from fundplanner.model import RAW_KEYS

pytestmark = pytest.mark.corpus

XML_FORMATS = {"marcxml", "unimarcxml"}
SECONDS_PER_FILE = 5.0
SECONDS_IN_ALL = 60.0


def manifest_rows(corpus_dir: Path) -> list[dict[str, str]]:
    """One row per file (the manifest repeats some lines)."""
    with open(corpus_dir / "marc" / "MANIFEST.tsv", encoding="utf-8", newline="") as handle:
        rows = {row["file"]: row for row in csv.DictReader(handle, delimiter="\t")}
    return list(rows.values())


def looks_like_xml(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def is_well_formed(row: dict[str, str]) -> bool:
    notes = row["notes"].lower()
    return "not well-formed" not in notes and "malformed xml" not in notes


def check_file(path: Path, row: dict[str, str]) -> list[str]:
    """What is wrong with reading one file (empty when all is well)."""
    failures: list[str] = []
    started = time.perf_counter()
    records: list[MarcRecord] = []
    problems: list[Problem] = []
    for item in iter_marcxml(path.read_bytes(), file=path.name):
        if isinstance(item, MarcRecord):
            records.append(item)
            row_keys = set(extract(item))
            if not row_keys <= set(RAW_KEYS):
                failures.append(f"keys outside RAW_KEYS: {row_keys - set(RAW_KEYS)}")
        else:
            problems.append(item)
    elapsed = time.perf_counter() - started
    if elapsed > SECONDS_PER_FILE:
        failures.append(f"took {elapsed:.1f} s")
    if any(p.file != path.name for p in problems):
        failures.append("a problem does not name the file")
    expected = int(row["n_records"] or 0)
    if row["format"] in XML_FORMATS and is_well_formed(row) and len(records) < expected:
        failures.append(f"read {len(records)} records, the manifest counts {expected}")
    if not is_well_formed(row) and not any("line" in p.message for p in problems):
        failures.append("broken XML but no problem says where")
    if not records and not problems:
        failures.append("no record and no problem")
    return failures


def test_every_xml_file_of_the_corpus(corpus_dir: Path) -> None:
    started = time.perf_counter()
    failures: dict[str, list[str]] = {}
    checked = 0
    for row in manifest_rows(corpus_dir):
        path = corpus_dir / "marc" / row["file"]
        if not path.exists():
            continue
        head = path.read_bytes()[:64]
        if row["format"] not in XML_FORMATS and not looks_like_xml(head):
            continue  # ISO 2709 or MARCMaker text: another reader's corpus test
        checked += 1
        found = check_file(path, row)
        if found:
            failures[row["file"]] = found
    assert checked >= 150, f"only {checked} XML files found in the manifest"
    assert failures == {}
    assert time.perf_counter() - started < SECONDS_IN_ALL


def test_corpus_arabic_880_titles_come_out_in_arabic(corpus_dir: Path) -> None:
    path = corpus_dir / "marc" / "aco-karms__LeBAU_b12323743_marcxml.xml"
    records = [
        i for i in iter_marcxml(path.read_bytes(), file=path.name) if isinstance(i, MarcRecord)
    ]
    row = extract(records[0])
    assert any("\u0600" <= char <= "\u06ff" for char in row["title"])
    assert row["title_latin"]
    assert not any("\u0600" <= char <= "\u06ff" for char in row["title_latin"])


def test_corpus_broken_second_record_keeps_the_first(corpus_dir: Path) -> None:
    path = corpus_dir / "marc" / "ruby-marc__three-records-second-bad.xml"
    items = list(iter_marcxml(path.read_bytes(), file=path.name))
    assert isinstance(items[0], MarcRecord) and items[0].record_no == 1
    problem = next(i for i in items if isinstance(i, Problem))
    assert problem.record == 2 and "line 72" in problem.message
