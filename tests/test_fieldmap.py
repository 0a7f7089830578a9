"""The declarative MARC field map: MarcRecord -> RawRow (MARC 21 and UNIMARC)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundplanner.errors import ReferenceDataError
from fundplanner.ingest.fieldmap import (
    WANTED_TAGS,
    extract,
    extract_batch,
    load_field_map,
    parse_linkage,
    split_language_codes,
)
from fundplanner.ingest.marcdata import DataField, MarcRecord
from fundplanner.ingest.marcxml import iter_marcxml
from fundplanner.model import RAW_KEYS

BOOK_LEADER = "00000nam a2200000 a 4500"
UNIMARC_LEADER = "00000nam0 2200000   450 "


def f008(lang: str = "fre", audience: str = " ", contents: str = "    ", form: str = " ") -> str:
    """A books 008: date 1 = 2019, 22 audience, 24-27 contents, 33 literary form, 35-37 language."""
    head = "200101s2019    fr " + "    "  # 00-17, then 18-21 illustrations
    return head + audience + " " + contents.ljust(4) + "    " + " " + form + " " + lang + " d"


F008_FRE = f008(audience="j", form="1")


def df(ind: str, *subfields: str) -> DataField:
    """``df("10", "a Title", "b Sub")``: indicators, then "code value" strings."""
    return (ind[0], ind[1], [(s[0], s[2:]) for s in subfields])


def marc21(leader: str = BOOK_LEADER, **fields: Any) -> MarcRecord:
    return MarcRecord(leader, 1, {tag.lstrip("f"): occ for tag, occ in fields.items()}, "marc21")


def unimarc(**fields: Any) -> MarcRecord:
    return MarcRecord(
        UNIMARC_LEADER, 1, {tag.lstrip("f"): occ for tag, occ in fields.items()}, "unimarc"
    )


def first_record(path: Path, number: int = 1) -> MarcRecord:
    records = [
        r for r in iter_marcxml(path.read_bytes(), file=path.name) if isinstance(r, MarcRecord)
    ]
    return records[number - 1]


# --------------------------------------------------------------------------- records built in code

CASES = [
    pytest.param(
        marc21(f001=["42"], f008=[F008_FRE], f245=[df("10", "a Le petit prince /", "c Saint-Ex.")]),
        {
            "record_id": "42",
            "title": "Le petit prince",
            "languages": ["fre"],
            "audience_code": "j",
            "literary_form": "1",
            "year": "2019",
            "record_type": "am",
        },
        id="marc21-basic-008",
    ),
    pytest.param(
        marc21(f245=[df("00", "c by nobody")]),
        {"title": None, "subtitle": None},
        id="no-title-is-absent",
    ),
    pytest.param(
        marc21(f008=[f008("|||")], f041=[df("0 ", "a arafre")]),
        {"languages": ["ara", "fre"]},
        id="packed-041-arafre-and-008-fill",
    ),
    pytest.param(
        marc21(f008=[f008("mul")], f041=[df("0 ", "a eng", "a fre")]),
        {"languages": ["eng", "fre"]},
        id="mul-dropped-when-specific-codes",
    ),
    pytest.param(
        marc21(f008=[f008("zxx")]),
        {"languages": ["zxx"]},
        id="zxx-kept-alone",
    ),
    pytest.param(
        marc21(f008=["200101s2019"]),
        {"languages": None, "audience_code": None, "literary_form": None, "year": "2019"},
        id="short-008",
    ),
    pytest.param(
        marc21(f008=[f008("   ")]),
        {"languages": None},
        id="blank-008-language",
    ),
    pytest.param(
        marc21(f041=[df("1 ", "a fre", "h eng")], f240=[df("10", "a Harry Potter and the stone.")]),
        {
            "languages": ["fre"],
            "original_languages": ["eng"],
            "uniform_title": "Harry Potter and the stone",
        },
        id="translation-240-041h",
    ),
    pytest.param(
        marc21(
            f264=[df(" 4", "c ©2014"), df(" 1", "a Paris :", "b Gallimard,", "c [2015]")],
            f260=[df("  ", "b Old,", "c 1990")],
        ),
        {"publisher": "Gallimard", "year": "2015"},
        id="264-ind2-1-beats-264-4-and-260",
    ),
    pytest.param(
        marc21(f264=[df(" 4", "c ©2014")], f260=[df("  ", "b Penguin,", "c c1991.")]),
        {"publisher": "Penguin", "year": "1991"},
        id="260-beats-264-copyright",
    ),
    pytest.param(
        marc21(f264=[df(" 4", "c ©2014")]),
        {"publisher": None, "year": "2014"},
        id="264-copyright-as-last-resort",
    ),
    pytest.param(
        marc21(f260=[df("  ", "c cop. 2003")], f008=["030101s2004"]),
        {"year": "2003"},
        id="year-cop-prefix",
    ),
    pytest.param(
        marc21(f260=[df("  ", "c ca. 1990]")]),
        {"year": "ca. 1990"},
        id="year-ca-kept-raw",
    ),
    pytest.param(
        marc21(f020=[df("  ", "a 2070612759", "q pbk.", "c 7,50 EUR"), df("  ", "z 1234567890")]),
        {"isbns": ["2070612759"], "price": "7,50 EUR"},
        id="020z-cancelled-isbn-left-out",
    ),
    pytest.param(
        marc21(f300=[df("  ", "a ٢٣٥ ص ;", "c 24 سم")]),
        {"extent": "٢٣٥ ص", "dimensions": "24 سم"},
        id="arabic-extent-kept-raw",
    ),
    pytest.param(
        marc21(f300=[df("  ", "a xiv, 340 p. ;", "c 26 cm.")]),
        {"extent": "xiv, 340 p.", "dimensions": "26 cm."},
        id="extent-keeps-abbreviation-dot",
    ),
    pytest.param(
        marc21(
            f100=[df("1 ", "a Smith, J.")],
            f700=[df("1 ", "a Ménard, Jean-François,"), df("1 ", "a Smith, J.")],
        ),
        {"authors": ["Smith, J.", "Ménard, Jean-François"]},
        id="authors-100-700-deduplicated",
    ),
    pytest.param(
        marc21(f260=[df("  ", "b [s.n.],")], f245=[df("00", "a [Untitled]")]),
        {"publisher": "s.n.", "title": "Untitled"},
        id="supplied-brackets-removed",
    ),
    pytest.param(
        marc21(leader="00000ngm a2200000 a 4500", f245=[df("00", "a A film")]),
        {"record_type": "gm", "title": "A film"},
        id="non-book-still-extracted",
    ),
    pytest.param(
        marc21(f082=[df("04", "a 823.914", "2 23")], f520=[df("  ", "a A summary.")]),
        {"dewey": "823.914", "summary": "A summary."},
        id="dewey-summary",
    ),
    pytest.param(
        marc21(f008=[f008(contents="6", form="|")]),
        {"contents": "6", "literary_form": None},
        id="comics-contents-and-fill-literary-form",
    ),
    pytest.param(
        marc21(
            f245=[df("10", "6 880-01", "a al-Ayyām /")],
            f880=[df("10", "6 245-01/(3/r", "a الأيام /")],
        ),
        {"title": "الأيام", "title_latin": "al-Ayyām"},
        id="880-pair-marc8-script-code",
    ),
    pytest.param(
        marc21(
            f245=[df("10", "6 880-01", "a al-Ayyām /")],
            f880=[df("10", "6 245-01", "a الأيام /")],
        ),
        {"title": "الأيام", "title_latin": "al-Ayyām"},
        id="880-pair-detected-from-text",
    ),
    pytest.param(
        marc21(
            f245=[df("10", "6 880", "a Shalom")],
            f880=[df("10", "6 245-00/Arab/r", "a سلام")],
        ),
        {"title": "سلام", "title_latin": "Shalom"},
        id="880-missing-occurrence-number",
    ),
    pytest.param(
        marc21(
            f245=[df("10", "6 880-01", "a Voina i mir")],
            f880=[df("10", "6 245-01/(N", "a Война и мир")],
        ),
        {"title": "Voina i mir", "title_latin": None},
        id="880-cyrillic-not-preferred",
    ),
    pytest.param(
        marc21(f880=[df("1 ", "6 100-00/(3/r", "a حسين، طه،")], f245=[df("10", "a al-Ayyām")]),
        {"authors": ["حسين، طه"], "title": "al-Ayyām", "title_latin": None},
        id="unpaired-880-author-when-100-absent",
    ),
    pytest.param(
        unimarc(
            f001=["U1"],
            f010=[df("  ", "a 978-2-07-054127-0", "b br.", "d 7,50 EUR", "z 2-07-000000-0")],
            f100=[df("  ", "a 20200101d2019    m  y0frey50      ba")],
            f101=[df("1 ", "a fre", "c eng")],
            f105=[df("  ", "a a   t   000ay")],
            f200=[df("1 ", "a Le Lion", "e roman", "f C. S. Lewis")],
            f210=[df("  ", "a Paris", "c Gallimard jeunesse", "d DL 2019")],
            f215=[df("  ", "a 237 p.", "c ill.", "d 18 cm")],
            f676=[df("  ", "a 823.912", "v 23")],
            f700=[df(" 1", "a Lewis", "b C. S.")],
            f702=[df(" 1", "a Faguet", "b Anne-Marie")],
        ),
        {
            "record_id": "U1",
            "title": "Le Lion",
            "subtitle": "roman",
            "authors": ["Lewis, C. S.", "Faguet, Anne-Marie"],
            "publisher": "Gallimard jeunesse",
            "year": "2019",
            "isbns": ["978-2-07-054127-0"],
            "price": "7,50 EUR",
            "languages": ["fre"],
            "original_languages": ["eng"],
            "audience_code": "m",
            "literary_form": "a",
            "contents": "t",
            "dewey": "823.912",
            "extent": "237 p.",
            "dimensions": "18 cm",
            "flavour": "unimarc",
        },
        id="unimarc-full-record",
    ),
    pytest.param(
        unimarc(
            f200=[df("1 ", "a Sans auteur", "f Jean Dupont")],
            f100=[df("  ", "a 20200101d2019    ub y0frey50")],
        ),
        {"authors": ["Jean Dupont"], "audience_code": "b", "year": "2019"},
        id="unimarc-200f-fallback-audience-skips-u",
    ),
    pytest.param(
        unimarc(f200=[df("1 ", "d Parallel title")], f101=[df("0 ", "a fre", "a ara")]),
        {"title": "Parallel title", "languages": ["fre", "ara"]},
        id="unimarc-200d-fallback-101-repeated",
    ),
    pytest.param(
        unimarc(f200=[df("1 ", "a Titre")], f214=[df(" 4", "d 2001")], f100=[df("  ", "a 2020")]),
        {"year": "2001"},
        id="unimarc-214-and-short-100",
    ),
    pytest.param(
        marc21(f050=[df("00", "a PJ7846.A46", "b A6 2006")], f090=[df("  ", "a QA76")]),
        {"lc_class": "PJ7846.A46"},
        id="marc21-050-lc-class-before-090",
    ),
    pytest.param(
        marc21(f090=[df("  ", "a BP161.2 .A5")]),
        {"lc_class": "BP161.2 .A5"},
        id="marc21-090-local-lc-class",
    ),
    pytest.param(
        marc21(
            f245=[df("10", "a \u200fالإسلام والأوضاع الاقتصادية /\u200f", "b \u200fدراسة :\u202a")],
            f264=[df(" 1", "b \u202bدار الساقي،\u202c")],
            f100=[df("1 ", "a \u2067كتاب \u200fPython\u200f سهل\u2069")],
        ),
        {
            "title": "الإسلام والأوضاع الاقتصادية",
            "subtitle": "دراسة",
            "publisher": "دار الساقي",
            "authors": ["كتاب \u200fPython\u200f سهل"],  # marks inside the text stay
        },
        id="bidi-marks-at-the-edges-hide-no-isbd-punctuation",
    ),
    pytest.param(
        marc21(f092=[df("  ", "a 843.914")], f099=[df("  ", "a FIC")]),
        {"dewey": "843.914"},
        id="marc21-092-local-dewey-099-not-read",
    ),
    pytest.param(
        marc21(f082=[df("04", "a 892.73")], f092=[df("  ", "a 843")]),
        {"dewey": "892.73"},
        id="marc21-082-before-092",
    ),
    pytest.param(
        unimarc(f680=[df("  ", "a PQ2603.E362", "b L4")]),
        {"lc_class": "PQ2603.E362"},
        id="unimarc-680-lc-class",
    ),
]


@pytest.mark.parametrize(("record", "expected"), CASES)
def test_extract_cases(record: MarcRecord, expected: dict[str, Any]) -> None:
    row = extract(record)
    for key, value in expected.items():
        assert row.get(key) == value, key


def test_f008_helper_positions() -> None:
    value = f008("ara", audience="j", contents="6", form="1")
    assert (len(value), value[22], value[24:28], value[33], value[35:38]) == (
        40,
        "j",
        "6   ",
        "1",
        "ara",
    )


# --------------------------------------------------------------------------- fixture files

FIXTURE_CASES = [
    (
        "fieldmap_880_arabic_pair.xml",
        1,
        {
            "title": "الأيام",
            "subtitle": "سيرة ذاتية",
            "title_latin": "al-Ayyām",
            "authors": ["حسين، طه"],
            "publisher": "دار الآداب",
            "year": "2016",
            "extent": "٢٣٥ ص",
            "languages": ["ara"],
            "price": "$8.00",
        },
    ),
    (
        "fieldmap_packed_041_fill_008.xml",
        1,
        {"languages": ["ara", "fre"], "original_languages": ["eng"], "title": "Lexique bilingue"},
    ),
    ("fieldmap_264_vs_260.xml", 1, {"publisher": "Gallimard", "year": "2015"}),
    ("fieldmap_264_vs_260.xml", 2, {"publisher": "Penguin", "year": "1991"}),
    ("fieldmap_264_vs_260.xml", 3, {"publisher": None, "year": "2003"}),
    (
        "marcxml_unimarc_slim.xml",
        1,
        {
            "flavour": "unimarc",
            "title": "Le Lion, la sorcière blanche et l'armoire magique",
            "uniform_title": "The lion, the witch and the wardrobe",
            "authors": ["Lewis, C. S.", "Faguet, Anne-Marie"],
            "original_languages": ["eng"],
            "dewey": "823.912",
            "year": "2019",
            "audience_code": "m",
        },
    ),
]


@pytest.mark.parametrize(("name", "number", "expected"), FIXTURE_CASES)
def test_extract_fixture_files(
    data_dir: Path, name: str, number: int, expected: dict[str, Any]
) -> None:
    row = extract(first_record(data_dir / name, number))
    for key, value in expected.items():
        assert row.get(key) == value, key


# --------------------------------------------------------------------------- the map files


def test_wanted_tags_cover_the_maps() -> None:
    assert {"245", "880", "008", "041", "264"} <= WANTED_TAGS["marc21"]
    assert {"200", "101", "100", "010", "215"} <= WANTED_TAGS["unimarc"]
    assert "020" not in WANTED_TAGS["unimarc"]  # ISBN is 010 in UNIMARC


@pytest.mark.parametrize(
    ("fields_table", "fragment"),
    [
        ('title = "24x"', "24x"),
        ('title = ["245a", "008[37-35]"]', "008[37-35]"),
        ('title = "001a"', "001a"),
        ('title = "245"', "245"),
        ('title = "264|1|b"', "264|1|b"),
        ('title = { specs = ["245a"], clean = "shout" }', "shout"),
        ('colour = "245a"', "colour"),
        ('title = { specs = "245a", frobnicate = true }', "frobnicate"),
    ],
)
def test_bad_map_raises_naming_file_and_fragment(
    tmp_path: Path, fields_table: str, fragment: str
) -> None:
    good = Path(load_field_map("marc21").path).read_text(encoding="utf-8")
    head = good.split("[fields]")[0]
    bad = tmp_path / "bad_map.toml"
    bad.write_text(head + "[fields]\n" + fields_table + "\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError) as caught:
        load_field_map("marc21", override=bad)
    assert "bad_map.toml" in str(caught.value)
    assert fragment in str(caught.value)


def test_override_map_is_used(tmp_path: Path) -> None:
    good = Path(load_field_map("marc21").path).read_text(encoding="utf-8")
    custom = tmp_path / "custom.toml"
    custom.write_text(
        good.split("[fields]")[0] + '[fields]\ntitle = ["246a", "245a"]\n', encoding="utf-8"
    )
    field_map = load_field_map("marc21", override=custom)
    record = marc21(f245=[df("10", "a Proper")], f246=[df("1 ", "a Variant")])
    assert extract(record, field_map=field_map) == {
        "record_no": 1,
        "flavour": "marc21",
        "title": "Variant",
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("245-01/(3/r", ("245", "01", "(3")),
        ("880-01", ("880", "01", "")),
        ("100-02/Arab/r", ("100", "02", "Arab")),
        ("245-00", ("245", "00", "")),
        ("245", ("245", "", "")),
        ("", ("", "", "")),
    ],
)
def test_parse_linkage(value: str, expected: tuple[str, str, str]) -> None:
    assert parse_linkage(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("fre", ["fre"]),
        ("arafre", ["ara", "fre"]),
        ("engfreara", ["eng", "fre", "ara"]),
        ("fre eng", ["fre", "eng"]),
        ("fre;eng", ["fre", "eng"]),
        ("fren", ["fren"]),
        ("", []),
    ],
)
def test_split_language_codes(value: str, expected: list[str]) -> None:
    assert split_language_codes(value) == expected


# --------------------------------------------------------------------------- properties

_text = st.text(max_size=12)
_subfields = st.lists(st.tuples(st.sampled_from("abcdefh6z19"), _text), max_size=4)
_indicator = st.sampled_from([" ", "0", "1", "4", "#", "|"])
_datafield = st.tuples(_indicator, _indicator, _subfields)
_tags = st.sampled_from([*sorted(WANTED_TAGS["marc21"] | WANTED_TAGS["unimarc"]), "999", "LDR"])
_occurrence = st.one_of(_text, _datafield)
_fields = st.dictionaries(_tags, st.lists(_occurrence, max_size=3), max_size=12)


@given(
    leader=st.text(max_size=30),
    fields=_fields,
    flavour=st.sampled_from(["marc21", "unimarc", "other"]),
)
def test_extract_never_raises_and_keys_are_raw_keys(
    leader: str, fields: dict[str, list[Any]], flavour: str
) -> None:
    row = extract(MarcRecord(leader, 7, fields, flavour))
    assert set(row) <= set(RAW_KEYS)
    assert row["record_no"] == 7
    for key in ("authors", "isbns", "languages", "original_languages"):
        assert key not in row or (isinstance(row[key], list) and all(row[key]))
    for key, value in row.items():
        if key not in ("record_no", "authors", "isbns", "languages", "original_languages"):
            assert isinstance(value, str) and value, key


def test_a_batch_of_both_flavours_gives_each_record_its_own_map(data_dir: Path) -> None:
    """Rules run batch-wise, one map per flavour: MARC21 and UNIMARC records interleaved in
    one batch come out as each would alone, in their order."""
    from fundplanner.ingest.iso2709 import iter_iso2709

    def records(*names: str) -> list[MarcRecord]:
        found = [item for name in names for item in iter_iso2709(fixture(name), file=name)]
        return [item for item in found if isinstance(item, MarcRecord)]

    def fixture(name: str) -> bytes:
        return (data_dir / name).read_bytes()

    marc21 = records(
        "export_marc21_from_koha.mrc",
        "iso2709_marc8_arabic_880.mrc",  # 880 pairs: the link index
        "iso2709_leader_length_in_characters.mrc",
    )
    unimarc = records(
        "export_unimarc_from_pmb.mrc", "iso2709_unimarc_utf8_blank_leader09_arabic_200.mrc"
    )
    assert {r.flavour for r in marc21} == {"marc21"} and {r.flavour for r in unimarc} == {"unimarc"}
    mixed = [record for pair in zip(marc21, unimarc, strict=False) for record in pair]
    mixed += marc21[len(unimarc) :] + unimarc[len(marc21) :]
    batch = extract_batch(mixed)
    assert [row["flavour"] for row in batch] == [record.flavour for record in mixed]
    assert batch == [extract_batch([record])[0] for record in mixed]
    assert all(row.get("title") for row in batch)
