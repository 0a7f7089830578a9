"""The MARCXML reader: dialects, damaged records, broken XML, entity attacks."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundplanner.errors import Kind, Problem, Severity
from fundplanner.ingest.fieldmap import extract
from fundplanner.ingest.marcdata import MarcRecord
from fundplanner.ingest.marcxml import iter_marcxml


def read(path: Path) -> tuple[list[MarcRecord], list[Problem]]:
    items = list(iter_marcxml(path.read_bytes(), file=path.name))
    assert all(isinstance(i, MarcRecord | Problem) for i in items)
    return [i for i in items if isinstance(i, MarcRecord)], [
        i for i in items if isinstance(i, Problem)
    ]


def titles(records: list[MarcRecord]) -> list[str | None]:
    return [extract(r).get("title") for r in records]


@pytest.mark.parametrize(
    ("name", "flavours", "expected_titles"),
    [
        ("marcxml_namespaced_prefix.xml", ["marc21", "marc21"], ["Le petit prince", "Vol de nuit"]),
        ("marcxml_no_namespace.xml", ["marc21"], ["Plain XML"]),
        (
            "marcxml_unimarc_slim.xml",
            ["unimarc"],
            ["Le Lion, la sorcière blanche et l'armoire magique"],
        ),
        ("fieldmap_880_arabic_pair.xml", ["marc21"], ["الأيام"]),
    ],
)
def test_dialects(
    data_dir: Path, name: str, flavours: list[str], expected_titles: list[str]
) -> None:
    records, problems = read(data_dir / name)
    assert problems == []
    assert [r.flavour for r in records] == flavours
    assert [r.record_no for r in records] == list(range(1, len(records) + 1))
    assert titles(records) == expected_titles


def test_unimarc_4xx_embedded_fields_are_not_read(data_dir: Path) -> None:
    (record,), _ = read(data_dir / "marcxml_unimarc_slim.xml")
    assert "461" not in record.fields  # not wanted by the map: never decoded
    assert extract(record)["title"].startswith("Le Lion")


def test_bncf_short_element_names() -> None:
    data = (
        b'<collection xmlns="http://www.bncf.firenze.sbn.it/unimarc/slim"><rec>'
        b"<lab>01434nam0 2200313 i 450 </lab><cf t='001'>CFI1</cf>"
        b'<df t="100" i1=" " i2=" "><sf c="a">20140514d2014    ba   y0itay50</sf></df>'
        b'<df t="200" i1="1" i2=" "><sf c="a">Lo Stato innovatore</sf></df></rec></collection>'
    )
    (record,) = list(iter_marcxml(data, file="bncf.xml"))
    assert isinstance(record, MarcRecord)
    assert record.flavour == "unimarc"
    assert extract(record)["title"] == "Lo Stato innovatore"


def test_sru_wrapper_record_is_not_a_marc_record() -> None:
    data = (
        b'<srw:searchRetrieveResponse xmlns:srw="http://www.loc.gov/zing/srw/"><srw:records>'
        b"<srw:record><srw:recordSchema>marcxml</srw:recordSchema><srw:recordData>"
        b'<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00300nam a2200109 a 4500</leader>'
        b'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">Inside SRU</subfield>'
        b"</datafield></record></srw:recordData><srw:recordPosition>1</srw:recordPosition>"
        b"</srw:record></srw:records></srw:searchRetrieveResponse>"
    )
    items = list(iter_marcxml(data, file="sru.xml"))
    assert len(items) == 1 and isinstance(items[0], MarcRecord)
    assert titles([items[0]]) == ["Inside SRU"]


def test_broken_xml_keeps_records_before_and_recovers_after(data_dir: Path) -> None:
    records, problems = read(data_dir / "marcxml_broken_mid_file.xml")
    assert [r.control("001") for r in records[:2]] == ["good-1", "good-2"]
    assert records[-1].control("001") == "after-4"
    (problem,) = problems
    assert problem.record == 3 and problem.kind is Kind.UNREADABLE_RECORD
    assert "line 16" in problem.message and "recovered" in problem.message
    assert "records 1-2 were read" in problem.message


def test_broken_xml_without_recovery_is_an_error_and_says_the_rest_was_lost() -> None:
    data = (
        b"<collection><record><leader>00300nam a2200109 a 4500</leader></record></collection>"
        b'<?xml version="1.0"?><collection><record><leader>lost</leader></record></collection>'
    )
    records = [i for i in iter_marcxml(data, file="cut.xml") if isinstance(i, MarcRecord)]
    problems = [i for i in iter_marcxml(data, file="cut.xml") if isinstance(i, Problem)]
    assert len(records) == 1
    (problem,) = problems
    assert problem.severity is Severity.ERROR
    assert "rest of the file was not read" in problem.message
    assert problem.record is None and "after record 1" in problem.message


def test_several_root_records_are_wrapped_and_read() -> None:
    one = (
        b"<record><leader>00300nam a2200109 a 4500</leader>"
        b'<controlfield tag="001">%d</controlfield></record>\n'
    )
    data = b'<?xml version="1.0"?>\n' + b"".join(
        one.replace(b"%d", str(n).encode()) for n in (1, 2, 3)
    )
    items = list(iter_marcxml(data, file="roots.xml"))
    records = [i for i in items if isinstance(i, MarcRecord)]
    assert [r.control("001") for r in records] == ["1", "2", "3"]
    assert [p.severity for p in items if isinstance(p, Problem)] == [Severity.WARNING]


def test_external_entity_is_not_resolved(data_dir: Path) -> None:
    records, problems = read(data_dir / "marcxml_xxe_external_entity.xml")
    (record,) = records
    assert extract(record)["title"] == "Title"  # the reference is dropped, never resolved
    (problem,) = problems
    assert problem.severity is Severity.WARNING and "&xxe; was not expanded" in problem.message


def test_billion_laughs_is_refused_quickly(data_dir: Path) -> None:
    started = time.perf_counter()
    records, problems = read(data_dir / "marcxml_billion_laughs.xml")
    assert time.perf_counter() - started < 2.0
    for record in records:
        assert "lol" not in (extract(record).get("title") or "")
    assert problems and "entity" in problems[0].message.lower()


def test_damaged_parts_are_kept_with_warnings(data_dir: Path) -> None:
    records, problems = read(data_dir / "marcxml_damaged_parts.xml")
    first, second = records
    assert first.leader == " " * 24
    assert first.control(
        "008",
    ) is not None and first.control("008").startswith("200101")
    assert extract(first)["isbns"] == ["2070612759"]  # tag "20" read as 020
    assert extract(first)["title"] == "Damaged but readable"
    assert first.fields["245"][0][0] == "1"  # indicator "10" cut to "1"
    assert first.fields["500"] == ["A note written as a control field"]
    assert len(second.leader) == 24 and second.leader.startswith("00300nam a2200109")
    assert all(p.severity is Severity.WARNING for p in problems)
    by_record = {(p.record, p.field) for p in problems}
    assert {
        (1, "LDR"),
        (1, "008"),
        (1, "020"),
        (1, None),
        (1, "500"),
        (1, "245"),
        (2, "LDR"),
    } <= by_record
    assert all(p.control_number in ("damaged-1", "short-leader-2") for p in problems)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (
            b'<?xml version="1.0"?><collection xmlns="http://www.loc.gov/MARC21/slim"/>',
            Kind.UNREADABLE_FILE,
        ),
        (b"<OAI-PMH><record><header/><metadata/></record></OAI-PMH>", Kind.UNREADABLE_FILE),
        (b"not xml at all", Kind.UNREADABLE_FILE),
        (b"", Kind.UNREADABLE_FILE),
    ],
)
def test_files_without_marc_records_give_one_error(data: bytes, kind: Kind) -> None:
    items = list(iter_marcxml(data, file="x.xml"))
    assert len(items) == 1 and isinstance(items[0], Problem)
    assert items[0].kind is kind and items[0].severity is Severity.ERROR


def test_empty_record_in_marc_namespace_counts_as_a_record() -> None:
    data = b'<record xmlns="http://www.loc.gov/MARC21/slim" />'
    items = list(iter_marcxml(data, file="empty.xml"))
    assert isinstance(items[0], MarcRecord) and items[0].fields == {}
    assert isinstance(items[1], Problem) and "empty" in items[1].message


# --------------------------------------------------------------------------- properties

_GOOD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="http://www.loc.gov/MARC21/slim">'
    b'<record><leader>00300nam a2200109 a 4500</leader><controlfield tag="001">1</controlfield>'
    b'<controlfield tag="008">200101s2020    xx            000 0 eng d</controlfield>'
    b'<datafield tag="245" ind1="1" ind2="0"><subfield code="a">T\xc3\xa9st /</subfield>'
    b"</datafield>"
    b'<datafield tag="880" ind1="1" ind2="0"><subfield code="6">245-01/(3/r</subfield>'
    b'<subfield code="a">\xd8\xa7</subfield></datafield></record></collection>'
)


@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data: bytes) -> None:
    for item in iter_marcxml(data, file="random.xml"):
        assert isinstance(item, MarcRecord | Problem)


@given(
    st.lists(
        st.tuples(st.integers(0, len(_GOOD) - 1), st.integers(0, 8), st.binary(max_size=6)),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_xml_never_raises(edits: list[tuple[int, int, bytes]]) -> None:
    data = _GOOD
    for position, cut, insert in edits:
        data = data[:position] + insert + data[position + cut :]
    for item in iter_marcxml(data, file="mutated.xml"):
        assert isinstance(item, MarcRecord | Problem)
        if isinstance(item, MarcRecord):
            row = extract(item)
            assert row["record_no"] == item.record_no
