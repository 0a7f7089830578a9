"""Tell a catalogue's format from its bytes, never from its file name.

ISO 2709 files are recognised by their leader (5 digits of record length, indicator and
subfield-code counts ``22`` at leader/10-11) and their separators; MARC21 and UNIMARC are
then told apart by the tags of the first records (MARC21 has 008 and 245, UNIMARC has 100
and 200). MARCXML by its root element, its flavour by the same tags. Zip files are XLSX
when they hold ``xl/workbook.xml``. Anything else that decodes as delimited text is a table.
"""

from __future__ import annotations

import enum
import io
import re
import zipfile

from fundplanner.errors import UnrecognisedFormat

#: How many bytes the sniffer looks at (ISO 2709 directories and XML heads fit in this).
SNIFF_BYTES = 256 * 1024

_LEADER_RE = re.compile(rb"^\d{5}[ -~]{5}[ 0-9][ 0-9]\d{5}[ -~]{3}[ 0-9]{2}[ 0-9A-Za-z ]{2}")
_XML_TAG_RE = re.compile(rb'<(?:[\w.-]+:)?(?:datafield|controlfield)[^>]*\btag\s*=\s*["\'](\d{3})')
_MARC21_TAGS = frozenset({"008", "245", "260", "264", "020", "082", "041", "100", "300"})
_UNIMARC_TAGS = frozenset({"200", "210", "214", "215", "010", "101", "676", "700", "105"})


class Format(enum.StrEnum):
    """Supported catalogue formats (the value is what reports and the CLI show)."""

    MARC21 = "marc21"
    UNIMARC = "unimarc"
    MARCXML = "marcxml"
    UNIMARCXML = "unimarcxml"
    CSV = "csv"
    XLSX = "xlsx"

    @property
    def is_iso2709(self) -> bool:
        return self in (Format.MARC21, Format.UNIMARC)

    @property
    def is_xml(self) -> bool:
        return self in (Format.MARCXML, Format.UNIMARCXML)

    @property
    def is_table(self) -> bool:
        return self in (Format.CSV, Format.XLSX)


FORMAT_NAMES = tuple(f.value for f in Format)


def parse_format(name: str) -> Format:
    """The Format named ``name`` (``tsv`` is read as CSV with its delimiter sniffed)."""
    key = name.strip().lower().replace("-", "")
    aliases = {
        "tsv": "csv",
        "iso2709": "marc21",
        "mrc": "marc21",
        "xml": "marcxml",
        "excel": "xlsx",
    }
    key = aliases.get(key, key)
    try:
        return Format(key)
    except ValueError:
        raise UnrecognisedFormat(
            f"Unknown format {name!r}; use one of {', '.join(FORMAT_NAMES)}."
        ) from None


def flavour_from_tags(tags: set[str]) -> Format:
    """MARC21 or UNIMARC from a set of tags seen in records (ties go to MARC21).

    MARC21 has 008 and 245 (title); UNIMARC has 100 (general processing data) and 200
    (title). 100 is also the MARC21 main-entry personal name, so 245/008 decide first.
    """
    if "245" in tags or "008" in tags:
        return Format.MARC21
    if "200" in tags and ("100" in tags or "101" in tags or "210" in tags or "214" in tags):
        return Format.UNIMARC
    marc21 = len(tags & _MARC21_TAGS)
    unimarc = len(tags & _UNIMARC_TAGS)
    return Format.UNIMARC if unimarc > marc21 else Format.MARC21


def looks_like_iso2709(head: bytes) -> bool:
    """True when ``head`` starts with an ISO 2709 leader and has field terminators.

    A clean leader matches :data:`_LEADER_RE`. Damaged leaders (control bytes in the entry
    map at leader/20-23, a non-digit in the record length) still count when the directory
    that follows starts with a well-formed 12-digit entry (tag, length, start).
    """
    body = head.lstrip(b"\r\n\t \x00\xef\xbb\xbf")
    if b"\x1e" not in body[:SNIFF_BYTES]:
        return False
    if _LEADER_RE.match(body[:24]):
        return True
    leader, entry = body[:24], body[24:36]
    digits_in_length = sum(c in b"0123456789" for c in leader[:5])
    return (
        entry.isdigit() and len(entry) == 12 and (digits_in_length >= 4 or leader[12:17].isdigit())
    )


def iso2709_tags(head: bytes, max_records: int = 20) -> set[str]:
    """Tags from the directories of the first records (no field is decoded)."""
    tags: set[str] = set()
    for chunk in head.split(b"\x1d")[:max_records]:
        chunk = chunk.lstrip(b"\r\n\t \x00")
        if len(chunk) < 25:
            continue
        end = chunk.find(b"\x1e", 24)
        directory = chunk[24 : end if end > 0 else len(chunk)]
        for pos in range(0, len(directory) - 11, 12):
            tag = directory[pos : pos + 3]
            if tag.isdigit():
                tags.add(tag.decode("ascii"))
    return tags


def _sniff_xml(head: bytes) -> Format:
    text_head = head[:4096].lower()
    if b"<" not in text_head:
        raise UnrecognisedFormat("")
    if b"marc" not in head[:SNIFF_BYTES].lower() and b"<record" not in text_head:
        raise UnrecognisedFormat(
            "is XML but not MARCXML (no MARC namespace, <collection> or <record>). "
            "Export the catalogue as MARCXML (http://www.loc.gov/MARC21/slim) or as CSV."
        )
    tags = {m.decode() for m in _XML_TAG_RE.findall(head[:SNIFF_BYTES])}
    return Format.UNIMARCXML if flavour_from_tags(tags) is Format.UNIMARC else Format.MARCXML


def _is_xlsx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return False
    return "xl/workbook.xml" in names


def sniff_format(data: bytes, *, file: str = "<bytes>") -> Format:
    """The format of a whole file's bytes; :class:`UnrecognisedFormat` says why not."""
    head = data[:SNIFF_BYTES]
    if not head.strip():
        raise UnrecognisedFormat(f"{file}: the file is empty; export the catalogue again.")
    if head.startswith(b"PK\x03\x04"):
        if _is_xlsx(data):
            return Format.XLSX
        raise UnrecognisedFormat(
            f"{file}: a zip archive that is not an Excel workbook (.xlsx); "
            "unzip it and scan the catalogue files inside."
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnrecognisedFormat(
            f"{file}: an old Excel 97-2003 (.xls) workbook; open it in Excel or LibreOffice "
            "and save it as .xlsx or CSV (UTF-8)."
        )
    if looks_like_iso2709(head) or _has_marc_separators(head):
        return flavour_from_tags(iso2709_tags(head))
    if _MARC8_ESCAPE_RE.search(head[:4096]):
        raise UnrecognisedFormat(
            f"{file}: MARC-8 encoded text (escape sequences such as ESC ( 3) without the ISO 2709 "
            "record structure; export the records themselves as MARC21 or MARCXML."
        )
    stripped = _strip_boms(head)
    if stripped.startswith(b"<"):
        try:
            return _sniff_xml(stripped)
        except UnrecognisedFormat as exc:
            raise UnrecognisedFormat(f"{file}: {exc}") from None
    if stripped.startswith(b"=LDR"):
        raise UnrecognisedFormat(
            f"{file}: MARCMaker/MARCBreaker text (.mrk), not ISO 2709; compile it to binary "
            "MARC (MarcEdit > MARCMaker) or export MARCXML, then scan that file."
        )
    if stripped[:1] in (b"{", b"["):
        raise UnrecognisedFormat(
            f"{file}: looks like JSON; export the catalogue as MARC, MARCXML, CSV or XLSX."
        )
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        if _looks_utf16(head):
            return Format.CSV
        raise UnrecognisedFormat(
            f"{file}: binary data that is none of MARC (ISO 2709), MARCXML, CSV or XLSX."
        )
    return Format.CSV


_MARC8_ESCAPE_RE = re.compile(rb"\x1b[()$,][0-9A-Za-z]")


def _has_marc_separators(head: bytes) -> bool:
    """A damaged leader but real ISO 2709 bytes: digits first, field and record terminators.

    Delimited text never holds 0x1E (field terminator) or 0x1D (record terminator).
    """
    body = head.lstrip(b"\r\n\t \x00")
    return body[:5].isdigit() and b"\x1e" in body and b"\x1d" in body


def _strip_boms(head: bytes) -> bytes:
    for bom, codec in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if head.startswith(bom):
            if codec == "utf-8":
                return head[len(bom) :].lstrip()
            text = head[len(bom) : len(bom) + 4096]
            text = text[: len(text) // 2 * 2]
            return text.decode(codec, errors="ignore").lstrip().encode("utf-8")
    if _looks_utf16(head):
        codec = "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
        sample = head[:4096]
        return sample[: len(sample) // 2 * 2].decode(codec, errors="ignore").lstrip().encode()
    return head.lstrip()


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a BOM: every other byte of ASCII text is NUL."""
    sample = head[:2048]
    if len(sample) < 4:
        return False
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    return max(even_nuls, odd_nuls) > 0.4 * half and min(even_nuls, odd_nuls) < 0.05 * half
