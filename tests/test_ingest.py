"""The whole ingest pipeline: bytes in, canonical candidate table plus problems out."""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import io
import itertools
import random
from pathlib import Path
from types import ModuleType

import pandas as pd
import pymarc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundplanner import dedupe, physical
from fundplanner import ingest as ingest_module
from fundplanner.errors import FundplannerError, IngestError, Kind, Severity, UnrecognisedFormat
from fundplanner.ingest import IngestOptions, IngestResult, parts, read_catalogue, read_catalogues
from fundplanner.ingest.sniff import Format, sniff_format
from fundplanner.model import CANDIDATE_SCHEMA


def assert_every_record_accounted_for(result: IngestResult) -> None:
    """Each record a reader found is a row of the table or an ERROR problem — never both."""
    assert result.records_read == len(result.titles) + len(result.rejected_records)


def assert_canonical(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == list(CANDIDATE_SCHEMA)
    for name, dtype in CANDIDATE_SCHEMA.items():
        assert str(frame[name].dtype) == dtype, name


def marc21_record(
    title: str | None,
    *,
    isbn: str = "2070408507",
    lang: str = "fre",
    leader6: str = "a",
    extra: list[pymarc.Field] | None = None,
) -> pymarc.Record:
    record = pymarc.Record(force_utf8=True, leader=f"00000n{leader6}m a2200000 i 4500")
    f008 = list(" " * 40)
    f008[35:38] = lang
    record.add_field(pymarc.Field(tag="001", data=f"id-{title}"))
    record.add_field(pymarc.Field(tag="008", data="".join(f008)))
    record.add_field(
        pymarc.Field(
            tag="020",
            indicators=pymarc.Indicators(" ", " "),
            subfields=[pymarc.Subfield("a", isbn), pymarc.Subfield("c", "7,50 EUR")],
        )
    )
    if title is not None:
        record.add_field(
            pymarc.Field(
                tag="245",
                indicators=pymarc.Indicators("1", "0"),
                subfields=[pymarc.Subfield("a", title)],
            )
        )
    for field in extra or []:
        record.add_field(field)
    return record


def marc_bytes(*records: pymarc.Record) -> bytes:
    return b"".join(r.as_marc() for r in records)


# -- sniffing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("iso2709_marc8_arabic_880.mrc", Format.MARC21),
        ("iso2709_unimarc_utf8_blank_leader09_arabic_200.mrc", Format.UNIMARC),
        ("marcxml_no_namespace.xml", Format.MARCXML),
        ("marcxml_namespaced_prefix.xml", Format.MARCXML),
        ("marcxml_unimarc_slim.xml", Format.UNIMARCXML),
        ("table_cp1252_french_semicolon.csv", Format.CSV),
        ("table_utf16le_bom.csv", Format.CSV),
        ("table_tab_separated.tsv", Format.CSV),
        ("table_prices_usd_jod.xlsx", Format.XLSX),
    ],
)
def test_format_is_sniffed_from_the_bytes_not_the_name(
    data_dir: Path, fixture: str, expected: Format, tmp_path: Path
) -> None:
    renamed = tmp_path / "catalogue.dat"  # the extension says nothing
    renamed.write_bytes((data_dir / fixture).read_bytes())
    assert sniff_format(renamed.read_bytes()) is expected
    assert read_catalogue(renamed).format is expected


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"=LDR  00000nam a2200000 a 4500\n=245  10$aTitle", "MARCMaker"),
        (b'{"title": "x"}', "JSON"),
        (b'<?xml version="1.0"?><html><body>x</body></html>', "not MARCXML"),
        (b"PK\x03\x04" + b"\x00" * 60, "zip"),
    ],
)
def test_an_unrecognised_file_gets_one_clear_message(content: bytes, says: str) -> None:
    with pytest.raises(UnrecognisedFormat) as caught:
        read_catalogue(content, name="gift-list.bin")
    assert "gift-list.bin" in str(caught.value)
    assert says in str(caught.value)


def test_a_gzip_compressed_catalogue_is_read(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "dons.mrc.gz"
    path.write_bytes(gzip.compress(marc_bytes(marc21_record("Le Petit Prince"))))
    result = read_catalogue(path)
    assert result.titles["title"].tolist() == ["Le Petit Prince"]


def test_a_record_classed_only_by_the_library_of_congress_gets_its_shelf() -> None:
    """A university catalogue without Dewey numbers: 050 $a gives the category."""

    def lc(number: str) -> pymarc.Field:
        return pymarc.Field(
            tag="050",
            indicators=pymarc.Indicators("0", "0"),
            subfields=[pymarc.Subfield("a", number)],
        )

    records = [
        marc21_record("Awlad haratina", isbn="9953000001", lang="ara", extra=[lc("PJ7846.A46")]),
        marc21_record("Python", isbn="0596007973", lang="eng", extra=[lc("QA76.73.P98")]),
        marc21_record("Sans cote", isbn="2070408507"),
    ]
    titles = read_catalogue(marc_bytes(*records), name="univ.mrc").titles
    assert titles[["category", "category_method"]].values.tolist() == [
        ["fiction", "lcc"],
        ["nonfiction_0xx", "lcc"],
        ["unclassified", "default"],
    ]


def test_a_set_of_volumes_takes_the_shelf_and_weight_of_all_its_volumes() -> None:
    """300 $a "3 vol.": one copy of the set is three books on the shelf and in the carton."""

    def extent(text: str) -> pymarc.Field:
        return pymarc.Field(
            tag="300",
            indicators=pymarc.Indicators(" ", " "),
            subfields=[pymarc.Subfield("a", text), pymarc.Subfield("c", "24 cm")],
        )

    records = [
        marc21_record("Encyclopédie", isbn="2070408507", extra=[extent("3 vol.")]),
        marc21_record("Un volume", isbn="0596007973", extra=[]),
    ]
    titles = read_catalogue(marc_bytes(*records), name="sets.mrc").titles
    assert titles["physical_method"].tolist() == [
        "category default; 3 volumes",
        "category default",
    ]
    one = physical.estimate_physical(pages=None, height_cm=24.0, category=titles["category"][0])
    assert titles["thickness_cm"][0] == pytest.approx(3 * one.thickness_cm, abs=0.002)
    assert titles["weight_kg"][0] == pytest.approx(3 * one.weight_kg, abs=0.0005)


# -- canonical table ------------------------------------------------------------------------


def test_a_marc21_record_becomes_a_canonical_row() -> None:
    extra = [
        pymarc.Field(
            tag="100",
            indicators=pymarc.Indicators("1", " "),
            subfields=[pymarc.Subfield("a", "Saint-Exupéry, Antoine de")],
        ),
        pymarc.Field(
            tag="264",
            indicators=pymarc.Indicators(" ", "1"),
            subfields=[pymarc.Subfield("b", "Gallimard,"), pymarc.Subfield("c", "1999")],
        ),
        pymarc.Field(
            tag="300",
            indicators=pymarc.Indicators(" ", " "),
            subfields=[pymarc.Subfield("a", "93 p. :"), pymarc.Subfield("c", "18 cm")],
        ),
        pymarc.Field(
            tag="082",
            indicators=pymarc.Indicators("0", "4"),
            subfields=[pymarc.Subfield("a", "843.912")],
        ),
    ]
    result = read_catalogue(
        marc_bytes(marc21_record("Le petit prince", extra=extra)), name="don.mrc"
    )
    assert_canonical(result.titles)
    row = result.titles.iloc[0]
    assert row["source"] == "don.mrc"
    assert row["isbn13"] == "9782070408504"
    assert row["language"] == "fre" and row["language_method"] == "marc"
    assert row["authors"] == "Saint-Exupéry, Antoine de"
    assert row["publisher"] == "Gallimard"
    assert row["year"] == 1999
    assert row["pages"] == 93 and row["height_cm"] == 18
    assert row["category"] == "fiction"
    assert row["price"] == 7.5 and row["currency"] == "EUR" and row["price_eur"] == 7.5
    assert row["acquisition"] == "purchase"
    assert row["work_key"] == "isbn:9782070408504"
    assert 0 < row["weight_kg"] < 1 and 0 < row["thickness_cm"] < 3


def test_options_apply_to_rows_that_say_nothing() -> None:
    options = IngestOptions(acquisition="donation", origin="FR")
    row = read_catalogue(marc_bytes(marc21_record("Germinal")), options=options).titles.iloc[0]
    assert row["acquisition"] == "donation" and row["origin"] == "FR"


@pytest.mark.parametrize(
    ("record", "kind"),
    [
        (marc21_record(None), Kind.MISSING_TITLE),
        (marc21_record("A film", leader6="g"), Kind.NOT_A_BOOK),
    ],
)
def test_rejected_records_are_errors_and_the_good_ones_still_come_in(record, kind) -> None:
    data = marc_bytes(
        marc21_record("Premier"), record, marc21_record("Troisième", isbn="2070360024")
    )
    result = read_catalogue(data, name="mixed.mrc")
    assert result.titles["title"].tolist() == ["Premier", "Troisième"]
    [error] = [p for p in result.problems if p.severity is Severity.ERROR]
    assert (error.kind, error.record, error.file) == (kind, 2, "mixed.mrc")
    assert_every_record_accounted_for(result)


def test_an_invalid_isbn_is_a_warning_and_the_row_is_kept() -> None:
    result = read_catalogue(marc_bytes(marc21_record("Nedjma", isbn="2070408504")), name="x.mrc")
    assert result.titles["isbn13"].isna().all()
    [problem] = result.problems
    assert problem.kind is Kind.INVALID_ISBN and problem.severity is Severity.WARNING
    assert problem.field == "020 $a" and problem.record == 1 and "2070408504" in problem.message


def test_duplicates_across_files_share_a_work_key(tmp_path: Path) -> None:
    first = tmp_path / "a.mrc"
    first.write_bytes(marc_bytes(marc21_record("L'Étranger", isbn="2070360024")))
    second = tmp_path / "b.csv"
    second.write_text(
        "Titre;Auteur;ISBN\nL'étranger;Camus, Albert;978-2-07-036002-4\n", encoding="utf-8"
    )
    result = read_catalogues([first, second])
    assert len(result.titles) == 2
    assert result.titles["work_key"].nunique() == 1
    assert set(result.titles["source"]) == {"a.mrc", "b.csv"}


def test_a_file_that_cannot_be_read_is_one_problem_and_the_others_still_come_in(
    tmp_path: Path,
) -> None:
    good = tmp_path / "good.mrc"
    good.write_bytes(marc_bytes(marc21_record("Germinal")))
    bad = tmp_path / "bad.xls"
    bad.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 64)
    result = read_catalogues([good, bad])
    assert result.titles["title"].tolist() == ["Germinal"]
    [problem] = result.problems
    assert problem.kind is Kind.UNREADABLE_FILE and problem.file == str(bad)


def test_a_missing_file_is_an_ingest_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"nowhere\.mrc"):
        read_catalogue(tmp_path / "nowhere.mrc")


def test_a_text_stream_is_refused_with_a_fix() -> None:
    with pytest.raises(IngestError, match=r"'rb'"):
        read_catalogue(io.StringIO("Title\nx\n"))  # type: ignore[arg-type]


def test_every_fixture_keeps_the_invariant(data_dir: Path) -> None:
    for path in sorted(data_dir.iterdir()):
        if path.suffix not in {".mrc", ".xml", ".csv", ".tsv", ".xlsx"}:
            continue
        try:
            result = read_catalogue(path)
        except FundplannerError:
            continue
        assert_canonical(result.titles)
        assert_every_record_accounted_for(result)


# -- property tests ---------------------------------------------------------------------------

_SAMPLE = marc_bytes(*(marc21_record(f"Titre {n}", isbn="2070408507") for n in range(5)))


@settings(max_examples=150)
@given(st.data())
def test_mutated_marc_never_raises_anything_but_our_errors(data: st.DataObject) -> None:
    buffer = bytearray(_SAMPLE)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(buffer) - 1))
        action = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        if action == "flip":
            buffer[position] = data.draw(st.integers(0, 255))
        elif action == "delete":
            del buffer[position]
        else:
            buffer.insert(position, data.draw(st.sampled_from([0x1D, 0x1E, 0x1F, 0x20, 0xC3])))
    try:
        result = read_catalogue(bytes(buffer), name="mutated.mrc", format="marc21")
    except FundplannerError:
        return
    assert_every_record_accounted_for(result)


@given(st.binary(max_size=2000))
def test_random_bytes_never_raise_anything_but_our_errors(blob: bytes) -> None:
    try:
        result = read_catalogue(blob, name="random.bin")
    except FundplannerError:
        return
    assert_every_record_accounted_for(result)


_CELL = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


@given(st.lists(st.tuples(_CELL, _CELL, _CELL), min_size=1, max_size=20))
def test_every_csv_row_is_a_candidate_or_a_problem(rows: list[tuple[str, str, str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["Titre", "Auteur", "ISBN"])
    writer.writerows(rows)
    try:
        result = read_catalogue(out.getvalue().encode("utf-8"), name="gift.csv", format="csv")
    except FundplannerError:
        return
    assert_every_record_accounted_for(result)
    non_blank = [r for r in rows if any(cell.strip() for cell in r)]
    assert result.records_read == len(non_blank)


def test_fixed_seed_shuffles_give_the_same_table() -> None:
    records = [marc21_record(f"Titre {n}", isbn="2070408507") for n in range(6)]
    first = read_catalogue(marc_bytes(*records), name="x.mrc").titles
    random.Random(7).shuffle(records)
    second = read_catalogue(marc_bytes(*records), name="x.mrc").titles
    key = ["record_id"]
    # the same rows, bar their positions in the file (record_no follows the shuffle)
    pd.testing.assert_frame_equal(
        first.sort_values(key).drop(columns="record_no").reset_index(drop=True),
        second.sort_values(key).drop(columns="record_no").reset_index(drop=True),
    )
    assert sorted(second["record_no"]) == list(range(1, 7))


# -- a file read in parts -------------------------------------------------------------------


def _generator() -> ModuleType:
    """benchmarks/generate.py: seeded synthetic MARC21 (880 pairs, some blank 008/35-37)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "generate.py"
    spec = importlib.util.spec_from_file_location("fundplanner_bench_generate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _datafield(tag: str, ind: str, *subfields: tuple[str, str]) -> tuple[str, bytes]:
    body = ind.encode() + b"".join(b"\x1f" + c.encode() + v.encode() for c, v in subfields)
    return tag, body + b"\x1e"


def _book(n: int, f008_lang: str, isbn: str, *fields: tuple[str, bytes]) -> list[tuple[str, bytes]]:
    f008 = list(" " * 40)
    f008[35:38] = f008_lang
    return [
        ("001", f"extra{n}\x1e".encode()),
        ("008", ("".join(f008) + "\x1e").encode()),
        _datafield("020", "  ", ("a", isbn)),
        *fields,
    ]


PETIT_PRINCE = _datafield("100", "1 ", ("a", "Saint-Exupéry, Antoine de"))
#: An original and its translation (041 $h, 240 $a), and two records only the detector can
#: judge (one with an English ISBN prior, 978-0); put at both ends of the file so that they
#: fall in different parts.
ORIGINAL = _book(
    1, "fre", "9782070408504", PETIT_PRINCE, _datafield("245", "13", ("a", "Le petit prince"))
)
TRANSLATION = _book(
    2,
    "eng",
    "9780156012195",
    PETIT_PRINCE,
    _datafield("041", "1 ", ("a", "eng"), ("h", "fre")),
    _datafield("240", "10", ("a", "Le petit prince")),
    _datafield("245", "14", ("a", "The little prince")),
)
NO_CODE_ENGLISH_PRIOR = _book(3, "   ", "9780747532699", _datafield("245", "10", ("a", "Emma")))
NO_CODE = _book(4, "   ", "9782070360024", _datafield("245", "10", ("a", "Les malheurs de Sophie")))


def _records_for_parts() -> list[list[tuple[str, bytes]]]:
    """419 records with what a parallel read must get right across part boundaries: rows
    without 001 (numbered by record), rejected records (problems with record numbers), exact
    duplicates of records in another part, a translation whose original is in another part,
    Arabic 880 pairs and records without language codes (from benchmarks/generate.py)."""
    records = [list(fields) for fields in _generator().generate(400, seed=11)]
    for n in range(5, len(records), 37):
        records[n] = [f for f in records[n] if f[0] != "001"]
    for n in range(20, len(records), 53):
        records[n] = [f for f in records[n] if f[0] not in ("245", "880")]  # MISSING_TITLE
    return [ORIGINAL, NO_CODE_ENGLISH_PRIOR, *records, *records[:15], TRANSLATION, NO_CODE]


def _catalogue_bytes(records: list[list[tuple[str, bytes]]], fmt: str) -> bytes:
    generate = _generator()
    if fmt == "marc21":
        return b"".join(generate.iso2709(fields) for fields in records)
    body = "\n".join(
        generate.to_marcxml(fields, generate.iso2709(fields)[:24].decode()) for fields in records
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<collection xmlns="http://www.loc.gov/MARC21/slim">\n'
        f"{body}\n</collection>\n"
    ).encode()


@pytest.mark.parametrize("given", ["bytes", "path"])
@pytest.mark.parametrize("fmt", ["marc21", "marcxml"])
def test_a_file_read_in_parts_gives_the_table_of_one_piece(
    fmt: str, given: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """From bytes the workers cut their pieces from the bytes they inherit; from a path the
    parent drops the file's bytes before forking and each worker reads its piece from disk."""
    data = _catalogue_bytes(_records_for_parts(), fmt)
    whole = read_catalogue(data, name=f"gen.{fmt}", options=IngestOptions(workers=1))
    source: bytes | Path = data
    if given == "path":
        source = tmp_path / f"gen.{fmt}"
        source.write_bytes(data)

    joined: list[int] = []  # parts joined, per parallel read
    judged: list[int] = []  # rows left to the detector, per part
    join, detect = ingest_module._joined, ingest_module._detect_pending

    def join_spy(results: list) -> object:
        joined.append(len(results))
        return join(results)

    def detect_spy(part: object, options: IngestOptions) -> None:
        judged.append(len(part.pending))  # type: ignore[attr-defined]
        detect(part, options)  # type: ignore[arg-type]

    monkeypatch.setattr(parts, "MIN_BYTES_PER_PART", 1024)
    monkeypatch.setattr(ingest_module, "_joined", join_spy)
    monkeypatch.setattr(ingest_module, "_detect_pending", detect_spy)
    split = read_catalogue(source, name=f"gen.{fmt}", options=IngestOptions(workers=3))

    per_worker = parts.PIECES_PER_WORKER if fmt == "marc21" else parts.XML_PIECES_PER_WORKER
    pieces = 3 * per_worker + 3  # each worker's last piece cut in two
    assert joined == [pieces] and len(judged) == pieces and sum(judged) > 5  # detector used
    pd.testing.assert_frame_equal(split.titles, whole.titles)
    # the same problems (a path source names its file by its path)
    assert [dataclasses.replace(p, file="f") for p in split.problems] == [
        dataclasses.replace(p, file="f") for p in whole.problems
    ]
    assert split.records_read == whole.records_read == 419
    # the table holds what the parts had to agree on
    titles = whole.titles
    assert {"marc", "script", "detector", "prior"} <= set(titles["language_method"])
    assert titles["record_id"].str.fullmatch(r"\d+").sum() == 11  # no 001: the record number
    assert [p.kind for p in whole.problems] == [Kind.MISSING_TITLE] * 8
    assert titles["work_key"].duplicated().sum() >= 15
    prince = titles[titles["title"].str.contains("prince")]
    assert prince["work_group"].tolist() == ["isbn:9782070408504"] * 2
    assert prince["work_key"].nunique() == 2


@pytest.mark.parametrize(
    ("size", "count", "last", "targets"),
    [
        (1200, 4, 0, [300, 600, 900]),  # even pieces
        (1200, 4, 2, [300, 600, 750, 900, 1050]),  # the last two cut in halves
        (1000, 12, 2, [83, 166, 250, 333, 416, 500, 583, 666, 750, 833, 875, 916, 958]),
        (100, 2, 2, [50, 75]),  # the first piece is never split
        (100, 1, 1, []),  # one piece: no cut
        (100, 0, 2, []),  # no piece asked: no cut, no division by zero
    ],
)
def test_cut_targets_split_the_last_pieces_in_two(
    size: int, count: int, last: int, targets: list[int]
) -> None:
    assert parts.cut_targets(size, count, last) == targets


@pytest.mark.parametrize("fmt", ["marc21", "marcxml"])
def test_the_last_pieces_of_a_plan_are_about_half_the_others(fmt: str) -> None:
    """One piece per worker cut in two at the end; the others keep their size."""
    data = _catalogue_bytes(_records_for_parts() * 4, fmt)
    plan = parts.plan_iso2709 if fmt == "marc21" else parts.plan_marcxml
    even = plan(data, 8)
    pieces = plan(data, 8, last=2)
    assert len(pieces) == 10 and pieces[0].start == 0 and pieces[-1].end == len(data)
    # no byte lost or read twice
    assert all(a.end == b.start for a, b in itertools.pairwise(pieces))
    assert pieces[:6] == even[:6]
    sizes = [piece.end - piece.start for piece in pieces]
    assert all(0.4 < size / sizes[0] < 0.6 for size in sizes[6:])


def test_a_file_changed_during_a_parallel_read_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The workers read their pieces from disk: a file rewritten meanwhile must not give a
    table made of two different files."""
    path = tmp_path / "gen.mrc"
    path.write_bytes(_catalogue_bytes(_records_for_parts(), "marc21"))
    monkeypatch.setattr(parts, "MIN_BYTES_PER_PART", 1024)
    plan = parts.plan_iso2709

    def plan_then_rewrite(data: bytes, wanted: int, last: int = 0) -> list[parts.Piece]:
        pieces = plan(data, wanted, last)
        path.write_bytes(data + data[:100])  # someone appends to the file
        return pieces

    monkeypatch.setattr(parts, "plan_iso2709", plan_then_rewrite)
    with pytest.raises(IngestError, match="changed while it was being read"):
        read_catalogue(path, options=IngestOptions(workers=2))


def test_several_files_are_linked_as_their_tables_joined(tmp_path: Path) -> None:
    """read_catalogues links all rows once, with the matching keys each read computed: the same
    table as linking the files' own tables put together."""
    records = _records_for_parts()
    first, second = tmp_path / "a.mrc", tmp_path / "b.xml"
    first.write_bytes(_catalogue_bytes(records[:200], "marc21"))
    second.write_bytes(_catalogue_bytes(records[200:], "marcxml"))
    result = read_catalogues([first, second])
    own = [read_catalogue(first).titles, read_catalogue(second).titles]
    expected = dedupe.assign_work_keys(pd.concat(own, ignore_index=True))
    pd.testing.assert_frame_equal(result.titles, expected)
    assert (result.titles["work_group"] != result.titles["work_key"]).sum() == 1  # the translation
    pd.testing.assert_frame_equal(read_catalogues([first]).titles, own[0])


@pytest.mark.parametrize("batch", [1, 2, 100])
def test_problems_stay_in_record_order_whatever_the_batch(
    batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records go through the stages in batches; the reader's problem of record 2 still
    comes between the normaliser's problems of records 1 and 3."""
    records = [
        _book(1, "fre", "978207061275X", _datafield("245", "10", ("a", "Un"))),  # bad check digit
        _book(2, "fre", "9782070408504", _datafield("245", "10 (sic)", ("a", "Deux"))),
        _book(3, "fre", "978207061275X", _datafield("245", "10", ("a", "Trois"))),
    ]
    monkeypatch.setattr(ingest_module, "STAGE_BATCH", batch)
    result = read_catalogue(_catalogue_bytes(records, "marc21"), name="mixed.mrc")
    assert [(p.record, p.field, p.kind) for p in result.problems] == [
        (1, "020 $a", Kind.INVALID_ISBN),
        (2, "245", Kind.UNREADABLE_RECORD),  # text between the indicators and $a dropped
        (3, "020 $a", Kind.INVALID_ISBN),
    ]
