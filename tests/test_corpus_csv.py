"""Every CSV/TSV file of the shared corpus goes through the table reader without a crash.

The corpus (../shared/corpus/marc/MANIFEST.tsv, format ``csv``) holds real library files:
BnF Bibliostratus extraction examples (French, TAB-separated, with headers), a headerless
Moccam catalogue (ideascube), and non-catalogue CSVs (Princeton SCSB export reports, a
Voyager-Alma location map, an ACO handle map). Catalogues must come in as rows; the others
must be refused with one clear MISSING_COLUMN problem — never an exception other than a
FundplannerError.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from fundplanner.errors import FundplannerError, Kind, Problem, Severity
from fundplanner.ingest.sniff import sniff_format
from fundplanner.ingest.tabular import iter_table

pytestmark = pytest.mark.corpus

#: file -> (data rows expected as RawRows, keys every row must have). Files not listed only
#: have to pass without an unexpected exception.
EXPECTED: dict[str, tuple[int, set[str]]] = {
    "bibliostratus__mon_impr.tsv": (20, {"title", "authors", "isbns", "publisher", "year"}),
    "bibliostratus__audio.tsv": (31, {"title", "year"}),
    "bibliostratus__per.tsv": (27, {"title", "record_id"}),
    "bibliostratus__gmb_monimpr.tsv": (16, {"title", "languages"}),
    # not catalogues: no title column -> one ERROR problem, no rows
    "aco-karms__handles_nnc_two.csv": (0, set()),
    "bibdata__voyager_alma_mapping.csv": (0, set()),
    "bibdata__ExportDataDump_Full_CUL_20210429_192300.csv": (0, set()),
    "ideascube__moccam.csv": (0, set()),  # headerless: needs a mapping (below)
}


def _csv_files(corpus: Path) -> list[Path]:
    manifest = corpus / "marc" / "MANIFEST.tsv"
    with manifest.open(encoding="utf-8", newline="") as handle:
        entries = list(csv.DictReader(handle, delimiter="\t"))
    return [corpus / "marc" / e["file"] for e in entries if e["format"] == "csv"]


def _read(path: Path, mapping: Any = None) -> list[Any] | None:
    data = path.read_bytes()
    try:
        fmt = sniff_format(data, file=path.name)
    except FundplannerError:
        return None
    if not fmt.is_table:
        return None  # sniffed as something else: fine, another reader's business
    return list(iter_table(data, file=path.name, format=fmt, mapping=mapping))


def test_every_corpus_csv_passes(corpus_dir: Path) -> None:
    files = _csv_files(corpus_dir)
    assert files, "the manifest lists no csv files"
    for path in files:
        try:
            items = _read(path)
        except FundplannerError:
            continue
        if items is None:
            continue
        rows = [i for i in items if isinstance(i, dict)]
        problems = [i for i in items if isinstance(i, Problem)]
        for row in rows:
            assert row["title"] and row["flavour"] == "table", path.name
        if path.name in EXPECTED:
            count, keys = EXPECTED[path.name]
            assert len(rows) == count, path.name
            if count:
                assert keys <= set().union(*rows), path.name  # each key filled somewhere
            else:
                errors = [p for p in problems if p.severity is Severity.ERROR]
                assert [p.kind for p in errors] == [Kind.MISSING_COLUMN], path.name


def test_headerless_moccam_file_reads_with_a_mapping(corpus_dir: Path) -> None:
    path = corpus_dir / "marc" / "ideascube__moccam.csv"
    if not path.exists():
        pytest.skip("moccam file not in this corpus")
    mapping = {
        "columns": {"isbns": "1", "title": "2", "authors": "3", "publisher": "4", "year": "6"},
        "options": {"header_row": 0},
    }
    items = _read(path, mapping)
    assert items is not None
    rows = [i for i in items if isinstance(i, dict)]
    assert len(rows) == 2
    assert rows[0]["isbns"] == ["9782070379040"] and rows[0]["title"] == "Les Enchanteurs"
    assert rows[0]["authors"] == ["Gary, Romain"] and rows[0]["year"] == "1988"
