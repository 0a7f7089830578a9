"""MARC exports for the partner library's ILS (fundplanner.exporting.marc).

Round trips through pymarc (ISO 2709 and XML) and through fundplanner's own ingest; the
candidate's own record kept less the local fields; call numbers; item fields per copy.
Fixtures: tests/data/export_*, built by tests/data/build_fixtures_export.py.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pymarc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from fundplanner import classify, exporting
from fundplanner.errors import Kind, Severity, UsageError
from fundplanner.exporting.marc import (
    DEFAULT_CALL_NUMBERS,
    ItemOptions,
    author_letters,
    build_marc,
    call_number,
    dewey_number,
    is_stripped,
    marc_records,
    write_marc,
)
from fundplanner.ingest import read_catalogue

ARABIC_TITLE = "رجال في الشمس"
#: An Arabic title with a decomposed madda (ا + U+0653): NFC would change its bytes.
DECOMPOSED_TITLE = "\u0627\u0653\u062e\u0631 \u0627\u0644\u0644\u064a\u0644"
OPTIONS = ItemOptions(branch="ALRAM", date_entered=dt.date(2024, 3, 1))


def _row(**values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "candidate_id": 1,
        "copies": 1,
        "source": "Decitre",
        "record_id": "12",
        "title": "Le Petit Prince",
        "subtitle": "",
        "authors": "Saint-Exupéry, Antoine de",
        "publisher": "Gallimard",
        "year": 2007,
        "isbn13": "9782070612758",
        "language": "fre",
        "audience": "children",
        "category": "fiction",
        "dewey": "843.912",
        "pages": 96,
        "height_cm": 18.0,
        "price": 8.5,
        "currency": "EUR",
        "price_eur": 8.5,
        "acquisition": "purchase",
        "partner": "Aulnay",
        "catalogue": "decitre.csv",
        "zone": "children",
        "record_format": None,
        "record_data": None,
    }
    row.update(values)
    return row


def _selection(*rows: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def _three() -> pd.DataFrame:
    return _selection(
        _row(),
        _row(
            candidate_id=2,
            copies=3,
            title=ARABIC_TITLE,
            authors="كنفاني، غسان",
            publisher="مؤسسة الأبحاث العربية",
            year=2013,
            isbn13="9789953890876",
            language="ara",
            audience="adults",
            dewey="892.736",
            price=7.0,
            currency="JOD",
            price_eur=9.1,
            acquisition="local_purchase",
            partner="",
            source="Librairie Amman",
            zone="adults",
        ),
        _row(
            candidate_id=3,
            copies=2,
            title="Atlas du monde",
            authors="",
            isbn13="9782035842855",
            category="reference",
            audience="adults",
            dewey="912",
            price=0.0,
            price_eur=0.0,
            acquisition="donation",
            partner="Biblionef",
        ),
    )


def _read_iso(path: Path) -> list[pymarc.Record]:
    with path.open("rb") as handle:
        return list(pymarc.MARCReader(handle, to_unicode=True))


def _sub(record: pymarc.Record, tag: str, code: str) -> list[str]:
    return [value for f in record.get_fields(tag) for value in f.get_subfields(code)]


# ---------------------------------------------------------------------------------------
# MARC 21 round trips


@pytest.mark.parametrize("container", ["iso2709", "marcxml"])
def test_marc21_round_trip_gives_titles_isbns_and_one_952_per_copy(
    tmp_path: Path, container: Any
) -> None:
    path = tmp_path / "out"
    result = write_marc(_three(), path, flavour="marc21", container=container, options=OPTIONS)
    assert (result.records, result.items, result.problems) == (3, 6, ())
    records = _read_iso(path) if container == "iso2709" else pymarc.parse_xml_to_array(path)
    assert [r["245"]["a"] for r in records] == ["Le Petit Prince", ARABIC_TITLE, "Atlas du monde"]
    assert [r["020"]["a"] for r in records] == ["9782070612758", "9789953890876", "9782035842855"]
    assert [len(r.get_fields("952")) for r in records] == [1, 3, 2]
    assert _sub(records[1], "952", "g") == ["9.10"] * 3  # price in euros by default
    assert _sub(records[1], "952", "t") == ["1", "2", "3"]
    assert _sub(records[1], "952", "e") == ["Librairie Amman"] * 3  # no partner: the source
    assert _sub(records[2], "952", "v") == []  # a donation has no replacement price
    assert _sub(records[2], "952", "y") == ["REF", "REF"]
    assert _sub(records[0], "952", "o") == ["RJ SAI"]
    assert all(r.leader[9] == "a" for r in records)


def test_952_subfields_follow_koha_default_framework() -> None:
    (record,) = marc_records(_selection(_row(copies=1)), "marc21", OPTIONS)
    item = record["952"]
    assert [(s.code, s.value) for s in item.subfields] == [
        ("8", "FICTION"),  # items.ccode
        ("a", "ALRAM"),  # items.homebranch
        ("b", "ALRAM"),  # items.holdingbranch
        ("c", "CHILDREN"),  # items.location
        ("e", "Aulnay"),  # items.booksellerid (source of acquisition)
        ("g", "8.50"),  # items.price
        ("o", "RJ SAI"),  # items.itemcallnumber
        ("t", "1"),  # items.copynumber
        ("v", "8.50"),  # items.replacementprice
        ("y", "BK"),  # items.itype
    ]


def test_marcxml_uses_the_marc21_slim_namespace(tmp_path: Path) -> None:
    path = tmp_path / "out.xml"
    write_marc(_three(), path, container="marcxml", options=OPTIONS)
    root = etree.parse(str(path)).getroot()
    assert root.tag == "{http://www.loc.gov/MARC21/slim}collection"
    assert len(root) == 3


def test_built_marc21_record_fields() -> None:
    (record,) = marc_records(_selection(_row(title_latin="", subtitle="conte")), "marc21", OPTIONS)
    assert record["001"].data == "1"
    assert record["035"]["a"] == "(Decitre)12"
    fixed = record["008"].data or ""
    assert len(fixed) == 40 and fixed[:6] == "240301" and fixed[6:11] == "s2007"
    assert (fixed[22], fixed[33], fixed[35:38]) == ("j", "1", "fre")
    assert record["041"]["a"] == "fre" and record["082"]["a"] == "843.912"
    assert record["082"].indicators == pymarc.Indicators("0", "4")
    assert record["100"]["a"] == "Saint-Exupéry, Antoine de"
    assert record["100"].indicator1 == "1"
    assert (record["245"]["a"], record["245"]["b"]) == ("Le Petit Prince", "conte")
    assert record["245"].indicator2 == "3"  # "Le " is skipped in filing
    assert (record["264"]["b"], record["264"]["c"]) == ("Gallimard", "2007")
    assert (record["300"]["a"], record["300"]["c"]) == ("96 p.", "18 cm")


# ---------------------------------------------------------------------------------------
# UNIMARC round trips


@pytest.mark.parametrize("container", ["iso2709", "marcxml"])
def test_unimarc_round_trip_gives_995_per_copy(tmp_path: Path, container: Any) -> None:
    path = tmp_path / "out"
    options = ItemOptions(branch="ALRAM", owner_name="Bibliothèque d'Al Ram", barcode_prefix="AR")
    write_marc(_three(), path, flavour="unimarc", container=container, options=options)
    records = _read_iso(path) if container == "iso2709" else pymarc.parse_xml_to_array(path)
    assert [r["200"]["a"] for r in records] == ["Le Petit Prince", ARABIC_TITLE, "Atlas du monde"]
    assert [r["010"]["a"] for r in records] == ["9782070612758", "9789953890876", "9782035842855"]
    assert [len(r.get_fields("995")) for r in records] == [1, 3, 2]
    arabic = records[1]
    assert _sub(arabic, "995", "a") == ["Bibliothèque d'Al Ram"] * 3
    assert _sub(arabic, "995", "b") == _sub(arabic, "995", "c") == ["ALRAM"] * 3
    assert _sub(arabic, "995", "k") == ["R كنف"] * 3
    assert _sub(arabic, "995", "r") == ["BK"] * 3
    assert _sub(arabic, "995", "f") == ["AR000002", "AR000003", "AR000004"]
    assert arabic["010"]["d"] == "9.10 EUR"  # PMB reads the item price from 010 $d
    general = arabic["100"]["a"]
    assert len(general) == 36 and general[26:30] == "50  " and general[34:] == "fa"
    assert general[17] == "m" and general[22:25] == "fre"


def test_unimarc_xml_uses_the_unimarc_slim_namespace(tmp_path: Path) -> None:
    path = tmp_path / "out.xml"
    write_marc(_three(), path, flavour="unimarc", container="marcxml", options=OPTIONS)
    assert etree.parse(str(path)).getroot().tag == "{info:lc/xmlns/unimarcslim}collection"


# ---------------------------------------------------------------------------------------
# Arabic byte-exact, control characters


@pytest.mark.parametrize("flavour", ["marc21", "unimarc"])
@pytest.mark.parametrize("container", ["iso2709", "marcxml"])
def test_arabic_titles_survive_byte_exact(tmp_path: Path, flavour: Any, container: Any) -> None:
    assert unicodedata.normalize("NFC", DECOMPOSED_TITLE) != DECOMPOSED_TITLE
    path = tmp_path / "out"
    selection = _selection(_row(title=DECOMPOSED_TITLE, language="ara", authors=""))
    write_marc(selection, path, flavour=flavour, container=container, options=OPTIONS)
    assert DECOMPOSED_TITLE.encode("utf-8") in path.read_bytes()
    records = _read_iso(path) if container == "iso2709" else pymarc.parse_xml_to_array(path)
    tag = "245" if flavour == "marc21" else "200"
    assert records[0][tag]["a"] == DECOMPOSED_TITLE


def test_control_characters_cannot_break_the_record(tmp_path: Path) -> None:
    path = tmp_path / "out.mrc"
    title = "Bad\x1ebytes\x1fin\x1dtitle\x00"
    write_marc(_selection(_row(title=title), _row(candidate_id=2)), path, options=OPTIONS)
    records = _read_iso(path)
    assert [r["245"]["a"] for r in records] == ["Bad bytes in title", "Le Petit Prince"]


@settings(max_examples=40)
@given(
    st.text(
        alphabet=st.sampled_from(list("ابتثجحخدذرزسشصضطظعغفقكلمنهوية أإآءab=+-@é '\"<&>")),
        min_size=1,
        max_size=40,
    ).filter(str.strip)
)
def test_any_title_round_trips_through_iso2709(title: str) -> None:
    (record,) = marc_records(_selection(_row(title=title)), "marc21", OPTIONS)
    (back,) = pymarc.MARCReader(record.as_marc(), to_unicode=True)
    assert back["245"]["a"] == title.strip()


# ---------------------------------------------------------------------------------------
# The candidate's own record


def _original(data_dir: Path, name: str, record_format: str, **values: Any) -> dict[str, Any]:
    return _row(record_format=record_format, record_data=(data_dir / name).read_bytes(), **values)


def test_own_marc21_record_keeps_its_fields_and_loses_the_old_items(data_dir: Path) -> None:
    row = _original(data_dir, "export_marc21_from_koha.mrc", "marc21", copies=2)
    built = build_marc(_selection(row), "marc21", OPTIONS)
    assert built.problems == ()
    (record,) = built.records
    assert record["001"].data == "KOHA-7731"  # the record's own control number is kept
    assert record["500"]["a"] == "First published in 1963."
    assert record["245"]["a"] == ARABIC_TITLE
    tags = [f.tag for f in record.fields]
    for gone in ("090", "590", "852", "942", "999"):
        assert gone not in tags
    assert _sub(record, "952", "p") == []  # the other library's barcodes are gone
    assert _sub(record, "952", "a") == ["ALRAM", "ALRAM"]
    assert record["100"].get_subfields("9") == []  # foreign authority link dropped
    assert record["650"].get_subfields("9") == []
    assert record.leader[9] == "a"


def test_own_marc8_record_is_written_in_utf8(tmp_path: Path, data_dir: Path) -> None:
    row = _original(data_dir, "export_marc21_marc8_arabic.mrc", "marc21")
    path = tmp_path / "out.mrc"
    write_marc(_selection(row), path, options=OPTIONS)
    (record,) = _read_iso(path)
    assert record.leader[9] == "a"
    assert record["245"]["a"] == "ألف ليلة وليلة"
    assert record["500"]["a"] == "Traduction révisée."
    assert record.get_fields("066") == []  # MARC-8 character sets: meaningless in UTF-8
    assert "ألف ليلة وليلة".encode() in path.read_bytes()


def test_own_unimarc_record_from_pmb(data_dir: Path) -> None:
    row = _original(data_dir, "export_unimarc_from_pmb.mrc", "unimarc", copies=2, price_eur=6.0)
    (record,) = marc_records(_selection(row), "unimarc", OPTIONS)
    assert record["200"]["a"] == "موسم الهجرة إلى الشمال"
    assert record["300"]["a"] == "Roman traduit en 20 langues."
    tags = [f.tag for f in record.fields]
    assert "090" not in tags and "996" not in tags
    assert _sub(record, "995", "f") == []  # PMB's own barcode is gone
    assert _sub(record, "995", "b") == ["ALRAM", "ALRAM"]
    assert record["606"].get_subfields("9") == []
    assert record["010"]["d"] == "6.00 EUR"
    assert record["100"]["a"][26:30] == "50  " and record.leader[9] == "a"


@pytest.mark.parametrize(
    ("name", "record_format", "flavour", "title_tag", "note", "home"),
    [
        (
            "export_marcxml_record.xml",
            "marcxml",
            "marc21",
            "245",
            ("500", "Édition de poche."),
            "952a",
        ),
        (
            "export_unimarcxml_record.xml",
            "unimarcxml",
            "unimarc",
            "200",
            ("300", "Prix Nobel 1957."),
            "995b",
        ),
    ],
)
def test_own_xml_record_is_kept(
    data_dir: Path,
    name: str,
    record_format: str,
    flavour: Any,
    title_tag: str,
    note: tuple[str, str],
    home: str,
) -> None:
    row = _original(data_dir, name, record_format)
    (record,) = marc_records(_selection(row), flavour, OPTIONS)
    assert record[title_tag]["a"] == "L'étranger"
    assert record[note[0]]["a"] == note[1]
    assert _sub(record, home[:3], home[3]) == ["ALRAM"]  # the old item (branch OLD) is gone


def test_own_record_of_the_other_flavour_is_rebuilt(data_dir: Path) -> None:
    row = _original(data_dir, "export_unimarc_from_pmb.mrc", "unimarc")
    built = build_marc(_selection(row), "marc21", OPTIONS)
    (record,) = built.records
    assert built.problems == ()
    assert record["245"]["a"] == "Le Petit Prince"  # from the columns
    assert record.get_fields("200") == []


def test_unreadable_own_record_is_a_warning_and_the_record_is_rebuilt() -> None:
    row = _row(record_format="marc21", record_data=b"00042nam  garbage")
    built = build_marc(_selection(row), "marc21", OPTIONS)
    (problem,) = built.problems
    assert (problem.kind, problem.severity) == (Kind.UNREADABLE_RECORD, Severity.WARNING)
    assert problem.file == "decitre.csv" and "built from the" in problem.message
    assert built.records[0]["245"]["a"] == "Le Petit Prince"


@pytest.mark.parametrize(
    ("tag", "flavour", "stripped"),
    [
        ("500", "marc21", False),
        ("590", "marc21", True),
        ("090", "marc21", True),
        ("690", "marc21", False),
        ("852", "marc21", True),
        ("880", "marc21", False),
        ("942", "marc21", True),
        ("066", "marc21", True),
        ("300", "unimarc", False),
        ("090", "unimarc", True),
        ("899", "unimarc", True),
        ("995", "unimarc", True),
        ("606", "unimarc", False),
    ],
)
def test_strip_rule(tag: str, flavour: Any, stripped: bool) -> None:
    assert is_stripped(tag, flavour) is stripped


@pytest.mark.corpus
@pytest.mark.parametrize(
    "name",
    ["openlibrary__880_arabic_french_many_linkages.mrc", "Evergreen__lul_fre_100.mrc"],
)
def test_real_records_keep_their_fields(corpus_dir: Path, name: str) -> None:
    data = (corpus_dir / "marc" / name).read_bytes()
    chunk = data[: data.index(b"\x1d") + 1]
    original = next(iter(pymarc.MARCReader(chunk, to_unicode=True, hide_utf8_warnings=True)))
    row = _row(record_format="marc21", record_data=chunk, copies=2)
    (record,) = marc_records(_selection(row), "marc21", OPTIONS)
    kept = [f.tag for f in original.fields if not is_stripped(f.tag, "marc21")]
    assert [f.tag for f in record.fields if f.tag != "952"] == kept
    assert record["245"]["a"] == original["245"]["a"]
    assert len(record.get_fields("952")) == 2
    (back,) = pymarc.MARCReader(record.as_marc(), to_unicode=True)
    assert back["245"]["a"] == original["245"]["a"]


# ---------------------------------------------------------------------------------------
# Call numbers


@pytest.mark.parametrize(
    ("category", "audience", "dewey", "authors", "title", "expected"),
    [
        ("fiction", "adults", "843", "Hugo, Victor", "Les Misérables", "R HUG"),
        ("fiction", "children", "", "Victor Hugo", "", "RJ HUG"),
        ("fiction", "teens", "", "Émile Zola", "", "RAD ZOL"),
        ("picture_books", "early", "", "Ponti, Claude", "", "A PON"),
        ("comics", "children", "741.5", "Goscinny, René ; Uderzo", "", "BD GOS"),
        ("tales", "children", "398.2", "Ésope", "", "C ESO"),
        ("reference", "adults", "030", "", "Le Petit Larousse", "REF 030 PET"),
        ("nonfiction_5xx", "children", "590", "Durand, Anne", "", "J 590 DUR"),
        ("nonfiction_5xx", "adults", "590/.1", "Durand, Anne", "", "590.1 DUR"),
        ("fiction", "adults", "892.7", "توفيق الحكيم", "", "R حكي"),
        ("fiction", "adults", "892.7", "محفوظ، نجيب", "", "R محف"),
        ("unclassified", "adults", "", "", "L'Étranger", "ETR"),
    ],
)
def test_call_numbers_follow_french_cotes(
    category: str, audience: str, dewey: str, authors: str, title: str, expected: str
) -> None:
    row = _row(category=category, audience=audience, dewey=dewey, authors=authors, title=title)
    assert call_number(row, OPTIONS) == expected


@pytest.mark.parametrize(
    "category",
    sorted({key.split(".")[0] for key in DEFAULT_CALL_NUMBERS} - {"nonfiction"}),
)
def test_call_numbers_read_back_as_their_category(category: str) -> None:
    """fundplanner's own reader takes each default cote back to the category it came from."""
    dewey = {"reference": "030", "tales": "398.2"}.get(category, "")
    cote = call_number(_row(category=category, audience="adults", dewey=dewey), OPTIONS)
    cell = classify.read_dewey_cell(classify.load_tables(), cote)
    assert cell.category == category


def test_call_number_templates_can_be_replaced() -> None:
    options = ItemOptions(call_numbers={"fiction": "{lang} R {author}"}, author_letters=4)
    assert call_number(_row(category="fiction"), options) == "FR R SAIN"
    assert call_number(_row(category="comics", dewey="741.5"), options) == "741.5 SAIN"


@pytest.mark.parametrize(
    ("authors", "title", "letters"),
    [("", "", ""), ("Le Clézio, J. M. G.", "", "LEC"), ("", "The Hobbit", "HOB")],
)
def test_author_letters(authors: str, title: str, letters: str) -> None:
    assert author_letters(authors, title) == letters


@pytest.mark.parametrize(
    ("cell", "number"), [("843/.914", "843.914"), ("J 590 DUR", "590"), ("R HUG", ""), ("", "")]
)
def test_dewey_number(cell: str, number: str) -> None:
    assert dewey_number(cell) == number


# ---------------------------------------------------------------------------------------
# Options and limits


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"branch": "ALRAM-MUNICIPAL"}, "1 to 10 characters"),
        ({"price": "usd"}, "'eur' or 'original'"),
        ({"call_numbers": {"fiction": "R {surname}"}}, "uses surname"),
        ({"default_call_number": "{dewey"}, "is not a template"),
    ],
)
def test_item_options_are_checked(options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        ItemOptions(**options)


def test_original_prices_and_no_barcodes_by_default() -> None:
    options = ItemOptions(price="original")
    (record,) = marc_records(_selection(_row(price=7.0, currency="JOD")), "marc21", options)
    assert _sub(record, "952", "g") == ["7.00"] and _sub(record, "952", "p") == []
    assert record["020"]["c"] == "7.00 JOD"


def _barcodes(records: list[pymarc.Record]) -> Iterator[str]:
    for record in records:
        yield from _sub(record, "952", "p")


def test_barcodes_are_generated_in_order_when_asked() -> None:
    options = ItemOptions(barcode_prefix="ALR-", barcode_start=41, barcode_digits=4)
    records = marc_records(_three(), "marc21", options)
    assert list(_barcodes(records)) == [f"ALR-{n:04d}" for n in range(41, 47)]


def test_a_record_too_long_for_iso2709_is_left_out_but_fits_in_marcxml(tmp_path: Path) -> None:
    selection = _selection(_row(copies=1200), _row(candidate_id=2, copies=1))
    result = write_marc(selection, tmp_path / "out.mrc", options=OPTIONS)
    (problem,) = result.problems
    assert (problem.kind, problem.control_number, problem.file) == (
        Kind.RECORD_TOO_LONG,
        "1",
        "out.mrc",
    )
    assert "Export as MARCXML" in problem.message
    assert (result.records, result.items) == (1, 1)
    assert [r["001"].data for r in _read_iso(tmp_path / "out.mrc")] == ["2"]
    xml = write_marc(selection, tmp_path / "out.xml", container="marcxml", options=OPTIONS)
    assert (xml.records, xml.items, xml.problems) == (2, 1201, ())


@pytest.mark.parametrize(
    ("options", "message"),
    [({"flavour": "usmarc"}, "'marc21' or 'unimarc'"), ({"container": "json"}, "'marcxml'")],
)
def test_write_marc_rejects_bad_arguments(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        write_marc(_three(), tmp_path / "x", **options)


@pytest.mark.parametrize("container", ["iso2709", "marcxml"])
def test_unwritable_marc_path_is_an_export_error(tmp_path: Path, container: Any) -> None:
    with pytest.raises(exporting.ExportError, match="cannot write the MARC file"):
        write_marc(_three(), tmp_path / "no-such-folder" / "out", container=container)


def test_registry_writes_marc(tmp_path: Path) -> None:
    result = exporting.export("unimarc", _three(), tmp_path / "u.mrc", options=OPTIONS)
    assert result.records == 3 and len(_read_iso(tmp_path / "u.mrc")) == 3


# ---------------------------------------------------------------------------------------
# fundplanner's own ingest reads the export back into the same cells


@pytest.mark.parametrize(
    ("flavour", "container"),
    [("marc21", "iso2709"), ("marc21", "marcxml"), ("unimarc", "iso2709"), ("unimarc", "marcxml")],
)
def test_own_ingest_reads_the_export_back(tmp_path: Path, flavour: Any, container: Any) -> None:
    selection = _three()
    path = tmp_path / ("out.xml" if container == "marcxml" else "out.mrc")
    write_marc(selection, path, flavour=flavour, container=container, options=OPTIONS)
    result = read_catalogue(path)
    assert result.problems == []
    back = result.titles
    for column in ("title", "isbn13", "language", "audience", "category", "dewey", "year"):
        assert back[column].tolist() == selection[column].tolist(), column
    assert back["record_id"].tolist() == ["1", "2", "3"]
