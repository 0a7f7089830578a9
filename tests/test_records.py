"""fundplanner.ingest.records: the original records of an imported file, by record number."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pymarc
import pytest

from fundplanner.ingest import read_catalogue
from fundplanner.ingest.records import original_records

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"

FILES = [
    ("donateur_fr.marc21.mrc", "marc21"),
    ("bm_aulnay_dons.unimarc.mrc", "unimarc"),
    ("bibliotheque_universitaire.marcxml.xml", "marcxml"),
]


def parsed(data: bytes, fmt: str) -> pymarc.Record:
    if fmt in ("marc21", "unimarc"):
        return next(iter(pymarc.MARCReader(data, to_unicode=True, force_utf8=True)))
    (record,) = pymarc.parse_xml_to_array(io.BytesIO(data))
    return record


@pytest.mark.parametrize(("name", "fmt"), FILES)
def test_every_candidate_finds_its_own_record_again(name: str, fmt: str) -> None:
    content = (DEMO / name).read_bytes()
    titles = read_catalogue(content, name=name).titles
    numbers = titles["record_no"].astype(int).tolist()
    records = original_records(content, fmt, numbers)
    assert set(records) == set(numbers)
    for number, control in zip(numbers, titles["record_id"], strict=True):
        assert parsed(records[number], fmt)["001"].data == control


def test_a_gzipped_file_gives_the_same_records() -> None:
    content = (DEMO / "donateur_fr.marc21.mrc").read_bytes()
    plain = original_records(content, "marc21", [1, 5, 9])
    assert original_records(gzip.compress(content), "marc21", [1, 5, 9]) == plain


def test_xml_broken_part_way_gives_the_records_before_the_break() -> None:
    content = (DEMO / "bibliotheque_universitaire.marcxml.xml").read_bytes()
    cut = content.index(b"</record>", len(content) // 2)
    broken = content[:cut] + b"<oops"
    found = original_records(broken, "marcxml", range(1, 10_000))
    assert found and max(found) < 10_000
    assert sorted(found) == list(range(1, len(found) + 1))


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "unknown"])
def test_tables_have_no_original_records(fmt: str) -> None:
    assert original_records(b"title\nx\n", fmt, [1]) == {}
