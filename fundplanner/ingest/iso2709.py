"""Read binary MARC (ISO 2709 exchange format, MARC 21 and UNIMARC) at the directory level.

An ISO 2709 record is a 24-byte leader (leader/00-04 record length, leader/12-16 base
address of data), a directory of 12-byte entries (3-byte tag, 4-digit field length,
5-digit offset from the base address) closed by a field terminator 0x1E, then the fields,
each closed by 0x1E, and a record terminator 0x1D. Data fields are two indicators then
subfields, each introduced by the delimiter 0x1F and a one-character code; control fields
(MARC 21 tags 001-009) are plain strings. (ISO 2709:2008 §4; MARC 21 "Specifications for
Record Structure"; UNIMARC manual, "Record label".)

The reader is written for speed: it splits the byte stream into records itself, reads the
directory, and decodes only the fields the field map asks for. It is written for bad input
too: a record whose leader length is wrong is cut at its terminator; a record whose
directory is inconsistent is re-read by splitting its data on 0x1E, then by pymarc's
permissive reader as a second opinion; what still cannot be read becomes an ERROR
:class:`~fundplanner.errors.Problem` naming the record. Nothing is silently dropped.

Encodings (decided per file by :func:`decide_encoding`, refined per record): UTF-8 when
leader/09 is ``a`` (MARC 21 "UCS/Unicode"), when UNIMARC 100 $a/26-27 is ``50``
(ISO 10646), or when the bytes are valid UTF-8 with multi-byte sequences even though
leader/09 is blank (a frequent export bug that pymarc silently turns into MARC-8 garbage);
MARC-8 otherwise, decoded with pymarc's ``MARC8ToUnicode`` (escape sequences such as
ESC ( 3 for basic Arabic); UNIMARC records in ISO 5426 / ISO 6937 are decoded best-effort
(Latin-1) with a warning.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import logging
import re
import struct
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import lru_cache
from itertools import islice
from typing import NamedTuple

import pymarc
from pymarc import marc8_mapping
from pymarc.marc8 import MARC8ToUnicode

from fundplanner.errors import Kind, Problem, Severity
from fundplanner.ingest.marcdata import DataField, MarcRecord
from fundplanner.ingest.sniff import SNIFF_BYTES, Format, flavour_from_tags, iso2709_tags

# pymarc logs "missing indicators" etc. at WARNING level; with no logging configured Python's
# last-resort handler would print them. We report such things as Problems instead.
logging.getLogger("pymarc").addHandler(logging.NullHandler())

_UNIMARC = Format.UNIMARC.value
UTF8 = "utf-8"
MARC8 = "marc-8"
ISO5426 = "iso-5426"

RECORD_TERMINATOR = 0x1D
FIELD_TERMINATOR = 0x1E
LEADER_LEN = 24
ENTRY_LEN = 12

#: UNIMARC 100 $a/26-29 character-set codes (UNIMARC Bibliographic, field 100, "Character
#: sets"; see also /work/shared/reference/norms.md §5). Only "50" changes how we decode.
UNIMARC_CHARACTER_SETS = {
    "01": "ISO 646 (basic Latin)",
    "02": "ISO registration #37 (basic Cyrillic)",
    "03": "ISO 5426 (extended Latin)",
    "04": "ISO DIS 5427 (extended Cyrillic)",
    "05": "ISO 5428 (Greek)",
    "06": "ISO 6438 (African)",
    "07": "ISO 10586 (Georgian)",
    "08": "ISO 8957 table 1 (Hebrew)",
    "09": "ISO 8957 table 2 (Hebrew)",
    "11": "ISO 5426-2 (Latin)",
    "50": "ISO 10646 (Unicode, UTF-8)",
}
UNIMARC_UTF8_CODE = "50"

#: Bytes tolerated silently between records: line ends, NUL padding, the DOS end-of-file ^Z.
_SEPARATORS = b"\r\n\t \x00\x1a"
_SEPARATOR_RUN_RE = re.compile(rb"[\r\n\t \x00\x1a]*")
_SEPARATOR_BYTES = frozenset(_SEPARATORS)
#: A leader: record length, 7 printable bytes, base address, 7 printable bytes.
_LEADER_RE = re.compile(rb"\d{5}[\x20-\x7e]{7}\d{5}[\x20-\x7e]{7}")
#: A leader whose record length is damaged, followed by a first directory entry.
_BAD_LENGTH_LEADER_RE = re.compile(
    rb"[^\x1d\x1e]{5}[\x20-\x7e]{7}\d{5}[\x20-\x7e]{7}[\x20-\x7e]{3}\d{9}", re.DOTALL
)
#: A leader followed by a first directory entry: a safe place to resynchronise after garbage.
_RECORD_START_RE = re.compile(rb"[0-9]{5}[\x20-\x7e]{7}\d{5}[\x20-\x7e]{7}[\x20-\x7e]{3}\d{9}")
#: A record glued to the previous one whose record terminator is missing.
_GLUED_RE = re.compile(rb"\x1e(?=\d{5}[\x20-\x7e]{7}\d{5}[\x20-\x7e]{7}[\x20-\x7e]{3}\d{9})")
_PRINTABLE_TAG_RE = re.compile(rb"[\x20-\x7e]{3}")
#: One multi-byte UTF-8 sequence (tells damaged UTF-8 from MARC-8/ANSEL, which has none).
_UTF8_MULTIBYTE_RE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)

_REEXPORT = "re-export this record from the library system (or repair it in MarcEdit)"
_TRUNCATED = "the file was likely truncated: copy or export the catalogue again"


# ---------------------------------------------------------------------------------------
# Encoding decision


@dataclass(frozen=True, slots=True)
class EncodingDecision:
    """The encoding a whole file is read with, and why.

    ``encoding`` is ``"utf-8"``, ``"marc-8"`` or ``"iso-5426"`` (UNIMARC, best-effort).
    ``utf8_verified`` is True when every byte of the file was checked to be valid UTF-8.
    Records may still override it (leader/09 = ``a``; UTF-8 bytes in a MARC-8 file).
    """

    encoding: str
    reason: str
    utf8_verified: bool = False


def _is_valid_utf8(data: bytes | memoryview, block: int = 1 << 20) -> bool:
    """Strict UTF-8 validity, checked in blocks so a large file is never copied whole."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(view), block):
            decoder.decode(view[start : start + block])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _raw_field(chunk: bytes, tag: bytes) -> bytes | None:
    """The bytes of the first field ``tag`` of a record, read through its directory."""
    base_bytes = chunk[12:17]
    if not base_bytes.isdigit():
        return None
    base = int(base_bytes)
    for pos in range(LEADER_LEN, min(base, len(chunk)) - ENTRY_LEN + 1, ENTRY_LEN):
        if chunk[pos] == FIELD_TERMINATOR:
            break
        if chunk[pos : pos + 3] == tag and chunk[pos + 3 : pos + 12].isdigit():
            start = base + int(chunk[pos + 7 : pos + 12])
            end = start + int(chunk[pos + 3 : pos + 7])
            # A field that does not end with 0x1E was not found where the directory says.
            return chunk[start : end - 1] if chunk[end - 1 : end] == b"\x1e" else None
    return None


def unimarc_character_set(chunk: bytes) -> str | None:
    """UNIMARC 100 $a/26-27, the record's basic character set code ("50" = UTF-8)."""
    raw = _raw_field(chunk, b"100")
    if raw is None:
        return None
    at = raw.find(b"\x1fa")
    if at < 0:
        return None
    code = raw[at + 2 + 26 : at + 2 + 28]
    return code.decode("ascii", "replace") if len(code) == 2 else None


def decide_encoding(data: bytes, *, sample: int = 1000) -> EncodingDecision:
    """The encoding of a whole ISO 2709 file (see the module docstring for the rules).

    In this order: pure ASCII (MARC-8 and UTF-8 agree, bar escape sequences); valid UTF-8
    with multi-byte sequences; leader/09 = ``a`` in most records (MARC 21 leader/09);
    UNIMARC 100 $a/26-27 = ``50`` in most records; most non-ASCII records valid UTF-8;
    else MARC-8 (MARC 21) or ISO 5426 (UNIMARC, decoded best-effort).
    """
    chunks = [data[s.start : s.end] for s in islice(split_iso2709(data), sample) if s.record_no]
    flagged = sum(1 for c in chunks if c[9:10] == b"a")
    majority_flagged = bool(chunks) and flagged * 2 > len(chunks)
    if data.isascii():
        if majority_flagged:
            return EncodingDecision(
                UTF8, f"pure ASCII; leader/09 = 'a' in {flagged} of {len(chunks)} records", True
            )
        return EncodingDecision(
            MARC8,
            "pure ASCII, leader/09 blank: MARC-8 (same as ASCII but for escape sequences)",
            True,
        )
    if _is_valid_utf8(data):
        return EncodingDecision(UTF8, "the bytes are valid UTF-8 with multi-byte sequences", True)
    if majority_flagged:
        return EncodingDecision(
            UTF8,
            f"leader/09 = 'a' (Unicode) in {flagged} of {len(chunks)} records; "
            "invalid bytes are replaced",
        )
    unimarc = flavour_from_tags(iso2709_tags(data[:SNIFF_BYTES])) is Format.UNIMARC
    if unimarc:
        codes = [unimarc_character_set(c) for c in chunks]
        utf8_declared = codes.count(UNIMARC_UTF8_CODE)
        if utf8_declared * 2 > len(codes):
            return EncodingDecision(
                UTF8,
                f"UNIMARC 100 $a/26-27 = 50 (ISO 10646) in {utf8_declared} of "
                f"{len(codes)} records; invalid bytes are replaced",
            )
    non_ascii = [c for c in chunks if not c.isascii()]
    utf8_records = sum(1 for c in non_ascii if _is_valid_utf8(c))
    if utf8_records * 2 > len(non_ascii):
        return EncodingDecision(
            UTF8,
            f"{utf8_records} of {len(non_ascii)} records with non-ASCII bytes are valid "
            "UTF-8 although leader/09 is blank",
        )
    if unimarc:
        named = sorted({UNIMARC_CHARACTER_SETS.get(c or "", "blank") for c in codes})
        return EncodingDecision(
            ISO5426,
            f"UNIMARC, bytes not UTF-8, 100 $a/26-27 declares {', '.join(named)}: "
            "decoded best-effort as Latin-1 (accents may be wrong)",
        )
    return EncodingDecision(MARC8, "leader/09 is blank and the bytes are not UTF-8: MARC-8")


# ---------------------------------------------------------------------------------------
# Splitting the byte stream into records


class Span(NamedTuple):
    """A stretch of the file: a record (``record_no`` ≥ 1) or garbage (``record_no`` None).

    ``notes`` say what was wrong with the framing (they become WARNING Problems);
    ``truncated`` is True when the file ends inside this record.
    """

    record_no: int | None
    start: int
    end: int
    notes: tuple[str, ...] = ()
    truncated: bool = False


def split_iso2709(data: bytes) -> Iterator[Span]:
    """Cut ``data`` into record spans (and garbage spans) — never raises, always advances.

    The leader's record length (leader/00-04) is trusted when the byte before that offset
    is the record terminator 0x1D (ISO 2709 §4.1). Otherwise the record ends at the next
    0x1D (lengths counted in characters rather than bytes, a missing terminator…), and the
    span carries a note saying so.
    """
    n = len(data)
    pos = 0
    record_no = 0
    while True:
        if pos >= n or data[pos] in _SEPARATOR_BYTES:  # records mostly follow each other
            pos = _SEPARATOR_RUN_RE.match(data, pos).end()  # type: ignore[union-attr]
        if pos >= n:
            return
        head = data[pos : pos + 5]
        if head.isdigit():
            end = pos + int(head)
            if end - pos > LEADER_LEN and end <= n and data[end - 1] == RECORD_TERMINATOR:
                record_no += 1
                yield Span(record_no, pos, end)
                pos = end
                continue
        span = _slow_span(data, pos, record_no + 1)
        if span.record_no is not None:
            record_no += 1
        yield span
        pos = span.end


def _slow_span(data: bytes, pos: int, record_no: int) -> Span:
    """The span starting at ``pos`` when the leader's length cannot be trusted."""
    n = len(data)
    terminator = data.find(b"\x1d", pos)
    stop = terminator + 1 if terminator >= 0 else n
    if not _LEADER_RE.match(data, pos):
        if _BAD_LENGTH_LEADER_RE.match(data, pos):
            note = f"leader/00-04 = {data[pos : pos + 5]!r} is not a record length"
            return Span(record_no, pos, stop, (note,), terminator < 0)
        return _damaged_or_garbage(data, pos, stop, record_no)
    head = data[pos : pos + 5]
    length = int(head)
    claimed_end = pos + length
    # The terminator is missing but the next record starts exactly where the leader says.
    if (
        length > LEADER_LEN
        and claimed_end <= n
        and data[claimed_end - 1] == FIELD_TERMINATOR
        and (claimed_end == n or _RECORD_START_RE.match(data, claimed_end))
    ):
        return Span(
            record_no,
            pos,
            claimed_end,
            ("the record terminator (0x1D) is missing; the leader length was used",),
        )
    glued = _GLUED_RE.search(data, pos + LEADER_LEN, stop)
    notes: list[str] = []
    if glued:
        stop = glued.end()
        notes.append(
            "the record terminator (0x1D) is missing; the record was cut where the "
            "next leader starts"
        )
    elif terminator < 0:
        notes.append("no record terminator (0x1D) before the end of the file")
    truncated = terminator < 0 and not glued and claimed_end > n
    if stop - pos != length and not truncated:
        hint = " (lengths counted in characters instead of bytes?)" if length < stop - pos else ""
        notes.append(
            f"leader/00-04 says {length} bytes but the record is {stop - pos} bytes long"
            f"{hint}; it was read up to its terminator"
        )
    return Span(record_no, pos, stop, tuple(notes), truncated)


def _damaged_or_garbage(data: bytes, pos: int, stop: int, record_no: int) -> Span:
    """Bytes that do not start with a leader: garbage, or a record with a damaged leader."""
    resync = _RECORD_START_RE.search(data, pos + 1, stop)
    end = resync.start() if resync else stop
    chunk = data[pos:end]
    if b"\x1e" in chunk and len(chunk) >= LEADER_LEN:
        note = f"the leader is damaged (leader/00-04 = {chunk[:5]!r} is not a record length)"
        return Span(record_no, pos, end, (note,), truncated=data.find(b"\x1d", pos) < 0)
    return Span(None, pos, end)


# ---------------------------------------------------------------------------------------
# Field decoding, one function per encoding


class _UnmappedCounter:
    """Passed as MARC8ToUnicode's ``quiet``: it is consulted once per unmapped character."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0

    def __bool__(self) -> bool:
        self.count += 1
        return True


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _decode_utf8(raw: bytes) -> tuple[str, bool]:
    try:
        return _nfc(raw.decode("utf-8")), False
    except UnicodeDecodeError:
        return _nfc(raw.decode("utf-8", "replace")), True


def _decode_latin1(raw: bytes) -> tuple[str, bool]:
    """ISO 5426 / ISO 6937 best effort: Latin-1 keeps ASCII right and never fails."""
    return _nfc(raw.decode("latin-1")), False


_BASIC_LATIN = 0x42
_EACC = 0x31  # MARC-8 East Asian (multi-byte) set
_MARC8_CODESETS = frozenset(marc8_mapping.CODESETS)


def _spaces_read_as_unmapped(raw: bytes, g0: int) -> int:
    """How many 0x20 bytes pymarc's converter reads while G0 is not basic Latin.

    Only its ASCII table lists the space, so each such byte goes through the converter's
    "no mapping" path (and correctly comes out as a space): these are not decoding errors.
    The escape handling mirrors ``MARC8ToUnicode.translate`` (MARC-8 §"Alternate graphic
    character sets": ESC ( , $ designate G0; ESC ) - designate G1; ESC s resets G0).
    """
    segments = raw.split(b"\x1b")
    count = segments[0].count(b" ") if g0 not in (_BASIC_LATIN, _EACC) else 0
    for segment in segments[1:]:
        lead = segment[0:1]
        if lead in (b"(", b",", b"$") and len(segment) >= 2:
            if lead == b"$" and segment[1:2] == b"," and len(segment) >= 3:
                g0, rest = segment[2], segment[3:]
            else:
                g0, rest = segment[1], segment[2:]
        elif lead in (b")", b"-"):
            rest = segment[2:]
        elif lead and segment[0] in _MARC8_CODESETS:
            g0, rest = segment[0], segment[1:]
        elif lead == b"s":
            g0, rest = _BASIC_LATIN, segment[1:]
        else:
            rest = segment
        if g0 not in (_BASIC_LATIN, _EACC):
            count += rest.count(b" ")
    return count


def _translate_marc8(converter: MARC8ToUnicode, raw: bytes) -> tuple[str, int]:
    """One MARC-8 string through pymarc's converter (which moves combining marks after
    their base letter and returns NFC), and how many bytes it could not map (-1: the
    escape sequences were malformed and the bytes were read as ASCII with U+FFFD)."""
    g0 = converter.g0
    if raw.isascii() and b"\x1b" not in raw and g0 == _BASIC_LATIN:
        return raw.decode("ascii"), 0
    counter = converter.quiet
    before = counter.count if isinstance(counter, _UnmappedCounter) else 0
    try:
        if b"\x1b$" in raw or g0 == _EACC:  # multi-byte sets: the converter may print
            with contextlib.redirect_stderr(io.StringIO()) as err:
                text = converter.translate(raw)
            if err.getvalue():
                return text, -1
        else:
            text = converter.translate(raw)
    except Exception:  # IndexError/TypeError on broken escapes, whatever else: never crash
        return _nfc(raw.decode("ascii", "replace")), -1
    after = counter.count if isinstance(counter, _UnmappedCounter) else 0
    return text, max(0, after - before - _spaces_read_as_unmapped(raw, g0))


def _split_subfields(text: str) -> tuple[DataField, str]:
    """Indicators and subfields of a decoded data field, and the text found between the two
    indicators and the first subfield delimiter (it belongs to no subfield: dropped)."""
    parts = text.split("\x1f")
    head = parts[0]
    subfields = [(part[0], part[1:]) for part in parts[1:] if part]
    return (head[0:1] or " ", head[1:2] or " ", subfields), head[2:]


#: A decoded field value, a note when bytes had to be replaced (encoding), and a note when
#: content belonging to no subfield was dropped (structure).
_Decoded = tuple[str | DataField, str | None, str | None]


def _dropped_note(dropped: str) -> str | None:
    """Stray indicator padding ("\\\\", blanks, "#") is harmless; real text is reported."""
    if dropped.strip(" \\#|"):
        return f"text between the indicators and the first subfield was dropped: {dropped!r}"
    return None


def _decode_field(raw: bytes, control: bool, encoding: str) -> _Decoded:
    """A field's value and, when something was repaired, notes saying what."""
    if encoding == MARC8:
        return _decode_marc8_field(raw, control)
    decode = _decode_utf8 if encoding == UTF8 else _decode_latin1
    text, bad = decode(raw)
    note = "bytes that are not valid UTF-8 were replaced by U+FFFD" if bad else None
    if control:
        return text, note, None
    field, dropped = _split_subfields(text)
    return field, note, (_dropped_note(dropped) if dropped else None)


def _decode_marc8_field(raw: bytes, control: bool) -> _Decoded:
    """MARC-8, one converter per field so escape sequences carry across its subfields."""
    converter = MARC8ToUnicode(quiet=_UnmappedCounter())  # type: ignore[arg-type]
    problems: list[int] = []
    if control:
        text, bad = _translate_marc8(converter, raw)
        problems.append(bad)
        result: str | DataField = text
        dropped = ""
    else:
        pieces = raw.split(b"\x1f")
        head = pieces[0].decode("latin-1")
        subfields = []
        for piece in pieces[1:]:
            if piece:
                text, bad = _translate_marc8(converter, piece[1:])
                problems.append(bad)
                subfields.append((chr(piece[0]), text))
        result = (head[0:1] or " ", head[1:2] or " ", subfields)
        dropped = head[2:]
    notes = []
    if -1 in problems:
        notes.append(
            "malformed MARC-8 (a broken escape sequence or multi-byte character); some "
            "characters may be wrong or replaced by U+FFFD"
        )
    unmapped = sum(p for p in problems if p > 0)
    if unmapped:
        notes.append(f"{unmapped} MARC-8 byte(s) with no Unicode mapping were replaced by spaces")
    return result, ("; ".join(notes) or None), (_dropped_note(dropped) if dropped else None)


# ---------------------------------------------------------------------------------------
# Records


@lru_cache(maxsize=4096)
def _flavour_of(tags: bytes) -> str:
    """MARC 21 or UNIMARC from a record's directory tags, concatenated (3 bytes each), by
    sniff.flavour_from_tags (245/008 say MARC 21; 200 with 100/101/210/214 say UNIMARC)."""
    return flavour_from_tags(
        {tags[i : i + 3].decode("latin-1") for i in range(0, len(tags), 3)}
    ).value


#: MARC 21 / UNIMARC control fields (001-009): a plain string, no indicators or subfields.
_CONTROL_TAGS = frozenset(f"{n:03d}".encode() for n in range(1, 10)) | {b"000"}
#: One subfield of a decoded data field: delimiter, code, value (an empty one is skipped, as
#: ``str.split`` + "if part" would; one regex call is cheaper than the split and a loop).
_SUBFIELD_RE = re.compile("\x1f([^\x1f])([^\x1f]*)")
#: Plans kept per file (a file with more distinct tag sequences starts afresh).
_MAX_PLANS = 4096


@dataclass(slots=True)
class _Context:
    file: str
    decision: EncodingDecision
    wanted: Callable[[str], frozenset[str] | None] | None
    wanted_bytes: dict[str, frozenset[bytes] | None]
    utf8_everywhere: bool = False  # UTF-8 file whose every byte was checked valid
    plans: dict[bytes, _Plan] = dataclass_field(default_factory=dict)  # by the record's tags

    def tags_for(self, flavour: str) -> frozenset[bytes] | None:
        """The wanted tags as bytes (plus 001, which names the record); None = all."""
        if flavour not in self.wanted_bytes:
            tags = self.wanted(flavour) if self.wanted else None
            self.wanted_bytes[flavour] = (
                None if tags is None else frozenset(t.encode("latin-1") for t in tags) | {b"001"}
            )
        return self.wanted_bytes[flavour]


#: Something to report about a record: (field tag or None, kind, message, value shown).
_Note = tuple[str | None, Kind, str, str | None]
_Fields = dict[str, list[str | DataField]]


class _Plan(NamedTuple):
    """How to read the records that share one tag sequence (see :func:`_plan`)."""

    flavour: str
    bad_tags: tuple[_Note, ...]
    reads: tuple[tuple[int, bytes, str, bool], ...]


class _DirectoryError(Exception):
    """The directory does not describe the record's bytes (the message says how)."""


def iter_iso2709(
    data: bytes,
    *,
    file: str,
    wanted: Callable[[str], frozenset[str] | None] | None = None,
    encoding: EncodingDecision | None = None,
) -> Iterator[MarcRecord | Problem]:
    """Yield one MarcRecord per readable record, or an ERROR Problem (record = 1-based
    position) for a record that cannot be read, plus WARNING Problems for repairs
    (encodings, leader lengths, garbage between records). Never raises on bad bytes.

    ``wanted(flavour)`` gives the tags to decode for a record of that flavour ("marc21" /
    "unimarc"); None decodes every field. 001 is always decoded (it names the record).
    ``encoding`` is the file's decision when ``data`` is only a part of the file (parallel
    ingest decides once, on the whole file); None decides from ``data``.
    """
    if not data.strip(_SEPARATORS):
        yield _file_problem(file, "the file is empty; export the catalogue again.")
        return
    decision = encoding or decide_encoding(data)
    utf8_everywhere = decision.encoding == UTF8 and decision.utf8_verified
    ctx = _Context(file, decision, wanted, {}, utf8_everywhere)
    records = 0
    for span in split_iso2709(data):
        if span.record_no is None:
            yield _garbage_problem(file, span, data)
            continue
        records += 1
        outcome = _read_record(data[span.start : span.end], span, ctx)
        if type(outcome) is MarcRecord:
            yield outcome
        else:
            yield from outcome  # type: ignore[misc]
    if not records:
        yield _file_problem(
            file,
            "no ISO 2709 record was found (no leader followed by a directory); check that "
            "the file is binary MARC (.mrc) and export it again.",
        )


def _file_problem(file: str, message: str) -> Problem:
    return Problem(file, None, None, None, Kind.UNREADABLE_FILE, message)


def _garbage_problem(file: str, span: Span, data: bytes) -> Problem:
    size = span.end - span.start
    return Problem(
        file,
        None,
        None,
        None,
        Kind.UNREADABLE_RECORD,
        f"{size} byte(s) at offset {span.start} belong to no record and were skipped; if "
        "records are missing, export the catalogue again.",
        Severity.WARNING,
        value=data[span.start : min(span.end, span.start + 40)].decode("latin-1"),
    )


def _read_record(
    chunk: bytes, span: Span, ctx: _Context
) -> MarcRecord | list[MarcRecord | Problem]:
    """One record: its directory first, then a split on 0x1E, then pymarc; else an ERROR.
    A clean record comes back alone (the common case, kept cheap); otherwise a list of
    its Problems, then the record if it could be read."""
    record_no = span.record_no or 0
    result, reason = _read_fields(chunk, span, ctx)
    notes: list[_Note] = (
        [(None, Kind.UNREADABLE_RECORD, f"{n}.", None) for n in span.notes] if span.notes else []
    )
    if result is None:
        control_number = _control_number(chunk)
        advice = _TRUNCATED if span.truncated else _REEXPORT
        error = Problem(
            ctx.file,
            record_no,
            control_number,
            None,
            Kind.UNREADABLE_RECORD,
            f"record unreadable: {reason}; {advice}.",
        )
        return [*_warnings(ctx.file, record_no, control_number, notes), error]
    fields, flavour, more_notes = result
    leader = chunk[:LEADER_LEN].decode("ascii", "replace").ljust(LEADER_LEN)
    record = MarcRecord(leader, record_no, fields, flavour)
    if not notes and not more_notes:
        return record
    notes.extend(more_notes)
    control_number = _first_control(fields.get("001")) or _control_number(chunk)
    return [*_warnings(ctx.file, record_no, control_number, notes), record]


def _warnings(
    file: str, record_no: int, control_number: str | None, notes: list[_Note]
) -> list[MarcRecord | Problem]:
    return [
        Problem(file, record_no, control_number, field, kind, message, Severity.WARNING, value)
        for field, kind, message, value in notes
    ]


def _read_fields(
    chunk: bytes, span: Span, ctx: _Context
) -> tuple[tuple[_Fields, str, list[_Note]] | None, str]:
    """(fields, flavour, notes) by the first reading that works, or None and why not."""
    if len(chunk) < LEADER_LEN + 2:
        return None, f"only {len(chunk)} bytes, shorter than a leader and a directory"
    try:
        return _read_by_directory(chunk, span.truncated, ctx), ""
    except _DirectoryError as exc:
        reason = str(exc)
    if span.truncated:
        return None, reason
    result = _read_by_terminators(chunk, ctx)
    if result is None:
        result, pymarc_error = _read_with_pymarc(chunk, ctx)
        how = "pymarc's permissive reader"
        if result is None:
            return None, f"{reason}; pymarc's permissive reader: {pymarc_error}"
    else:
        how = "splitting the data on field terminators (0x1E)"
    fields, flavour, notes = result
    notes.insert(
        0,
        (
            None,
            Kind.UNREADABLE_RECORD,
            f"the directory does not match the data ({reason}); the fields were read "
            f"by {how} — check the record in the library system.",
            None,
        ),
    )
    return (fields, flavour, notes), ""


def _first_control(values: list[str | DataField] | None) -> str | None:
    if values and isinstance(values[0], str):
        return values[0].strip() or None
    return None


def _control_number(chunk: bytes) -> str | None:
    """001 (MARC 21 and UNIMARC record identifier), when it can be found and read."""
    raw = _raw_field(chunk, b"001")
    if raw is None:
        return None
    return raw.decode("utf-8", "replace").strip() or None


class _Directory(NamedTuple):
    """A checked directory: base address, every entry's (tag, length, offset) bytes, flat,
    the tags joined (the key of the record's :class:`_Plan`), and whether all are printable."""

    base: int
    entries: tuple[bytes, ...]
    tags: bytes
    printable: bool


#: One struct per directory size: a record's (tag, length, offset) entries in one C call.
_ENTRY_LAYOUTS: dict[int, struct.Struct] = {}
#: Printable ASCII, the bytes a well-formed tag is made of (deleted to test a tag key).
_PRINTABLE_BYTES = bytes(range(0x20, 0x7F))
_BAD_DIRECTORY = "the directory has entries that are not tag + 4-digit length + 5-digit offset"


def _entries(chunk: bytes, count: int) -> tuple[bytes, ...]:
    """The first ``count`` directory entries as (tag, length, offset) bytes, flattened."""
    layout = _ENTRY_LAYOUTS.get(count)
    if layout is None:
        if len(_ENTRY_LAYOUTS) > 1024:
            _ENTRY_LAYOUTS.clear()
        layout = _ENTRY_LAYOUTS[count] = struct.Struct("3s4s5s" * count)
    return layout.unpack_from(chunk, LEADER_LEN)


def _directory(chunk: bytes, truncated: bool) -> _Directory:
    """The record's directory after checking its form (ISO 2709 §4.4: 3-byte tag, 4-digit
    length, 5-digit start position). A tag may hold any byte but the terminators; whether
    every tag is printable ASCII is in ``printable``."""
    base_bytes = chunk[12:17]
    if not base_bytes.isdigit():
        raise _DirectoryError(f"leader/12-16 base address {base_bytes!r} is not a number")
    base = int(base_bytes)
    if not LEADER_LEN < base <= len(chunk):
        raise _DirectoryError(f"base address {base} is outside the record ({len(chunk)} bytes)")
    if chunk[base - 1] != FIELD_TERMINATOR:
        raise _DirectoryError("no field terminator ends the directory at the base address")
    if base - 1 == LEADER_LEN:
        raise _DirectoryError("the directory is empty")
    count, extra = divmod(base - 1 - LEADER_LEN, ENTRY_LEN)
    if extra:
        raise _DirectoryError(_BAD_DIRECTORY)
    entries = _entries(chunk, count)
    if not (b"".join(entries[1::3]).isdigit() and b"".join(entries[2::3]).isdigit()):
        raise _DirectoryError(_BAD_DIRECTORY)
    tags = b"".join(entries[0::3])
    printable = not tags.translate(None, _PRINTABLE_BYTES)
    if not printable and (b"\x1d" in tags or b"\x1e" in tags):
        raise _DirectoryError(_BAD_DIRECTORY)
    if truncated:
        furthest = max(
            base + int(entries[i + 1]) + int(entries[i + 2]) for i in range(0, len(entries), 3)
        )
        if furthest > len(chunk):
            raise _DirectoryError(
                f"the file ends {furthest - len(chunk)} bytes before the end of this "
                "record's last field"
            )
    return _Directory(base, entries, tags, printable)


def _plan(tags: bytes, ctx: _Context) -> _Plan:
    """What to read in a record whose directory lists ``tags`` (3 bytes each): its flavour,
    notes on unreadable tags, and the wanted printable fields in directory order as
    (index of the entry in the flat directory tuple, tag, tag text, is a control field).
    Records of one file mostly share a few tag sequences, so plans are kept per file."""
    plan = ctx.plans.get(tags)
    if plan is not None:
        return plan
    flavour = _flavour_of(tags)
    wanted = ctx.tags_for(flavour)
    bad: list[_Note] = []
    reads: list[tuple[int, bytes, str, bool]] = []
    for index in range(0, len(tags), 3):
        tag = tags[index : index + 3]
        if not _PRINTABLE_TAG_RE.fullmatch(tag):
            bad.append(_bad_tag_note(tag))
        elif wanted is None or tag in wanted:
            reads.append((index, tag, tag.decode("latin-1"), tag in _CONTROL_TAGS))
    plan = _Plan(flavour, tuple(bad), tuple(reads))
    if len(ctx.plans) >= _MAX_PLANS:
        ctx.plans.clear()
    ctx.plans[tags] = plan
    return plan


def _read_by_directory(
    chunk: bytes, truncated: bool, ctx: _Context
) -> tuple[_Fields, str, list[_Note]]:
    """Decode the wanted fields the directory points to; each must end with 0x1E.

    This is the hot path: the record's plan (cached per tag sequence) names the wanted
    fields, so the loop only slices and decodes them, with the UTF-8 case inlined
    (function calls cost more than the work).
    """
    base, entries, tags, _ = _directory(chunk, truncated)
    flavour, bad_tags, reads = _plan(tags, ctx)
    notes: list[_Note] = list(bad_tags)
    if ctx.utf8_everywhere and b"\x1b" not in chunk:
        encoding = UTF8  # the whole file is valid UTF-8 and this record has no MARC-8 escape
    else:
        encoding = _note_encoding(chunk, ctx, flavour, notes)
    size = len(chunk)
    fields: _Fields = {}
    utf8 = encoding == UTF8
    normalize = unicodedata.normalize
    for index, tag, tag_text, control in reads:
        length = int(entries[index + 1])
        start = base + int(entries[index + 2])
        end = start + length
        if length == 0 or end > size or chunk[end - 1] != 0x1E:  # FIELD_TERMINATOR
            raise _DirectoryError(
                f"field {tag_text} (offset {start - base}, length {length}) "
                "does not end with a field terminator"
            )
        raw = chunk[start : end - 1]
        if not utf8:
            _add_field(fields, tag, raw, encoding, notes)
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            _add_field(fields, tag, raw, encoding, notes)
            continue
        if not text.isascii():
            text = normalize("NFC", text)
        value: str | DataField
        if control:
            value = text
        else:
            first = text.find("\x1f")
            if first < 0:
                head, subfields = text, []
            else:
                head, subfields = text[:first], _SUBFIELD_RE.findall(text, first)
            value = (head[0:1] or " ", head[1:2] or " ", subfields)
            if len(head) > 2 and _dropped_note(head[2:]):
                notes.append(_structure_note(tag_text, head[2:], value))
        occurrences = fields.get(tag_text)
        if occurrences is None:
            fields[tag_text] = [value]
        else:
            occurrences.append(value)
    return fields, flavour, notes


def _read_by_terminators(chunk: bytes, ctx: _Context) -> tuple[_Fields, str, list[_Note]] | None:
    """Fields from splitting the data area on 0x1E, matched to the directory's tags in
    order: works when the lengths/offsets are wrong but tags and terminators are right."""
    directory_end = chunk.find(b"\x1e", LEADER_LEN)
    if directory_end < 0:
        return None
    directory = chunk[LEADER_LEN:directory_end]
    if not directory or len(directory) % ENTRY_LEN:
        return None
    tags = [directory[p : p + 3] for p in range(0, len(directory), ENTRY_LEN)]
    if not all(_PRINTABLE_TAG_RE.fullmatch(t) for t in tags):
        return None
    pieces = chunk[directory_end + 1 :].rstrip(b"\x1d").split(b"\x1e")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    if len(pieces) != len(tags):
        return None
    flavour = _flavour_of(b"".join(tags))
    wanted = ctx.tags_for(flavour)
    notes: list[_Note] = []
    encoding = _note_encoding(chunk, ctx, flavour, notes)
    fields: _Fields = {}
    for tag, raw in zip(tags, pieces, strict=True):
        if wanted is None or tag in wanted:
            _add_field(fields, tag, raw, encoding, notes)
    return fields, flavour, notes


def _read_with_pymarc(
    chunk: bytes, ctx: _Context
) -> tuple[tuple[_Fields, str, list[_Note]] | None, str]:
    """Second opinion: pymarc's permissive reader on the chunk, its leader length fixed."""
    fixed = chunk if chunk.endswith(b"\x1d") else chunk + b"\x1d"
    if len(fixed) <= 99999:
        fixed = f"{len(fixed):05d}".encode() + fixed[5:]
    utf8 = ctx.decision.encoding == UTF8 or chunk[9:10] == b"a"
    try:
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            reader = pymarc.MARCReader(
                fixed,
                permissive=True,
                to_unicode=True,
                force_utf8=utf8,
                hide_utf8_warnings=True,
                utf8_handling="replace",
            )
            record = next(reader, None)
            if record is None:
                exc = reader.current_exception
                return None, f"{type(exc).__name__}: {exc}" if exc else "no record"
    except Exception as exc:  # pymarc must never crash the import
        return None, f"{type(exc).__name__}: {exc}"
    flavour = _flavour_of(
        b"".join(f.tag.encode("latin-1", "replace")[:3].ljust(3) for f in record.fields)
    )
    wanted = ctx.tags_for(flavour)
    fields: _Fields = {}
    for field in record.fields:
        if wanted is not None and field.tag.encode("latin-1", "replace") not in wanted:
            continue
        if field.is_control_field():
            value: str | DataField = _nfc(field.data or "")
        else:
            value = (
                field.indicator1 or " ",
                field.indicator2 or " ",
                [(s.code, _nfc(s.value)) for s in field.subfields],
            )
        fields.setdefault(field.tag, []).append(value)
    return (fields, flavour, []), ""


def _bad_tag_note(tag: bytes) -> _Note:
    return (
        None,
        Kind.UNREADABLE_RECORD,
        f"a directory entry has an unreadable tag {tag!r}; that field was skipped — check "
        "the record in the library system.",
        None,
    )


def _note_encoding(chunk: bytes, ctx: _Context, flavour: str, notes: list[_Note]) -> str:
    encoding, note = _record_encoding(chunk, ctx.decision, flavour)
    if note:
        notes.append((None, Kind.ENCODING, f"{note}.", None))
    return encoding


def _add_field(fields: _Fields, tag: bytes, raw: bytes, encoding: str, notes: list[_Note]) -> None:
    tag_text = tag.decode("latin-1")
    control = tag in _CONTROL_TAGS
    value, encoding_note, structure_note = _decode_field(raw, control, encoding)
    if encoding_note:
        notes.append(
            (
                tag_text,
                Kind.ENCODING,
                f"{encoding_note}; check the field in the library system.",
                _shown(value),
            )
        )
    if structure_note:
        notes.append(
            (
                tag_text,
                Kind.UNREADABLE_RECORD,
                f"{structure_note}; check the field in the library system.",
                _shown(value),
            )
        )
    fields.setdefault(tag_text, []).append(value)


def _structure_note(tag_text: str, dropped: str, value: str | DataField) -> _Note:
    return (
        tag_text,
        Kind.UNREADABLE_RECORD,
        f"{_dropped_note(dropped)}; check the field in the library system.",
        _shown(value),
    )


def _shown(value: str | DataField) -> str:
    """A field value as a librarian reads it in an editor ($a … $b …)."""
    if isinstance(value, str):
        return value
    return " ".join(f"${code} {text}" for code, text in value[2])


def _record_encoding(
    chunk: bytes, decision: EncodingDecision, flavour: str
) -> tuple[str, str | None]:
    """The encoding of one record, and a note when it departs from the file's or its leader.

    Pure ASCII is read as UTF-8 unless it holds MARC-8 escape sequences (0x1B) and leader/09
    is not 'a'. Valid UTF-8 is UTF-8, also when leader/09 is blank (UNIMARC exports often
    leave it so). Damaged UTF-8 (some valid multi-byte sequences) is UTF-8 when leader/09 is
    'a' (MARC 21 leader/09 "UCS/Unicode") or the file is UTF-8: the bad bytes are replaced.
    Bytes with no UTF-8 sequence at all are MARC-8 (MARC 21) or ISO 5426 (UNIMARC), even
    when leader/09 claims Unicode (ANSEL accents in a record flagged 'a').
    """
    flagged = chunk[9:10] == b"a"
    legacy = ISO5426 if flavour == _UNIMARC else MARC8
    if chunk.isascii():
        return (legacy if b"\x1b" in chunk and not flagged else UTF8), None
    utf8_file = decision.encoding == UTF8
    if decision.utf8_verified or _is_valid_utf8(chunk):
        if flagged or utf8_file:
            return UTF8, None
        return UTF8, (
            "leader/09 is blank (MARC-8) but the record's bytes are UTF-8; read as UTF-8 — "
            "set leader/09 to 'a' in the export"
        )
    if (flagged or utf8_file) and _UTF8_MULTIBYTE_RE.search(chunk):
        return UTF8, None  # damaged UTF-8: the bad fields get their own warnings
    if legacy == ISO5426:
        return legacy, (
            "UNIMARC record not in UTF-8 (ISO 5426 / ISO 6937?): read best-effort as Latin-1, "
            "accented letters may be wrong — export the catalogue in UTF-8"
        )
    if flagged:
        return legacy, (
            "leader/09 = 'a' (Unicode) but the bytes are not UTF-8 (they look like MARC-8); "
            "read as MARC-8 — correct leader/09 in the library system"
        )
    if utf8_file:
        return legacy, "this record is not UTF-8 although the file is; read as MARC-8"
    return legacy, None
