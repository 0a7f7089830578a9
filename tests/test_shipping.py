"""Shipping: the tables, carton packing, the cost of each mode, the plan and the customs data."""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundplanner import shipping
from fundplanner.errors import ReferenceDataError, UsageError
from fundplanner.reference import reference_path
from fundplanner.shipping import Carton, ShippingTables

TABLES = shipping.load_tables()
CARTON = TABLES.carton
MODES = shipping.mode_names()

# ------------------------------------------------------------------------------ populations

#: Book types as (weight kg, height cm, thickness cm, width / height), ranges from norms.md §4
#: "Weights and sizes": paperbacks 200-400 g, hardcovers 600 g-1 kg, textbooks 1-2.5 kg,
#: albums 300-500 g (~25 × 30 cm, ¼ in thick); pocket books and atlases at both ends.
BOOK_TYPES = {
    "paperback": ((0.2, 0.4), (17.0, 21.0), (1.2, 3.0), 0.65),
    "pocket": ((0.1, 0.25), (11.0, 18.0), (0.8, 2.5), 0.62),
    "hardcover": ((0.6, 1.0), (22.0, 27.0), (2.0, 4.5), 0.68),
    "album": ((0.3, 0.5), (22.0, 32.0), (0.5, 1.3), 0.85),
    "textbook": ((1.0, 2.5), (24.0, 30.0), (1.5, 4.0), 0.72),
    "atlas": ((1.5, 4.0), (30.0, 45.0), (1.5, 3.5), 0.75),
}


def population(seed: int, size: int, mix: tuple[int, ...], air: float = 1.0) -> pd.DataFrame:
    """``size`` books drawn from BOOK_TYPES in the proportions ``mix``; ``air`` inflates the
    volumes (covers that flare, jackets) to move the population across the carton's ratio."""
    rng = np.random.default_rng(seed)
    shares = np.array(mix, dtype=float) / sum(mix)
    kinds = rng.choice(len(BOOK_TYPES), size=size, p=shares)
    weight, volume = np.empty(size), np.empty(size)
    for index, (kg, height, thick, aspect) in enumerate(BOOK_TYPES.values()):
        mask = kinds == index
        count = int(mask.sum())
        h = rng.uniform(*height, count)
        weight[mask] = rng.uniform(*kg, count)
        volume[mask] = h * h * aspect * rng.uniform(*thick, count) / 1000 * air
    return pd.DataFrame(
        {"item_id": [f"b{i:05d}" for i in range(size)], "weight_kg": weight, "volume_l": volume}
    )


def lower_bound(books: pd.DataFrame, carton: Carton = CARTON) -> int:
    return shipping.carton_lower_bound(books["weight_kg"].sum(), books["volume_l"].sum(), carton)


def carton_totals(packed: pd.DataFrame) -> pd.DataFrame:
    return packed.groupby("carton_no")[["weight_kg", "volume_l"]].sum()


mixes = st.tuples(*[st.integers(0, 5) for _ in BOOK_TYPES]).filter(lambda m: sum(m) > 0)

# ------------------------------------------------------------------------------ tables


def test_the_packaged_tables_have_the_five_modes_and_sea_groupage_by_default() -> None:
    assert MODES == ("post_m_bag", "air", "sea_groupage", "container_20ft", "container_40ft")
    assert shipping.default_mode() == "sea_groupage"
    assert (CARTON.max_kg, CARTON.max_l) == (17.5, 31.5)
    assert TABLES.pallet.m3 == pytest.approx(1.8)
    assert TABLES.containers["container_40ft"].load_m3 == 56.0


def test_every_table_of_shipping_toml_names_its_source_in_norms_section_4() -> None:
    data = tomllib.loads(reference_path("shipping.toml").read_text(encoding="utf-8"))
    tables = [data["carton"], data["pallet"], data["planner"]]
    tables += [*data["containers"].values(), *data["modes"].values()]
    for table in tables:
        assert "norms.md §4" in table["source"], table


def test_a_project_file_is_laid_over_the_packaged_one_key_by_key(data_dir: Path) -> None:
    tables = shipping.load_tables(data_dir / "shipping_project_quote.toml")
    groupage = tables.modes["sea_groupage"]
    assert isinstance(groupage, shipping.GroupageMode)
    assert (groupage.rate_eur_per_m3, groupage.fixed_eur) == (95.0, 620.0)
    assert groupage.min_chargeable == 1.0 and groupage.palletised  # kept from the package
    assert tables.modes["air"] == TABLES.modes["air"]
    assert shipping.mode_names(tables)[-1] == "sea_groupage_loose"
    assert shipping.default_mode(tables) == "sea_groupage"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[modes.air]\nkind = "rail"\n', r"\[modes\.air\]: kind = 'rail'"),
        ("[modes.air]\nrate_eur_per_kg = -1\n", r"\[modes\.air\]: rate_eur_per_kg = -1"),
        ('[modes.air]\nrate_eur_per_kg = "3.5"\n', r"rate_eur_per_kg = '3\.5'; expected a num"),
        ('[modes.container_20ft]\ncontainer = "45ft"\n', r"container = '45ft' names no"),
        ('default = "camel"\n', r"default = 'camel'; name one of the modes"),
        ("[carton]\ntare_kg = 18.0\n", r"leaves no weight for books"),
        ("[carton]\nfill_ratio = 1.5\n", r"fill_ratio = 1\.5; expected a number > 0 and ≤ 1"),
        ("[pallet]\ncartons = 0\n", r"\[pallet\]: cartons = 0; expected a whole number"),
        ("[containers.container_20ft]\nload_m3 = 40.0\n", r"exceeds the container's volume"),
        ("[modes.auto]\n", r"may not be called 'auto'"),
    ],
)
def test_a_bad_project_file_names_the_file_the_table_and_the_fix(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad_shipping.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReferenceDataError, match=message) as caught:
        shipping.load_tables(path)
    assert "bad_shipping.toml" in str(caught.value)


# ------------------------------------------------------------------------------ books, cartons


@pytest.mark.parametrize(
    ("height", "thickness", "width", "litres"),
    [
        (23.0, 2.5, 15.0, 0.8625),  # norms.md §4: 15 × 23 × 2.5 cm ≈ 0.8-0.9 L
        (23.0, 2.5, None, 23 * 23 * 0.65 * 2.5 / 1000),  # width = height × 0.65
        (28.0, 0.8, 24.0, 0.5376),  # an album
    ],
)
def test_book_volume_is_the_bounding_box(
    height: float, thickness: float, width: float | None, litres: float
) -> None:
    assert shipping.book_volume_l(height, thickness, width) == pytest.approx(litres)


@pytest.mark.parametrize(
    "args", [(0.0, 2.0, None), (20.0, -1.0, None), (math.nan, 2.0, None), (20.0, 2.0, 0.0)]
)
def test_book_volume_refuses_lengths_that_are_not_positive(
    args: tuple[float, float, float | None],
) -> None:
    with pytest.raises(UsageError, match="book_volume_l"):
        shipping.book_volume_l(*args)


def books(weights: list[float], litres: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": [f"i{n:03d}" for n in range(len(weights))],
            "weight_kg": weights,
            "volume_l": litres,
        }
    )


@pytest.mark.parametrize(
    ("weights", "litres", "cartons"),
    [
        ([0.41] * 40, [0.8625] * 40, 2),  # 36 average books fill a carton's 31.5 L
        ([0.41] * 36, [0.8625] * 36, 1),
        ([2.0] * 10, [1.5] * 10, 2),  # 8 textbooks of 2 kg under 17.5 kg
        ([2.0] * 8, [1.5] * 8, 1),
        ([1.0] * 10 + [0.2] * 30, [0.6] * 10 + [0.9] * 30, 2),  # 16 kg, 33 L: both limits
        ([], [], 0),
    ],
)
def test_pack_cartons_examples(weights: list[float], litres: list[float], cartons: int) -> None:
    packed = shipping.pack_cartons(books(weights, litres), CARTON)
    assert packed["carton_no"].nunique() == cartons
    assert (packed["carton_no"].max() if len(packed) else 0) == cartons
    assert list(packed["item_id"]) == list(books(weights, litres)["item_id"])
    assert not packed["oversize"].any()


def test_a_book_beyond_a_cartons_limits_travels_alone_in_the_last_carton() -> None:
    items = books([0.4] * 10 + [19.0, 0.4], [0.8] * 10 + [12.0, 40.0])
    packed = shipping.pack_cartons(items.assign(title="x"), CARTON)
    assert list(packed.loc[packed["oversize"], "item_id"]) == ["i010", "i011"]
    assert sorted(packed.loc[packed["oversize"], "carton_no"]) == [2, 3]
    assert set(packed.loc[~packed["oversize"], "carton_no"]) == {1}
    assert "title" in packed.columns


def test_packing_does_not_depend_on_the_order_of_the_rows() -> None:
    items = population(3, 400, (2, 1, 1, 3, 1, 0))
    first = shipping.pack_cartons(items, CARTON).set_index("item_id")["carton_no"]
    shuffled = items.sample(frac=1.0, random_state=1)
    second = shipping.pack_cartons(shuffled, CARTON).set_index("item_id")["carton_no"]
    pd.testing.assert_series_equal(first.sort_index(), second.sort_index())


@pytest.mark.parametrize(
    "column, value", [("weight_kg", math.nan), ("volume_l", -1.0), ("weight_kg", "heavy")]
)
def test_pack_cartons_refuses_books_without_numbers(column: str, value: object) -> None:
    items = books([0.4, 0.5], [0.8, 0.9]).astype({column: object})
    items[column] = [items[column].iloc[0], value]
    with pytest.raises(UsageError, match="i001"):
        shipping.pack_cartons(items, CARTON)


def test_pack_cartons_names_missing_columns() -> None:
    with pytest.raises(UsageError, match="volume_l"):
        shipping.pack_cartons(pd.DataFrame({"item_id": ["a"], "weight_kg": [1.0]}), CARTON)


@settings(max_examples=60)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(100, 1500),
    mix=mixes,
    air=st.floats(1.0, 1.4),
)
def test_cartons_never_exceed_their_limits_and_stay_within_10_percent_of_the_bound(
    seed: int, size: int, mix: tuple[int, ...], air: float
) -> None:
    """Acceptance (issue 5): no carton over its weight or volume limit; the count within
    10 % of max(⌈Σkg / max_kg⌉, ⌈ΣL / max_L⌉). Below 10 cartons, 10 % is less than one
    carton: one carton over the bound is allowed there (the bound is often not reachable:
    3.99 cartons of books need 4 cartons 99.75 % full)."""
    items = population(seed, size, mix, air)
    packed = shipping.pack_cartons(items, CARTON)
    totals = carton_totals(packed)
    assert (totals["weight_kg"] <= CARTON.max_kg + 1e-9).all()
    assert (totals["volume_l"] <= CARTON.max_l + 1e-9).all()
    bound = lower_bound(items)
    assert len(totals) <= max(1.1 * bound, bound + 1)
    assert sorted(packed["carton_no"].unique()) == list(range(1, len(totals) + 1))


def test_the_worst_carton_ratio_over_fixed_populations() -> None:
    """A fixed sweep (seeded), the figure reported in the issue: worst count / bound ≤ 1.1
    wherever the bound is 10 cartons or more."""
    rng = np.random.default_rng(2026)
    worst = 1.0
    for _ in range(25):
        mix = tuple(int(v) for v in rng.choice([0, 0, 1, 2, 5], size=len(BOOK_TYPES)))
        mix = mix if sum(mix) else (1, 0, 0, 0, 0, 0)
        items = population(int(rng.integers(2**31)), int(rng.integers(400, 2000)), mix)
        bound = lower_bound(items)
        worst = max(worst, shipping.pack_cartons(items, CARTON)["carton_no"].max() / bound)
    assert worst <= 1.1


# ------------------------------------------------------------------------------ cost of a mode

#: 600 average books from France (norms.md §4: 0.41 kg, 15 × 23 × 2.5 cm): 246 kg, 517.5 L,
#: 17 cartons. Expected costs worked by hand from shipping.toml.
AL_RAM = (246.0, 0.5175, 17)


@pytest.mark.parametrize(
    ("mode", "cost", "units", "chargeable"),
    [
        ("post_m_bag", 9 * 9.0 + 2.7 * 246, 9, 246.0),  # 9 bags of ≤ 30 kg
        ("air", 150 + 3.5 * (246 + 17 * 0.5), 17, 254.5),  # actual weight > 167 × 0.714 m³
        ("sea_groupage", 550 + 105 * 1.8 + 15, 1, 1.8),  # 1 pallet of 1.8 m³ > 0.29 t
        ("container_20ft", 500 + 2000, 1, 1.0),
        ("container_40ft", 500 + 2600, 1, 1.0),
    ],
)
def test_al_ram_scale_costs_by_mode(mode: str, cost: float, units: int, chargeable: float) -> None:
    result = shipping.shipment_cost(mode, *AL_RAM)
    assert result.cost_eur == pytest.approx(cost)
    assert (result.units, result.chargeable, result.feasible) == (units, chargeable, True)
    assert sum(result.breakdown.values()) == pytest.approx(cost)


def test_more_m_bags_than_the_post_takes_is_infeasible() -> None:
    result = shipping.shipment_cost("post_m_bag", 601.0, 1.3, 40)
    assert (result.bags, result.feasible) == (21, False)
    assert "max_bags" in result.reason
    assert shipping.cheapest_shipment(601.0, 1.3, 40).mode == "sea_groupage"


def test_m_bags_are_counted_by_volume_too() -> None:
    assert shipping.shipment_cost("post_m_bag", 30.0, 0.1, 4).bags == 2  # 100 L > 69 L a bag


def test_air_charges_the_volumetric_weight_of_light_bulky_cartons() -> None:
    result = shipping.shipment_cost("air", 10.0, 0.2, 10)
    assert result.chargeable == pytest.approx(167 * 10 * 0.042, abs=1e-3)


def test_groupage_charges_weight_or_measure_whichever_is_higher() -> None:
    groupage = TABLES.modes["sea_groupage"]
    assert isinstance(groupage, shipping.GroupageMode)
    loose = dataclasses.replace(groupage, palletised=False)
    tables = dataclasses.replace(TABLES, modes={"loose": loose})
    by_measure = shipping.shipment_cost("loose", 300.0, 0.9, 30, tables)
    assert by_measure.chargeable == pytest.approx(30 * 0.042)
    by_weight = shipping.shipment_cost("loose", 1500.0, 0.9, 30, tables)  # 1.515 t > 1.26 m³
    assert by_weight.chargeable == pytest.approx(1.515)
    small = shipping.shipment_cost("loose", 5.0, 0.01, 1, tables)
    assert small.chargeable == 1.0  # the 1 W/M minimum


@pytest.mark.parametrize(
    ("cartons", "kg", "containers"),
    [(619, 9000.0, 1), (620, 9000.0, 2), (1300, 19000.0, 3)],  # 26 m³ = 619 cartons of 42 L
)
def test_containers_are_counted_by_recommended_load(
    cartons: int, kg: float, containers: int
) -> None:
    assert shipping.shipment_cost("container_20ft", kg, 1.0, cartons).containers == containers


def test_containers_are_counted_by_payload_too() -> None:
    mode = TABLES.modes["container_20ft"]
    assert isinstance(mode, shipping.ContainerMode)
    light = dataclasses.replace(
        mode, container=dataclasses.replace(mode.container, payload_kg=5000)
    )
    tables = dataclasses.replace(TABLES, modes={"light": light})
    assert shipping.shipment_cost("light", 9000.0, 10.0, 100, tables).containers == 2


def test_nothing_to_ship_costs_nothing_and_no_cartons_means_the_lower_bound() -> None:
    assert all(shipping.shipment_cost(m, 0.0, 0.0, 0).cost_eur == 0 for m in MODES)
    assert shipping.shipment_cost("air", 246.0, 0.5175).cartons == 17


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("camel", 1.0, 0.1, 1), "unknown shipping mode 'camel'; use one of post_m_bag"),
        (("air", -1.0, 0.1, 1), "kg = -1.0"),
        (("air", 1.0, math.inf, 1), "m3 = inf"),
        (("air", 1.0, 0.1, -2), "cartons = -2"),
        (("air", 1.0, 0.1, 1.5), "cartons = 1.5"),
    ],
)
def test_shipment_cost_refuses_bad_arguments(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        shipping.shipment_cost(*args)  # type: ignore[arg-type]


weights = st.floats(0.0, 60_000.0)


@given(
    kg=st.tuples(weights, weights).map(sorted),
    litres_per_kg=st.floats(0.5, 5.0),
    cartons=st.integers(0, 3000),
)
def test_cost_never_decreases_when_weight_grows(
    kg: list[float], litres_per_kg: float, cartons: int
) -> None:
    """For every mode and for the automatic choice; with the cartons given, or estimated
    from the weight and volume (then volume grows with weight)."""
    light, heavy = kg
    m3 = light * litres_per_kg / 1000
    for count, heavy_m3 in ((cartons, m3), (0, heavy * litres_per_kg / 1000)):
        for mode in MODES:
            before = shipping.shipment_cost(mode, light, m3, count)
            assert shipping.shipment_cost(mode, heavy, heavy_m3, count).cost_eur >= before.cost_eur
        before = shipping.cheapest_shipment(light, m3, count)
        assert shipping.cheapest_shipment(heavy, heavy_m3, count).cost_eur >= before.cost_eur


# ------------------------------------------------------------------------------ planner rates


@pytest.mark.parametrize(
    ("mode", "rate", "fixed"),
    [
        ("post_m_bag", 2.7 + 9 / 30, 0 + 9.0),
        ("air", 3.5 * (1 + 0.5 / 15.12), 150 + 3.5 * 167 * 0.042),
        ("sea_groupage", (105 * 1.8 + 15) / (24 * 15.12), 550 + 105 * 1.8 + 15),
        ("container_20ft", 2000 / (26 / 0.042 * 15.12), 500 + 2000),
        ("container_40ft", 2600 / (56 / 0.042 * 15.12), 500 + 2600),
    ],
)
def test_planner_rates_per_mode(mode: str, rate: float, fixed: float) -> None:
    """15.12 kg of books a carton: 31.5 L at 480 kg/m³ (norms.md §4), under 17.5 kg."""
    rates = shipping.planner_rates(mode)
    assert rates["rate_eur_per_kg"] == pytest.approx(rate, abs=1e-4)
    assert rates["fixed_eur"] == pytest.approx(fixed, abs=0.01)


@pytest.mark.parametrize("mode", MODES)
def test_planner_rates_bound_the_cost_from_above_within_one_carton(mode: str) -> None:
    """At 480 kg/m³, for every weight up to three 40 ft containers: the line over-estimates
    by no more than its extra fixed part (one unit), and never under-estimates by more than
    one carton of books (the carton count rounds up too)."""
    rates = shipping.planner_rates(mode)
    per_carton = 31.5 * 0.48
    slack = (
        rates["fixed_eur"] - TABLES.modes[mode].fixed_eur + rates["rate_eur_per_kg"] * per_carton
    )
    for kg in np.linspace(1.0, 60_000.0, 3001):
        litres = kg / 0.48
        cartons = shipping.carton_lower_bound(kg, litres, CARTON)
        cost = shipping.shipment_cost(mode, kg, litres / 1000, cartons).cost_eur
        line = rates["fixed_eur"] + rates["rate_eur_per_kg"] * kg
        assert cost <= line + rates["rate_eur_per_kg"] * per_carton + 0.01
        assert line - cost <= slack + 0.01


@pytest.mark.parametrize("mode", ["auto", "camel"])
def test_planner_rates_need_a_mode_of_the_table(mode: str) -> None:
    with pytest.raises(UsageError, match="unknown shipping mode"):
        shipping.planner_rates(mode)


# ------------------------------------------------------------------------------ the plan


def selection(size: int = 600, origin: str = "FR", seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "item_id": [f"{origin}{n:04d}" for n in range(size)],
            "origin": origin,
            "copies": 1,
            "weight_kg": 0.41,
            "height_cm": 23.0,
            "width_cm": 15.0,
            "thickness_cm": 2.5,
            "zone": rng.choice(["adults", "children", "teens"], size),
            "title": [f"Title {n}" for n in range(size)],
            "isbn13": "9782070360024",
            "acquisition": "donation",
            "price_eur": 0.0,
        }
    )


def test_al_ram_scale_plan_takes_the_cheapest_mode_and_shows_the_others() -> None:
    plan = shipping.plan_shipping(selection())
    row = plan.by_origin.iloc[0]
    assert (row["origin"], row["mode"], row["copies"], row["cartons"]) == (
        "FR",
        "post_m_bag",
        600,
        17,
    )
    assert row["cost_eur"] == pytest.approx(745.2) == plan.total_cost_eur
    assert row["cost_eur_sea_groupage"] == pytest.approx(754.0)
    assert row["cost_eur_air"] == pytest.approx(1040.75)
    assert row["cheapest_mode"] == "post_m_bag"


def test_one_mode_for_all_origins_and_another_for_one_origin() -> None:
    items = pd.concat([selection(300, "FR"), selection(100, "GB"), selection(50, "LB")])
    plan = shipping.plan_shipping(items, mode="sea_groupage", origin_modes={"GB": "air"})
    assert dict(zip(plan.by_origin["origin"], plan.by_origin["mode"], strict=True)) == {
        "FR": "sea_groupage",
        "GB": "air",
        "LB": "sea_groupage",
    }
    assert plan.total_cost_eur == pytest.approx(plan.by_origin["cost_eur"].sum())


def test_a_mode_that_cannot_take_the_consignment_is_reported_with_the_alternative() -> None:
    plan = shipping.plan_shipping(selection(2000), mode="post_m_bag")
    row = plan.by_origin.iloc[0]
    assert (row["mode"], row["feasible"]) == ("post_m_bag", False)
    assert math.isnan(row["cost_eur_post_m_bag"])
    assert any("NOT FEASIBLE" in m and row["cheapest_mode"] in m for m in plan.messages)


def test_local_purchases_ship_nothing() -> None:
    items = selection(40)
    items.loc[:9, "origin"] = ""
    plan = shipping.plan_shipping(items)
    assert plan.local_copies == 10
    assert plan.packing["copies"].sum() == 30
    assert not plan.packing["item_id"].isin(items.loc[:9, "item_id"]).any()
    assert any("bought locally" in m for m in plan.messages)


def test_only_local_purchases_give_an_empty_plan() -> None:
    plan = shipping.plan_shipping(selection(5).assign(origin=""))
    assert plan.by_origin.empty and plan.total_cost_eur == 0
    assert list(plan.cartons.columns[:3]) == ["origin", "carton_no", "copies"]
    assert list(plan.packing.columns[:3]) == ["origin", "carton_no", "item_id"]
    assert json.dumps(plan.summary())


def test_every_copy_is_packed_once_and_no_carton_is_over_its_limits() -> None:
    items = pd.concat([selection(250, "FR", 1), selection(80, "GB", 2)], ignore_index=True)
    items["copies"] = np.random.default_rng(4).integers(1, 4, len(items))
    items["weight_kg"] = np.random.default_rng(5).uniform(0.1, 2.0, len(items))
    plan = shipping.plan_shipping(items)
    packed = plan.packing.groupby("item_id")["copies"].sum()
    pd.testing.assert_series_equal(
        packed.sort_index(), items.set_index("item_id")["copies"].sort_index(), check_names=False
    )
    assert (plan.cartons["kg"] <= CARTON.max_kg + 1e-6).all()
    assert (plan.cartons["litres"] <= CARTON.max_l + 1e-6).all()
    totals = plan.cartons.groupby("origin")[["copies", "kg"]].sum()
    assert totals["copies"].to_dict() == plan.by_origin.set_index("origin")["copies"].to_dict()


@settings(max_examples=25)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(100, 1200), mix=mixes)
def test_cartons_hold_one_shelf_zone_but_for_a_few_pooled_ones(
    seed: int, size: int, mix: tuple[int, ...]
) -> None:
    """Zones packed apart, their last cartons pooled: fewer mixed cartons than zones, and
    at most one carton per zone beyond the bound of the whole consignment."""
    books_ = population(seed, size, mix)
    zones = ["adults", "children", "early", "teens"]
    items = books_.assign(
        origin="FR",
        copies=1,
        height_cm=20.0,
        width_cm=13.0,
        thickness_cm=books_["volume_l"] * 1000 / 260,
        zone=[zones[i % 4] for i in range(size)],
    )
    plan = shipping.plan_shipping(items)
    mixed = plan.cartons["zones"].str.contains(";")
    assert mixed.sum() < len(zones)
    bound = lower_bound(books_)
    assert len(plan.cartons) <= max(1.1 * bound, bound + 1) + len(zones) - 1
    single = plan.packing.merge(plan.cartons[~mixed], on=["origin", "carton_no"])
    assert (single["zone"] == single["zones"]).all()


def test_missing_sizes_are_estimated_from_physical_toml() -> None:
    items = selection(10).assign(weight_kg=np.nan, height_cm=None, thickness_cm="?")
    items = items.drop(columns="width_cm")
    plan = shipping.plan_shipping(items)
    assert plan.estimated_copies == 10
    assert any("estimated" in m for m in plan.messages)
    assert plan.by_origin.iloc[0]["kg"] == pytest.approx(10 * 0.4, rel=0.1)  # a 22 cm paperback


def test_picture_books_are_estimated_as_albums() -> None:
    items = selection(10).drop(columns=["weight_kg", "height_cm", "width_cm", "thickness_cm"])
    albums = shipping.plan_shipping(items.assign(category="picture_books"))
    novels = shipping.plan_shipping(items.assign(category="fiction"))
    assert albums.by_origin.iloc[0]["litres"] != novels.by_origin.iloc[0]["litres"]


def test_the_packing_list_carries_the_pass_through_columns() -> None:
    plan = shipping.plan_shipping(selection(50).assign(partner="Aulnay"))
    assert {"origin", "carton_no", "item_id", "title", "copies", "kg", "zone"} <= set(
        plan.packing.columns
    )
    assert {"isbn13", "partner", "price_eur", "acquisition"} <= set(plan.packing.columns)
    assert (plan.packing["partner"] == "Aulnay").all()


def test_the_plan_is_deterministic() -> None:
    items = pd.concat([selection(200, "FR", 1), selection(60, "GB", 2)], ignore_index=True)
    first = shipping.plan_shipping(items)
    second = shipping.plan_shipping(items.sample(frac=1.0, random_state=3))
    pd.testing.assert_frame_equal(first.by_origin, second.by_origin)
    pd.testing.assert_frame_equal(first.cartons, second.cartons)
    assert json.dumps(first.summary()) == json.dumps(second.summary())


@pytest.mark.parametrize(
    ("items", "kwargs", "message"),
    [
        (selection(3).drop(columns="origin"), {}, "lack the column"),
        (selection(3).assign(copies=-1), {}, "whole number of copies"),
        (selection(3).assign(copies=1.5), {}, "whole number of copies"),
        (selection(3), {"mode": "camel"}, "unknown shipping mode 'camel'"),
        (selection(3), {"origin_modes": {"FR": "ship"}}, "unknown shipping mode 'ship'"),
    ],
)
def test_plan_shipping_refuses_what_cannot_be_planned(
    items: pd.DataFrame, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        shipping.plan_shipping(items, **kwargs)  # type: ignore[arg-type]


def test_rows_with_no_copies_ship_nothing_and_are_counted() -> None:
    items = selection(5)
    items.loc[0, "copies"] = 0
    plan = shipping.plan_shipping(items)
    assert plan.by_origin.iloc[0]["copies"] == 4
    assert "1 row(s) with 0 copies" in plan.messages[0]


def test_a_project_table_changes_the_plan(data_dir: Path) -> None:
    tables = shipping.load_tables(data_dir / "shipping_project_quote.toml")
    plan = shipping.plan_shipping(selection(600), tables=tables)
    row = plan.by_origin.iloc[0]
    assert row["cost_eur_sea_groupage"] == pytest.approx(620 + 95 * 1.8 + 15)
    assert "cost_eur_sea_groupage_loose" in plan.by_origin.columns
    assert math.isnan(row["cost_eur_post_m_bag"])  # 9 bags > the project's 5


# ------------------------------------------------------------------------------ customs


def test_customs_statement_of_a_donation() -> None:
    items = pd.concat([selection(600, "FR"), selection(100, "GB")], ignore_index=True)
    plan = shipping.plan_shipping(items)
    statement = plan.customs_statement(
        consignor="Ville d'Aulnay-sous-Bois",
        consignee="Al Ram public library",
        declared_value_eur_per_kg=2.0,
        eur_per_usd=0.8,
    )
    assert statement["hs_code"] == "4901"
    assert statement["commercial_value"] == "No commercial value — donation"
    assert statement["declared_value_eur"] == pytest.approx(2.0 * 700 * 0.41)
    assert statement["declared_value_usd"] == pytest.approx(2.0 * 700 * 0.41 / 0.8)
    assert statement["origin_countries"] == ["FR", "GB"]
    assert [line["copies"] for line in statement["lines"]] == [600, 100]
    assert statement["gross_weight_kg"] == pytest.approx(plan.by_origin["gross_kg"].sum())
    assert statement["cartons"] == plan.by_origin["cartons"].sum()
    assert "deed of donation" in statement["documents"]
    assert statement["notes"] == []
    assert json.dumps(statement)


def test_customs_statement_values_purchases_at_their_price_and_asks_for_a_donation_value() -> None:
    items = selection(10)
    items["acquisition"] = ["purchase"] * 4 + ["donation"] * 6
    items["price_eur"] = [12.5] * 4 + [0.0] * 6
    statement = shipping.customs_statement(shipping.plan_shipping(items), donation=True)
    assert statement["declared_value_eur"] == pytest.approx(4 * 12.5)
    assert statement["declared_value_usd"] == pytest.approx(
        4 * 12.5 / 0.86, abs=0.01
    )  # reference rate
    assert "6 donated copies carry no value" in statement["notes"][0]


def test_customs_statement_of_a_purchase() -> None:
    items = selection(3).assign(acquisition="purchase", price_eur=[10.0, 20.0, math.nan])
    statement = shipping.customs_statement(shipping.plan_shipping(items), donation=False)
    assert statement["commercial_value"] is None
    assert statement["declared_value_eur"] == pytest.approx(30.0)
    assert "1 purchased copies have no price_eur" in statement["notes"][0]


def test_shipping_tables_are_frozen() -> None:
    assert isinstance(TABLES, ShippingTables)
    with pytest.raises(dataclasses.FrozenInstanceError):
        TABLES.default_mode = "air"  # type: ignore[misc]
