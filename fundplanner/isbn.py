"""ISBN normalisation with isbnlib's offline functions (ISO 2108; MARC21 020 $a, UNIMARC 010 $a).

Catalogues write ISBNs in many ways: ``978-2-07-040850-4 (br.)``, ``2-07-040850-7 : 6,50 EUR``
(MARC21 020 $a with the price that belongs in $c), ``207040850x``, ``ISBN 9953-21-123-X`` or
with Arabic-Indic digits (``٩٧٨…``, ``۹۷۸…``). :func:`normalise_isbn` reduces each to an ISBN-13
and its registration group (``978-2`` French language, ``978-9953`` Lebanon, ``979-10`` France),
or says what is wrong and what to do. The registration group comes from
isbnlib's offline ``mask`` (and ``info`` names it), whose range data is the International ISBN
Agency's range message as packaged by isbnlib.

Check digits are computed here (ISO 2108 arithmetic, 1-2 µs) rather than with isbnlib's
``is_isbn13`` / ``to_isbn13`` (~10-20 µs each); the tests check both agree. The registration group
is a language / country *prior* (see :func:`group_hint` and
``reference/isbn_groups.csv``). :func:`fetch_metadata` is the only function that touches the
network; it is optional, bounded by a hard timeout and never called while importing.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import isbnlib

from fundplanner.reference import load_csv

#: Arabic-Indic (U+0660-0669) and Extended Arabic-Indic (U+06F0-06F9, Persian/Urdu) digits.
_DIGITS = str.maketrans(
    {**{chr(0x0660 + d): str(d) for d in range(10)}, **{chr(0x06F0 + d): str(d) for d in range(10)}}
)
#: Dashes and spaces that appear between ISBN parts in the wild.
_SEPARATORS = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2212\u00ad"})
#: The first ISBN-looking run: digits with hyphens/spaces inside, optionally ending in X.
_ISBN_RUN = re.compile(r"\d(?:[\dXx\- \u00a0]*[\dXx])?")
_WEIGHTS10 = (10, 9, 8, 7, 6, 5, 4, 3, 2)
_CHECK_ADVICE = "check the number on the book's back cover or copyright page"


@dataclass(frozen=True, slots=True)
class IsbnResult:
    """One raw ISBN string after normalisation.

    ``isbn13`` is None when the string is not a valid ISBN; ``problem`` then says what is
    wrong and what to do (it is None for valid ISBNs). ``group`` is the registration group
    (e.g. ``"978-9953"``), None when invalid or not in isbnlib's range data.
    """

    isbn13: str | None
    group: str | None
    problem: str | None
    raw: str


@dataclass(frozen=True, slots=True)
class GroupHint:
    """Language prior (ISO 639-2/B) and country (ISO 3166-1 alpha-2) of a registration group."""

    language: str | None
    country: str | None


def _invalid(raw: str, problem: str) -> IsbnResult:
    return IsbnResult(isbn13=None, group=None, problem=problem, raw=raw)


def _extract_digits(raw: str) -> str:
    """The ISBN characters of ``raw``: the first digit run, separators removed, X upper-cased.

    A run longer than 13 characters that holds spaces (two ISBNs on one line, or an ISBN
    followed by a year) is cut at its first space.
    """
    if raw.isascii():
        if raw.isdigit():
            return raw
        text = raw
    else:
        text = raw.translate(_DIGITS).translate(_SEPARATORS)
    match = _ISBN_RUN.search(text)
    if match is None:
        return ""
    run = match.group()
    compact = re.sub(r"[\- \u00a0]", "", run).upper()
    if len(compact) > 13:
        for piece in re.split(r"[ \u00a0]+", run):
            piece_compact = piece.replace("-", "").upper()
            if len(piece_compact) in (10, 13):
                return piece_compact
    return compact


def _registration_group(isbn13: str) -> str | None:
    """``"978-2"`` from isbnlib's mask (offline range data); None when the range is unknown.

    Registration groups form a prefix code (ISBN Users' Manual §5: a group element is never
    the start of another), so once "978-2" is known to be a group every ISBN starting with
    9782 belongs to it. Known groups are remembered by their digits; isbnlib.mask (~20 µs)
    runs only for an ISBN in a group not seen before.
    """
    for length in range(4, 9):
        group = _KNOWN_GROUPS.get(isbn13[:length])
        if group is not None:
            return group
    if isbn13[:8] in _UNKNOWN_PREFIXES:
        return None
    masked = isbnlib.mask(isbn13)
    if not masked:
        _UNKNOWN_PREFIXES.add(isbn13[:8])
        return None
    prefix, group_digits, *_ = masked.split("-")
    group = f"{prefix}-{group_digits}"
    _KNOWN_GROUPS[prefix + group_digits] = group
    return group


_KNOWN_GROUPS: dict[str, str] = {}
_UNKNOWN_PREFIXES: set[str] = set()


def _check_digit10(body: str) -> str:
    """ISO 2108 ISBN-10 check character (mod 11, weights 10..2; 10 is written X)."""
    if body.isascii():  # fast path: ASCII digits weighted as bytes in C (each is 48 + digit)
        codes = body.encode()
        total = sum(map(int.__mul__, _WEIGHTS10, codes)) - 48 * sum(_WEIGHTS10[: len(codes)])
    else:
        total = sum(map(int.__mul__, _WEIGHTS10, map(int, body)))
    remainder = (11 - total % 11) % 11
    return "X" if remainder == 10 else str(remainder)


def _check_digit13(body: str) -> str:
    """ISO 2108 / EAN-13 check digit (mod 10, weights 1, 3, 1, 3 …)."""
    if body.isascii():  # fast path: ASCII digits summed as bytes in C (each is 48 + digit)
        codes = body.encode()
        odd, even = codes[0::2], codes[1::2]
        total = sum(odd) - 48 * len(odd) + 3 * (sum(even) - 48 * len(even))
    else:
        digits = list(map(int, body))
        total = sum(digits[0::2]) + 3 * sum(digits[1::2])
    return str((10 - total % 10) % 10)


def _length_problem(digits: str) -> str:
    if not digits:
        return (
            "no ISBN digits found — type the 10 or 13 digits printed above the barcode "
            "or on the copyright page"
        )
    plural = "s" if len(digits) > 1 else ""
    return (
        f"{len(digits)} character{plural} ({digits}); an ISBN has 10 or 13 — a digit is "
        f"missing or extra: {_CHECK_ADVICE}"
    )


def _isbn10_problem(digits: str) -> str | None:
    body, check = digits[:9], digits[9]
    if not body.isdigit() or not (check.isdigit() or check == "X"):
        return f"{digits}: only the last character of an ISBN-10 may be X — {_CHECK_ADVICE}"
    expected = _check_digit10(body)
    if expected != check:
        return f"{digits}: check digit should be {expected}, not {check} — {_CHECK_ADVICE}"
    return None


def _isbn13_problem(digits: str) -> str | None:
    if not digits.isdigit():
        return f"{digits}: an ISBN-13 has only digits (no X) — {_CHECK_ADVICE}"
    if not digits.startswith(("978", "979")):
        return (
            f"{digits}: an ISBN-13 starts with 978 or 979; {digits[:3]}… is another barcode "
            "(an ISSN starts with 977) — look for the number marked ISBN"
        )
    expected = _check_digit13(digits[:12])
    if expected != digits[12]:
        return f"{digits}: check digit should be {expected}, not {digits[12]} — {_CHECK_ADVICE}"
    return None


def _is_clean_isbn13(raw: str) -> bool:
    """13 ASCII digits, a 978/979 prefix and the right check digit: nothing to repair."""
    return (
        type(raw) is str
        and len(raw) == 13
        and raw.isascii()
        and raw.isdigit()
        and raw.startswith(("978", "979"))
        and _check_digit13(raw[:12]) == raw[12]
    )


@functools.lru_cache(maxsize=65536)
def normalise_isbn(raw: str) -> IsbnResult:
    """Normalise one raw ISBN string (MARC21 020 $a / UNIMARC 010 $a / an ISBN column).

    Never raises: an invalid string gives ``isbn13=None`` and a ``problem`` message.
    """
    try:
        if _is_clean_isbn13(raw):  # fast path: most 020 $a are a bare, valid ISBN-13
            return IsbnResult(isbn13=raw, group=_registration_group(raw), problem=None, raw=raw)
        digits = _extract_digits(raw or "")
        if len(digits) not in (10, 13):
            return _invalid(raw, _length_problem(digits))
        if not digits.strip("0"):
            return _invalid(raw, "all zeros: a placeholder, not an ISBN — leave the ISBN empty")
        problem = _isbn10_problem(digits) if len(digits) == 10 else _isbn13_problem(digits)
        if problem is not None:
            return _invalid(raw, problem)
        if len(digits) == 10:
            body = "978" + digits[:9]
            isbn13 = body + _check_digit13(body)
        else:
            isbn13 = digits
        return IsbnResult(isbn13=isbn13, group=_registration_group(isbn13), problem=None, raw=raw)
    except Exception as exc:  # defensive: a librarian must never see a traceback here
        return _invalid(raw, f"could not read this ISBN ({type(exc).__name__}) — {_CHECK_ADVICE}")


def best_isbn(raws: Sequence[str]) -> tuple[IsbnResult | None, list[IsbnResult]]:
    """The first valid ISBN of a record (020/010 repeat in record order) and the invalid ones.

    Blank strings are skipped silently (an empty 020 $a is not an error); every other invalid
    string is returned so the reader can turn it into a Problem.
    """
    best: IsbnResult | None = None
    invalid: list[IsbnResult] = []
    for raw in raws:
        if not raw or not raw.strip():
            continue
        result = normalise_isbn(raw)
        if result.isbn13 is None:
            invalid.append(result)
        elif best is None:
            best = result
    return best, invalid


@functools.cache
def _group_table() -> dict[str, GroupHint]:
    rows = load_csv("isbn_groups.csv", required=("group", "source"))
    return {
        row["group"]: GroupHint(language=row["language"] or None, country=row["country"] or None)
        for row in rows
    }


@functools.lru_cache(maxsize=1024)
def group_hint(group: str | None) -> GroupHint:
    """Language prior and country for a registration group (``reference/isbn_groups.csv``)."""
    if not group:
        return GroupHint(None, None)
    return _group_table().get(group, GroupHint(None, None))


def fetch_metadata(isbn13: str, *, timeout: float = 2.0, service: str = "openl") -> dict | None:
    """Online metadata for ``isbn13`` via ``isbnlib.meta``; None on any failure.

    Optional and never called on the import path. ``timeout`` bounds the whole call: isbnlib's
    URLOPEN/THREADS timeouts are set to it, and the lookup runs in a daemon thread that is
    abandoned when it overruns (DNS resolution is not covered by socket timeouts).
    """
    if not isbnlib.is_isbn13(isbn13):
        return None
    outcome: dict[str, Any] = {}

    def lookup() -> None:
        try:
            isbnlib.config.seturlopentimeout(timeout)
            isbnlib.config.setthreadstimeout(timeout)
            outcome["meta"] = isbnlib.meta(isbn13, service=service)
        except Exception:  # any network or service failure means "no metadata"
            outcome["meta"] = None

    worker = threading.Thread(target=lookup, name=f"isbn-meta-{isbn13}", daemon=True)
    worker.start()
    worker.join(timeout)
    meta = outcome.get("meta")
    return dict(meta) if meta else None
