"""Audience and category classification (fundplanner.classify): one table of cases per rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundplanner.classify import (
    AUDIENCES,
    CATEGORIES,
    audience_for_age,
    classify,
    dewey_digits,
    load_tables,
    normalise_words,
    parse_age,
    read_dewey_cell,
    read_lcc,
)
from fundplanner.errors import ReferenceDataError
from fundplanner.reference import reference_path

BLANK = {"audience_code": None, "literary_form": None, "contents": None, "dewey": None}


def record(flavour: str = "table", **fields: Any) -> dict[str, Any]:
    return {"flavour": flavour, **BLANK, **fields}


# --- audience from the record's code -----------------------------------------------------------


@pytest.mark.parametrize(
    ("flavour", "code", "audience"),
    [
        ("marc21", "a", "early"),  # preschool
        ("marc21", "b", "children"),  # primary
        ("marc21", "c", "children"),  # pre-adolescent 9-13: midpoint 11
        ("marc21", "d", "teens"),  # adolescent
        ("marc21", "j", "children"),  # juvenile
        ("marc21", "e", "adults"),
        ("marc21", "f", "adults"),  # specialized
        ("marc21", "g", "adults"),  # general
        ("marc21", "A", "early"),  # case-insensitive
        ("unimarc", "a", "children"),  # juvenile, general (not preschool as in MARC21)
        ("unimarc", "b", "early"),  # pre-primary 0-5
        ("unimarc", "c", "children"),  # primary 5-10
        ("unimarc", "d", "children"),  # children 9-14: midpoint 11.5
        ("unimarc", "e", "teens"),  # young adult 14-20
        ("unimarc", "k", "adults"),
        ("unimarc", "m", "adults"),
        ("unimarc", "ue ", "teens"),  # 100 $a/17-19: u unknown, then e
        ("unimarcxml", "b", "early"),
    ],
)
def test_audience_code(flavour: str, code: str, audience: str) -> None:
    result = classify(**record(flavour, audience_code=code, dewey="590"))
    assert (result.audience, result.audience_method) == (audience, "code")


@pytest.mark.parametrize(
    ("flavour", "code"),
    [("marc21", " "), ("marc21", "#"), ("marc21", "|"), ("marc21", "x"), ("marc21", ""),
     ("unimarc", "u"), ("unimarc", "   "), ("marc21", None)],
)  # fmt: skip
def test_blank_or_unknown_code_defaults_to_adults(flavour: str, code: str | None) -> None:
    result = classify(**record(flavour, audience_code=code, dewey="590"))
    assert (result.audience, result.audience_method) == ("adults", "default")


# --- audience from free text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "audience", "method"),
    [
        ("Jeunesse", "children", "text"),
        ("ENFANTS", "children", "text"),
        ("Petite enfance", "early", "text"),
        ("Tout-petits", "early", "text"),
        ("Ados", "teens", "text"),
        ("Young adult", "teens", "text"),
        ("Kids", "children", "text"),
        ("Adultes", "adults", "text"),
        ("أطفال", "children", "text"),
        ("للأطفال", "children", "text"),  # article + preposition stripped
        ("يافعين", "teens", "text"),
        ("ناشئة", "teens", "text"),
        ("كبار", "adults", "text"),
        ("0-3 ans", "early", "age"),
        ("8-12 ans", "children", "age"),
        ("12-15 ans", "teens", "age"),
        ("3+", "early", "age"),
        ("14+", "teens", "age"),
        ("من 6 سنوات", "children", "age"),
        ("٨-١٢ سنة", "children", "age"),  # Arabic-Indic digits
        ("dès 18 mois", "early", "age"),
        ("Jeunesse 12-15 ans", "teens", "age"),  # an age is more precise than a word
    ],
)
def test_audience_text(text: str, audience: str, method: str) -> None:
    result = classify(**record(audience_text=text, dewey="590"))
    assert (result.audience, result.audience_method) == (audience, method)


def test_code_beats_text() -> None:
    result = classify(**record("marc21", audience_code="e", audience_text="Jeunesse", dewey="590"))
    assert (result.audience, result.audience_method) == ("adults", "code")


def test_category_text_words_give_an_audience_when_audience_text_is_absent() -> None:
    result = classify(**record(category_text="Roman jeunesse"))
    assert (result.audience, result.category) == ("children", "fiction")


@pytest.mark.parametrize(
    ("text", "age"),
    [("8-12 ans", 10.0), ("3+", 3.0), ("من 6 سنوات", 6.0), ("0-3 ans", 1.5), ("Ages 4-8", 6.0),
     ("12 ans et plus", 12.0), ("à partir de 10 ans", 10.0), ("0-36 mois", 1.5), ("Jeunesse", None),
     ("9 à 12 ans", 10.5), ("15 years and up", 15.0), ("", None)],
)  # fmt: skip
def test_parse_age(text: str, age: float | None) -> None:
    assert parse_age(text) == age


@pytest.mark.parametrize(
    ("age", "audience"),
    [(0, "early"), (5.5, "early"), (6, "children"), (11.5, "children"), (12, "teens"),
     (17.9, "teens"), (18, "adults"), (70, "adults")],
)  # fmt: skip
def test_age_bands(age: float, audience: str) -> None:
    assert audience_for_age(age) == audience


# --- audience from the category and the cote ---------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "audience", "method"),
    [
        ({"category_text": "Album"}, "early", "category"),
        ({"category_text": "Première lecture"}, "children", "text"),
        ({"dewey": "E ALB"}, "early", "category"),
        ({"dewey": "J 590"}, "children", "cote"),
        ({"dewey": "J843 DUR"}, "children", "cote"),
        ({"dewey": "RJ MUR"}, "children", "cote"),
        ({"dewey": "JR DUR"}, "children", "cote"),
        ({"dewey": "RAD SMI"}, "teens", "cote"),
        ({"dewey": "R DUR"}, "adults", "default"),
    ],
)
def test_audience_from_category_or_cote(fields: dict[str, str], audience: str, method: str) -> None:
    result = classify(**record(**fields))
    assert (result.audience, result.audience_method) == (audience, method)


# --- category from free text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Album", "picture_books"),
        ("ALBUMS", "picture_books"),
        ("BD", "comics"),
        ("Bande dessinée", "comics"),
        ("bandes dessinees", "comics"),
        ("Manga", "comics"),
        ("Comics", "comics"),
        ("Graphic novel", "comics"),
        ("Roman graphique", "comics"),  # longest term wins over "roman"
        ("Contes", "tales"),
        ("Fairy tales", "tales"),
        ("حكايات", "tales"),
        ("قصص شعبية", "tales"),  # over "قصص" (stories)
        ("Roman", "fiction"),
        ("Roman policier", "fiction"),
        ("Novel", "fiction"),
        ("رواية", "fiction"),
        ("الروايات", "fiction"),
        ("Première lecture", "first_readers"),
        ("Early reader", "first_readers"),
        ("Dictionnaire", "reference"),
        ("Dictionary", "reference"),
        ("قاموس", "reference"),
        ("معجم", "reference"),
        ("Encyclopédie", "reference"),
        ("Atlas", "reference"),
        ("Poésie", "poetry"),
        ("شعر", "poetry"),
        ("Théâtre", "drama"),
        ("مسرح", "drama"),
        ("Biographie", "biography"),
        ("سيرة ذاتية", "biography"),
        ("قصص مصورة", "comics"),
        ("Bilingue", "bilingual"),
        ("R", "fiction"),  # a one-word category cell is also read as a cote
        ("SF", "fiction"),
        ("C", "tales"),
    ],
)
def test_category_text(text: str, category: str) -> None:
    result = classify(**record("marc21", audience_code="e", category_text=text))
    assert (result.category, result.category_method) == (category, "text")


def test_documentaire_takes_the_dewey_class() -> None:
    result = classify(**record(category_text="Documentaire", dewey="590"))
    assert (result.category, result.category_method) == ("nonfiction_5xx", "text")


def test_documentaire_without_dewey_falls_through() -> None:
    result = classify(**record(category_text="Documentaire"))
    assert (result.category, result.category_method) == ("unclassified", "default")


def test_text_beats_dewey() -> None:
    result = classify(**record(category_text="BD", dewey="843"))
    assert result.category == "comics"


# --- category from coded data ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flavour", "contents", "category"),
    [
        ("marc21", "6   ", "comics"),
        ("marc21", "b6  ", "comics"),
        ("marc21", "d   ", "reference"),
        ("marc21", "e   ", "reference"),
        ("marc21", "de6 ", "comics"),  # comics first (row order)
        ("unimarc", "t   ", "comics"),
        ("unimarc", "e   ", "reference"),
        ("unimarc", "f   ", "reference"),
        ("unimarc", "d   ", None),  # UNIMARC d is "abstract", not a dictionary
        ("marc21", "t   ", None),  # t means technical reports in MARC21, not comics
    ],
)
def test_contents_codes(flavour: str, contents: str, category: str | None) -> None:
    result = classify(**record(flavour, audience_code=None, contents=contents, dewey="300"))
    expected = (category, "code") if category else ("nonfiction_3xx", "dewey")
    assert (result.category, result.category_method) == expected


@pytest.mark.parametrize(
    ("flavour", "form", "category"),
    [
        ("marc21", "1", "fiction"),
        ("marc21", "f", "fiction"),
        ("marc21", "j", "fiction"),
        ("marc21", "d", "drama"),
        ("marc21", "p", "poetry"),
        ("marc21", "c", "comics"),  # obsolete "comic strips"
        ("unimarc", "a", "fiction"),
        ("unimarc", "b", "drama"),
        ("unimarc", "g", "poetry"),
        ("unimarc", "f", "fiction"),
    ],
)
def test_literary_form(flavour: str, form: str, category: str) -> None:
    result = classify(**record(flavour, audience_code="e", literary_form=form))
    assert (result.category, result.category_method) == (category, "literary_form")


@pytest.mark.parametrize(
    ("flavour", "form"), [("marc21", "0"), ("marc21", "e"), ("marc21", "u"), ("unimarc", "y")]
)
def test_non_literary_form_without_dewey_is_unclassified(flavour: str, form: str) -> None:
    result = classify(**record(flavour, audience_code="e", literary_form=form))
    assert (result.category, result.category_method) == ("unclassified", "default")


def test_dewey_beats_literary_form() -> None:
    result = classify(**record("marc21", audience_code="e", literary_form="1", dewey="398.2"))
    assert (result.category, result.category_method) == ("tales", "dewey")


# --- category and audience from the Library of Congress class ---------------------------------


@pytest.mark.parametrize(
    ("call_number", "category", "audience"),
    [
        ("QA76.73.P98 L88 2011", "nonfiction_0xx", None),  # a range carved out of QA
        ("QB43.3", "nonfiction_5xx", None),  # QB has no row: Q* covers it
        ("BP161.2 .A5", "nonfiction_2xx", None),  # Islam
        ("BF 721", "nonfiction_1xx", None),  # one space before the number
        ("PJ7846.A46 A6 2006", "fiction", None),  # Naguib Mahfouz: Arabic literature
        ("PJ6106 .W7", "language_learning", None),  # Arabic grammar
        ("PJ4501", None, None),  # Hebrew: PJ's own row says nothing, no fallback to P
        ("PG3476.B78", None, None),  # Slavic languages and literatures mixed
        ("PQ2603.E362", "fiction", None),
        ("PN6727.S3", "comics", None),
        ("PN1995.9", "nonfiction_7xx", None),  # motion pictures
        ("PZ7.R79835 Har 1998", "fiction", "children"),  # juvenile belles lettres
        ("PZ3.H", "fiction", None),  # PZ1-4: general fiction
        ("G1019 .T5", "reference", None),  # an atlas
        ("G70", "nonfiction_9xx", None),
        ("GR350", "tales", None),  # folklore
        ("E184.A1", "nonfiction_9xx", None),
        ("KBP144", "nonfiction_3xx", None),  # three letters under K*
        ("qa76.9", "nonfiction_0xx", None),  # written in lower case
        ("FIC 813", None, None),  # F has no subclasses: a local call number, not LC
        ("341.2", None, None),  # a Dewey number in 090
        ("IR123", None, None),  # no class starts with I
        ("PZ", None, None),  # no class number
        ("", None, None),
    ],
)
def test_lc_class(call_number: str, category: str | None, audience: str | None) -> None:
    hit = read_lcc(load_tables(), call_number)
    said = (None, None) if hit is None else (hit.category, hit.audience)
    assert said == (category, audience)


def test_lc_class_gives_the_category_when_nothing_before_it_does() -> None:
    result = classify(**record("marc21", literary_form="0", lc_class="QA76.73.P98"))
    assert (result.category, result.category_method) == ("nonfiction_0xx", "lcc")
    assert (result.audience, result.audience_method) == ("adults", "default")


@pytest.mark.parametrize(
    ("fields", "category", "method"),
    [
        ({"dewey": "843", "lc_class": "QA76"}, "fiction", "dewey"),  # Dewey first
        ({"literary_form": "p", "lc_class": "PJ7846"}, "poetry", "literary_form"),  # form first
        ({"title": "Dictionnaire arabe-français", "lc_class": "PJ6640"}, "reference", "title"),
        ({"contents": "6", "lc_class": "PN6727"}, "comics", "code"),
    ],
)
def test_lc_class_comes_after_dewey_form_title_and_codes(
    fields: dict[str, str], category: str, method: str
) -> None:
    result = classify(**record("marc21", **fields))
    assert (result.category, result.category_method) == (category, method)


def test_lc_class_gives_an_audience_after_the_record_code() -> None:
    juvenile = classify(**record("marc21", literary_form="1", lc_class="PZ7.R798"))
    assert (juvenile.audience, juvenile.audience_method) == ("children", "lcc")
    coded = classify(**record("marc21", audience_code="e", literary_form="1", lc_class="PZ7"))
    assert (coded.audience, coded.audience_method) == ("adults", "code")


def test_a_project_lcc_table_replaces_the_packaged_one(tmp_path: Path) -> None:
    lcc = tmp_path / "lcc.csv"
    lcc.write_text(
        "class,category,audience,source\nB*,nonfiction_2xx,,p\nPZ5-90,manga,teens,p\n",
        encoding="utf-8",
    )
    tables = load_tables(lcc_categories=lcc)
    assert "manga" in tables.categories
    assert classify(**record(lc_class="BF721", tables=tables)).category == "nonfiction_2xx"
    manga = classify(**record(lc_class="PZ7.7", tables=tables))
    assert (manga.category, manga.audience) == ("manga", "teens")
    assert classify(**record(lc_class="QA76", tables=tables)).category == "unclassified"


# --- category from the Dewey / cote cell -------------------------------------------------------


@pytest.mark.parametrize(
    ("dewey", "category", "method"),
    [
        ("843.914", "fiction", "dewey"),
        ("843/.914", "fiction", "dewey"),
        ("823.92", "fiction", "dewey"),
        ("892.73", "fiction", "dewey"),
        ("892.7 3", "fiction", "dewey"),
        ("892.71", "poetry", "dewey"),
        ("892.72", "drama", "dewey"),
        ("841", "poetry", "dewey"),
        ("811.54", "poetry", "dewey"),
        ("822.33", "drama", "dewey"),
        ("842", "drama", "dewey"),
        ("808.81", "poetry", "dewey"),
        ("809", "nonfiction_8xx", "dewey"),
        ("741.5944 GOS", "comics", "dewey"),
        ("741.5", "comics", "dewey"),
        ("741.6", "nonfiction_7xx", "dewey"),
        ("398.2094", "tales", "dewey"),
        ("398.9", "nonfiction_3xx", "dewey"),
        ("420", "language_learning", "dewey"),
        ("440.7", "language_learning", "dewey"),
        ("492.7", "language_learning", "dewey"),
        ("443", "reference", "dewey"),
        ("423.1", "reference", "dewey"),
        ("030", "reference", "dewey"),
        ("034.1", "reference", "dewey"),
        ("912.44", "reference", "dewey"),
        ("920", "biography", "dewey"),
        ("923.146", "biography", "dewey"),
        ("929.2", "nonfiction_9xx", "dewey"),
        ("944.081", "nonfiction_9xx", "dewey"),
        ("005.13/3", "nonfiction_0xx", "dewey"),
        ("616.95/1", "nonfiction_6xx", "dewey"),
        ("DEW 332", "nonfiction_3xx", "dewey"),
        ("٥٩٠", "nonfiction_5xx", "dewey"),
        ("J 590", "nonfiction_5xx", "dewey"),
        ("R DUR", "fiction", "cote"),
        ("RP CHR", "fiction", "cote"),
        ("SF ASI", "fiction", "cote"),
        ("BD GOS", "comics", "cote"),
        ("A ALB", "picture_books", "cote"),
        ("C PER", "tales", "cote"),
        ("P HUG", "poetry", "cote"),
        ("T MOL", "drama", "cote"),
        ("ER DUP", "first_readers", "cote"),
        ("PL DUP", "first_readers", "cote"),
        ("[E]", "picture_books", "cote"),
        ("E ALB", "picture_books", "cote"),
        ("FIC", "fiction", "cote"),
        ("[Fic]", "fiction", "cote"),
        ("B", "biography", "cote"),
        ("92 NAP", "biography", "cote"),
        ("DOC 590", "nonfiction_5xx", "cote"),
        ("Roman policier", "fiction", "cote"),
        ("2004", None, None),  # a year is not a Dewey number
        ("XYZ", None, None),
    ],
)
def test_dewey_cell(dewey: str, category: str | None, method: str | None) -> None:
    result = classify(**record("marc21", audience_code="e", dewey=dewey))
    expected = (category, method) if category else ("unclassified", "default")
    assert (result.category, result.category_method) == expected


def test_arabic_dictionary_dewey() -> None:
    result = classify(**record("marc21", audience_code="e", dewey="492.73"))
    assert result.category == "reference"  # 4x3 dictionaries beat 4xx language learning


@pytest.mark.parametrize(
    ("cell", "digits"),
    [("843.914", "843914"), ("843/.914", "843914"), ("892.7 3", "89273"), ("J 843", "843"),
     ("741.5944 GOS", "7415944"), ("[E]", None), ("R DUR", None), ("1999", None),
     ("٨٩٢٫٧", "892")],
)  # fmt: skip
def test_dewey_digits(cell: str, digits: str | None) -> None:
    assert dewey_digits(cell) == digits


# --- picture books, bilingual, default ---------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "category", "method"),
    [
        ({"audience_code": "a", "literary_form": "1"}, "picture_books", "audience"),
        ({"audience_code": "a"}, "picture_books", "audience"),  # preschool, nothing else
        ({"audience_code": "a", "dewey": "843"}, "picture_books", "audience"),
        ({"audience_code": "a", "dewey": "590"}, "nonfiction_5xx", "dewey"),  # documentary
        ({"audience_code": "a", "dewey": "398.2"}, "tales", "dewey"),
        ({"audience_code": "b", "literary_form": "1"}, "fiction", "literary_form"),
        ({"audience_code": "e"}, "unclassified", "default"),
    ],
)
def test_picture_book_rule(fields: dict[str, str], category: str, method: str) -> None:
    result = classify(**record("marc21", **fields))
    assert (result.category, result.category_method) == (category, method)


@pytest.mark.parametrize(
    ("fields", "languages", "category"),
    [
        ({"audience_code": "a", "literary_form": "1"}, ["ara", "fre"], "bilingual"),
        ({"audience_code": "j", "dewey": "843"}, ["eng", "ara"], "bilingual"),
        ({"audience_code": "j", "dewey": "590"}, ["fra", "ara"], "bilingual"),  # 639-2/T alias
        ({"audience_code": "j", "dewey": "843"}, ["fre", "fre"], "fiction"),  # one language
        ({"audience_code": "j", "dewey": "843"}, ["fre", "spa"], "fiction"),  # one project language
        ({"audience_code": "e", "dewey": "843"}, ["ara", "fre"], "fiction"),  # adults: no rule
        ({"audience_code": "j", "dewey": "443"}, ["ara", "fre"], "reference"),  # dictionary stays
        ({"audience_code": "j", "dewey": "440"}, ["ara", "fre"], "language_learning"),
        ({"audience_code": "j", "category_text": "Album"}, ["ara", "fre", "eng"], "bilingual"),
    ],
)
def test_bilingual_rule(fields: dict[str, str], languages: list[str], category: str) -> None:
    result = classify(**record("marc21", languages=languages, **fields))
    assert result.category == category


@pytest.mark.parametrize(
    ("title", "category"),
    [("Dictionnaire français-arabe", "reference"), ("قاموس المورد", "reference"),
     ("Atlas du monde", "reference"), ("Le Petit Prince", "unclassified")],
)  # fmt: skip
def test_title_reference_words(title: str, category: str) -> None:
    result = classify(**record("marc21", audience_code="e", title=title))
    assert result.category == category


def test_title_never_beats_literary_form() -> None:
    result = classify(
        **record("marc21", audience_code="e", literary_form="1", title="Le Dictionnaire du diable")
    )
    assert result.category == "fiction"


# --- text normalisation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [("Les Contes", ("les", "conte")), ("Bandes dessinées", ("bande", "dessinee")),
     ("الأطفال", ("اطفال",)), ("للأطفال", ("اطفال",)), ("رِوَايَة", ("روايه",)),
     ("إلى", ("الي",)), ("Œuvres", ("oeuvre",))],
)  # fmt: skip
def test_normalise_words(text: str, words: tuple[str, ...]) -> None:
    assert normalise_words(text) == words


# --- tables ------------------------------------------------------------------------------------


def test_packaged_tables_use_exactly_the_declared_categories() -> None:
    tables = load_tables()
    assert tables.categories == CATEGORIES
    used = {hit.category for hit in tables.dewey.values()}
    used |= {term.category for terms in tables.text_terms.values() for term in terms}
    assert used - {"nonfiction", None} <= set(CATEGORIES)


@pytest.mark.parametrize(
    "name", ["audience_codes.csv", "dewey_categories.csv", "category_terms.csv"]
)
def test_every_row_names_its_source(name: str) -> None:
    lines = reference_path(name).read_text(encoding="utf-8").splitlines()
    data = [line for line in lines if line.strip() and not line.startswith("#")][1:]
    assert data and all(line.rsplit(",", 1)[-1].strip() for line in data)


def test_project_terms_table_overrides_the_packaged_one(tmp_path: Path) -> None:
    terms = tmp_path / "terms.csv"
    terms.write_text(
        "term,category,audience,where,source\n"
        "manga,manga,teens,text cote,project choice\n"
        "roman,fiction,,text,project\n",
        encoding="utf-8",
    )
    tables = load_tables(category_terms=terms)
    assert "manga" in tables.categories and tables.categories[: len(CATEGORIES)] == CATEGORIES
    result = classify(**record(category_text="Manga", tables=tables))
    assert (result.audience, result.category) == ("teens", "manga")
    # the packaged "BD" term is gone: the project's table replaces it
    assert classify(**record(category_text="BD", tables=tables)).category == "unclassified"
    assert load_tables(category_terms=terms) is tables  # cached


def test_project_audience_codes_override(tmp_path: Path) -> None:
    codes = tmp_path / "codes.csv"
    codes.write_text(
        "field,scheme,code,audience,category,source\n"
        "audience,marc21,c,teens,,project: pre-adolescents go to the teen room\n",
        encoding="utf-8",
    )
    tables = load_tables(audience_codes=codes)
    result = classify(**record("marc21", audience_code="c", dewey="590", tables=tables))
    assert result.audience == "teens"


def test_project_dewey_table_with_audience(tmp_path: Path) -> None:
    dewey = tmp_path / "dewey.csv"
    dewey.write_text(
        "prefix,category,audience,source\n5,nonfiction_5xx,,p\n372.4,first_readers,children,p\n",
        encoding="utf-8",
    )
    tables = load_tables(dewey_categories=dewey)
    result = classify(**record(dewey="372.41", tables=tables))
    assert (result.category, result.audience, result.audience_method) == (
        "first_readers",
        "children",
        "category",
    )
    assert classify(**record(dewey="843", tables=tables)).category == "unclassified"


CODES_HEADER = "field,scheme,code,audience,category,source\n"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("category_terms", "term,category,audience,where,source\nx,fiction,,shelf,s\n", "line 2"),
        ("category_terms", "term,category,audience,where,source\nx,,elders,text,s\n", "elders"),
        ("category_terms", "term,category,audience,where,source\nx,,,text,s\n", "needs a category"),
        ("category_terms", "term,category,audience,where,source\nx,Fiction!,,text,s\n", "Fiction!"),
        ("dewey_categories", "prefix,category,audience,source\n# c\n74x,comics,,s\n", "line 3"),
        ("dewey_categories", "prefix,category,audience\n7,comics,\n", "source"),
        ("audience_codes", CODES_HEADER + "audience,marc,a,early,,s\n", "scheme"),
        ("audience_codes", CODES_HEADER + "audience,marc21,ab,early,,s\n", "one character"),
        ("lcc_categories", "class,category,audience,source\nQA-76,fiction,,s\n", "LCC letters"),
        ("lcc_categories", "class,category,audience,source\nQ*5,fiction,,s\n", "line 2"),
        ("lcc_categories", "class,category,audience,source\nQA9-5,fiction,,s\n", "range ends"),
        ("lcc_categories", "class,category,audience,source\nQA,,elders,s\n", "elders"),
        ("lcc_categories", "class,category,audience\nQA,fiction,\n", "source"),
    ],
)  # fmt: skip
def test_malformed_project_table_names_file_and_line(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=message) as caught:
        load_tables(**{name: path})
    assert str(path) in str(caught.value)


# --- invariants --------------------------------------------------------------------------------

text_or_none = st.none() | st.text(max_size=40)
interesting = st.sampled_from(
    ["J 843", "R DUR", "[E]", "892.7 3", "741.5", "BD", "أطفال", "8-12 ans", "3+", "#", "|", " "]
)


@given(
    flavour=st.sampled_from(["marc21", "unimarc", "table", "", "UNIMARC", "weird"]),
    audience_code=text_or_none | interesting,
    literary_form=text_or_none,
    contents=text_or_none,
    dewey=text_or_none | interesting,
    audience_text=text_or_none | interesting,
    category_text=text_or_none | interesting,
    title=text_or_none,
    lc_class=text_or_none | st.sampled_from(["PZ7.R7", "QA76.9", "PJ7846", "G1019", "FIC 8"]),
    languages=st.lists(
        st.sampled_from(["ara", "fre", "eng", "spa", "", "FRA"]) | st.text(max_size=4)
    ),
)
def test_classify_never_raises_and_stays_in_the_closed_sets(**fields: object) -> None:
    result = classify(**fields)  # type: ignore[arg-type]
    assert result.audience in AUDIENCES
    assert result.category in CATEGORIES
    assert result.audience_method and result.category_method


@given(st.text(max_size=60))
def test_parse_age_never_raises(text: str) -> None:
    age = parse_age(text)
    assert age is None or 0 <= age < 100


@pytest.mark.parametrize("cell", ["843", "843.914", "741.5944", "398.2", "492.73", "000", "912"])
def test_plain_dewey_fast_path_agrees_with_the_general_reader(cell: str) -> None:
    """A bare number takes a fast path; a trailing blank sends it through the general reader."""
    tables = load_tables()
    assert read_dewey_cell(tables, cell) == read_dewey_cell(tables, cell + " ")


@given(st.from_regex(r"[0-9]{3}(\.[0-9]{1,6})?", fullmatch=True))
def test_any_plain_dewey_number_reads_as_through_the_general_reader(cell: str) -> None:
    tables = load_tables()
    assert read_dewey_cell(tables, cell) == read_dewey_cell(tables, cell + " ")
