"""The declarative MARC field map: a :class:`MarcRecord` in, a :data:`RawRow` out.

What is read from where is data, one TOML table per flavour
(``fundplanner/reference/marc21_map.toml``, ``unimarc_map.toml``), in the spirit of traject's
``extract_marc("245a")``::

    title     = { specs = ["245a"], clean = "isbd", original_script = true }
    publisher = { specs = ["264|*1|b", "260b"], clean = "isbd" }
    languages = { specs = ["008[35-37]", "041a"], clean = "language", post = "language_list" }

Every spec is parsed and checked when the map loads (:func:`load_field_map`); a bad one
raises :class:`~fundplanner.errors.ReferenceDataError` naming the map file and the fragment.
Specs are then compiled into closures, so :func:`extract` only walks tuples and dicts.

Values stay raw text, trimmed of ISBD punctuation: normalisation (years, prices, pages,
language names, categories) belongs to :mod:`fundplanner.ingest.normalise`.

The rules that are not a plain "read tag X subfield Y" are named functions below, each citing
the MARC rule it implements: 880 alternate-graphic pairs (:func:`build_link_index`,
:func:`paired_880`), packed language codes (:func:`split_language_codes`), ISBD punctuation
(:func:`make_isbd_cleaner`), date prefixes (:func:`make_year_cleaner`) and coded values
(:func:`make_first_code_cleaner`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fundplanner.errors import ReferenceDataError
from fundplanner.ingest.cells import BIDI_CONTROLS, trim
from fundplanner.ingest.marcdata import DataField, MarcRecord
from fundplanner.model import RAW_KEYS, RawRow
from fundplanner.reference import load_toml, reference_path

#: The packaged map file of each flavour.
MAP_FILES: dict[str, str] = {"marc21": "marc21_map.toml", "unimarc": "unimarc_map.toml"}

#: RawRow keys holding lists; every other key holds one string.
LIST_KEYS = frozenset({"authors", "isbns", "languages", "original_languages"})

#: Keys :func:`extract` fills itself (a map may not name them).
RESERVED_KEYS = frozenset({"record_no", "flavour"})

#: The pseudo-tag that addresses the leader in a spec (``LDR[6-7]``).
LEADER_TAG = "LDR"

#: MARC 21 880 Alternate Graphic Representation (Appendix A, $6 Linkage).
ALTERNATE_GRAPHIC_TAG = "880"

_SPEC_RE = re.compile(
    r"^(?P<tag>LDR|[0-9]{3})"
    r"(?:\|(?P<ind>[^|]{2})\|)?"
    r"(?P<codes>[a-z0-9]*)"
    r"(?:\[(?P<start>[0-9]+)(?:-(?P<end>[0-9]+))?\])?$"
)
_SPEC_EXAMPLES = '"245a", "700ab", "264|*1|c", "008[35-37]", "100a[17-19]" or "LDR[6-7]"'
_FIELD_OPTIONS = frozenset(
    {"specs", "fallback", "clean", "post", "join", "original_script", "romanised_only"}
)
_TOP_LEVEL = frozenset({"flavour", "linkage", "cleaning", "fields"})

_BLANKS = " \t\n\r\f\v\xa0"

#: Arabic script blocks: Arabic, Arabic Supplement, Arabic Extended-A, Presentation Forms A/B.
_ARABIC_TEXT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")

Fields = Mapping[str, Sequence["str | DataField"]]
Cleaner = Callable[[str], "str | None"]
ListRule = Callable[[list[str]], list[str]]


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True, slots=True)
class Spec:
    """One parsed spec: ``tag``, indicator filters (None = any), subfield codes, positions."""

    text: str
    tag: str
    ind1: str | None
    ind2: str | None
    codes: str
    positions: slice | None

    @property
    def is_control(self) -> bool:
        """Leader and 001-009 are control fields: no indicators, no subfields."""
        return self.tag == LEADER_TAG or self.tag.startswith("00")


def parse_spec(text: object, *, where: str) -> Spec:
    """Parse one spec string; :class:`ReferenceDataError` names ``where`` and the fragment."""
    if not isinstance(text, str):
        raise _spec_error(where, repr(text), "a spec is a string")
    fragment = repr(text)
    match = _SPEC_RE.match(text)
    if match is None:
        raise _spec_error(where, fragment, "not of the form tag[|ind1ind2|][codes][[start-end]]")
    tag, ind, codes = match["tag"], match["ind"], match["codes"]
    start = int(match["start"]) if match["start"] is not None else None
    end = int(match["end"]) if match["end"] is not None else start
    if start is not None and end is not None and end < start:
        raise _spec_error(
            where, fragment, f"position range ends ({end}) before it starts ({start})"
        )
    control = tag == LEADER_TAG or tag.startswith("00")
    if control and (codes or ind is not None):
        raise _spec_error(where, fragment, f"{tag} is a control field: no indicators or subfields")
    if not control and not codes:
        raise _spec_error(where, fragment, f"data field {tag} needs subfield code(s), e.g. {tag}a")
    ind1, ind2 = (_indicator(ind[0]), _indicator(ind[1])) if ind is not None else (None, None)
    positions = slice(start, end + 1) if start is not None and end is not None else None
    return Spec(text, tag, ind1, ind2, codes, positions)


def _indicator(char: str) -> str | None:
    """``*`` matches any indicator; ``#`` is the MARC documentation's blank."""
    if char == "*":
        return None
    return " " if char == "#" else char


def _spec_error(where: str, fragment: str, why: str) -> ReferenceDataError:
    return ReferenceDataError(
        f"{where}: unrecognised MARC spec {fragment}: {why}. Write specs like {_SPEC_EXAMPLES}."
    )


# --------------------------------------------------------------------------- 880 linkage


@dataclass(frozen=True, slots=True)
class LinkIndex:
    """The record's 880 fields in a preferred script, by the field they pair with.

    ``by_occurrence[(tag, "01")]`` is the 880 whose $6 reads ``tag-01/…``; ``unpaired[tag]``
    lists the 880s for ``tag`` whose occurrence number is ``00`` or missing, in record order.
    """

    by_occurrence: dict[tuple[str, str], DataField]
    unpaired: dict[str, list[DataField]]


def parse_linkage(value: str) -> tuple[str, str, str]:
    """Split a $6 Linkage value into (linking tag, occurrence number, script code).

    MARC 21 Appendix A: ``$6 [linking tag]-[occurrence number]/[script identification
    code]/[field orientation code]``, e.g. ``245-01/(3/r``, ``880-01``, ``245-00/Arab/r``
    (ISO 15924 codes since MARC Proposal 2018-05). Missing parts come back as ``""``.
    """
    head, _, rest = value.strip().partition("/")
    script = rest.partition("/")[0]
    tag, _, occurrence = head.partition("-")
    return tag[:3], occurrence.strip(), script.strip()


def _linkage_of(field: DataField) -> str | None:
    for code, value in field[2]:
        if code == "6":
            return value
    return None


def build_link_index(
    fields: Fields, prefer_scripts: frozenset[str], detect_arabic: bool
) -> LinkIndex | None:
    """Index the 880s that hold a preferred script (None when there are none).

    An 880 is preferred when its $6 script identification code is one of
    ``prefer_scripts`` (``(3``, ``(4``, ``Arab``) or, with ``detect_arabic``, when its text
    holds Arabic-script characters (many exports leave the script code out).
    """
    by_occurrence: dict[tuple[str, str], DataField] = {}
    unpaired: dict[str, list[DataField]] = {}
    for field in fields.get(ALTERNATE_GRAPHIC_TAG, ()):
        if isinstance(field, str):
            continue
        linkage = _linkage_of(field)
        if linkage is None:
            continue
        tag, occurrence, script = parse_linkage(linkage)
        if not (script in prefer_scripts or (detect_arabic and _has_arabic(field))):
            continue
        if occurrence and occurrence.strip("0"):
            by_occurrence.setdefault((tag, occurrence), field)
        else:
            unpaired.setdefault(tag, []).append(field)
    if not by_occurrence and not unpaired:
        return None
    return LinkIndex(by_occurrence, unpaired)


def _has_arabic(field: DataField) -> bool:
    return any(code != "6" and _ARABIC_TEXT.search(value) for code, value in field[2])


def paired_880(field: DataField, tag: str, nth: int, links: LinkIndex) -> DataField | None:
    """The preferred-script 880 paired with ``field`` (the ``nth`` occurrence of ``tag``).

    MARC 21 880: ``245 10 $6 880-01 $a [romanised]`` pairs with ``880 10 $6 245-01/(3/r $a
    [original script]``. When the regular field's $6 has no occurrence number (``880`` or
    ``880-``), the n-th unpaired 880 for the same tag is taken.
    """
    linkage = _linkage_of(field)
    if linkage is None:
        return None
    _, occurrence, _ = parse_linkage(linkage)
    if occurrence and occurrence.strip("0"):
        return links.by_occurrence.get((tag, occurrence))
    unpaired = links.unpaired.get(tag, ())
    return unpaired[nth] if nth < len(unpaired) else None


# --------------------------------------------------------------------------- getters

#: A compiled spec: (fields, leader, 880 index) -> the raw values it addresses.
Getter = Callable[[Fields, str, "LinkIndex | None"], list[str]]


def compile_spec(spec: Spec, *, join: str, script: str) -> Getter:
    """Turn a parsed spec into a closure; ``script`` is "", "original" or "romanised"."""
    if spec.tag == LEADER_TAG:
        return _leader_getter(spec.positions)
    if spec.is_control:
        return _control_getter(spec.tag, spec.positions)
    return _data_getter(spec, join, script)


def _leader_getter(positions: slice | None) -> Getter:
    def get(fields: Fields, leader: str, links: LinkIndex | None) -> list[str]:
        return [leader[positions] if positions is not None else leader]

    return get


def _control_getter(tag: str, positions: slice | None) -> Getter:
    def get(fields: Fields, leader: str, links: LinkIndex | None) -> list[str]:
        values = fields.get(tag)
        if not values:
            return []
        if positions is None:
            return [v for v in values if isinstance(v, str)]
        return [v[positions] for v in values if isinstance(v, str)]

    return get


def _subfield_values(field: DataField, codes: str, join: str, positions: slice | None) -> list[str]:
    """One value per subfield for a single code; the codes' values joined for several."""
    if len(codes) == 1:
        found = [value for code, value in field[2] if code == codes]
    else:
        parts = [value.strip() for code, value in field[2] if code in codes]
        found = [join.join(p for p in parts if p)] if parts else []
    if positions is not None:
        return [value[positions] for value in found]
    return found


_NONE: list[str] = []  # shared empty result (never mutated)


def _data_getter(spec: Spec, join: str, script: str) -> Getter:
    """Compile a data-field spec; the common shapes get a loop of their own (hot path)."""
    plain = _plain_data_getter(spec, join)
    if not script:
        return plain
    if script == "romanised":
        return _romanised_getter(spec, join)
    return _original_script_getter(spec, join, plain)


def _plain_data_getter(spec: Spec, join: str) -> Getter:
    tag, ind1, ind2, codes, positions = spec.tag, spec.ind1, spec.ind2, spec.codes, spec.positions

    def get(fields: Fields, leader: str, links: LinkIndex | None) -> list[str]:
        occurrences = fields.get(tag)
        if not occurrences:
            return _NONE
        out: list[str] = []
        for field in occurrences:
            if (
                type(field) is tuple
                and (ind1 is None or field[0] == ind1)
                and (ind2 is None or field[1] == ind2)
            ):
                out.extend(_subfield_values(field, codes, join, positions))
        return out

    return get


def _matches(field: object, ind1: str | None, ind2: str | None) -> bool:
    return (
        isinstance(field, tuple)
        and (ind1 is None or field[0] == ind1)
        and (ind2 is None or field[1] == ind2)
    )


def _original_script_getter(spec: Spec, join: str, plain: Getter) -> Getter:
    """Read the paired 880 instead of the field when it holds the preferred script."""
    tag, ind1, ind2, codes, positions = spec.tag, spec.ind1, spec.ind2, spec.codes, spec.positions

    def get(fields: Fields, leader: str, links: LinkIndex | None) -> list[str]:
        if links is None:
            return plain(fields, leader, links)
        occurrences = fields.get(tag)
        if not occurrences:
            return _unpaired_values(links, tag, ind1, ind2, codes, join, positions)
        out: list[str] = []
        for nth, field in enumerate(occurrences):
            if not isinstance(field, tuple) or not _matches(field, ind1, ind2):
                continue
            alternate = paired_880(field, tag, nth, links)
            chosen = alternate if alternate is not None else field
            out.extend(_subfield_values(chosen, codes, join, positions))
        return out

    return get


def _romanised_getter(spec: Spec, join: str) -> Getter:
    """Read the field only when it is the romanised half of a preferred-script 880 pair."""
    tag, ind1, ind2, codes, positions = spec.tag, spec.ind1, spec.ind2, spec.codes, spec.positions

    def get(fields: Fields, leader: str, links: LinkIndex | None) -> list[str]:
        if links is None:
            return _NONE
        out: list[str] = []
        for nth, field in enumerate(fields.get(tag, ())):
            if not isinstance(field, tuple) or not _matches(field, ind1, ind2):
                continue
            if paired_880(field, tag, nth, links) is not None:
                out.extend(_subfield_values(field, codes, join, positions))
        return out

    return get


def _unpaired_values(
    links: LinkIndex,
    tag: str,
    ind1: str | None,
    ind2: str | None,
    codes: str,
    join: str,
    positions: slice | None,
) -> list[str]:
    """880s in the original script whose regular field is absent (occurrence ``00``)."""
    out: list[str] = []
    for field in links.unpaired.get(tag, ()):
        if _matches(field, ind1, ind2):
            out.extend(_subfield_values(field, codes, join, positions))
    return out


# --------------------------------------------------------------------------- cleaners


@dataclass(frozen=True, slots=True)
class Cleaning:
    """The ``[cleaning]`` table of a map file (ISBD punctuation, date prefixes, fill codes)."""

    trailing_punctuation: tuple[str, ...]
    year_prefixes: tuple[str, ...]
    fill_characters: frozenset[str]
    unknown_codes: frozenset[str]
    vague_languages: tuple[str, ...]


def clean_text(value: str) -> str | None:
    """White space and edge direction marks trimmed (:func:`~fundplanner.ingest.cells.trim`);
    None when nothing is left."""
    return trim(value) or None


def make_isbd_cleaner(cleaning: Cleaning) -> Cleaner:
    """Trim ISBD prescribed punctuation from the end of a title, name, publisher or extent.

    ISBD (consolidated ed., A.3.2) ends each element with the punctuation that introduces the
    next one: ``Title /``, ``Title :``, ``Paris :``, ``Gallimard,``, ``340 p. ;``. Like
    traject's ``trim_punctuation``: a final full stop goes only after three letters (so
    ``Smith, J.`` and ``340 p.`` keep theirs), and square brackets around the whole value
    (``[Paris]``, a supplied element) are removed when there are none inside.
    """
    # Stripping marks and blanks together from the right is the same as removing one mark,
    # then blanks, until neither is left ("Paris :" -> "Paris", "340 p. ;" -> "340 p."); the
    # direction marks of Arabic fields go with them ("سياسة الغد :\u202a" -> "سياسة الغد").
    marks = set("".join(cleaning.trailing_punctuation)) | set(_BLANKS) | set(BIDI_CONTROLS)
    trailing = "".join(sorted(marks))

    def clean(value: str) -> str | None:
        value = value.lstrip()
        if value and value[0] in BIDI_CONTROLS:
            value = trim(value)
        value = value.rstrip(trailing)  # the marks at the end go with the punctuation
        if len(value) > 3 and value[-1] == "." and value[-4:-1].isalpha():
            value = value[:-1]
        if value and (value[0] == "[" or value[-1] == "]"):
            value = _unbracket(value)
        return value or None

    return clean


def _unbracket(value: str) -> str:
    """``[Paris]`` -> ``Paris``; ``[Paris`` -> ``Paris``; ``A [i.e. B]`` unchanged."""
    if not value or (value[0] != "[" and value[-1] != "]"):
        return value
    inner = value[1:] if value[0] == "[" else value
    inner = inner[:-1] if inner.endswith("]") else inner
    if "[" in inner or "]" in inner:
        return value
    return inner.strip()


def make_year_cleaner(cleaning: Cleaning) -> Cleaner:
    """Date of publication as raw text without brackets, ``c``/``©``/``cop.`` prefixes and ISBD.

    260/264 $c and UNIMARC 210/214 $d write ``[1998]``, ``c1998.``, ``©2015``, ``cop. 2003``,
    ``DL 2003``; the number itself (``199-?``, ``1998 i.e. 1999``) is left for normalisation.
    A prefix is removed only when a digit follows, so ``ca. 1990`` stays as it is.
    """
    prefixes = tuple(sorted(cleaning.year_prefixes, key=len, reverse=True))
    fill = "".join(cleaning.fill_characters)

    def clean(value: str) -> str | None:
        if "[" in value or "]" in value:
            value = value.replace("[", "").replace("]", "")
        value = trim(value).rstrip(".,;:/ ")
        if value and not value[0].isdigit():
            value = _drop_date_prefix(value, prefixes)
        if not value.strip(fill):
            return None
        return value

    return clean


def _drop_date_prefix(value: str, prefixes: tuple[str, ...]) -> str:
    lowered = value.lower()
    for prefix in prefixes:
        if lowered.startswith(prefix):
            rest = value[len(prefix) :].lstrip()
            if rest[:1].isdigit():
                return rest
    return value


def make_code_cleaner(cleaning: Cleaning) -> Cleaner:
    """Coded positions with blanks and fill characters (``|``, ``#``) removed.

    MARC 21 008/24-27 nature of contents, UNIMARC 105 $a/4-7 form of contents: up to four
    one-letter codes, blank-padded (``"6   "`` -> ``"6"``, ``"||||"`` -> None).
    """
    drop_fill = str.maketrans("", "", "".join(cleaning.fill_characters))

    def clean(value: str) -> str | None:
        return value.translate(drop_fill) or None

    return clean


def make_first_code_cleaner(cleaning: Cleaning) -> Cleaner:
    """The first real one-letter code of a coded position.

    UNIMARC 100 $a/17-19 holds up to three target audience codes, blank-padded; ``u`` is
    "unknown" and ``|`` no attempt to code. MARC 21 008/22 (audience) and 008/33 (literary
    form, ``u`` unknown) hold one code. Blanks, fill and unknown codes give None.
    """
    skip = cleaning.fill_characters | cleaning.unknown_codes

    def clean(value: str) -> str | None:
        for char in value:
            if char not in skip:
                return char
        return None

    return clean


def make_language_cleaner(cleaning: Cleaning) -> Cleaner:
    """A language code as written, lower-cased (008/35-37, 041, UNIMARC 101); fill -> None."""
    fill = "".join(cleaning.fill_characters)

    def clean(value: str) -> str | None:
        value = value.strip().lower()
        if not value.strip(fill):
            return None
        return value

    return clean


def split_language_codes(value: str) -> list[str]:
    """Split packed language codes: ``arafre`` -> ``["ara", "fre"]``.

    Before 2001 MARC 21 041 allowed several codes in one subfield (``041 1# $a engfre``);
    some exports also write ``fre eng`` or ``fre;eng``. Three-letter codes are MARC Code List
    for Languages / ISO 639-2/B. A token whose length is not a multiple of three is kept as
    written for normalisation to report.
    """
    if len(value) == 3 and value.isalpha():
        return [value]
    out: list[str] = []
    token: list[str] = []
    for char in value + " ":
        if char.isalpha():
            token.append(char)
            continue
        if token:
            out.extend(_chunk_codes("".join(token)))
            token = []
    return out


def _chunk_codes(token: str) -> list[str]:
    if len(token) > 3 and len(token) % 3 == 0:
        return [token[i : i + 3] for i in range(0, len(token), 3)]
    return [token]


def make_language_list_rule(cleaning: Cleaning) -> ListRule:
    """The record's language codes, split, de-duplicated, vague codes last resort.

    ``mul`` (multiple), ``und`` (undetermined) and ``zxx`` (no linguistic content) are kept
    only when the record has no more specific code: ``008 mul`` + ``041 $a ara $a fre`` gives
    ``["ara", "fre"]``; ``008 zxx`` alone (a wordless picture book) gives ``["zxx"]``.
    """
    vague = frozenset(cleaning.vague_languages)

    def rule(values: list[str]) -> list[str]:
        if len(values) == 1 and len(values[0]) == 3 and values[0].isalpha():
            return values  # the common case: one plain code
        codes: list[str] = []
        for value in values:
            for code in split_language_codes(value):
                if code not in codes:
                    codes.append(code)
        if len(codes) == 1:
            return codes
        specific = [code for code in codes if code not in vague]
        return specific or codes

    return rule


CLEANER_FACTORIES: dict[str, Callable[[Cleaning], Cleaner]] = {
    "text": lambda cleaning: clean_text,
    "isbd": make_isbd_cleaner,
    "year": make_year_cleaner,
    "code": make_code_cleaner,
    "first_code": make_first_code_cleaner,
    "language": make_language_cleaner,
}
LIST_RULE_FACTORIES: dict[str, Callable[[Cleaning], ListRule]] = {
    "language_list": make_language_list_rule,
}


# --------------------------------------------------------------------------- rules

#: A compiled output field: (fields, leader, 880 index) -> value or None.
Rule = Callable[[Fields, str, "LinkIndex | None"], Any]


# A compiled spec inside a rule: (kind, tag, ind1, ind2, subfield code, positions, getter).
# SIMPLE (one subfield code, maybe indicator filters), CONTROL and LEADER specs are read inline
# by a closure made for their kind: that is the hot path, since most specs are "245a",
# "264|*1|c" or "008[35-37]". The others (several codes, 880 pairs) go through their getter.
_SIMPLE, _ORIGINAL, _CONTROL, _LEADER, _GENERAL, _ROMANISED = range(6)
Step = tuple[int, str, "str | None", "str | None", str, "slice | None", Getter]


def compile_step(spec: Spec, *, join: str, script: str) -> Step:
    """A spec ready for a rule: its kind decides how the rule reads it."""
    getter = compile_spec(spec, join=join, script=script)
    simple = len(spec.codes) == 1 and not spec.is_control
    if spec.tag == LEADER_TAG:
        kind = _LEADER
    elif spec.is_control:
        kind = _CONTROL
    elif script == "romanised":
        kind = _ROMANISED
    elif script == "original":
        kind = _ORIGINAL if simple and spec.positions is None else _GENERAL
    else:
        kind = _SIMPLE if simple else _GENERAL
    return (kind, spec.tag, spec.ind1, spec.ind2, spec.codes, spec.positions, getter)


def _first_value(steps: Sequence[Step], clean: Cleaner) -> Rule:
    """Scalar keys: the first spec that yields a non-empty cleaned value wins."""
    finders = tuple(_first_finder(step, clean) for step in steps)
    if len(finders) == 1:
        return finders[0]  # one spec: its finder is the rule (one call less per record)

    def rule(fields: Fields, leader: str, links: LinkIndex | None) -> str | None:
        for find in finders:
            value = find(fields, leader, links)
            if value is not None:
                return value
        return None

    return rule


def _first_finder(step: Step, clean: Cleaner) -> Rule:
    """One spec of a scalar rule as a closure: its first non-empty cleaned value, or None.

    Each kind of step gets a closure of its own (no dispatch per record): SIMPLE, CONTROL and
    LEADER specs read the record inline; 880 pairs and multi-code specs use their getter.
    """
    kind, tag, ind1, ind2, code, positions, getter = step
    if kind == _LEADER:

        def leader_value(fields: Fields, leader: str, links: LinkIndex | None) -> str | None:
            return clean(leader[positions] if positions else leader) or None

        return leader_value
    if kind == _CONTROL:

        def control_value(fields: Fields, leader: str, links: LinkIndex | None) -> str | None:
            for control in fields.get(tag) or _NONE:
                if type(control) is str:
                    cleaned = clean(control[positions] if positions else control)
                    if cleaned:
                        return cleaned
            return None

        return control_value
    general = _first_of_getter(getter, clean)
    if kind == _ROMANISED:

        def romanised_value(fields: Fields, leader: str, links: LinkIndex | None) -> str | None:
            return None if links is None else general(fields, leader, links)

        return romanised_value
    if kind == _GENERAL:
        return general
    plain = _first_subfield(tag, ind1, ind2, code, positions, clean)
    if kind == _SIMPLE:
        return plain

    def original_value(fields: Fields, leader: str, links: LinkIndex | None) -> str | None:
        return plain(fields, leader, links) if links is None else general(fields, leader, links)

    return original_value


def _first_subfield(
    tag: str, ind1: str | None, ind2: str | None, code: str, positions: slice | None, clean: Cleaner
) -> Rule:
    """The first non-empty cleaned value of subfield ``code`` in the fields ``tag``."""
    if ind1 is None and ind2 is None and positions is None:

        def any_indicators(fields: Fields, leader: str, links: LinkIndex | None) -> str | None:
            for field in fields.get(tag) or _NONE:  # fast path: "245a", no filter or positions
                if type(field) is tuple:
                    for sub_code, value in field[2]:
                        if sub_code == code:
                            cleaned = clean(value)
                            if cleaned:
                                return cleaned
            return None

        return any_indicators

    def filtered(fields: Fields, leader: str, links: LinkIndex | None) -> str | None:
        for field in fields.get(tag) or _NONE:
            if (
                type(field) is tuple
                and (ind1 is None or field[0] == ind1)
                and (ind2 is None or field[1] == ind2)
            ):
                for sub_code, value in field[2]:
                    if sub_code == code:
                        cleaned = clean(value[positions] if positions else value)
                        if cleaned:
                            return cleaned
        return None

    return filtered


def _first_of_getter(getter: Getter, clean: Cleaner) -> Rule:
    def first(fields: Fields, leader: str, links: LinkIndex | None) -> str | None:
        for value in getter(fields, leader, links):
            cleaned = clean(value)
            if cleaned:
                return cleaned
        return None

    return first


#: A compiled spec of a list rule: adds its cleaned values to ``out`` (no repeats).
Collector = Callable[[Fields, str, "LinkIndex | None", list[str]], None]


def _all_values(steps: Sequence[Step], clean: Cleaner) -> Rule:
    """List keys: every cleaned value of every spec, in order, without repeats."""
    collectors = tuple(_collector(step, clean) for step in steps)

    def rule(fields: Fields, leader: str, links: LinkIndex | None) -> list[str] | None:
        out: list[str] = []
        for collect in collectors:
            collect(fields, leader, links, out)
        return out or None

    return rule


def _collector(step: Step, clean: Cleaner) -> Collector:
    """One spec of a list rule as a closure of its own kind (see :func:`_first_finder`)."""
    kind, tag, ind1, ind2, code, positions, getter = step
    if kind == _LEADER:

        def leader_values(
            fields: Fields, leader: str, links: LinkIndex | None, out: list[str]
        ) -> None:
            _add_cleaned((leader[positions] if positions else leader,), clean, out)

        return leader_values
    if kind == _CONTROL:

        def control_values(
            fields: Fields, leader: str, links: LinkIndex | None, out: list[str]
        ) -> None:
            values = [
                control[positions] if positions else control
                for control in fields.get(tag) or _NONE
                if type(control) is str
            ]
            _add_cleaned(values, clean, out)

        return control_values

    def getter_values(fields: Fields, leader: str, links: LinkIndex | None, out: list[str]) -> None:
        if kind != _ROMANISED or links is not None:
            _add_cleaned(getter(fields, leader, links), clean, out)

    if kind in (_GENERAL, _ROMANISED):
        return getter_values

    def subfield_values(
        fields: Fields, leader: str, links: LinkIndex | None, out: list[str]
    ) -> None:
        if kind == _ORIGINAL and links is not None:
            getter_values(fields, leader, links, out)
            return
        for field in fields.get(tag) or _NONE:
            if (
                type(field) is tuple
                and (ind1 is None or field[0] == ind1)
                and (ind2 is None or field[1] == ind2)
            ):
                for sub_code, value in field[2]:
                    if sub_code == code:
                        cleaned = clean(value[positions] if positions else value)
                        if cleaned and cleaned not in out:
                            out.append(cleaned)

    return subfield_values


def _add_cleaned(values: Iterable[str], clean: Cleaner, out: list[str]) -> None:
    for value in values:
        cleaned = clean(value)
        if cleaned and cleaned not in out:
            out.append(cleaned)


def _with_fallback(primary: Rule, fallback: Rule | None, post: ListRule | None) -> Rule:
    if fallback is None and post is None:
        return primary

    def rule(fields: Fields, leader: str, links: LinkIndex | None) -> Any:
        value = primary(fields, leader, links)
        if value is None and fallback is not None:
            value = fallback(fields, leader, links)
        if value is not None and post is not None:
            value = post(value) or None
        return value

    return rule


# --------------------------------------------------------------------------- the map


@dataclass(frozen=True)
class FieldMap:
    """A loaded, validated and compiled map for one flavour."""

    flavour: str
    path: str
    rules: tuple[tuple[str, Rule], ...]
    tags: frozenset[str]
    prefer_scripts: frozenset[str]
    detect_arabic: bool
    uses_880: bool

    def extract(self, record: MarcRecord) -> RawRow:
        """Apply every rule to ``record`` (see :func:`extract`)."""
        return self.extract_batch([record])[0]

    def extract_batch(self, records: Sequence[MarcRecord]) -> list[RawRow]:
        """Apply every rule to each record, in order; each rule runs over the whole batch
        before the next, so that its code stays in the CPU caches (measured on 25,000
        generated MARC21 records in batches of 100, parse + field map + normalisation:
        58-62 µs a record against 61-65 µs record by record)."""
        rows: list[RawRow] = []
        inputs: list[tuple[Fields, str, LinkIndex | None]] = []
        for record in records:
            links = None
            if self.uses_880 and ALTERNATE_GRAPHIC_TAG in record.fields:
                links = build_link_index(record.fields, self.prefer_scripts, self.detect_arabic)
            leader = record.leader if isinstance(record.leader, str) else ""
            inputs.append((record.fields, leader, links))
            rows.append({"record_no": record.record_no, "flavour": self.flavour})
        for name, rule in self.rules:
            for row, (fields, leader, links) in zip(rows, inputs, strict=True):
                value = rule(fields, leader, links)
                if value is not None:
                    row[name] = value
        return rows


def load_field_map(flavour: str, *, override: str | Path | None = None) -> FieldMap:
    """The field map of ``flavour`` ("marc21" or "unimarc"), parsed, checked and compiled.

    ``override`` names a project's own map file of the same shape. Cached per file.
    """
    if flavour not in MAP_FILES:
        raise ReferenceDataError(
            f"No field map for flavour {flavour!r}; use one of {', '.join(MAP_FILES)}."
        )
    path = Path(override) if override is not None else reference_path(MAP_FILES[flavour])
    return _load_field_map_cached(flavour, str(path))


@functools.cache
def _load_field_map_cached(flavour: str, path: str) -> FieldMap:
    return compile_field_map(load_toml(path, override=path), flavour=flavour, path=path)


def compile_field_map(data: Mapping[str, Any], *, flavour: str, path: str) -> FieldMap:
    """Check a map's TOML content and compile it; errors name ``path`` and the fragment."""
    unknown = set(data) - _TOP_LEVEL
    if unknown:
        raise ReferenceDataError(
            f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}; "
            f"a field map has {', '.join(sorted(_TOP_LEVEL))}."
        )
    if data.get("flavour") != flavour:
        raise ReferenceDataError(
            f"{path}: flavour = {data.get('flavour')!r}, but this map is loaded for {flavour!r}; "
            f'set flavour = "{flavour}".'
        )
    cleaning = _read_cleaning(data.get("cleaning"), path)
    prefer, detect = _read_linkage(data.get("linkage"), path)
    fields = data.get("fields")
    if not isinstance(fields, Mapping) or not fields:
        raise ReferenceDataError(f"{path}: the [fields] table is missing or empty.")
    rules: list[tuple[str, Rule]] = []
    tags: set[str] = set()
    uses_880 = False
    for name, entry in fields.items():
        rule, rule_tags, pairs = _compile_field(name, entry, cleaning, path)
        rules.append((name, rule))
        tags |= rule_tags
        uses_880 = uses_880 or pairs
    if uses_880:
        tags.add(ALTERNATE_GRAPHIC_TAG)
    tags.discard(LEADER_TAG)
    return FieldMap(flavour, path, tuple(rules), frozenset(tags), prefer, detect, uses_880)


def _compile_field(
    name: str, entry: Any, cleaning: Cleaning, path: str
) -> tuple[Rule, set[str], bool]:
    where = f"{path}: field {name!r}"
    if name not in RAW_KEYS or name in RESERVED_KEYS:
        allowed = ", ".join(k for k in RAW_KEYS if k not in RESERVED_KEYS)
        raise ReferenceDataError(f"{where}: not a RawRow key; use one of {allowed}.")
    options = _field_options(entry, where)
    script = _script_option(options, where)
    join = _string_option(options, "join", " ", where)
    clean_name = _string_option(options, "clean", "text", where)
    if clean_name not in CLEANER_FACTORIES:
        raise ReferenceDataError(
            f"{where}: unknown clean = {clean_name!r}; use one of {', '.join(CLEANER_FACTORIES)}."
        )
    clean = CLEANER_FACTORIES[clean_name](cleaning)
    post = _post_option(options, name, cleaning, where)
    specs = _spec_list(options.get("specs"), where, required=True)
    fallback_specs = _spec_list(options.get("fallback", []), where, required=False)
    collect = _all_values if name in LIST_KEYS else _first_value
    steps = [compile_step(s, join=join, script=script) for s in specs]
    fallback = None
    if fallback_specs:
        fallback = collect([compile_step(s, join=join, script="") for s in fallback_specs], clean)
    rule = _with_fallback(collect(steps, clean), fallback, post)
    tags = {s.tag for s in (*specs, *fallback_specs)}
    return rule, tags, bool(script)


def _field_options(entry: Any, where: str) -> Mapping[str, Any]:
    if isinstance(entry, str | list):
        return {"specs": entry}
    if not isinstance(entry, Mapping):
        raise ReferenceDataError(f"{where}: expected a spec, a list of specs or a table.")
    unknown = set(entry) - _FIELD_OPTIONS
    if unknown:
        raise ReferenceDataError(
            f"{where}: unknown option(s) {', '.join(sorted(unknown))}; "
            f"use {', '.join(sorted(_FIELD_OPTIONS))}."
        )
    return entry


def _spec_list(value: Any, where: str, *, required: bool) -> list[Spec]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or (required and not items):
        raise ReferenceDataError(f"{where}: specs must be a spec or a non-empty list of specs.")
    return [parse_spec(item, where=where) for item in items]


def _script_option(options: Mapping[str, Any], where: str) -> str:
    original = options.get("original_script", False)
    romanised = options.get("romanised_only", False)
    if not isinstance(original, bool) or not isinstance(romanised, bool):
        raise ReferenceDataError(f"{where}: original_script / romanised_only are true or false.")
    if original and romanised:
        raise ReferenceDataError(f"{where}: original_script and romanised_only exclude each other.")
    return "original" if original else "romanised" if romanised else ""


def _string_option(options: Mapping[str, Any], key: str, default: str, where: str) -> str:
    value = options.get(key, default)
    if not isinstance(value, str):
        raise ReferenceDataError(f"{where}: {key} must be a string, not {value!r}.")
    return value


def _post_option(
    options: Mapping[str, Any], name: str, cleaning: Cleaning, where: str
) -> ListRule | None:
    post_name = options.get("post")
    if post_name is None:
        return None
    if post_name not in LIST_RULE_FACTORIES:
        raise ReferenceDataError(
            f"{where}: unknown post = {post_name!r}; use one of {', '.join(LIST_RULE_FACTORIES)}."
        )
    if name not in LIST_KEYS:
        raise ReferenceDataError(f"{where}: post applies to list keys only ({sorted(LIST_KEYS)}).")
    return LIST_RULE_FACTORIES[post_name](cleaning)


def _read_cleaning(table: Any, path: str) -> Cleaning:
    if not isinstance(table, Mapping):
        raise ReferenceDataError(f"{path}: the [cleaning] table is missing.")
    keys = ("trailing_punctuation", "year_prefixes", "fill_characters", "unknown_codes")
    lists = {key: _string_list(table, key, path) for key in (*keys, "vague_languages")}
    return Cleaning(
        trailing_punctuation=tuple(lists["trailing_punctuation"]),
        year_prefixes=tuple(p.lower() for p in lists["year_prefixes"]),
        fill_characters=frozenset(lists["fill_characters"]),
        unknown_codes=frozenset(lists["unknown_codes"]),
        vague_languages=tuple(lists["vague_languages"]),
    )


def _read_linkage(table: Any, path: str) -> tuple[frozenset[str], bool]:
    if not isinstance(table, Mapping):
        raise ReferenceDataError(f"{path}: the [linkage] table is missing.")
    detect = table.get("detect_arabic_text", False)
    if not isinstance(detect, bool):
        raise ReferenceDataError(f"{path}: [linkage] detect_arabic_text must be true or false.")
    return frozenset(_string_list(table, "prefer_scripts", path)), detect


def _string_list(table: Mapping[str, Any], key: str, path: str) -> list[str]:
    value = table.get(key)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ReferenceDataError(f"{path}: {key} must be a list of strings.")
    return value


# --------------------------------------------------------------------------- public API


_DEFAULT_MAPS: dict[str, FieldMap] = {}


def _default_map(flavour: str) -> FieldMap:
    field_map = _DEFAULT_MAPS.get(flavour)
    if field_map is None:
        field_map = _DEFAULT_MAPS[flavour] = load_field_map(flavour)
    return field_map


def extract(record: MarcRecord, *, field_map: FieldMap | None = None) -> RawRow:
    """The RawRow of one MARC record: raw values, keys from RAW_KEYS, absent when not found.

    The record's ``flavour`` picks the packaged map unless ``field_map`` is given. Pure and
    total: short or missing fields give absent keys, never an exception. ``record_type`` is
    leader/06-07 (type of record, bibliographic level) so normalisation can flag non-books.
    """
    return extract_batch([record], field_map=field_map)[0]


def extract_batch(
    records: Sequence[MarcRecord], *, field_map: FieldMap | None = None
) -> list[RawRow]:
    """:func:`extract` of each record, in order, each map's rules run batch-wise
    (:meth:`FieldMap.extract_batch`); records of each flavour go through their own map."""
    if field_map is not None:
        return field_map.extract_batch(records)
    flavours = {record.flavour for record in records}
    if len(flavours) <= 1:
        return _map_for(flavours.pop() if flavours else "marc21").extract_batch(records)
    rows: list[RawRow] = [{} for _ in records]
    for flavour in flavours:
        places = [index for index, record in enumerate(records) if record.flavour == flavour]
        extracted = _map_for(flavour).extract_batch([records[index] for index in places])
        for index, row in zip(places, extracted, strict=True):
            rows[index] = row
    return rows


def _map_for(flavour: str) -> FieldMap:
    """The packaged map of a record's flavour (MARC21 for an unknown one)."""
    return _DEFAULT_MAPS.get(flavour) or _default_map(flavour if flavour in MAP_FILES else "marc21")


def wanted_tags(maps: Iterable[FieldMap]) -> frozenset[str]:
    """Every tag the given maps read (readers may decode only these)."""
    return frozenset().union(*(m.tags for m in maps))


#: Per flavour, the tags the packaged map reads (readers may skip the others).
WANTED_TAGS: dict[str, frozenset[str]] = {
    flavour: _default_map(flavour).tags for flavour in MAP_FILES
}
