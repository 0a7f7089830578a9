"""Build the small MARC fixtures of tests/test_export_marc.py (one file per case).

Run from the repository root: ``.venv/bin/python tests/data/build_fixtures_export.py``.
Each file holds one record as another library system would have exported it, with the
local fields the export must strip (Koha 942/952/999, PMB 995/996, Koha UNIMARC 090, local
notes and call numbers, $9 authority links) beside the fields it must keep (a 500 / UNIMARC
300 note). MARC-8 is written by hand: ESC ( 3 selects basic Arabic, ESC ( B returns to
ASCII, each letter's byte comes from pymarc's MARC-8 table (pymarc/marc8_mapping.py,
CODESETS[0x33]); the ANSEL combining acute 0xE2 comes *before* its base letter.
"""

from __future__ import annotations

from pathlib import Path

from pymarc import Field, Indicators, Leader, Record, Subfield, marc8_mapping, record_to_xml

HERE = Path(__file__).resolve().parent

ARABIC_TITLE = "رجال في الشمس"  # Men in the Sun (Ghassan Kanafani)
ARABIC_AUTHOR = "كنفاني، غسان"
MARC8_TITLE = "ألف ليلة وليلة"  # A thousand and one nights
UNIMARC_TITLE = "موسم الهجرة إلى الشمال"  # Season of Migration to the North
ESC_ARABIC = "\x1b(3"
ESC_ASCII = "\x1b(B"


def _control(tag: str, data: str) -> Field:
    return Field(tag=tag, data=data)


def _data(tag: str, ind: str, *subfields: tuple[str, str]) -> Field:
    return Field(
        tag=tag,
        indicators=Indicators(ind[0], ind[1]),
        subfields=[Subfield(code, value) for code, value in subfields],
    )


def marc8_arabic(text: str) -> str:
    """``text`` in MARC-8 basic Arabic, one latin-1 character per byte."""
    table = {chr(uni): byte for byte, (uni, _) in marc8_mapping.CODESETS[0x33].items()}
    table[" "] = 0x20
    return ESC_ARABIC + "".join(chr(table[ch]) for ch in text) + ESC_ASCII


def marc21_from_koha() -> bytes:
    """A UTF-8 MARC 21 record from another Koha, with its items and local fields."""
    record = Record(force_utf8=True)
    record.leader = Leader("00000nam a2200000 i 4500")
    for made in (
        _control("001", "KOHA-7731"),
        _control("003", "OSt"),
        _control("008", "190301s1963    le            000 1 ara d"),
        _data("020", "  ", ("a", "9789953890876")),
        _data("090", "  ", ("a", "892.736"), ("b", "KAN")),
        _data("100", "1 ", ("a", ARABIC_AUTHOR), ("9", "4412")),
        _data("245", "10", ("a", ARABIC_TITLE), ("c", "غسان كنفاني")),
        _data("264", " 1", ("a", "بيروت :"), ("b", "مؤسسة الأبحاث العربية،"), ("c", "2013")),
        _data("500", "  ", ("a", "First published in 1963.")),
        _data("590", "  ", ("a", "Signed by the donor.")),
        _data("650", " 4", ("a", "Palestinian fiction"), ("9", "881")),
        _data("852", "  ", ("a", "OSt"), ("h", "892.736 KAN")),
        _data("942", "  ", ("c", "BK"), ("2", "ddc")),
        _data("952", "  ", ("a", "OST"), ("b", "OST"), ("p", "000123"), ("y", "BK")),
        _data("952", "  ", ("a", "OST"), ("b", "OST"), ("p", "000124"), ("y", "BK")),
        _data("999", "  ", ("c", "7731"), ("d", "7731")),
    ):
        record.add_field(made)
    return record.as_marc()


def marc21_marc8_arabic() -> bytes:
    """A MARC-8 MARC 21 record (leader/09 blank): Arabic title, French accent, 066 $c (3."""
    record = Record(to_unicode=False, force_utf8=False)
    record.leader = Leader("00000nam  2200000 a 4500")
    for made in (
        _control("001", "m8-1"),
        _control("008", "240101s1985    fr            000 1 ara d"),
        _data("066", "  ", ("c", "(3")),
        _data("245", "10", ("a", marc8_arabic(MARC8_TITLE))),
        _data("500", "  ", ("a", "Traduction r\xe2evis\xe2ee.")),  # révisée, ANSEL acute first
    ):
        record.add_field(made)
    return record.as_marc()


def unimarc_from_pmb() -> bytes:
    """A UTF-8 UNIMARC record from PMB: leader/09 blank (UNIMARC leaves it undefined), 100 $a
    declaring UTF-8, its items in 995, PMB custom fields in 996, a Koha 090."""
    record = Record(force_utf8=True)
    record.leader = Leader("00000nam0a2200000   450 ")
    for made in (
        _control("001", "PMB-12"),
        _data("010", "  ", ("a", "9789953683218")),
        _data("090", "  ", ("a", "12")),
        _data("100", "  ", ("a", "20200101d2010    m  y0arby50      fa")),
        _data("101", "0 ", ("a", "ara")),
        _data("200", "1 ", ("a", UNIMARC_TITLE), ("f", "الطيب صالح")),
        _data("210", "  ", ("a", "بيروت"), ("c", "دار العودة"), ("d", "2010")),
        _data("300", "  ", ("a", "Roman traduit en 20 langues.")),
        _data("606", "  ", ("a", "Roman soudanais"), ("9", "id:12")),
        _data("700", " 1", ("a", "صالح"), ("b", "الطيب")),
        _data("995", "  ", ("a", "BDP"), ("f", "BDP0001"), ("k", "R SAL"), ("r", "uu")),
        _data("996", "  ", ("9", "expl_cb:BDP0001")),
    ):
        record.add_field(made)
    data = bytearray(record.as_marc())
    data[9] = ord(" ")  # leader/09 blank, as PMB writes UNIMARC
    return bytes(data)


def marcxml_record() -> bytes:
    """One MARCXML ``<record>`` with the MARC21 slim namespace declared on it."""
    record = Record(force_utf8=True)
    record.leader = Leader("00000nam a2200000 i 4500")
    for made in (
        _control("001", "xml-1"),
        _data("020", "  ", ("a", "9782070360024")),
        _data("100", "1 ", ("a", "Camus, Albert")),
        _data("245", "13", ("a", "L'étranger"), ("c", "Albert Camus")),
        _data("500", "  ", ("a", "Édition de poche.")),
        _data("952", "  ", ("a", "OLD"), ("p", "X1")),
    ):
        record.add_field(made)
    return record_to_xml(record, namespace=True)


def unimarcxml_record() -> bytes:
    """One UNIMARC slim ``<record>`` (namespace ``info:lc/xmlns/unimarcslim``)."""
    record = Record(force_utf8=True)
    record.leader = Leader("00000nam0 2200000   450 ")
    for made in (
        _control("001", "uxml-1"),
        _data("010", "  ", ("a", "9782070360024"), ("d", "8,20 EUR")),
        _data("100", "  ", ("a", "20200101d1942    m  y0frey50      ba")),
        _data("200", "1 ", ("a", "L'étranger"), ("f", "Albert Camus")),
        _data("300", "  ", ("a", "Prix Nobel 1957.")),
        _data("995", "  ", ("b", "OLD"), ("f", "X2")),
    ):
        record.add_field(made)
    xml = record_to_xml(record, namespace=True)
    return xml.replace(b"http://www.loc.gov/MARC21/slim", b"info:lc/xmlns/unimarcslim")


FIXTURES = {
    "export_marc21_from_koha.mrc": marc21_from_koha,
    "export_marc21_marc8_arabic.mrc": marc21_marc8_arabic,
    "export_unimarc_from_pmb.mrc": unimarc_from_pmb,
    "export_marcxml_record.xml": marcxml_record,
    "export_unimarcxml_record.xml": unimarcxml_record,
}


def main() -> None:
    for name, build in FIXTURES.items():
        (HERE / name).write_bytes(build())
        print(name)


if __name__ == "__main__":
    main()
