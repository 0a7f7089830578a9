"""Premises: loading, validation, the first-zone rule and zone capacity (fundplanner.premises)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundplanner.errors import FundplannerError, ReferenceDataError, Severity
from fundplanner.physical import books_per_metre
from fundplanner.premises import (
    CAPACITY_COLUMNS,
    PremisesError,
    compile_shelving,
    load_premises,
    load_shelving,
    validate_premises,
    zone_capacity,
)
from fundplanner.reference import load_toml

REPO = Path(__file__).resolve().parents[1]
DEMO_PREMISES = REPO / "data" / "demo" / "premises.toml"


def one_zone(zone: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"name": "test", **top, "zones": {"z": {"audiences": ["adults"], **zone}}}


# --- capacity arithmetic --------------------------------------------------------------------

FICTION = {("adults", "fiction"): 1.0}  # adult fiction: 30 per metre (physical.toml)


@pytest.mark.parametrize(
    ("premises", "shelf_length_cm", "capacity_cm", "capacity_items"),
    [
        # 2 bays × 5 shelves × 90 cm = 900 cm; × 0.70 = 630 cm; 30/m → 189 items
        (one_zone({"furniture": [{"bays": 2, "shelves": 5, "shelf_cm": 90}]}), 900, 630, 189),
        # double-faced: twice the shelves
        (one_zone({"furniture": [{"bays": 2, "faces": 2, "shelves": 5}]}), 1800, 1260, 378),
        # shelves default to 5 for adults, shelf length to the premises' 100 cm
        (one_zone({"furniture": [{"bays": 2}]}, shelf_cm=100), 1000, 700, 210),
        # fill ratio of the premises, then of the zone
        (one_zone({"furniture": [{"bays": 2}]}, fill_ratio=0.5), 900, 450, 135),
        (
            one_zone({"furniture": [{"bays": 2}], "fill_ratio": 0.75}, fill_ratio=0.5),
            900,
            675,
            202.5,
        ),
        # books per metre overridden by the premises, then by the zone
        (one_zone({"furniture": [{"bays": 2}]}, books_per_metre={"fiction": 50}), 900, 630, 315),
        (
            one_zone(
                {"furniture": [{"bays": 2}], "books_per_metre": {"fiction.adults": 40}},
                books_per_metre={"fiction": 50},
            ),
            900,
            630,
            252,
        ),
        # 3 bins × 200 albums at 0.70 = 420 items; their shelf equivalent 600 × 100/70 cm × 0.70
        (one_zone({"furniture": [{"bins": 3}]}), 0, 600, 420),
        (one_zone({"furniture": [{"bins": 1, "holds": "first_readers"}]}), 0, 0.7 * 400 * 2.5, 280),
        (one_zone({"furniture": [{"bins": 2, "items_per_bin": 150}]}), 0, 300, 210),
        (one_zone({"furniture": []}), 0, 0, 0),
    ],
)
def test_zone_capacity(
    premises: dict[str, Any], shelf_length_cm: float, capacity_cm: float, capacity_items: float
) -> None:
    (row,) = zone_capacity(load_premises(premises), FICTION).to_dict("records")
    assert row["shelf_length_cm"] == pytest.approx(shelf_length_cm)
    assert row["capacity_cm"] == pytest.approx(capacity_cm, abs=0.05)
    assert row["capacity_items"] == pytest.approx(capacity_items, abs=0.005)


@pytest.mark.parametrize(
    ("audiences", "shelves"),
    [(["early"], 3), (["children"], 4), (["children", "teens"], 4), (["teens", "adults"], 5)],
)
def test_default_shelves_per_bay_follow_the_youngest_audience(
    audiences: list[str], shelves: int
) -> None:
    premises = load_premises(one_zone({"audiences": audiences, "furniture": [{"bays": 1}]}))
    assert zone_capacity(premises)["shelf_length_cm"].iloc[0] == shelves * 90


def test_the_mix_sets_the_items_a_zone_holds() -> None:
    """Picture books (70/m) and adult non-fiction (30/m) half and half: mean width
    (100/70 + 100/30) / 2 cm."""
    premises = load_premises(
        one_zone({"audiences": ["early", "adults"], "furniture": [{"bays": 10, "shelves": 5}]})
    )
    mix = {("early", "picture_books"): 1.0, ("adults", "nonfiction_5xx"): 1.0}
    row = zone_capacity(premises, mix).iloc[0]
    width = (100 / 70 + 100 / 30) / 2
    assert row["cm_per_item"] == pytest.approx(width, abs=1e-4)
    assert row["capacity_items"] == pytest.approx(0.7 * 4500 / width, abs=0.01)


def test_without_a_mix_a_zone_uses_the_reference_shares_of_its_audiences() -> None:
    early = load_premises(one_zone({"audiences": ["early"], "furniture": [{"bays": 1}]}))
    adults = load_premises(one_zone({"audiences": ["adults"], "furniture": [{"bays": 1}]}))
    assert (
        zone_capacity(early)["cm_per_item"].iloc[0] < zone_capacity(adults)["cm_per_item"].iloc[0]
    )
    listed = load_premises(
        one_zone({"categories": ["reference"], "furniture": [{"bays": 1, "shelves": 5}]})
    )
    assert zone_capacity(listed)["cm_per_item"].iloc[0] == pytest.approx(
        100 / books_per_metre("reference", "adults"), abs=1e-4
    )


@given(
    bays=st.integers(min_value=1, max_value=50),
    more=st.integers(min_value=0, max_value=50),
    fill=st.floats(min_value=0.05, max_value=1.0),
    bins=st.integers(min_value=0, max_value=10),
)
def test_capacity_grows_with_furniture_and_is_proportional_to_the_fill_ratio(
    bays: int, more: int, fill: float, bins: int
) -> None:
    def capacity(n: int, ratio: float) -> tuple[float, float]:
        furniture: list[dict[str, Any]] = [{"bays": n, "faces": 2}]
        if bins:
            furniture.append({"bins": bins})
        premises = load_premises(one_zone({"furniture": furniture}, fill_ratio=ratio))
        row = zone_capacity(premises).iloc[0]
        return float(row["capacity_cm"]), float(row["capacity_items"])

    small, large = capacity(bays, fill), capacity(bays + more, fill)
    assert large[0] >= small[0] and large[1] >= small[1]
    full = capacity(bays, 1.0)
    assert small[0] == pytest.approx(full[0] * fill, abs=0.1)
    assert small[1] == pytest.approx(full[1] * fill, abs=0.01)


# --- the demo floor plan --------------------------------------------------------------------

#: Measured on the demo premises, each zone with the reference mix of its audiences (README).
DEMO_CAPACITY = {
    "early_childhood": (1767.0, 1168.47),
    "language_lab": (1575.0, 472.50),
    "reference_study": (2016.0, 443.52),
    "children": (4432.0, 1788.49),
    "teens": (2520.0, 901.71),
    "adults": (13860.0, 4191.34),
}


def test_demo_premises_capacity() -> None:
    premises = load_premises(DEMO_PREMISES)
    assert validate_premises(premises) == []
    table = zone_capacity(premises)
    assert tuple(table.columns) == CAPACITY_COLUMNS
    measured = {r.zone: (r.capacity_cm, r.capacity_items) for r in table.itertuples()}
    assert measured == DEMO_CAPACITY  # rounded to 0.1 cm and 0.01 item by zone_capacity
    assert 8000 < table["capacity_items"].sum() < 10000  # about 30 documents per m² on ~300 m²
    assert (table["fill_ratio"] == 0.70).all()
    assert table.loc[table.zone == "early_childhood", "bins"].iloc[0] == 6


def test_demo_premises_round_trip_through_json() -> None:
    premises = load_premises(DEMO_PREMISES)
    assert load_premises(json.loads(json.dumps(premises.to_mapping()))) == premises
    assert [z.name for z in premises.zones] == list(DEMO_CAPACITY)


@pytest.mark.parametrize(
    ("audience", "category", "zone"),
    [
        ("early", "picture_books", "early_childhood"),
        ("early", "nonfiction_5xx", "early_childhood"),
        ("children", "language_learning", "language_lab"),
        ("children", "reference", "children"),  # reference_study holds teens and adults only
        ("teens", "reference", "reference_study"),
        ("adults", "language_learning", "language_lab"),
        ("adults", "nonfiction_9xx", "adults"),
        ("adults", "fiction", "adults"),
    ],
)
def test_a_cell_goes_to_the_first_zone_that_holds_it(
    audience: str, category: str, zone: str
) -> None:
    found = load_premises(DEMO_PREMISES).zone_of(audience, category)
    assert found is not None and found.name == zone


def test_a_cell_no_zone_holds_has_none() -> None:
    premises = load_premises(one_zone({"categories": ["fiction", "nonfiction"]}))
    assert premises.zone_of("adults", "comics") is None
    assert premises.zone_of("children", "fiction") is None
    assert premises.zone_of("adults", "nonfiction_3xx") is not None


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("premises_fill_ratio_too_high.toml", [("fill_ratio", "warning", "70–75 %")]),
        (
            "premises_students_zone_and_bad_furniture.toml",
            [
                ("zones.study.audiences", "error", "shelved with the audience its books come from"),
                ("zones.study.furniture[1].bays", "error", "positive"),
                ("zones.study.furniture[1].shelf_cm", "warning", "ONE shelf"),
                ("zones.study.furniture[1].faces", "error", "not 3"),
            ],
        ),
        (
            "premises_zone_shadowed.toml",
            [
                ("zones.comics", "warning", "never receives a cell"),
                ("zones.empty.furniture", "warning", "no furniture"),
            ],
        ),
        ("premises_capacity_far_below.toml", []),
        ("premises_category_without_zone.toml", []),
    ],
)
def test_validation_of_each_fixture(
    data_dir: Path, fixture: str, expected: list[tuple[str, str, str]]
) -> None:
    found = validate_premises(load_premises(data_dir / fixture))
    assert [(p.field, p.severity.value) for p in found] == [(f, s) for f, s, _ in expected]
    for problem, (_, _, words) in zip(found, expected, strict=True):
        assert words in problem.message
        assert problem.file == fixture


@pytest.mark.parametrize(
    ("premises", "field", "severity"),
    [
        (one_zone({"furniture": [{"bays": 1}]}, fill_ratio=0), "fill_ratio", "error"),
        (one_zone({"furniture": [{"bays": 1}]}, fill_ratio=1.2), "fill_ratio", "error"),
        (
            one_zone({"furniture": [{"bays": 1}], "fill_ratio": 0.8}),
            "zones.z.fill_ratio",
            "warning",
        ),
        (one_zone({"furniture": [{"bays": 1}]}, shelf_cm=-90), "shelf_cm", "error"),
        (one_zone({"audiences": [], "furniture": [{"bays": 1}]}), "zones.z.audiences", "error"),
        (
            one_zone({"categories": ["fictoin"], "furniture": [{"bays": 1}]}),
            "zones.z.categories",
            "error",
        ),
        (
            one_zone({"furniture": [{"bins": 1, "holds": "albums"}]}),
            "zones.z.furniture[1].holds",
            "error",
        ),
        (one_zone({"furniture": [{"bins": 0}]}), "zones.z.furniture[1].bins", "error"),
        (
            one_zone({"furniture": [{"bays": 1, "shelves": 0}]}),
            "zones.z.furniture[1].shelves",
            "error",
        ),
        (
            one_zone({"furniture": [{"bays": 1}]}, books_per_metre={"fiction.students": 30}),
            "books_per_metre.fiction.students",
            "error",
        ),
        (
            one_zone({"furniture": [{"bays": 1}], "books_per_metre": {"comics": -5}}),
            "zones.z.books_per_metre.comics",
            "error",
        ),
    ],
)
def test_value_problems(premises: dict[str, Any], field: str, severity: str) -> None:
    found = validate_premises(load_premises(premises))
    assert [(p.field, p.severity.value) for p in found] == [(field, severity)]
    assert found[0].message.endswith((".", ")"))


def test_the_reference_fill_ratio_passes() -> None:
    premises = load_premises(one_zone({"furniture": [{"bays": 1}]}, fill_ratio=0.75))
    assert validate_premises(premises) == []
    assert not any(p.severity == Severity.ERROR for p in validate_premises(premises))


# --- structure ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"name": "x"}, "no zones"),
        ({"zones": []}, "zones = []"),
        ({"zones": {"z": {"audiences": "adults"}}}, "zones.z.audiences"),
        (
            {"zones": {"z": {"audiences": ["adults"], "furniture": {"bays": 2}}}},
            "zones.z.furniture",
        ),
        (
            {"zones": {"z": {"audiences": ["adults"], "furniture": [{"bays": 2, "bins": 1}]}}},
            "zones.z.furniture[1] must give either bays",
        ),
        (
            {"zones": {"z": {"audiences": ["adults"], "furniture": [{"shelves": 2}]}}},
            "not both or neither",
        ),
        ({"zones": {"z": {"audiences": ["adults"], "furniture": [{"bays": 2.5}]}}}, "whole number"),
        ({"zones": {"z": {"audiences": ["adults"], "furnture": []}}}, "'furniture'"),
        ({"zones": {"z": {"audiences": ["adults"]}}, "fil_ratio": 0.7}, "'fill_ratio'"),
    ],
)
def test_a_wrong_shape_raises_naming_the_key(data: dict[str, Any], words: str) -> None:
    with pytest.raises(PremisesError) as caught:
        load_premises(data, source="plan.toml")
    assert isinstance(caught.value, FundplannerError)
    assert words in str(caught.value)


def test_unreadable_premises_file_raises(tmp_path: Path) -> None:
    with pytest.raises(PremisesError, match="cannot read the premises file"):
        load_premises(tmp_path / "nope.toml")


# --- the reference table --------------------------------------------------------------------


def test_shelving_figures_and_their_sources() -> None:
    shelving = load_shelving()
    assert (shelving.fill_ratio, shelving.shelf_cm, shelving.warn_above) == (0.70, 90.0, 0.75)
    assert dict(shelving.shelves_per_bay) == {"early": 3, "children": 4, "teens": 5, "adults": 5}
    assert (shelving.bin_items("picture_books"), shelving.bin_items("first_readers")) == (200, 400)
    assert shelving.bin_items("comics") == 200  # the default
    raw = load_toml("shelving.toml")
    for section in ("fill_ratio", "bay", "shelves_per_bay", "bins"):
        assert "norms.md §3" in raw[section]["source"]


@pytest.mark.parametrize(
    ("section", "change", "words"),
    [
        ("fill_ratio", {"opening": 0}, "opening"),
        ("bay", {"source": ""}, "source"),
        ("shelves_per_bay", {"teens": "five"}, "teens"),
        ("bins", {"default": None}, "default"),
    ],
)
def test_a_malformed_shelving_table_is_refused(
    section: str, change: dict[str, Any], words: str
) -> None:
    raw = {k: dict(v) for k, v in load_toml("shelving.toml").items()}
    raw[section] = {k: v for k, v in {**raw[section], **change}.items() if v is not None}
    with pytest.raises(ReferenceDataError, match=words):
        compile_shelving(raw)


def test_a_project_shelving_file_is_laid_over_the_packaged_one(tmp_path: Path) -> None:
    override = tmp_path / "shelving.toml"
    override.write_text("[fill_ratio]\nopening = 0.6\n", encoding="utf-8")
    shelving = load_shelving(override)
    assert (shelving.fill_ratio, shelving.shelf_cm) == (0.6, 90.0)
    premises = load_premises(one_zone({"furniture": [{"bays": 2}]}))
    assert zone_capacity(premises, FICTION, shelving)["capacity_cm"].iloc[0] == pytest.approx(540)
    assert math.isclose(zone_capacity(premises, FICTION)["capacity_cm"].iloc[0], 630)
