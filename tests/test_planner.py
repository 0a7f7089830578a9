"""The optimiser (fundplanner.planner) against DESIGN.md "The planning model".

- a table of hand-built cases (budget, shelf, work cap, origin fixed cost, pins, weights),
  each also checked against an exact lexicographic MILP written here, independently of the
  product's model builder;
- 30 seeded random small instances: the plan's shortfall equals the exact optimum, its cost
  is within 0.1 % of the exact cost;
- Hypothesis properties: every hard constraint holds (budget, every shelf, pins, exclusions,
  work cap, copies offered, no overfill), and the same input gives the same selection;
- the MILP polish's fallbacks (killed, failed, wrong answer), inputs refused, constraints
  mapping round trip, and a JSON-able summary.
"""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import highspy
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundplanner import planner
from fundplanner.errors import FundplannerError
from fundplanner.planner import Constraints, Origin, PlanInputError, Zone

CELL = ("adults", "fiction", "ara")
CELL_B = ("children", "picture_books", "fre")


def cand(
    cid: str,
    price: float,
    *,
    width: float = 1.0,
    weight: float = 0.5,
    cell: tuple[str, str, str] = CELL,
    origin: str = "",
    work: str = "",
    copies: int = 1,
    pinned: bool = False,
    excluded: bool = False,
) -> dict[str, Any]:
    audience, category, language = cell
    return {
        "candidate_id": cid,
        "audience": audience,
        "category": category,
        "language": language,
        "price_eur": price,
        "width_cm": width,
        "weight_kg": weight,
        "origin": origin,
        "work_key": work,
        "copies_offered": copies,
        "pinned": pinned,
        "excluded": excluded,
    }


def targets(*cells: tuple[tuple[str, str, str], int, float]) -> pd.DataFrame:
    rows = [(*cell, target, weight) for cell, target, weight in cells]
    return pd.DataFrame(rows, columns=list(planner.TARGET_COLUMNS))


def candidates(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=list(planner.CANDIDATE_COLUMNS))


# ------------------------------------------------------------------- the exact reference MILP


def first_zone(constraints: Constraints, audience: str, category: str) -> str | None:
    for name, zone in constraints.zones.items():
        if audience in zone.audiences and (not zone.categories or category in zone.categories):
            return name
    return None


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def cell_key(row: dict[str, Any]) -> tuple[str, str, str]:
    return (row["audience"], row["category"], row["language"])


def unit_cost(row: dict[str, Any], constraints: Constraints) -> float:
    origin = constraints.origins.get(row["origin"])
    rate = origin.rate_eur_per_kg if origin else 0.0
    return float(row["price_eur"] + constraints.processing_eur_per_item + rate * row["weight_kg"])


def exact_optimum(
    frame: pd.DataFrame, cells: pd.DataFrame, constraints: Constraints
) -> tuple[float, float] | None:
    """(Σ π s, cost) of the exact lexicographic MILP, built term by term with highspy's
    modelling layer from DESIGN.md's equations (big-M origin rows); None when infeasible."""
    h = highspy.Highs()
    h.silent()
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-9)
    rows, targets_ = records(frame), records(cells)
    index = {cell_key(t): k for k, t in enumerate(targets_)}
    cell_of = [index.get(cell_key(r), -1) for r in rows]
    x = []
    for row, where in zip(rows, cell_of, strict=True):
        upper = 0 if row["excluded"] or where < 0 else int(row["copies_offered"])
        lower = 1 if row["pinned"] else 0
        if lower > upper:  # pinned and excluded, or pinned outside every target cell
            return None
        x.append(h.addIntegral(lb=lower, ub=upper))
    shortfall_terms = []
    for c, cell in enumerate(targets_):
        s = h.addVariable(lb=0.0)
        members = [x[i] for i in range(len(x)) if cell_of[i] == c]
        pins = sum(1 for i in range(len(x)) if cell_of[i] == c and rows[i]["pinned"])
        if members:
            h.addConstr(s + sum(members) >= cell["target"])
            h.addConstr(sum(members) <= max(cell["target"], pins))
        else:
            h.addConstr(s >= cell["target"])
        if cell["weight"]:
            shortfall_terms.append(cell["weight"] * s)
    works: dict[str, list[Any]] = {}
    for i, row in enumerate(rows):
        works.setdefault(row["work_key"] or f"own {i}", []).append(x[i])
    for members in works.values():
        h.addConstr(sum(members) <= constraints.max_copies_per_title)
    for name, zone in constraints.zones.items():
        widths = [
            row["width_cm"] * x[i]
            for i, row in enumerate(rows)
            if cell_of[i] >= 0
            and row["width_cm"] > 0
            and first_zone(constraints, row["audience"], row["category"]) == name
        ]
        if widths:
            h.addConstr(sum(widths) <= zone.capacity_cm)
    cost_terms = [
        unit_cost(r, constraints) * x[i] for i, r in enumerate(rows) if unit_cost(r, constraints)
    ]
    for code, origin in constraints.origins.items():
        members = [x[i] for i, r in enumerate(rows) if r["origin"] == code]
        if members and origin.fixed_eur > 0:
            y = h.addBinary()
            big_m = sum(int(r["copies_offered"]) for r in rows if r["origin"] == code)
            h.addConstr(sum(members) <= big_m * y)
            cost_terms.append(origin.fixed_eur * y)
    cost = sum(cost_terms) if cost_terms else None
    if cost is not None:
        h.addConstr(cost <= constraints.budget_eur)
    best_short = 0.0
    if shortfall_terms:
        short = sum(shortfall_terms)
        h.minimize(short)
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        best_short = h.getInfo().objective_function_value
        h.addConstr(short <= best_short + 1e-7 * max(1.0, best_short))
    if cost is None:
        h.run()  # no cost terms: still check that the constraints can hold
        ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return (best_short, 0.0) if ok else None
    h.minimize(cost)
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return best_short, h.getInfo().objective_function_value


# ------------------------------------------------------------ an independent check of a plan


def hard_constraint_faults(
    plan: planner.Plan, frame: pd.DataFrame, cells: pd.DataFrame, constraints: Constraints
) -> list[str]:
    """Every hard constraint a plan breaks, recomputed from the input frames."""
    faults = []
    copies = {str(r["candidate_id"]): int(r["copies"]) for r in records(plan.selection)}
    if any(n <= 0 for n in copies.values()):
        faults.append("a selected row with copies ≤ 0")
    rows = records(frame)
    x = [copies.get(str(r["candidate_id"]), 0) for r in rows]
    used = {r["origin"] for r, n in zip(rows, x, strict=True) if n > 0}
    fixed = sum(o.fixed_eur for code, o in constraints.origins.items() if code in used)
    cost = sum(unit_cost(r, constraints) * n for r, n in zip(rows, x, strict=True)) + fixed
    if cost > constraints.budget_eur + 1e-6:
        faults.append(f"budget {cost} > {constraints.budget_eur}")
    if not math.isclose(cost, plan.cost_eur, rel_tol=1e-9, abs_tol=1e-6):
        faults.append(f"reported cost {plan.cost_eur} != {cost}")
    for name, zone in constraints.zones.items():
        used_cm = sum(
            r["width_cm"] * n
            for r, n in zip(rows, x, strict=True)
            if first_zone(constraints, r["audience"], r["category"]) == name
        )
        if used_cm > zone.capacity_cm + 1e-6:
            faults.append(f"zone {name}: {used_cm} > {zone.capacity_cm}")
    works: dict[str, int] = {}
    for i, (r, n) in enumerate(zip(rows, x, strict=True)):
        if r["pinned"] and n < 1:
            faults.append(f"pinned {r['candidate_id']} left out")
        if r["excluded"] and n > 0:
            faults.append(f"excluded {r['candidate_id']} taken")
        if n > r["copies_offered"]:
            faults.append(f"{r['candidate_id']}: more copies than offered")
        key = r["work_key"] or f"own {i}"
        works[key] = works.get(key, 0) + n
    faults += [
        f"work {k}: {n} copies" for k, n in works.items() if n > constraints.max_copies_per_title
    ]
    taken: dict[tuple[str, str, str], int] = {}
    pins: dict[tuple[str, str, str], int] = {}
    for r, n in zip(rows, x, strict=True):
        taken[cell_key(r)] = taken.get(cell_key(r), 0) + n
        pins[cell_key(r)] = pins.get(cell_key(r), 0) + int(bool(r["pinned"]))
    shortfall = 0.0
    for cell in records(cells):
        got = taken.pop(cell_key(cell), 0)
        if got > max(cell["target"], pins.get(cell_key(cell), 0)):
            faults.append(f"cell {cell_key(cell)} overfilled")
        shortfall += cell["weight"] * max(cell["target"] - got, 0)
    if any(taken.values()):
        faults.append("a candidate of a cell without target taken")
    if not math.isclose(shortfall, plan.shortfall, abs_tol=1e-6):
        faults.append(f"reported shortfall {plan.shortfall} != {shortfall}")
    return faults


# --------------------------------------------------------------------------- hand-built cases


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    rows: tuple[dict[str, Any], ...]
    cells: pd.DataFrame
    constraints: Constraints
    shortfall: float
    cost: float
    chosen: frozenset[str] | None = None
    causes: tuple[tuple[tuple[str, str, str], str], ...] = ()


FR = {"FR": Origin("FR", rate_eur_per_kg=1.0, fixed_eur=100.0)}

CASES = [
    Case(
        "budget_binding",
        tuple(cand(f"p{p}", p) for p in (10, 12, 14, 16, 18, 20)),
        targets((CELL, 5, 1.0)),
        Constraints(budget_eur=50.0),
        shortfall=2,
        cost=36,
        chosen=frozenset({"p10", "p12", "p14"}),
        causes=((CELL, planner.BUDGET),),
    ),
    Case(
        "shelf_binding",
        tuple(cand(f"w{k}", 10, width=w) for k, w in enumerate((2.0, 2.0, 2.0, 1.5, 3.0))),
        targets((CELL, 4, 1.0)),
        Constraints(budget_eur=1000.0, zones={"adults": Zone("adults", 5.0, ("adults",))}),
        shortfall=2,
        cost=20,
        causes=((CELL, planner.SHELF),),
    ),
    Case(
        "work_cap_cheaper_source_wins",
        (cand("dear", 20, work="W1"), cand("cheap", 8, work="W1"), cand("other", 15)),
        targets((CELL, 2, 1.0)),
        Constraints(budget_eur=100.0),
        shortfall=0,
        cost=23,
        chosen=frozenset({"cheap", "other"}),
    ),
    Case(
        "donation_origin_not_worth_its_fixed_cost",
        (
            *(cand(f"don{k}", 0, origin="FR") for k in range(3)),
            *(cand(f"local{k}", 10) for k in range(3)),
        ),
        targets((CELL, 3, 1.0)),
        Constraints(budget_eur=1000.0, origins=FR),
        shortfall=0,
        cost=30,
        chosen=frozenset({"local0", "local1", "local2"}),
    ),
    Case(
        "donation_origin_worth_its_fixed_cost",
        (
            *(cand(f"don{k}", 0, origin="FR") for k in range(20)),
            *(cand(f"local{k}", 10) for k in range(20)),
        ),
        targets((CELL, 20, 1.0)),
        Constraints(budget_eur=1000.0, origins=FR),
        shortfall=0,
        cost=110,
        chosen=frozenset(f"don{k}" for k in range(20)),
    ),
    Case(
        "pins_force_overfill",
        (
            *(cand(f"pin{k}", 5, pinned=True) for k in range(3)),
            cand("cheap1", 1),
            cand("cheap2", 1),
        ),
        targets((CELL, 2, 1.0)),
        Constraints(budget_eur=100.0),
        shortfall=0,
        cost=15,
        chosen=frozenset({"pin0", "pin1", "pin2"}),
    ),
    Case(
        "weight_decides_not_price",
        (cand("heavy", 9, cell=CELL), cand("light", 5, cell=CELL_B)),
        targets((CELL, 1, 2.0), (CELL_B, 1, 1.0)),
        Constraints(budget_eur=9.0),
        shortfall=1,
        cost=9,
        chosen=frozenset({"heavy"}),
        causes=((CELL_B, planner.BUDGET),),
    ),
    Case(
        "no_cost_saving_buys_shortfall",
        (cand("a", 40), cand("b", 40)),
        targets((CELL, 2, 1.0)),
        Constraints(budget_eur=80.0),
        shortfall=0,
        cost=80,
    ),
    Case(
        "supply_runs_out",
        (cand("only", 7), cand("gone", 1, excluded=True)),
        targets((CELL, 3, 1.0)),
        Constraints(budget_eur=100.0),
        shortfall=2,
        cost=7,
        chosen=frozenset({"only"}),
        causes=((CELL, planner.NO_CANDIDATES),),
    ),
    Case(
        "copies_capped_per_title",
        (cand("multi", 4, copies=3, work="W"),),
        targets((CELL, 5, 1.0)),
        Constraints(budget_eur=100.0, max_copies_per_title=2),
        shortfall=3,
        cost=8,
        causes=((CELL, planner.NO_CANDIDATES),),
    ),
    Case(
        "processing_and_shipping_per_copy",
        (cand("far", 5, weight=2.0, origin="FR"), cand("near", 8)),
        targets((CELL, 1, 1.0)),
        Constraints(
            budget_eur=100.0,
            processing_eur_per_item=3.0,
            origins={"FR": Origin("FR", rate_eur_per_kg=2.0, fixed_eur=0.0)},
        ),
        shortfall=0,
        cost=11,
        chosen=frozenset({"near"}),
    ),
    Case(
        "first_zone_in_mapping_order",
        (
            cand("ref1", 5, width=3.0, cell=("adults", "reference", "ara")),
            cand("ref2", 5, width=3.0, cell=("adults", "reference", "ara")),
            cand("fic1", 5, width=3.0),
            cand("fic2", 5, width=3.0),
        ),
        targets((("adults", "reference", "ara"), 2, 1.0), (CELL, 2, 1.0)),
        Constraints(
            budget_eur=100.0,
            zones={
                "reference": Zone("reference", 4.0, ("adults",), ("reference",)),
                "adults": Zone("adults", 100.0, ("adults",)),
            },
        ),
        shortfall=1,
        cost=15,
        causes=((("adults", "reference", "ara"), planner.SHELF),),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hand_built_case(case: Case) -> None:
    frame = candidates(case.rows)
    result = planner.plan(frame, case.cells, case.constraints)
    assert result.status in (planner.OPTIMAL, planner.FEASIBLE)
    assert result.shortfall == pytest.approx(case.shortfall, abs=1e-9)
    assert result.cost_eur == pytest.approx(case.cost, abs=1e-6)
    assert exact_optimum(frame, case.cells, case.constraints) == pytest.approx(
        (case.shortfall, case.cost), abs=1e-6
    )
    assert hard_constraint_faults(result, frame, case.cells, case.constraints) == []
    if case.chosen is not None:
        assert set(result.selection["candidate_id"]) == case.chosen
    causes = {tuple(r[:3]): r[3] for r in result.cells[[*planner.CELL_COLUMNS, "cause"]].to_numpy()}
    for cell, cause in case.causes:
        assert causes[cell] == cause


def test_cells_report_names_the_gap_and_what_closing_it_costs() -> None:
    case = CASES[0]  # budget_binding: 2 copies short, purchases average 15 €
    result = planner.plan(candidates(case.rows), case.cells, case.constraints)
    row = result.cells.iloc[0]
    assert (row["selected"], row["shortfall"], row["cause"]) == (3, 2, planner.BUDGET)
    assert row["cost_to_close_eur"] == pytest.approx(2 * 15.0)
    assert result.budget_used_eur == pytest.approx(36.0)


def test_rounding_then_fill_spends_what_rounding_left() -> None:
    """The LP takes 10 + 12 + 14 € and 7/8 of the 16 € copy for cell A (weight 2); rounding
    down leaves 14 €, which the fill spends on cell B's 13 € copy: shortfall 2, not 3."""
    frame = candidates(
        [*(cand(f"a{p}", p) for p in (10, 12, 14, 16)), cand("b13", 13, cell=CELL_B)]
    )
    cells = targets((CELL, 4, 2.0), (CELL_B, 1, 1.0))
    constraints = Constraints(budget_eur=50.0)
    result = planner.plan(frame, cells, constraints, polish=False)
    assert (result.shortfall, result.cost_eur) == (2.0, 49.0)
    assert set(result.selection["candidate_id"]) == {"a10", "a12", "a14", "b13"}
    assert exact_optimum(frame, cells, constraints) == pytest.approx((2.0, 49.0))


INFEASIBLE_CASES = [
    (
        "pins_over_budget",
        (cand("a", 60, pinned=True), cand("b", 50, pinned=True)),
        Constraints(budget_eur=100.0),
        "above budget_eur",
    ),
    (
        "pins_over_shelf",
        (cand("a", 1, width=3.0, pinned=True), cand("b", 1, width=3.0, pinned=True)),
        Constraints(budget_eur=100.0, zones={"adults": Zone("adults", 5.0, ("adults",))}),
        "zone 'adults'",
    ),
    (
        "pins_over_work_cap",
        (cand("a", 1, work="W", pinned=True), cand("b", 1, work="W", pinned=True)),
        Constraints(budget_eur=100.0),
        "work 'W'",
    ),
    (
        "pins_open_an_origin_too_dear",
        (cand("a", 0, origin="FR", pinned=True),),
        Constraints(budget_eur=50.0, origins=FR),
        "fixed shipping of FR",
    ),
    ("pinned_and_excluded", (cand("a", 1, pinned=True, excluded=True),), Constraints(100.0), "a"),
    (
        "pinned_without_target",
        (cand("a", 1, pinned=True, cell=CELL_B),),
        Constraints(budget_eur=100.0),
        "no target cell",
    ),
]


@pytest.mark.parametrize(
    ("rows", "constraints", "named"),
    [c[1:] for c in INFEASIBLE_CASES],
    ids=[c[0] for c in INFEASIBLE_CASES],
)
def test_infeasible_pins_are_reported_not_raised(
    rows: tuple[dict[str, Any], ...], constraints: Constraints, named: str
) -> None:
    frame = candidates(rows)
    cells = targets((CELL, 1, 1.0))
    result = planner.plan(frame, cells, constraints)
    assert result.status == planner.INFEASIBLE
    assert result.method == planner.NO_METHOD
    assert result.selection.empty
    assert any(m.startswith("infeasible:") and named in m for m in result.messages)
    json.dumps(result.summary(), allow_nan=False)
    assert exact_optimum(frame, cells, constraints) is None


# ---------------------------------------------------------------- random instances vs exact


def random_instance(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, Constraints]:
    """20-60 candidates, 2-5 cells, two zones (one by category), up to 3 origins with fixed
    costs, shared works, a few pins and exclusions, a budget that usually binds."""
    rng = np.random.default_rng(seed)
    grid = [
        (a, c, lang)
        for a, c in (("adults", "fiction"), ("adults", "reference"), ("children", "comics"))
        for lang in ("ara", "fre")
    ]
    picked = rng.choice(len(grid), size=int(rng.integers(2, 6)), replace=False)
    cells = targets(
        *((grid[k], int(rng.integers(0, 9)), float(rng.choice([1, 1, 2, 0.5]))) for k in picked)
    )
    n = int(rng.integers(20, 61))
    origins = {
        code: Origin(code, float(rng.choice([0, 0.5, 2.0])), float(rng.choice([0, 10, 40, 120])))
        for code in ("FR", "LB", "JO")[: int(rng.integers(0, 4))]
    }
    rows = []
    for i in range(n):
        cell = grid[int(rng.choice(picked))] if rng.random() < 0.9 else grid[int(rng.integers(6))]
        rows.append(
            cand(
                f"c{i}",
                float(rng.choice([0.0, 0.0, 5.0, 7.5, 12.0, 19.9, 35.0])),
                width=float(rng.choice([0.5, 1.0, 1.7, 2.5, 4.0])),
                weight=float(rng.choice([0.2, 0.4, 0.9])),
                cell=cell,
                origin=str(rng.choice(["", "", *origins])) if origins else "",
                work=f"W{int(rng.integers(0, 1 + n * 4 // 5))}" if rng.random() < 0.5 else "",
                copies=int(rng.choice([1, 1, 1, 2, 3])),
                pinned=bool(rng.random() < 0.04),
                excluded=bool(rng.random() < 0.05),
            )
        )
    frame = candidates(rows)
    frame.loc[frame["pinned"], "excluded"] = False
    need = float(cells["target"].sum())
    constraints = Constraints(
        budget_eur=float(rng.uniform(0.3, 1.2) * need * 12 + 60),
        processing_eur_per_item=float(rng.choice([0.0, 3.0])),
        max_copies_per_title=int(rng.choice([1, 1, 2])),
        zones={
            "reference": Zone("reference", float(rng.uniform(2, 12)), ("adults",), ("reference",)),
            "lending": Zone("lending", float(rng.uniform(5, 40)), ("adults", "children")),
        },
        origins=origins,
        time_limit_s=20.0,
    )
    return frame, cells, constraints


@pytest.mark.parametrize("seed", range(30))
def test_random_small_instance_matches_the_exact_milp(seed: int) -> None:
    frame, cells, constraints = random_instance(seed)
    exact = exact_optimum(frame, cells, constraints)
    result = planner.plan(frame, cells, constraints)
    if exact is None:
        assert result.status == planner.INFEASIBLE
        return
    assert result.status == planner.OPTIMAL, result.polish
    assert result.shortfall == pytest.approx(exact[0], abs=1e-6)
    assert exact[1] - 1e-6 <= result.cost_eur <= exact[1] * 1.001 + 1e-6
    assert result.bound <= exact[0] + 1e-6  # the LP bound is a bound
    assert hard_constraint_faults(result, frame, cells, constraints) == []


def test_rounding_alone_is_feasible_and_bounded_on_random_instances() -> None:
    for seed in range(30):
        frame, cells, constraints = random_instance(seed)
        result = planner.plan(frame, cells, constraints, polish=False)
        if result.status == planner.INFEASIBLE:
            continue
        assert result.method == planner.LP_ROUNDING
        assert hard_constraint_faults(result, frame, cells, constraints) == []
        assert result.shortfall >= result.bound - 1e-9
        assert 0 <= result.gap <= 1


# ----------------------------------------------------------------------- Hypothesis properties

AUDIENCES = ("early", "adults")
CATEGORIES = ("fiction", "reference")


@st.composite
def instances(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, Constraints]:
    cells_all = [(a, c, "ara") for a in AUDIENCES for c in CATEGORIES]
    n = draw(st.integers(0, 18))
    rows = []
    for i in range(n):
        pinned = draw(st.integers(0, 9)) == 0
        rows.append(
            cand(
                f"id{i}",
                draw(st.sampled_from([0.0, 4.0, 9.5, 21.0])),
                width=draw(st.sampled_from([0.5, 1.5, 3.0])),
                weight=draw(st.sampled_from([0.1, 0.6])),
                cell=draw(st.sampled_from(cells_all)),
                origin=draw(st.sampled_from(["", "FR", "LB"])),
                work=draw(st.sampled_from(["", "", "W1", "W2", "W3"])),
                copies=draw(st.integers(1, 3)),
                pinned=pinned,
                excluded=not pinned and draw(st.integers(0, 9)) == 0,
            )
        )
    chosen = draw(st.lists(st.sampled_from(cells_all), min_size=1, max_size=4, unique=True))
    cells = targets(
        *((c, draw(st.integers(0, 6)), draw(st.sampled_from([0.0, 1.0, 2.0]))) for c in chosen)
    )
    constraints = Constraints(
        budget_eur=draw(st.sampled_from([0.0, 15.0, 40.0, 120.0])),
        processing_eur_per_item=draw(st.sampled_from([0.0, 2.0])),
        max_copies_per_title=draw(st.integers(1, 2)),
        zones={
            "small": Zone("small", draw(st.sampled_from([0.0, 2.0, 6.0])), ("early",)),
            "big": Zone("big", draw(st.sampled_from([3.0, 10.0])), ("adults",)),
        },
        origins={
            "FR": Origin("FR", 2.0, draw(st.sampled_from([0.0, 10.0, 50.0]))),
            "LB": Origin("LB", 0.5, 5.0),
        },
        time_limit_s=10.0,
    )
    return candidates(rows), cells, constraints


@settings(max_examples=60)
@given(instances(), st.booleans())
def test_every_plan_keeps_the_hard_constraints_and_is_deterministic(
    instance: tuple[pd.DataFrame, pd.DataFrame, Constraints], polish: bool
) -> None:
    frame, cells, constraints = instance
    first = planner.plan(frame, cells, constraints, polish=polish)
    again = planner.plan(frame, cells, constraints, polish=polish)
    pd.testing.assert_frame_equal(first.selection, again.selection)
    assert (first.status, first.shortfall, first.cost_eur) == (
        again.status,
        again.shortfall,
        again.cost_eur,
    ) or math.isnan(first.shortfall)
    if first.status == planner.INFEASIBLE:
        assert exact_optimum(frame, cells, constraints) is None
        return
    assert hard_constraint_faults(first, frame, cells, constraints) == []
    assert first.shortfall >= first.bound - 1e-9


@settings(max_examples=40)
@given(instances())
def test_a_short_cell_always_has_a_cause(
    instance: tuple[pd.DataFrame, pd.DataFrame, Constraints],
) -> None:
    frame, cells, constraints = instance
    result = planner.plan(frame, cells, constraints, polish=False)
    if result.status == planner.INFEASIBLE:
        return
    short = result.cells[result.cells["shortfall"] > 0]
    assert (
        short["cause"]
        .isin([planner.NO_CANDIDATES, planner.SHELF, planner.BUDGET, planner.PRIORITY])
        .all()
    )
    fine = result.cells[result.cells["shortfall"] == 0]
    assert fine["cause"].isna().all()
    assert (short.loc[short["cause"] == planner.PRIORITY, "weight"] == 0).all()


# ------------------------------------------------------------------------------ MILP polish

# 10, 12, 14, 16 € for a target of 4 and a budget of 50: the LP takes 7/8 of the fourth copy,
# so the rounded plan is not proven by the LP and the polish runs.
POLISHED = (
    candidates([cand(f"p{p}", p) for p in (10, 12, 14, 16)]),
    targets((CELL, 4, 1.0)),
    Constraints(budget_eur=50.0, time_limit_s=1.0),
)


def test_polish_proves_a_plan_the_lp_cannot() -> None:
    result = planner.plan(*POLISHED)
    assert (result.status, result.method) == (planner.OPTIMAL, planner.MILP_OPTIMAL)
    assert result.polish.startswith("finished")
    assert result.shortfall == 1 and result.cost_eur == pytest.approx(36.0)


@pytest.mark.parametrize(
    ("polish", "limit", "note"),
    [(False, 1.0, "off (polish=False)"), (True, 0.0, "off (time_limit_s = 0)")],
)
def test_polish_can_be_switched_off(polish: bool, limit: float, note: str) -> None:
    frame, cells, constraints = POLISHED
    result = planner.plan(
        frame, cells, dataclasses.replace(constraints, time_limit_s=limit), polish=polish
    )
    assert (result.status, result.method, result.polish) == (
        planner.FEASIBLE,
        planner.LP_ROUNDING,
        note,
    )
    assert result.shortfall == 1


def _sleeping_child(sender: Any, *args: Any) -> None:
    time.sleep(30)


def _failing_child(sender: Any, *args: Any) -> None:
    raise RuntimeError("solver exploded")


def _lying_child(sender: Any, inst: Any, *args: Any) -> None:
    sender.send(
        {"phase": "phase2", "x": np.full(inst.n, 1.0), "optimal": True, "phase1_optimal": True}
    )


@pytest.mark.parametrize(
    ("child", "note"),
    [
        (_sleeping_child, "killed at the 1 s deadline"),
        (_failing_child, "failed (RuntimeError: solver exploded)"),
        (_lying_child, "discarded"),
    ],
)
def test_the_rounded_plan_stands_when_the_polish_fails(
    monkeypatch: pytest.MonkeyPatch, child: Any, note: str
) -> None:
    monkeypatch.setattr(planner, "_run_milp", child)
    started = time.monotonic()
    result = planner.plan(*POLISHED)
    assert time.monotonic() - started < 5  # the child is killed, not waited for
    assert note in result.polish
    assert (result.status, result.method, result.shortfall) == (
        planner.FEASIBLE,
        planner.LP_ROUNDING,
        1,
    )
    assert hard_constraint_faults(result, *POLISHED) == []


def test_plan_prints_nothing_on_stdout() -> None:
    """HiGHS's banner or log would corrupt `plan-file --json`: neither the LP in the process
    nor the MILP polish in its child may print (the instance is POLISHED's)."""
    code = (
        "import pandas as pd; from fundplanner import planner as p;"
        "c = pd.DataFrame([dict(candidate_id=f'p{v}', audience='x', category='y',"
        " language='ara', price_eur=v, width_cm=1.0, weight_kg=0.3) for v in (10, 12, 14, 16)]);"
        "t = pd.DataFrame([dict(audience='x', category='y', language='ara', target=4)]);"
        "r = p.plan(c, t, p.Constraints(budget_eur=50.0, time_limit_s=5));"
        "assert r.polish.startswith('finished') and r.shortfall == 1, r.polish"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == ""


# ----------------------------------------------------------------------- inputs and results


def test_orphans_and_cells_without_zone_are_reported() -> None:
    frame = candidates([cand("a", 5), cand("b", 5, cell=CELL_B), cand("c", 5, cell=CELL_B)])
    constraints = Constraints(budget_eur=100.0, zones={"kids": Zone("kids", 50.0, ("children",))})
    result = planner.plan(frame, targets((CELL, 1, 1.0)), constraints)
    assert "2 candidate(s) belong to a cell with no target row" in " ".join(result.messages)
    assert "no zone holds adults/fiction" in " ".join(result.messages)
    assert list(result.selection["candidate_id"]) == ["a"]


def test_optional_columns_default() -> None:
    frame = candidates([cand("a", 5)])[list(planner.REQUIRED_CANDIDATE_COLUMNS)]
    cells = targets((CELL, 1, 1.0))[list(planner.REQUIRED_TARGET_COLUMNS)]
    result = planner.plan(frame, cells, Constraints(budget_eur=10.0))
    assert result.selection[["candidate_id", "copies"]].to_numpy().tolist() == [["a", 1]]
    assert result.cells["weight"].tolist() == [1.0]
    assert "no zones were given: shelf capacity was not checked." in result.messages


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda f: f.drop(columns=["price_eur"]), "price_eur"),
        (lambda f: f.assign(candidate_id=["a", "a"]), "'a' is repeated"),
        (lambda f: f.assign(price_eur=[5.0, -1.0]), "price_eur must be a number ≥ 0"),
        (lambda f: f.assign(width_cm=[1.0, float("nan")]), "width_cm"),
        (lambda f: f.assign(pinned=["yes", "perhaps"]), "pinned must be true or false"),
        (lambda f: f.assign(copies_offered=[1, 0]), "copies_offered"),
    ],
)
def test_bad_inputs_raise_plan_input_error(change: Any, named: str) -> None:
    frame = change(candidates([cand("a", 5), cand("b", 6)]))
    with pytest.raises(PlanInputError, match=named):
        planner.plan(frame, targets((CELL, 1, 1.0)), Constraints(budget_eur=10.0))


def test_duplicate_target_cells_are_refused() -> None:
    with pytest.raises(PlanInputError, match="more than once"):
        planner.plan(candidates([]), targets((CELL, 1, 1.0), (CELL, 2, 1.0)), Constraints(1.0))


def test_no_candidates_at_all() -> None:
    result = planner.plan(candidates([]), targets((CELL, 3, 2.0)), Constraints(budget_eur=10.0))
    assert (result.status, result.shortfall, result.cost_eur) == (planner.OPTIMAL, 6.0, 0.0)
    assert result.cells["cause"].tolist() == [planner.NO_CANDIDATES]


def test_summary_is_json_and_lists_short_cells() -> None:
    case = CASES[0]
    summary = planner.plan(candidates(case.rows), case.cells, case.constraints).summary()
    text = json.dumps(summary, allow_nan=False, ensure_ascii=False)
    assert json.loads(text)["cells_short"][0]["cause"] == planner.BUDGET
    for key in ("status", "shortfall", "cost_eur", "bound", "gap", "method", "polish"):
        assert key in summary
    assert summary["selected_copies"] == 3


def test_solve_relaxation_is_the_bound() -> None:
    relaxation = planner.solve_relaxation(*POLISHED)
    assert relaxation.shortfall == pytest.approx(4 - (3 + 14 / 16))
    assert relaxation.cost_eur == pytest.approx(50.0)
    assert relaxation.fractional == 1
    assert planner.plan(*POLISHED).bound == 1  # 0.125 rounded up: whole weights


# ------------------------------------------------------------------------------ constraints

FULL = {
    "budget_eur": 25000.0,
    "processing_eur_per_item": 3.0,
    "max_copies_per_title": 1,
    "time_limit_s": 30,
    "zones": {
        "children": {"capacity_cm": 9000.0, "audiences": ["early", "children"]},
        "reference": {"capacity_cm": 800, "audiences": ["adults"], "categories": ["reference"]},
    },
    "origins": {"FR": {"rate_eur_per_kg": 2.4, "fixed_eur": 900.0}},
}


def test_constraints_from_the_design_example() -> None:
    constraints = Constraints.from_mapping(FULL)
    assert constraints.zones["children"] == Zone("children", 9000.0, ("early", "children"))
    assert constraints.origins["FR"] == Origin("FR", 2.4, 900.0)
    assert constraints.zone_of("adults", "reference") == "reference"
    assert constraints.zone_of("adults", "fiction") is None
    assert Constraints.from_mapping(constraints.to_mapping()) == constraints


@given(
    st.builds(
        Constraints,
        budget_eur=st.floats(0, 1e7),
        processing_eur_per_item=st.floats(0, 50),
        max_copies_per_title=st.integers(1, 5),
        time_limit_s=st.floats(0, 600),
        mip_rel_gap=st.floats(0, 0.5),
        zones=st.dictionaries(
            st.sampled_from(["kids", "adults", "ref"]),
            st.tuples(
                st.floats(0, 1e5), st.lists(st.sampled_from(["early", "adults"]), min_size=1)
            ),
        ).map(lambda d: {k: Zone(k, c, tuple(a)) for k, (c, a) in d.items()}),
        origins=st.dictionaries(
            st.sampled_from(["FR", "LB"]), st.tuples(st.floats(0, 10), st.floats(0, 2000))
        ).map(lambda d: {k: Origin(k, r, f) for k, (r, f) in d.items()}),
    )
)
def test_constraints_mapping_round_trips(constraints: Constraints) -> None:
    assert Constraints.from_mapping(constraints.to_mapping()) == constraints


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"budget_eur": None}, "budget_eur must be a number ≥ 0"),
        ({"budget_eur": "25000"}, "budget_eur must be a number"),
        ({"budget_eur": -1}, "budget_eur"),
        ({"max_copies_per_title": 0}, "max_copies_per_title must be a whole number ≥ 1"),
        ({"max_copies_per_title": 1.5}, "max_copies_per_title"),
        ({"mip_rel_gap": 1.0}, "mip_rel_gap is a fraction below 1"),
        ({"zones": {"kids": {"audiences": ["early"]}}}, "zones.kids.capacity_cm is missing"),
        ({"zones": {"kids": {"capacity_cm": 10}}}, "zones.kids.audiences must be a non-empty"),
        ({"zones": {"kids": {"capacity_cm": 10, "audiences": "early"}}}, "zones.kids.audiences"),
        ({"zones": {"kids": 5}}, "zones.kids must be a table"),
        ({"origins": {"FR": {"fixed_eur": "900"}}}, r"\[origins.FR\]: fixed_eur"),
    ],
)
def test_constraints_errors_name_the_key_and_the_fix(change: dict[str, Any], named: str) -> None:
    data = {**FULL, **change}
    if change.get("budget_eur", 0) is None:
        del data["budget_eur"]
        named = "budget_eur is missing"
    with pytest.raises(PlanInputError, match=named) as caught:
        Constraints.from_mapping(data, where="k.toml")
    assert str(caught.value).startswith("k.toml")
    assert isinstance(caught.value, FundplannerError)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        ("TRUE", True),
        (" yes ", True),
        ("1", True),
        (1, True),
        ("No", False),
        ("", False),
        (None, False),
        (float("nan"), False),
        (0.0, False),
        ("maybe", None),
        (2, None),
    ],
)
def test_parse_flag(value: object, expected: bool | None) -> None:
    assert planner.parse_flag(value) is expected
