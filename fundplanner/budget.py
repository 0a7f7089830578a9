"""The project budget: uses by kind, sources of funding, the balance and the funders' caps.

Uses are budget lines (``store.budget_line``: kind, label, planned, committed, spent,
currency, source) of the kinds ``store.BUDGET_KINDS``. Some kinds can be *computed*:

- ``collection`` and ``processing`` from the plan (purchases and processing of the selected
  copies, ``source = "plan"``);
- ``shipping`` from the shipping plan (one line per origin, ``source = "shipping"``);
- ``training`` from the training plan (one line per module, ``source = "training"``).

**Which line counts.** For a kind that has at least one computed line, the balance counts the
computed lines and *not* the manual lines of that kind; a kind without computed lines counts
its manual lines. Both stay listed (``in_balance`` says which count), so that a librarian sees
the estimate typed at the start beside what the plan now computes. A cost the plan does not
compute (periodicals, a reading tent) belongs to a kind nothing computes (``equipment``,
``other``), where it always counts. Computed lines already saved in the store (source
``plan``/``shipping``/``training``) count as computed lines, unless fresh ones of the same
source are passed to :func:`budget_view`, which replace them.

**Currencies.** Every amount is converted to the project currency with a dated rate table
(:class:`RateTable`, euros per unit as in ``reference/exchange_rates.csv``); the date of the
rate used is reported per currency. An amount whose currency has no rate stays out of the
totals, with a warning.

**Funders' caps.** A source's share is its amount over the total uses (the total budget);
a share above the source's ``cap_share`` (0–1) is a warning naming the funder, its share, its
cap and the amount to move elsewhere. When a source answers a ministry call for projects, the
MEAE decentralised-cooperation rules of norms.md §8 are checked too (:class:`FundingRules`).
"""

from __future__ import annotations

import enum
import math
import types
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fundplanner import i18n
from fundplanner.errors import UsageError
from fundplanner.money import exchange_rates
from fundplanner.reference import load_csv
from fundplanner.store import BUDGET_KINDS

MANUAL, PLAN, SHIPPING, TRAINING = "manual", "plan", "shipping", "training"
COMPUTED_SOURCES: tuple[str, ...] = (PLAN, SHIPPING, TRAINING)
"""Where a computed line comes from (``budget_line.source``); anything else is manual."""

FUNDING_STATUSES: tuple[str, ...] = ("expected", "committed", "received")
COMMITTED_STATUSES = frozenset({"committed", "received"})
"""Statuses of a source whose money is decided (the committed-only balance counts these)."""

LINE_COLUMNS: tuple[str, ...] = (
    "kind",
    "label",
    "source",
    "planned",
    "committed",
    "spent",
    "currency",
    "amount_base",
    "committed_base",
    "spent_base",
    "in_balance",
    "label_key",
    "label_params",
)
"""Columns of :attr:`BudgetView.lines`. ``amount_base`` is ``planned`` in the project
currency (NaN without a rate); ``label_key``/``label_params`` name the catalogue message of a
computed line's label (empty for a line a librarian typed, whose label is user text)."""

BY_KIND_COLUMNS = ("kind", "manual", "computed", "counted", "committed", "spent", "share")
FUNDING_COLUMNS = (
    "name",
    "kind",
    "partner",
    "amount",
    "currency",
    "amount_base",
    "share",
    "cap_share",
    "over_cap",
    "status",
    "committed",
)
RATE_COLUMNS = ("currency", "eur_per_unit", "per_base", "date", "source", "used")

BALANCE_ITEMS: tuple[tuple[str, str], ...] = (
    ("uses", "uses"),
    ("sources", "sources"),
    ("balance", "balance"),
    ("committed_sources", "committed_sources"),
    ("committed_balance", "committed_balance"),
    ("committed", "uses_committed"),
    ("spent", "uses_spent"),
)
"""The balance figures a report or sheet lists, in order: (message key under
``budget.balance``, key of :attr:`BudgetView.balance`)."""

_SHARE_SLACK = 1e-9  # a share equal to its cap (up to float noise) is within the cap


class BudgetInputError(UsageError):
    """Budget inputs that cannot be read (a text where an amount is due, no rate for the
    project currency); the message names the row and the field."""


# ------------------------------------------------------------------------------- rate table


@dataclass(frozen=True)
class RateTable:
    """Euros per unit of each currency (ISO 4217), with the date and source of each rate."""

    eur_per_unit: Mapping[str, float]
    dates: Mapping[str, str] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("eur_per_unit", "dates", "sources"):
            frozen = types.MappingProxyType(dict(getattr(self, name)))
            object.__setattr__(self, name, frozen)

    @classmethod
    def from_rates(cls, rates: Mapping[str, float], *, source: str = "given") -> RateTable:
        """A table from plain rates (dates unknown)."""
        upper = {str(code).upper(): float(rate) for code, rate in rates.items()}
        return cls(upper, {}, dict.fromkeys(upper, source))

    def edited(self, changes: Mapping[str, float | Mapping[str, Any]]) -> RateTable:
        """This table with some rates replaced or added: ``{"USD": 0.9}`` or
        ``{"USD": {"eur_per_unit": 0.9, "date": "2026-03-02", "source": "ECB"}}``."""
        rates, dates, sources = dict(self.eur_per_unit), dict(self.dates), dict(self.sources)
        for code, change in changes.items():
            key = str(code).upper()
            if isinstance(change, Mapping):
                rates[key] = _positive_rate(change.get("eur_per_unit"), key)
                dates[key] = str(change.get("date") or "")
                sources[key] = str(change.get("source") or "project")
            else:
                rates[key] = _positive_rate(change, key)
                dates[key], sources[key] = "", "project"
        return RateTable(rates, dates, sources)

    def per_base(self, currency: str, base: str) -> float | None:
        """Units of ``base`` one unit of ``currency`` is worth, or None without a rate."""
        rate, base_rate = self.eur_per_unit.get(currency.upper()), self.eur_per_unit.get(base)
        if rate is None or base_rate is None:
            return None
        return rate / base_rate


def rate_table(override: str | Path | None = None) -> RateTable:
    """The dated rate table: ``reference/exchange_rates.csv`` or a project's table of the same
    shape (columns ``currency, eur_per_unit, date, source``)."""
    rates = exchange_rates(override)
    rows = load_csv("exchange_rates.csv", required=("currency", "eur_per_unit"), override=override)
    dates = {row["currency"].upper(): row.get("date", "") for row in rows}
    sources = {row["currency"].upper(): row.get("source", "") for row in rows}
    return RateTable(rates, dates, sources)


def _positive_rate(value: Any, code: str) -> float:
    rate = _finite(value)
    if rate is None or rate <= 0:
        raise BudgetInputError(
            f"exchange rate for {code}: {value!r} is not a positive number of euros per unit; "
            "write it as e.g. 0.26 (euros for one unit)."
        )
    return rate


# ------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class FundingRules:
    """Co-financing rules of the MEAE's decentralised-cooperation calls (norms.md §8), checked
    when a source is of a kind in ``call_kinds``. ``None`` switches a rule off.

    - ``min_local_authority_share`` 0.10: French local authorities contribute at least 10 % of
      the total budget (DCT-CIV rules 2025, mairesdefrance.com/m/article/print.php?id=28289).
    - ``max_in_kind_share`` 0.50: in-kind valuation at most 50 % of a local authority's own
      contribution (same source).
    - ``min_monitoring_share`` 0.07: monitoring and evaluation at least 7 % of the project
      budget (DAECT general call 2018, jumelages-partenariats.com, actualites.php?n=415).

    Which money is the French local authorities': sources of kind ``city``, restricted to
    those whose ``country`` is ``FR`` when the rows carry a country. Monitoring lines are the
    counted lines whose label holds one of ``monitoring_words`` (case and accents folded).
    """

    call_kinds: tuple[str, ...] = ("ministry_call",)
    min_local_authority_share: float | None = 0.10
    max_in_kind_share: float | None = 0.50
    min_monitoring_share: float | None = 0.07
    monitoring_words: tuple[str, ...] = (
        "monitoring",
        "evaluation",
        "suivi",
        "متابعة",
        "تقييم",
    )


MEAE_RULES = FundingRules()


# ------------------------------------------------------------------------------- alerts


class AlertCode(enum.StrEnum):
    """What a budget warning is about (its message is ``budget.alert.<code>``)."""

    OVER_CAP = "over_cap"
    INVALID_CAP = "invalid_cap"
    MISSING_RATE = "missing_rate"
    DEFICIT = "deficit"
    COMMITTED_DEFICIT = "committed_deficit"
    NO_USES = "no_uses"
    LOCAL_AUTHORITY_SHARE = "local_authority_share"
    IN_KIND_SHARE = "in_kind_share"
    MONITORING_SHARE = "monitoring_share"
    NO_MONITORING_LINE = "no_monitoring_line"
    UNKNOWN_KIND = "unknown_kind"


@dataclass(frozen=True)
class BudgetAlert:
    """One warning as data. ``params`` hold raw values: names ending in ``amount`` are money
    in ``currency``, names ending in ``share`` are shares (0–1); :meth:`message` formats
    them for the language asked."""

    code: AlertCode
    params: Mapping[str, Any]
    currency: str

    def message(self, lang: str = "en") -> str:
        return i18n.t(f"budget.alert.{self.code.value}", lang, **self._formatted(lang))

    def _formatted(self, lang: str) -> dict[str, str]:
        out = {}
        for name, value in self.params.items():
            if name.endswith("amount"):
                out[name] = i18n.format_money(value, self.currency, lang)
            elif name.endswith("share"):
                out[name] = i18n.format_percent(value, lang)
            elif isinstance(value, bool) or not isinstance(value, int | list | tuple):
                out[name] = str(value)
            elif isinstance(value, int):
                out[name] = i18n.format_number(value, lang)
            else:
                out[name] = ", ".join(str(v) for v in value)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code.value,
            "params": {k: _jsonable(v) for k, v in self.params.items()},
            "message": self.message("en"),
        }


_Alert = Callable[..., BudgetAlert]


# ------------------------------------------------------------------------------- the view


@dataclass(frozen=True, eq=False)
class BudgetView:
    """The budget in the project currency ``base_currency`` (see the module docstring).

    - ``lines``: every use, :data:`LINE_COLUMNS`, sorted by kind (manual before computed);
    - ``by_kind``: per kind the manual estimate, the computed amount, the amount counted in
      the balance, committed and spent, and the counted amount's share of the uses;
    - ``funding``: :data:`FUNDING_COLUMNS`, ``share`` of the total uses, ``over_cap``;
    - ``rates``: the rates used (:data:`RATE_COLUMNS`), with their dates;
    - ``balance``: uses, sources, balance, committed sources and balance on them;
    - ``alerts``: warnings as data; ``warnings``: the same in English.
    """

    base_currency: str
    lines: pd.DataFrame
    by_kind: pd.DataFrame
    funding: pd.DataFrame
    rates: pd.DataFrame
    balance: Mapping[str, Any]
    alerts: tuple[BudgetAlert, ...]

    @property
    def warnings(self) -> list[str]:
        """The alerts in English, one sentence each: what is wrong and what to do."""
        return [alert.message("en") for alert in self.alerts]

    def messages(self, lang: str) -> list[str]:
        """The alerts in ``lang``."""
        return [alert.message(lang) for alert in self.alerts]

    def line_labels(self, lang: str) -> list[str]:
        """Each line's label in ``lang``: a computed line's from the catalogue, a typed
        line's as typed."""
        return [
            _line_label(key, params, text, lang)
            for key, params, text in zip(
                self.lines["label_key"],
                self.lines["label_params"],
                self.lines["label"],
                strict=True,
            )
        ]

    def sheets(self, lang: str = "en") -> dict[str, pd.DataFrame]:
        """The budget workbook, sheet name → table, headers and codes in ``lang``."""
        return _sheets(self, lang)

    def summary(self) -> dict[str, Any]:
        """A JSON-able digest (NaN as null; amounts are already rounded to cents)."""
        return {
            "base_currency": self.base_currency,
            "balance": {k: _jsonable(v) for k, v in self.balance.items()},
            "by_kind": _records(self.by_kind),
            "funding": _records(self.funding),
            "rates": _records(self.rates),
            "lines": _records(self.lines.drop(columns=["label_key", "label_params"])),
            "warnings": self.warnings,
            "alerts": [alert.as_dict() for alert in self.alerts],
        }


def budget_view(
    lines: Sequence[Mapping[str, Any]],
    funding: Sequence[Mapping[str, Any]],
    *,
    base_currency: str = "EUR",
    rates: RateTable | Mapping[str, float] | None = None,
    plan: Mapping[str, Any] | None = None,
    shipping: Mapping[str, Any] | None = None,
    training: Sequence[Mapping[str, Any]] = (),
    rules: FundingRules | None = MEAE_RULES,
) -> BudgetView:
    """The budget of a project: uses, sources, balance and warnings in ``base_currency``.

    ``lines`` and ``funding`` are rows shaped like ``store.budget_line`` and
    ``store.funding_source`` (a ``partner`` name may stand for ``partner_id``; a ``country``
    may be added to a funding row). ``rates``: euros per unit (default: the reference table).
    ``plan``: the plan's figures in euros, ``purchases_eur``, ``processing_eur`` and
    optionally ``copies``. ``shipping``: ``by_origin`` rows (``origin``, ``mode``,
    ``cost_eur``) or a ``total_cost_eur``. ``training``: ``training_module`` rows (``subject``,
    ``mode``, ``cost``, ``currency``). ``rules``: the ministry-call rules (None: none).
    """
    base = base_currency.upper()
    table = _rate_table(rates)
    if table.per_base(base, base) is None:
        raise BudgetInputError(
            f"the rate table has no rate for the project currency {base}; add {base} with its "
            "euros per unit (1.0 for EUR)."
        )
    computed = [*_plan_lines(plan), *_shipping_lines(shipping), *_training_lines(training)]
    replaced = {row["source"] for row in computed}
    typed = [_typed_line(row, n) for n, row in enumerate(lines, 1)]
    kept = [row for row in typed if row["source"] not in replaced]
    line_frame = _convert_lines(_order_lines([*kept, *computed]), table, base)
    uses = float(line_frame.loc[line_frame["in_balance"], "amount_base"].sum())
    fund_frame = _funding_frame(funding, table, base, uses)
    balance = _balance(line_frame, fund_frame, base)
    alerts = _alerts(line_frame, fund_frame, balance, base, rules)
    return BudgetView(
        base_currency=base,
        lines=line_frame,
        by_kind=_by_kind(line_frame, uses),
        funding=fund_frame,
        rates=_rates_frame(line_frame, fund_frame, table, base),
        balance=balance,
        alerts=tuple(alerts),
    )


# ------------------------------------------------------------------------------- uses


def _rate_table(rates: RateTable | Mapping[str, float] | None) -> RateTable:
    if rates is None:
        return rate_table()
    if isinstance(rates, RateTable):
        return rates
    return RateTable.from_rates(rates)


def plan_costs(selection: pd.DataFrame, processing_eur_per_item: float) -> dict[str, Any]:
    """The ``plan`` argument of :func:`budget_view` from a selection with ``copies`` and
    ``price_eur`` (net purchase price, 0 for a donation) per candidate: purchases
    Σ price × copies, processing ``processing_eur_per_item`` × Σ copies (DESIGN.md, "The
    planning model": unit cost = net price + processing per item)."""
    missing = [c for c in ("copies", "price_eur") if c not in selection.columns]
    if missing:
        raise BudgetInputError(
            f"the selection lacks {', '.join(missing)}; join the candidates' price_eur to "
            "the plan's selection first."
        )
    copies = pd.to_numeric(selection["copies"], errors="coerce").fillna(0)
    price = pd.to_numeric(selection["price_eur"], errors="coerce").fillna(0)
    total = int(copies.sum())
    return {
        "purchases_eur": round(float((price * copies).sum()), 2),
        "processing_eur": round(processing_eur_per_item * total, 2),
        "copies": total,
    }


def _typed_line(row: Mapping[str, Any], number: int) -> dict[str, Any]:
    """A budget line as typed (or saved): its amounts as numbers, its source kept."""
    where = f"budget line {number} ({row.get('label')!r})"
    return {
        "kind": str(row.get("kind") or "other"),
        "label": str(row.get("label") or ""),
        "source": str(row.get("source") or MANUAL),
        "planned": _amount(row.get("planned"), where, "planned"),
        "committed": _amount(row.get("committed"), where, "committed"),
        "spent": _amount(row.get("spent"), where, "spent"),
        "currency": str(row.get("currency") or "EUR").upper(),
        "label_key": "",
        "label_params": {},
    }


def _computed_line(
    kind: str, source: str, planned: float, currency: str, key: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "kind": kind,
        "label": _line_label(key, params, "", "en"),
        "source": source,
        "planned": planned,
        "committed": 0.0,
        "spent": 0.0,
        "currency": currency,
        "label_key": key,
        "label_params": dict(params),
    }


def _plan_lines(plan: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Purchases and processing of the copies the plan selected (DESIGN.md: unit cost =
    net price + processing per item), in euros."""
    if plan is None:
        return []
    if "purchases_eur" not in plan and "processing_eur" not in plan:
        raise BudgetInputError(
            "plan: give purchases_eur and/or processing_eur (the plan's costs in euros); "
            f"it has {', '.join(map(str, plan)) or 'no keys'}."
        )
    copies = _finite(plan.get("copies"))
    params = {} if copies is None else {"copies": int(copies)}
    suffix = "" if params else "_plain"
    out = []
    for kind, key, label in (
        ("collection", "purchases_eur", "purchases"),
        ("processing", "processing_eur", "processing"),
    ):
        if key in plan:
            amount = _amount(plan[key], "plan", key)
            out.append(
                _computed_line(kind, PLAN, amount, "EUR", f"budget.auto.{label}{suffix}", params)
            )
    return out


def _shipping_lines(shipping: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """One line per origin of the shipping plan (``ShippingPlan.summary()``), or one line for
    its total. An origin the plan could not cost (empty ``cost_eur``) counts 0: the shipping
    plan's own messages say why."""
    if shipping is None:
        return []
    by_origin = shipping.get("by_origin")
    if isinstance(by_origin, pd.DataFrame):
        by_origin = by_origin.to_dict("records")
    if by_origin is not None and len(by_origin):
        return [_origin_line(row, n) for n, row in enumerate(by_origin, 1)]
    if "total_cost_eur" not in shipping:
        raise BudgetInputError(
            "shipping: give by_origin rows (origin, mode, cost_eur) or total_cost_eur; "
            f"it has {', '.join(map(str, shipping)) or 'no keys'}."
        )
    amount = _amount(shipping["total_cost_eur"], "shipping", "total_cost_eur")
    return [_computed_line("shipping", SHIPPING, amount, "EUR", "budget.auto.shipping_total", {})]


def _origin_line(row: Mapping[str, Any], number: int) -> dict[str, Any]:
    amount = _amount(row.get("cost_eur"), f"shipping origin {number}", "cost_eur")
    origin, mode = _text(row.get("origin")), _text(row.get("mode"))
    if mode:
        key, params = "budget.auto.shipping_origin", {"origin": origin, "mode": mode}
    else:
        key, params = "budget.auto.shipping_origin_plain", {"origin": origin}
    return _computed_line("shipping", SHIPPING, amount, "EUR", key, params)


def _training_lines(training: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One line per training module, labelled with its subject (as typed)."""
    out = []
    for number, row in enumerate(training, 1):
        line = _computed_line(
            "training",
            TRAINING,
            _amount(row.get("cost"), f"training module {number}", "cost"),
            str(row.get("currency") or "EUR").upper(),
            "",
            {},
        )
        line["label"] = _text(row.get("subject"))
        out.append(line)
    return out


def _order_lines(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By kind (the store's order, unknown kinds last), manual before computed, stable."""
    rank = {kind: n for n, kind in enumerate(BUDGET_KINDS)}
    return sorted(
        rows,
        key=lambda r: (rank.get(r["kind"], len(rank)), r["kind"], r["source"] in COMPUTED_SOURCES),
    )


def _convert_lines(rows: list[dict[str, Any]], table: RateTable, base: str) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=[c for c in LINE_COLUMNS if not c.endswith("_base")])
    factor = frame["currency"].map(lambda c: table.per_base(c, base)).astype(float)
    for column in ("planned", "committed", "spent"):
        frame[column] = frame[column].astype(float)
    frame["amount_base"] = (frame["planned"] * factor).round(2)
    frame["committed_base"] = (frame["committed"] * factor).round(2)
    frame["spent_base"] = (frame["spent"] * factor).round(2)
    computed = frame["source"].isin(COMPUTED_SOURCES)
    computed_kinds = set(frame.loc[computed, "kind"])
    frame["in_balance"] = computed | ~frame["kind"].isin(computed_kinds)
    return frame[list(LINE_COLUMNS)].reset_index(drop=True)


def _by_kind(lines: pd.DataFrame, uses: float) -> pd.DataFrame:
    kinds = [*BUDGET_KINDS, *sorted(set(lines["kind"]) - set(BUDGET_KINDS))]
    computed = lines["source"].isin(COMPUTED_SOURCES)
    amount = lines["amount_base"]
    parts = pd.DataFrame(
        {
            "kind": lines["kind"],
            "manual": amount.where(~computed, 0.0),
            "computed": amount.where(computed, 0.0),
            "counted": amount.where(lines["in_balance"], 0.0),
            "committed": lines["committed_base"],
            "spent": lines["spent_base"],
        }
    )
    sums = parts.groupby("kind").sum().reindex(kinds, fill_value=0.0).astype(float)
    sums["share"] = sums["counted"] / uses if uses > 0 else math.nan
    return sums.rename_axis("kind").reset_index()[list(BY_KIND_COLUMNS)]


# ------------------------------------------------------------------------------- sources


def _funding_frame(
    funding: Sequence[Mapping[str, Any]], table: RateTable, base: str, uses: float
) -> pd.DataFrame:
    rows = []
    for number, row in enumerate(funding, 1):
        where = f"funding source {number} ({row.get('name')!r})"
        currency = str(row.get("currency") or "EUR").upper()
        amount = _amount(row.get("amount"), where, "amount")
        factor = table.per_base(currency, base)
        amount_base = round(amount * factor, 2) if factor is not None else math.nan
        share = amount_base / uses if uses > 0 else math.nan
        cap = _finite(row.get("cap_share"))
        status = str(row.get("status") or "expected")
        rows.append(
            {
                "name": _text(row.get("name")),
                "kind": str(row.get("kind") or "other"),
                "partner": _text(row.get("partner", row.get("partner_id"))),
                "amount": amount,
                "currency": currency,
                "amount_base": amount_base,
                "share": share,
                "cap_share": cap if cap is not None else math.nan,
                "over_cap": _over_cap(share, cap),
                "status": status,
                "committed": status in COMMITTED_STATUSES,
                "country": _text(row.get("country")).upper(),
            }
        )
    frame = pd.DataFrame(rows, columns=[*FUNDING_COLUMNS, "country"])
    frame["over_cap"] = frame["over_cap"].astype(bool)
    frame["committed"] = frame["committed"].astype(bool)
    return frame


def _over_cap(share: float, cap: float | None) -> bool:
    """A valid cap (0–1) that the share passes (a share equal to the cap is within it)."""
    if cap is None or not 0 <= cap <= 1 or math.isnan(share):
        return False
    return share > cap + _SHARE_SLACK


def _balance(lines: pd.DataFrame, funding: pd.DataFrame, base: str) -> dict[str, Any]:
    counted = lines[lines["in_balance"]]
    uses = float(counted["amount_base"].sum())
    sources = float(funding["amount_base"].sum())
    committed = float(funding.loc[funding["committed"], "amount_base"].sum())
    complete = not (lines["amount_base"].isna().any() or funding["amount_base"].isna().any())
    return {
        "currency": base,
        "uses": round(uses, 2),
        "sources": round(sources, 2),
        "balance": round(sources - uses, 2),
        "committed_sources": round(committed, 2),
        "expected_sources": round(sources - committed, 2),
        "committed_balance": round(committed - uses, 2),
        "uses_committed": round(float(lines["committed_base"].sum()), 2),
        "uses_spent": round(float(lines["spent_base"].sum()), 2),
        "complete": complete,
    }


def _rates_frame(
    lines: pd.DataFrame, funding: pd.DataFrame, table: RateTable, base: str
) -> pd.DataFrame:
    used = pd.concat([lines["currency"], funding["currency"]]).value_counts()
    rows = []
    for currency in sorted(set(used.index) | {base}):
        eur = table.eur_per_unit.get(currency)
        rows.append(
            {
                "currency": currency,
                "eur_per_unit": math.nan if eur is None else eur,
                "per_base": table.per_base(currency, base) or math.nan,
                "date": table.dates.get(currency, ""),
                "source": table.sources.get(currency, ""),
                "used": int(used.get(currency, 0)),
            }
        )
    return pd.DataFrame(rows, columns=list(RATE_COLUMNS))


# ------------------------------------------------------------------------------- warnings


def _alerts(
    lines: pd.DataFrame,
    funding: pd.DataFrame,
    balance: Mapping[str, Any],
    base: str,
    rules: FundingRules | None,
) -> list[BudgetAlert]:
    def alert(code: AlertCode, **params: Any) -> BudgetAlert:
        return BudgetAlert(code, params, base)

    found = [
        *_rate_alerts(lines, funding, alert),
        *_kind_alerts(lines, alert),
        *_cap_alerts(funding, float(balance["uses"]), alert),
        *_balance_alerts(funding, balance, alert),
    ]
    if rules is not None and funding["kind"].isin(rules.call_kinds).any():
        found += _rule_alerts(lines, funding, float(balance["uses"]), rules, alert)
    return found


def _rate_alerts(lines: pd.DataFrame, funding: pd.DataFrame, alert: _Alert) -> list[BudgetAlert]:
    missing = pd.concat(
        [
            lines.loc[lines["amount_base"].isna(), "currency"],
            funding.loc[funding["amount_base"].isna(), "currency"],
        ]
    ).value_counts()
    return [
        alert(AlertCode.MISSING_RATE, currency=str(c), count=int(n))
        for c, n in sorted(missing.items())
    ]


def _kind_alerts(lines: pd.DataFrame, alert: _Alert) -> list[BudgetAlert]:
    unknown = lines[~lines["kind"].isin(BUDGET_KINDS)]
    return [
        alert(AlertCode.UNKNOWN_KIND, label=label, kind=kind, kinds=list(BUDGET_KINDS))
        for label, kind in zip(unknown["label"], unknown["kind"], strict=True)
    ]


def _cap_alerts(funding: pd.DataFrame, uses: float, alert: _Alert) -> list[BudgetAlert]:
    """A cap outside 0–1 (typed as a percentage?), and every share above its cap."""
    out = []
    for row in funding.to_dict("records"):
        cap, amount = float(row["cap_share"]), float(row["amount_base"])
        if not math.isnan(cap) and not 0 <= cap <= 1:
            out.append(alert(AlertCode.INVALID_CAP, name=row["name"], value=f"{cap:g}"))
        elif row["over_cap"]:
            ceiling = _cents_down(cap * uses)
            out.append(
                alert(
                    AlertCode.OVER_CAP,
                    name=row["name"],
                    share=float(row["share"]),
                    cap_share=cap,
                    amount=amount,
                    uses_amount=uses,
                    max_amount=ceiling,
                    excess_amount=round(amount - ceiling, 2),
                )
            )
    return out


def _balance_alerts(
    funding: pd.DataFrame, balance: Mapping[str, Any], alert: _Alert
) -> list[BudgetAlert]:
    uses, sources = float(balance["uses"]), float(balance["sources"])
    if uses <= 0:
        return [alert(AlertCode.NO_USES)] if len(funding) else []
    out = []
    if sources < uses:
        out.append(alert(AlertCode.DEFICIT, missing_amount=round(uses - sources, 2)))
    committed = float(balance["committed_sources"])
    if committed < uses and balance["expected_sources"] > 0:
        out.append(
            alert(
                AlertCode.COMMITTED_DEFICIT,
                missing_amount=round(uses - committed, 2),
                expected_amount=float(balance["expected_sources"]),
            )
        )
    return out


def _rule_alerts(
    lines: pd.DataFrame, funding: pd.DataFrame, uses: float, rules: FundingRules, alert: _Alert
) -> list[BudgetAlert]:
    if uses <= 0:
        return []
    out = []
    if rules.min_local_authority_share is not None:
        out += _local_authority_alerts(funding, uses, rules.min_local_authority_share, alert)
    if rules.max_in_kind_share is not None:
        out += _in_kind_alerts(funding, rules.max_in_kind_share, alert)
    if rules.min_monitoring_share is not None:
        out += _monitoring_alerts(lines, uses, rules, alert)
    return out


def _local_authority_alerts(
    funding: pd.DataFrame, uses: float, minimum: float, alert: _Alert
) -> list[BudgetAlert]:
    """French local authorities ≥ ``minimum`` of the total budget (DCT-CIV 2025)."""
    city = funding[funding["kind"] == "city"]
    if (city["country"] != "").any():
        city = city[city["country"] == "FR"]
    share = float(city["amount_base"].sum()) / uses
    if share + _SHARE_SLACK >= minimum:
        return []
    return [
        alert(
            AlertCode.LOCAL_AUTHORITY_SHARE,
            share=share,
            min_share=minimum,
            min_amount=round(minimum * uses, 2),
        )
    ]


def _in_kind_alerts(funding: pd.DataFrame, maximum: float, alert: _Alert) -> list[BudgetAlert]:
    """In kind ≤ ``maximum`` of a local authority's own contribution (DCT-CIV 2025): for each
    partner with a ``city`` source, its ``in_kind`` sources over all its sources. Keeping the
    cash ``c``, the in-kind part ``k`` may reach ``maximum / (1 − maximum) × c``."""
    out = []
    named = funding[funding["partner"] != ""]
    for partner in named.loc[named["kind"] == "city", "partner"].unique():
        own = named[named["partner"] == partner]
        in_kind = float(own.loc[own["kind"] == "in_kind", "amount_base"].sum())
        total = float(own["amount_base"].sum())
        if total <= 0 or in_kind / total <= maximum + _SHARE_SLACK:
            continue
        cash = total - in_kind
        out.append(
            alert(
                AlertCode.IN_KIND_SHARE,
                name=str(partner),
                share=in_kind / total,
                max_share=maximum,
                max_amount=round(maximum / (1 - maximum) * cash, 2) if maximum < 1 else total,
            )
        )
    return out


def _monitoring_alerts(
    lines: pd.DataFrame, uses: float, rules: FundingRules, alert: _Alert
) -> list[BudgetAlert]:
    """Monitoring and evaluation ≥ ``s`` of the budget (DAECT general call 2018). Raising the
    monitoring lines to ``M`` also raises the budget, so with other uses ``O`` the lines need
    ``M ≥ s · O / (1 − s)``."""
    minimum = float(rules.min_monitoring_share or 0)
    counted = lines[lines["in_balance"]]
    words = [_fold(w) for w in rules.monitoring_words]
    is_monitoring = counted["label"].map(lambda text: any(w in _fold(str(text)) for w in words))
    monitoring = float(counted.loc[is_monitoring, "amount_base"].sum())
    needed = round(minimum * (uses - monitoring) / (1 - minimum), 2) if minimum < 1 else uses
    if not is_monitoring.any():
        return [alert(AlertCode.NO_MONITORING_LINE, min_share=minimum, min_amount=needed)]
    share = monitoring / uses
    if share + _SHARE_SLACK >= minimum:
        return []
    return [
        alert(
            AlertCode.MONITORING_SHARE,
            share=share,
            amount=monitoring,
            min_share=minimum,
            min_amount=needed,
        )
    ]


# ------------------------------------------------------------------------------- sheets


def _sheets(view: BudgetView, lang: str) -> dict[str, pd.DataFrame]:
    """The workbook: lines, uses by kind, funding, balance, rates, warnings (``lang``)."""

    def col(key: str) -> str:
        return i18n.t(f"column.{key}", lang, currency=view.base_currency)

    def yes_no(flag: object) -> str:
        return i18n.t("common.yes" if flag else "common.no", lang)

    lines = view.lines
    line_sheet = pd.DataFrame(
        {
            col("kind"): [i18n.label("budget.kind", k, lang) for k in lines["kind"]],
            col("label"): view.line_labels(lang),
            col("source"): [i18n.label("budget.source", s, lang) for s in lines["source"]],
            col("planned"): lines["planned"],
            col("committed"): lines["committed"],
            col("spent"): lines["spent"],
            col("currency"): lines["currency"],
            col("amount_base"): lines["amount_base"],
            col("in_balance"): [yes_no(flag) for flag in lines["in_balance"]],
        }
    )
    by_kind = view.by_kind
    kind_sheet = pd.DataFrame(
        {
            col("kind"): [i18n.label("budget.kind", k, lang) for k in by_kind["kind"]],
            col("manual"): by_kind["manual"],
            col("computed"): by_kind["computed"],
            col("counted"): by_kind["counted"],
            col("committed"): by_kind["committed"],
            col("spent"): by_kind["spent"],
            col("share"): by_kind["share"],
        }
    )
    funding = view.funding
    funding_sheet = pd.DataFrame(
        {
            col("name"): funding["name"],
            col("kind"): [i18n.label("funding.kind", k, lang) for k in funding["kind"]],
            col("partner"): funding["partner"],
            col("amount"): funding["amount"],
            col("currency"): funding["currency"],
            col("amount_base"): funding["amount_base"],
            col("share"): funding["share"],
            col("cap_share"): funding["cap_share"],
            col("over_cap"): [yes_no(flag) for flag in funding["over_cap"]],
            col("status"): [i18n.label("funding.status", s, lang) for s in funding["status"]],
        }
    )
    balance_sheet = pd.DataFrame(
        {
            col("item"): [i18n.t(f"budget.balance.{item}", lang) for item, _ in BALANCE_ITEMS],
            col("amount_base"): [view.balance[key] for _, key in BALANCE_ITEMS],
        }
    )
    rates = view.rates
    rate_sheet = pd.DataFrame(
        {
            col("currency"): rates["currency"],
            col("eur_per_unit"): rates["eur_per_unit"],
            col("rate_date"): rates["date"],
            col("rate_source"): rates["source"],
        }
    )
    warning_sheet = pd.DataFrame({col("message"): view.messages(lang)}, dtype=object)
    return {
        i18n.t(f"budget.sheet.{name}", lang): frame
        for name, frame in (
            ("lines", line_sheet),
            ("by_kind", kind_sheet),
            ("funding", funding_sheet),
            ("balance", balance_sheet),
            ("rates", rate_sheet),
            ("warnings", warning_sheet),
        )
    }


# ------------------------------------------------------------------------------- helpers


def _line_label(key: object, params: object, text: object, lang: str) -> str:
    if isinstance(key, str) and key:
        values = dict(params) if isinstance(params, Mapping) else {}
        return i18n.t(key, lang, **{n: _label_param(n, v, lang) for n, v in values.items()})
    return str(text)


#: Label parameters that are codes, and the catalogue table that names them.
_CODE_PARAMS: Mapping[str, str] = {"mode": "shipping.mode"}


def _label_param(name: str, value: object, lang: str) -> str:
    if name in _CODE_PARAMS:
        return i18n.label(_CODE_PARAMS[name], value, lang)
    return i18n.format_number(value, lang) if isinstance(value, int) else str(value)


def _cents_down(amount: float) -> float:
    """``amount`` rounded down to the cent (a ceiling that rounding up would overstep)."""
    return math.floor(amount * 100 + 1e-6) / 100


def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _amount(value: Any, where: str, name: str) -> float:
    """An amount: empty (None, NaN, "") is 0, as the store's default; text is an error."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return 0.0
    number = _finite(value)
    if number is None:
        raise BudgetInputError(f"{where}: {name} = {value!r} is not an amount; write a number.")
    return number


def _text(value: Any) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _jsonable(value: Any) -> Any:
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else None
    if isinstance(value, Iterable):
        return [_jsonable(v) for v in value]
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict("records"):
        clean = {}
        for key, value in row.items():
            if hasattr(value, "item"):
                value = value.item()
            clean[str(key)] = _jsonable(value)
        out.append(clean)
    return out
