"""Normaliser helpers whose common case has a fast path: years and author lists."""

from __future__ import annotations

import pytest

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
