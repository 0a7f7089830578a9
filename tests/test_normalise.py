"""The Normaliser: its helpers whose common case has a fast path (years, author lists) and
batches, which give what record-by-record normalisation gives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundplanner.errors import Kind
from fundplanner.ingest.normalise import IngestOptions, Normaliser, _join, _text


def normaliser() -> Normaliser:
    return Normaliser(
        file="f.mrc", source="f", format="marc21", options=IngestOptions(max_year=2026)
    )


YEARS = [
    # raw 264 $c / 008/07-10, year, warned
    ("1998", 1998, False),  # fast path: four ASCII digits in range
    ("1450", 1450, False),
    ("2026", 2026, False),
    ("1449", None, True),  # four digits out of range: the general rules decide (and warn)
    ("2999", None, True),
    ("0000", None, True),
    ("uuuu", None, False),  # 008 "unknown"
    ("١٩٩٨", 1998, False),  # Arabic-Indic digits
    ("1420 هـ", 1999, False),  # Hijri
    ("c1998", 1998, False),
    ("s.d", None, False),  # ISBD "[s.d.]" as the year cleaner leaves it: no date, nothing to fix
    ("S. d", None, False),
    ("n.d", None, False),  # AACR2
    ("date of publication not identified", None, False),  # RDA 2.8.6.6
    ("sans date", None, False),
    ("د.ت", None, False),  # دون تاريخ
    ("s.d. 1998", 1998, False),  # a year wins over the placeholder
    ("sd 20", None, True),  # not only the placeholder: a warning
    ("<s.a.>", None, False),  # sine anno
    ("date of publication not identified)", None, False),
    ("195-?", 1955, False),  # AACR2 probable decade: its middle
    ("195-", 1955, False),
    ("199u", 1995, False),  # 008/07-10 unknown digit
    ("199?-", 1995, False),
    ("200X-", 2005, False),
    ("19--?", 1950, False),  # probable century: its middle
    ("19uu", 1950, False),
    ("19..-", 1950, False),
    ("201-? 196-?", 2015, False),  # the first date
    ("0001-", None, True),  # a number, not a year
    ("203-?", None, True),  # the 2030s: after the latest year allowed
    ("20uu", 2013, False),  # 2000-2026 (max_year): its middle, not 2050
    ("202-?", 2023, False),  # 2020-2026
    ("1.5", None, True),
]


@pytest.mark.parametrize(("text", "year", "warned"), YEARS)
def test_year(text: str, year: int | None, warned: bool) -> None:
    n = normaliser()
    assert n._year({"record_no": 1, "flavour": "marc21", "year": text}) == year
    assert [p.kind for p in n.problems] == ([Kind.INVALID_NUMBER] if warned else [])


@pytest.mark.parametrize(
    ("values", "joined"),
    [
        (["Martin, A."], "Martin, A."),  # fast path: one author
        ([" Martin, A. "], "Martin, A."),
        ([""], None),
        (["  "], None),
        (["Martin, A.", "Haddad, N.", "Martin, A."], "Martin, A. ; Haddad, N."),
        (("Martin, A.",), "Martin, A."),
        ("Martin, A.", "Martin, A."),
        (None, None),
    ],
)
def test_join(values: object, joined: str | None) -> None:
    assert _join(values) == joined


def test_nul_characters_are_dropped_from_text() -> None:
    """PostgreSQL text columns cannot hold NUL; damaged records sometimes carry one."""
    assert _text("Le\x00 Petit Prince ") == "Le Petit Prince"
    assert _join(["Camus,\x00 Albert", "Sartre"]) == "Camus, Albert ; Sartre"


#: Raw MARC21 rows with something for every step to say: no title, not a book, bad ISBN,
#: unreadable weight and price, a year out of range, fractional copies, unknown acquisition.
RAW_CELLS = {
    "record_type": st.sampled_from(["a", "m", "g", " "]),
    "title": st.sampled_from(["Le Petit Prince", "", "الأمير الصغير", "Dune"]),
    "isbns": st.sampled_from([[], ["9782070612758"], ["978207061275X"], ["2-07-061275-0"]]),
    "weight_kg": st.sampled_from([None, "0.4", "heavy"]),
    "price": st.sampled_from([None, "12 EUR", "douze", "5"]),
    "year": st.sampled_from([None, "1998", "2999", "s.d."]),
    "copies_offered": st.sampled_from([None, "2", "1.5"]),
    "acquisition": st.sampled_from([None, "don", "swap"]),
    "extent": st.sampled_from([None, "235 p.", "3 vol."]),
    "languages": st.sampled_from([[], ["fre"], ["ara"]]),
}
RAW_ROWS = st.lists(st.fixed_dictionaries(RAW_CELLS), max_size=12)


def _numbered(cells: list[dict[str, object]]) -> list[dict[str, object]]:
    return [
        {**row, "record_no": number, "record_id": str(number), "flavour": "marc21"}
        for number, row in enumerate(cells, start=1)
    ]


@settings(max_examples=200, deadline=None)
@given(RAW_ROWS)
def test_a_batch_gives_the_rows_and_problems_of_record_by_record(cells: list) -> None:
    """Step by step over a batch or record by record: the same rows, the same problems in
    the same order (by record, then type, title, ISBN, weight, price, year, copies,
    acquisition), and the same rows left pending for the detector."""
    raws = _numbered(cells)
    options = IngestOptions(max_year=2026, defer_detection=True)
    batch = Normaliser(file="f.mrc", source="f", format="marc21", options=options)
    one = Normaliser(file="f.mrc", source="f", format="marc21", options=options)
    assert batch.rows(raws) == [one.row(raw) for raw in raws]
    assert batch.problems == one.problems
    assert batch.pending_summaries == one.pending_summaries


def test_a_batch_s_problems_come_by_record_then_step() -> None:
    raws = _numbered(
        [
            {"title": "A", "isbns": ["978207061275X"], "year": "2999"},
            {"title": ""},  # rejected: no title
            {"title": "C", "price": "douze", "copies_offered": "1.5"},
        ]
    )
    n = normaliser()
    rows = n.rows(raws)
    assert [row is None for row in rows] == [False, True, False]
    assert [(p.record, p.kind) for p in n.problems] == [
        (1, Kind.INVALID_ISBN),
        (1, Kind.INVALID_NUMBER),  # the year
        (2, Kind.MISSING_TITLE),
        (3, Kind.INVALID_NUMBER),  # the price
        (3, Kind.INVALID_NUMBER),  # the copies
    ]
