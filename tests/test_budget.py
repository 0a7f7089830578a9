"""The budget: computed and manual lines, currencies, funders' caps, the MEAE rules (budget.py)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundplanner import i18n
from fundplanner.budget import (
    BALANCE_ITEMS,
    LINE_COLUMNS,
    AlertCode,
    BudgetInputError,
    BudgetView,
    FundingRules,
    RateTable,
    budget_view,
    plan_costs,
    rate_table,
)

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "project.toml"
RATES = RateTable.from_rates({"EUR": 1.0, "USD": 0.86, "ILS": 0.26})


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    with DEMO.open("rb") as handle:
        return tomllib.load(handle)


def line(kind: str, planned: float, **extra: Any) -> dict[str, Any]:
    return {"kind": kind, "label": f"{kind} estimate", "planned": planned, **extra}


def source(name: str, amount: float, **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "other", "amount": amount, **extra}


def view(
    lines: Sequence[Mapping[str, Any]] = (),
    funding: Sequence[Mapping[str, Any]] = (),
    **options: Any,
) -> BudgetView:
    options.setdefault("rates", RATES)
    return budget_view(lines, funding, **options)


def codes(result: BudgetView) -> list[AlertCode]:
    return [alert.code for alert in result.alerts]


# ------------------------------------------------------------------------------ which lines count

PLAN = {"purchases_eur": 16000.0, "processing_eur": 9000.0, "copies": 3000}
SHIPPING = {"by_origin": [{"origin": "FR", "mode": "sea_groupage", "cost_eur": 2100.0}]}
TRAINING = [{"subject": "Internship", "mode": "internship", "cost": 6000.0}]
MANUAL = [
    line("training", 11000),
    line("collection", 18000),
    line("processing", 12000),
    line("shipping", 4500),
    line("equipment", 15000),
    line("other", 4500),
]


@pytest.mark.parametrize(
    ("computed", "uses"),
    [
        ({}, 65000.0),  # nothing computed: every manual estimate counts
        ({"plan": PLAN}, 65000 - 18000 - 12000 + 16000 + 9000),
        ({"shipping": SHIPPING}, 65000 - 4500 + 2100),
        ({"training": TRAINING}, 65000 - 11000 + 6000),
        (
            {"plan": PLAN, "shipping": SHIPPING, "training": TRAINING},
            15000 + 4500 + 16000 + 9000 + 2100 + 6000,
        ),
    ],
)
def test_a_computed_kind_counts_its_computed_lines_instead_of_the_estimate(
    computed: dict[str, Any], uses: float
) -> None:
    result = view(MANUAL, **computed)
    assert result.balance["uses"] == pytest.approx(uses)
    assert len(result.lines) == len(MANUAL) + sum(
        {"plan": 2, "shipping": 1, "training": 1}[k] for k in computed
    )
    # every estimate stays listed, beside the computed lines
    manual = result.lines[result.lines["source"] == "manual"]
    assert list(manual["planned"]) == [row["planned"] for row in MANUAL]


def test_estimates_of_a_computed_kind_are_listed_but_not_counted() -> None:
    result = view(MANUAL, plan=PLAN)
    rows = result.lines.set_index(["kind", "source"])["in_balance"]
    assert not rows[("collection", "manual")]
    assert rows[("collection", "plan")]
    assert rows[("equipment", "manual")]
    kind = result.by_kind.set_index("kind").loc["collection"]
    assert (kind["manual"], kind["computed"], kind["counted"]) == (18000, 16000, 16000)


def test_lines_are_grouped_by_kind_estimate_first() -> None:
    result = view(list(reversed(MANUAL)), plan=PLAN, training=TRAINING)
    kinds = list(result.lines["kind"])
    assert kinds[:3] == ["training", "training", "collection"]
    assert list(result.lines["source"][:2]) == ["manual", "training"]
    assert tuple(result.lines.columns) == LINE_COLUMNS


def test_saved_computed_lines_count_unless_fresh_ones_replace_them() -> None:
    saved = [*MANUAL, line("shipping", 3000, source="shipping", label="Shipping (saved)")]
    kept = view(saved)
    assert kept.balance["uses"] == 65000 - 4500 + 3000
    fresh = view(saved, shipping=SHIPPING)
    assert "Shipping (saved)" not in set(fresh.lines["label"])
    assert fresh.balance["uses"] == 65000 - 4500 + 2100


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            ["Purchases selected by the plan (3,000 copies)", "Shipping from FR (sea groupage)"],
        ),
        (
            "fr",
            [
                "Achats retenus par le plan (3\u202f000 exemplaires)",
                "Acheminement depuis FR (groupage maritime)",
            ],
        ),
        ("ar", ["المشتريات التي اختارتها الخطة (٣٬٠٠٠ نسخة)", "الشحن من FR (شحن بحري مجمَّع)"]),
    ],
)
def test_computed_labels_are_translated(lang: str, expected: list[str]) -> None:
    labels = view(plan=PLAN, shipping=SHIPPING, training=TRAINING).line_labels(lang)
    assert expected[0] in labels and expected[1] in labels
    assert "Internship" in labels  # a module's subject is user text, kept as typed


@pytest.mark.parametrize(
    ("shipping", "expected"),
    [
        ({"total_cost_eur": 3000.0}, ["Shipping (shipping plan)"]),
        ({"by_origin": [{"origin": "GB", "cost_eur": 900}]}, ["Shipping from GB"]),
        ({"by_origin": [], "total_cost_eur": 10.0}, ["Shipping (shipping plan)"]),
    ],
)
def test_shipping_lines(shipping: dict[str, Any], expected: list[str]) -> None:
    assert list(view(shipping=shipping).lines["label"]) == expected


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"plan": {"copies": 3}}, "purchases_eur and/or processing_eur"),
        ({"shipping": {"by_origin": []}}, "by_origin rows .* or total_cost_eur"),
        ({"training": [{"subject": "x", "cost": "a lot"}]}, r"training module 1: cost = 'a lot'"),
    ],
)
def test_unreadable_computed_inputs_are_clear_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(BudgetInputError, match=message):
        view(**options)


def test_a_text_amount_names_the_line() -> None:
    with pytest.raises(BudgetInputError, match=r"budget line 2 \('b'\): planned = '12k'"):
        view([line("other", 1, label="a"), {"kind": "other", "label": "b", "planned": "12k"}])


def test_empty_amounts_are_zero() -> None:
    result = view([{"kind": "other", "label": "x", "planned": None, "spent": float("nan")}])
    assert result.balance["uses"] == 0


# ------------------------------------------------------------------------------ currencies


@pytest.mark.parametrize(
    ("base", "currency", "planned", "expected"),
    [
        ("EUR", "EUR", 100.0, 100.0),
        ("EUR", "USD", 100.0, 86.0),
        ("EUR", "ILS", 1000.0, 260.0),
        ("ILS", "EUR", 260.0, 1000.0),
        ("ILS", "USD", 100.0, round(100 * 0.86 / 0.26, 2)),
    ],
)
def test_amounts_are_converted_to_the_project_currency(
    base: str, currency: str, planned: float, expected: float
) -> None:
    result = view([line("other", planned, currency=currency)], base_currency=base)
    assert result.lines.loc[0, "amount_base"] == pytest.approx(expected)
    assert result.balance["currency"] == base


def test_the_reference_table_is_dated() -> None:
    table = rate_table()
    assert table.dates["EUR"] == "2026-01-01"
    result = budget_view([line("other", 10, currency="JOD")], [])
    rates = result.rates.set_index("currency")
    assert rates.loc["JOD", "date"] == "2026-01-01"
    assert rates.loc["JOD", "eur_per_unit"] == table.eur_per_unit["JOD"]
    assert rates.loc["JOD", "used"] == 1


def test_a_project_table_and_edits_carry_their_dates(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text(
        "currency,eur_per_unit,date,source\nEUR,1,2027-01-01,def\nILS,0.25,2027-01-02,BoI\n"
    )
    table = rate_table(path).edited({"USD": {"eur_per_unit": 0.9, "date": "2027-01-03"}})
    result = budget_view(
        [line("other", 100, currency="ILS"), line("other", 100, currency="USD")], [], rates=table
    )
    rates = result.rates.set_index("currency")
    assert dict(rates["date"]) == {"EUR": "2027-01-01", "ILS": "2027-01-02", "USD": "2027-01-03"}
    assert result.balance["uses"] == pytest.approx(25 + 90)


@pytest.mark.parametrize("bad", [0, -1, "x", None])
def test_an_edited_rate_must_be_positive(bad: Any) -> None:
    with pytest.raises(BudgetInputError, match=r"USD.*positive number of euros per unit"):
        RATES.edited({"USD": bad})


def test_a_currency_without_rate_is_left_out_with_a_warning() -> None:
    result = view(
        [
            line("other", 100),
            line("other", 50, currency="XAF"),
            line("equipment", 5, currency="xaf"),
        ],
        [source("Grant", 10, currency="XAF")],
    )
    assert result.balance["uses"] == 100
    assert result.balance["sources"] == 0
    assert result.balance["complete"] is False
    missing = [a for a in result.alerts if a.code is AlertCode.MISSING_RATE]
    assert [(a.params["currency"], a.params["count"]) for a in missing] == [("XAF", 3)]
    assert "add XAF to the project's rate table" in missing[0].message("en")


def test_the_project_currency_needs_a_rate() -> None:
    with pytest.raises(BudgetInputError, match="no rate for the project currency XAF"):
        view(base_currency="XAF")


# ------------------------------------------------------------------------------ sources and caps


@pytest.mark.parametrize(
    ("amount", "cap", "over"),
    [
        (600.0, 0.6, False),  # exactly at the cap
        (600.01, 0.6, True),
        (100.0, 0.0, True),
        (1000.0, 1.0, False),
        (1000.0, None, False),  # no cap entered
        (1000.0, float("nan"), False),
    ],
)
def test_a_share_over_its_cap_is_flagged(amount: float, cap: float | None, over: bool) -> None:
    result = view([line("other", 1000)], [source("Fund", amount, cap_share=cap)])
    assert bool(result.funding.loc[0, "over_cap"]) is over
    assert (AlertCode.OVER_CAP in codes(result)) is over


def test_the_over_cap_warning_names_the_funder_and_what_to_do() -> None:
    result = view(
        [line("other", 50000)], [source("Fonds franco-palestinien", 35000, cap_share=0.6)]
    )
    alert = next(a for a in result.alerts if a.code is AlertCode.OVER_CAP)
    assert alert.params["max_amount"] == 30000
    assert alert.params["excess_amount"] == 5000
    assert alert.message("en") == (
        "Fonds franco-palestinien would pay 70.0% of the total budget (€35,000 of €50,000), "
        "above its cap of 60.0%: lower it to at most €30,000 and find the other €5,000 "
        "elsewhere, or correct the cap if the call allows more."
    )
    assert "70,0\u00a0%" in alert.message("fr") and "60,0\u00a0%" in alert.message("fr")
    assert "٧٠٫٠٪" in alert.message("ar") and "Fonds franco-palestinien" in alert.message("ar")


@pytest.mark.parametrize("cap", [60, -0.1, 1.5])
def test_a_cap_outside_0_1_is_reported_not_applied(cap: float) -> None:
    result = view([line("other", 100)], [source("Fund", 100, cap_share=cap, status="committed")])
    assert codes(result) == [AlertCode.INVALID_CAP]
    assert "write 0.6 for 60 %" in result.warnings[0]
    assert not result.funding.loc[0, "over_cap"]


def test_balance_and_committed_sources() -> None:
    result = view(
        [line("other", 1000, committed=400, spent=100)],
        [
            source("City", 500, status="committed"),
            source("Ministry", 400, status="expected"),
            source("Partner", 50, status="received"),
        ],
    )
    assert result.balance == {
        "currency": "EUR",
        "uses": 1000,
        "sources": 950,
        "balance": -50,
        "committed_sources": 550,
        "expected_sources": 400,
        "committed_balance": -450,
        "uses_committed": 400,
        "uses_spent": 100,
        "complete": True,
    }
    assert codes(result) == [AlertCode.DEFICIT, AlertCode.COMMITTED_DEFICIT]
    assert result.warnings[0] == (
        "The sources fall short of the uses by €50: find more funding or cut budget lines."
    )
    shares = list(result.funding["share"])
    assert shares == pytest.approx([0.5, 0.4, 0.05])


def test_funding_without_uses() -> None:
    result = view([], [source("City", 500, cap_share=0.1)])
    assert codes(result) == [AlertCode.NO_USES]
    assert result.funding["share"].isna().all()


# ------------------------------------------------------------------------------ MEAE rules


def meae(amount: float = 300.0, **extra: Any) -> dict[str, Any]:
    return source("Franco-Palestinian fund", amount, kind="ministry_call", **extra)


@pytest.mark.parametrize(
    ("funding", "expected"),
    [
        ([meae(), source("Aulnay", 100, kind="city")], []),  # 10 % exactly
        ([meae(), source("Aulnay", 99, kind="city")], [AlertCode.LOCAL_AUTHORITY_SHARE]),
        ([source("Aulnay", 99, kind="city")], []),  # no ministry call: its rules do not apply
        (  # with countries, only French local authorities count
            [
                meae(),
                source("Aulnay", 50, kind="city", country="FR"),
                source("Al Ram", 500, kind="city", country="PS"),
            ],
            [AlertCode.LOCAL_AUTHORITY_SHARE],
        ),
    ],
)
def test_french_local_authorities_pay_ten_percent(
    funding: list[dict[str, Any]], expected: list[AlertCode]
) -> None:
    monitoring = line("other", 100, label="Suivi et évaluation")
    result = view([line("equipment", 900), monitoring], [*funding, source("x", 10_000)])
    assert [c for c in codes(result) if c is AlertCode.LOCAL_AUTHORITY_SHARE] == expected
    if expected:
        alert = next(a for a in result.alerts if a.code is AlertCode.LOCAL_AUTHORITY_SHARE)
        assert alert.params["min_amount"] == 100


@pytest.mark.parametrize(
    ("cash", "in_kind", "flagged"),
    [(100, 100, False), (100, 101, True), (0, 50, True), (100, 0, False)],
)
def test_in_kind_is_at_most_half_of_a_local_authority_s_contribution(
    cash: float, in_kind: float, flagged: bool
) -> None:
    funding = [
        meae(),
        source("Aulnay (cash)", cash, kind="city", partner="Aulnay"),
        source("Aulnay (staff time)", in_kind, kind="in_kind", partner="Aulnay"),
        source("Al Ram (premises)", 5000, kind="in_kind", partner="Al Ram"),  # not a city source
    ]
    result = view([line("equipment", 93), line("other", 7, label="Monitoring")], funding)
    found = [a for a in result.alerts if a.code is AlertCode.IN_KIND_SHARE]
    assert bool(found) is flagged
    if found:
        assert found[0].params["name"] == "Aulnay"
        assert found[0].params["max_amount"] == cash  # k ≤ c when the maximum is 50 %


@pytest.mark.parametrize(
    "label",
    [
        "Monitoring and evaluation",
        "Suivi-évaluation",
        "ÉVALUATION finale",
        "المتابعة والتقييم",
    ],
)
def test_monitoring_lines_are_found_in_three_languages(label: str) -> None:
    result = view([line("equipment", 93), line("other", 7, label=label)], [meae(10)])
    assert AlertCode.NO_MONITORING_LINE not in codes(result)
    assert AlertCode.MONITORING_SHARE not in codes(result)


@given(
    monitoring=st.floats(min_value=0.01, max_value=5000),
    others=st.floats(min_value=1, max_value=1e6),
)
def test_the_monitoring_amount_advised_reaches_seven_percent(
    monitoring: float, others: float
) -> None:
    lines = [line("equipment", others), line("other", monitoring, label="Monitoring")]
    result = view(lines, [meae(10)])
    alert = next((a for a in result.alerts if a.code is AlertCode.MONITORING_SHARE), None)
    share = monitoring / (monitoring + others)
    assert (alert is not None) is (share < 0.07 - 1e-9)
    if alert is not None:
        advised = alert.params["min_amount"]
        fixed = view([lines[0], line("other", advised + 0.01, label="Monitoring")], [meae(10)])
        assert AlertCode.MONITORING_SHARE not in codes(fixed)


def test_no_monitoring_line_is_flagged_under_a_ministry_call() -> None:
    result = view([line("equipment", 930)], [meae(10)])
    alert = next(a for a in result.alerts if a.code is AlertCode.NO_MONITORING_LINE)
    assert alert.params["min_amount"] == 70  # 7 % of a 1,000 budget once the line is added
    assert "7.0%" in alert.message("en")


def test_rules_can_be_switched_off() -> None:
    funding = [meae(2000, status="committed")]
    assert codes(view([line("equipment", 930)], funding)) == [
        AlertCode.LOCAL_AUTHORITY_SHARE,
        AlertCode.NO_MONITORING_LINE,
    ]
    assert codes(view([line("equipment", 930)], funding, rules=None)) == []
    relaxed = FundingRules(min_monitoring_share=None, min_local_authority_share=None)
    assert codes(view([line("equipment", 930)], funding, rules=relaxed)) == []


# ------------------------------------------------------------------------------ the demo record


def test_the_al_ram_demo_budget(demo: dict[str, Any]) -> None:
    result = budget_view(
        demo["budget"],
        demo["funding"],
        training=demo["training"],
        plan={"purchases_eur": 16250.4, "processing_eur": 9000.0, "copies": 3000},
        shipping={"total_cost_eur": 3000.5},
    )
    assert result.balance["uses"] == pytest.approx(11000 + 16250.4 + 9000 + 3000.5 + 15000 + 4500)
    assert result.balance["sources"] == 65000
    assert not result.funding["over_cap"].any()
    ministry = result.funding.set_index("kind").loc["ministry_call"]
    assert ministry["cap_share"] == 0.6
    assert ministry["share"] == pytest.approx(30000 / result.balance["uses"])
    # the MEAE fund is still expected: committed money alone leaves a gap
    assert codes(result) == [AlertCode.COMMITTED_DEFICIT]


def test_the_demo_record_without_computed_lines_counts_its_estimates(
    demo: dict[str, Any],
) -> None:
    result = budget_view(demo["budget"], demo["funding"])
    assert result.balance["uses"] == sum(row["planned"] for row in demo["budget"])


# ------------------------------------------------------------------------------ outputs


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_sheets_are_translated_and_complete(lang: str) -> None:
    result = view(MANUAL, [source("City", 500, cap_share=0.2)], plan=PLAN)
    sheets = result.sheets(lang)
    names = [i18n.t(f"budget.sheet.{n}", lang) for n in ("lines", "by_kind", "funding")]
    assert list(sheets)[:3] == names
    assert all(len(name) <= 31 for name in sheets)  # Excel's limit on sheet names
    lines = sheets[names[0]]
    assert len(lines) == len(result.lines)
    assert i18n.t("column.amount_base", lang, currency="EUR") in lines.columns
    assert set(lines[i18n.t("column.kind", lang)]) <= {
        i18n.t(f"budget.kind.{k}", lang) for k in result.lines["kind"]
    }
    balance = sheets[i18n.t("budget.sheet.balance", lang)]
    assert len(balance) == len(BALANCE_ITEMS)
    warnings = sheets[i18n.t("budget.sheet.warnings", lang)]
    assert list(warnings.iloc[:, 0]) == result.messages(lang)


def test_summary_is_json(demo: dict[str, Any]) -> None:
    result = budget_view(
        [*demo["budget"], line("other", 5, currency="XAF")], demo["funding"], plan=PLAN
    )
    summary = json.loads(json.dumps(result.summary(), allow_nan=False))
    assert summary["balance"]["complete"] is False
    assert summary["alerts"][0]["code"] == "missing_rate"
    assert summary["warnings"] == result.warnings
    assert {row["kind"] for row in summary["by_kind"]} >= {"training", "collection"}


amounts = st.floats(min_value=0, max_value=1e6, allow_nan=False)


@given(
    planned=st.lists(st.tuples(st.sampled_from(["training", "other", "equipment"]), amounts)),
    funds=st.lists(st.tuples(amounts, st.none() | st.floats(min_value=0, max_value=1))),
    training_cost=st.none() | amounts,
)
def test_balance_properties(
    planned: list[tuple[str, float]],
    funds: list[tuple[float, float | None]],
    training_cost: float | None,
) -> None:
    """Uses = counted lines = Σ by kind; balance = sources − uses; over_cap ⇔ share > cap;
    lowering an over-cap source to the advised maximum clears its warning."""
    lines = [line(kind, amount) for kind, amount in planned]
    funding = [source(f"F{n}", amount, cap_share=cap) for n, (amount, cap) in enumerate(funds)]
    training = [] if training_cost is None else [{"subject": "t", "cost": training_cost}]
    result = view(lines, funding, training=training)
    uses = result.balance["uses"]
    counted = result.lines.loc[result.lines["in_balance"], "amount_base"].sum()
    assert uses == pytest.approx(counted, abs=0.01)
    assert result.by_kind["counted"].sum() == pytest.approx(uses, abs=0.01)
    assert result.balance["balance"] == pytest.approx(result.balance["sources"] - uses, abs=0.01)
    for alert in result.alerts:
        if alert.code is AlertCode.OVER_CAP:
            n = int(alert.params["name"][1:])
            funding[n] = {**funding[n], "amount": alert.params["max_amount"]}
            again = view(lines, funding, training=training)
            assert not again.funding.loc[n, "over_cap"]


def test_plan_costs_from_a_selection() -> None:
    selection = pd.DataFrame({"copies": [2, 1, 3], "price_eur": [10.0, 0.0, 4.5]})
    figures = plan_costs(selection, processing_eur_per_item=3.0)
    assert figures == {"purchases_eur": 33.5, "processing_eur": 18.0, "copies": 6}
    result = view(plan=figures)
    assert result.balance["uses"] == 51.5
    with pytest.raises(BudgetInputError, match="lacks price_eur"):
        plan_costs(selection[["copies"]], 3.0)


def test_a_rate_table_cannot_be_changed_in_place() -> None:
    with pytest.raises(TypeError):
        RATES.eur_per_unit["USD"] = 2.0  # type: ignore[index]
