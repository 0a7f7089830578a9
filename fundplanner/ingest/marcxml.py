"""MARCXML / UNIMARC slim / MarcXchange reader: bytes in, :class:`MarcRecord` or Problem out.

The file is streamed with lxml ``iterparse`` (``end`` events on ``record`` elements in any
namespace or none, cleared after use: memory stays flat), with entity resolution, DTD loading
and network access off, so billion-laughs and external-entity (XXE) files cannot expand.

Accepted shapes: MARC 21 slim (``http://www.loc.gov/MARC21/slim``, with any prefix or no
namespace), MarcXchange (ISO 25577, ``info:lc/xmlns/marcxchange-v1/-v2``), UNIMARC slim
(``info:lc/xmlns/unimarcslim``, RUSMARC), the BNCF UNIMARC slim with short names
(``rec/lab/cf/df/sf`` with ``t/i1/i2/c``), and records wrapped in SRU or OAI-PMH responses.
A ``record`` element counts as MARC when it holds a leader, control or data field (an SRU
``srw:record`` wrapper does not), or when it is an empty record in a MARC namespace.

Errors are data: a record with a damaged part is kept with WARNING problems; an XML syntax
error keeps the records before it, then a lenient second pass (``recover=True``, or wrapping
several root ``<record>`` elements in a ``<collection>``) tries to read the rest, and one
ERROR problem says where the XML broke and what was recovered.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from fundplanner.errors import Kind, Problem, Severity
from fundplanner.ingest import fieldmap
from fundplanner.ingest.marcdata import DataField, MarcRecord
from fundplanner.ingest.sniff import Format, flavour_from_tags

#: Elements that may be a MARC record: ``record`` in every dialect, ``rec`` in BNCF's.
RECORD_ELEMENTS = ("{*}record", "{*}rec")

#: Length of a MARC leader (ISO 2709 / MARC 21 Leader, UNIMARC Record Label).
LEADER_LENGTH = 24

_LEADER, _CONTROL, _DATA = "leader", "control", "data"
_PART_NAMES = {
    "leader": _LEADER,
    "controlfield": _CONTROL,
    "datafield": _DATA,
    "lab": _LEADER,
    "cf": _CONTROL,
    "df": _DATA,
}
#: Attribute names: MARCXML (tag, ind1, ind2, code) or BNCF short form (t, i1, i2, c).
_LONG_ATTRIBUTES = ("tag", "ind1", "ind2", "code")
_SHORT_ATTRIBUTES = ("t", "i1", "i2", "c")
_XML_DECLARATION = re.compile(rb"^\s*(?:\xef\xbb\xbf)?\s*<\?xml[^>]*\?>")
_EXTRA_CONTENT = "Extra content at the end of the document"

#: Tags whose subfields are decoded (the field maps of both flavours read only these).
DEFAULT_WANTED = fieldmap.wanted_tags(
    fieldmap.load_field_map(flavour) for flavour in fieldmap.MAP_FILES
)

_part_cache: dict[str, tuple[str | None, bool]] = {}
_subfield_cache: dict[str, bool] = {}


@dataclass
class _Progress:
    """How far a pass got: MARC records read, and whether a record element is open."""

    records: int = 0
    depth: int = 0


def iter_marcxml(
    data: bytes, *, file: str, wanted: frozenset[str] | None = None
) -> Iterator[MarcRecord | Problem]:
    """Every MARC record of a MARCXML file, in order, and the problems found on the way.

    ``wanted`` limits the data fields whose subfields are decoded (default: what the field
    maps read); control fields are always kept. Never raises on bad input.
    """
    wanted = DEFAULT_WANTED if wanted is None else wanted
    progress = _Progress()
    try:
        yield from _read_pass(data, file, wanted, progress, recover=False, skip=0)
    except etree.XMLSyntaxError as error:
        yield from _after_syntax_error(data, file, wanted, progress, error)
        return
    except etree.LxmlError as error:
        yield _file_problem(file, f"the XML cannot be parsed ({error}).")
        return
    if progress.records == 0:
        yield _no_records_problem(file)


def _read_pass(
    data: bytes,
    file: str,
    wanted: frozenset[str],
    progress: _Progress,
    *,
    recover: bool,
    skip: int,
) -> Iterator[MarcRecord | Problem]:
    """One streaming pass; the first ``skip`` MARC records are counted but not yielded."""
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        tag=RECORD_ELEMENTS,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=recover,
    )
    for event, element in events:
        if event == "start":
            progress.depth += 1
            continue
        progress.depth -= 1
        if _is_marc_record(element):
            progress.records += 1
            if progress.records > skip:
                yield from read_record(element, progress.records, file, wanted)
        _release(element)


def _release(element: etree._Element) -> None:
    """Free a finished record and the siblings before it (constant memory)."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is None:
        return
    while element.getprevious() is not None:
        del parent[0]


def _part_of(tag: str) -> tuple[str | None, bool]:
    """(leader/control/data or None, True for BNCF short names) of an element tag, cached."""
    cached = _part_cache.get(tag)
    if cached is None:
        local = tag.rpartition("}")[2]
        cached = (_PART_NAMES.get(local), local in ("lab", "cf", "df"))
        if len(_part_cache) < 512:
            _part_cache[tag] = cached
    return cached


def _is_subfield(tag: str) -> bool:
    """``subfield`` (any namespace) or BNCF ``sf``, cached."""
    known = _subfield_cache.get(tag)
    if known is None:
        known = tag.rpartition("}")[2] in ("subfield", "sf")
        if len(_subfield_cache) < 512:
            _subfield_cache[tag] = known
    return known


def _is_marc_record(element: etree._Element) -> bool:
    """A record with MARC parts, or an empty record element in a MARC namespace."""
    empty = True
    for child in element:
        if isinstance(child.tag, str):
            empty = False
            if _part_of(child.tag)[0] is not None:
                return True
    if not empty:
        return False
    namespace = element.tag.partition("}")[0].lower() if element.tag.startswith("{") else ""
    return namespace == "" or "marc" in namespace


# --------------------------------------------------------------------------- one record


@dataclass
class _RecordBuilder:
    """Collects one record's parts and the warnings about them."""

    number: int
    file: str
    leader: str | None = None
    fields: dict[str, list[str | DataField]] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    warnings: list[tuple[str | None, str, str | None]] = field(default_factory=list)

    def warn(self, tag: str | None, message: str, value: str | None = None) -> None:
        self.warnings.append((tag, message, value))

    def problems(self, control_number: str | None) -> Iterator[Problem]:
        for tag, message, value in self.warnings:
            yield Problem(
                self.file,
                self.number,
                control_number,
                tag,
                Kind.UNREADABLE_RECORD,
                message,
                Severity.WARNING,
                value,
            )


def read_record(
    element: etree._Element, number: int, file: str, wanted: frozenset[str]
) -> Iterator[MarcRecord | Problem]:
    """The MarcRecord of one ``record`` element, then a WARNING per damaged part."""
    builder = _RecordBuilder(number, file)
    attributes = _LONG_ATTRIBUTES
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue  # comments, processing instructions, unexpanded entities
        part, short = _part_of(tag)
        if part is None:
            continue
        if short:
            attributes = _SHORT_ATTRIBUTES
        if part == _LEADER:
            _add_leader(builder, _text_of(child, builder, "LDR"))
        elif part == _CONTROL:
            _add_control(builder, child, attributes)
        else:
            _add_data(builder, child, attributes, wanted)
    record = MarcRecord(
        leader=_checked_leader(builder),
        record_no=number,
        fields=builder.fields,
        flavour=_flavour(builder.tags),
    )
    yield record
    yield from builder.problems(record.control("001"))


def _flavour(tags: set[str]) -> str:
    """MARC 21 or UNIMARC from the record's tags (:func:`sniff.flavour_from_tags`)."""
    return "unimarc" if flavour_from_tags(tags) is Format.UNIMARC else "marc21"


def _text_of(element: etree._Element, builder: _RecordBuilder, tag: str | None) -> str:
    """Element text; unexpanded entity references are dropped with a warning."""
    text = element.text or ""
    if len(element):
        for child in element:
            if not isinstance(child.tag, str) and child.tag is etree.Entity:
                builder.warn(
                    tag,
                    f"the entity reference {child.text} was not expanded (entities are never "
                    "resolved, for safety); replace it with the character it stands for.",
                    child.text,
                )
            text += child.tail or ""
    return text


def _add_leader(builder: _RecordBuilder, text: str) -> None:
    if builder.leader is not None:
        builder.warn("LDR", "the record has two leaders; the first was kept.", text)
        return
    builder.leader = text


def _checked_leader(builder: _RecordBuilder) -> str:
    """The leader, padded or cut to 24 characters (ISO 2709 leader length), with warnings."""
    leader = builder.leader
    if leader is None:
        if builder.fields:
            builder.warn(
                "LDR",
                "the record has no leader; its type is unknown and it is read as a book. "
                "Export it again with its leader if it is not.",
            )
        else:
            builder.warn(None, "the record is empty (no leader, no field).")
        return " " * LEADER_LENGTH
    if len(leader) != LEADER_LENGTH:
        builder.warn(
            "LDR",
            f"the leader has {len(leader)} characters instead of {LEADER_LENGTH}; it was "
            f"{'padded with blanks' if len(leader) < LEADER_LENGTH else 'cut'} to "
            f"{LEADER_LENGTH}. Check the record type (leader/06) in the source.",
            leader,
        )
        leader = leader[:LEADER_LENGTH].ljust(LEADER_LENGTH)
    return leader


def _checked_tag(builder: _RecordBuilder, raw: str | None, kind: str) -> str | None:
    """A usable tag, or None (field skipped) with a warning.

    Tags are three digits; ``"42"`` is read as ``042`` (leading zeros lost by some
    exporters). Three upper-case letters or digits (``FMT``, ``CAT``: local tags that
    ISO 2709 allows) are kept without a word; anything else is skipped.
    """
    if raw is None or not raw.strip():
        builder.warn(None, f"a {kind} has no tag; it was skipped. Give it its MARC tag.")
        return None
    tag = raw.strip()
    if len(tag) == 3 and (tag.isdigit() or (tag.isascii() and tag.isalnum() and tag.isupper())):
        return tag
    if tag.isdigit() and len(tag) < 3:
        padded = tag.zfill(3)
        builder.warn(padded, f"the {kind} tag {tag!r} is not three digits; read as {padded}.", tag)
        return padded
    builder.warn(
        None,
        f"the {kind} tag {tag!r} is not a MARC tag (three digits); the field was skipped.",
        tag,
    )
    return None


def _add_control(
    builder: _RecordBuilder, element: etree._Element, attributes: tuple[str, ...]
) -> None:
    tag = _checked_tag(builder, element.get(attributes[0]), "controlfield")
    if tag is None:
        return
    text = _text_of(element, builder, tag)
    if tag.isdigit() and not tag.startswith("00"):
        builder.warn(
            tag,
            f"controlfield {tag} carries a data field's tag; its text was kept whole but "
            "cannot be split into subfields. Export it as a <datafield>.",
            text[:80],
        )
    builder.tags.add(tag)
    builder.fields.setdefault(tag, []).append(text)


def _add_data(
    builder: _RecordBuilder,
    element: etree._Element,
    attributes: tuple[str, ...],
    wanted: frozenset[str],
) -> None:
    raw = element.get(attributes[0])
    tag = (
        raw if raw and len(raw) == 3 and raw.isdigit() else _checked_tag(builder, raw, "datafield")
    )
    if tag is None:
        return
    builder.tags.add(tag)
    if tag not in wanted and not tag.startswith("00"):
        return
    if tag.startswith("00"):
        _add_data_as_control(builder, element, attributes, tag)
        return
    ind1 = _indicator(builder, element.get(attributes[1]), tag)
    ind2 = _indicator(builder, element.get(attributes[2]), tag)
    subfields = _subfields(builder, element, attributes[3], tag)
    builder.fields.setdefault(tag, []).append((ind1, ind2, subfields))


def _add_data_as_control(
    builder: _RecordBuilder, element: etree._Element, attributes: tuple[str, ...], tag: str
) -> None:
    """A ``datafield`` with a control tag (00X): its subfield texts joined become the value."""
    text = "".join(value for _, value in _subfields(builder, element, attributes[3], tag))
    builder.warn(
        tag,
        f"datafield {tag} carries a control field's tag; its subfields were joined into the "
        "control field value. Export it as a <controlfield>.",
        text[:80],
    )
    builder.fields.setdefault(tag, []).append(text)


def _indicator(builder: _RecordBuilder, value: str | None, tag: str) -> str:
    """One character; missing -> blank; longer -> its first character, with a warning."""
    if not value:
        return " "
    if len(value) > 1:
        builder.warn(tag, f"indicator {value!r} is longer than one character; kept {value[0]!r}.")
    return value[0]


def _subfields(
    builder: _RecordBuilder, element: etree._Element, code_attribute: str, tag: str
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for sub in element:
        if not isinstance(sub.tag, str):
            continue
        if not _is_subfield(sub.tag):
            builder.warn(
                tag,
                f"{tag} holds an element <{sub.tag.rpartition('}')[2]}> where a <subfield> "
                "belongs; it was read as a subfield. Rename it in the source.",
                (sub.text or "")[:80],
            )
        code = sub.get(code_attribute)
        if not code:
            builder.warn(
                tag,
                f"a subfield of {tag} has no code; it was skipped. Give it its code.",
                (sub.text or "")[:80],
            )
            continue
        text = sub.text or ""
        if len(sub):
            text = _text_of(sub, builder, tag)
        out.append((code[0] if len(code) > 1 else code, text))
    return out


# --------------------------------------------------------------------------- syntax errors


def _after_syntax_error(
    data: bytes,
    file: str,
    wanted: frozenset[str],
    progress: _Progress,
    error: etree.XMLSyntaxError,
) -> Iterator[MarcRecord | Problem]:
    """Report where the XML broke, after trying to recover the records that follow."""
    read = progress.records
    inside = progress.depth > 0
    recovered = _recover(data, file, wanted, skip=read, error=error)
    new_records = sum(isinstance(item, MarcRecord) for item in recovered)
    yield _syntax_problem(file, error, read=read, inside=inside, recovered=new_records)
    yield from recovered


def _recover(
    data: bytes, file: str, wanted: frozenset[str], *, skip: int, error: etree.XMLSyntaxError
) -> list[MarcRecord | Problem]:
    """Records after the first ``skip`` from a lenient pass (nothing when it fails too).

    Several root ``<record>`` elements ("Extra content at the end of the document") are
    read by wrapping the file in a ``<collection>``; other errors by libxml2's recover mode.
    """
    if _EXTRA_CONTENT in str(error.msg):
        body = _XML_DECLARATION.sub(b"", data, count=1)
        wrapped = b"<collection>" + body + b"</collection>"
        items = _collect(wrapped, file, wanted, skip=skip, recover=False)
        if items is not None:
            return items
        data = wrapped
    return _collect(data, file, wanted, skip=skip, recover=True) or []


def _collect(
    data: bytes, file: str, wanted: frozenset[str], *, skip: int, recover: bool
) -> list[MarcRecord | Problem] | None:
    """All items of one pass, or None when the pass breaks before reading anything new."""
    items: list[MarcRecord | Problem] = []
    try:
        items.extend(_read_pass(data, file, wanted, _Progress(), recover=recover, skip=skip))
    except etree.LxmlError:
        if not recover:
            return None
    return items


def _syntax_problem(
    file: str, error: etree.XMLSyntaxError, *, read: int, inside: bool, recovered: int
) -> Problem:
    line, column = (error.position or (error.lineno, 0))[:2]
    where = f"line {line}, column {column}"
    reason = str(error.msg).rsplit(", line ", 1)[0].strip()
    message = f"the XML is broken at {where} ({reason})"
    if inside:
        message += f", while reading record {read + 1}"
    elif read:
        message += f", after record {read}"
    message += "." if not read else f"; {_records_span(1, read)} read."
    if recovered:
        message += (
            f" A lenient second reading recovered {recovered} more record(s) "
            f"({_records_span(read + 1, read + recovered).rsplit(' ', 1)[0]})"
            + (
                f"; record {read + 1} may be incomplete, check it against the source."
                if inside
                else "."
            )
        )
    else:
        message += " The rest of the file was not read."
    message += f" Fix the XML at {where} (xmllint --noout shows it) and scan the file again."
    kind = Kind.UNREADABLE_RECORD if inside else Kind.UNREADABLE_FILE
    # Recovered records are kept, so the problem is a warning; lost ones make it an error.
    severity = Severity.WARNING if recovered else Severity.ERROR
    return Problem(file, read + 1 if inside else None, None, None, kind, message, severity)


def _records_span(first: int, last: int) -> str:
    return f"record {first} was" if first == last else f"records {first}-{last} were"


def _file_problem(file: str, message: str) -> Problem:
    return Problem(file, None, None, None, Kind.UNREADABLE_FILE, message)


def _no_records_problem(file: str) -> Problem:
    return _file_problem(
        file,
        "no MARC record found: the XML has no <record> holding a <leader>, <controlfield> or "
        "<datafield> (an empty search result, holdings, or Dublin Core?). Export the "
        "catalogue as MARCXML (http://www.loc.gov/MARC21/slim) or as ISO 2709 MARC.",
    )
