"""MARC records for the partner library's ILS: MARC 21 + Koha 952, UNIMARC + 995 (PMB, Koha).

Input: the *selection frame*, one row per selected candidate with ``candidate_id``,
``copies``, the canonical candidate columns (fundplanner.model.CANDIDATE_SCHEMA), ``partner``,
``catalogue``, ``zone``, and optionally ``record_format`` + ``record_data`` (the candidate's
own MARC record: ISO 2709 bytes for ``marc21``/``unimarc``, the UTF-8 bytes of one
``<record>`` element for ``marcxml``/``unimarcxml``).

**Which record.** When the candidate came as MARC of the flavour asked for, its own record is
kept (every field, e.g. its 500 notes), less what belongs to the library it came from
(:func:`is_stripped`), because the partner's ILS would read it as its own:

- MARC 21: the local fields 9XX (Koha's 942 item type, 952 items and 999 $c/$d biblio
  numbers, on which Koha matches and overlays; other systems' 945-949 order and item data),
  09X (local call numbers, which a Koha ``itemcallnumber`` setting may copy into the
  partner's items) and 59X (local notes: "signed copy" is not true of the partner's copy);
  852 and 876-878 (another library's holdings and items inside a bibliographic record, as
  Alma or Voyager exports carry them); 066 (MARC-8 character sets present: meaningless once
  the record is UTF-8). MARC 21 reserves 09X, 59X, 69X and 9XX for local use; 69X local
  subjects are kept.
- UNIMARC: block 9-- (Recommandation 995 items, PMB's 900/950/951/996/999 custom fields and
  item data) and the X9X local tags (Koha UNIMARC's 090 biblionumber and 099 dates, Koha
  ``unimarc_framework_DEFAULT.sql``; the 899 holding libraries of Italian SBN records, as in
  pymarc's ``test/testunimarc.dat``).
- In both, every subfield $9: a local subfield where Koha and PMB keep their own authority
  record numbers (PMB's import reads 606 $9 ``id:123``), which would link the partner's
  headings to unrelated authorities.

Leader/09 is set to ``a`` and the record is written in UTF-8 (MARC-8 or ISO 5426 input is
converted; no MARC-8 is ever written). UNIMARC 100 $a/26-29 is set to ``50`` (ISO 10646,
UTF-8), which is what PMB and Koha UNIMARC read; leader/09 (undefined in UNIMARC) is set to
``a`` too, so that pymarc-based readers do not decode the UTF-8 as MARC-8. A UNIMARC record
without a price in 010 $d gets the selection's price there (PMB reads the item price from
010 $d: ``traite_exemplaires``, bibliodz/PMBdz ``admin/import/func_*.inc.php``). A record of the
other flavour, or one that cannot be read (a warning Problem), is rebuilt from the columns.

**Built from the columns** (norms.md §5): MARC 21 001 (the candidate id; the source's own id
goes to 035 as ``(source)record_id``), 008 (date entered, date type and year, audience at
/22, comics at /24, literary form at /33, language at /35-37), 020 $a $c, 041, 082 04
$a $2, 100/700, 245 $a $b, 246 (romanised title), 264 #1 $b $c, 300 $a $c. UNIMARC 001, 035,
010 $a $d, 100 $a (36 positions, as BnF records write it: ``20240101d2019    m  y0frey50``
``      ba``), 101, 105, 200 $a $e $f, 210 $c $d, 215 $a $d, 676 $a $v, 700/701. Audience and
literary-form codes are the inverse of ``reference/audience_codes.csv``, so a record read
back by fundplanner's own ingest lands in the same cell.

**Items**, one field per copy:

- MARC 21, Koha 952 (Koha ``marc21_framework_DEFAULT.sql``, ``kohafield`` column): $a home
  branch (items.homebranch), $b holding branch (items.holdingbranch), $c shelving location
  (items.location, from the zone), $e source of acquisition (items.booksellerid: the
  partner), $g purchase price (items.price; 0.00 for a donation), $v replacement price
  (items.replacementprice; only for a positive price), $o call number
  (items.itemcallnumber), $p barcode (items.barcode, only when asked), $t copy number
  (items.copynumber), $y item type (items.itype), $8 collection code (items.ccode, from the
  category).
- UNIMARC 995 (Recommandation 995 as Koha's ``unimarc_framework_DEFAULT.sql`` maps it, and
  PMB's import and export ``traite_exemplaires``/``export_traite_exemplaires``): $a owner,
  free text (PMB writes its owner, the *prêteur*, in $a and $c); $b home branch code
  (items.homebranch); $c holding branch code (items.holdingbranch); $e shelving location
  (items.location); $f barcode (only when asked; PMB's ``expl_cb``); $h collection code
  (Koha items.ccode); $k call number (items.itemcallnumber, PMB ``expl_cote``); $r item
  type (items.itype, PMB's document type code ``tdoc_codage_import``); $u copy note
  (items.itemnotes, PMB ``expl_note``): the source of acquisition. 995 has no price: PMB
  and Koha UNIMARC read 010 $d.

**Call numbers** (norms.md §6, French public-library cotes): ``R HUG`` for adult novels,
``RJ``/``RAD`` for children's and teenagers' novels, ``A`` albums, ``BD`` comics, ``C``
tales, ``P`` poetry, ``T`` drama, ``B`` biographies, ``PL`` first readers, ``REF 030 LAR``
reference, ``J 590 DUR`` children's non-fiction, ``590 DUR`` adult non-fiction; the letters
are the first three of the main author's surname (of the title when there is no author).
Reference is ``REF``, not ``R``: in French libraries ``R`` is the adult-novel cote
(norms.md §6), and fundplanner's own reader takes a leading ``R`` as fiction
(``category_terms.csv``). Every rule is a template in :attr:`ItemOptions.call_numbers`.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import string
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

import pandas as pd
import pymarc
from lxml import etree
from pymarc import Field, Indicators, Leader, Record, Subfield

from fundplanner.errors import Kind, Problem, Severity, UsageError
from fundplanner.exporting import ExportError
from fundplanner.exporting.safe import is_missing
from fundplanner.ingest.iso2709 import ISO5426, MARC8, decide_encoding
from fundplanner.model import LIST_SEPARATOR
from fundplanner.reference import load_csv

Flavour = Literal["marc21", "unimarc"]
Container = Literal["iso2709", "marcxml"]

MARC21_SLIM = "http://www.loc.gov/MARC21/slim"
UNIMARC_SLIM = "info:lc/xmlns/unimarcslim"  # the UNIMARC slim namespace fundplanner reads
#: Leaders of built records (positions explained in marc21_from_fields / unimarc_from_fields).
MARC21_LEADER = "00000" + "nam" + " " + "a" + "22" + "00000" + "7c " + "4500"
UNIMARC_LEADER = "00000" + "nam" + " " + "a" + "22" + "00000" + "3n " + "450 "
#: ISO 2709 record length is five digits (leader/00-04).
ISO2709_MAX_BYTES = 99_999

#: Koha item types per category (Koha's sample item types: BK Books, REF Reference, CR
#: Continuing resources; ``installer/data/mysql/en/optional/sample_itemtypes.yml``).
DEFAULT_ITEM_TYPES: Mapping[str, str] = MappingProxyType({"reference": "REF", "periodicals": "CR"})

#: Call-number templates per ``category.audience`` or ``category`` (norms.md §6). Fields:
#: ``{dewey}``, ``{author}`` (letters), ``{lang}`` (ISO 639-1, upper case: AR, FR, EN).
DEFAULT_CALL_NUMBERS: Mapping[str, str] = MappingProxyType(
    {
        "picture_books": "A {author}",
        "first_readers": "PL {author}",
        "fiction": "R {author}",
        "fiction.early": "A {author}",
        "fiction.children": "RJ {author}",
        "fiction.teens": "RAD {author}",
        "comics": "BD {author}",
        "tales": "C {author}",
        "poetry": "P {author}",
        "drama": "T {author}",
        "biography": "B {author}",
        "reference": "REF {dewey} {author}",
        "nonfiction.early": "J {dewey} {author}",
        "nonfiction.children": "J {dewey} {author}",
    }
)
DEFAULT_CALL_NUMBER = "{dewey} {author}"
_CALL_NUMBER_FIELDS = frozenset({"dewey", "author", "lang"})

#: Audience → MARC 21 008/22 and UNIMARC 100 $a/17 (inverse of audience_codes.csv rows:
#: MARC 21 a preschool, j juvenile, d adolescent, e adult; UNIMARC b pre-primary, a juvenile
#: general, e young adult, m adult general; norms.md §5).
MARC21_AUDIENCE = MappingProxyType({"early": "a", "children": "j", "teens": "d", "adults": "e"})
UNIMARC_AUDIENCE = MappingProxyType({"early": "b", "children": "a", "teens": "e", "adults": "m"})
#: Category → MARC 21 008/33 literary form and UNIMARC 105 $a/11 literature code (norms.md §5).
MARC21_LITERARY_FORM = MappingProxyType({"fiction": "1", "drama": "d", "poetry": "p"})
UNIMARC_LITERATURE = MappingProxyType({"fiction": "a", "drama": "b", "poetry": "g"})

_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
_DEWEY = re.compile(r"\d{3}(?:\.\d+)?")
_ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_ARABIC_ARTICLE = "ال"
_NAME_COMMA = re.compile("[,\u060c]")  # comma, Arabic comma
_TITLE_ARTICLES = frozenset("le la les l un une des du de the a an".split())
_NONFILING = {
    "eng": ("The ", "An ", "A "),
    "fre": ("Les ", "Le ", "La ", "L'", "L’", "Une ", "Un "),
}
_RECORD_FORMATS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "marc21": ("iso2709", "marc21"),
        "unimarc": ("iso2709", "unimarc"),
        "marcxml": ("marcxml", "marc21"),
        "unimarcxml": ("marcxml", "unimarc"),
    }
)


def _proxy(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class ItemOptions:
    """How the item fields (952 / 995) and call numbers are filled in.

    The codes must exist in the partner's ILS (Koha: Administration → Libraries, Item types,
    Authorised values CCODE and LOC; PMB: Propriétaires, Types de document, Localisations).
    """

    #: Koha branch code of the partner library (952 $a, 995 $b); Koha limits it to 10 chars.
    branch: str = "ALRAM"
    #: Holding branch (952 $b, 995 $c); the home branch when None.
    holding_branch: str | None = None
    #: Owner as free text (995 $a); the branch code when None.
    owner_name: str | None = None
    #: Item type per category (952 $y, 995 $r); other categories get ``default_item_type``.
    item_types: Mapping[str, str] = field(default_factory=lambda: DEFAULT_ITEM_TYPES)
    default_item_type: str = "BK"
    #: Collection code per category (952 $8, 995 $h); unlisted: the category in upper case.
    collection_codes: Mapping[str, str] = field(default_factory=lambda: _proxy({}))
    #: Shelving location per zone (952 $c, 995 $e); unlisted: the zone in upper case.
    locations: Mapping[str, str] = field(default_factory=lambda: _proxy({}))
    #: Call-number templates (see :data:`DEFAULT_CALL_NUMBERS`); replaces the defaults.
    call_numbers: Mapping[str, str] = field(default_factory=lambda: DEFAULT_CALL_NUMBERS)
    default_call_number: str = DEFAULT_CALL_NUMBER
    #: Letters of the author's surname in the call number.
    author_letters: int = 3
    #: Item price: "eur" (``price_eur``) or "original" (``price`` in its ``currency``).
    price: Literal["eur", "original"] = "eur"
    #: Barcodes are generated only when a prefix is given: prefix + zero-padded number.
    barcode_prefix: str | None = None
    barcode_start: int = 1
    barcode_digits: int = 6
    #: DDC edition for 082 $2 / 676 $v.
    dewey_edition: str = "23"
    #: Language of cataloguing, UNIMARC 100 $a/22-24.
    cataloguing_language: str = "fre"
    #: Date entered on file (008/00-05, 100 $a/0-7); today when None.
    date_entered: dt.date | None = None

    def __post_init__(self) -> None:
        for name in ("branch", "holding_branch"):
            code = getattr(self, name)
            if code is not None and not (0 < len(code.strip()) <= 10):
                raise UsageError(
                    f"ItemOptions.{name} {code!r}: a Koha branch code has 1 to 10 characters; "
                    "use the code shown in Koha under Administration → Libraries."
                )
        if self.price not in ("eur", "original"):
            raise UsageError(f"ItemOptions.price is 'eur' or 'original', not {self.price!r}.")
        for key, template in {**self.call_numbers, "(default)": self.default_call_number}.items():
            _check_template(key, template)

    @property
    def holding(self) -> str:
        return self.holding_branch or self.branch

    @property
    def owner(self) -> str:
        return self.owner_name or self.branch

    def entered(self) -> dt.date:
        return self.date_entered or dt.date.today()


def _check_template(key: str, template: str) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise UsageError(
            f"call-number rule {key!r}: {template!r} is not a template ({exc})."
        ) from exc
    unknown = names - _CALL_NUMBER_FIELDS
    if unknown:
        raise UsageError(
            f"call-number rule {key!r}: {template!r} uses {', '.join(sorted(unknown))}; "
            "the fields are {dewey}, {author} and {lang}."
        )


@dataclass(frozen=True, slots=True)
class MarcBuild:
    """The records built from a selection, the items in them, and what went wrong."""

    records: tuple[Record, ...]
    items: int
    problems: tuple[Problem, ...]


@dataclass(frozen=True, slots=True)
class MarcExport:
    """What :func:`write_marc` wrote."""

    path: Path
    records: int
    items: int
    problems: tuple[Problem, ...]


# ---------------------------------------------------------------------------------------
# Cell access


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    if is_missing(value):
        return ""
    return clean_text(str(value)).strip()


def _number(row: Mapping[str, Any], key: str) -> float | None:
    value = row.get(key)
    if value is None or is_missing(value) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _whole(row: Mapping[str, Any], key: str) -> int | None:
    number = _number(row, key)
    return None if number is None else int(number)


def clean_text(text: str) -> str:
    """Text that ISO 2709 and XML can carry: control characters (which would end a MARC
    field or subfield: 0x1D-0x1F) and characters XML 1.0 forbids become spaces."""
    return _CONTROL_CHARS.sub(" ", text)


def _copies(row: Mapping[str, Any]) -> int:
    return max(_whole(row, "copies") or 0, 0)


# ---------------------------------------------------------------------------------------
# Call numbers


def dewey_number(cell: str) -> str:
    """The Dewey number of a cell: "843/.914" → "843.914"; "" when there is none."""
    match = _DEWEY.search(re.sub(r"[/'′\s]", "", cell))
    return match.group(0) if match else ""


def _letters(word: str, count: int) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    letters = [c for c in decomposed if c.isalpha() and not unicodedata.combining(c)]
    return "".join(letters[:count]).upper()


def inverted_name(name: str) -> tuple[str, str] | None:
    """(surname, forenames) of a name written surname first: "Hugo, Victor", or with the
    Arabic comma "محفوظ، نجيب"; None for a name in direct order."""
    match = _NAME_COMMA.search(name)
    if match is None:
        return None
    return name[: match.start()].strip(), name[match.end() :].strip()


def _surname(author: str) -> str:
    """The filing word of a name: before the comma when inverted ("Hugo, Victor"), else the
    last word ("Victor Hugo"); an Arabic surname loses its article (الحكيم → حكيم)."""
    inverted = inverted_name(author)
    name = inverted[0] if inverted else (author.split() or [""])[-1]
    name = name.strip()
    if name.startswith(_ARABIC_ARTICLE) and len(name) > len(_ARABIC_ARTICLE) + 1:
        name = name[len(_ARABIC_ARTICLE) :]
    return name


def _title_word(title: str) -> str:
    words = re.findall(r"\w+", title)
    while len(words) > 1 and words[0].casefold() in _TITLE_ARTICLES:
        words = words[1:]
    return words[0] if words else ""


def author_letters(authors: str, title: str, count: int = 3) -> str:
    """The first ``count`` letters of the main author's surname (accents dropped, upper
    case); of the title's first significant word when there is no author."""
    first = authors.split(LIST_SEPARATOR.strip())[0].strip() if authors else ""
    return _letters(_surname(first) if first else _title_word(title), count)


@functools.cache
def _iso639_1() -> Mapping[str, str]:
    return MappingProxyType(
        {
            row["code"]: row["iso639_1"].upper()
            for row in load_csv("languages.csv")
            if row["iso639_1"]
        }
    )


def _rule(options: ItemOptions, category: str, audience: str) -> str:
    group = "nonfiction" if category.startswith("nonfiction_") else category
    for key in (f"{category}.{audience}", category, f"{group}.{audience}", group):
        if key in options.call_numbers:
            return options.call_numbers[key]
    return options.default_call_number


def call_number(row: Mapping[str, Any], options: ItemOptions) -> str:
    """The call number (cote) of a candidate: its category's template filled in."""
    template = _rule(options, _text(row, "category"), _text(row, "audience"))
    filled = template.format(
        dewey=dewey_number(_text(row, "dewey")),
        author=author_letters(_text(row, "authors"), _text(row, "title"), options.author_letters),
        lang=_iso639_1().get(_text(row, "language"), ""),
    )
    return " ".join(filled.split())


# ---------------------------------------------------------------------------------------
# Item fields


def _price_text(value: float | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def item_price(row: Mapping[str, Any], options: ItemOptions) -> float | None:
    """The price an item carries: ``price_eur``, or ``price`` with ``options.price="original"``."""
    return _number(row, "price_eur" if options.price == "eur" else "price")


def _price_with_currency(row: Mapping[str, Any], options: ItemOptions) -> str | None:
    price = item_price(row, options)
    if price is None:
        return None
    currency = "EUR" if options.price == "eur" else _text(row, "currency").upper()
    return f"{price:.2f} {currency}".strip()


def acquisition_source(row: Mapping[str, Any]) -> str:
    """Where the copies come from: the partner, else the candidate's source catalogue."""
    return _text(row, "partner") or _text(row, "source") or _text(row, "catalogue")


def _code(mapping: Mapping[str, str], key: str) -> str:
    return mapping.get(key, key.upper()) if key else ""


def _subfields(pairs: Sequence[tuple[str, str | None]]) -> list[Subfield]:
    return [Subfield(code, clean_text(value)) for code, value in pairs if value]


@dataclass(frozen=True, slots=True)
class ItemData:
    """What every copy of one candidate shares in its item field."""

    collection: str  # 952 $8, 995 $h
    location: str  # 952 $c, 995 $e
    source: str  # 952 $e, 995 $u
    price: str | None  # 952 $g
    replacement: str | None  # 952 $v (none for a donation: it cost nothing)
    call_number: str  # 952 $o, 995 $k
    item_type: str  # 952 $y, 995 $r


def item_data(row: Mapping[str, Any], options: ItemOptions) -> ItemData:
    """The item values of a candidate (see the module docstring, **Items**)."""
    category = _text(row, "category")
    price = item_price(row, options)
    return ItemData(
        collection=_code(options.collection_codes, category),
        location=_code(options.locations, _text(row, "zone")),
        source=acquisition_source(row),
        price=_price_text(price),
        replacement=_price_text(price) if price is not None and price > 0 else None,
        call_number=call_number(row, options),
        item_type=options.item_types.get(category, options.default_item_type),
    )


def koha_952(item: ItemData, options: ItemOptions, copy_no: int, barcode: str | None) -> Field:
    """One Koha item (MARC 21 952, Koha's default framework; see the module docstring)."""
    pairs: list[tuple[str, str | None]] = [
        ("8", item.collection),
        ("a", options.branch),
        ("b", options.holding),
        ("c", item.location),
        ("e", item.source),
        ("g", item.price),
        ("o", item.call_number),
        ("p", barcode),
        ("t", str(copy_no)),
        ("v", item.replacement),
        ("y", item.item_type),
    ]
    return Field("952", Indicators(" ", " "), _subfields(pairs))


def unimarc_995(item: ItemData, options: ItemOptions, copy_no: int, barcode: str | None) -> Field:
    """One UNIMARC item (995, Recommandation 995 as Koha and PMB read it; see the module)."""
    del copy_no  # 995 $6 (Koha copy number) is not read by PMB; the copies are the fields
    pairs: list[tuple[str, str | None]] = [
        ("a", options.owner),
        ("b", options.branch),
        ("c", options.holding),
        ("e", item.location),
        ("f", barcode),
        ("h", item.collection),
        ("k", item.call_number),
        ("r", item.item_type),
        ("u", item.source),
    ]
    return Field("995", Indicators(" ", " "), _subfields(pairs))


def _barcodes(options: ItemOptions) -> Iterator[str | None]:
    number = options.barcode_start
    while True:
        if options.barcode_prefix is None:
            yield None
        else:
            yield f"{options.barcode_prefix}{number:0{options.barcode_digits}d}"
            number += 1


def item_fields(
    row: Mapping[str, Any], flavour: Flavour, options: ItemOptions, barcodes: Iterator[str | None]
) -> list[Field]:
    """One 952 (MARC 21) or 995 (UNIMARC) per copy."""
    make = koha_952 if flavour == "marc21" else unimarc_995
    item = item_data(row, options)
    return [make(item, options, n, next(barcodes)) for n in range(1, _copies(row) + 1)]


# ---------------------------------------------------------------------------------------
# The candidate's own record


def is_stripped(tag: str, flavour: Flavour) -> bool:
    """Whether a field of an original record is dropped (rule in the module docstring)."""
    if tag.startswith("9"):
        return True
    if flavour == "marc21":
        return tag[:2] in ("09", "59") or tag in ("066", "852", "876", "877", "878")
    return tag[1:2] == "9"


#: Local subfield that Koha and PMB fill with their own authority record numbers.
LOCAL_LINK_SUBFIELD = "9"


def _strip_local(record: Record, flavour: Flavour) -> None:
    """Drop the fields of :func:`is_stripped` and every subfield $9 (module docstring)."""
    for found in [f for f in record.fields if is_stripped(f.tag, flavour)]:
        record.remove_field(found)
    for found in record.fields:
        if not found.is_control_field() and any(
            s.code == LOCAL_LINK_SUBFIELD for s in found.subfields
        ):
            found.subfields = [s for s in found.subfields if s.code != LOCAL_LINK_SUBFIELD]


def _record_bytes(value: Any) -> bytes | None:
    if is_missing(value):
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    return None


def read_iso2709_record(data: bytes) -> Record:
    """One ISO 2709 record as a Unicode pymarc Record, whatever its encoding.

    The encoding is decided as fundplanner's ingest decides it
    (:func:`fundplanner.ingest.iso2709.decide_encoding`: leader/09, UNIMARC 100 $a/26-27,
    UTF-8 validity): UTF-8 (also when leader/09 is wrongly blank), MARC-8 (converted by
    pymarc), or UNIMARC ISO 5426 (decoded best-effort as Latin-1, as the ingest does).
    """
    chunk = data.strip(b"\r\n\t \x00\x1a")
    encoding = decide_encoding(chunk).encoding
    if encoding == MARC8:
        return Record(data=chunk, to_unicode=True, hide_utf8_warnings=True)
    if encoding == ISO5426:
        return Record(data=chunk, to_unicode=True, file_encoding="latin-1")
    return Record(data=chunk, to_unicode=True, force_utf8=True, utf8_handling="replace")


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)


def _first_record(root: etree._Element) -> etree._Element:
    if _local(root.tag) == "record":
        return root
    for element in root.iter():
        if _local(element.tag) == "record":
            return element
    raise ValueError("no <record> element")


def _leader_text(text: str) -> str:
    return (text or "").ljust(24)[:24]


def read_xml_record(data: bytes) -> Record:
    """One MARCXML / UNIMARC slim ``<record>`` (any namespace) as a pymarc Record.

    Parsed with lxml, entity resolution, DTD loading and network access off (the rule for
    every MARCXML fundplanner reads).
    """
    element = _first_record(etree.fromstring(data, _XML_PARSER))
    record = Record(leader=" " * 24)
    for part in element:
        name = _local(part.tag)
        if name == "leader":
            record.leader = Leader(_leader_text(part.text or ""))
        elif name == "controlfield":
            record.add_field(Field(str(part.get("tag", "")), data=part.text or ""))
        elif name == "datafield":
            record.add_field(_xml_datafield(part))
    return record


def _xml_datafield(element: etree._Element) -> Field:
    subfields = [
        Subfield(str(sub.get("code", "")), sub.text or "")
        for sub in element
        if _local(sub.tag) == "subfield"
    ]
    indicators = Indicators((element.get("ind1") or " ")[:1], (element.get("ind2") or " ")[:1])
    return Field(str(element.get("tag", "")), indicators, subfields)


def original_record(
    row: Mapping[str, Any], flavour: Flavour
) -> tuple[Record | None, Problem | None]:
    """The candidate's own record when it is of ``flavour`` (None otherwise), or a warning
    when it cannot be read (the record is then built from the columns)."""
    record_format = _text(row, "record_format").lower()
    data = _record_bytes(row.get("record_data"))
    kind = _RECORD_FORMATS.get(record_format)
    if kind is None or data is None or kind[1] != flavour:
        return None, None
    try:
        record = read_iso2709_record(data) if kind[0] == "iso2709" else read_xml_record(data)
    except (
        pymarc.PymarcException,
        ValueError,
        UnicodeError,
        IndexError,
        etree.XMLSyntaxError,
    ) as exc:
        return None, _unreadable(row, record_format, exc)
    if not record.fields:
        return None, _unreadable(row, record_format, ValueError("no fields"))
    return record, None


def _unreadable(row: Mapping[str, Any], record_format: str, exc: Exception) -> Problem:
    return Problem(
        file=_text(row, "catalogue") or _text(row, "source"),
        record=None,
        control_number=_text(row, "record_id") or None,
        field=None,
        kind=Kind.UNREADABLE_RECORD,
        message=(
            f"candidate {_text(row, 'candidate_id')}: its own {record_format} record cannot be "
            f"read ({type(exc).__name__}: {exc}); the exported record was built from the "
            "candidate's columns instead. Re-import the catalogue to keep the full record."
        ),
        severity=Severity.WARNING,
    )


def _set_unimarc_utf8(record: Record, options: ItemOptions, row: Mapping[str, Any]) -> None:
    """UNIMARC 100 $a/26-29 = "50  " (ISO 10646); a record without 100 gets a built one."""
    fields = record.get_fields("100")
    if not fields or not fields[0].get("a"):
        record.remove_fields("100")
        record.add_ordered_field(_unimarc_100(row, options))
        return
    general = fields[0]
    value = (general.get("a") or "").ljust(36)
    general["a"] = value[:26] + "50  " + value[30:]


def _set_unimarc_price(record: Record, row: Mapping[str, Any], options: ItemOptions) -> None:
    price = _price_with_currency(row, options)
    if price is None or any(f.get("d") for f in record.get_fields("010")):
        return
    existing = record.get_fields("010")
    if existing:
        existing[0].add_subfield("d", price)
    else:
        record.add_ordered_field(Field("010", Indicators(" ", " "), [Subfield("d", price)]))


def prepare_original(
    record: Record, flavour: Flavour, row: Mapping[str, Any], options: ItemOptions
) -> Record:
    """Apply the stripping rule, UTF-8 flags and (UNIMARC) the 010 $d price to ``record``."""
    _strip_local(record, flavour)
    record.leader = Leader(_leader_text(str(record.leader)))
    record.leader.coding_scheme = "a"
    if not record.get_fields("001"):
        record.add_ordered_field(Field("001", data=_text(row, "candidate_id")))
    if flavour == "unimarc":
        _set_unimarc_utf8(record, options, row)
        _set_unimarc_price(record, row, options)
    return record


# ---------------------------------------------------------------------------------------
# Records built from the columns


def _year(row: Mapping[str, Any]) -> str:
    year = _whole(row, "year")
    return f"{year:04d}" if year is not None and 0 < year < 10_000 else ""


def _language(row: Mapping[str, Any]) -> str:
    code = _text(row, "language").lower()
    return code if re.fullmatch(r"[a-z]{3}", code) else ""


def _control(tag: str, value: str) -> Field:
    return Field(tag, data=clean_text(value))


def _data(tag: str, ind1: str, ind2: str, pairs: Sequence[tuple[str, str | None]]) -> Field | None:
    subfields = _subfields(pairs)
    return Field(tag, Indicators(ind1, ind2), subfields) if subfields else None


def _authors(row: Mapping[str, Any]) -> list[str]:
    text = _text(row, "authors")
    return [name.strip() for name in text.split(LIST_SEPARATOR.strip()) if name.strip()]


def _source_id(row: Mapping[str, Any]) -> str | None:
    record_id = _text(row, "record_id")
    if not record_id:
        return None
    source = _text(row, "source") or _text(row, "catalogue")
    return f"({source}){record_id}" if source else record_id


def _pages(row: Mapping[str, Any]) -> str | None:
    pages = _whole(row, "pages")
    return f"{pages} p." if pages and pages > 0 else None


def _height(row: Mapping[str, Any]) -> str | None:
    """Height in whole centimetres, rounded up (AACR2 2.5D1 / ISBD: "21 cm")."""
    height = _number(row, "height_cm")
    return f"{math.ceil(height - 1e-9)} cm" if height and height > 0 else None


def _nonfiling(title: str, language: str) -> str:
    """MARC 21 245 ind2: characters of a leading article that filing skips."""
    for article in _NONFILING.get(language, ()):
        if title.startswith(article) and len(title) > len(article):
            return str(len(article))
    return "0"


def _marc21_008(row: Mapping[str, Any], options: ItemOptions) -> str:
    """008 for books, 40 positions (LoC bd008a/bd008b; norms.md §5)."""
    year = _year(row)
    category = _text(row, "category")
    return "".join(
        (
            options.entered().strftime("%y%m%d"),
            "s" if year else "n",
            year or "uuuu",
            "    ",
            "xx ",  # place of publication unknown
            "||||",  # illustrations: no attempt to code
            MARC21_AUDIENCE.get(_text(row, "audience"), " "),
            " ",  # form of item: regular print
            "6   " if category == "comics" else "    ",
            "|||| ",  # government publication, conference, festschrift, index; undefined
            "0" if category.startswith("nonfiction") else MARC21_LITERARY_FORM.get(category, "|"),
            " ",  # biography
            _language(row) or "und",
            " ",
            "d",  # cataloguing source: other
        )
    )


@dataclass(frozen=True, slots=True)
class _Bib:
    """The bibliographic columns of one candidate, cleaned for MARC."""

    candidate_id: str
    title: str
    subtitle: str
    title_latin: str
    authors: list[str]
    language: str
    original: str  # original language of a translation ("" when not a translation)
    isbn: str
    dewey: str
    publisher: str
    year: str
    pages: str | None
    height: str | None
    price: str | None  # "12.50 EUR"


def _bib(row: Mapping[str, Any], options: ItemOptions) -> _Bib:
    language = _language(row)
    original = _text(row, "original_language").lower()
    return _Bib(
        candidate_id=_text(row, "candidate_id"),
        title=_text(row, "title"),
        subtitle=_text(row, "subtitle"),
        title_latin=_text(row, "title_latin"),
        authors=_authors(row),
        language=language,
        original=original if re.fullmatch(r"[a-z]{3}", original) and original != language else "",
        isbn=_text(row, "isbn13"),
        dewey=dewey_number(_text(row, "dewey")),
        publisher=_text(row, "publisher"),
        year=_year(row),
        pages=_pages(row),
        height=_height(row),
        price=_price_with_currency(row, options),
    )


def _marc21_fields(bib: _Bib, row: Mapping[str, Any], options: ItemOptions) -> list[Field | None]:
    translated = "1" if bib.original else "0"
    return [
        _control("001", bib.candidate_id),
        _control("008", _marc21_008(row, options)),
        _data("020", " ", " ", [("a", bib.isbn), ("c", bib.price)]) if bib.isbn else None,
        _data("035", " ", " ", [("a", _source_id(row))]),
        _data("041", translated, " ", [("a", bib.language), ("h", bib.original)])
        if bib.language
        else None,
        _data("082", "0", "4", [("a", bib.dewey), ("2", options.dewey_edition)])
        if bib.dewey
        else None,
        _name_field("100", bib.authors[0]) if bib.authors else None,
        _data(
            "245",
            "1" if bib.authors else "0",
            _nonfiling(bib.title, bib.language),
            [("a", bib.title), ("b", bib.subtitle)],
        ),
        _data("246", "1", " ", [("a", bib.title_latin)]) if bib.title_latin != bib.title else None,
        _data("264", " ", "1", [("b", bib.publisher), ("c", bib.year)]),
        _data("300", " ", " ", [("a", bib.pages), ("c", bib.height)]),
        *(_name_field("700", name) for name in bib.authors[1:]),
    ]


def _assemble(leader: str, fields: list[Field | None]) -> Record:
    record = Record(leader=" " * 24)
    record.leader = Leader(leader)  # after the constructor, which forces leader/20-23 to 4500
    for made in fields:
        if made is not None:
            record.add_field(made)
    return record


def marc21_from_fields(row: Mapping[str, Any], options: ItemOptions) -> Record:
    """A MARC 21 bibliographic record from the candidate's columns (module docstring).

    Leader: new (/05 n), language material (/06 a), monograph (/07 m), UTF-8 (/09 a),
    minimal level (/17 7), ISBD punctuation omitted (/18 c).
    """
    return _assemble(MARC21_LEADER, _marc21_fields(_bib(row, options), row, options))


def _name_field(tag: str, name: str) -> Field:
    """MARC 21 100/700: ind1 1 (surname first) for "Hugo, Victor", 0 for a direct name."""
    return Field(
        tag,
        Indicators("1" if inverted_name(name) else "0", " "),
        [Subfield("a", clean_text(name))],
    )


def _script(title: str) -> str:
    """UNIMARC 100 $a/34-35 script of title: ``ba`` Latin (as BnF records write it), ``fa``
    Arabic (UNIMARC Manual field 100 code list; passage not seen, recalled)."""
    return "fa" if _ARABIC.search(title) else "ba"


def _unimarc_100(row: Mapping[str, Any], options: ItemOptions) -> Field:
    """UNIMARC 100 $a general processing data, 36 positions (norms.md §5)."""
    year = _year(row)
    value = "".join(
        (
            options.entered().strftime("%Y%m%d"),
            f"d{year}    " if year else "u        ",
            UNIMARC_AUDIENCE.get(_text(row, "audience"), "u").ljust(3),
            "y",  # not a government publication
            "0",  # not a modified record
            options.cataloguing_language[:3].ljust(3),
            "y",  # no transliteration
            "50  ",  # character set: ISO 10646 (UTF-8)
            "    ",
            _script(_text(row, "title")),
        )
    )
    return Field("100", Indicators(" ", " "), [Subfield("a", value)])


def _unimarc_105(row: Mapping[str, Any]) -> Field:
    """UNIMARC 105 $a coded data, textual monographs: contents /4-7, literature /11."""
    category = _text(row, "category")
    literature = "y" if category.startswith("nonfiction") else UNIMARC_LITERATURE.get(category, "|")
    contents = "t   " if category == "comics" else "    "
    return Field("105", Indicators(" ", " "), [Subfield("a", f"||||{contents}|||{literature}|")])


def _unimarc_name(tag: str, name: str) -> Field:
    """UNIMARC 700/701: $a entry element, $b rest of the name (ind2 1 = surname first)."""
    inverted = inverted_name(name)
    if inverted:
        surname, rest = inverted
        pairs = [("a", surname.strip()), ("b", rest.strip())]
        return Field(tag, Indicators(" ", "1"), _subfields(pairs))
    return Field(tag, Indicators(" ", "0"), _subfields([("a", name)]))


def _unimarc_fields(bib: _Bib, row: Mapping[str, Any], options: ItemOptions) -> list[Field | None]:
    translated = "1" if bib.original else "0"
    return [
        _control("001", bib.candidate_id),
        _data("010", " ", " ", [("a", bib.isbn), ("d", bib.price)]),
        _data("035", " ", " ", [("a", _source_id(row))]),
        _unimarc_100(row, options),
        _data("101", translated, " ", [("a", bib.language), ("c", bib.original)])
        if bib.language
        else None,
        _unimarc_105(row),
        _data(
            "200",
            "1",
            " ",
            [("a", bib.title), ("e", bib.subtitle), ("f", " ; ".join(bib.authors))],
        ),
        _data("210", " ", " ", [("c", bib.publisher), ("d", bib.year)]),
        _data("215", " ", " ", [("a", bib.pages), ("d", bib.height)]),
        _data("676", " ", " ", [("a", bib.dewey), ("v", options.dewey_edition)])
        if bib.dewey
        else None,
        _unimarc_name("700", bib.authors[0]) if bib.authors else None,
        *(_unimarc_name("701", name) for name in bib.authors[1:]),
    ]


def unimarc_from_fields(row: Mapping[str, Any], options: ItemOptions) -> Record:
    """A UNIMARC bibliographic record from the candidate's columns (module docstring).

    Label: new (/05 n), language material (/06 a), monograph (/07 m), /09 a (see the module
    docstring), sub-level 3, incomplete (/17 3: made from a list, not the book in hand),
    non-ISBD (/18 n), 20-23 "450 ".
    """
    return _assemble(UNIMARC_LEADER, _unimarc_fields(_bib(row, options), row, options))


# ---------------------------------------------------------------------------------------
# Selection → records → file


def _scrub(record: Record) -> Record:
    """Control characters out of every value of a record read from elsewhere (see
    :func:`clean_text`); the fields built here are clean already."""
    for found in record.fields:
        if found.is_control_field():
            found.data = clean_text(found.data or "")
        else:
            found.subfields = [Subfield(s.code, clean_text(s.value)) for s in found.subfields]
    return record


def _check_flavour(flavour: str) -> Flavour:
    if flavour not in ("marc21", "unimarc"):
        raise UsageError(f"MARC flavour is 'marc21' or 'unimarc', not {flavour!r}.")
    return "marc21" if flavour == "marc21" else "unimarc"


def record_for(
    row: Mapping[str, Any], flavour: Flavour, options: ItemOptions, barcodes: Iterator[str | None]
) -> tuple[Record, Problem | None]:
    """The record of one selected candidate, with its item fields."""
    record, problem = original_record(row, flavour)
    if record is not None:
        record = _scrub(prepare_original(record, flavour, row, options))
    elif flavour == "marc21":
        record = marc21_from_fields(row, options)
    else:
        record = unimarc_from_fields(row, options)
    for item in item_fields(row, flavour, options, barcodes):
        record.add_ordered_field(item)  # built values are cleaned as they are made
    return record, problem


def build_marc(
    selection: pd.DataFrame, flavour: Flavour = "marc21", options: ItemOptions | None = None
) -> MarcBuild:
    """Records for every selected candidate (in selection order), with the problems met."""
    flavour = _check_flavour(flavour)
    options = options or ItemOptions()
    barcodes = _barcodes(options)
    records: list[Record] = []
    problems: list[Problem] = []
    items = 0
    for row in cast(list[dict[str, Any]], selection.to_dict("records")):
        record, problem = record_for(row, flavour, options, barcodes)
        records.append(record)
        items += _copies(row)
        if problem is not None:
            problems.append(problem)
    return MarcBuild(tuple(records), items, tuple(problems))


def marc_records(
    selection: pd.DataFrame, flavour: Flavour = "marc21", options: ItemOptions | None = None
) -> list[Record]:
    """The pymarc records of :func:`build_marc` (its problems are dropped: use build_marc)."""
    return list(build_marc(selection, flavour, options).records)


def _too_long(record: Record, size: int, path: Path) -> Problem:
    return Problem(
        file=path.name,
        record=None,
        control_number=_control_number(record),
        field=None,
        kind=Kind.RECORD_TOO_LONG,
        message=(
            f"the record is {size:,} bytes long, more than ISO 2709 allows "
            f"({ISO2709_MAX_BYTES:,}); it was left out. Export as MARCXML, which has no "
            "such limit, or split its copies."
        ),
    )


@dataclass(frozen=True, slots=True)
class _Written:
    records: int
    items: int
    problems: tuple[Problem, ...] = ()


def _item_count(record: Record) -> int:
    return len(record.get_fields("952", "995"))


def _write_iso2709(records: tuple[Record, ...], path: Path) -> _Written:
    written, items, problems = 0, 0, []
    with path.open("wb") as handle:
        for record in records:
            data = record.as_marc()
            if len(data) > ISO2709_MAX_BYTES:
                problems.append(_too_long(record, len(data), path))
                continue
            handle.write(data)
            written += 1
            items += _item_count(record)
    return _Written(written, items, tuple(problems))


def record_element(record: Record, namespace: str) -> etree._Element:
    """A ``<record>`` element in ``namespace`` (MARC21 slim / UNIMARC slim layout)."""
    ns = f"{{{namespace}}}"
    element = etree.Element(f"{ns}record", nsmap={None: namespace})
    etree.SubElement(element, f"{ns}leader").text = str(record.leader)
    for found in record.fields:
        if found.is_control_field():
            control = etree.SubElement(element, f"{ns}controlfield", tag=found.tag)
            control.text = found.data or ""
            continue
        data = etree.SubElement(
            element, f"{ns}datafield", tag=found.tag, ind1=found.indicator1, ind2=found.indicator2
        )
        for sub in found.subfields:
            etree.SubElement(data, f"{ns}subfield", code=sub.code).text = sub.value
    return element


def _write_xml(records: tuple[Record, ...], path: Path, flavour: Flavour) -> _Written:
    namespace = MARC21_SLIM if flavour == "marc21" else UNIMARC_SLIM
    with etree.xmlfile(str(path), encoding="UTF-8") as xml:
        xml.write_declaration()
        with xml.element(f"{{{namespace}}}collection", nsmap={None: namespace}):
            for record in records:
                xml.write(record_element(record, namespace), pretty_print=True)
    return _Written(len(records), sum(_item_count(record) for record in records))


def write_marc(
    selection: pd.DataFrame,
    path: str | Path,
    *,
    flavour: Flavour = "marc21",
    container: Container = "iso2709",
    options: ItemOptions | None = None,
) -> MarcExport:
    """Write the selection's records as ISO 2709 (UTF-8) or XML.

    ``container="marcxml"``: MARC 21 records in the MARC21 slim namespace
    (``http://www.loc.gov/MARC21/slim``), UNIMARC records in the UNIMARC slim namespace
    (``info:lc/xmlns/unimarcslim``). A record longer than ISO 2709's 99,999 bytes is left out
    of an ISO 2709 file with a Problem (MARCXML has no limit).
    """
    if container not in ("iso2709", "marcxml"):
        raise UsageError(f"MARC container is 'iso2709' or 'marcxml', not {container!r}.")
    built = build_marc(selection, flavour, options)
    target = Path(path)
    try:
        if container == "iso2709":
            written = _write_iso2709(built.records, target)
        else:
            written = _write_xml(built.records, target, _check_flavour(flavour))
    except OSError as exc:
        raise ExportError(
            f"{target}: cannot write the MARC file ({exc.strerror or exc}). Check that the "
            "folder exists and that there is space left."
        ) from exc
    problems = built.problems + written.problems
    return MarcExport(target, written.records, written.items, problems)


def _control_number(record: Record) -> str | None:
    control = record.get_fields("001")
    return control[0].data if control else None
