"""Prices as catalogues write them, and their conversion to the project currency.

MARC21 020 $c and UNIMARC 010 $d carry "terms of availability": a price with its currency
("12,50 EUR", "$8.95", "6 د.أ"), sometimes a word ("gratuit", "free"). Tables carry a price
column and sometimes a currency column. Rates come from ``reference/exchange_rates.csv``
(dated, with sources) unless a project passes its own table.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fundplanner.reference import load_csv, load_toml

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹٫٬", "01234567890123456789.,")
_NUMBER_RE = re.compile(r"\d[\d\s.,'\u00a0\u202f]*")
_FREE_WORDS = frozenset(
    {"gratuit", "free", "gratis", "مجانا", "مجاني", "don", "donation", "hors commerce"}
)
_ISO_RE = re.compile(r"\b[A-Z]{3}\b")


@dataclass(frozen=True, slots=True)
class Price:
    amount: float
    currency: str | None  # ISO 4217, None when the text names none


@dataclass(frozen=True, slots=True)
class PriceProblem:
    raw: str
    message: str


def _symbols() -> Mapping[str, str]:
    return load_toml("currency_symbols.toml")["symbols"]


def _parse_number(text: str) -> float | None:
    """A decimal number written with either ',' or '.' as decimal mark and spaces/dots as groups."""
    digits = re.sub(r"[\s'\u00a0\u202f]", "", text).rstrip(".,")
    if not digits:
        return None
    last_dot, last_comma = digits.rfind("."), digits.rfind(",")
    decimal_at = max(last_dot, last_comma)
    if decimal_at >= 0 and len(digits) - decimal_at - 1 in (1, 2):
        whole = re.sub(r"[.,]", "", digits[:decimal_at])
        number = f"{whole}.{digits[decimal_at + 1 :]}"
    else:
        number = re.sub(r"[.,]", "", digits)
    try:
        return float(number)
    except ValueError:
        return None


def _currency_in(text: str) -> str | None:
    folded = text.casefold()
    symbols = _symbols()
    for word in sorted(symbols, key=len, reverse=True):
        whole_word = rf"(?<!\w){re.escape(word)}(?!\w)"
        if word in folded and (not word.isalpha() or re.search(whole_word, folded)):
            return symbols[word]
    iso = _ISO_RE.search(text)
    if iso and iso.group(0) in exchange_rates():
        return iso.group(0)
    return None


@functools.lru_cache(maxsize=65536)
def parse_price(raw: str) -> Price | PriceProblem:
    """The amount and currency of a price text (020 $c, 010 $d, a Price column)."""
    text = raw.translate(_DIGITS).strip()
    if not text:
        return PriceProblem(raw, "the price is empty")
    if text.casefold() in _FREE_WORDS:
        return Price(0.0, None)
    match = _NUMBER_RE.search(text)
    amount = _parse_number(match.group(0)) if match else None
    if amount is None:
        return PriceProblem(
            raw, f"no amount found in {raw!r}; write the price as a number, e.g. 12.50"
        )
    return Price(amount, _currency_in(text))


def exchange_rates(override: str | Path | None = None) -> dict[str, float]:
    """Euros per unit of each currency (ISO 4217), from the packaged or a project's table."""
    rows = load_csv("exchange_rates.csv", required=("currency", "eur_per_unit"), override=override)
    return {row["currency"].upper(): float(row["eur_per_unit"]) for row in rows}


def to_eur(amount: float | None, currency: str | None, rates: Mapping[str, float]) -> float | None:
    """``amount`` in euros, or None when the currency is unknown to the rate table."""
    if amount is None:
        return None
    if amount == 0:
        return 0.0
    if not currency:
        return None
    rate = rates.get(currency.upper())
    return None if rate is None else round(amount * rate, 2)
