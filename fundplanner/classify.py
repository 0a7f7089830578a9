"""Audience and shelf category of a record, from its codes, its free text, its Dewey number and
its Library of Congress class.

Every mapping is data in ``fundplanner/reference/`` (``audience_codes.csv``,
``dewey_categories.csv``, ``category_terms.csv``, ``lcc_categories.csv``, each row with its
source); this module is only the matcher. A project passes its own table of the same shape to
:func:`load_tables`.

Audience, first rule that gives an answer (``audience_method`` in brackets):

1. the record's code ``code``: MARC21 008/22, UNIMARC 100 $a/17 (norms.md §5). Blank, ``|``
   and UNIMARC ``u`` mean "unknown or not specified": the next rules decide.
2. ``audience_text`` ``age``/``text``: an age range ("8-12 ans", "3+", "من 6 سنوات") is mapped
   by its midpoint (a range) or its lower bound (open-ended) onto the bands 0–5 / 6–11 / 12–17
   / 18+; else words ("Jeunesse", "أطفال", "Young adult") from ``category_terms.csv``; then the
   audience words of ``category_text`` ("Roman jeunesse").
3. the category ``category``: picture books → early, first readers → children.
4. the Dewey/cote cell ``cote``/``dewey``: juvenile prefixes ("J 590", "RJ", "E ALB").
5. the Library of Congress class ``lcc``: juvenile belles lettres (PZ5-90).
6. ``default``: adults. A record that says nothing about its audience is an adult record in a
   public library's catalogue (MARC21 008/22 blank is "unknown or not specified", which is
   how most adult records are coded).

Category, first rule that gives an answer (``category_method``):

1. ``text``: ``category_text`` words ("Album", "BD", "رواية"); a one-word cell is also read as a
   shelf code ("R", "BD"). "Documentaire" means "non-fiction, by the Dewey class": it gives
   ``nonfiction_Nxx`` when a Dewey number is present, otherwise the next rules decide.
2. ``code``: nature of contents, MARC21 008/24-27 / UNIMARC 105 $a/4-7 (comics, dictionaries).
3. ``cote``/``dewey``: the Dewey cell. A leading French shelf code ("R DUR", "BD GOS", "A ALB",
   norms.md §6) decides first; otherwise the longest prefix of the Dewey number in
   ``dewey_categories.csv`` (741.5 comics, 398.2 tales, 8x1 poetry, 4xx language learning …).
4. ``literary_form``: MARC21 008/33 / UNIMARC 105 $a/11 (fiction, drama, poetry).
5. ``title``: unambiguous reference words in the title ("Dictionnaire", "قاموس", "Atlas").
6. ``lcc``: the Library of Congress class (MARC 21 050/090 $a, UNIMARC 680 $a) by
   ``lcc_categories.csv``: the class of the same subject as Dewey's (QA76 → ``nonfiction_0xx``,
   BP → ``nonfiction_2xx``, PQ → fiction, PJ7846 → fiction, PN6700 → comics). Many university
   and North American catalogues carry no Dewey number; their records would otherwise stay
   unclassified. It comes after the literary form, which says fiction, poetry or drama more
   precisely than a literature class does.
7. ``audience``: an early-years record that is fiction or has no category yet is a picture
   book (the extent that would confirm it is not available here; preschool books are shelved
   with the albums whatever their form).
8. ``bilingual``: an early-years or children's record whose languages hold two or more of the
   project's languages (ara, fre, eng) goes to ``bilingual`` — over every category except
   ``reference`` and ``language_learning`` (a bilingual dictionary stays a dictionary, a
   bilingual course stays a course).
9. ``default``: ``unclassified``: the planner may target it or leave it; it is never guessed
   into a Dewey class.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fundplanner.errors import ReferenceDataError
from fundplanner.model import PROJECT_LANGUAGES
from fundplanner.reference import Row, load_csv, reference_path

#: Profile audiences and their ages: early 0–5, children 6–11, teens 12–17, adults 18+.
AUDIENCES: tuple[str, ...] = ("early", "children", "teens", "adults")

#: Exclusive upper age of each audience but the last (the bands of :data:`AUDIENCES`).
AGE_BANDS: tuple[tuple[float, str], ...] = ((6.0, "early"), (12.0, "children"), (18.0, "teens"))

NONFICTION_BY_CLASS: tuple[str, ...] = tuple(f"nonfiction_{digit}xx" for digit in "0123456789")

#: The closed set of categories the packaged tables produce, in shelf order.
CATEGORIES: tuple[str, ...] = (
    "picture_books",
    "first_readers",
    "fiction",
    "comics",
    "tales",
    "poetry",
    "drama",
    "biography",
    "reference",
    "language_learning",
    "bilingual",
    *NONFICTION_BY_CLASS,
    "unclassified",
)

UNKNOWN = "unknown"  # an audience code that says nothing (blank, |, u)
UNCLASSIFIED = "unclassified"
NONFICTION = "nonfiction"  # terms-table value: non-fiction, class from the Dewey number
DEFAULT_AUDIENCE = "adults"

#: Categories the bilingual rule never overrides.
KEEPS_OVER_BILINGUAL = frozenset({"reference", "language_learning"})
BILINGUAL_AUDIENCES = frozenset({"early", "children"})
#: Language codes that count as a project language (ISO 639-2/T "fra" spelled the MARC way).
LANGUAGE_ALIASES: Mapping[str, str] = {"fra": "fre"}

AUDIENCE_CODES = "audience_codes.csv"
DEWEY_CATEGORIES = "dewey_categories.csv"
CATEGORY_TERMS = "category_terms.csv"
LCC_CATEGORIES = "lcc_categories.csv"

_CODE_FIELDS = frozenset({"audience", "contents", "literary_form", "category"})
_SCHEMES = frozenset({"marc21", "unimarc", "any"})
_WHERE = frozenset({"text", "cote", "title"})
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*\Z")
_DEWEY_PREFIX = re.compile(r"\d+(?:\.\d+)?\Z")


@dataclass(frozen=True, slots=True)
class Classification:
    """Where a record goes: its audience and category, and the rule that decided each."""

    audience: str
    category: str
    audience_method: str
    category_method: str


@dataclass(frozen=True, slots=True)
class Term:
    """One row of ``category_terms.csv``, its words normalised."""

    words: tuple[str, ...]
    category: str | None
    audience: str | None
    order: int  # row order: ties between equally long terms go to the first row

    @property
    def length(self) -> int:
        return sum(len(word) for word in self.words) + len(self.words) - 1


@dataclass(frozen=True, slots=True)
class Hit:
    """What a cell says: a category and/or an audience (None = nothing)."""

    category: str | None = None
    audience: str | None = None


NO_HIT = Hit()


@dataclass(frozen=True, slots=True)
class LccClass:
    """The rows of ``lcc_categories.csv`` for one set of class letters ("QA").

    ``ranges``: (first, last, hit) of the rows with a number range, narrowest first; ``hit``:
    the letters' own row (None if there is none); ``subclasses``: the row ends with ``*``, so
    subclasses without rows of their own take its hit."""

    ranges: tuple[tuple[float, float, Hit], ...]
    hit: Hit | None
    subclasses: bool


@dataclass(frozen=True, eq=False, slots=True)
class ClassificationTables:
    """The four tables, indexed for the matcher.

    Hashed by identity: the lookups are cached per table object.
    """

    codes: Mapping[tuple[str, str, str], tuple[int, str | None, str | None]]
    dewey: Mapping[str, Hit]
    text_terms: Mapping[str, tuple[Term, ...]]  # first word -> terms starting with it
    title_terms: Mapping[str, tuple[Term, ...]]
    cote_terms: Mapping[str, Hit]
    lcc: Mapping[str, LccClass]  # class letters -> its rows
    categories: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# Text normalisation (French, English, Arabic)

_FOLDS: dict[str, str | None] = {"ة": "ه", "ى": "ي", "ٱ": "ا", "ـ": None, "œ": "oe", "æ": "ae"}
_FOLDS.update({chr(0x0660 + n): str(n) for n in range(10)})  # Arabic-Indic digits
_FOLDS.update({chr(0x06F0 + n): str(n) for n in range(10)})  # Persian digits
_FOLD = str.maketrans(_FOLDS)
_WORD = re.compile(r"\w+")
_ARABIC_CLITICS = ("وال", "بال", "فال", "كال", "لل", "ال")


def fold_text(text: str) -> str:
    """Casefold, drop accents and Arabic short vowels/hamza seats, unify ة/ه ى/ي, ASCII digits."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.translate(_FOLD)


def _stem(word: str) -> str:
    """Drop the Arabic article/proclitic (ال، لل، وال …) or a Latin plural -s."""
    if "\u0600" <= word[0] <= "\u06ff":
        for clitic in _ARABIC_CLITICS:
            if word.startswith(clitic) and len(word) - len(clitic) >= 3:
                return word[len(clitic) :]
        return word
    if len(word) > 3 and word.endswith("s"):
        return word[:-1]
    return word


@functools.lru_cache(maxsize=65536)
def normalise_words(text: str) -> tuple[str, ...]:
    """The words of ``text`` as the terms table compares them ("Les Contes" -> ("le", "conte"))."""
    return tuple(_stem(word) for word in _WORD.findall(fold_text(text)))


# ---------------------------------------------------------------------------------------------
# Loading the tables


def _data_lines(path: Path) -> list[int]:
    """Line numbers of the data rows of a CSV (comments, blanks and the header skipped)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    numbers = [n for n, line in enumerate(lines, 1) if line.strip() and not line.startswith("#")]
    return numbers[1:]


def _rows(name: str, override: str | Path | None, required: Sequence[str]) -> list[tuple[str, Row]]:
    """Rows of a table, each with a "file, line N" label for error messages."""
    path = Path(override) if override is not None else reference_path(name)
    rows = load_csv(name, required=required, override=override)
    lines = _data_lines(path)
    return [
        (f"{path}, line {lines[i] if i < len(lines) else '?'}", row) for i, row in enumerate(rows)
    ]


def _check_category(where: str, value: str, *, pseudo: bool = False) -> str | None:
    if not value:
        return None
    if value in CATEGORIES or (pseudo and value == NONFICTION) or _IDENTIFIER.match(value):
        return value
    raise ReferenceDataError(
        f"{where}: category {value!r} is not an identifier; use one of {', '.join(CATEGORIES)} "
        "or a new lower-case name such as 'manga'."
    )


def _check_audience(where: str, value: str, *, unknown_ok: bool = False) -> str | None:
    if not value:
        return None
    if value in AUDIENCES or (unknown_ok and value == UNKNOWN):
        return value
    allowed = ", ".join(AUDIENCES + ((UNKNOWN,) if unknown_ok else ()))
    raise ReferenceDataError(f"{where}: audience {value!r} is not one of {allowed}.")


def _read_codes(
    override: str | Path | None,
) -> dict[tuple[str, str, str], tuple[int, str | None, str | None]]:
    codes: dict[tuple[str, str, str], tuple[int, str | None, str | None]] = {}
    required = ("field", "scheme", "code", "source")
    for rank, (where, row) in enumerate(_rows(AUDIENCE_CODES, override, required)):
        field, scheme, code = row["field"], row["scheme"], row["code"]
        if field not in _CODE_FIELDS or scheme not in _SCHEMES:
            raise ReferenceDataError(
                f"{where}: field {field!r} / scheme {scheme!r}; expected field in "
                f"{sorted(_CODE_FIELDS)} and scheme in {sorted(_SCHEMES)}."
            )
        if field != "category" and len(code) != 1:
            raise ReferenceDataError(
                f"{where}: code {code!r} must be one character ('#' for a blank position)."
            )
        audience = _check_audience(where, row.get("audience", ""), unknown_ok=True)
        category = _check_category(where, row.get("category", ""))
        key = (field, scheme, code if field == "category" else code.casefold())
        codes.setdefault(key, (rank, audience, category))
    return codes


def _dewey_digits(prefix: str) -> str:
    return prefix.replace(".", "")


def _read_dewey(override: str | Path | None) -> dict[str, Hit]:
    table: dict[str, Hit] = {}
    for where, row in _rows(DEWEY_CATEGORIES, override, ("prefix", "category", "source")):
        if not _DEWEY_PREFIX.match(row["prefix"]):
            raise ReferenceDataError(
                f"{where}: prefix {row['prefix']!r} is not a Dewey number such as '741.5' or '8'."
            )
        hit = Hit(
            _check_category(where, row["category"]),
            _check_audience(where, row.get("audience", "")),
        )
        table.setdefault(_dewey_digits(row["prefix"]), hit)
    return table


def _read_terms(
    override: str | Path | None,
) -> tuple[dict[str, tuple[Term, ...]], dict[str, tuple[Term, ...]], dict[str, Hit]]:
    text: dict[str, list[Term]] = {}
    title: dict[str, list[Term]] = {}
    cote: dict[str, Hit] = {}
    for order, (where, row) in enumerate(
        _rows(CATEGORY_TERMS, override, ("term", "where", "source"))
    ):
        scopes = set(row["where"].split())
        if not scopes or not scopes <= _WHERE:
            raise ReferenceDataError(
                f"{where}: where={row['where']!r}; use one or more of {', '.join(sorted(_WHERE))}."
            )
        category = _check_category(where, row.get("category", ""), pseudo=True)
        audience = _check_audience(where, row.get("audience", ""))
        if category is None and audience is None:
            raise ReferenceDataError(
                f"{where}: term {row['term']!r} needs a category or an audience."
            )
        words = normalise_words(row["term"])
        if not words:
            raise ReferenceDataError(f"{where}: term {row['term']!r} has no letters or digits.")
        term = Term(words, category, audience, order)
        for scope, index in (("text", text), ("title", title)):
            if scope in scopes:
                index.setdefault(words[0], []).append(term)
        if "cote" in scopes:
            cote.setdefault(fold_text(row["term"]).strip(), Hit(category, audience))
    return (
        {word: tuple(terms) for word, terms in text.items()},
        {word: tuple(terms) for word, terms in title.items()},
        cote,
    )


#: A class column of lcc_categories.csv: letters with an optional *, or letters and a range.
_LCC_ROW = re.compile(r"([A-Z]{1,3})(?:(\*)|(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?))?\Z")


def _read_lcc(override: str | Path | None) -> dict[str, LccClass]:
    letters_hits: dict[str, Hit] = {}
    subclasses: set[str] = set()
    ranges: dict[str, list[tuple[float, float, Hit]]] = {}
    order: dict[str, None] = {}  # class letters in file order (a project's new categories too)
    for where, row in _rows(LCC_CATEGORIES, override, ("class", "source")):
        match = _LCC_ROW.match(row["class"])
        if match is None:
            raise ReferenceDataError(
                f"{where}: class {row['class']!r} is not LCC letters such as 'Q' or 'QA', "
                "letters with * ('Q*': its subclasses too) or letters and a range "
                "('QA75.5-76.95')."
            )
        hit = Hit(
            _check_category(where, row.get("category", "")),
            _check_audience(where, row.get("audience", "")),
        )
        letters = match[1]
        order.setdefault(letters)
        if match[3] is None:
            letters_hits.setdefault(letters, hit)
            if match[2]:
                subclasses.add(letters)
            continue
        first, last = float(match[3]), float(match[4])
        if last < first:
            raise ReferenceDataError(
                f"{where}: class {row['class']!r}: the range ends before it starts."
            )
        ranges.setdefault(letters, []).append((first, last, hit))
    return {
        letters: LccClass(
            tuple(sorted(ranges.get(letters, ()), key=lambda r: r[1] - r[0])),
            letters_hits.get(letters),
            letters in subclasses,
        )
        for letters in order
    }


def _categories_of(*groups: Iterable[str | None]) -> tuple[str, ...]:
    """:data:`CATEGORIES` plus any new category a project's table introduces, in table order."""
    extra: list[str] = []
    for group in groups:
        for category in group:
            if category and category not in (NONFICTION, *CATEGORIES, *extra):
                extra.append(category)
    return CATEGORIES + tuple(extra)


def load_tables(
    audience_codes: str | Path | None = None,
    dewey_categories: str | Path | None = None,
    category_terms: str | Path | None = None,
    lcc_categories: str | Path | None = None,
) -> ClassificationTables:
    """The classification tables: ``None`` is the packaged file, a path a project's own table.

    Cached: the same paths give the same object (and so share the lookup caches).
    Raises :class:`ReferenceDataError` naming the file and line of a malformed row.
    """
    paths = (audience_codes, dewey_categories, category_terms, lcc_categories)
    if all(path is None for path in paths):
        return _packaged_tables()
    return _load_tables_cached(
        *(None if path is None else str(Path(path).resolve()) for path in paths)
    )


@functools.cache
def _packaged_tables() -> ClassificationTables:
    return _load_tables_cached(None, None, None, None)


@functools.cache
def _load_tables_cached(
    audience_codes: str | None,
    dewey_categories: str | None,
    category_terms: str | None,
    lcc_categories: str | None,
) -> ClassificationTables:
    codes = _read_codes(audience_codes)
    dewey = _read_dewey(dewey_categories)
    text_terms, title_terms, cote_terms = _read_terms(category_terms)
    lcc = _read_lcc(lcc_categories)
    categories = _categories_of(
        (category for _, _, category in codes.values()),
        (hit.category for hit in dewey.values()),
        (term.category for terms in text_terms.values() for term in terms),
        (hit.category for hit in cote_terms.values()),
        (
            hit.category
            for entry in lcc.values()
            for hit in (entry.hit, *(r[2] for r in entry.ranges))
            if hit is not None
        ),
    )
    return ClassificationTables(codes, dewey, text_terms, title_terms, cote_terms, lcc, categories)


# ---------------------------------------------------------------------------------------------
# Matchers (pure, cached per table and cell value)


def _best_terms(index: Mapping[str, tuple[Term, ...]], words: tuple[str, ...]) -> Hit:
    """The longest matching term with a category and the longest with an audience."""
    best_category: Term | None = None
    best_audience: Term | None = None
    for start, word in enumerate(words):
        for term in index.get(word, ()):
            if words[start : start + len(term.words)] != term.words:
                continue
            if term.category and (best_category is None or _beats(term, best_category)):
                best_category = term
            if term.audience and (best_audience is None or _beats(term, best_audience)):
                best_audience = term
    return Hit(
        best_category.category if best_category else None,
        best_audience.audience if best_audience else None,
    )


def _beats(term: Term, other: Term) -> bool:
    return (term.length, -term.order) > (other.length, -other.order)


@functools.lru_cache(maxsize=16384)
def read_text_cell(tables: ClassificationTables, text: str) -> Hit:
    """Category and audience words of a free-text cell; a one-word cell may be a shelf code."""
    words = normalise_words(text)
    if len(words) == 1:
        code = tables.cote_terms.get(fold_text(text).strip(" .[]()"))
        if code is not None:
            return code
    return _best_terms(tables.text_terms, words)


@functools.lru_cache(maxsize=4096)
def read_title(tables: ClassificationTables, title: str) -> str | None:
    """A category named by the title itself ("Dictionnaire …", "قاموس …"): reference words only."""
    return _best_terms(tables.title_terms, normalise_words(title)).category


@dataclass(frozen=True, slots=True)
class DeweyCell:
    """What a Dewey/cote cell says: its number's digits, and what its code or number decides."""

    digits: str | None  # "843914" for "843/.914"; None when the cell has no Dewey number
    category: str | None
    category_method: str | None  # "cote" or "dewey"
    audience: str | None
    audience_method: str | None


_DEWEY_NUMBER = re.compile(r"(?<![\d.])(\d{3})(?!\d)(?:\s*\.\s*(\d+(?: \d{1,2})*))?")
_DEWEY_NOISE = str.maketrans(
    {"/": None, "'": None, "′": None, "[": " ", "]": " ", "(": " ", ")": " "}
)
_MAX_COTE_CODES = 2


def dewey_digits(cell: str) -> str | None:
    """Digits of the Dewey number in a dirty cell: "843/.914" -> "843914", "892.7 3" -> "89273"."""
    match = _DEWEY_NUMBER.search(fold_text(cell).translate(_DEWEY_NOISE))
    return None if match is None else match[1] + (match[2] or "").replace(" ", "")


def _dewey_lookup(tables: ClassificationTables, digits: str) -> Hit:
    """Longest prefix of ``digits`` in ``dewey_categories.csv``."""
    for end in range(len(digits), 0, -1):
        hit = tables.dewey.get(digits[:end])
        if hit is not None:
            return hit
    return NO_HIT


def _leading_codes(tables: ClassificationTables, words: Sequence[str]) -> Hit:
    """Shelf codes at the start of a cote ("BD J GOS" -> comics, children), at most two."""
    category = audience = None
    for word in words[:_MAX_COTE_CODES]:
        hit = tables.cote_terms.get(word)
        if hit is None:
            break
        category = category or hit.category
        audience = audience or hit.audience
    return Hit(category, audience)


@functools.lru_cache(maxsize=65536)
def read_dewey_cell(tables: ClassificationTables, cell: str) -> DeweyCell:
    """Read a Dewey/cote cell: "843.914", "J 843", "R DUR", "[E]", "741.5944 GOS", "FIC", "DEW 332".

    A leading shelf code (norms.md §6 "Usual French shelf categories") decides the category
    before the number; "DOC 590" is non-fiction of the number's class. A cell with neither a
    code nor a number is read as words ("Roman policier").
    """
    if _PLAIN_DEWEY.fullmatch(cell):  # fast path: most 082 $a cells are a bare number
        return _plain_dewey_cell(tables, cell.replace(".", ""))
    text = fold_text(cell).translate(_DEWEY_NOISE)
    match = _DEWEY_NUMBER.search(text)
    digits = None if match is None else match[1] + (match[2] or "").replace(" ", "")
    prefix = text if match is None else text[: match.start()]
    code = _leading_codes(tables, _WORD.findall(prefix))
    number = _dewey_lookup(tables, digits) if digits else NO_HIT
    if code == NO_HIT and digits is None:
        code = _best_terms(tables.text_terms, normalise_words(cell))
    category, category_method = _resolve_nonfiction(code.category, digits), "cote"
    if category is None:
        category, category_method = number.category, "dewey"
    audience, audience_method = (
        (code.audience, "cote") if code.audience else (number.audience, "dewey")
    )
    return DeweyCell(
        digits,
        category,
        category_method if category else None,
        audience,
        audience_method if audience else None,
    )


#: A cell that is only a Dewey number, "843" or "843.914" (ASCII digits, no shelf code).
_PLAIN_DEWEY = re.compile(r"[0-9]{3}(?:\.[0-9]+)?")


def _plain_dewey_cell(tables: ClassificationTables, digits: str) -> DeweyCell:
    """:func:`read_dewey_cell` of a bare number: no shelf code, so the number decides."""
    number = _dewey_lookup(tables, digits)
    return DeweyCell(
        digits,
        number.category,
        "dewey" if number.category else None,
        number.audience,
        "dewey" if number.audience else None,
    )


#: A Library of Congress class number at the start of a call number: class letters (no I, O,
#: W, X or Y starts a class), then the number ("QA76.73.P98 L88 2011" -> QA, 76.73).
_LCC_NUMBER = re.compile(r"\s*([A-HJ-NP-VZ][A-Z]{0,2}) ?(\d+(?:\.\d+)?)")


@functools.lru_cache(maxsize=16384)
def read_lcc(tables: ClassificationTables, value: str) -> Hit | None:
    """What a Library of Congress call number says (``lcc_categories.csv``), or None.

    MARC 21 050 $a / 090 $a, UNIMARC 680 $a: "PJ7846.A46", "QA 76.9", "BP161.2". The row with a
    number range that holds the class number wins, then the letters' own row, then the main
    class's row when it ends with ``*``. A value that is not an LC class number ("FIC SMI",
    a Dewey number in 090) says nothing.
    """
    match = _LCC_NUMBER.match(value.upper())
    if match is None:
        return None
    letters, number = match[1], float(match[2])
    entry = tables.lcc.get(letters)
    if entry is not None:
        for first, last, hit in entry.ranges:
            if first <= number <= last:
                return hit
        if entry.hit is not None:
            return entry.hit
    main = tables.lcc.get(letters[0])
    if len(letters) > 1 and main is not None and main.subclasses:
        return main.hit
    return None


def _resolve_nonfiction(category: str | None, digits: str | None) -> str | None:
    """The "nonfiction" term becomes ``nonfiction_Nxx`` by the Dewey class; nothing without one."""
    if category != NONFICTION:
        return category
    return f"nonfiction_{digits[0]}xx" if digits else None


# ---------------------------------------------------------------------------------------------
# Ages ("8-12 ans", "3+", "من 6 سنوات", "0-36 mois")

_SEP = r"\s*(?:-|–|—|/|a|to|au|الي|حتي)\s*"
_AGE_RANGE = re.compile(rf"(?<!\d)(\d{{1,2}}){_SEP}(\d{{1,2}})(?!\d)")
_AGE_FROM = re.compile(
    r"(?:\bdes|\ba partir de|\bfrom|\bages?|\bab|\bplus de|\bover|من|ابتداء من)\s*(\d{1,2})(?!\d)"
)
_AGE_PLUS = re.compile(
    r"(?<!\d)(\d{1,2})\s*(?:\+|ans? et plus|ans? et \+|years? and (?:up|over)|and (?:up|over)"
    r"|فما فوق|وما فوق|و ما فوق)"
    r"|\+\s*(\d{1,2})(?!\d)"
)
_AGE_SINGLE = re.compile(r"(?<!\d)(\d{1,2})\s*(?:ans?|years?|yrs?|سنوات|سنه|سنين|عاما|اعوام)\b")
_MONTHS = re.compile(r"\b(?:mois|months?)\b|شهر|اشهر")


@functools.lru_cache(maxsize=4096)
def parse_age(text: str) -> float | None:
    """The age a free-text audience names: a range's midpoint, an open range's lower bound.

    "8-12 ans" -> 10, "3+" -> 3, "من 6 سنوات" -> 6, "dès 18 mois" -> 1.5, "Jeunesse" -> None.
    """
    folded = fold_text(text)
    value: float | None = None
    if (match := _AGE_RANGE.search(folded)) is not None:
        low, high = sorted((int(match[1]), int(match[2])))
        value = (low + high) / 2
    elif (match := _AGE_PLUS.search(folded) or _AGE_FROM.search(folded)) is not None:
        value = float(next(group for group in match.groups() if group is not None))
    elif (match := _AGE_SINGLE.search(folded)) is not None:
        value = float(match[1])
    if value is not None and _MONTHS.search(folded):
        value /= 12
    return value


def audience_for_age(age: float) -> str:
    """The audience whose band holds ``age`` (:data:`AGE_BANDS`)."""
    for upper, audience in AGE_BANDS:
        if age < upper:
            return audience
    return AUDIENCES[-1]


# ---------------------------------------------------------------------------------------------
# The rules


@functools.lru_cache(maxsize=64)
def _scheme(flavour: str) -> str:
    """UNIMARC codes for UNIMARC records; MARC21 codes otherwise (also for tables)."""
    return "unimarc" if flavour.casefold().startswith("unimarc") else "marc21"


@functools.lru_cache(maxsize=4096)
def _coded(
    tables: ClassificationTables, field: str, scheme: str, codes: str | None
) -> tuple[str | None, str | None]:
    """(audience, category) of the highest-priority known code among the characters of ``codes``."""
    if not codes:
        return None, None
    best: tuple[int, str | None, str | None] | None = None
    for char in codes:
        entry = tables.codes.get((field, scheme, "#" if char == " " else char.casefold()))
        if entry is None or (entry[1] in (None, UNKNOWN) and not entry[2]):
            continue
        if best is None or entry[0] < best[0]:
            best = entry
    return (None, None) if best is None else (best[1], best[2])


def _audience_from_record(
    tables: ClassificationTables,
    scheme: str,
    audience_code: str | None,
    audience_text: str | None,
    category_text: str | None,
) -> tuple[str | None, str | None]:
    """Rules 1-2 for the audience: the code, then ages and words of the free text."""
    audience, _ = _coded(tables, "audience", scheme, audience_code)
    if audience:
        return audience, "code"
    if audience_text:
        age = parse_age(audience_text)
        if age is not None:
            return audience_for_age(age), "age"
        audience = read_text_cell(tables, audience_text).audience
        if audience:
            return audience, "text"
    if category_text:
        audience = read_text_cell(tables, category_text).audience
        if audience:
            return audience, "text"
    return None, None


def _base_category(
    tables: ClassificationTables,
    scheme: str,
    category_text: str | None,
    contents: str | None,
    cell: DeweyCell | None,
    literary_form: str | None,
    title: str | None,
    lcc: Hit | None,
) -> tuple[str | None, str | None]:
    """Rules 1-6 for the category: text, contents code, Dewey/cote, literary form, title, LC
    class."""
    digits = cell.digits if cell else None
    if category_text:
        category = _resolve_nonfiction(read_text_cell(tables, category_text).category, digits)
        if category:
            return category, "text"
    _, category = _coded(tables, "contents", scheme, contents)
    if category:
        return category, "code"
    if cell is not None and cell.category:
        return cell.category, cell.category_method
    _, category = _coded(tables, "literary_form", scheme, literary_form)
    if category:
        return category, "literary_form"
    if title:
        category = read_title(tables, title)
        if category and category != NONFICTION:
            return category, "title"
    if lcc is not None and lcc.category:
        return lcc.category, "lcc"
    return None, None


def _counts_as_bilingual(languages: Sequence[str]) -> bool:
    """Two or more of the project's languages (ara, fre, eng) among the record's languages."""
    found = {
        LANGUAGE_ALIASES.get(code.strip().casefold(), code.strip().casefold())
        for code in languages
        if isinstance(code, str)
    }
    return len(found.intersection(PROJECT_LANGUAGES)) >= 2


@functools.lru_cache(maxsize=1024)
def _result(
    audience: str, category: str, audience_method: str, category_method: str
) -> Classification:
    return Classification(audience, category, audience_method, category_method)


def classify(
    *,
    flavour: str,
    audience_code: str | None,
    literary_form: str | None,
    contents: str | None,
    dewey: str | None,
    audience_text: str | None = None,
    category_text: str | None = None,
    title: str | None = None,
    languages: Sequence[str] = (),
    tables: ClassificationTables | None = None,
    lc_class: str | None = None,
) -> Classification:
    """Audience and category of one record (the rule order is in the module docstring).

    ``flavour`` is "marc21", "unimarc" or "table" (tables are read with MARC21 codes);
    ``audience_code`` is MARC21 008/22 or UNIMARC 100 $a/17(-19); ``contents`` MARC21 008/24-27
    or UNIMARC 105 $a/4-7; ``literary_form`` MARC21 008/33 or UNIMARC 105 $a/11; ``dewey`` the
    082/676 $a or the library's cote, however dirty; ``lc_class`` the Library of Congress call
    number (MARC21 050/090 $a, UNIMARC 680 $a). Never raises on odd values: what it cannot
    read, it ignores.
    """
    tables = tables if tables is not None else _packaged_tables()
    scheme = _scheme(flavour or "")
    cell = read_dewey_cell(tables, dewey) if dewey else None
    lcc = read_lcc(tables, lc_class) if lc_class else None
    audience, audience_method = _audience_from_record(
        tables, scheme, audience_code, audience_text, category_text
    )
    category, category_method = _base_category(
        tables, scheme, category_text, contents, cell, literary_form, title, lcc
    )
    if audience is None:
        audience, audience_method = _audience_from_category_or_cote(tables, category, cell, lcc)
    if audience == "early" and category in (None, "fiction"):
        category, category_method = "picture_books", "audience"
    if (
        audience in BILINGUAL_AUDIENCES
        and category not in KEEPS_OVER_BILINGUAL
        and len(languages) >= 2
        and _counts_as_bilingual(languages)
    ):
        category, category_method = "bilingual", "bilingual"
    if category is None:
        category, category_method = UNCLASSIFIED, "default"
    return _result(audience, category, audience_method or "default", category_method or "default")


def _audience_from_category_or_cote(
    tables: ClassificationTables, category: str | None, cell: DeweyCell | None, lcc: Hit | None
) -> tuple[str, str]:
    """Rules 3-6 for the audience: implied by the category, by the cote, by the LC class, else
    adults."""
    if category:
        entry = tables.codes.get(("category", "any", category))
        if entry is not None and entry[1] not in (None, UNKNOWN):
            return entry[1], "category"
    if cell is not None and cell.audience:
        return cell.audience, cell.audience_method or "cote"
    if lcc is not None and lcc.audience:
        return lcc.audience, "lcc"
    return DEFAULT_AUDIENCE, "default"
