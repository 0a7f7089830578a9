"""Read donor / vendor tables (CSV, TSV, XLSX) into RawRow dicts, one per data row.

The pipeline for one file, each step a small function:

1. bytes -> text (:func:`decode_text`): a byte-order mark, UTF-16 without one, valid UTF-8,
   else the best-scoring of Windows-1252, Windows-1256 and ISO-8859-6 (:data:`LEGACY_ENCODINGS`);
2. text -> rows (:func:`sniff_delimiter` among ``, ; TAB |`` then :mod:`csv`), or an XLSX
   sheet -> rows (openpyxl, read-only, cached formula values, every cell as text);
3. the header row (:func:`find_header_row`: the first of the first rows with two known
   headers) and the column plan (:func:`plan_columns`: header -> RawRow key, from
   ``reference/headers.toml`` through :func:`recognise_headers`, overridden by a mapping TOML
   loaded with :func:`load_mapping`);
4. each data row -> a RawRow (:func:`build_row`), or an ERROR :class:`Problem` naming the row.

``record_no`` is the row number a librarian sees: the spreadsheet row in XLSX, and for CSV
the *physical line number where the row starts* (what a text editor shows; equal to the
spreadsheet row unless a cell above holds a line break). The header row counts, so the first
data row under a header on line 1 is 2. Entirely blank rows are skipped silently.

Values stay raw, stripped text (no number parsing, except grams -> kg under a "Poids (g)"
header). Lists: ``authors`` split on ``;``, `` / `` and the Arabic comma; ``isbns`` on ``; , |``
and on whitespace when every piece holds ≥ 10 digits ("978 2 07 040850 4" stays one ISBN);
``languages`` on ``; , / +`` and the Arabic comma. XLSX numbers come back as Excel shows
them (9782070408504, not 9.78207E+12; a ``0000000000`` format keeps leading zeros); a date
in the year column gives its year; a cell merged over several rows fills each of them.

Problems a table yields (besides the ERRORs that reject one row):

- ``ENCODING`` WARNING when the code page was guessed (cp1252 / cp1256 / ISO-8859-6);
- ``MISSING_COLUMN`` ERROR (no row read) when no column holds the title;
- ``IGNORED_COLUMN`` WARNING listing the columns that were ignored because no header synonym or
  mapping names them;
- ``IGNORED_SHEET`` WARNING naming the other sheets of a workbook that also hold a table;
- ``UNREADABLE_RECORD`` WARNING for a formula cell whose result the workbook did not save,
  ERROR for a CSV row the csv module cannot split or an unclosed quote at the end;
- ``INVALID_NUMBER`` WARNING for a weight in grams that is not a number.

What was detected (encoding and why, delimiter, sheet, header row, column plan, ignored
columns) is written into the ``layout`` dict when the caller passes one to :func:`iter_table`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import io
import re
import tomllib
import unicodedata
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from fundplanner.errors import (
    EncodingProblem,
    IngestError,
    Kind,
    MappingError,
    Problem,
    ReferenceDataError,
    Severity,
)
from fundplanner.ingest.cells import trim
from fundplanner.ingest.sniff import Format
from fundplanner.model import RAW_KEYS, RawRow
from fundplanner.reference import load_toml

HEADERS_TABLE = "headers.toml"

#: Single-byte encodings tried, in this order (ties go to the first), when the bytes are not
#: UTF-8/16. cp1252: French Excel on Windows; cp1256: Arabic Windows; ISO-8859-6: Arabic Unix.
LEGACY_ENCODINGS: tuple[str, ...] = ("cp1252", "cp1256", "iso8859-6")

#: Delimiters the sniffer chooses among (French Excel writes ";").
DELIMITERS = ",;\t|"

#: How many non-blank rows at the top may hold the header (title lines may sit above it).
HEADER_SEARCH_ROWS = 10

#: RawRow keys a reader fills itself; a mapping may not name them.
_READER_KEYS = frozenset({"record_no", "flavour"})
MAPPABLE_KEYS: tuple[str, ...] = tuple(k for k in RAW_KEYS if k not in _READER_KEYS)
LIST_KEYS = frozenset({"authors", "isbns", "languages", "original_languages"})

_MAPPING_SECTIONS = ("columns", "defaults", "options")
_NO_DEFAULT_KEYS = frozenset({"title", "record_id"})
_MAPPING_OPTIONS = ("header_row", "sheet", "delimiter", "encoding")

_SAVE_AS_UTF8 = (
    'Open it in Excel or LibreOffice and save it as "CSV UTF-8" (Excel: File > Save As > '
    '"CSV UTF-8 (Comma delimited)"; LibreOffice: Save As > Text CSV, character set '
    '"Unicode (UTF-8)"), or name its encoding in a mapping file: [options] encoding = "cp1256".'
)


class DecodedText(NamedTuple):
    """The text of a file, the codec that decoded it, and why that codec was chosen."""

    text: str
    encoding: str
    reason: str


@dataclass(frozen=True)
class ColumnMapping:
    """A validated mapping TOML (its sections are described in :func:`load_mapping`)."""

    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    header_row: int | None = None
    sheet: str | None = None
    delimiter: str | None = None
    encoding: str | None = None
    source: str = "<mapping>"


@dataclass(frozen=True, slots=True)
class Column:
    """One used column: its position, its header text, the RawRow key, a unit from the header."""

    index: int
    header: str
    key: str
    unit: str | None = None


# --------------------------------------------------------------------------- header text


_ARABIC_FOLD = str.maketrans({"ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None})
_BRACKETED_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NON_WORD_RE = re.compile(r"[\W_]+")
_LONE_DIGIT_RE = re.compile(r"(?<!\S)\d(?!\S)")
_TOKEN_RE = re.compile(r"[^\W_]+")


def _fold(text: str) -> str:
    """Casefold without accents or Arabic diacritics; Arabic letter variants folded.

    NFKD splits أ إ آ ؤ ئ into a base letter and a combining hamza/madda, and Arabic
    presentation forms into their letters; dropping combining marks then removes Latin
    accents and Arabic harakat alike.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return bare.casefold().translate(_ARABIC_FOLD)


@functools.lru_cache(maxsize=4096)
def normalise_header(text: str) -> str:
    """The comparison form of a header: "Auteur(s) :" and "AUTEUR" both give "auteur"."""
    folded = _BRACKETED_RE.sub(" ", _fold(text))
    words = _NON_WORD_RE.sub(" ", folded)
    return " ".join(_LONE_DIGIT_RE.sub(" ", words).split())


@functools.cache
def _header_tables() -> tuple[Mapping[str, str], Mapping[str, Mapping[str, str]]]:
    """(normalised synonym -> key, unit kind -> {normalised unit word -> unit})."""
    table = load_toml(HEADERS_TABLE)
    synonyms = table.get("synonyms")
    if not isinstance(synonyms, Mapping):
        raise ReferenceDataError(f"{HEADERS_TABLE}: a [synonyms] table is required.")
    index: dict[str, str] = {}
    for key, names in synonyms.items():
        if key not in MAPPABLE_KEYS:
            raise ReferenceDataError(
                f"{HEADERS_TABLE}: [synonyms] {key!r} is not a RawRow key; use one of "
                f"{', '.join(MAPPABLE_KEYS)}."
            )
        for name in names:
            norm = normalise_header(name)
            if index.get(norm, key) != key:
                raise ReferenceDataError(
                    f"{HEADERS_TABLE}: header {name!r} is listed under both {index[norm]!r} "
                    f"and {key!r}; keep it under one."
                )
            index[norm] = key
    units: dict[str, dict[str, str]] = {}
    for kind, table_units in table.get("units", {}).items():
        units[kind] = {_fold(word): unit for unit, words in table_units.items() for word in words}
    return index, units


_UNIT_KIND_OF_KEY = {"weight_kg": "weight", "dimensions": "dimensions", "price": "price"}
_UNIT_LINKS = frozenset({"en", "in", "par", "per", "ب"})


def header_unit(header: str, key: str) -> str | None:
    """The unit a header names for ``key``: "Poids (g)" -> "g", "Prix (JOD)" -> "JOD"."""
    kind = _UNIT_KIND_OF_KEY.get(key)
    if kind is None:
        return None
    folded = _fold(header)
    tokens = set(_TOKEN_RE.findall(folded))
    for word, unit in _header_tables()[1].get(kind, {}).items():
        if (word in tokens) if _TOKEN_RE.fullmatch(word) else (word in folded):
            return unit
    return None


def _unit_words() -> frozenset[str]:
    return frozenset(w for table in _header_tables()[1].values() for w in table)


@functools.lru_cache(maxsize=4096)
def _key_of_header(header: str) -> str | None:
    index = _header_tables()[0]
    norm = normalise_header(header)
    if norm in index:
        return index[norm]
    # "Prix EUR", "Poids en grammes": drop unit words (and the "en" before them), try again.
    units = _unit_words()
    words = [w for w in norm.split() if w not in units]
    while words and words[-1] in _UNIT_LINKS:
        words.pop()
    return index.get(" ".join(words))


def recognise_headers(headers: Sequence[str]) -> dict[str, str]:
    """Raw header -> RawRow key, for the headers ``reference/headers.toml`` knows."""
    found: dict[str, str] = {}
    for header in headers:
        if isinstance(header, str) and header.strip():
            key = _key_of_header(header.strip())
            if key is not None:
                found[header] = key
    return found


# --------------------------------------------------------------------------- encodings


_ARABIC_RE = re.compile(r"[\u0600-\u06ff]")
_LATIN_EXT_RE = re.compile(r"[\u00c0-\u024f]")
_ASCII_LETTER_RE = re.compile(r"[A-Za-z]")
_LETTERS_RE = re.compile(r"[^\W\d_]+")
_SUSPECT_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")


def score_decoding(text: str) -> tuple[int, int]:
    """(good, bad) evidence that ``text`` was decoded with the right single-byte codec.

    Good: letters of all-Arabic words, accented letters in Latin words that also hold an
    ASCII letter (or are ≤ 2 letters: "à", "où"). Bad: accented-only Latin runs of 3+ ("ÇáÚÑ",
    Arabic read as cp1252), words mixing Arabic and Latin letters ("ةcole", French read as
    cp1256; "لçè", ISO-8859-6 read as cp1256), C0/C1 control characters (ISO-8859-6 and cp1252
    text never hold 0x80-0x9F controls).
    """
    good, bad = 0, len(_SUSPECT_RE.findall(text))
    for word in _LETTERS_RE.findall(text):
        if word.isascii():
            continue
        arabic = len(_ARABIC_RE.findall(word))
        latin = len(_LATIN_EXT_RE.findall(word))
        ascii_letters = len(_ASCII_LETTER_RE.findall(word))
        if arabic == len(word):
            good += arabic
        elif arabic:
            bad += len(word)
        elif latin and (ascii_letters or len(word) <= 2):
            good += latin
        elif latin:
            bad += latin
    return good, bad


def decode_text(data: bytes, *, file: str, encoding: str | None = None) -> DecodedText:
    """Decode a table file; :class:`EncodingProblem` when no candidate codec fits.

    Order: ``encoding`` when given (a mapping's ``[options] encoding``); a UTF-8 / UTF-16
    byte-order mark; UTF-16 without a mark (every other byte NUL); valid UTF-8; else the
    best of :data:`LEGACY_ENCODINGS` by :func:`score_decoding`.
    """
    if encoding:
        return _decode_as(data, encoding, file)
    for bom, codec, name in (
        (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
        (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 LE"),
        (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 BE"),
    ):
        if data.startswith(bom):
            try:
                return DecodedText(data.decode(codec), codec, f"{name} byte-order mark")
            except UnicodeDecodeError as exc:
                raise EncodingProblem(
                    f"{file}: starts with a {name} byte-order mark but byte {exc.start} is not "
                    f"{name} ({exc.reason}); the file is damaged or mixes encodings. "
                    + _SAVE_AS_UTF8
                ) from None
    utf16 = _bomless_utf16(data)
    if utf16 is not None:
        try:
            return DecodedText(data.decode(utf16), utf16, "UTF-16 without byte-order mark")
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = f"utf-8 fails at byte {exc.start}"
    else:
        return DecodedText(text, "utf-8", "valid UTF-8" if not data.isascii() else "ASCII")
    return _guess_legacy(data, file, utf8_error)


def _decode_as(data: bytes, encoding: str, file: str) -> DecodedText:
    codec = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    try:
        return DecodedText(data.decode(codec), codec, "named in the mapping file")
    except UnicodeDecodeError as exc:
        raise EncodingProblem(
            f"{file}: the mapping file says the encoding is {encoding}, but byte {exc.start} "
            f"(0x{data[exc.start]:02x}) is not {encoding}. Remove [options] encoding to let "
            "fundplanner guess, or name the right one. " + _SAVE_AS_UTF8
        ) from None


def _bomless_utf16(data: bytes) -> str | None:
    """ "utf-16-le"/"utf-16-be" when every other byte of the head is NUL (ASCII-heavy UTF-16)."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2 or len(data) % 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


#: Lines that hold a byte outside printable ASCII: the only evidence for a code page.
_EVIDENCE_LINE_RE = re.compile(rb"[^\n]*[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff][^\n]*")
EVIDENCE_BYTES = 512 * 1024


def _evidence(data: bytes) -> bytes:
    """Up to :data:`EVIDENCE_BYTES` of the lines that hold non-ASCII or control bytes."""
    lines: list[bytes] = []
    size = 0
    for match in _EVIDENCE_LINE_RE.finditer(data):
        lines.append(match.group())
        size += len(lines[-1])
        if size >= EVIDENCE_BYTES:
            break
    return b"\n".join(lines)


def _guess_legacy(data: bytes, file: str, utf8_error: str) -> DecodedText:
    """The best-scoring single-byte codec that decodes every byte of ``data``.

    Scores come from :func:`score_decoding` on the lines holding non-ASCII bytes (up to
    512 KB of them), so a large file is not scanned three times by regular expressions.
    """
    evidence = _evidence(data)
    scored: list[tuple[int, int, str, str]] = []
    tried = [utf8_error]
    for rank, codec in enumerate(LEGACY_ENCODINGS):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            tried.append(f"{codec} has no character for byte 0x{data[exc.start]:02x}")
            continue
        good, bad = score_decoding(evidence.decode(codec))
        tried.append(f"{codec} scores {good - 3 * bad} ({good} plausible, {bad} garbled)")
        if bad <= max(3, good):
            scored.append((good - 3 * bad, -rank, codec, text))
    if not scored:
        raise EncodingProblem(
            f"{file}: the text is in none of the encodings fundplanner reads (tried "
            f"{', '.join(tried)}). " + _SAVE_AS_UTF8
        )
    _, _, codec, text = max(scored)
    return DecodedText(text, codec, "guessed: " + "; ".join(tried))


# --------------------------------------------------------------------------- delimiters


def _width_consistency(sample: str, delimiter: str) -> tuple[float, int]:
    """(share of non-blank rows having the most common width, that width); 0 if width < 2."""
    try:
        widths = [
            len(row)
            for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
            if any(cell.strip() for cell in row)
        ]
    except csv.Error:
        return 0.0, 0
    if not widths:
        return 0.0, 0
    width, count = Counter(widths).most_common(1)[0]
    return (count / len(widths), width) if width >= 2 else (0.0, 0)


def sniff_delimiter(text: str, *, max_lines: int = 40) -> str:
    """The delimiter among ``, ; TAB |`` that splits the first lines most consistently.

    :class:`csv.Sniffer` proposes; each candidate is then scored by the share of the first
    non-blank rows that have the most common number of cells (title lines above a header
    lower every candidate alike). The Sniffer's choice wins ties, then the wider split.
    """
    sample = "".join(io.StringIO(text[: 64 * 1024], newline="").readlines()[:max_lines])
    try:
        proposed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        proposed = None
    ranked = []
    for d in DELIMITERS:
        share, width = _width_consistency(sample, d)
        ranked.append((round(share, 2), d == proposed, width, -DELIMITERS.index(d), d))
    best = max(ranked)
    if best[0] > 0:
        return best[-1]
    # No candidate splits a row into 2+ cells with text: the most frequent one (";;;" lines).
    counts = [(sample.count(d), -DELIMITERS.index(d), d) for d in DELIMITERS]
    most = max(counts)
    return proposed or (most[-1] if most[0] else ",")


# --------------------------------------------------------------------------- mapping


def load_mapping(path_or_mapping: str | Path | Mapping[str, Any] | ColumnMapping) -> ColumnMapping:
    """A mapping TOML (path, or an already-parsed mapping), validated.

    ``[columns]`` RawRow key = header text (or a list of them); ``[defaults]`` RawRow key =
    value for rows where no column gives one; ``[options]`` header_row (1-based, 0 = the file
    has no header: name columns by number "1", "2" …), sheet, delimiter, encoding. Anything
    else is a :class:`MappingError` that names the file, the key and the fix.
    """
    if isinstance(path_or_mapping, ColumnMapping):
        return path_or_mapping
    if isinstance(path_or_mapping, str | Path):
        source = str(path_or_mapping)
        try:
            with open(path_or_mapping, "rb") as handle:
                raw: Mapping[str, Any] = tomllib.load(handle)
        except OSError as exc:
            raise MappingError(f"{source}: cannot read the mapping file ({exc}).") from exc
        except tomllib.TOMLDecodeError as exc:
            raise MappingError(
                f"{source}: the mapping file is not valid TOML ({exc}); fix the line it names."
            ) from exc
    else:
        source, raw = "<mapping>", path_or_mapping
    return _validated_mapping(raw, source)


def _validated_mapping(raw: Mapping[str, Any], source: str) -> ColumnMapping:
    def fail(message: str) -> MappingError:
        return MappingError(f"{source}: {message}")

    for section in raw:
        if section not in _MAPPING_SECTIONS:
            raise fail(
                f"unknown section [{section}]; a mapping has only "
                f"{', '.join('[' + s + ']' for s in _MAPPING_SECTIONS)}."
            )
    columns: dict[str, tuple[str, ...]] = {}
    for key, value in raw.get("columns", {}).items():
        _check_key(key, "columns", fail)
        names = (value,) if isinstance(value, str) else value
        if (
            not isinstance(names, list | tuple)
            or not names
            or not all(isinstance(n, str) and n.strip() for n in names)
        ):
            raise fail(
                f'[columns] {key} must be a header text or a list of them, e.g. {key} = "Titre".'
            )
        columns[key] = tuple(" ".join(n.split()) for n in names)
    defaults: dict[str, Any] = {}
    for key, value in raw.get("defaults", {}).items():
        _check_key(key, "defaults", fail)
        if key in _NO_DEFAULT_KEYS:
            raise fail(
                f"[defaults] {key} cannot have a default: every row needs its own; map it "
                f'to a column instead ([columns] {key} = "<header>").'
            )
        if isinstance(value, list):
            value = [str(v) for v in value]
        elif isinstance(value, bool) or not isinstance(value, str | int | float):
            raise fail(f"[defaults] {key} must be text or a number, not {value!r}.")
        defaults[key] = value if isinstance(value, list) else str(value)
    options = dict(raw.get("options", {}))
    for name in options:
        if name not in _MAPPING_OPTIONS:
            raise fail(f"unknown option {name!r} in [options]; use {', '.join(_MAPPING_OPTIONS)}.")
    header_row = options.get("header_row")
    if header_row is not None and (
        isinstance(header_row, bool) or not isinstance(header_row, int) or header_row < 0
    ):
        raise fail("[options] header_row must be a row number (1 = first row; 0 = no header row).")
    delimiter = options.get("delimiter")
    if delimiter is not None:
        delimiter = {"tab": "\t", "\\t": "\t"}.get(str(delimiter).lower(), delimiter)
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise fail('[options] delimiter must be one character, e.g. ";" or "tab".')
    encoding = options.get("encoding")
    if encoding is not None:
        try:
            codecs.lookup(str(encoding))
        except LookupError:
            raise fail(
                f"[options] encoding {encoding!r} is not an encoding Python knows; use e.g. "
                '"utf-8", "cp1252", "cp1256" or "iso8859-6".'
            ) from None
    sheet = options.get("sheet")
    if sheet is not None and not isinstance(sheet, str):
        raise fail('[options] sheet must be a sheet name, e.g. sheet = "Liste".')
    if header_row == 0 and columns and not all(n.isdigit() for ns in columns.values() for n in ns):
        raise fail(
            "[options] header_row = 0 means the file has no header row: name columns by their "
            'number, e.g. title = "2".'
        )
    return ColumnMapping(
        columns=columns,
        defaults=defaults,
        header_row=header_row,
        sheet=sheet,
        delimiter=delimiter,
        encoding=str(encoding) if encoding is not None else None,
        source=source,
    )


def _check_key(key: str, section: str, fail: Any) -> None:
    if key not in MAPPABLE_KEYS:
        raise fail(
            f"[{section}] {key!r} is not a field fundplanner reads; use one of "
            f"{', '.join(MAPPABLE_KEYS)}."
        )


# --------------------------------------------------------------------------- layout


Cells = Sequence[Any]
NumberedRow = tuple[int, Cells]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else "" if value is None else str(value)


def _is_blank(cells: Cells) -> bool:
    return all(not (c.strip() if type(c) is str else _text(c)) for c in cells)


def _exact(header: Any) -> str:
    return " ".join(_text(header).split())


def find_header_row(rows: Sequence[NumberedRow], mapping: ColumnMapping) -> NumberedRow | None:
    """The header row among the first non-blank ``rows``.

    ``[options] header_row`` when set; else the first row holding every header the mapping
    names; else the first row with at least two headers :func:`recognise_headers` knows (or
    a lone known title header); else ``None``.
    """
    if mapping.header_row:
        return next((r for r in rows if r[0] == mapping.header_row), None)
    if mapping.columns:
        wanted = {n for names in mapping.columns.values() for n in names}
        for row in rows:
            if wanted <= {_exact(c) for c in row[1]}:
                return row
        return None
    lone_title = None
    for row in rows:
        keys = list(recognise_headers([_text(c) for c in row[1]]).values())
        if len(keys) >= 2:
            return row
        if keys == ["title"] and lone_title is None:
            lone_title = row
    return lone_title


def plan_columns(headers: Sequence[str], mapping: ColumnMapping) -> tuple[list[Column], list[str]]:
    """(columns to read, unknown non-empty headers).

    The mapping's ``[columns]`` come first, matched exactly after trimming; the remaining
    headers are recognised through ``headers.toml`` unless their key is already mapped.
    For a key fed by several columns, the first non-empty cell wins (lists are joined).
    """
    exact = [_exact(h) for h in headers]
    used: set[int] = set()
    columns: list[Column] = []
    for mapped_key, names in mapping.columns.items():
        for name in names:
            index = exact.index(name)
            used.add(index)
            columns.append(Column(index, name, mapped_key, header_unit(name, mapped_key)))
    unknown: list[str] = []
    for index, header in enumerate(exact):
        if index in used or not header:
            continue
        key = _key_of_header(header)
        if key is None:
            unknown.append(header)
        elif key not in mapping.columns:
            columns.append(Column(index, header, key, header_unit(header, key)))
    return columns, unknown


# --------------------------------------------------------------------------- rows


_AUTHOR_SPLIT_RE = re.compile(r"\s*;\s*|\s+/\s+|\s*[،؛]\s*")
_LANGUAGE_SPLIT_RE = re.compile(r"\s*[;,/+،؛]\s*")
_ISBN_SPLIT_RE = re.compile(r"\s*[;,|]\s*")
_ISBN_CHAR_RE = re.compile(r"[0-9Xx]")
_NUMBER_RE = re.compile(r"^\d+(?:[.,]\d+)?$")


def split_authors(cell: str) -> list[str]:
    """Authors from one cell: ";" / " / " / "،" separate people; "," stays ("Hugo, Victor")."""
    return [a for a in _AUTHOR_SPLIT_RE.split(cell) if a]


def split_isbns(cell: str) -> list[str]:
    """ISBN strings from one cell: split on ``; , |``, and on spaces only between whole ISBNs."""
    out: list[str] = []
    for part in _ISBN_SPLIT_RE.split(cell):
        pieces = part.split()
        if len(pieces) > 1 and all(len(_ISBN_CHAR_RE.findall(p)) >= 10 for p in pieces):
            out.extend(pieces)
        elif part:
            out.append(part)
    return out


def split_languages(cell: str) -> list[str]:
    return [x for x in _LANGUAGE_SPLIT_RE.split(cell) if x]


_SPLITTERS = {
    "authors": split_authors,
    "isbns": split_isbns,
    "languages": split_languages,
    "original_languages": split_languages,
}


def _grams_to_kg(value: str) -> str | None:
    number = value.replace(" ", "").replace("\u202f", "").replace(",", ".")
    try:
        return f"{float(number) / 1000:g}"
    except ValueError:
        return None


def _cell_value(value: Any, key: str) -> str:
    """Text of a cell; an XLSX date in the year column gives its year (else ISO date)."""
    if isinstance(value, dt.datetime | dt.date):
        return str(value.year) if key == "year" else value.isoformat()[:10]
    return _text(value)


def build_row(
    cells: Cells,
    record_no: int,
    columns: Sequence[Column],
    *,
    file: str,
    defaults: Mapping[str, Any],
) -> tuple[RawRow | None, list[Problem]]:
    """One data row -> (RawRow, warnings) or (None, [ERROR Problem]) when its title is empty."""
    row: RawRow = {"record_no": record_no, "flavour": "table"}
    bad_weights: list[tuple[str, str]] = []
    price_unit = None
    width = len(cells)
    for column in columns:
        if column.index >= width:
            continue
        cell = cells[column.index]
        value = trim(cell) if type(cell) is str else _cell_value(cell, column.key)
        if not value:
            continue
        key = column.key
        if key in LIST_KEYS:
            known = row.setdefault(key, [])
            known.extend(v for v in _SPLITTERS[key](value) if v not in known)
            continue
        if key in row:
            continue
        if key == "weight_kg" and column.unit == "g":
            kg = _grams_to_kg(value)
            if kg is None:
                bad_weights.append((column.header, value))
                continue
            value = kg
        elif key == "dimensions" and column.unit and _NUMBER_RE.match(value):
            value = f"{value} {column.unit}"
        elif key == "price" and column.unit:
            price_unit = column.unit
        row[key] = value
    if price_unit and "currency" not in row:
        row["currency"] = price_unit
    for key, default in defaults.items():
        if key not in row:
            row[key] = _default_value(key, default)
    explicit_id = row.get("record_id")
    row["record_id"] = explicit_id or str(record_no)
    if not row.get("title"):
        title_header = " / ".join(c.header for c in columns if c.key == "title")
        return None, [
            _problem(
                file,
                record_no,
                explicit_id,
                title_header,
                Kind.MISSING_TITLE,
                f"row {record_no} has no title (column {title_header!r} is empty); the row was "
                "not imported. Fill in the title, or delete the row.",
            )
        ]
    return row, [
        _problem(
            file,
            record_no,
            explicit_id,
            header,
            Kind.INVALID_NUMBER,
            f"the weight {value!r} under {header!r} is not a number of grams; the weight was "
            "left empty. Write a number such as 350.",
            Severity.WARNING,
            value,
        )
        for header, value in bad_weights
    ]


def _default_value(key: str, value: Any) -> Any:
    if key not in LIST_KEYS:
        return value
    return list(value) if isinstance(value, list) else [value]


def _problem(
    file: str,
    record: int | None,
    control: str | None,
    field_name: str | None,
    kind: Kind,
    message: str,
    severity: Severity = Severity.ERROR,
    value: str | None = None,
) -> Problem:
    return Problem(file, record, control, field_name, kind, message, severity, value)


# --------------------------------------------------------------------------- sources


def csv_rows(text: str, delimiter: str, *, file: str) -> Iterator[NumberedRow | Problem]:
    """(physical start line, cells) per CSV row; a row the csv module rejects is a Problem.

    A quote that is never closed makes the csv module read the rest of the file into one
    cell; when the file's quotes are unbalanced and its last row spans several lines, that
    row is reported (ERROR) instead of being imported with the swallowed lines in it.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    last: tuple[int, list[str], int] | None = None  # (start line, cells, end line)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield _problem(
                file,
                start,
                None,
                None,
                Kind.UNREADABLE_RECORD,
                f"row starting on line {start} cannot be split into cells ({exc}); check its "
                'quotes (a cell with a line break or the delimiter must be in "double quotes").',
            )
            start = reader.line_num + 1
            continue
        if last is not None:
            yield last[0], last[1]
        last = (start, cells, reader.line_num)
        start = reader.line_num + 1
    if last is None:
        return
    first_line, cells, end_line = last
    if end_line > first_line and text.count('"') % 2:
        yield _problem(
            file,
            first_line,
            None,
            None,
            Kind.UNREADABLE_RECORD,
            f"the row starting on line {first_line} opens a quoted cell that is never closed, "
            f"so lines {first_line}-{end_line} were read as one row; it was not imported. Add "
            'the missing closing quote (") or remove the stray one, and scan again.',
        )
    else:
        yield first_line, cells


@dataclass
class SheetRows:
    """An XLSX sheet read into memory: rows (sheet row number, values) and what was odd."""

    name: str
    rows: list[NumberedRow]
    uncached_formulas: dict[int, set[int]]  # row number -> column indexes


_CELL_REF_RE = re.compile(r"^([A-Z]{1,3})(\d+)$")
_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+):([A-Z]+\d+)"')


def _column_index(letters: str) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number - 1


def _xlsx_number_text(value: float | int, number_format: str | None) -> str:
    """Text of a number as Excel shows it: 9782070408504.0 -> "9782070408504"; a "0000000000"
    format keeps its leading zeros ("0123456789")."""
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
    else:
        text = str(value)
    if number_format and len(number_format) > 1 and set(number_format) == {"0"}:
        text = text.zfill(len(number_format))
    return text


def _xlsx_cell(cell: Any) -> Any:
    value = getattr(cell, "value", None)
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return _xlsx_number_text(value, getattr(cell, "number_format", None))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value if not isinstance(value, dt.time) else value.isoformat()
    return value


def _fill_vertical_merges(sheet_xml: bytes, rows: list[NumberedRow]) -> None:
    """A cell merged over several rows holds its value in every one of them (anchor column)."""
    by_number = {number: cells for number, cells in rows}
    for first, last in _MERGE_RE.findall(sheet_xml):
        m1, m2 = _CELL_REF_RE.match(first.decode()), _CELL_REF_RE.match(last.decode())
        if not m1 or not m2 or int(m2.group(2)) <= int(m1.group(2)):
            continue
        col, top, bottom = _column_index(m1.group(1)), int(m1.group(2)), int(m2.group(2))
        anchor = by_number.get(top)
        if anchor is None or col >= len(anchor):
            continue
        for number in range(top + 1, bottom + 1):
            cells = by_number.get(number)
            if isinstance(cells, list) and col < len(cells):
                cells[col] = anchor[col]


def read_xlsx(data: bytes, *, file: str) -> list[SheetRows]:
    """Every sheet of a workbook as text rows (openpyxl read-only, cached formula values).

    openpyxl's parse errors of any kind become one :class:`IngestError` for the file.
    """
    import openpyxl  # heavy: imported only when an XLSX is read

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            archive = zipfile.ZipFile(io.BytesIO(data))
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            formulas_book = None
            sheets = []
            for sheet in book.worksheets:
                path = getattr(sheet, "_worksheet_path", None)
                xml = archive.read(path) if path else b""
                sheet.reset_dimensions()
                rows: list[NumberedRow] = [
                    (number, [_xlsx_cell(c) for c in cells])
                    for number, cells in enumerate(sheet.iter_rows(), start=1)
                ]
                _fill_vertical_merges(xml, rows)
                uncached: dict[int, set[int]] = {}
                if b"<f" in xml or b":f>" in xml:
                    if formulas_book is None:
                        formulas_book = openpyxl.load_workbook(
                            io.BytesIO(data), read_only=True, data_only=False
                        )
                    uncached = _uncached_formulas(formulas_book[sheet.title], rows)
                sheets.append(SheetRows(sheet.title, rows, uncached))
            book.close()
            if formulas_book is not None:
                formulas_book.close()
    except Exception as exc:  # openpyxl raises KeyError, ValueError, XML errors …
        raise IngestError(
            f"{file}: the Excel workbook cannot be read ({type(exc).__name__}: {exc}). Open it "
            "in Excel or LibreOffice and save it again as .xlsx, or export the sheet as "
            '"CSV UTF-8".'
        ) from exc
    return sheets


def _uncached_formulas(sheet: Any, rows: list[NumberedRow]) -> dict[int, set[int]]:
    """Cells holding a formula whose result the workbook did not save (value None)."""
    by_number = dict(rows)
    found: dict[int, set[int]] = {}
    sheet.reset_dimensions()
    for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
        values = by_number.get(number, ())
        for index, formula in enumerate(cells):
            is_formula = isinstance(formula, str) and formula.startswith("=")
            if is_formula and (index >= len(values) or values[index] is None):
                found.setdefault(number, set()).add(index)
    return found


# --------------------------------------------------------------------------- the reader


def iter_table(
    data: bytes,
    *,
    file: str,
    format: Format,
    mapping: str | Path | Mapping[str, Any] | ColumnMapping | None = None,
    layout: dict[str, Any] | None = None,
) -> Iterator[RawRow | Problem]:
    """RawRows and Problems of a CSV/TSV or XLSX file, in row order.

    Raises :class:`IngestError` subclasses for what stops the whole file (undecodable text,
    unreadable workbook, a mapping that does not fit the file). When ``layout`` is a dict it
    is filled with what was detected: encoding, encoding_reason, delimiter, sheet,
    header_row, columns (header -> key), ignored_columns.
    """
    spec = load_mapping(mapping) if mapping is not None else ColumnMapping()
    info: dict[str, Any] = layout if layout is not None else {}
    if format is Format.XLSX:
        yield from _iter_xlsx(data, file, spec, info)
    elif format is Format.CSV:
        decoded = decode_text(data, file=file, encoding=spec.encoding)
        delimiter = spec.delimiter or sniff_delimiter(decoded.text)
        info.update(encoding=decoded.encoding, encoding_reason=decoded.reason, delimiter=delimiter)
        if decoded.reason.startswith("guessed"):
            yield _problem(
                file,
                None,
                None,
                None,
                Kind.ENCODING,
                f"the file is not UTF-8; read it as {decoded.encoding} ({decoded.reason}). If "
                f"letters look wrong, set the encoding in a mapping file. " + _SAVE_AS_UTF8,
                Severity.WARNING,
                decoded.encoding,
            )
        yield from _iter_rows(csv_rows(decoded.text, delimiter, file=file), file, spec, info)
    else:
        raise IngestError(f"{file}: iter_table reads CSV and XLSX tables, not {format.value}.")


def _iter_xlsx(
    data: bytes, file: str, spec: ColumnMapping, info: dict[str, Any]
) -> Iterator[RawRow | Problem]:
    sheets = read_xlsx(data, file=file)
    if not sheets:
        raise IngestError(f"{file}: the workbook has no worksheet; export the catalogue again.")
    names = [s.name for s in sheets]
    if spec.sheet is not None:
        chosen = next((s for s in sheets if s.name == spec.sheet), None)
        if chosen is None:
            raise MappingError(
                f"{spec.source}: [options] sheet = {spec.sheet!r}, but {file} has the sheets "
                f"{', '.join(map(repr, names))}; write one of them."
            )
        others: list[str] = []
    else:
        with_table = [s for s in sheets if find_header_row(_head(s.rows), spec) is not None]
        chosen = with_table[0] if with_table else sheets[0]
        others = [s.name for s in with_table[1:]]
    info["sheet"] = chosen.name
    if others:
        yield _problem(
            file,
            None,
            None,
            None,
            Kind.IGNORED_SHEET,
            f"read the sheet {chosen.name!r}; the sheet(s) {', '.join(map(repr, others))} also "
            'hold a table and were NOT read. To read one, set [options] sheet = "…" in a '
            "mapping file, or save each sheet as its own file.",
            Severity.WARNING,
        )
    rows: Iterator[NumberedRow | Problem] = iter(chosen.rows)
    yield from _iter_rows(rows, file, spec, info, chosen.uncached_formulas)


def _head(
    rows: Iterable[NumberedRow | Problem], limit: int | None = HEADER_SEARCH_ROWS
) -> list[NumberedRow]:
    """The first ``limit`` non-blank rows (all of them when ``limit`` is None)."""
    head: list[NumberedRow] = []
    for row in rows:
        if isinstance(row, tuple) and not _is_blank(row[1]):
            head.append(row)
            if limit is not None and len(head) >= limit:
                break
    return head


def _iter_rows(
    rows: Iterator[NumberedRow | Problem],
    file: str,
    spec: ColumnMapping,
    info: dict[str, Any],
    uncached: Mapping[int, set[int]] | None = None,
) -> Iterator[RawRow | Problem]:
    """Find the header, plan the columns, then build every data row."""
    buffered: list[NumberedRow | Problem] = []
    if spec.header_row == 0:
        header_no, headers = 0, None
    else:
        for item in rows:
            buffered.append(item)
            if isinstance(item, tuple) and item[0] == spec.header_row:
                break
            if len(_head(buffered)) >= HEADER_SEARCH_ROWS and not spec.header_row:
                break
        head = _head(buffered, None if spec.header_row else HEADER_SEARCH_ROWS)
        found = find_header_row(head, spec)
        if found is None and spec.header_row:
            raise MappingError(
                f"{spec.source}: [options] header_row = {spec.header_row}, but {file} has no "
                "such non-blank row; give the number of the row that holds the column names."
            )
        if found is None and spec.columns:
            raise _mapping_mismatch(spec, file, head)
        header_row = found or (head[0] if head else None)
        if header_row is None:
            yield _problem(
                file,
                None,
                None,
                None,
                Kind.MISSING_COLUMN,
                "the file holds no rows; export the catalogue again with its column names.",
            )
            return
        header_no, headers = header_row[0], [_exact(c) for c in header_row[1]]
    pending = [r for r in buffered if not isinstance(r, tuple) or r[0] > header_no]
    stream = _chain(pending, rows)
    if headers is None:  # header_row = 0: columns are named by number
        first = next((r for r in stream if isinstance(r, tuple) and not _is_blank(r[1])), None)
        if first is None:
            return
        stream = _chain([first], stream)
        headers = [str(i + 1) for i in range(max(len(first[1]), _widest_mapped(spec)))]
    missing = [
        (key, name) for key, names in spec.columns.items() for name in names if name not in headers
    ]
    if missing:
        raise _mapping_mismatch(spec, file, [(header_no, headers)], missing)
    columns, unknown = plan_columns(headers, spec)
    info.update(
        header_row=header_no,
        columns={c.header: c.key for c in columns},
        ignored_columns=unknown,
    )
    if not any(c.key == "title" for c in columns):
        yield _missing_title_column(file, header_no, headers)
        return
    if unknown:
        yield _problem(
            file,
            None,
            None,
            None,
            Kind.IGNORED_COLUMN,
            f"column(s) not read because fundplanner does not know what they hold: "
            f"{', '.join(map(_shown, unknown))}. To read one, name it in a mapping file "
            '([columns] KEY = "header"), or add the header to fundplanner/reference/headers.toml.',
            Severity.WARNING,
        )
    yield from _data_rows(stream, file, spec, columns, uncached or {}, len(headers))


def _widest_mapped(spec: ColumnMapping) -> int:
    return max((int(n) for names in spec.columns.values() for n in names), default=0)


def _chain(
    first: Iterable[NumberedRow | Problem], rest: Iterator[NumberedRow | Problem]
) -> Iterator[NumberedRow | Problem]:
    yield from first
    yield from rest


def _data_rows(
    stream: Iterator[NumberedRow | Problem],
    file: str,
    spec: ColumnMapping,
    columns: Sequence[Column],
    uncached: Mapping[int, set[int]],
    width: int,
) -> Iterator[RawRow | Problem]:
    by_index = {c.index: c for c in columns}
    overflow: list[int] = []
    for item in stream:
        if not isinstance(item, tuple):
            yield item
            continue
        number, cells = item
        if _is_blank(cells):
            continue
        for index in sorted(uncached.get(number, ())):
            if index in by_index:
                column = by_index[index]
                yield _problem(
                    file,
                    number,
                    None,
                    column.header,
                    Kind.UNREADABLE_RECORD,
                    f"the cell under {column.header!r} is a formula whose result was not saved "
                    "in the workbook; it was read as empty. Open the file in Excel or "
                    "LibreOffice, let it recalculate, and save it again.",
                    Severity.WARNING,
                )
        if len(cells) > width and not _is_blank(cells[width:]):
            overflow.append(number)
        row, problems = build_row(cells, number, columns, file=file, defaults=spec.defaults)
        yield from problems
        if row is not None:
            yield row
    if overflow:
        shown = ", ".join(map(str, overflow[:10])) + (" …" if len(overflow) > 10 else "")
        yield _problem(
            file,
            overflow[0],
            None,
            None,
            Kind.UNREADABLE_RECORD,
            f"{len(overflow)} row(s) ({shown}) have cells to the right of the last column name; "
            "those cells were not read. Give their column a header, or check the delimiter.",
            Severity.WARNING,
        )


def _mapping_mismatch(
    spec: ColumnMapping,
    file: str,
    head: Sequence[NumberedRow],
    missing: Sequence[tuple[str, str]] | None = None,
) -> MappingError:
    wanted = [(k, n) for k, names in spec.columns.items() for n in names]
    best = max(
        head, key=lambda r: sum(_exact(c) == n for _, n in wanted for c in r[1]), default=None
    )
    seen = [_exact(c) for c in best[1] if _exact(c)] if best else []
    if missing is None:
        seen_set = set(seen)
        missing = [(k, n) for k, n in wanted if n not in seen_set]
    listed = "; ".join(f"[columns] {k} = {n!r}" for k, n in missing)
    where = f"row {best[0]}" if best else "the file"
    return MappingError(
        f"{spec.source}: {listed} — {file} has no such column. Headers seen ({where}): "
        f"{', '.join(map(_shown, seen)) or 'none'}. Copy the header text exactly as it appears "
        "in the file into the mapping (or set [options] header_row if the names are on "
        "another row)."
    )


def _shown(header: str, limit: int = 40) -> str:
    """A header quoted for a message, cut when long (a data row taken for a header)."""
    return repr(header if len(header) <= limit else header[: limit - 1] + "…")


def _missing_title_column(file: str, header_no: int, headers: Sequence[str]) -> Problem:
    seen = ", ".join(_shown(h) for h in headers if h) or "none"
    return _problem(
        file,
        None,
        None,
        "title",
        Kind.MISSING_COLUMN,
        f"no column holds the title, so no row was read. Headers seen (row {header_no}): {seen}. "
        'Rename the title column to "Titre" / "Title" / "العنوان", or scan with a mapping '
        'file that names it: [columns] title = "<the header of the title column>" (if the '
        'file has no header row: [options] header_row = 0 and [columns] title = "<column '
        'number>").',
    )
