"""A project's scenarios: named plans, each with its parameters, solved from the project record.

A scenario says how to plan: the budget, the processing cost per item, the copy cap per work,
the shipping mode and per-origin rates, exchange rates, a language split that replaces the
profile's, and which population the collection is sized for (the official census or the de
facto figure). :func:`planner_inputs` turns the project's candidates, profile and premises
into the optimiser's three inputs (the plan-file shapes of DESIGN.md); the project shell
(:mod:`fundplanner.project`) reads and saves them through the store.

Everything here is pure: DataFrames and mappings in, DataFrames and mappings out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from fundplanner import planner, profiles, shipping, targets
from fundplanner import premises as premises_module
from fundplanner.errors import UsageError
from fundplanner.model import PROJECT_LANGUAGES
from fundplanner.targets import TargetResult

#: Processing (cataloguing and equipping) cost per item when a scenario gives none:
#: €3–5 per item with derived cataloguing (norms.md §7 "Processing cost per item", estimate).
DEFAULT_PROCESSING_EUR = 4.0

DEFAULT_SCENARIO = "base"

#: Shelf thickness and weight of a candidate whose import estimated neither (only rows written
#: before the physical estimates, or by hand): the average book of a mixed shipment,
#: ≈ 2.5 cm ("one inch", norms.md §3) and ≈ 0.41 kg (norms.md §4 "Weights and sizes").
UNKNOWN_THICKNESS_CM = 2.5
UNKNOWN_WEIGHT_KG = 0.41

#: Acquisition modes that ship nothing: bought from a bookseller in the library's own town.
LOCAL_ACQUISITIONS = frozenset({"local_purchase"})

POPULATION_CHOICES = ("official", "de_facto")


@dataclass(frozen=True)
class Scenario:
    """The parameters of one named plan. ``None`` means "the project's or the reference's
    default": the budget is then the project's collection + processing + shipping budget
    lines, the processing cost :data:`DEFAULT_PROCESSING_EUR`, the language split the
    profile's."""

    name: str = DEFAULT_SCENARIO
    budget_eur: float | None = None
    processing_eur_per_item: float | None = None
    max_copies_per_title: int = 1
    shipping_mode: str | None = None
    #: Per-origin overrides: {"FR": {"rate_eur_per_kg": 0.3, "fixed_eur": 800}}.
    origins: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    #: Euros per unit of a currency, replacing the reference rate: {"USD": 0.92}.
    exchange_rates: Mapping[str, float] = field(default_factory=dict)
    #: Shares by language for every audience, replacing the profile's: {"ara": 60, ...}.
    language_split: Mapping[str, float] = field(default_factory=dict)
    #: "official", "de_facto" or a number of inhabitants.
    population: str | int = "official"
    profile: str | None = None
    premises: str | None = None
    time_limit_s: float = 30.0

    @classmethod
    def from_mapping(cls, name: str, data: Mapping[str, Any]) -> Scenario:
        """A scenario from its stored parameters (or a TOML table), checked key by key."""
        known = {f.name for f in fields(cls)} - {"name"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(
                f"scenario {name!r}: unknown parameter(s) {', '.join(unknown)}; the parameters "
                f"are {', '.join(sorted(known))}."
            )
        scenario = cls(name=name, **{k: v for k, v in data.items() if v is not None})
        scenario.check()
        return scenario

    def to_mapping(self) -> dict[str, Any]:
        """The parameters as stored with the plan (JSON-able; defaults left out)."""
        values: dict[str, Any] = {}
        for item in fields(self):
            if item.name == "name":
                continue
            value = getattr(self, item.name)
            if isinstance(value, Mapping):
                value = {k: dict(v) if isinstance(v, Mapping) else v for k, v in value.items()}
            if value != item.default and value not in ({}, None):
                values[item.name] = value
        return values

    def changed(self, changes: Mapping[str, Any]) -> Scenario:
        """This scenario with ``changes`` (parameter → value; None resets to the default)."""
        merged = {**self.to_mapping(), **changes}
        return Scenario.from_mapping(self.name, {k: v for k, v in merged.items() if v is not None})

    def check(self) -> None:
        """Refuse values that cannot plan anything, naming the parameter and the fix."""
        where = f"scenario {self.name!r}"
        for table in ("origins", "exchange_rates", "language_split"):
            if not isinstance(getattr(self, table), Mapping):
                raise UsageError(f"{where}: {table} must be a table of names and values.")
        if not all(isinstance(figures, Mapping) for figures in self.origins.values()):
            raise UsageError(
                f"{where}: each origin of origins is a table of rate_eur_per_kg and fixed_eur."
            )
        if self.budget_eur is not None and not _non_negative(self.budget_eur):
            raise UsageError(f"{where}: budget_eur must be a number ≥ 0 (euros).")
        if self.processing_eur_per_item is not None and not _non_negative(
            self.processing_eur_per_item
        ):
            raise UsageError(f"{where}: processing_eur_per_item must be a number ≥ 0 (euros).")
        if not isinstance(self.max_copies_per_title, int) or self.max_copies_per_title < 1:
            raise UsageError(f"{where}: max_copies_per_title must be a whole number ≥ 1.")
        if self.shipping_mode is not None and self.shipping_mode not in shipping_modes():
            raise UsageError(
                f"{where}: unknown shipping mode {self.shipping_mode!r}; use one of "
                f"{', '.join(shipping_modes())}."
            )
        for origin, figures in self.origins.items():
            extra = set(figures) - {"rate_eur_per_kg", "fixed_eur"}
            if extra or not all(_non_negative(v) for v in figures.values()):
                raise UsageError(
                    f"{where}: origin {origin!r} takes rate_eur_per_kg and fixed_eur, numbers ≥ 0."
                )
        for currency, rate in self.exchange_rates.items():
            if not (isinstance(currency, str) and len(currency) == 3) or not _positive(rate):
                raise UsageError(
                    f"{where}: exchange rate {currency}={rate!r}: give a 3-letter currency "
                    "code and the euros one unit is worth (e.g. USD=0.92)."
                )
        if self.language_split:
            bad = [c for c in self.language_split if c not in PROJECT_LANGUAGES]
            if bad or not all(_non_negative(v) for v in self.language_split.values()):
                raise UsageError(
                    f"{where}: language_split takes shares ≥ 0 for "
                    f"{', '.join(PROJECT_LANGUAGES)} (e.g. ara=60,fre=20,eng=20)."
                )
            if sum(self.language_split.values()) <= 0:
                raise UsageError(f"{where}: the language split must give some share.")
        population = self.population
        if isinstance(population, str):
            if population not in POPULATION_CHOICES:
                raise UsageError(
                    f"{where}: population is official, de_facto or a number of inhabitants."
                )
        elif isinstance(population, bool) or not isinstance(population, int) or population < 1:
            raise UsageError(f"{where}: population must be a whole number ≥ 1.")
        if not _non_negative(self.time_limit_s):
            raise UsageError(f"{where}: time_limit_s must be a number of seconds ≥ 0.")


def _non_negative(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < math.inf


def _positive(value: Any) -> bool:
    return _non_negative(value) and value > 0


def shipping_modes(tables: shipping.ShippingTables | None = None) -> dict[str, dict[str, float]]:
    """Every shipping mode of ``reference/shipping.toml`` (or of a project's tables) as the
    optimiser sees it: a per-kg rate and a fixed cost per origin used — the linear
    approximation of :func:`fundplanner.shipping.planner_rates` (full bags, pallets or
    containers, plus one unit's fixed cost)."""
    tables = tables or shipping.load_tables()
    return {name: shipping.planner_rates(name, tables) for name in shipping.mode_names(tables)}


def default_shipping_mode() -> str:
    return shipping.default_mode()


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class PlannerInputs:
    """What the optimiser reads, and what was left out of it and why."""

    candidates: pd.DataFrame
    targets: pd.DataFrame
    constraints: planner.Constraints
    target_result: TargetResult
    messages: tuple[str, ...]


def planner_inputs(
    scenario: Scenario,
    candidates: pd.DataFrame,
    profile: profiles.Profile,
    premises: premises_module.Premises | None,
    *,
    budget_lines: Sequence[Mapping[str, Any]] = (),
    population: Mapping[str, int | None] | None = None,
    pins: pd.DataFrame | None = None,
    shipping_tables: shipping.ShippingTables | None = None,
) -> PlannerInputs:
    """The optimiser's candidates, targets and constraints for ``scenario``.

    ``candidates`` is the project's candidate table (store ids in ``id``); ``budget_lines``
    the project's budget rows (the default budget is the sum of its collection, processing
    and shipping lines in EUR); ``population`` the project's ``official`` / ``de_facto``
    figures; ``pins`` a plan's items (candidate_id, pinned, excluded); ``shipping_tables``
    the project's shipping figures (default: reference/shipping.toml).
    """
    messages: list[str] = []
    profile = scenario_profile(scenario, profile, population or {}, messages)
    result = targets.compute_targets(profile, premises)
    frame, notes = planning_candidates(candidates, scenario, pins)
    messages.extend(notes)
    constraints = planner.Constraints.from_mapping(
        {
            "budget_eur": _budget(scenario, budget_lines, messages),
            "processing_eur_per_item": processing_cost(scenario),
            "max_copies_per_title": scenario.max_copies_per_title,
            "time_limit_s": scenario.time_limit_s,
            "zones": result.zones,
            "origins": origin_rates(scenario, frame["origin"], shipping_tables),
        },
        where=f"scenario {scenario.name!r}",
    )
    return PlannerInputs(frame, result.targets, constraints, result, tuple(messages))


def scenario_profile(
    scenario: Scenario,
    profile: profiles.Profile,
    population: Mapping[str, int | None],
    messages: list[str],
) -> profiles.Profile:
    """The profile with the scenario's population and language split.

    A named population ("official", "de_facto") is the profile's figure of that name, else
    the project record's; when neither has the default "official" figure, the profile's own
    served population stands (and a message says so)."""
    served: str | int = scenario.population
    if isinstance(served, str) and served not in profile.population.figures:
        figure = population.get(served)  # the project record's figure of that name
        if figure:
            served = int(figure)
        elif served == Scenario.population:
            messages.append(
                f"neither the profile nor the project gives an {served} population: the "
                f"profile's {profile.population.served_label} figure "
                f"({profile.population.served_population:,}) sized the collection; give the "
                "project's population or set the scenario's population."
            )
            served = profile.population.served
    profile = profiles.with_served_population(profile, served)
    if scenario.language_split:
        profile = profiles.with_language_split(profile, scenario.language_split)
    return profile


def _budget(
    scenario: Scenario, budget_lines: Sequence[Mapping[str, Any]], messages: list[str]
) -> float:
    """The scenario's budget, else the project's collection + processing + shipping lines."""
    if scenario.budget_eur is not None:
        return float(scenario.budget_eur)
    kinds = ("collection", "processing", "shipping")
    lines = [line for line in budget_lines if line.get("kind") in kinds]
    other = sorted({str(line.get("currency")) for line in lines} - {"EUR"})
    if other:
        messages.append(
            f"budget lines in {', '.join(other)} were not counted in the plan's budget; give "
            "them in EUR or set the scenario's budget_eur."
        )
    total = sum(
        float(line.get("planned") or 0) for line in lines if line.get("currency", "EUR") == "EUR"
    )
    if not lines:
        messages.append(
            "the project has no collection, processing or shipping budget line: the plan's "
            "budget is 0 (only donations that cost nothing to ship and process can be "
            "chosen); add budget lines or set the scenario's budget_eur."
        )
    return total


def processing_cost(scenario: Scenario) -> float:
    """The processing (cataloguing, equipping) cost per copy: the scenario's, else
    :data:`DEFAULT_PROCESSING_EUR`."""
    if scenario.processing_eur_per_item is None:
        return DEFAULT_PROCESSING_EUR
    return float(scenario.processing_eur_per_item)


def origin_rates(
    scenario: Scenario, origins: pd.Series, tables: shipping.ShippingTables | None = None
) -> dict[str, dict[str, float]]:
    """Per-kg rate and fixed cost of every origin the candidates ship from (empty origin:
    nothing to ship), by the scenario's shipping mode (in the project's shipping ``tables``,
    default the packaged ones) and its per-origin overrides."""
    mode_name = scenario.shipping_mode or shipping.default_mode(tables)
    mode = shipping_modes(tables)[mode_name]
    rates = {}
    for origin in sorted({str(o) for o in origins.dropna() if str(o)}):
        figures = {
            "rate_eur_per_kg": float(mode["rate_eur_per_kg"]),
            "fixed_eur": float(mode["fixed_eur"]),
        }
        figures.update({k: float(v) for k, v in scenario.origins.get(origin, {}).items()})
        rates[origin] = figures
    return rates


def planning_candidates(
    candidates: pd.DataFrame, scenario: Scenario, pins: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """The project's candidates in the optimiser's columns (DESIGN.md, candidates.csv).

    - ``candidate_id``: the store id, as text;
    - ``price_eur``: 0 for a donation; a purchase's price converted with the scenario's
      exchange rates (else the one recorded at import); a purchase without a price cannot
      be costed and is left out (counted in the messages);
    - ``width_cm``: the shelf thickness (estimated at import when the record gives none);
    - ``origin``: empty for a local purchase (nothing to ship);
    - ``pinned`` / ``excluded`` from the plan's items.
    """
    notes: list[str] = []
    frame = candidates
    donation = frame["acquisition"].fillna("donation").eq("donation")
    price = _prices_eur(frame, scenario.exchange_rates)
    unpriced = ~donation & price.isna()
    if unpriced.any():
        notes.append(
            f"{int(unpriced.sum())} purchase offer(s) have no price and were left out; give "
            "them a price in the vendor's list and import it again."
        )
    notes.extend(_unplannable_notes(frame))
    local = frame["acquisition"].isin(LOCAL_ACQUISITIONS).fillna(False)
    keep = ~unpriced
    out = pd.DataFrame(
        {
            "candidate_id": frame["id"].astype("int64").astype(str),
            "audience": frame["audience"].astype("string"),
            "category": frame["category"].astype("string"),
            "language": frame["language"].astype("string"),
            "price_eur": price.where(~donation, 0.0).astype("float64"),
            "width_cm": frame["thickness_cm"]
            .astype("Float64")
            .fillna(UNKNOWN_THICKNESS_CM)
            .astype("float64"),
            "weight_kg": frame["weight_kg"]
            .astype("Float64")
            .fillna(UNKNOWN_WEIGHT_KG)
            .astype("float64"),
            "origin": frame["origin"].astype("string").fillna("").where(~local, ""),
            "work_key": frame["work_key"].astype("string").fillna(frame["id"].astype(str)),
            "copies_offered": frame["copies_offered"]
            .astype("Int64")
            .fillna(1)
            .clip(lower=1)
            .astype("int64"),
            "pinned": False,
            "excluded": False,
        }
    )[keep.to_numpy()]
    if pins is not None and not pins.empty:
        flags = pins.assign(candidate_id=pins["candidate_id"].astype(str)).set_index("candidate_id")
        out["pinned"] = out["candidate_id"].map(flags["pinned"]).fillna(False).astype(bool)
        out["excluded"] = out["candidate_id"].map(flags["excluded"]).fillna(False).astype(bool)
    return out.reset_index(drop=True), notes


def _unplannable_notes(frame: pd.DataFrame) -> list[str]:
    """What will keep candidates out of every target cell, or cost them wrongly, said so that
    a librarian can fix the records: no project language (``und`` or another language), no
    origin (costed as a local purchase), no category."""
    notes = []
    language = frame["language"].astype("string")
    undetermined = int(language.isna().sum() + language.eq("und").sum())
    if undetermined:
        notes.append(
            f"{undetermined} candidate(s) have no language (und) and fit no cell; set their "
            "language in the catalogue (or a mapping's default) and import it again."
        )
    others = int((~language.isin(PROJECT_LANGUAGES) & language.notna() & language.ne("und")).sum())
    if others:
        notes.append(
            f"{others} candidate(s) are in none of {', '.join(PROJECT_LANGUAGES)} and fit no cell."
        )
    no_origin = frame["origin"].astype("string").fillna("").str.strip().eq("") & ~frame[
        "acquisition"
    ].isin(LOCAL_ACQUISITIONS).fillna(False)
    if no_origin.any():
        notes.append(
            f"{int(no_origin.sum())} donation(s) or purchase(s) have no origin and are costed as "
            "if bought locally (nothing to ship); give their partner a country, or import the "
            "file again with --origin."
        )
    unclassified = int(frame["category"].astype("string").eq("unclassified").sum())
    if unclassified:
        notes.append(
            f"{unclassified} candidate(s) have no category (unclassified) and fit no cell; "
            "give them a Dewey number or a category and import them again."
        )
    return notes


def _prices_eur(frame: pd.DataFrame, rates: Mapping[str, float]) -> pd.Series:
    """Each row's price in euros: the scenario's rate for its currency when it gives one,
    else the ``price_eur`` converted at import."""
    price_eur = frame["price_eur"].astype("Float64")
    if not rates:
        return price_eur
    currency = frame["currency"].astype("string")
    rate = currency.map(lambda c: rates.get(str(c)) if c is not pd.NA else None).astype("Float64")
    converted = (frame["price"].astype("Float64") * rate).round(2)
    return converted.where(rate.notna(), price_eur)


__all__ = [
    "DEFAULT_SCENARIO",
    "PlannerInputs",
    "Scenario",
    "origin_rates",
    "planner_inputs",
    "planning_candidates",
    "shipping_modes",
]
