"""Targets per cell: largest remainder, capping by zone, the demo figures (fundplanner.targets)."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundplanner.classify import AUDIENCES
from fundplanner.premises import load_premises
from fundplanner.profiles import GENERIC_PROFILE, load_profile, with_served_population
from fundplanner.targets import (
    CELL_COLUMNS,
    TARGET_COLUMNS,
    compute_targets,
    largest_remainder,
)

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "data" / "demo"

# --- largest remainder ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (10, [1, 1, 1], [4, 3, 3]),  # ties go to the earlier part
        (10, [60, 20, 20], [6, 2, 2]),
        (7, [0.5, 0.5], [4, 3]),
        (5, [0, 1], [0, 5]),
        (0, [3, 2], [0, 0]),
        (0, [0, 0], [0, 0]),
        (1, [0.1, 0.2, 0.7], [0, 0, 1]),
        (100, [33.33, 33.33, 33.34], [33, 33, 34]),
        (3, [1e-9, 1, 1], [0, 2, 1]),
        # The Alabama paradox: Hamilton's method is not house-monotone. With 11 seats the third
        # part gets fewer than with 10. This is a known property of the method, not a bug.
        (10, [6, 6, 2], [4, 4, 2]),
        (11, [6, 6, 2], [5, 5, 1]),
    ],
)
def test_largest_remainder_cases(total: int, weights: list[float], parts: list[int]) -> None:
    assert largest_remainder(total, weights) == parts


@pytest.mark.parametrize(("total", "weights"), [(-1, [1.0]), (3, [1.0, -1.0]), (3, [0.0, 0.0])])
def test_largest_remainder_refuses_what_cannot_be_shared(total: int, weights: list[float]) -> None:
    with pytest.raises(ValueError, match="largest_remainder"):
        largest_remainder(total, weights)


weights_lists = st.lists(
    st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=30,
).filter(lambda ws: sum(ws) > 0)


@given(total=st.integers(min_value=0, max_value=10**6), weights=weights_lists)
def test_largest_remainder_properties(total: int, weights: list[float]) -> None:
    parts = largest_remainder(total, weights)
    assert sum(parts) == total  # the total holds exactly
    whole = sum(Fraction(w) for w in weights)
    for part, weight in zip(parts, weights, strict=True):
        quota = total * Fraction(weight) / whole
        assert abs(part - quota) < 1  # within 1 of the exact quota
        assert part >= 0
    assert largest_remainder(total, list(weights)) == parts  # deterministic
    for i, wi in enumerate(weights):  # a larger weight never gets fewer items
        for j, wj in enumerate(weights):
            if wi > wj:
                assert parts[i] >= parts[j]
    if all(w == weights[0] for w in weights):
        assert max(parts) - min(parts) <= 1


@given(
    total=st.integers(min_value=0, max_value=10**5),
    weights=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(any),
    scale=st.integers(min_value=1, max_value=1000),
)
def test_largest_remainder_depends_only_on_proportions(
    total: int, weights: list[int], scale: int
) -> None:
    assert largest_remainder(total, [w * scale for w in weights]) == largest_remainder(
        total, weights
    )


# --- sums at every level --------------------------------------------------------------------


def check_sums(result: Any) -> None:
    """Before capping: Σ = size; each level's sum is the level above's rounded value, each
    within 1 of its exact quota."""
    cells = result.cells
    size = result.size.opening_stock
    assert cells["uncapped"].sum() == size
    audience = cells.groupby("profile_audience", sort=False)["uncapped"].sum()
    shares = cells.groupby("profile_audience", sort=False)["audience_share"].first()
    for name, value in audience.items():
        assert abs(value - size * shares[name] / shares.sum()) < 1
    category = cells.groupby(["profile_audience", "category"], sort=False)
    for (name, _), group in category:
        cat_shares = (
            cells[cells.profile_audience == name].groupby("category")["category_share"].first()
        )
        quota = audience[name] * group["category_share"].iloc[0] / cat_shares.sum()
        assert abs(group["uncapped"].sum() - quota) < 1
        languages = group["language_share"]
        for value, share in zip(group["uncapped"], languages, strict=True):
            assert abs(value - group["uncapped"].sum() * share / languages.sum()) < 1


def test_demo_targets_without_premises() -> None:
    result = compute_targets(load_profile(DEMO / "profile.toml"))
    assert result.ok and result.problems == ()
    assert result.size is not None and result.size.opening_stock == 7907
    check_sums(result)
    assert result.targets["target"].sum() == 7907
    assert result.zones == {}


def test_demo_targets_with_the_demo_premises() -> None:
    """Al Ram, official population: 7,907 items, every zone holds its cells (README figures)."""
    result = compute_targets(
        load_profile(DEMO / "profile.toml"), load_premises(DEMO / "premises.toml")
    )
    assert [p for p in result.problems if p.severity == "error"] == []
    assert result.problems == ()
    targets = result.targets
    assert tuple(targets.columns) == TARGET_COLUMNS
    assert tuple(result.cells.columns) == CELL_COLUMNS
    assert str(targets["target"].dtype) == "int64" and str(targets["weight"].dtype) == "float64"
    assert not targets.duplicated(["audience", "category", "language"]).any()
    assert (targets["target"] >= 0).all()
    zero = targets[targets["target"] == 0]  # rounded to 0, kept so that pins can go there
    assert len(zero) > 0 and set(zero["category"]) <= {f"nonfiction_{d}xx" for d in "0123456789"}
    cells = result.cells
    assert not set(cells.loc[cells.raw_share == 0, "category"]) & set(targets["category"])
    assert set(targets["audience"]) == set(AUDIENCES)  # students are filled by adults' books
    assert targets["target"].sum() == 7907
    by_audience = targets.groupby("audience")["target"].sum().to_dict()
    assert by_audience == {"early": 1107, "children": 1660, "teens": 791, "adults": 4349}
    capacity = result.capacity.set_index("zone")
    assert capacity["target"].to_dict() == {
        "early_childhood": 1107,
        "language_lab": 372,
        "reference_study": 375,
        "children": 1627,
        "teens": 713,
        "adults": 3713,
    }
    assert capacity["capacity_items"].map(math.floor).to_dict() == {
        "early_childhood": 1187,
        "language_lab": 472,
        "reference_study": 443,
        "children": 1856,
        "teens": 922,
        "adults": 4270,
    }
    assert (capacity["target"] <= capacity["capacity_items"]).all()
    assert not result.cells["cap_applied"].any()
    check_sums(result)


def test_demo_zones_have_the_constraints_shape_and_match_the_cells() -> None:
    premises = load_premises(DEMO / "premises.toml")
    result = compute_targets(load_profile(DEMO / "profile.toml"), premises)
    assert list(result.zones) == [z.name for z in premises.zones]
    for zone in result.zones.values():
        assert set(zone) == {"capacity_cm", "audiences", "categories"}
        assert isinstance(zone["capacity_cm"], float) and zone["capacity_cm"] > 0
        assert all(isinstance(a, str) for a in zone["audiences"])
        assert isinstance(zone["categories"], list)
    # the planner's rule, applied to the mapping, gives every cell the zone targets() gave it
    for row in result.cells.itertuples():
        first = next(
            name
            for name, zone in result.zones.items()
            if row.audience in zone["audiences"]
            and (not zone["categories"] or row.category in zone["categories"])
        )
        assert row.zone == first
    assert result.zones["reference_study"]["categories"] == ["reference"]


def test_demo_at_the_de_facto_population_is_capped_far_below() -> None:
    """60,000 inhabitants ask for 30,000 items; the illustrative premises hold about 9,150."""
    profile = with_served_population(load_profile(DEMO / "profile.toml"), "de_facto")
    result = compute_targets(profile, load_premises(DEMO / "premises.toml"))
    assert result.ok and result.size is not None and result.size.opening_stock == 30000
    assert len(result.problems) == 6  # every zone
    for problem in result.problems:
        assert problem.severity == "warning"
        assert "do not match" in problem.message and "served population" in problem.message
        assert str(problem.field).startswith("zones.")
        assert str(problem.field).endswith(".furniture")
    capacity = result.capacity
    assert (capacity["target"] == capacity["capacity_items"].map(math.floor)).all()
    assert result.targets["target"].sum() == capacity["target"].sum() == 9150
    cells = result.cells
    assert (cells["target"] <= cells["uncapped"]).all()
    assert cells["uncapped"].sum() == 30000
    check_sums(result)


def test_students_add_to_the_adults_cells() -> None:
    result = compute_targets(load_profile(DEMO / "profile.toml"))
    cells = result.cells
    students = cells[cells.profile_audience == "students"]
    assert set(students["audience"]) == {"adults"}
    adults_reference = cells[(cells.audience == "adults") & (cells.category == "reference")]
    merged = result.targets.query("audience == 'adults' and category == 'reference'")
    assert merged["target"].sum() == adults_reference["target"].sum()
    assert set(adults_reference["profile_audience"]) == {"students", "adults"}


# --- capping and zone problems --------------------------------------------------------------

TEN_THOUSAND = {"population": {"served": 10000}}  # 5,000 items, reference shares


def test_a_zone_slightly_short_is_scaled_down_with_the_fix(data_dir: Path) -> None:
    premises = load_premises(data_dir / "premises_capacity_slightly_short.toml")
    result = compute_targets(load_profile(TEN_THOUSAND), premises)
    (problem,) = result.problems
    capacity = result.capacity.set_index("zone")
    room = math.floor(capacity["capacity_items"].to_dict()["children"])
    demand = int(capacity["uncapped"].to_dict()["children"])
    assert room < demand and room >= demand / 2
    assert problem.field == "zones.children.furniture"
    for words in (
        f"holds {room:,} items",
        f"ask for {demand:,}",
        "add about",
        "double-faced bay",
        "beyond 75 % is not a fix",
    ):
        assert words in problem.message
    children = result.cells[result.cells.zone == "children"]
    assert children["target"].sum() == room
    assert children["cap_applied"].any()
    rest = result.cells[result.cells.zone == "rest"]
    assert (rest["target"] == rest["uncapped"]).all() and not rest["cap_applied"].any()


def test_capacity_far_below_the_target_is_its_own_message(data_dir: Path) -> None:
    premises = load_premises(data_dir / "premises_capacity_far_below.toml")
    result = compute_targets(load_profile(TEN_THOUSAND), premises)
    (problem,) = result.problems
    assert "do not match" in problem.message and "scaled down" in problem.message
    assert "beyond 75 %" not in problem.message
    assert result.targets["target"].sum() == math.floor(result.capacity["capacity_items"].iloc[0])


def test_a_category_with_no_zone_is_reported_and_left_uncapped(data_dir: Path) -> None:
    premises = load_premises(data_dir / "premises_category_without_zone.toml")
    result = compute_targets(load_profile(TEN_THOUSAND), premises)
    (problem,) = result.problems
    assert problem.severity == "warning" and problem.field == "zones"
    for category in ("comics", "reference", "poetry"):
        assert category in problem.message
    assert "fiction," not in problem.message.split("categories ")[1].split(", so")[0]
    orphans = result.cells[result.cells.zone.isna()]
    assert set(orphans["audience"]) == {"adults"}
    assert result.targets["target"].sum() == 5000  # nothing capped


def test_errors_stop_the_computation(data_dir: Path) -> None:
    result = compute_targets(load_profile(data_dir / "profile_audience_shares_sum_99.toml"))
    assert not result.ok and result.size is None
    assert result.targets.empty and tuple(result.targets.columns) == TARGET_COLUMNS
    assert result.cells.empty and result.zones == {}
    assert [p.field for p in result.problems] == ["audiences"]


def test_premises_errors_stop_it_too(data_dir: Path) -> None:
    premises = load_premises(data_dir / "premises_students_zone_and_bad_furniture.toml")
    result = compute_targets(load_profile(TEN_THOUSAND), premises)
    assert not result.ok and result.targets.empty


def test_missing_language_split_takes_the_default(data_dir: Path) -> None:
    result = compute_targets(load_profile(data_dir / "profile_without_language_split.toml"))
    cells = result.cells
    assert set(cells["language_source"]) == {"default"}
    split = cells.groupby("language")["language_share"].first().to_dict()
    assert split == {"ara": 60.0, "fre": 20.0, "eng": 20.0}
    totals = result.targets.groupby("language")["target"].sum()
    assert totals["ara"] > totals["fre"] and totals["ara"] > totals["eng"]


def test_the_most_specific_priority_is_the_weight() -> None:
    profile = load_profile(
        {
            "population": {"served": 10000},
            "audiences": {
                "children": {
                    "share": 50,
                    "priority": 2,
                    "categories": {"fiction": 50, "comics": {"share": 50, "priority": 5}},
                },
                "adults": {"share": 40, "categories": {"fiction": 100}},
                "students": {
                    "share": 10,
                    "priority": 4,
                    "candidates_from": "adults",
                    "categories": {"fiction": 100},
                },
            },
        }
    )
    targets = compute_targets(profile).targets.set_index(["audience", "category", "language"])
    assert targets.loc[("children", "fiction", "ara"), "weight"] == 2.0
    assert targets.loc[("children", "comics", "ara"), "weight"] == 5.0
    # adults' fiction: 1,200 items of weight 1 and 300 of weight 4 → mean 1.6
    assert targets.loc[("adults", "fiction", "ara"), "weight"] == pytest.approx(
        (1200 * 1 + 300 * 4) / 1500
    )


# --- templates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("served", "size"), [(None, 5000), (15814, 7907), (60000, 30000), (3000, 2500)]
)
def test_generic_template_sizes(served: int | None, size: int) -> None:
    profile = load_profile(GENERIC_PROFILE)
    if served is not None:
        profile = with_served_population(profile, served)
    result = compute_targets(profile)
    assert result.ok and result.problems == ()
    assert result.targets["target"].sum() == size
    check_sums(result)


def test_targets_are_deterministic() -> None:
    profile, premises = load_profile(DEMO / "profile.toml"), load_premises(DEMO / "premises.toml")
    first, second = compute_targets(profile, premises), compute_targets(profile, premises)
    pd.testing.assert_frame_equal(first.targets, second.targets)
    pd.testing.assert_frame_equal(first.cells, second.cells)


# --- property: random profiles --------------------------------------------------------------

CATEGORY_NAMES = ["fiction", "comics", "reference", "nonfiction", "picture_books", "tales"]


@st.composite
def profiles(draw: st.DrawFn) -> dict[str, Any]:
    """Profiles whose shares sum to 100 at every level (integers, so exactly)."""

    def split(keys: list[str]) -> dict[str, float]:
        cuts = sorted(
            draw(st.lists(st.integers(0, 100), min_size=len(keys) - 1, max_size=len(keys) - 1))
        )
        bounds = [0, *cuts, 100]
        return {k: float(bounds[i + 1] - bounds[i]) for i, k in enumerate(keys)}

    audiences = draw(st.lists(st.sampled_from(AUDIENCES), min_size=1, max_size=4, unique=True))
    out: dict[str, Any] = {}
    for audience, share in split(audiences).items():
        categories = draw(
            st.lists(st.sampled_from(CATEGORY_NAMES), min_size=1, max_size=4, unique=True)
        )
        entry: dict[str, Any] = {"share": share, "categories": split(categories)}
        if draw(st.booleans()):
            entry["languages"] = split(["ara", "fre", "eng"])
        out[audience] = entry
    return {"population": {"served": draw(st.integers(1, 200000))}, "audiences": out}


@given(data=profiles())
def test_totals_hold_at_every_level_for_any_profile(data: dict[str, Any]) -> None:
    result = compute_targets(load_profile(data))
    assert result.ok and result.size is not None
    check_sums(result)
    assert result.targets["target"].sum() == result.size.opening_stock
    assert (result.cells["target"] == result.cells["uncapped"]).all()
