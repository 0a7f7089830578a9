"""Build the small ISO 2709 fixtures of tests/test_iso2709.py (one file per edge case).

Run from the repository root: ``.venv/bin/python tests/data/build_fixtures_iso2709.py``.
Records are written with pymarc's writer (Record / Field / Subfield / as_marc) and then
damaged on purpose. MARC-8 Arabic is written by hand: ESC ( 3 selects basic Arabic as G0,
ESC ( B returns to ASCII, and each letter's byte comes from pymarc's MARC-8 table
(pymarc/marc8_mapping.py, CODESETS[0x33]); MARC-8 accents are ANSEL combining marks that
come *before* their base letter (0xE2 = combining acute, CODESETS[0x45]).
"""

from __future__ import annotations

from pathlib import Path

from pymarc import Field, Indicators, Record, Subfield, marc8_mapping

HERE = Path(__file__).resolve().parent

ESC_ARABIC = "\x1b(3"  # MARC-8: designate basic Arabic (0x33) as G0
ESC_ASCII = "\x1b(B"  # MARC-8: back to basic Latin (ASCII)
ARABIC_TITLE = "ألف ليلة وليلة"  # "A thousand and one nights"
ARABIC_AUTHOR = "محفوظ، نجيب"  # Naguib Mahfouz
UNIMARC_ARABIC_TITLE = "رحلة ابن بطوطة"  # "The journey of Ibn Battuta"


def marc8_arabic(text: str) -> str:
    """``text`` in MARC-8 basic Arabic, as latin-1 characters (one per byte) for pymarc's
    ISO 8859-1 writer. Spaces stay 0x20 (shared with ASCII)."""
    table = {chr(uni): byte for byte, (uni, _) in marc8_mapping.CODESETS[0x33].items()}
    table[" "] = 0x20
    return ESC_ARABIC + "".join(chr(table[ch]) for ch in text) + ESC_ASCII


def _control(tag: str, data: str) -> Field:
    return Field(tag=tag, data=data)


def _data(tag: str, ind: str, *subfields: tuple[str, str]) -> Field:
    return Field(
        tag=tag,
        indicators=Indicators(ind[0], ind[1]),
        subfields=[Subfield(code, value) for code, value in subfields],
    )


def marc21_utf8(number: int, title: str) -> bytes:
    """A small MARC 21 record in UTF-8 (leader/09 = 'a')."""
    record = Record(force_utf8=True)
    record.add_field(_control("001", f"utf8-{number}"))
    record.add_field(_control("008", "240101s2019    fr            000 1 fre d"))
    record.add_field(_data("020", "  ", ("a", f"97827{number:08d}")))
    record.add_field(_data("245", "10", ("a", title), ("c", "Élise Müller")))
    record.add_field(_data("264", " 1", ("a", "Paris :"), ("b", "Gallimard,"), ("c", "2019")))
    return record.as_marc()


def marc8_record(number: int, *fields: Field) -> bytes:
    """A MARC 21 record in MARC-8 (leader/09 blank), field values given as latin-1 bytes."""
    record = Record(to_unicode=False, force_utf8=False)
    record.leader = record.leader[:9] + " " + record.leader[10:]
    record.add_field(_control("001", f"marc8-{number}"))
    record.add_field(_control("008", "240101s1985    le            000 1 ara d"))
    for field in fields:
        record.add_field(field)
    return record.as_marc()


def build_marc8_arabic_880() -> bytes:
    """MARC-8 file: romanised 100/245 linked to 880 fields in basic Arabic (ESC ( 3)."""
    return marc8_record(
        1,
        _data("066", "  ", ("c", "(3")),
        _data("100", "1 ", ("6", "880-01"), ("a", "Mahfuz, Najib.")),
        _data("245", "10", ("6", "880-02"), ("a", "Alf laylah wa-laylah.")),
        _data("880", "1 ", ("6", "100-01/(3/r"), ("a", marc8_arabic(ARABIC_AUTHOR))),
        _data("880", "10", ("6", "245-02/(3/r"), ("a", marc8_arabic(ARABIC_TITLE))),
        # ANSEL: combining acute (0xE2) before 'e' -> "é" once reordered and NFC-composed.
        _data("500", "  ", ("a", "Texte arabe, pr\xe2esentation fran\xf0cais.")),
    )


def build_unimarc_utf8_blank_leader09_arabic_200() -> bytes:
    """UNIMARC in UTF-8 with leader/09 blank (as many UNIMARC exports write it)."""
    record = Record(to_unicode=False, force_utf8=True)
    record.leader = "00000nam  2200000   450 "
    record.add_field(_control("001", "unimarc-1"))
    record.add_field(_data("010", "  ", ("a", "9789953000000")))
    record.add_field(_data("100", "  ", ("a", "20240101d1987    m  y0arac50      ba")))
    record.add_field(_data("101", "0 ", ("a", "ara")))
    record.add_field(_data("200", "1 ", ("a", UNIMARC_ARABIC_TITLE), ("f", "ابن بطوطة")))
    record.add_field(_data("210", "  ", ("a", "بيروت"), ("c", "دار صادر"), ("d", "1987")))
    return record.as_marc()


def build_leader_length_in_characters() -> bytes:
    """Leader/00-04 counts characters, not bytes (as in some Alma exports)."""
    out = b""
    for number, title in enumerate(("Les misérables", "L'étranger", "Ça"), start=1):
        record = marc21_utf8(number, title)
        chars = len(record.decode("utf-8"))
        out += f"{chars:05d}".encode() + record[5:]
    return out


def build_truncated_last_record() -> bytes:
    """Three records; the file stops in the middle of the third."""
    third = marc21_utf8(3, "Le troisième")
    return marc21_utf8(1, "Le premier") + marc21_utf8(2, "Le deuxième") + third[: len(third) // 2]


def build_garbage_between_records() -> bytes:
    """Bytes that belong to no record between records 1 and 2 (filler, a stray text line)."""
    return (
        marc21_utf8(1, "Avant")
        + b"\r\n*** FILLER: export interrupted, resumed ***\r\n"
        + marc21_utf8(2, "Après")
    )


def build_directory_points_past_end() -> bytes:
    """Record 1's directory gives 245 an offset beyond the end of the record; its field
    terminators are intact, so the fields can still be read in directory order."""
    record = bytearray(marc21_utf8(1, "Hors limites"))
    base = int(record[12:17])
    for pos in range(24, base - 1, 12):
        if record[pos : pos + 3] == b"245":
            record[pos + 7 : pos + 12] = b"99000"
    return bytes(record) + marc21_utf8(2, "Suivant")


def build_record_without_field_terminators() -> bytes:
    """Record 2 has no field terminator (0x1E) at all; records 1 and 3 are fine."""
    broken = bytearray(marc21_utf8(2, "Sans séparateurs").replace(b"\x1e", b""))
    broken[0:5] = f"{len(broken):05d}".encode()
    return marc21_utf8(1, "Premier") + bytes(broken) + marc21_utf8(3, "Troisième")


def build_marc8_file_with_utf8_records() -> bytes:
    """A MARC-8 file (3 of 5 records in MARC-8 with ANSEL accents) that also holds a UTF-8
    record flagged 'a' (record 2) and a UTF-8 record whose leader/09 is blank (record 3)."""
    unflagged = bytearray(marc21_utf8(3, "Déjà vu, sans drapeau"))
    unflagged[9:10] = b" "
    return (
        marc8_record(1, _data("245", "10", ("a", "L'\xe2ecole des femmes")))
        + marc21_utf8(2, "Drapeau posé")
        + bytes(unflagged)
        + marc8_record(4, _data("245", "10", ("a", "Le p\xe1ere Goriot")))
        + marc8_record(5, _data("245", "10", ("a", "Les \xe2el\xe1eves")))
    )


def build_missing_record_terminator() -> bytes:
    """Record 1 lost its record terminator (0x1D) and its leader length is wrong: the
    next leader, right after its last field terminator, tells where it ends."""
    first = bytearray(marc21_utf8(1, "Collé")[:-1])
    first[0:5] = b"99999"
    return bytes(first) + marc21_utf8(2, "Suivant")


def build_empty() -> bytes:
    return b""


FIXTURES = {
    "iso2709_marc8_arabic_880.mrc": build_marc8_arabic_880,
    "iso2709_unimarc_utf8_blank_leader09_arabic_200.mrc": (
        build_unimarc_utf8_blank_leader09_arabic_200
    ),
    "iso2709_leader_length_in_characters.mrc": build_leader_length_in_characters,
    "iso2709_truncated_last_record.mrc": build_truncated_last_record,
    "iso2709_garbage_between_records.mrc": build_garbage_between_records,
    "iso2709_directory_points_past_end.mrc": build_directory_points_past_end,
    "iso2709_record_without_field_terminators.mrc": build_record_without_field_terminators,
    "iso2709_marc8_file_with_utf8_records.mrc": build_marc8_file_with_utf8_records,
    "iso2709_missing_record_terminator.mrc": build_missing_record_terminator,
    "iso2709_empty.mrc": build_empty,
}


def main() -> None:
    for name, build in FIXTURES.items():
        (HERE / name).write_bytes(build())


if __name__ == "__main__":
    main()
