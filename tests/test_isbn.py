"""fundplanner.isbn: normalisation (MARC21 020 $a / UNIMARC 010 $a), groups, offline guarantees."""

from __future__ import annotations

import socket
import time

import isbnlib
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundplanner.isbn import (
    GroupHint,
    _check_digit10,
    _check_digit13,
    best_isbn,
    fetch_metadata,
    group_hint,
    normalise_isbn,
)
from fundplanner.reference import load_csv


def _with_check(first12: str) -> str:
    return first12 + isbnlib.check_digit13(first12)


VALID = [
    # raw, isbn13, group
    ("978-2-07-040850-4 (br.)", "9782070408504", "978-2"),
    ("2-07-040850-7 : 6,50 EUR", "9782070408504", "978-2"),
    ("207040850-7", "9782070408504", "978-2"),
    ("ISBN 2 07 040850 7", "9782070408504", "978-2"),
    ("٩٧٨٢٠٧٠٤٠٨٥٠٤", "9782070408504", "978-2"),  # Arabic-Indic digits
    ("۹۷۸۲۰۷۰۴۰۸۵۰۴", "9782070408504", "978-2"),  # Extended (Persian) digits
    ("  978\u20132\u2013070408504\t", "9782070408504", "978-2"),  # en dashes, whitespace
    ("0-8044-2957-x", "9780804429573", "978-0"),  # ISBN-10 ending in lower-case x
    ("ISBN 9953-21-123-X", "9789953211237", "978-9953"),  # Lebanon
    ("0-306-40615-2", "9780306406157", "978-0"),
    ("9781234567897", "9781234567897", "978-1"),
    (_with_check("979103270000"), _with_check("979103270000"), "979-10"),  # France, 979-10
    (_with_check("978977000000"), _with_check("978977000000"), "978-977"),  # Egypt
    (_with_check("978995700000"), _with_check("978995700000"), "978-9957"),  # Jordan
    (_with_check("978995000000"), _with_check("978995000000"), "978-9950"),  # Palestine
    ("9782070408504 9782070408511", "9782070408504", "978-2"),  # two on one line: first
]


@pytest.mark.parametrize(("raw", "isbn13", "group"), VALID)
def test_valid_isbns_normalise_to_isbn13_and_group(raw: str, isbn13: str, group: str) -> None:
    result = normalise_isbn(raw)
    assert (result.isbn13, result.group, result.problem, result.raw) == (isbn13, group, None, raw)


INVALID = [
    # raw, words the message must contain
    ("978-2-07-040850-5", ["check digit should be 4, not 5", "back cover"]),
    ("ISBN 9953-21-123-4", ["check digit should be X, not 4"]),
    ("2-07-040850-X", ["check digit should be 7, not X"]),
    ("", ["no ISBN digits"]),
    ("   ", ["no ISBN digits"]),
    ("(br.) : 6,50 EUR", ["1 character (6)"]),  # only the price's digits
    ("12345", ["5 characters", "10 or 13"]),
    ("97820704085", ["11 characters"]),
    ("0000000000", ["all zeros"]),
    ("0000000000000", ["all zeros"]),
    ("9772070408504", ["starts with 978 or 979"]),
    ("9782070408505", ["check digit should be 4, not 5"]),  # bare 13 digits: fast path declines
    ("20X0408507", ["only the last character"]),
]


@pytest.mark.parametrize(("raw", "fragments"), INVALID)
def test_invalid_isbns_say_what_is_wrong(raw: str, fragments: list[str]) -> None:
    result = normalise_isbn(raw)
    assert result.isbn13 is None and result.group is None and result.raw == raw
    assert result.problem is not None
    for fragment in fragments:
        assert fragment in result.problem


HINTS = [
    ("978-2", GroupHint("fre", None)),
    ("979-10", GroupHint("fre", "FR")),
    ("978-0", GroupHint("eng", None)),
    ("978-1", GroupHint("eng", None)),
    ("978-9953", GroupHint("ara", "LB")),
    ("978-614", GroupHint("ara", "LB")),
    ("978-977", GroupHint("ara", "EG")),
    ("978-9957", GroupHint("ara", "JO")),
    ("978-9950", GroupHint("ara", "PS")),
    ("978-99902", GroupHint(None, None)),  # a group not in the table
    (None, GroupHint(None, None)),
    ("", GroupHint(None, None)),
]


@pytest.mark.parametrize(("group", "hint"), HINTS)
def test_group_hint(group: str | None, hint: GroupHint) -> None:
    assert group_hint(group) == hint


ARAB_LEAGUE_WITH_GROUPS = {
    "LB", "EG", "JO", "SY", "IQ", "SA", "AE", "QA", "KW",
    "MA", "DZ", "TN", "PS", "OM", "BH", "SD", "LY",
}  # fmt: skip


def test_group_table_covers_the_arab_league_and_names_its_source() -> None:
    rows = load_csv("isbn_groups.csv", required=("group", "source"))
    countries = {row["country"] for row in rows if row["language"] == "ara"}
    assert countries >= ARAB_LEAGUE_WITH_GROUPS
    assert {"978-0", "978-1", "978-2", "979-10"} <= {row["group"] for row in rows}
    assert all("range message" in row["source"] for row in rows)


def _isbn_in_group(group: str) -> str | None:
    prefix = group.replace("-", "")
    for fill in "0123456789":
        candidate = _with_check((prefix + fill * 12)[:12])
        if normalise_isbn(candidate).group == group:
            return candidate
    return None


@pytest.mark.parametrize("row", load_csv("isbn_groups.csv"), ids=lambda row: row["group"])
def test_every_group_in_the_table_is_one_isbnlib_knows(row: dict[str, str]) -> None:
    """The table's groups and agency names agree with isbnlib's offline range data."""
    isbn = _isbn_in_group(row["group"])
    assert isbn is not None, f"no ISBN of group {row['group']} is recognised by isbnlib.mask"
    assert isbnlib.info(isbn) == row["agency_name"]


def test_best_isbn_keeps_the_first_valid_and_reports_the_invalid() -> None:
    best, invalid = best_isbn(["", "978-2-07-040850-5", "2070408507", "9780306406157", "abc"])
    assert best is not None and best.isbn13 == "9782070408504"
    assert [r.raw for r in invalid] == ["978-2-07-040850-5", "abc"]
    assert best_isbn([]) == (None, [])
    assert best_isbn(["  "]) == (None, [])


def test_normalise_is_cached() -> None:
    assert normalise_isbn("2070408507") is normalise_isbn("2070408507")


ISBNISH = st.text(alphabet="0123456789Xx- ٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", max_size=20)


@given(st.one_of(st.text(max_size=40), ISBNISH))
def test_normalise_never_raises_and_valid_means_valid(raw: str) -> None:
    result = normalise_isbn.__wrapped__(raw)
    assert result.raw == raw
    if result.isbn13 is None:
        assert result.problem
    else:
        assert isbnlib.is_isbn13(result.isbn13) and result.problem is None


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_isbn10_body_with_its_check_digit_is_accepted(body: str) -> None:
    isbn10 = body + isbnlib.check_digit10(body)
    result = normalise_isbn.__wrapped__(isbn10)
    if set(isbn10) == {"0"}:
        assert result.isbn13 is None
    else:
        assert result.isbn13 == isbnlib.to_isbn13(isbn10)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network unavailable (test)")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.usefixtures("no_network")
def test_fetch_metadata_returns_none_quickly_without_network() -> None:
    start = time.perf_counter()
    assert fetch_metadata("9782070408504", timeout=2.0) is None
    assert time.perf_counter() - start < 3.0


def test_fetch_metadata_gives_up_at_its_timeout_when_dns_hangs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def hang(*args: object, **kwargs: object) -> None:
        time.sleep(5)
        raise OSError("network unavailable (test)")

    monkeypatch.setattr(socket, "getaddrinfo", hang)
    start = time.perf_counter()
    assert fetch_metadata("9782070408504", timeout=0.5) is None
    assert time.perf_counter() - start < 3.0


def test_fetch_metadata_rejects_an_invalid_isbn_without_looking_up() -> None:
    assert fetch_metadata("9782070408505") is None


#: Fullwidth digits: Unicode digits that int() reads but that are not ASCII.
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_check_digits_of_ascii_fast_path_and_other_digits_agree(body: str) -> None:
    """ASCII digits are summed as bytes (fast path); other Unicode digits go through int()."""
    wide = body.translate(FULLWIDTH)
    assert _check_digit13(body) == _check_digit13(wide) == isbnlib.check_digit13(body)
    assert _check_digit10(body[:9]) == _check_digit10(wide[:9]) == isbnlib.check_digit10(body[:9])
