"""Build the Al Ram demo catalogues from the hand-curated title lists beside this script.

Run from the repository root::

    /work/main/.venv/bin/python data/demo/build_demo.py

Inputs (hand-written, committed): ``titles_fr.tsv``, ``titles_en.tsv``, ``titles_ar.tsv``,
``titles_academic.tsv`` (real books) and ``publishers.tsv`` (ISBN prefixes, places). Outputs, in
this folder:

1. ``bm_aulnay_dons.unimarc.mrc``: UNIMARC ISO 2709, UTF-8 with leader/09 blank and
   100 $a/26-29 = "50" (a French public library's weeding list offered as a gift);
2. ``donateur_fr.marc21.mrc``: MARC 21 ISO 2709, UTF-8 (leader/09 "a"), with 880 pairs for
   Arabic script (a French donor association);
3. ``english_donor.csv``: cp1252, ";"-delimited (a UK school library's gift);
4. ``librairie_ramallah_prix.xlsx``: an Arab bookseller's price list, Arabic headers, RTL sheet;
5. ``bibliotheque_universitaire.marcxml.xml``: MARCXML (MARC 21 slim), a university library.

Everything is deterministic: one seeded ``random.Random`` per output, no clock. What is
synthetic (ISBNs not marked real, heights, prices, copies) and what is deliberately wrong in
each file is listed in data/README.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import random
import re
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import isbnlib
import openpyxl
from openpyxl.styles import Alignment, Font
from pymarc import Field, Indicators, Leader, Record, Subfield, XMLWriter

HERE = Path(__file__).resolve().parent
SEED = 20250315
#: Fixed "date entered" and 005 stamp, so that rebuilding gives identical bytes.
DATE_ENTERED = "20250315"
STAMP_005 = "20250315120000.0"
FIXED_TIME = dt.datetime(2025, 3, 15, 12, 0, 0)

LANGUAGE_NAMES_FR = {
    "fre": "Français",
    "eng": "Anglais",
    "ara": "Arabe",
    "ger": "Allemand",
    "spa": "Espagnol",
    "swe": "Suédois",
    "nor": "Norvégien",
    "dan": "Danois",
    "dut": "Néerlandais",
    "jpn": "Japonais",
    "rus": "Russe",
    "por": "Portugais",
    "heb": "Hébreu",
}
LANGUAGE_NAMES_EN = {
    "fre": "French",
    "eng": "English",
    "ara": "Arabic",
    "ger": "German",
    "spa": "Spanish",
    "swe": "Swedish",
    "nor": "Norwegian",
    "dan": "Danish",
    "dut": "Dutch",
    "jpn": "Japanese",
    "rus": "Russian",
    "por": "Portuguese",
    "heb": "Hebrew",
}
LANGUAGE_NAMES_AR = {
    "fre": "الفرنسية",
    "eng": "الإنجليزية",
    "ara": "العربية",
    "ger": "الألمانية",
    "spa": "الإسبانية",
    "swe": "السويدية",
    "nor": "النرويجية",
    "dan": "الدنماركية",
    "dut": "الهولندية",
    "jpn": "اليابانية",
    "rus": "الروسية",
    "por": "البرتغالية",
    "heb": "العبرية",
}

# MARC 21 008/22 target audience (LoC bd008b) and 008/33 literary form; UNIMARC 100 $a/17 and
# 105 $a/11 (see reference/norms.md section 5).
MARC21_AUDIENCE = {"early": "a", "children": "c", "teens": "d", "adults": "e"}
UNIMARC_AUDIENCE = {"early": "b", "children": "c", "teens": "e", "adults": "m"}
MARC21_LITERARY_FORM = {
    "picture_books": "1",
    "fiction": "f",
    "comics": "1",
    "tales": "j",
    "poetry": "p",
    "theatre": "d",
    "nonfiction": "0",
    "reference": "0",
    "language_learning": "0",
    "biography": "0",
}
UNIMARC_LITERATURE_CODE = {
    "picture_books": "a",
    "fiction": "a",
    "comics": "a",
    "tales": "f",
    "poetry": "g",
    "theatre": "b",
    "nonfiction": "y",
    "reference": "y",
    "language_learning": "y",
    "biography": "y",
}
#: MARC 21 008/24-27 nature of contents; UNIMARC 105 $a/4-7 form of contents.
MARC21_CONTENTS = {"comics": "6", "reference": "d"}
UNIMARC_CONTENTS = {"comics": "t", "reference": "e"}
MARC21_COUNTRY = {
    "FR": "fr ",
    "BE": "be ",
    "GB": "enk",
    "US": "xxu",
    "CA": "xxc",
    "EG": "ua ",
    "LB": "le ",
    "JO": "jo ",
    "PS": "wj ",
    "AE": "ts ",
    "SE": "sw ",
    "SY": "sy ",
    "KW": "ku ",
    "SA": "su ",
    "DE": "gw ",
}
#: Default Dewey number when a title list leaves it empty (fiction taken out of the 800s for
#: albums, as French public libraries do).
DEFAULT_DEWEY = {
    ("fiction", "fre"): "843",
    ("fiction", "eng"): "823",
    ("fiction", "ara"): "892.73",
    ("poetry", "fre"): "841",
    ("poetry", "eng"): "821",
    ("poetry", "ara"): "892.71",
    ("comics", "fre"): "741.5",
    ("comics", "eng"): "741.5",
    ("comics", "ara"): "741.5",
    ("tales", "fre"): "398.2",
    ("tales", "eng"): "398.2",
    ("tales", "ara"): "398.2",
}
POCKET_IMPRINTS = (
    "Folio",
    "Folio Junior",
    "Le Livre de Poche",
    "Le Livre de Poche Jeunesse",
    "Pocket",
    "Pocket Jeunesse",
    "Points",
    "GF Flammarion",
    "Penguin",
    "Penguin Classics",
    "Penguin Modern Classics",
    "Puffin",
    "Vintage",
    "Arrow",
    "Corgi",
)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Publisher:
    name: str
    isbn_prefix: str
    city: str
    country: str
    name_romanised: str
    city_romanised: str


@dataclass(frozen=True)
class Title:
    pool: str
    title: str
    subtitle: str
    authors: tuple[str, ...]
    publisher: str
    year: int
    language: str
    original_language: str
    original_title: str
    audience: str
    category: str
    dewey: str
    pages: int
    height_cm: float
    price: float
    currency: str
    isbn: str
    isbn_is_real: bool
    title_romanised: str
    authors_romanised: str


def read_tsv(name: str) -> list[dict[str, str]]:
    lines = [
        line for line in (HERE / name).read_text("utf-8").splitlines() if not line.startswith("#")
    ]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def load_publishers() -> dict[str, Publisher]:
    return {
        row["publisher"]: Publisher(
            row["publisher"],
            row["isbn_prefix"],
            row["city"],
            row["country"],
            row["publisher_romanised"],
            row["city_romanised"],
        )
        for row in read_tsv("publishers.tsv")
    }


def stable_random(*parts: object) -> random.Random:
    """A Random seeded by the content it is for, so a title's synthetic data never depends on
    the order in which titles are processed."""
    digest = hashlib.sha256("|".join(map(str, (SEED, *parts))).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def synthetic_isbn13(prefix: str, *salt: object) -> str:
    """A checksum-valid ISBN-13 starting with the publisher's prefix (EAN + group + registrant)."""
    digits = prefix.replace("-", "")
    rng = stable_random("isbn", prefix, *salt)
    body = digits + "".join(str(rng.randrange(10)) for _ in range(12 - len(digits)))
    isbn = body + check_digit13(body)
    assert isbnlib.is_isbn13(isbn), isbn
    return isbn


def check_digit13(body: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body))
    return str((10 - total % 10) % 10)


def safe_mask(isbn: str) -> str:
    """The hyphenated form when the ISBN ranges know the registrant, else the digits."""
    try:
        return isbnlib.mask(isbn) or isbn
    except isbnlib.NotValidISBNError:
        return isbn


def isbn10_of(isbn13: str) -> str | None:
    """The ISBN-10 form of a 978 ISBN-13 (None for 979)."""
    return isbnlib.to_isbn10(isbn13) or None


def estimated_physical(row: dict[str, str], publisher: Publisher) -> tuple[float, float, str]:
    """Height (cm), list price and currency for a title whose list leaves them empty.

    Prices follow reference/norms.md section 7 defaults (French poche EUR 7-9, grand format
    EUR 20-22, album EUR 13-15, BD EUR 12-15; UK paperback GBP 7.99-10.99; Arabic books USD 5-15,
    dictionaries USD 20-40). Heights: poche 18 cm, grand format 21-23 cm, albums 22-30 cm,
    franco-belgian BD 30 cm, reference 24-28 cm.
    """
    rng = stable_random("physical", row["title"], row["publisher"], row["year"])
    category, language = row["category"], row["language"]
    pocket = row["publisher"] in POCKET_IMPRINTS
    manga = row["original_language"] == "jpn"
    if category == "picture_books":
        height = rng.choice([18.0, 22.0, 24.5, 26.0, 27.5, 29.0, 30.0])
    elif category == "comics":
        height = 18.0 if manga else rng.choice([24.0, 29.5, 30.0])
    elif category in ("reference", "nonfiction"):
        height = rng.choice([21.0, 24.0, 25.0, 26.5, 28.0])
    else:
        height = 18.0 if pocket else rng.choice([19.5, 20.5, 21.5, 22.5])
    currency = {"fre": "EUR", "ara": "USD"}.get(language, "GBP")
    if language == "eng" and publisher.country in ("US", "CA"):
        currency = "USD"
    if language not in ("fre", "eng", "ara"):
        currency = "EUR"
    ranges = {
        ("EUR", "picture_books"): (11.9, 15.9),
        ("EUR", "comics"): (10.95, 15.95),
        ("EUR", "reference"): (19.9, 34.9),
        ("EUR", "nonfiction"): (14.9, 26.0),
        ("GBP", "picture_books"): (6.99, 12.99),
        ("GBP", "reference"): (14.99, 39.99),
        ("GBP", "nonfiction"): (9.99, 25.0),
        ("USD", "picture_books"): (8.0, 15.0),
        ("USD", "reference"): (20.0, 40.0),
        ("USD", "nonfiction"): (8.0, 18.0),
        ("USD", "comics"): (12.0, 24.0),
    }
    low, high = ranges.get((currency, category), (0.0, 0.0))
    if high == 0.0:
        if currency == "EUR":
            low, high = (6.5, 9.5) if pocket else (16.0, 22.0)
        elif currency == "GBP":
            low, high = (6.99, 9.99) if pocket else (7.99, 16.99)
        else:
            low, high = (5.0, 12.0)
    price = rng.uniform(low, high)
    price = round(price) - 0.01 if currency == "GBP" else round(price * 2) / 2
    if currency == "EUR" and rng.random() < 0.5:
        price = round(price) - 0.1  # 12,90 €
    return height, round(max(price, 2.5), 2), currency


def load_titles(publishers: dict[str, Publisher]) -> dict[str, list[Title]]:
    pools: dict[str, list[Title]] = {}
    for pool in ("fr", "en", "ar", "academic"):
        titles = []
        for row in read_tsv(f"titles_{pool}.tsv"):
            publisher = publishers[row["publisher"]]
            height, price, currency = estimated_physical(row, publisher)
            real = bool(row["isbn"])
            isbn = row["isbn"] or synthetic_isbn13(
                publisher.isbn_prefix, row["title"], row["publisher"], row["year"]
            )
            if real:
                assert isbnlib.is_isbn13(isbn), f"{row['title']}: invalid real ISBN {isbn}"
            titles.append(
                Title(
                    pool=pool,
                    title=row["title"],
                    subtitle=row["subtitle"],
                    authors=tuple(a.strip() for a in row["authors"].split(";") if a.strip()),
                    publisher=row["publisher"],
                    year=int(row["year"]),
                    language=row["language"],
                    original_language=row["original_language"],
                    original_title=row["original_title"],
                    audience=row["audience"],
                    category=row["category"],
                    dewey=row["dewey"] or DEFAULT_DEWEY.get((row["category"], row["language"]), ""),
                    pages=int(row["pages"]),
                    height_cm=float(row["height_cm"]) if row["height_cm"] else height,
                    price=float(row["price"]) if row["price"] else price,
                    currency=row["currency"] or currency,
                    isbn=isbn,
                    isbn_is_real=real,
                    title_romanised=row["title_romanised"],
                    authors_romanised=row["authors_romanised"],
                )
            )
        pools[pool] = titles
    return pools


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True)
class Entry:
    """One record of one output file: a title plus how this source wrote it."""

    title: Title
    isbn: str | None  # None: the source gives no ISBN
    title_text: str  # as the source spells it
    copies: int = 1
    edition_note: str = ""
    defect: str = ""  # a deliberate defect (see data/README.md)


def other_edition(title: Title, rng: random.Random, publishers: dict[str, Publisher]) -> Title:
    """The same work in another edition: a later year, a new ISBN from the same publisher."""
    year = min(2024, title.year + rng.randint(3, 15))
    isbn = synthetic_isbn13(publishers[title.publisher].isbn_prefix, title.title, year, "edition")
    return replace(title, year=year, isbn=isbn, isbn_is_real=False)


def respelled(text: str, rng: random.Random) -> str:
    """How another cataloguer might type the same title: capitalisation or a postposed article."""
    choice = rng.random()
    words = text.split(" ")
    if choice < 0.5 and text.isascii():
        return " ".join(w[:1].upper() + w[1:] for w in words)
    if choice < 0.75 and words and words[0] in ("Le", "La", "Les") and len(words) > 1:
        return f"{' '.join(words[1:])} ({words[0]})"
    return text.upper() if text.isascii() else text


# --------------------------------------------------------------------------- UNIMARC


def unimarc_leader() -> Leader:
    """UNIMARC leader: n(ew) a(language material) m(onograph) 0 (hierarchical level), position 9
    blank (undefined in UNIMARC), 22, 18 "i" (ISBD), 20-23 "450 "."""
    leader = "00000nam0 2200000 i 450 "
    assert len(leader) == 24
    return Leader(leader)


def unimarc_name(name: str) -> list[Subfield]:
    """UNIMARC 700 $a entry element / $b rest of the name, from "Surname, Forenames"."""
    surname, _, forenames = name.partition(",")
    subfields = [Subfield("a", surname.strip())]
    if forenames.strip():
        subfields.append(Subfield("b", forenames.strip()))
    return subfields


def unimarc_record(entry: Entry, number: int, publishers: dict[str, Publisher]) -> Record:
    t = entry.title
    publisher = publishers[t.publisher]
    record = Record(to_unicode=False, force_utf8=False)
    record.leader = unimarc_leader()
    record.force_utf8 = True  # write UTF-8 while leader/09 stays blank, as UNIMARC exports do
    record.add_field(Field(tag="001", data=f"AUL{number:06d}"))
    if entry.isbn:
        isbn_text = safe_mask(entry.isbn) if number % 3 else entry.isbn
        subfields = [Subfield("a", isbn_text), Subfield("b", "br.")]
        subfields.append(Subfield("d", f"{t.price:.2f} {t.currency}".replace(".", ",")))
        record.add_field(Field(tag="010", indicators=Indicators(" ", " "), subfields=subfields))
    script = "fa" if t.language == "ara" else "ba"
    audience = "|" if entry.defect == "audience_not_coded" else UNIMARC_AUDIENCE[t.audience]
    field_100 = f"{DATE_ENTERED}d{t.year:04d}    {audience}  y0frey50      {script}"
    assert len(field_100) == 36, field_100
    record.add_field(
        Field(tag="100", indicators=Indicators(" ", " "), subfields=[Subfield("a", field_100)])
    )
    translated = bool(t.original_language) and t.original_language != t.language
    if entry.defect != "no_101":
        subfields = [Subfield("a", t.language)]
        if translated:
            subfields.append(Subfield("c", t.original_language))
        record.add_field(
            Field(
                tag="101",
                indicators=Indicators("1" if translated else "0", " "),
                subfields=subfields,
            )
        )
    record.add_field(
        Field(
            tag="102", indicators=Indicators(" ", " "), subfields=[Subfield("a", publisher.country)]
        )
    )
    illus = "a   " if t.category in ("picture_books", "comics") else "y   "
    contents = UNIMARC_CONTENTS.get(t.category, " ").ljust(4)
    bio = "b" if t.category == "biography" else "y"
    field_105 = f"{illus}{contents}000{UNIMARC_LITERATURE_CODE[t.category]}{bio}"
    assert len(field_105) == 13
    record.add_field(
        Field(tag="105", indicators=Indicators(" ", " "), subfields=[Subfield("a", field_105)])
    )
    title_subfields = [Subfield("a", entry.title_text)]
    if t.subtitle:
        title_subfields.append(Subfield("e", t.subtitle))
    if t.authors:
        title_subfields.append(Subfield("f", natural_name(t.authors[0])))
    for other in t.authors[1:]:
        title_subfields.append(Subfield("g", natural_name(other)))
    record.add_field(Field(tag="200", indicators=Indicators("1", " "), subfields=title_subfields))
    record.add_field(
        Field(
            tag="210",
            indicators=Indicators(" ", " "),
            subfields=[
                Subfield("a", publisher.city),
                Subfield("c", t.publisher),
                Subfield("d", str(t.year)),
            ],
        )
    )
    physical = [Subfield("a", f"{t.pages} p.")]
    if t.category in ("picture_books", "comics"):
        physical.append(Subfield("c", "ill. en coul."))
    physical.append(Subfield("d", f"{t.height_cm:g} cm"))
    record.add_field(Field(tag="215", indicators=Indicators(" ", " "), subfields=physical))
    if translated and t.original_title:
        record.add_field(
            Field(
                tag="500",
                indicators=Indicators("1", "0"),
                subfields=[
                    Subfield("a", t.original_title),
                    Subfield("m", LANGUAGE_NAMES_FR.get(t.language, t.language)),
                ],
            )
        )
    if t.dewey:
        record.add_field(
            Field(
                tag="676",
                indicators=Indicators(" ", " "),
                subfields=[Subfield("a", t.dewey), Subfield("v", "23"), Subfield("z", "fre")],
            )
        )
    names = (
        [t.authors_romanised] if t.language == "ara" and t.authors_romanised else list(t.authors)
    )
    if t.language == "ara" and t.authors_romanised:
        names += list(t.authors[1:])
    for position, name in enumerate(names):
        tag = "700" if position == 0 else "701"
        relator = "070" if position == 0 else ("440" if t.category == "picture_books" else "070")
        record.add_field(
            Field(
                tag=tag,
                indicators=Indicators(" ", "1"),
                subfields=[*unimarc_name(name), Subfield("4", relator)],
            )
        )
    record.add_field(
        Field(
            tag="801",
            indicators=Indicators(" ", "0"),
            subfields=[
                Subfield("a", "FR"),
                Subfield("b", "Médiathèques d'Aulnay-sous-Bois"),
                Subfield("c", DATE_ENTERED),
            ],
        )
    )
    if entry.copies > 1:
        record.add_field(
            Field(
                tag="995",
                indicators=Indicators(" ", " "),
                subfields=[Subfield("b", "AUL"), Subfield("n", f"{entry.copies} ex.")],
            )
        )
    return record


def natural_name(name: str) -> str:
    """ "Surname, Forenames" → "Forenames Surname" (statement of responsibility)."""
    surname, comma, forenames = name.partition(",")
    return f"{forenames.strip()} {surname.strip()}" if comma else name


# --------------------------------------------------------------------------- MARC 21


def marc21_leader() -> Leader:
    """MARC 21: n a m, leader/09 "a" (UCS/Unicode), 18 "i" (ISBD punctuation), 20-23 "4500"."""
    return Leader("00000nam a2200000 i 4500")


def field_008(t: Title, country: str, defect: str) -> str:
    audience = "|" if defect == "audience_not_coded" else MARC21_AUDIENCE[t.audience]
    contents = MARC21_CONTENTS.get(t.category, " ").ljust(4)
    illus = "a   " if t.category in ("picture_books", "comics", "nonfiction") else "    "
    language = "   " if defect == "blank_008_language" else t.language
    if defect == "und_008_language":
        language = "und"
    bio = "b" if t.category == "biography" else " "
    value = (
        f"{DATE_ENTERED[2:]}s{t.year:04d}    {country}{illus}{audience} {contents} 000 "
        f"{MARC21_LITERARY_FORM[t.category]}{bio}{language} d"
    )
    assert len(value) == 40, (value, len(value))
    return value


def isbd_title_subfields(title_text: str, t: Title, responsibility: str) -> list[Subfield]:
    """MARC 21 245 with ISBD punctuation at the end of each subfield (AACR2/RDA practice)."""
    subfields = []
    if t.subtitle:
        subfields.append(Subfield("a", f"{title_text} :"))
        subfields.append(Subfield("b", f"{t.subtitle} /" if responsibility else f"{t.subtitle}."))
    else:
        subfields.append(Subfield("a", f"{title_text} /" if responsibility else f"{title_text}."))
    if responsibility:
        subfields.append(Subfield("c", f"{responsibility}."))
    return subfields


def marc21_record(
    entry: Entry,
    control: str,
    publishers: dict[str, Publisher],
    *,
    use_264: bool,
    names_in: str,
) -> Record:
    """A MARC 21 bibliographic record; Arabic titles get 245/880 (and 100/880, 264/880) pairs
    with $6 linkage and script code "(3" right-to-left (MARC 21 880, 066 $c)."""
    t = entry.title
    publisher = publishers[t.publisher]
    record = Record(to_unicode=True, force_utf8=True)
    record.leader = marc21_leader()
    record.add_field(Field(tag="001", data=control))
    record.add_field(Field(tag="005", data=STAMP_005))
    country = MARC21_COUNTRY.get(publisher.country, "xx ")
    record.add_field(Field(tag="008", data=field_008(t, country, entry.defect)))
    if entry.isbn:
        isbn = entry.isbn
        if t.year < 2007 and isbn.startswith("978") and (hash_int(isbn) % 2 == 0):
            isbn = isbn10_of(isbn) or isbn
        qualifier = "relié" if t.category in ("picture_books", "comics") else "broché"
        if names_in == "en":
            qualifier = "hardback" if t.category in ("picture_books", "reference") else "paperback"
        subfields = [Subfield("a", isbn), Subfield("q", qualifier)]
        if t.price and names_in == "fr":
            subfields.append(Subfield("c", f"{t.price:.2f} {t.currency}".replace(".", ",")))
        record.add_field(Field(tag="020", indicators=Indicators(" ", " "), subfields=subfields))
    if entry.defect == "cancelled_isbn":
        record.add_field(
            Field(
                tag="020",
                indicators=Indicators(" ", " "),
                subfields=[
                    Subfield("z", synthetic_isbn13(publisher.isbn_prefix, "cancelled", t.title))
                ],
            )
        )
    arabic = t.language == "ara" and bool(t.title_romanised)
    catalogue_language = "fre" if names_in == "fr" else "eng"
    record.add_field(
        Field(
            tag="040",
            indicators=Indicators(" ", " "),
            subfields=[
                Subfield("a", "FR-DON" if names_in == "fr" else "UK-UNIV"),
                Subfield("b", catalogue_language),
                Subfield("e", "rda"),
            ],
        )
    )
    translated = bool(t.original_language) and t.original_language != t.language
    if translated:
        record.add_field(
            Field(
                tag="041",
                indicators=Indicators("1", " "),
                subfields=[Subfield("a", t.language), Subfield("h", t.original_language)],
            )
        )
    if arabic:
        record.add_field(
            Field(tag="066", indicators=Indicators(" ", " "), subfields=[Subfield("c", "(3")])
        )
    if t.dewey:
        record.add_field(
            Field(
                tag="082",
                indicators=Indicators("0", "4"),
                subfields=[Subfield("a", t.dewey), Subfield("2", "23")],
            )
        )
    linkage = iter(range(1, 10))
    pairs: list[Field] = []
    first_author = t.authors[0] if t.authors else ""
    if first_author:
        if arabic and t.authors_romanised:
            occurrence = next(linkage)
            record.add_field(
                Field(
                    tag="100",
                    indicators=Indicators("1", " "),
                    subfields=[
                        Subfield("6", f"880-{occurrence:02d}"),
                        Subfield("a", f"{t.authors_romanised},"),
                        Subfield("e", "author."),
                    ],
                )
            )
            pairs.append(
                Field(
                    tag="880",
                    indicators=Indicators("1", " "),
                    subfields=[
                        Subfield("6", f"100-{occurrence:02d}/(3/r"),
                        Subfield("a", f"{inverted_arabic_name(first_author, t)}،"),
                        Subfield("e", "مؤلف."),
                    ],
                )
            )
        elif t.language == "ara" and not first_author.isascii():
            record.add_field(
                Field(
                    tag="100",
                    indicators=Indicators("0", " "),
                    subfields=[Subfield("a", first_author), Subfield("e", "author.")],
                )
            )
        else:
            role = "auteur." if names_in == "fr" else "author."
            record.add_field(
                Field(
                    tag="100",
                    indicators=Indicators("1", " "),
                    subfields=[Subfield("a", f"{first_author},"), Subfield("e", role)],
                )
            )
    if translated and t.original_title:
        language_names = LANGUAGE_NAMES_FR if names_in == "fr" else LANGUAGE_NAMES_EN
        subfields = [
            Subfield("a", f"{t.original_title}."),
            Subfield("l", language_names.get(t.language, t.language)),
        ]
        record.add_field(Field(tag="240", indicators=Indicators("1", "0"), subfields=subfields))
    responsibility = " ; ".join(natural_name(a) for a in t.authors)
    if arabic:
        occurrence = next(linkage)
        romanised_subtitle = ""
        title_field = Field(
            tag="245",
            indicators=Indicators("1", "0"),
            subfields=[
                Subfield("6", f"880-{occurrence:02d}"),
                *isbd_title_subfields(
                    t.title_romanised,
                    replace(t, subtitle=romanised_subtitle),
                    natural_name(t.authors_romanised) if t.authors_romanised else "",
                ),
            ],
        )
        record.add_field(title_field)
        pairs.append(
            Field(
                tag="880",
                indicators=Indicators("1", "0"),
                subfields=[
                    Subfield("6", f"245-{occurrence:02d}/(3/r"),
                    *isbd_title_subfields(entry.title_text, t, responsibility),
                ],
            )
        )
    else:
        skip = article_skip(entry.title_text)
        record.add_field(
            Field(
                tag="245",
                indicators=Indicators("1", str(skip)),
                subfields=isbd_title_subfields(entry.title_text, t, responsibility),
            )
        )
    if entry.edition_note:
        record.add_field(
            Field(
                tag="250",
                indicators=Indicators(" ", " "),
                subfields=[Subfield("a", entry.edition_note)],
            )
        )
    place = publisher.city_romanised if arabic and publisher.city_romanised else publisher.city
    name = publisher.name_romanised if arabic and publisher.name_romanised else t.publisher
    publication = [
        Subfield("a", f"{place} :"),
        Subfield("b", f"{name},"),
        Subfield("c", f"{t.year}."),
    ]
    if arabic and publisher.name_romanised:
        occurrence = next(linkage)
        publication = [Subfield("6", f"880-{occurrence:02d}"), *publication]
        pairs.append(
            Field(
                tag="880",
                indicators=Indicators(" ", "1"),
                subfields=[
                    Subfield("6", f"264-{occurrence:02d}/(3/r"),
                    Subfield("a", f"{publisher.city} :"),
                    Subfield("b", f"{t.publisher}،"),
                    Subfield("c", f"{t.year}."),
                ],
            )
        )
    if use_264:
        record.add_field(Field(tag="264", indicators=Indicators(" ", "1"), subfields=publication))
    else:
        record.add_field(
            Field(
                tag="260",
                indicators=Indicators(" ", " "),
                subfields=[s for s in publication if s.code != "6"] if not arabic else publication,
            )
        )
    extent = "p." if names_in == "fr" else "pages"
    physical = [Subfield("a", f"{t.pages} {extent} ;")]
    if t.category in ("picture_books", "comics"):
        physical = [
            Subfield("a", f"{t.pages} {extent} :"),
            Subfield("b", "ill. en coul. ;" if names_in == "fr" else "colour illustrations ;"),
        ]
    physical.append(Subfield("c", f"{t.height_cm:g} cm"))
    record.add_field(Field(tag="300", indicators=Indicators(" ", " "), subfields=physical))
    for other in t.authors[1:]:
        role = (
            "illustrateur."
            if t.category == "picture_books" and names_in == "fr"
            else (
                "illustrator."
                if t.category == "picture_books"
                else ("auteur." if names_in == "fr" else "author.")
            )
        )
        ind1 = "1" if "," in other else "0"
        record.add_field(
            Field(
                tag="700",
                indicators=Indicators(ind1, " "),
                subfields=[
                    Subfield("a", f"{other}," if ind1 == "1" else other),
                    Subfield("e", role),
                ],
            )
        )
    for pair in pairs:
        record.add_field(pair)
    return record


def inverted_arabic_name(name: str, t: Title) -> str:
    """An Arabic-script name in heading order ("شرف الدين، فاطمة"), the surname being as many
    words as the romanised heading's surname ("Sharaf al-Dīn, Fāṭimah"). Names of translated
    foreign authors stay in natural order: their Arabic transcription does not split that way."""
    surname = t.authors_romanised.split(",")[0].split()
    words = name.split()
    if t.original_language or "," not in t.authors_romanised or len(surname) >= len(words):
        return name
    return f"{' '.join(words[-len(surname) :])}، {' '.join(words[: -len(surname)])}"


ARTICLES_SKIP = ("The ", "A ", "An ", "Le ", "La ", "Les ", "Un ", "Une ", "Des ", "L'", "L’")


def article_skip(title: str) -> int:
    """MARC 21 245 ind2: number of nonfiling characters of a leading article."""
    for article in ARTICLES_SKIP:
        if title.startswith(article):
            return len(article)
    return 0


def hash_int(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


# --------------------------------------------------------------------------- file plans


def plan_unimarc(pools: dict[str, list[Title]], rng: random.Random) -> list[Entry]:
    """Aulnay's weeding list: most French titles, English youth titles, a few Arabic titles,
    some adult documentaires; duplicates of popular titles appear as several copies."""
    chosen = [t for t in pools["fr"] if rng.random() < 0.92]
    chosen += [t for t in pools["en"] if t.audience != "adults" and rng.random() < 0.45]
    chosen += [t for t in pools["en"] if t.audience == "adults" and rng.random() < 0.2]
    chosen += rng.sample([t for t in pools["ar"] if t.audience != "adults"], 14)
    chosen += rng.sample([t for t in pools["ar"] if t.audience == "adults"], 12)
    chosen += [t for t in pools["academic"] if t.language == "fre" and rng.random() < 0.5]
    entries = [Entry(t, t.isbn, t.title) for t in chosen]
    # Weeded duplicates: the same edition listed again as a separate record (another copy).
    for t in rng.sample(chosen, 40):
        entries.append(Entry(t, t.isbn, t.title, copies=rng.randint(2, 3)))
    rng.shuffle(entries)
    defects = ["invalid_isbn", "no_101", "no_101", "audience_not_coded", "audience_not_coded"]
    for index, defect in zip(rng.sample(range(len(entries)), len(defects)), defects, strict=True):
        entry = entries[index]
        if defect == "invalid_isbn" and entry.isbn:
            entries[index] = replace(entry, isbn=typo_check_digit(entry.isbn), defect=defect)
        else:
            entries[index] = replace(entry, defect=defect)
    return entries


def plan_marc21(
    pools: dict[str, list[Title]],
    rng: random.Random,
    shared_with: list[Entry],
    publishers: dict[str, Publisher],
) -> list[Entry]:
    """The French donor: overlaps the Aulnay list (same ISBN, or the same work in another
    edition, or no ISBN at all), plus English, Arabic (880 pairs) and academic titles."""
    aulnay_titles = list(dict.fromkeys(e.title for e in shared_with))
    entries: list[Entry] = []
    for t in rng.sample(aulnay_titles, 150):
        roll = rng.random()
        if roll < 0.6:
            text = respelled(t.title, rng) if rng.random() < 0.25 else t.title
            entries.append(Entry(t, t.isbn, text))
        elif roll < 0.85:
            edition = other_edition(t, rng, publishers)
            entries.append(Entry(edition, edition.isbn, t.title, edition_note="Nouvelle édition."))
        else:
            entries.append(Entry(t, None, t.title))  # an old copy with no ISBN recorded
    fresh_fr = [t for t in pools["fr"] if t not in aulnay_titles]
    entries += [Entry(t, t.isbn, t.title) for t in fresh_fr]
    entries += [Entry(t, t.isbn, t.title) for t in rng.sample(pools["en"], 130)]
    entries += [
        Entry(t, t.isbn, t.title)
        for t in rng.sample([t for t in pools["ar"] if t.title_romanised], 75)
    ]
    entries += [Entry(t, t.isbn, t.title) for t in rng.sample(pools["academic"], 30)]
    seen: set[tuple[str, str]] = set()
    unique = []
    for entry in entries:
        key = (entry.title.title, entry.isbn or "")
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    rng.shuffle(unique)
    defects = [
        "blank_008_language",
        "blank_008_language",
        "und_008_language",
        "cancelled_isbn",
        "audience_not_coded",
        "audience_not_coded",
        "audience_not_coded",
    ]
    for index, defect in zip(rng.sample(range(len(unique)), len(defects)), defects, strict=True):
        unique[index] = replace(unique[index], defect=defect)
    return unique


def typo_check_digit(isbn: str) -> str:
    """The same ISBN with a wrong check digit (a typing error)."""
    last = isbn[-1]
    wrong = "0" if last == "9" else str(int(last) + 1) if last.isdigit() else "1"
    return isbn[:-1] + wrong


# --------------------------------------------------------------------------- writers


def write_iso2709(path: Path, records: list[Record]) -> bytes:
    data = b"".join(record.as_marc() for record in records)
    path.write_bytes(data)
    return data


def build_unimarc(pools, publishers) -> list[Entry]:
    rng = random.Random(SEED + 1)
    entries = plan_unimarc(pools, rng)
    records = [unimarc_record(e, n, publishers) for n, e in enumerate(entries, 1)]
    data = write_iso2709(HERE / "bm_aulnay_dons.unimarc.mrc", records)
    assert all(chunk[9:10] == b" " for chunk in split_records(data)), "leader/09 must be blank"
    return entries


def split_records(data: bytes) -> list[bytes]:
    return [chunk for chunk in data.split(b"\x1d") if chunk]


def build_marc21(pools, publishers, aulnay: list[Entry]) -> list[Entry]:
    rng = random.Random(SEED + 2)
    entries = plan_marc21(pools, rng, aulnay, publishers)
    records = [
        marc21_record(e, f"DFR{n:05d}", publishers, use_264=(n % 3 != 0), names_in="fr")
        for n, e in enumerate(entries, 1)
    ]
    write_iso2709(HERE / "donateur_fr.marc21.mrc", records)
    return entries


CSV_AUDIENCE = {
    ("early", True): "Early Years",
    ("early", False): "Early Years",
    ("children", True): "KS1",
    ("children", False): "KS2",
    ("teens", True): "KS3",
    ("teens", False): "KS4",
    ("adults", True): "Adult",
    ("adults", False): "Staff / Adult",
}
CSV_GENRE = {
    "picture_books": "Picture book",
    "fiction": "Fiction",
    "comics": "Graphic novel",
    "tales": "Folk tales",
    "poetry": "Poetry",
    "theatre": "Drama",
    "nonfiction": "Non-fiction",
    "reference": "Reference",
    "language_learning": "Languages",
    "biography": "Biography",
}
#: Names as a UK school's spreadsheet would have typed them, with cp1252 accents.
CSV_EXTRA_ROWS = [
    ("The Diary of a Young Girl", "Anne Frank", "Penguin", "Biography"),
]


def csv_isbn(isbn: str, rng: random.Random) -> str:
    """How a school spreadsheet holds ISBNs: ISBN-10 for older books, hyphens sometimes."""
    isbn10 = isbn10_of(isbn)
    use_isbn10 = isbn10 is not None and (isbn10.endswith("X") or rng.random() < 0.4)
    value = isbn10 if use_isbn10 and isbn10 else isbn
    if rng.random() < 0.25:
        value = safe_mask(value)
    return value


def build_csv(pools, publishers) -> tuple[dict[str, int], list[Title]]:
    rng = random.Random(SEED + 3)
    english = [t for t in pools["en"]]
    french = rng.sample([t for t in pools["fr"] if t.audience != "adults"], 45)
    rows: list[list[str]] = []
    listed: list[Title] = []
    for t in english + french:
        listed.append(t)
        authors = " & ".join(natural_name(a) for a in t.authors)
        audience = CSV_AUDIENCE[(t.audience, rng.random() < 0.5)]
        rows.append(
            [
                t.title + (f": {t.subtitle}" if t.subtitle and rng.random() < 0.5 else ""),
                authors,
                csv_isbn(t.isbn, rng),
                t.publisher,
                str(t.year),
                str(t.pages),
                audience,
                CSV_GENRE[t.category],
                str(rng.choice([1, 1, 1, 2, 2, 3, 5])),
            ]
        )
    # The same book entered twice by two teachers (hardback and paperback, or just twice).
    for t in rng.sample(english, 40):
        listed.append(t)
        isbn = (
            t.isbn
            if rng.random() < 0.5
            else synthetic_isbn13(publishers[t.publisher].isbn_prefix, t.title, "paperback")
        )
        rows.append(
            [
                t.title,
                " & ".join(natural_name(a) for a in t.authors),
                csv_isbn(isbn, rng),
                t.publisher,
                str(t.year + rng.choice([0, 1, 2])),
                str(t.pages),
                CSV_AUDIENCE[(t.audience, True)],
                CSV_GENRE[t.category],
                "1",
            ]
        )
    rng.shuffle(rows)
    # Deliberate problems: two typo'd check digits, one empty title, one "n.d." year.
    isbn_rows = [i for i, r in enumerate(rows) if r[2]]
    for index in rng.sample(isbn_rows, 2):
        digits = rows[index][2].replace("-", "")
        rows[index][2] = typo_check_digit(digits)
    rows[rng.randrange(len(rows))][0] = ""
    rows[rng.randrange(len(rows))][4] = "n.d."
    x_count = sum(r[2].replace("-", "").endswith("X") for r in rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["Title", "Author", "ISBN", "Publisher", "Year", "Pages", "Audience", "Genre", "Copies"]
    )
    writer.writerows(rows)
    (HERE / "english_donor.csv").write_bytes(buffer.getvalue().encode("cp1252"))
    return {"rows": len(rows), "isbn10_ending_x": x_count}, listed


XLSX_AUDIENCE = {
    "early": "0-5 سنوات",
    "children": "6-11 سنة",
    "teens": "12-17 سنة",
    "adults": "كبار",
}
XLSX_TYPE = {
    "picture_books": "قصة مصورة",
    "fiction": "رواية",
    "comics": "قصص مصورة (كوميكس)",
    "tales": "حكايات شعبية",
    "poetry": "شعر",
    "theatre": "مسرح",
    "nonfiction": "كتاب معرفي",
    "reference": "مرجع",
    "language_learning": "تعلم اللغات",
    "biography": "سيرة",
}
SHEET_TITLE = (
    "مكتبة رام الله للكتاب — قائمة أسعار الكتب 2025 (الأسعار بالدولار الأمريكي أو الدينار الأردني)"
)
#: Jordanian dinar per US dollar (JOD is pegged at 0.709 to the dollar since 1995).
JOD_PER_USD = 0.709
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def xlsx_price(t: Title, publishers: dict[str, Publisher], rng: random.Random) -> tuple[float, str]:
    country = publishers[t.publisher].country
    usd = {"USD": t.price, "EUR": t.price * 1.08, "GBP": t.price * 1.27}.get(t.currency, t.price)
    local = country in ("JO", "PS") or (t.language == "ara" and rng.random() < 0.35)
    if local:  # the shop quotes local and much of its Arabic stock in dinars
        return round(usd * JOD_PER_USD * 2) / 2, "JOD"
    return round((usd * 1.15 + rng.choice([0, 0.5, 1])) * 2) / 2, "USD"  # imported: + transport


def build_xlsx(pools, publishers) -> tuple[dict[str, int], list[Title]]:
    rng = random.Random(SEED + 4)
    chosen = list(pools["ar"]) + [t for t in pools["academic"] if t.language == "ara"]
    chosen += rng.sample([t for t in pools["en"] if t.category != "language_learning"], 110)
    chosen += [t for t in pools["en"] if t.category == "language_learning"]
    chosen += rng.sample(pools["fr"], 50)
    rows = []
    for t in chosen:
        price, currency = xlsx_price(t, publishers, rng)
        rows.append((t, t.isbn, price, currency, ""))
    # Popular titles listed twice: hardcover and paperback, two ISBNs, two prices.
    for t in rng.sample(pools["ar"], 55):
        isbn = synthetic_isbn13(publishers[t.publisher].isbn_prefix, t.title, "hardcover")
        price, currency = xlsx_price(t, publishers, rng)
        rows.append((t, isbn, round(price * 1.6 * 2) / 2, currency, "مجلد"))
    rng.shuffle(rows)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "قائمة الأسعار"
    sheet.sheet_view.rightToLeft = True
    sheet["A1"] = SHEET_TITLE
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.merge_cells("A1:L1")
    headers = [
        "العنوان",
        "المؤلف",
        "الناشر",
        "ردمك",
        "السعر",
        "العملة",
        "الفئة العمرية",
        "النوع",
        "سنة النشر",
        "عدد الصفحات",
        "العنوان الأصلي",
        "اللغة الأصلية",
    ]
    sheet.append([])
    sheet.append(headers)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    numeric_isbns = arabic_digit_years = on_request = 0
    for t, isbn, price, currency, binding in rows:
        title = f"{t.title} ({binding})" if binding else t.title
        if t.subtitle and t.language == "ara" and rng.random() < 0.3:
            title = f"{title}: {t.subtitle}"
        isbn_cell: object = isbn if rng.random() < 0.7 else safe_mask(isbn)
        if rng.random() < 0.08:
            isbn_cell = int(isbn)  # typed into Excel as a number
            numeric_isbns += 1
        year_cell: object = t.year
        if t.language == "ara" and rng.random() < 0.1:
            year_cell = str(t.year).translate(ARABIC_INDIC)
            arabic_digit_years += 1
        price_cell: object = price
        if on_request == 0 and t.category == "reference" and t.language == "ara":
            price_cell = "حسب الطلب"  # "on request": no number
            on_request += 1
        translated = bool(t.original_language) and t.original_language != t.language
        sheet.append(
            [
                title,
                " ; ".join(t.authors),
                t.publisher,
                isbn_cell,
                price_cell,
                currency,
                XLSX_AUDIENCE[t.audience],
                XLSX_TYPE[t.category],
                year_cell,
                t.pages,
                t.original_title if translated else "",
                LANGUAGE_NAMES_AR.get(t.original_language, "") if translated else "",
            ]
        )
    for column, width in zip(
        "ABCDEFGHIJKL", [48, 30, 30, 20, 9, 8, 12, 18, 10, 11, 36, 12], strict=True
    ):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A4"
    workbook.properties.creator = "مكتبة رام الله للكتاب"
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    path = HERE / "librairie_ramallah_prix.xlsx"
    workbook.save(path)
    normalise_zip_times(path)
    stats = {
        "rows": len(rows),
        "numeric_isbns": numeric_isbns,
        "arabic_digit_years": arabic_digit_years,
        "price_on_request": on_request,
    }
    return stats, [row[0] for row in rows]


def normalise_zip_times(path: Path) -> None:
    """Rewrite the XLSX zip with fixed member timestamps, so rebuilding gives identical bytes."""
    source = zipfile.ZipFile(path)
    members = [(info, source.read(info)) for info in source.infolist()]
    source.close()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in members:
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" at save time
                data = re.sub(
                    rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>",
                    rb"<dcterms:modified\1>"
                    + FIXED_TIME.isoformat().encode()
                    + rb"Z</dcterms:modified>",
                    data,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, data)


def build_marcxml(pools, publishers) -> list[Entry]:
    rng = random.Random(SEED + 5)
    chosen = list(pools["academic"])
    chosen += rng.sample(
        [t for t in pools["ar"] if t.audience == "adults" and t.title_romanised], 70
    )
    chosen += rng.sample([t for t in pools["en"] if t.audience == "adults"], 48)
    chosen += [
        t
        for t in pools["fr"]
        if t.category in ("nonfiction", "reference") and t.audience == "adults"
    ]
    entries = [Entry(t, t.isbn if rng.random() < 0.93 else None, t.title) for t in chosen]
    rng.shuffle(entries)
    path = HERE / "bibliotheque_universitaire.marcxml.xml"
    with path.open("wb") as handle:
        writer = XMLWriter(handle)
        for n, entry in enumerate(entries, 1):
            writer.write(
                marc21_record(entry, f"BU{n:06d}", publishers, use_264=True, names_in="en")
            )
        writer.close(close_fh=False)
    return entries


# --------------------------------------------------------------------------- main


def summary(titles: list[Title]) -> str:
    """Counts per language, audience and category, for the README and the build log."""
    parts = []
    for attribute in ("language", "audience", "category"):
        counts: dict[str, int] = {}
        for t in titles:
            value = getattr(t, attribute)
            counts[value] = counts.get(value, 0) + 1
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        parts.append(f"  {attribute}: " + ", ".join(f"{k} {v}" for k, v in ordered))
    return "\n".join(parts)


def main() -> None:
    publishers = load_publishers()
    pools = load_titles(publishers)
    aulnay = build_unimarc(pools, publishers)
    donor = build_marc21(pools, publishers, aulnay)
    csv_stats, csv_titles = build_csv(pools, publishers)
    xlsx_stats, xlsx_titles = build_xlsx(pools, publishers)
    university = build_marcxml(pools, publishers)
    real = sorted({t.isbn for pool in pools.values() for t in pool if t.isbn_is_real})
    print(
        f"titles: {', '.join(f'{k} {len(v)}' for k, v in pools.items())}; real ISBNs: {len(real)}"
    )
    outputs = [
        ("bm_aulnay_dons.unimarc.mrc", [e.title for e in aulnay], {}),
        ("donateur_fr.marc21.mrc", [e.title for e in donor], {}),
        ("english_donor.csv", csv_titles, csv_stats),
        ("librairie_ramallah_prix.xlsx", xlsx_titles, xlsx_stats),
        ("bibliotheque_universitaire.marcxml.xml", [e.title for e in university], {}),
    ]
    total = 0
    for name, titles, stats in outputs:
        total += len(titles)
        extra = f" {stats}" if stats else ""
        print(f"{name}: {len(titles)} records{extra}\n{summary(titles)}")
    print(f"all files: {total} records")


if __name__ == "__main__":
    main()
