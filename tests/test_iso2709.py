"""The ISO 2709 reader: fixture files named after their edge case, encodings, properties."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterable
from pathlib import Path

import pymarc
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pymarc import marc8_mapping

from fundplanner.errors import Kind, Problem, Severity
from fundplanner.ingest.iso2709 import (
    ISO5426,
    MARC8,
    UTF8,
    decide_encoding,
    iter_iso2709,
    split_iso2709,
)
from fundplanner.ingest.marcdata import MarcRecord

_BUILDER = Path(__file__).resolve().parent / "data" / "build_fixtures_iso2709.py"
_spec = importlib.util.spec_from_file_location("build_fixtures_iso2709", _BUILDER)
assert _spec and _spec.loader
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

Output = list[MarcRecord | Problem]


def read(data: bytes, file: str = "test.mrc", wanted=None) -> Output:
    return list(iter_iso2709(data, file=file, wanted=wanted))


def records(out: Output) -> list[MarcRecord]:
    return [o for o in out if isinstance(o, MarcRecord)]


def problems(out: Output, severity: Severity | None = None) -> list[Problem]:
    found = [o for o in out if isinstance(o, Problem)]
    return [p for p in found if severity is None or p.severity is severity]


def subfield(record: MarcRecord, tag: str, code: str, occurrence: int = 0) -> str:
    return next(v for c, v in record.datafields(tag)[occurrence][2] if c == code)


def fixture(data_dir: Path, name: str) -> bytes:
    return (data_dir / f"iso2709_{name}.mrc").read_bytes()


# --- one fixture file per edge case ---------------------------------------------------------

#: fixture, record numbers read, record numbers with an ERROR, record numbers with a WARNING,
#: words every ERROR message must contain
OUTCOMES = [
    ("marc8_arabic_880", [1], [], [], ()),
    ("unimarc_utf8_blank_leader09_arabic_200", [1], [], [], ()),
    ("leader_length_in_characters", [1, 2, 3], [], [1, 2, 3], ()),
    ("truncated_last_record", [1, 2], [3], [3], ("truncated",)),
    ("garbage_between_records", [1, 2], [], [], ()),
    ("directory_points_past_end", [1, 2], [], [1], ()),
    ("record_without_field_terminators", [1, 3], [2], [], ("re-export", "pymarc")),
    ("marc8_file_with_utf8_records", [1, 2, 3, 4, 5], [], [3], ()),
    ("missing_record_terminator", [1, 2], [], [1], ()),
]


@pytest.mark.parametrize(("name", "read_nos", "error_nos", "warning_nos", "words"), OUTCOMES)
def test_fixture_outcomes(data_dir, name, read_nos, error_nos, warning_nos, words):
    out = read(fixture(data_dir, name), file=f"{name}.mrc")
    assert [r.record_no for r in records(out)] == read_nos
    errors = problems(out, Severity.ERROR)
    assert [p.record for p in errors] == error_nos
    assert sorted({p.record for p in problems(out, Severity.WARNING) if p.record}) == warning_nos
    for problem in problems(out):
        assert problem.file == f"{name}.mrc"
    for error in errors:
        assert error.kind is Kind.UNREADABLE_RECORD
        assert all(word in error.message for word in words), error.message


#: fixture, record number, tag, subfield code (None: control field), expected value
VALUES = [
    ("marc8_arabic_880", 1, "880", "a", build.ARABIC_AUTHOR),
    ("marc8_arabic_880", 1, "245", "a", "Alf laylah wa-laylah."),
    ("marc8_arabic_880", 1, "500", "a", "Texte arabe, présentation français."),
    ("unimarc_utf8_blank_leader09_arabic_200", 1, "200", "a", build.UNIMARC_ARABIC_TITLE),
    ("unimarc_utf8_blank_leader09_arabic_200", 1, "210", "c", "دار صادر"),
    ("leader_length_in_characters", 2, "245", "a", "L'étranger"),
    ("leader_length_in_characters", 3, "245", "a", "Ça"),
    ("truncated_last_record", 2, "245", "a", "Le deuxième"),
    ("garbage_between_records", 2, "245", "a", "Après"),
    ("directory_points_past_end", 1, "245", "a", "Hors limites"),
    ("directory_points_past_end", 1, "245", "c", "Élise Müller"),
    ("record_without_field_terminators", 3, "245", "a", "Troisième"),
    ("marc8_file_with_utf8_records", 1, "245", "a", "L'école des femmes"),
    ("marc8_file_with_utf8_records", 2, "245", "a", "Drapeau posé"),
    ("marc8_file_with_utf8_records", 3, "245", "a", "Déjà vu, sans drapeau"),
    ("marc8_file_with_utf8_records", 4, "245", "a", "Le père Goriot"),
    ("marc8_file_with_utf8_records", 5, "245", "a", "Les élèves"),
    ("missing_record_terminator", 1, "245", "a", "Collé"),
    ("missing_record_terminator", 2, "001", None, "utf8-2"),
]


@pytest.mark.parametrize(("name", "record_no", "tag", "code", "expected"), VALUES)
def test_fixture_values(data_dir, name, record_no, tag, code, expected):
    record = next(r for r in records(read(fixture(data_dir, name))) if r.record_no == record_no)
    value = record.control(tag) if code is None else subfield(record, tag, code)
    assert value == expected


def test_marc8_arabic_880_pairs_the_second_title_with_its_245(data_dir):
    (record,) = records(read(fixture(data_dir, "marc8_arabic_880")))
    assert subfield(record, "880", "6", 1) == "245-02/(3/r"
    assert subfield(record, "880", "a", 1) == build.ARABIC_TITLE
    assert record.flavour == "marc21"


def test_unimarc_flavour_and_blank_leader09_read_as_utf8_where_pymarc_garbles(data_dir):
    data = fixture(data_dir, "unimarc_utf8_blank_leader09_arabic_200")
    (record,) = records(read(data))
    assert record.flavour == "unimarc"
    assert record.leader[9] == " "
    # pymarc's default reading of the same bytes (MARC-8, since leader/09 is blank) is
    # what this reader exists to avoid: the Arabic title comes out as something else.
    garbled = next(iter(pymarc.MARCReader(data, hide_utf8_warnings=True)))
    assert garbled["200"]["a"] != build.UNIMARC_ARABIC_TITLE


def test_empty_file_is_one_file_error(data_dir):
    out = read(fixture(data_dir, "empty"))
    assert len(out) == 1
    (problem,) = problems(out)
    assert problem.kind is Kind.UNREADABLE_FILE and problem.record is None
    assert "empty" in problem.message


def test_garbage_is_reported_with_its_offset_and_bytes(data_dir):
    data = fixture(data_dir, "garbage_between_records")
    (warning,) = problems(read(data), Severity.WARNING)
    assert warning.record is None
    assert "FILLER" in (warning.value or "")
    assert f"offset {data.index(b'***')}" in warning.message


def test_leader_length_warning_suggests_characters(data_dir):
    out = read(fixture(data_dir, "leader_length_in_characters"))
    assert all("characters instead of bytes" in p.message for p in problems(out))
    assert [p.control_number for p in problems(out)] == ["utf8-1", "utf8-2", "utf8-3"]


def test_truncated_record_error_names_control_number(data_dir):
    (error,) = problems(read(fixture(data_dir, "truncated_last_record")), Severity.ERROR)
    assert error.control_number == "utf8-3"


# --- encodings -----------------------------------------------------------------------------

ENCODINGS = [
    ("marc8_arabic_880", MARC8),
    ("unimarc_utf8_blank_leader09_arabic_200", UTF8),
    ("leader_length_in_characters", UTF8),
    ("marc8_file_with_utf8_records", MARC8),
    ("empty", MARC8),
]


@pytest.mark.parametrize(("name", "encoding"), ENCODINGS)
def test_decide_encoding(data_dir, name, encoding):
    decision = decide_encoding(fixture(data_dir, name))
    assert decision.encoding == encoding
    assert decision.reason


def unimarc_record(title: str, charset: str, encoding: str) -> bytes:
    record = pymarc.Record(to_unicode=False, force_utf8=encoding == "utf-8")
    record.leader = "00000nam  2200000   450 "
    record.add_field(pymarc.Field(tag="001", data="u1"))
    general = f"20240101d1987    m  y0frec{charset}      ba"
    for tag, code, value in (("100", "a", general), ("101", "a", "fre"), ("200", "a", title)):
        record.add_field(
            pymarc.Field(
                tag=tag,
                indicators=pymarc.Indicators(" ", " "),
                subfields=[pymarc.Subfield(code, value)],
            )
        )
    return record.as_marc()


def test_unimarc_declared_utf8_with_a_bad_byte_stays_utf8():
    data = unimarc_record("Élève", "50", "utf-8").replace("É".encode(), b"\xff\xfe")
    assert decide_encoding(data).encoding == UTF8
    out = read(data)
    (record,) = records(out)
    assert subfield(record, "200", "a") == "\ufffd\ufffdlève"
    (warning,) = problems(out)
    assert warning.kind is Kind.ENCODING and warning.field == "200"


def test_unimarc_iso5426_is_read_best_effort_with_a_warning():
    data = unimarc_record("\xc2Eleve", "03", "iso8859-1")  # ISO 5426: 0xC2 = acute, before E
    decision = decide_encoding(data)
    assert decision.encoding == ISO5426
    assert "ISO 5426" in decision.reason
    out = read(data, file="iso5426.mrc")
    assert subfield(records(out)[0], "200", "a").endswith("Eleve")
    (warning,) = problems(out)
    assert warning.record == 1 and warning.control_number == "u1"
    assert "accented letters may be wrong" in warning.message


def marc8_with(value: str, leader09: str = " ") -> bytes:
    """A MARC-8 record whose 245 $a is ``value`` (latin-1 characters = bytes); leader/09
    is set after writing, so that pymarc's writer does not encode the bytes as UTF-8."""
    record = pymarc.Record(to_unicode=False, force_utf8=False)
    record.leader = record.leader[:9] + " " + record.leader[10:]
    record.add_field(pymarc.Field(tag="001", data="m1"))
    record.add_field(
        pymarc.Field(
            tag="245",
            indicators=pymarc.Indicators("1", "0"),
            subfields=[pymarc.Subfield("a", value)],
        )
    )
    data = record.as_marc()
    return data[:9] + leader09.encode() + data[10:]


UNMAPPED_ANSEL = next(b for b in range(0xA1, 0xFF) if b not in marc8_mapping.CODESETS[0x45])

#: MARC-8 245 $a as latin-1 characters, expected text, expected warning words (None: none)
MARC8_FIELDS = [
    ("caf\xe2e", "café", None),  # ANSEL combining acute before its letter, composed (NFC)
    (build.marc8_arabic("كتاب"), "كتاب", None),  # spaces inside Arabic are not errors
    (build.marc8_arabic("كتاب الطفل"), "كتاب الطفل", None),
    (f"x{chr(UNMAPPED_ANSEL)}y", "x y", "no Unicode mapping"),
    ("\x1b$1\x21\x30", None, "malformed MARC-8"),  # CJK set cut short after 2 bytes
    ("abc\x1b)", None, "malformed MARC-8"),  # escape cut short at the end
]


@pytest.mark.parametrize(("value", "expected", "warning"), MARC8_FIELDS)
def test_marc8_fields(value, expected, warning, capfd):
    out = read(marc8_with(value))
    (record,) = records(out)
    if expected is not None:
        assert subfield(record, "245", "a") == expected
    found = problems(out)
    if warning is None:
        assert found == []
    else:
        assert len(found) == 1 and warning in found[0].message and found[0].field == "245"
    assert capfd.readouterr() == ("", "")  # the converter's messages never reach the user


def test_leader09_a_with_ansel_bytes_is_read_as_marc8_with_a_warning():
    out = read(marc8_with("caf\xe2e", leader09="a"))
    assert subfield(records(out)[0], "245", "a") == "café"
    (warning,) = problems(out)
    assert warning.kind is Kind.ENCODING and "leader/09" in warning.message


# --- selective decoding --------------------------------------------------------------------


def test_wanted_tags_per_flavour_and_001_always(data_dir):
    asked: list[str] = []

    def wanted(flavour: str) -> frozenset[str]:
        asked.append(flavour)
        return frozenset({"245"}) if flavour == "marc21" else frozenset({"200"})

    marc21 = fixture(data_dir, "garbage_between_records")
    unimarc = fixture(data_dir, "unimarc_utf8_blank_leader09_arabic_200")
    out = records(read(marc21 + unimarc, wanted=wanted))
    assert [sorted(r.fields) for r in out] == [["001", "245"], ["001", "245"], ["001", "200"]]
    assert asked == ["marc21", "unimarc"]  # asked once per flavour, not per record


def test_record_problems_carry_the_control_number(data_dir):
    out = read(fixture(data_dir, "marc8_file_with_utf8_records"))
    (warning,) = problems(out)
    assert (warning.record, warning.control_number) == (3, "utf8-3")


# --- properties ----------------------------------------------------------------------------


def accounted(data: bytes) -> None:
    """Every record the splitter finds ends as exactly one MarcRecord or one ERROR."""
    out = read(data)
    found = [s.record_no for s in split_iso2709(data) if s.record_no is not None]
    assert found == list(range(1, len(found) + 1))
    outcomes = [r.record_no for r in records(out)]
    outcomes += [p.record for p in problems(out, Severity.ERROR) if p.record is not None]
    assert sorted(outcomes) == found
    for problem in problems(out):
        assert problem.record is None or 1 <= problem.record <= len(found)
    if data.strip() and not found:
        assert any(p.kind is Kind.UNREADABLE_FILE for p in problems(out))


@given(st.binary(max_size=3000))
def test_random_bytes_never_raise_and_nothing_disappears(data):
    accounted(data)


@given(
    st.lists(
        st.sampled_from([b"\x1d", b"\x1e", b"\x1f", b"00", b"99999", b"\x1b(3"]), max_size=40
    ).map(b"".join)
)
def test_separator_soup_never_raises(data):
    accounted(b"00100nam  2200037   4500245" + data)


FIVE_RECORDS = b"".join(build.marc21_utf8(n, f"Titre numéro {n}") for n in range(1, 6))

_edit = st.tuples(
    st.sampled_from(["flip", "delete", "insert"]),
    st.integers(min_value=0, max_value=len(FIVE_RECORDS) - 1),
    st.integers(min_value=0, max_value=255),
)


def mutate(data: bytes, edits: Iterable[tuple[str, int, int]]) -> bytes:
    buffer = bytearray(data)
    for kind, position, byte in edits:
        position %= max(len(buffer), 1)
        if kind == "flip" and buffer:
            buffer[position] = byte
        elif kind == "delete" and buffer:
            del buffer[position]
        else:
            buffer.insert(position, byte)
    return bytes(buffer)


@given(st.lists(_edit, min_size=1, max_size=8))
def test_mutated_valid_file_never_raises_and_nothing_disappears(edits):
    data = mutate(FIVE_RECORDS, edits)
    accounted(data)
    # Records the edits did not touch still come in whole.
    assert len(records(read(data))) >= 5 - len(edits)


def test_unmutated_file_reads_clean():
    out = read(FIVE_RECORDS)
    assert problems(out) == []
    assert [subfield(r, "245", "a") for r in records(out)] == [
        f"Titre numéro {n}" for n in range(1, 6)
    ]


# --- speed ---------------------------------------------------------------------------------

WANTED_20 = frozenset(
    {"001", "008", "020", "041", "082", "100", "240", "245", "250", "264"}
    | {"300", "490", "500", "520", "546", "650", "651", "700", "852", "880"}
)


def rich_marc21_utf8(number: int) -> bytes:
    """A catalogue-sized UTF-8 MARC 21 record: 30 fields, French, with Arabic 880s."""
    record = pymarc.Record(force_utf8=True)
    record.add_field(pymarc.Field(tag="001", data=f"rich-{number}"))
    record.add_field(pymarc.Field(tag="005", data="20240101120000.0"))
    record.add_field(pymarc.Field(tag="008", data="240101s2019    fr a   j      000 1 fre d"))
    texts = {
        "020": [("a", f"978274{number:07d}"), ("q", "broché"), ("c", "12,50 EUR")],
        "035": [("a", f"(OCoLC){number + 10**6}")],
        "040": [("a", "FrPBN"), ("b", "fre"), ("e", "rda")],
        "041": [("a", "fre"), ("h", "ara")],
        "082": [("a", f"{number % 1000}.{number % 97}"), ("2", "23")],
        "100": [("6", "880-01"), ("a", "Maḥfūẓ, Najīb"), ("d", "1911-2006")],
        "240": [("a", "Zuqāq al-Midaqq"), ("l", "Français")],
        "245": [("6", "880-02"), ("a", f"Impasse numéro {number} :"), ("b", "roman")],
        "250": [("a", "2e éd.")],
        "264": [("a", "Paris :"), ("b", "Éditions Lattès,"), ("c", "2019")],
        "300": [("a", "412 p. :"), ("b", "ill."), ("c", "18 cm")],
        "336": [("a", "texte"), ("2", "rdacontent")],
        "337": [("a", "sans médiation"), ("2", "rdamedia")],
        "338": [("a", "volume"), ("2", "rdacarrier")],
        "490": [("a", "Le livre de poche"), ("v", str(number % 500))],
        "500": [("a", "Traduit de l’arabe (Égypte). Prix Nobel 1988.")],
        "520": [("a", "Le Caire, années 1940 : la vie d’une ruelle populaire. " * 3)],
        "546": [("a", "Texte en français.")],
        "650": [("a", "Égypte -- Mœurs et coutumes -- Romans"), ("2", "ram")],
        "651": [("a", "Le Caire (Égypte) -- Romans"), ("2", "ram")],
        "700": [("a", "Vigreux, Philippe"), ("e", "traducteur")],
        "852": [("a", "Bibliothèque Dumont"), ("h", "R MAH")],
        "856": [("u", f"https://example.org/notice/{number}")],
        "880": [("6", "245-02/(3/r"), ("a", "زقاق المدق")],
        "901": [("a", "local"), ("b", str(number))],
        "995": [("a", "AUL"), ("f", f"B{number:09d}"), ("k", "R MAH")],
    }
    for tag, subfields in texts.items():
        record.add_field(
            pymarc.Field(
                tag=tag,
                indicators=pymarc.Indicators("1", " "),
                subfields=[pymarc.Subfield(code, value) for code, value in subfields],
            )
        )
    return record.as_marc()


@pytest.mark.slow
def test_faster_than_pymarc_iterating_the_same_bytes():
    data = b"".join(rich_marc21_utf8(n) for n in range(1000))

    def cpu_seconds(run) -> float:  # process time: other work on the machine is not ours
        start = time.process_time()
        run()
        return time.process_time() - start

    def ours() -> None:
        for _ in iter_iso2709(data, file="bench.mrc", wanted=lambda _flavour: WANTED_20):
            pass

    def theirs() -> None:
        for _ in pymarc.MARCReader(data):
            pass

    rounds = [(cpu_seconds(theirs), cpu_seconds(ours)) for _ in range(3)]
    pymarc_best = min(theirs_s for theirs_s, _ in rounds)
    ours_best = min(ours_s for _, ours_s in rounds)
    # Measured 2.7x on 20,000 such records; 2x is the target this reader is held to.
    assert pymarc_best / ours_best > 2.0


# --- subfield splitting (the UTF-8 hot path reads subfields with one regex) ------------------


def one_field_record(tag: bytes, body: bytes) -> bytes:
    """A UTF-8 MARC 21 record with 001, 245 and one more field whose bytes are ``body``."""
    fields = [(b"001", b"x1"), (b"245", b"10\x1faTitre"), (tag, body)]
    directory = data = b""
    for field_tag, field_body in fields:
        directory += field_tag + b"%04d%05d" % (len(field_body) + 1, len(data))
        data += field_body + b"\x1e"
    base = 24 + len(directory) + 1
    leader = b"%05dnam a22%05d i 4500" % (base + len(data) + 1, base)
    return leader + directory + b"\x1e" + data + b"\x1d"


SUBFIELD_CASES = [
    (b"10\x1faTitre\x1fbsuite", ("1", "0", [("a", "Titre"), ("b", "suite")])),
    (b"10\x1f\x1faTitre", ("1", "0", [("a", "Titre")])),  # empty subfield skipped
    (b"10\x1faTitre\x1f", ("1", "0", [("a", "Titre")])),  # trailing delimiter
    (b"10\x1fa", ("1", "0", [("a", "")])),  # code without value
    (b"10", ("1", "0", [])),  # indicators only
    (b"1", ("1", " ", [])),  # one indicator
    (b"10\x1fa\xc3\xa9t\xc3\xa9\x1f6880-01", ("1", "0", [("a", "été"), ("6", "880-01")])),
]


@pytest.mark.parametrize(("body", "expected"), SUBFIELD_CASES)
def test_subfields_of_a_utf8_data_field(body, expected):
    out = read(one_field_record(b"500", body))
    assert problems(out) == []
    assert records(out)[0].fields["500"] == [expected]
