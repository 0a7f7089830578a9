"""Pages, height, thickness and weight of a book: read from the record, estimated when missing.

Parsers read MARC21 300 $a/$c and UNIMARC 215 $a/$d as catalogues write them, in French,
English, German and Arabic, with Arabic-Indic and Persian digits. The estimate is a small
physical model whose figures live in ``fundplanner/reference/physical.toml`` with their sources
(norms.md §3-4):

- thickness = leaves × paper caliper + 2 covers + a binding allowance (a leaf is two pages);
- weight = leaves × page area × paper grammage + (2 covers + spine) × cover grammage, the page
  width being the height × the category's aspect ratio.

A 250-page 21 cm paperback comes out at 0.30 kg and 1.7 cm, a 32-page 28 cm album at 0.34 kg
and 0.8 cm (norms.md §4: paperback novels 200-300 g, albums 300-500 g; §3: picture books ¼ in).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fundplanner.classify import fold_text
from fundplanner.errors import ReferenceDataError
from fundplanner.reference import load_toml

PHYSICAL_FIGURES = "physical.toml"
DEFAULT_CATEGORY = "default"

METHOD_RECORD = "record"  # weight given by the record
METHOD_PAGES_HEIGHT = "pages+height"
METHOD_PAGES = "pages"  # pages from the record, height from the category default
METHOD_DEFAULT = "category default"  # no usable page count: the category's defaults

# ---------------------------------------------------------------------------------------------
# Extent (300 $a / 215 $a)

_LETTER = r"[^\W\d_]"
_PAGE_UNIT = re.compile(
    rf"(?<!{_LETTER})(?:(?P<leaves>leaves|leaf|feuillets?|ff|fol|folios?|f|bl|ورقه|اوراق)"
    rf"|(?P<pages>pages?|pp|p|pag|paginas|pagine|seiten|s|с|стр|صفحات|صفحه|ص))(?!{_LETTER}|['’])\.?"
)
_SEGMENT_BREAK = re.compile(r"[(;:)]")
_ITEM_SPLIT = re.compile(r"[,\s\-–]+")
_NUMBER_RANGE = re.compile(r"(?<![\d-])(\d+)\s*[-–]\s*(\d+)(?![\d-])")
_FILLER_WORDS = frozenset(
    {
        *("unnumbered", "unnumberd", "numbered", "unpaged", "folded", "of", "plates"),
        *("non", "numerotee", "numerotees", "numerote", "numerotes", "hors", "texte", "planches"),
        "de",
    }
)
_NUMBER_AFTER = re.compile(r"\s+(\d+)(?:\s*[-–]\s*(\d+))?(?![\d°])")
_VARIOUS_PAGINGS = re.compile(r"\d+\s*v\.?\s*\Z")  # "3 v. p." = 3 volumes, various pagings
_BARE_NUMBER = re.compile(r"\s*\[?(\d+)(?:\.0+)?\]?\s*\Z")
_ROMAN = re.compile(r"(?=[ivxl])(x{0,3}|xl|xc|l?x{0,3})(ix|iv|v?i{0,3})\Z")
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
#: An extent that is only a page count, "340 p." (ASCII digits).
_PLAIN_PAGES = re.compile(r"([0-9]+) p\.?")
_VOLUMES = re.compile(
    rf"(?<!\d)(\d+)\s*(?:volumes?|vols?|v|t|tomes?|bde?|bande|مجلدات|مجلد|مج|اجزاء|ج)(?!{_LETTER})"
)


def _roman(word: str) -> int | None:
    """Value of a lower-case roman numeral below 100 ("xiv" -> 14); prelims are never longer."""
    if not _ROMAN.match(word):
        return None
    total = 0
    for char, following in zip(word, [*word[1:], ""], strict=True):
        value = _ROMAN_VALUES[char]
        total += -value if following and _ROMAN_VALUES[following] > value else value
    return total


def _item_value(item: str) -> int | None:
    """One item before a unit: "340", "[32]", "xiv" (roman prelims count); None if not a number.

    A lone "l", "c", "d" or "m" is not read as a roman numeral: in "d-l, 224 pages" they are
    letters (abjad prelims), and nobody numbers 50 prelim pages with one letter.
    """
    bare = item.strip("[]?")
    if bare.isdigit():
        return int(bare)
    if len(bare) == 1 and bare not in "ivx":
        return None
    return _roman(bare)


def _range_length(match: re.Match[str]) -> str:
    first, last = int(match[1]), int(match[2])
    return str(last - first + 1 if last > first else first + last)


def _count_before(segment: str) -> int:
    """Sum of the numbers written right before a unit ("xiv, 340" p.; "8 unnumbered" leaves).

    Reads backwards from the unit over numbers and filler words, and stops at any other word
    ("Avant 1983 voir … p" counts nothing); "3-1184" is a range of 1,182 pages.
    """
    tail = _NUMBER_RANGE.sub(_range_length, _SEGMENT_BREAK.split(segment)[-1])
    if _VARIOUS_PAGINGS.search(tail):
        return 0
    total = 0
    for item in reversed([item for item in _ITEM_SPLIT.split(tail) if item]):
        value = _item_value(item)
        if value is not None:
            total += value
        elif item not in _FILLER_WORDS:
            break
    return total


def _count_after(text: str, start: int) -> int:
    """ "ص ٢٣٥" or "p. 369-388": the number (or range) written after the unit."""
    match = _NUMBER_AFTER.match(text, start)
    if match is None:
        return 0
    first, last = int(match[1]), match[2]
    return int(last) - first + 1 if last and int(last) > first else first


@functools.lru_cache(maxsize=8192)
def parse_pages(extent: str | None) -> int | None:
    """Number of pages in an extent (MARC21 300 $a, UNIMARC 215 $a), or None.

    "xiv, 340 p." -> 354 (roman prelims are added: they are paper too); "[32] p." -> 32;
    "1 vol. (235 p.)" -> 235; "٢٣٥ ص" and "ص ٢٣٥" -> 235; "[48] f." -> 96 (leaves count
    twice); "246 p., 8 leaves of plates" -> 262; "2 vol. (300, 320 p.)" -> 620 (all volumes);
    "2 vol." -> None (:func:`count_volumes` counts the volumes, and :func:`estimate_physical`
    makes a set of them). A bare number ("340") is a page count.
    """
    if not extent:
        return None
    plain = _PLAIN_PAGES.fullmatch(extent)
    if plain is not None and int(plain[1]):  # fast path: most extents are just "340 p."
        return int(plain[1])
    text = fold_text(extent)
    total, previous_end = 0, 0
    for match in _PAGE_UNIT.finditer(text):
        count = _count_before(text[previous_end : match.start()])
        if count == 0 and match["pages"]:
            count = _count_after(text, match.end())
        total += count * (2 if match["leaves"] else 1)
        previous_end = match.end()
    if total == 0 and (bare := _BARE_NUMBER.match(text)) is not None:
        total = int(bare[1])
    return total or None


@functools.lru_cache(maxsize=4096)
def count_volumes(extent: str | None) -> int:
    """Number of physical volumes an extent announces ("2 vol.", "3 v.", "2 مج"); 1 otherwise."""
    if not extent or _PLAIN_PAGES.fullmatch(extent):  # fast path: "340 p." is one volume
        return 1
    counts = [int(match[1]) for match in _VOLUMES.finditer(fold_text(extent))]
    return max([1, *[count for count in counts if count > 0]])


# ---------------------------------------------------------------------------------------------
# Dimensions (300 $c / 215 $d)

_NUM = r"\d+(?:[.,]\d+)?(?:\s+\d+/\d+)?"
_MEASURE = re.compile(
    rf"(?P<value>{_NUM})(?:\s*(?:x|×|-|–)\s*{_NUM})*\s*"
    rf"(?P<unit>cm|mm|inches|inch|in|\"|سم|см|εκ|սմ|公分)(?!{_LETTER})"
)
_FORMAT = re.compile(
    r"\bin[-\s]?(?P<name>folio|plano|\d{1,2})\b"
    r"|(?<![\d.,])(?P<number>\d{1,2})\s*(?:°|º|mo\b|vo\b|to\b)"
    r"|\b(?P<folio>folio|fol)\b"
)
_BARE_HEIGHT = re.compile(rf"\s*(?P<value>{_NUM})[^a-z]*\Z")
#: A dimensions cell that is only a height in whole centimetres, "21 cm" (ASCII digits).
_PLAIN_CM = re.compile(r"([0-9]+) cm\.?")
_UNIT_CM = {"cm": 1.0, "mm": 0.1, "inches": 2.54, "inch": 2.54, "in": 2.54, '"': 2.54}
_BARE_HEIGHT_RANGE = (5.0, 60.0)


def _number(text: str) -> float:
    """ "21,5" -> 21.5; "18 1/2" -> 18.5."""
    whole, _, fraction = text.partition(" ")
    value = float(whole.replace(",", "."))
    if fraction:
        numerator, _, denominator = fraction.strip().partition("/")
        if int(denominator):
            value += int(numerator) / int(denominator)
    return value


@functools.lru_cache(maxsize=4096)
def parse_height_cm(dimensions: str | None) -> float | None:
    """Height in cm from a dimensions cell (MARC21 300 $c, UNIMARC 215 $d), or None.

    "21 cm" -> 21; "24 x 30 cm" -> 24 (height comes first); "21,5 cm" -> 21.5; "210 mm" -> 21;
    "٢٤ سم" -> 24; "12 in." -> 30.48; "In-8", "8°", "8vo" -> the typical height of the format
    (physical.toml [formats]). A bare number between 5 and 60 with no Latin unit ("21 ��." from
    a mis-decoded "سم") is read as cm, the unit of 300 $c for books.
    """
    if not dimensions:
        return None
    plain = _PLAIN_CM.fullmatch(dimensions)
    if plain is not None:  # fast path: most dimensions are just "21 cm"
        value = float(plain[1])
        return round(value, 2) if value > 0 else None
    text = fold_text(dimensions)
    measure = _MEASURE.search(text)
    if measure is not None:
        value = _number(measure["value"]) * _UNIT_CM.get(measure["unit"], 1.0)
        return round(value, 2) if value > 0 else None
    book_format = _FORMAT.search(text)
    if book_format is not None:
        name = book_format["name"] or book_format["number"] or "folio"
        height = _default_figures().formats.get("folio" if name in ("fol", "plano") else name)
        if height is not None:
            return height
    bare = _BARE_HEIGHT.match(text)
    if bare is not None:
        value = _number(bare["value"])
        if _BARE_HEIGHT_RANGE[0] <= value <= _BARE_HEIGHT_RANGE[1]:
            return value
    return None


# ---------------------------------------------------------------------------------------------
# Figures (physical.toml)


@dataclass(frozen=True, slots=True)
class CategoryFigures:
    """The model's inputs for one category (defaults for what the record lacks)."""

    pages: int
    height_cm: float
    aspect: float  # page width / height
    leaf_gsm: float
    leaf_caliper_cm: float  # per leaf (two pages)
    cover_gsm: float
    cover_caliper_cm: float  # per cover
    allowance_cm: float  # spine rounding and air in the bound block
    books_per_metre: float


@dataclass(frozen=True, eq=False, slots=True)
class PhysicalFigures:
    """physical.toml, checked and indexed (hashed by identity: estimates are cached per object)."""

    categories: Mapping[str, CategoryFigures]
    pages_range: tuple[float, float]
    height_range: tuple[float, float]
    weight_range: tuple[float, float]
    volumes_range: tuple[float, float]
    min_thickness_cm: float
    min_weight_kg: float
    formats: Mapping[str, float]
    books_per_metre_by_audience: Mapping[str, float]

    def for_category(self, category: str | None) -> CategoryFigures:
        """The category's figures, else its family's ("nonfiction_5xx" -> "nonfiction"), else
        the default ones."""
        if category:
            found = self.categories.get(category) or self.categories.get(category.split("_")[0])
            if found is not None:
                return found
        return self.categories[DEFAULT_CATEGORY]


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` laid over ``base``, table by table (a project changes only what it names)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _positive(raw: Mapping[str, Any], key: str, where: str) -> float:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ReferenceDataError(
            f"{PHYSICAL_FIGURES} [{where}]: {key} = {value!r}; expected a positive number."
        )
    return float(value)


def _range(raw: Mapping[str, Any], key: str) -> tuple[float, float]:
    value = raw.get(key)
    if not (isinstance(value, list) and len(value) == 2 and 0 < value[0] < value[1]):
        raise ReferenceDataError(
            f"{PHYSICAL_FIGURES} [clamp]: {key} = {value!r}; "
            "expected [low, high] with 0 < low < high."
        )
    return float(value[0]), float(value[1])


def _category_figures(
    name: str, raw: Mapping[str, Any], data: Mapping[str, Any]
) -> CategoryFigures:
    where = f"category.{name}"
    paper_name, binding_name = raw.get("paper"), raw.get("binding")
    paper, binding = data.get("paper", {}), data.get("binding", {}).get(binding_name)
    if not isinstance(paper_name, str) or f"{paper_name}_gsm" not in paper or binding is None:
        raise ReferenceDataError(
            f"{PHYSICAL_FIGURES} [{where}]: paper = {paper_name!r}, binding = {binding_name!r}; "
            "each must name an entry of [paper] (text, coated, thin) and of [binding]."
        )
    return CategoryFigures(
        pages=int(_positive(raw, "pages", where)),
        height_cm=_positive(raw, "height_cm", where),
        aspect=_positive(raw, "aspect", where),
        leaf_gsm=_positive(paper, f"{paper_name}_gsm", "paper"),
        leaf_caliper_cm=_positive(paper, f"{paper_name}_caliper_cm", "paper"),
        cover_gsm=_positive(binding, "cover_gsm", f"binding.{binding_name}"),
        cover_caliper_cm=_positive(binding, "cover_caliper_cm", f"binding.{binding_name}"),
        allowance_cm=_positive(binding, "allowance_cm", f"binding.{binding_name}"),
        books_per_metre=_positive(raw, "books_per_metre", where),
    )


def compile_figures(data: Mapping[str, Any]) -> PhysicalFigures:
    """Check a physical.toml mapping and index it. Raises :class:`ReferenceDataError`."""
    categories_raw = data.get("category", {})
    default = categories_raw.get(DEFAULT_CATEGORY)
    if not isinstance(default, Mapping):
        raise ReferenceDataError(f"{PHYSICAL_FIGURES}: the [category.default] table is missing.")
    categories = {
        name: _category_figures(name, {**default, **raw}, data)
        for name, raw in categories_raw.items()
    }
    clamp = data.get("clamp", {})
    formats = data.get("formats", {})
    by_audience = data.get("books_per_metre_by_audience", {})
    return PhysicalFigures(
        categories=categories,
        pages_range=_range(clamp, "pages"),
        height_range=_range(clamp, "height_cm"),
        weight_range=_range(clamp, "weight_kg"),
        volumes_range=_range(clamp, "volumes"),
        min_thickness_cm=_positive(clamp, "min_thickness_cm", "clamp"),
        min_weight_kg=_positive(clamp, "min_weight_kg", "clamp"),
        formats={str(key): _positive(formats, key, "formats") for key in formats},
        books_per_metre_by_audience={
            str(key): _positive(by_audience, key, "books_per_metre_by_audience")
            for key in by_audience
        },
    )


@functools.cache
def _default_figures() -> PhysicalFigures:
    return compile_figures(load_toml(PHYSICAL_FIGURES))


def load_figures(override: str | Path | None = None) -> PhysicalFigures:
    """The packaged figures, with a project's TOML file (same shape, any subset) laid over them."""
    if override is None:
        return _default_figures()
    return _load_override(str(Path(override).resolve()))


@functools.cache
def _load_override(path: str) -> PhysicalFigures:
    return compile_figures(
        _merge(load_toml(PHYSICAL_FIGURES), load_toml(PHYSICAL_FIGURES, override=path))
    )


_compiled_mappings: dict[int, tuple[Mapping[str, Any], PhysicalFigures]] = {}


def _figures(figures: Mapping[str, Any] | PhysicalFigures | None) -> PhysicalFigures:
    """Packaged figures, compiled ones, or a mapping laid over the packaged file (compiled once)."""
    if figures is None:
        return _default_figures()
    if isinstance(figures, PhysicalFigures):
        return figures
    cached = _compiled_mappings.get(id(figures))
    if cached is not None and cached[0] is figures:
        return cached[1]
    compiled = compile_figures(_merge(load_toml(PHYSICAL_FIGURES), figures))
    if len(_compiled_mappings) > 32:
        _compiled_mappings.clear()
    _compiled_mappings[id(figures)] = (figures, compiled)
    return compiled


# ---------------------------------------------------------------------------------------------
# The estimate


@dataclass(frozen=True, slots=True)
class Physical:
    """Physical facts of one copy. ``pages``/``height_cm`` are the record's (None if absent or
    implausible); thickness and weight are always set; ``method`` says where they came from.
    A copy of a set of ``volumes`` volumes is all of them: pages, thickness and weight are the
    set's."""

    pages: int | None
    height_cm: float | None
    thickness_cm: float
    weight_kg: float
    method: str
    volumes: int = 1


def estimate_thickness_cm(pages: float, figures: CategoryFigures) -> float:
    """Leaves × caliper + two covers + binding allowance."""
    return pages / 2 * figures.leaf_caliper_cm + 2 * figures.cover_caliper_cm + figures.allowance_cm


def estimate_weight_kg(pages: float, height_cm: float, figures: CategoryFigures) -> float:
    """Leaves × page area × grammage + (two covers + spine) × cover grammage, in kg."""
    height_m = height_cm / 100
    page_m2 = height_m * height_m * figures.aspect
    spine_m2 = height_m * estimate_thickness_cm(pages, figures) / 100
    grams = pages / 2 * page_m2 * figures.leaf_gsm + (2 * page_m2 + spine_m2) * figures.cover_gsm
    return grams / 1000


def _plausible(
    value: float | None, bounds: tuple[float, float], label: str, notes: list[str]
) -> float | None:
    """``value`` if finite and within ``bounds``; else None, with a note for ``method``."""
    if value is None:
        return None
    if (type(value) is int or type(value) is float) and bounds[0] <= value <= bounds[1]:
        return float(value)  # fast path: a plain number in range (NaN and inf fail the test)
    try:
        number = float(value)
    except (TypeError, ValueError):
        notes.append(f"{label} {value!r} unreadable")
        return None
    if not math.isfinite(number):
        return None
    if not bounds[0] <= number <= bounds[1]:
        notes.append(f"{label} {value:g} out of range {bounds[0]:g}-{bounds[1]:g}")
        return None
    return number


def estimate_physical(
    *,
    pages: int | None,
    height_cm: float | None,
    category: str | None,
    weight_kg: float | None = None,
    figures: Mapping[str, Any] | PhysicalFigures | None = None,
    volumes: int = 1,
) -> Physical:
    """Thickness and weight of one copy, from what the record gives and the category's defaults.

    ``method``: "record" (weight given), "pages+height", "pages" (height from the category), or
    "category default" (no usable page count); values outside the plausible ranges of
    physical.toml [clamp] are treated as missing and the method says so ("pages; height 0.2
    out of range 5-70"). Always returns a positive, finite thickness and weight.

    ``volumes`` (:func:`count_volumes` of the extent: "3 vol.", "2 مج") makes a copy a set:
    ``pages`` is then the whole set's ("2 vol. (300, 320 p.)" gives 620) and is checked per
    volume; each volume has its own covers, and a set without a page count is that many
    volumes of the category's default ("category default; 3 volumes").
    """
    return _estimate(pages, height_cm, category, weight_kg, volumes, _figures(figures))


@functools.lru_cache(maxsize=65536)
def _estimate(
    pages: float | None,
    height_cm: float | None,
    category: str | None,
    weight_kg: float | None,
    volumes: int,
    model: PhysicalFigures,
) -> Physical:
    defaults = model.for_category(category)
    notes: list[str] = []
    count = _plausible(volumes, model.volumes_range, "volumes", notes)
    sets = 1 if count is None else int(count)
    low, high = model.pages_range  # per volume: a set of n volumes may have n times as many
    good_total = _plausible(pages, (low * sets, high * sets), "pages", notes)
    good_pages = None if good_total is None else good_total / sets  # per volume
    good_height = _plausible(height_cm, model.height_range, "height", notes)
    good_weight = (
        None if weight_kg is None else _plausible(weight_kg, model.weight_range, "weight", notes)
    )
    used_pages = good_pages if good_pages is not None else defaults.pages  # per volume
    used_height = good_height if good_height is not None else defaults.height_cm
    if good_weight is not None:
        method = METHOD_RECORD
    elif good_pages is None:
        method = METHOD_DEFAULT
    else:
        method = METHOD_PAGES_HEIGHT if good_height is not None else METHOD_PAGES
    thickness = sets * max(estimate_thickness_cm(used_pages, defaults), model.min_thickness_cm)
    if good_weight is None:
        good_weight = sets * estimate_weight_kg(used_pages, used_height, defaults)
    if sets > 1:
        notes.insert(0, f"{sets} volumes")
    return Physical(
        pages=None if good_total is None else int(good_total),  # the set's
        height_cm=good_height,
        thickness_cm=round(thickness, 3),
        weight_kg=round(max(good_weight, model.min_weight_kg), 4),
        method="; ".join([method, *notes]) if notes else method,
        volumes=sets,
    )


def books_per_metre(
    category: str | None,
    audience: str | None = None,
    figures: Mapping[str, Any] | PhysicalFigures | None = None,
) -> float:
    """Books per metre of shelf at 100 % fill for a category (norms.md §3 defaults).

    ``audience`` refines it where the norms differ ("fiction" 30/m, children's fiction 40/m).
    """
    model = _figures(figures)
    if category and audience:
        for key in (f"{category}.{audience}", f"{category.split('_')[0]}.{audience}"):
            if key in model.books_per_metre_by_audience:
                return model.books_per_metre_by_audience[key]
    return model.for_category(category).books_per_metre
