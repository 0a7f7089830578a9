"""Extent and dimension parsers, and the thickness/weight model (fundplanner.physical)."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundplanner.classify import CATEGORIES
from fundplanner.errors import ReferenceDataError
from fundplanner.physical import (
    books_per_metre,
    count_volumes,
    estimate_physical,
    load_figures,
    parse_height_cm,
    parse_pages,
)

# --- extent (300 $a / 215 $a) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extent", "pages"),
    [
        ("340 p.", 340),
        ("340 pages", 340),
        ("340 p", 340),
        ("340", 340),  # a Pages column
        ("xiv, 340 p.", 354),  # roman prelims are paper too
        ("XII-340 p.", 352),
        ("428, xvi p.", 444),
        ("[32] p.", 32),
        ("[1], iii,84 p. :", 88),
        ("255 [1] p.", 256),
        ("139 [i.e. 239] p.", 239),
        ("1 vol. (235 p.)", 235),
        ("1 vol. (544-24 p.)", 568),  # French: two sequences, 544 and 24
        ("3-1184p", 1182),  # a page range
        ("p. 369-388", 20),
        ("235 S.", 235),  # German Seiten
        ("367, [1] s. ;", 368),
        ("260 с. :", 260),  # Cyrillic
        ("٢٣٥ ص", 235),
        ("235 ص.", 235),
        ("ص ٢٣٥", 235),
        ("۲۳۵ صفحة", 235),  # Persian digits
        ("2 ج.(2308ص) ؛", 2308),
        ("32 p. : ill.", 32),
        ("[48] f.", 96),  # leaves count twice
        ("12 feuillets", 24),
        ("246 pages, 8 unnumbered leaves of plates :", 262),
        ("a-ṭ, 545 pages ;", 545),  # abjad prelims are letters
        ("d-l, 224 pages ;", 224),
        ("2 vol. (300, 320 p.)", 620),
        ("ca. 200 p.", 200),
        ("3152,  pages ;", 3152),
        ("2 vol.", None),
        ("3 v.", None),
        ("3 v. p. :", None),  # various pagings
        ("1 vol. (non paginé)", None),
        ("1 sound disc", None),
        ("N'a pas paru en 2004", None),
        ("Avant 1983 voir Fortune < P F° 0131 >", None),
        ("Vol. 1 s'intitule : Fiscal year", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_pages(extent: str | None, pages: int | None) -> None:
    assert parse_pages(extent) == pages


@pytest.mark.parametrize(
    ("extent", "volumes"),
    [("2 vol.", 2), ("3 v.", 3), ("2 volumes", 2), ("1 vol. (235 p.)", 1), ("340 p.", 1),
     ("4 t.", 4), ("2 ج.(2308ص)", 2), ("3 مج", 3), (None, 1)],
)  # fmt: skip
def test_count_volumes(extent: str | None, volumes: int) -> None:
    assert count_volumes(extent) == volumes


# --- dimensions (300 $c / 215 $d) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("dimensions", "height"),
    [
        ("21 cm", 21.0),
        ("21 cm.", 21.0),
        ("24cm", 24.0),
        ("24 x 30 cm", 24.0),  # height first
        ("24 × 30 cm", 24.0),
        ("21,5 cm", 21.5),
        ("18 1/2 cm", 18.5),
        ("22-25 cm", 22.0),
        ("210 mm", 21.0),
        ("12 in.", 30.48),
        ("٢٤ سم", 24.0),
        ("27 سم.", 27.0),
        ("20 см", 20.0),
        ("21 εκ.", 21.0),
        ("21公分.", 21.0),
        ("In-8", 23.0),
        ("in-8°", 23.0),
        ("8°", 23.0),
        ("8vo", 23.0),
        ("12mo", 18.0),
        ("In-12", 18.0),
        ("in-16", 15.0),
        ("in-4", 30.0),
        ("in-folio", 38.0),
        ("21 ��.", 21.0),  # mis-decoded unit: a book height in cm
        ("33 1/3 rpm, stereo.", None),
        ("ill.", None),
        ("port.", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_height_cm(dimensions: str | None, height: float | None) -> None:
    assert parse_height_cm(dimensions) == height


# --- the estimate ------------------------------------------------------------------------------


def test_paperback_novel_is_in_the_norms_range() -> None:
    """250-page 21 cm paperback: norms.md §4 paperback novel 200-300 g; brief ~1.6-2 cm."""
    book = estimate_physical(pages=250, height_cm=21.0, category="fiction")
    assert 0.25 <= book.weight_kg <= 0.32
    assert 1.6 <= book.thickness_cm <= 2.0
    assert book.method == "pages+height"
    assert (book.pages, book.height_cm) == (250, 21.0)


def test_album_is_in_the_norms_range() -> None:
    """32-page 28 cm album: norms.md §4 300-500 g; §3 picture books about ¼ inch (0.64 cm)."""
    book = estimate_physical(pages=32, height_cm=28.0, category="picture_books")
    assert 0.30 <= book.weight_kg <= 0.50
    assert 0.6 <= book.thickness_cm <= 1.0


def test_unknown_book_matches_the_mixed_shipment_average() -> None:
    """norms.md §4: average book in a mixed shipment ≈ 0.41 kg."""
    book = estimate_physical(pages=None, height_cm=None, category=None)
    assert book.method == "category default"
    assert 0.35 <= book.weight_kg <= 0.45


def test_hardback_is_about_an_inch_and_in_the_hardcover_weight_range() -> None:
    """norms.md §3 "the average book is one inch thick"; §4 hardcovers 600 g - 1 kg."""
    hardcover = {"category": {"biography": {"binding": "hardcover"}}}
    book = estimate_physical(pages=350, height_cm=24.0, category="biography", figures=hardcover)
    assert 2.0 <= book.thickness_cm <= 3.2
    assert 0.6 <= book.weight_kg <= 1.0


@pytest.mark.parametrize(
    ("kwargs", "method", "pages", "height"),
    [
        ({"pages": 200, "height_cm": 22.0}, "pages+height", 200, 22.0),
        ({"pages": 200, "height_cm": None}, "pages", 200, None),
        ({"pages": None, "height_cm": 22.0}, "category default", None, 22.0),
        ({"pages": 200, "height_cm": 22.0, "weight_kg": 0.5}, "record", 200, 22.0),
        ({"pages": 30000, "height_cm": 22.0}, "category default; pages 30000 out of range 1-6000",
         None, 22.0),
        ({"pages": 3000, "height_cm": 24.0}, "pages+height", 3000, 24.0),  # a big dictionary
        ({"pages": 0, "height_cm": 22.0}, "category default; pages 0 out of range 1-6000",
         None, 22.0),
        ({"pages": 200, "height_cm": 210.0}, "pages; height 210 out of range 5-70", 200, None),
        ({"pages": 200, "height_cm": 22.0, "weight_kg": 300.0},
         "pages+height; weight 300 out of range 0.01-25", 200, 22.0),
        ({"pages": float("nan"), "height_cm": float("inf")}, "category default", None, None),
        ({"pages": None, "height_cm": 24.0, "volumes": 3}, "category default; 3 volumes",
         None, 24.0),
        ({"pages": 620, "height_cm": 24.0, "volumes": 2}, "pages+height; 2 volumes", 620, 24.0),
        ({"pages": 9000, "height_cm": 24.0, "volumes": 2}, "pages+height; 2 volumes", 9000,
         24.0),  # 4,500 pages a volume: plausible, although 9,000 for one book is not
        ({"pages": 30000, "height_cm": 24.0, "volumes": 2},
         "category default; 2 volumes; pages 30000 out of range 2-12000", None, 24.0),
        ({"pages": 200, "height_cm": 24.0, "volumes": 500},
         "pages+height; volumes 500 out of range 1-100", 200, 24.0),
    ],
)  # fmt: skip
def test_method_says_what_was_used(
    kwargs: dict[str, float | None], method: str, pages: int | None, height: float | None
) -> None:
    book = estimate_physical(category="nonfiction_5xx", **kwargs)  # type: ignore[arg-type]
    assert (book.method, book.pages, book.height_cm) == (method, pages, height)


@pytest.mark.parametrize(("pages", "volumes"), [(None, 3), (None, 10), (600, 2), (2308, 2)])
def test_a_set_is_its_volumes_each_with_its_covers(pages: int | None, volumes: int) -> None:
    """300 $a "3 vol.": a copy of the set takes the shelf and the weight of its volumes."""
    one = estimate_physical(
        pages=None if pages is None else pages // volumes, height_cm=24.0, category="reference"
    )
    whole = estimate_physical(pages=pages, height_cm=24.0, category="reference", volumes=volumes)
    assert whole.volumes == volumes and whole.pages == pages
    assert whole.thickness_cm == pytest.approx(volumes * one.thickness_cm, abs=0.002)
    assert whole.weight_kg == pytest.approx(volumes * one.weight_kg, abs=0.0005)


def test_a_set_with_the_weight_in_the_record_keeps_it() -> None:
    book = estimate_physical(pages=None, height_cm=24.0, category=None, weight_kg=3.2, volumes=4)
    assert (book.weight_kg, book.method) == (3.2, "record; 4 volumes")


def test_record_weight_is_kept() -> None:
    assert (
        estimate_physical(pages=100, height_cm=20, category=None, weight_kg=0.77).weight_kg == 0.77
    )


def test_data_error_falls_back_to_the_category_default() -> None:
    error = estimate_physical(pages=30000, height_cm=21.0, category="fiction")
    default = estimate_physical(pages=None, height_cm=21.0, category="fiction")
    assert (error.weight_kg, error.thickness_cm) == (default.weight_kg, default.thickness_cm)


@pytest.mark.parametrize("category", [*CATEGORIES, None, "manga", ""])
def test_every_category_has_defaults(category: str | None) -> None:
    book = estimate_physical(pages=None, height_cm=None, category=category)
    assert 0.02 <= book.weight_kg <= 5 and 0.1 <= book.thickness_cm <= 10


@pytest.mark.parametrize(
    ("category", "audience", "per_metre"),
    [("picture_books", None, 70.0), ("fiction", None, 30.0), ("fiction", "children", 40.0),
     ("fiction", "teens", 40.0), ("reference", "adults", 22.0), ("comics", None, 45.0),
     ("nonfiction_5xx", None, 30.0), ("nonfiction_5xx", "children", 30.0), (None, None, 30.0),
     ("unclassified", None, 30.0)],
)  # fmt: skip
def test_books_per_metre(category: str | None, audience: str | None, per_metre: float) -> None:
    assert books_per_metre(category, audience) == per_metre


# --- overriding the figures --------------------------------------------------------------------


def test_project_figures_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    project = tmp_path / "physical.toml"
    project.write_text(
        "[paper]\ntext_gsm = 60.0\n\n[category.fiction]\nbooks_per_metre = 55.0\n", encoding="utf-8"
    )
    figures = load_figures(project)
    assert books_per_metre("fiction", figures=figures) == 55.0
    assert books_per_metre("reference", figures=figures) == 22.0  # untouched
    light = estimate_physical(pages=250, height_cm=21, category="fiction", figures=figures)
    usual = estimate_physical(pages=250, height_cm=21, category="fiction")
    assert light.weight_kg < usual.weight_kg
    assert light.thickness_cm == usual.thickness_cm


def test_figures_mapping_is_laid_over_the_packaged_file() -> None:
    figures = {"category": {"picture_books": {"pages": 24}}}
    book = estimate_physical(pages=None, height_cm=None, category="picture_books", figures=figures)
    usual = estimate_physical(pages=None, height_cm=None, category="picture_books")
    assert book.weight_kg < usual.weight_kg


@pytest.mark.parametrize(
    "figures",
    [
        {"paper": {"text_gsm": -80}},
        {"category": {"fiction": {"paper": "papyrus"}}},
        {"category": {"fiction": {"binding": "spiral"}}},
        {"clamp": {"pages": [100, 10]}},
        {"category": {"default": {"height_cm": "tall"}}},
    ],
)
def test_bad_figures_are_reported(figures: dict[str, object]) -> None:
    with pytest.raises(ReferenceDataError, match=r"physical\.toml"):
        estimate_physical(pages=1, height_cm=20, category="fiction", figures=figures)


# --- invariants --------------------------------------------------------------------------------


@given(st.text(max_size=80))
def test_parse_pages_never_raises(text: str) -> None:
    pages = parse_pages(text)
    assert pages is None or pages > 0
    assert count_volumes(text) >= 1


@given(st.text(max_size=80))
def test_parse_height_never_raises(text: str) -> None:
    height = parse_height_cm(text)
    assert height is None or (height > 0 and math.isfinite(height))


@given(
    pages=st.none() | st.integers(-10, 100_000),
    height=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    weight=st.none() | st.floats(allow_nan=True, allow_infinity=True),
    category=st.none() | st.sampled_from([*CATEGORIES, "other"]),
    volumes=st.integers(-3, 1_000),
)
def test_estimate_is_positive_and_finite(
    pages: int | None,
    height: float | None,
    weight: float | None,
    category: str | None,
    volumes: int,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        book = estimate_physical(
            pages=pages, height_cm=height, category=category, weight_kg=weight, volumes=volumes
        )
    assert 1 <= book.volumes <= 100
    assert math.isfinite(book.thickness_cm) and book.thickness_cm > 0
    assert math.isfinite(book.weight_kg) and book.weight_kg > 0


@given(
    pages=st.integers(1, 6000),
    more=st.integers(0, 6000),
    height=st.floats(5.0, 70.0),
    category=st.none() | st.sampled_from(CATEGORIES),
)
def test_weight_grows_with_pages_at_fixed_height(
    pages: int, more: int, height: float, category: str | None
) -> None:
    bigger = min(pages + more, 6000)
    small = estimate_physical(pages=pages, height_cm=height, category=category)
    large = estimate_physical(pages=bigger, height_cm=height, category=category)
    assert large.weight_kg >= small.weight_kg
    assert large.thickness_cm >= small.thickness_cm


# --- real catalogues ---------------------------------------------------------------------------


@pytest.mark.corpus
def test_corpus_extents_and_dimensions_parse(corpus_dir: Path) -> None:
    """Every "N p."-style extent and "N cm" dimension in the corpus's MARC files gives a value."""
    import re

    import pymarc

    extents: set[str] = set()
    dimensions: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in sorted((corpus_dir / "marc").glob("Evergreen__*.mrc")):
            with path.open("rb") as handle:
                reader = pymarc.MARCReader(
                    handle, permissive=True, to_unicode=True, force_utf8=True
                )
                for rec in reader:
                    for field in rec.get_fields("300") if rec else ():
                        extents.update(field.get_subfields("a"))
                        dimensions.update(field.get_subfields("c"))
    page_like = {e for e in extents if re.search(r"\d+\s*(?:p\b|p\.|pages)", e)}
    cm_like = {d for d in dimensions if re.search(r"\d\s*cm", d)}
    assert page_like and cm_like
    assert [e for e in page_like if parse_pages(e) is None] == []
    assert [d for d in cm_like if parse_height_cm(d) is None] == []


@given(st.integers(min_value=0, max_value=10**6))
def test_plain_extent_and_height_fast_paths_agree_with_the_general_parsers(n: int) -> None:
    """ "340 p." and "21 cm" take fast paths; a leading blank sends them through the parsers."""
    for extent in (f"{n} p.", f"{n} p"):
        assert parse_pages(extent) == parse_pages(f" {extent}")
        assert count_volumes(extent) == count_volumes(f" {extent}") == 1
    for dimensions in (f"{n} cm", f"{n} cm."):
        assert parse_height_cm(dimensions) == parse_height_cm(f" {dimensions}")
