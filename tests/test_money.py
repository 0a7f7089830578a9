"""Prices as catalogues write them (020 $c, 010 $d, price columns) and their conversion."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundplanner import money


@pytest.mark.parametrize(
    ("raw", "amount", "currency"),
    [
        ("12,50 EUR", 12.5, "EUR"),
        ("EUR 12.50", 12.5, "EUR"),
        ("$8.95", 8.95, "USD"),
        ("8,95 $", 8.95, "USD"),
        ("£7.99", 7.99, "GBP"),
        ("6,50 EUR (br.)", 6.5, "EUR"),
        ("1 234,56 €", 1234.56, "EUR"),
        ("1.234,5 EUR", 1234.5, "EUR"),
        ("12 د.أ", 12.0, "JOD"),
        ("٣٥ دولار", 35.0, "USD"),
        ("١٢٫٥ دينار", 12.5, "JOD"),
        ("Prix : 15 JOD", 15.0, "JOD"),
        ("40 ILS", 40.0, "ILS"),
        ("120 F", 120.0, "FRF"),
        ("95 FF", 95.0, "FRF"),  # francs français in older French lists
        ("Br. : 350 FB", 350.0, "BEF"),  # francs belges
        ("DM 24,80", 24.8, "DEM"),
        ("12 FS", 12.0, "CHF"),  # francs suisses
        ("12.5", 12.5, None),
        ("gratuit", 0.0, None),
        ("Free", 0.0, None),
    ],
)
def test_parse_price(raw: str, amount: float, currency: str | None) -> None:
    parsed = money.parse_price(raw)
    assert isinstance(parsed, money.Price)
    assert parsed.amount == pytest.approx(amount)
    assert parsed.currency == currency


@pytest.mark.parametrize("raw", ["", "abc", "prix sur demande", "N/A"])
def test_unreadable_price_is_a_problem_that_says_how_to_fix(raw: str) -> None:
    parsed = money.parse_price(raw)
    assert isinstance(parsed, money.PriceProblem)
    assert parsed.raw == raw


def test_to_eur_uses_the_rate_table() -> None:
    rates = {"EUR": 1.0, "JOD": 1.2}
    assert money.to_eur(10, "JOD", rates) == 12.0
    assert money.to_eur(10, "eur", rates) == 10.0
    assert money.to_eur(0, None, rates) == 0.0
    assert money.to_eur(10, None, rates) is None
    assert money.to_eur(10, "XXX", rates) is None


def test_packaged_rates_cover_the_project_currencies() -> None:
    rates = money.exchange_rates()
    for code in ("EUR", "USD", "JOD", "ILS", "GBP", "LBP", "EGP"):
        assert rates[code] > 0


def test_a_project_rate_table_overrides_the_packaged_one(tmp_path) -> None:
    table = tmp_path / "rates.csv"
    table.write_text("currency,eur_per_unit,date,source\nJOD,2.0,2026-11-01,council vote\n")
    assert money.exchange_rates(table) == {"JOD": 2.0}


@given(st.text())
def test_parse_price_never_raises(text: str) -> None:
    parsed = money.parse_price(text)
    if isinstance(parsed, money.Price):
        assert math.isfinite(parsed.amount) and parsed.amount >= 0
