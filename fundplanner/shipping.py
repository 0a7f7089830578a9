"""Shipping: books into cartons, cartons onto pallets or into containers, and what it costs.

The figures live in ``fundplanner/reference/shipping.toml`` with their sources (norms.md §4
"Physical book statistics, shipping and customs"); a project lays its own file over it
(:func:`load_tables`). The steps, per origin (the partner's country a book ships from):

1. **Books**: one per copy, with its weight and its volume height × width × thickness
   (:func:`book_volume_l`); what a row lacks is estimated with ``fundplanner.physical``.
2. **Cartons** (:func:`pack_cartons`): first-fit decreasing under two limits, the books'
   weight (the 18 kg limit less the carton's tare) and the books' volume (75 % of the 42 L
   box), norms.md §4 "Cartons". Books are taken largest first in the binding dimension (the
   one whose total fills more cartons), weight-led and volume-led books interleaved so that
   each carton fills in both dimensions at once. :func:`plan_shipping` packs each shelf zone
   apart, so that a carton is unpacked onto one zone, and pools the zones' last, part-filled
   cartons.
3. **Cost per mode** (:func:`shipment_cost`): postal M bags (a base per bag plus a rate per
   kg, ≤ 30 kg a bag), air freight (rate × max(actual, 167 kg/m³ volumetric)), groupage (LCL,
   W/M: 1 m³ = 1 t, on pallets) and 20 or 40 ft containers (flat per container, counted by
   volume and by payload), each plus a fixed cost per consignment.
4. **Choice**: a mode given for all origins or per origin, or per origin the cheapest
   feasible one (:func:`plan_shipping`); :func:`planner_rates` gives the optimiser its linear
   fixed + per-kg approximation of a mode (DESIGN.md, "The planning model": ``f_o``, ``r_o``).
5. **Papers**: the packing list carton by carton and the pro-forma / donation statement for
   customs (:func:`customs_statement`, HS 4901, norms.md §4 "Customs"), as data for the
   exporters to write.

Local purchases (empty origin) ship nothing internationally. Everything here is pure:
DataFrames and frozen dataclasses in, DataFrames and frozen dataclasses out.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fundplanner import money, physical
from fundplanner.errors import ReferenceDataError, UsageError
from fundplanner.reference import load_toml

SHIPPING_TABLE = "shipping.toml"

#: ``mode`` value asking for the cheapest feasible mode of each origin.
AUTO = "auto"

#: Printed books, brochures, leaflets and similar printed matter (Harmonized System heading).
HS_BOOKS = "4901"

#: Documents donated goods bound for the Palestinian territories need (norms.md §4 "Customs":
#: globalhand.org, Logistics Cluster).
CUSTOMS_DOCUMENTS = (
    "bill of lading or air waybill",
    "pro-forma invoice",
    "packing list",
    "fumigation certificate",
    "deed of donation",
    "certificate of origin",
    "pre-shipment application to the PA Ministry of Economy (tax exemption of donations)",
)

#: Columns :func:`plan_shipping` computes; every other input column is passed through.
_OWN_COLUMNS = ("item_id", "origin", "copies", "weight_kg", "height_cm", "thickness_cm", "zone")

#: Columns of ``ShippingPlan.cartons``, and the first columns of ``ShippingPlan.packing``.
_CARTON_COLUMNS = (
    *("origin", "carton_no", "copies", "kg", "gross_kg", "litres", "fill_kg", "fill_l"),
    *("zones", "oversize"),
)
_PACKING_COLUMNS = ("origin", "carton_no", "item_id", "title", "copies", "kg", "zone", "weight_kg")

_EPS = 1e-9


# ---------------------------------------------------------------------------------------------
# Tables (shipping.toml)


@dataclass(frozen=True, slots=True)
class Carton:
    """The box books travel in. ``max_kg``/``max_l`` are what its books may weigh and occupy."""

    label: str
    volume_l: float  # nominal volume: what freight measures
    gross_max_kg: float  # carton and books together
    tare_kg: float
    fill_ratio: float  # share of the volume books may occupy (packing loss)

    @property
    def max_kg(self) -> float:
        """Books' weight a carton takes: the gross limit less the carton (norms.md §4)."""
        return self.gross_max_kg - self.tare_kg

    @property
    def max_l(self) -> float:
        """Books' volume a carton takes: its volume × the fill ratio (norms.md §4)."""
        return self.volume_l * self.fill_ratio

    @property
    def m3(self) -> float:
        return self.volume_l / 1000


@dataclass(frozen=True, slots=True)
class Pallet:
    label: str
    cartons: int
    max_kg: float  # cartons on it, gross
    length_m: float
    width_m: float
    height_m: float
    tare_kg: float
    price_eur: float

    @property
    def m3(self) -> float:
        return self.length_m * self.width_m * self.height_m


@dataclass(frozen=True, slots=True)
class Container:
    name: str
    label: str
    volume_m3: float
    payload_kg: float
    load_m3: float  # recommended load of loose cartons
    eur_pallets: int


@dataclass(frozen=True, slots=True)
class PostMode:
    """Postal M bags: ``fixed + per_bag × bags + rate × kg``, bags = ceil(kg / 30)."""

    kind: ClassVar[str] = "post"
    name: str
    label: str
    fixed_eur: float
    per_bag_eur: float
    rate_eur_per_kg: float
    bag_max_kg: float
    bag_max_l: float
    max_bags: int
    source: str


@dataclass(frozen=True, slots=True)
class AirMode:
    """Air freight: ``fixed + rate × max(actual kg, volumetric kg/m³ × m³)``."""

    kind: ClassVar[str] = "air"
    name: str
    label: str
    fixed_eur: float
    rate_eur_per_kg: float
    volumetric_kg_per_m3: float
    source: str


@dataclass(frozen=True, slots=True)
class GroupageMode:
    """Groupage (LCL): ``fixed + rate × max(m³, t / tonnes_per_m3, minimum)`` (+ pallets)."""

    kind: ClassVar[str] = "groupage"
    name: str
    label: str
    fixed_eur: float
    rate_eur_per_m3: float
    tonnes_per_m3: float
    min_chargeable: float
    palletised: bool
    source: str


@dataclass(frozen=True, slots=True)
class ContainerMode:
    """Full containers: ``fixed + per_container × containers``, counted by volume and payload."""

    kind: ClassVar[str] = "container"
    name: str
    label: str
    fixed_eur: float
    per_container_eur: float
    container: Container
    source: str


Mode = PostMode | AirMode | GroupageMode | ContainerMode


@dataclass(frozen=True)
class ShippingTables:
    """shipping.toml, checked (and a project's file laid over it)."""

    carton: Carton
    pallet: Pallet
    containers: Mapping[str, Container]
    modes: Mapping[str, Mode]
    default_mode: str
    book_density_kg_per_m3: float
    source: str


def _lay_over(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` laid over ``base`` table by table: a project changes only what it names."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _lay_over(merged[key], value)
        else:
            merged[key] = value
    return merged


class _Reader:
    """Typed, checked access to one table of shipping.toml; errors name the file and table."""

    def __init__(self, raw: Any, where: str, source: str) -> None:
        if not isinstance(raw, Mapping):
            raise ReferenceDataError(f"{source}: [{where}] is missing or is not a table.")
        self.raw, self.where, self.source = raw, where, source

    def _fail(self, key: str, expected: str) -> ReferenceDataError:
        value = self.raw.get(key)
        return ReferenceDataError(
            f"{self.source} [{self.where}]: {key} = {value!r}; expected {expected}."
        )

    def number(self, key: str, *, positive: bool = False, at_most: float | None = None) -> float:
        value = self.raw.get(key)
        expected = "a number > 0" if positive else "a number ≥ 0"
        if at_most is not None:
            expected += f" and ≤ {at_most:g}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(key, expected)
        number = float(value)
        if not math.isfinite(number) or number < 0 or (positive and number == 0):
            raise self._fail(key, expected)
        if at_most is not None and number > at_most:
            raise self._fail(key, expected)
        return number

    def whole(self, key: str) -> int:
        value = self.raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self._fail(key, "a whole number ≥ 1")
        return value

    def text(self, key: str, default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self._fail(key, "a non-empty text")
        return value

    def flag(self, key: str) -> bool:
        value = self.raw.get(key)
        if not isinstance(value, bool):
            raise self._fail(key, "true or false")
        return value


def _carton(raw: Any, source: str) -> Carton:
    read = _Reader(raw, "carton", source)
    carton = Carton(
        label=read.text("label"),
        volume_l=read.number("volume_l", positive=True),
        gross_max_kg=read.number("gross_max_kg", positive=True),
        tare_kg=read.number("tare_kg"),
        fill_ratio=read.number("fill_ratio", positive=True, at_most=1.0),
    )
    if carton.max_kg <= 0:
        raise ReferenceDataError(
            f"{source} [carton]: tare_kg {carton.tare_kg:g} leaves no weight for books under "
            f"gross_max_kg {carton.gross_max_kg:g}; lower the tare or raise the limit."
        )
    return carton


def _pallet(raw: Any, source: str) -> Pallet:
    read = _Reader(raw, "pallet", source)
    return Pallet(
        label=read.text("label"),
        cartons=read.whole("cartons"),
        max_kg=read.number("max_kg", positive=True),
        length_m=read.number("length_m", positive=True),
        width_m=read.number("width_m", positive=True),
        height_m=read.number("height_m", positive=True),
        tare_kg=read.number("tare_kg"),
        price_eur=read.number("price_eur"),
    )


def _container(name: str, raw: Any, source: str) -> Container:
    read = _Reader(raw, f"containers.{name}", source)
    container = Container(
        name=name,
        label=read.text("label"),
        volume_m3=read.number("volume_m3", positive=True),
        payload_kg=read.number("payload_kg", positive=True),
        load_m3=read.number("load_m3", positive=True),
        eur_pallets=read.whole("eur_pallets"),
    )
    if container.load_m3 > container.volume_m3:
        raise ReferenceDataError(
            f"{source} [containers.{name}]: load_m3 {container.load_m3:g} exceeds the "
            f"container's volume_m3 {container.volume_m3:g}."
        )
    return container


def _mode(name: str, raw: Any, containers: Mapping[str, Container], source: str) -> Mode:
    read = _Reader(raw, f"modes.{name}", source)
    kind = raw.get("kind") if isinstance(raw, Mapping) else None
    common: dict[str, Any] = {
        "name": name,
        "label": read.text("label"),
        "fixed_eur": read.number("fixed_eur"),
        "source": read.text("source"),
    }
    if kind == "post":
        return PostMode(
            per_bag_eur=read.number("per_bag_eur"),
            rate_eur_per_kg=read.number("rate_eur_per_kg"),
            bag_max_kg=read.number("bag_max_kg", positive=True),
            bag_max_l=read.number("bag_max_l", positive=True),
            max_bags=read.whole("max_bags"),
            **common,
        )
    if kind == "air":
        return AirMode(
            rate_eur_per_kg=read.number("rate_eur_per_kg"),
            volumetric_kg_per_m3=read.number("volumetric_kg_per_m3"),
            **common,
        )
    if kind == "groupage":
        return GroupageMode(
            rate_eur_per_m3=read.number("rate_eur_per_m3"),
            tonnes_per_m3=read.number("tonnes_per_m3", positive=True),
            min_chargeable=read.number("min_chargeable"),
            palletised=read.flag("palletised"),
            **common,
        )
    if kind == "container":
        container = read.text("container")
        if container not in containers:
            raise ReferenceDataError(
                f"{source} [modes.{name}]: container = {container!r} names no "
                f"[containers.*] table; use one of {', '.join(sorted(containers))}."
            )
        return ContainerMode(
            per_container_eur=read.number("per_container_eur"),
            container=containers[container],
            **common,
        )
    raise ReferenceDataError(
        f"{source} [modes.{name}]: kind = {kind!r}; expected post, air, groupage or container."
    )


def compile_tables(data: Mapping[str, Any], source: str = SHIPPING_TABLE) -> ShippingTables:
    """Check a shipping.toml mapping and build the tables. Raises :class:`ReferenceDataError`."""
    containers_raw = data.get("containers", {})
    modes_raw = data.get("modes", {})
    if not isinstance(containers_raw, Mapping) or not isinstance(modes_raw, Mapping):
        raise ReferenceDataError(f"{source}: [containers.*] and [modes.*] must be tables.")
    containers = {name: _container(name, raw, source) for name, raw in containers_raw.items()}
    if AUTO in modes_raw:
        raise ReferenceDataError(f"{source}: a mode may not be called {AUTO!r} (reserved).")
    modes = {name: _mode(name, raw, containers, source) for name, raw in modes_raw.items()}
    if not modes:
        raise ReferenceDataError(f"{source}: no [modes.*] table; at least one mode is needed.")
    default = data.get("default")
    if default not in modes:
        raise ReferenceDataError(
            f"{source}: default = {default!r}; name one of the modes: {', '.join(modes)}."
        )
    return ShippingTables(
        carton=_carton(data.get("carton"), source),
        pallet=_pallet(data.get("pallet"), source),
        containers=containers,
        modes=modes,
        default_mode=str(default),
        book_density_kg_per_m3=_Reader(data.get("planner"), "planner", source).number(
            "book_density_kg_per_m3", positive=True
        ),
        source=source,
    )


@functools.cache
def _packaged_tables() -> ShippingTables:
    return compile_tables(load_toml(SHIPPING_TABLE))


@functools.cache
def _override_tables(path: str) -> ShippingTables:
    merged = _lay_over(load_toml(SHIPPING_TABLE), load_toml(SHIPPING_TABLE, override=path))
    return compile_tables(merged, source=f"{SHIPPING_TABLE} + {path}")


def load_tables(override: str | PathLike[str] | None = None) -> ShippingTables:
    """The packaged shipping.toml, with a project's file (same shape, any subset) laid over it
    key by key. Raises :class:`ReferenceDataError` naming the file and the table at fault."""
    if override is None:
        return _packaged_tables()
    return _override_tables(str(Path(override).resolve()))


def tables_with(quotes: Mapping[str, Any] | None) -> ShippingTables:
    """The packaged tables with a project's own figures (``quotes``: a mapping of the
    shipping.toml shape, any subset — the carrier's quotes) laid over them key by key."""
    if not quotes:
        return _packaged_tables()
    merged = _lay_over(load_toml(SHIPPING_TABLE), quotes)
    return compile_tables(merged, source=f"{SHIPPING_TABLE} + the project's shipping figures")


def _tables(tables: ShippingTables | None) -> ShippingTables:
    return _packaged_tables() if tables is None else tables


def mode_names(tables: ShippingTables | None = None) -> tuple[str, ...]:
    """The shipping modes, in the table's order."""
    return tuple(_tables(tables).modes)


def default_mode(tables: ShippingTables | None = None) -> str:
    """The mode a plan uses when it names none (shipping.toml ``default``)."""
    return _tables(tables).default_mode


def _mode_named(name: str, tables: ShippingTables) -> Mode:
    try:
        return tables.modes[name]
    except KeyError:
        raise UsageError(
            f"unknown shipping mode {name!r}; use one of {', '.join(tables.modes)}."
        ) from None


# ---------------------------------------------------------------------------------------------
# Books and cartons


@functools.cache
def _default_aspect() -> float:
    return physical.load_figures().for_category(None).aspect


def book_volume_l(height_cm: float, thickness_cm: float, width_cm: float | None = None) -> float:
    """The volume of a book's bounding box, height × width × thickness, in litres.

    Without a width, the width is the height × 0.65, the default page aspect of physical.toml
    ([category.default] aspect: a crown octavo is about 20 × 13 cm, and norms.md §4 takes a book
    of 15 × 23 cm). A 23 cm book 2.5 cm thick: 0.86 L (norms.md §4: ≈ 0.8–0.9 L a book).
    """
    lengths = {"height_cm": height_cm, "thickness_cm": thickness_cm}
    if width_cm is not None:
        lengths["width_cm"] = width_cm
    for label, value in lengths.items():
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise UsageError(f"book_volume_l: {label} = {value!r}; give a length in cm > 0.")
    width = height_cm * _default_aspect() if width_cm is None else width_cm
    return height_cm * width * thickness_cm / 1000


def carton_lower_bound(kg: float, litres: float, carton: Carton) -> int:
    """No packing can use fewer cartons: max(⌈Σkg / max_kg⌉, ⌈ΣL / max_L⌉)."""
    return max(_ceil(kg / carton.max_kg), _ceil(litres / carton.max_l), 0)


def _ceil(value: float) -> int:
    """⌈value⌉, forgiving the rounding of sums of floats (60.000000001 kg is two 30 kg bags)."""
    return math.ceil(value - _EPS)


def _check_pack_input(items: pd.DataFrame) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    missing = [c for c in ("item_id", "weight_kg", "volume_l") if c not in items.columns]
    if missing:
        raise UsageError(
            f"pack_cartons: the items lack the column(s) {', '.join(missing)}; give one row "
            "per book with item_id, weight_kg and volume_l."
        )
    kg = pd.to_numeric(items["weight_kg"], errors="coerce").to_numpy(dtype=float)
    litres = pd.to_numeric(items["volume_l"], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(kg) & np.isfinite(litres) & (kg >= 0) & (litres >= 0))
    if bad.any():
        ids = ", ".join(str(i) for i in items["item_id"].to_numpy()[bad][:5])
        raise UsageError(
            f"pack_cartons: {int(bad.sum())} book(s) have no usable weight_kg or volume_l "
            f"(e.g. {ids}); give numbers ≥ 0 (plan_shipping estimates what a record lacks)."
        )
    return kg, litres


def _ffd_order(
    kg: NDArray[np.float64], litres: NDArray[np.float64], ids: pd.Series, carton: Carton
) -> list[int]:
    """First-fit-decreasing order: by the binding dimension, decreasing, ties by item_id.

    The binding dimension is the one whose total fills more cartons. Weight-led books (a
    larger share of a carton's weight than of its volume) and volume-led ones form two
    queues, each in that order; the sequence takes from the weight-led queue while the books
    taken so far fill less of the cartons' weight than of their volume, else from the other.
    A carton then fills in both dimensions at once, and the count stays close to the lower
    bound even when dense textbooks travel with light albums.
    """
    share_kg, share_l = kg / carton.max_kg, litres / carton.max_l
    binding = share_kg if share_kg.sum() >= share_l.sum() else share_l
    id_rank = pd.factorize(ids.astype(str), sort=True)[0]
    order = np.lexsort((np.arange(len(kg)), id_rank, -binding))
    weight_led = share_kg >= share_l
    queues = [order[weight_led[order]].tolist(), order[~weight_led[order]].tolist()]
    heads, filled_kg, filled_l = [0, 0], 0.0, 0.0
    sequence: list[int] = []
    while len(sequence) < len(order):
        heavy_left = heads[0] < len(queues[0])
        take = 0 if heavy_left and (filled_kg <= filled_l or heads[1] >= len(queues[1])) else 1
        index = queues[take][heads[take]]
        heads[take] += 1
        sequence.append(index)
        filled_kg += share_kg[index]
        filled_l += share_l[index]
    return sequence


def _first_fit(
    sequence: Sequence[int],
    kg: NDArray[np.float64],
    litres: NDArray[np.float64],
    carton: Carton,
) -> NDArray[np.int64]:
    """Each book, in turn, into the first carton with room for it in weight AND volume."""
    count = len(sequence)
    room_kg = np.full(count, carton.max_kg)
    room_l = np.full(count, carton.max_l)
    assigned = np.zeros(len(kg), dtype=np.int64)
    if count == 0:
        return assigned
    smallest_kg, smallest_l = kg[list(sequence)].min(), litres[list(sequence)].min()
    opened = start = 0
    for index in sequence:
        fits = np.flatnonzero(
            (room_kg[start:opened] >= kg[index] - _EPS)
            & (room_l[start:opened] >= litres[index] - _EPS)
        )
        box = start + int(fits[0]) if fits.size else opened
        opened = max(opened, box + 1)
        room_kg[box] -= kg[index]
        room_l[box] -= litres[index]
        assigned[index] = box
        # cartons without room for even the smallest book are full for good: skip them
        while start < opened and (
            room_kg[start] < smallest_kg - _EPS or room_l[start] < smallest_l - _EPS
        ):
            start += 1
    return assigned


def pack_cartons(items: pd.DataFrame, carton: Carton) -> pd.DataFrame:
    """Books into cartons by first-fit decreasing (norms.md §4: a book box takes ≤ 18 kg gross
    and books fill 75 % of its 42 L).

    ``items`` has one row per book: ``item_id``, ``weight_kg``, ``volume_l`` (any other columns
    are kept). Returns the items, in their order, with ``carton_no`` (1-based, numbered in the
    order cartons are opened) and ``oversize``: a book heavier or larger than a carton takes
    a carton of its own (numbered last) and is flagged, to be wrapped and shipped as it is.
    No other carton exceeds ``carton.max_kg`` or ``carton.max_l``. Deterministic: the order
    is :func:`_ffd_order`'s (ties by item_id, then by row).
    """
    kg, litres = _check_pack_input(items)
    oversize = (kg > carton.max_kg + _EPS) | (litres > carton.max_l + _EPS)
    fitting = np.flatnonzero(~oversize)
    sequence = [
        int(fitting[i])
        for i in _ffd_order(kg[fitting], litres[fitting], items["item_id"].iloc[fitting], carton)
    ]
    assigned = _first_fit(sequence, kg, litres, carton)
    regular = int(assigned[fitting].max()) + 1 if fitting.size else 0
    assigned[oversize] = regular + np.arange(int(oversize.sum()))
    packed = items.copy()
    packed["carton_no"] = assigned + 1
    packed["oversize"] = oversize
    return packed


def _fill(kg: NDArray[np.float64], litres: NDArray[np.float64], carton: Carton) -> NDArray[Any]:
    return np.maximum(kg / carton.max_kg, litres / carton.max_l)


def _pack_by_zone(books: pd.DataFrame, carton: Carton) -> pd.DataFrame:
    """Each shelf zone packed apart (a carton is unpacked onto one zone); then the zones'
    least-filled cartons are pooled and packed again together, kept if that saves cartons.

    Numbering: the zones' own cartons zone by zone (zones in name order, no zone last), then
    the pooled, mixed cartons."""
    zones = sorted(books["zone"].unique(), key=lambda z: (z == "", z))
    if len(zones) <= 1:
        return pack_cartons(books, carton)
    parts: list[pd.DataFrame] = []
    lasts: list[pd.DataFrame] = []
    for zone in zones:
        packed = pack_cartons(books[books["zone"] == zone], carton)
        last = _least_filled(packed, carton)
        parts.append(packed[packed["carton_no"] != last])
        lasts.append(packed[packed["carton_no"] == last])
    kept = [last for last in lasts if not last.empty]
    if len(kept) > 1:
        pooled = pack_cartons(pd.concat(kept), carton)
        if int(pooled["carton_no"].max()) < len(kept):
            return _renumber([*parts, pooled])
    return _renumber([pd.concat([part, last]) for part, last in zip(parts, lasts, strict=True)])


def _least_filled(packed: pd.DataFrame, carton: Carton) -> int:
    """The carton (not an oversize one) whose fuller dimension is the emptiest; 0 if none.
    Ties: the later carton (first-fit leaves its gaps at the end)."""
    regular = packed[~packed["oversize"]]
    if regular.empty:
        return 0
    totals = regular.groupby("carton_no")[["weight_kg", "volume_l"]].sum()
    fill = _fill(totals["weight_kg"].to_numpy(), totals["volume_l"].to_numpy(), carton)
    return int(totals.index[::-1][int(np.argmin(fill[::-1]))])


def _renumber(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Cartons numbered 1… across the parts, each part's cartons in their order."""
    renumbered = []
    offset = 0
    for part in parts:
        if part.empty:
            continue
        codes, _ = pd.factorize(part["carton_no"], sort=True)
        renumbered.append(part.assign(carton_no=codes + 1 + offset))
        offset += int(codes.max()) + 1
    return pd.concat(renumbered).sort_index(kind="stable")


# ---------------------------------------------------------------------------------------------
# Cost of one consignment


@dataclass(frozen=True)
class ShipmentCost:
    """What one consignment costs by one mode, and the units it needs.

    ``chargeable`` is the quantity the rate is applied to, in ``chargeable_unit`` (kg for post
    and air, W/M revenue tonnes for groupage, containers); ``units`` counts the mode's handling
    units, named by ``unit`` (bags, cartons, pallets, containers). ``feasible`` is False, with
    ``reason``, when the mode cannot take the consignment (too many M bags).
    """

    mode: str
    kind: str
    cost_eur: float
    feasible: bool
    reason: str
    chargeable: float
    chargeable_unit: str
    units: int
    unit: str
    kg: float  # books, net
    gross_kg: float  # books + cartons (+ pallets)
    freight_m3: float  # the volume freight measures: cartons, pallets or the books themselves
    cartons: int
    bags: int = 0
    pallets: int = 0
    containers: int = 0
    breakdown: Mapping[str, float] = field(default_factory=dict)


def _check_quantities(kg: float, m3: float, cartons: int) -> None:
    for label, value in (("kg", kg), ("m3", m3)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (math.isfinite(value) and value >= 0)
        ):
            raise UsageError(f"shipment_cost: {label} = {value!r}; give a number ≥ 0.")
    if isinstance(cartons, bool) or not isinstance(cartons, int | np.integer) or cartons < 0:
        raise UsageError(f"shipment_cost: cartons = {cartons!r}; give a whole number ≥ 0.")


def shipment_cost(
    mode: str, kg: float, m3: float, cartons: int = 0, tables: ShippingTables | None = None
) -> ShipmentCost:
    """The cost of shipping books weighing ``kg`` (net) and measuring ``m3`` (their own
    volume), packed in ``cartons`` (0: the lower bound :func:`carton_lower_bound`), by ``mode``.

    - post (M bags): bags = max(⌈kg / 30⌉, ⌈L / bag litres⌉); cost = fixed + per bag × bags +
      rate × kg; infeasible above ``max_bags`` (norms.md §4 "Postal M bags");
    - air: chargeable = max(books + cartons kg, 167 kg/m³ × cartons' m³); cost = fixed + rate ×
      chargeable (norms.md §4 "Freight costs");
    - groupage (LCL): pallets = max(⌈cartons / 24⌉, ⌈gross / 450 kg⌉) when palletised;
      chargeable W/M = max(pallets' m³, gross t / (t per m³), minimum); cost = fixed + rate ×
      chargeable + pallets × pallet price (norms.md §4 "Freight costs", "Cartons, pallets");
    - container: containers = max(⌈cartons' m³ / recommended load⌉, ⌈gross / payload⌉); cost
      = fixed + per container × containers (norms.md §4 "Cartons, pallets, containers").

    Nothing to ship costs nothing. The cost never decreases when ``kg`` (or ``m3``, or
    ``cartons``) grows: every term is a non-decreasing function of them.
    """
    tables = _tables(tables)
    spec = _mode_named(mode, tables)
    _check_quantities(kg, m3, cartons)
    kg, litres = float(kg), float(m3) * 1000
    if kg == 0 and litres == 0 and cartons == 0:
        return _nothing(spec)
    cartons = int(cartons) or max(carton_lower_bound(kg, litres, tables.carton), 1)
    if isinstance(spec, PostMode):
        return _post_cost(spec, kg, litres, cartons)
    if isinstance(spec, AirMode):
        return _air_cost(spec, kg, cartons, tables.carton)
    if isinstance(spec, GroupageMode):
        return _groupage_cost(spec, kg, cartons, tables)
    return _container_cost(spec, kg, cartons, tables.carton)


def _nothing(spec: Mode) -> ShipmentCost:
    return ShipmentCost(
        mode=spec.name,
        kind=spec.kind,
        cost_eur=0.0,
        feasible=True,
        reason="",
        chargeable=0.0,
        chargeable_unit="",
        units=0,
        unit="",
        kg=0.0,
        gross_kg=0.0,
        freight_m3=0.0,
        cartons=0,
    )


def _post_cost(spec: PostMode, kg: float, litres: float, cartons: int) -> ShipmentCost:
    """Books straight into M bags (the cartons are the packing list's sorting unit)."""
    bags = max(_ceil(kg / spec.bag_max_kg), _ceil(litres / spec.bag_max_l), 1)
    feasible = bags <= spec.max_bags
    reason = (
        ""
        if feasible
        else f"{bags} M bags needed; the post takes at most {spec.max_bags} a consignment "
        f"(shipping.toml [modes.{spec.name}] max_bags)"
    )
    freight = spec.rate_eur_per_kg * kg
    return ShipmentCost(
        mode=spec.name,
        kind=spec.kind,
        cost_eur=round(spec.fixed_eur + spec.per_bag_eur * bags + freight, 2),
        feasible=feasible,
        reason=reason,
        chargeable=round(kg, 3),
        chargeable_unit="kg",
        units=bags,
        unit="bags",
        kg=kg,
        gross_kg=kg,
        freight_m3=litres / 1000,
        cartons=cartons,
        bags=bags,
        breakdown={"fixed": spec.fixed_eur, "bags": spec.per_bag_eur * bags, "freight": freight},
    )


def _air_cost(spec: AirMode, kg: float, cartons: int, carton: Carton) -> ShipmentCost:
    gross = kg + cartons * carton.tare_kg
    freight_m3 = cartons * carton.m3
    chargeable = max(gross, spec.volumetric_kg_per_m3 * freight_m3)
    freight = spec.rate_eur_per_kg * chargeable
    return ShipmentCost(
        mode=spec.name,
        kind=spec.kind,
        cost_eur=round(spec.fixed_eur + freight, 2),
        feasible=True,
        reason="",
        chargeable=round(chargeable, 3),
        chargeable_unit="kg",
        units=cartons,
        unit="cartons",
        kg=kg,
        gross_kg=gross,
        freight_m3=freight_m3,
        cartons=cartons,
        breakdown={"fixed": spec.fixed_eur, "freight": freight},
    )


def _pallets(cartons: int, gross_kg: float, pallet: Pallet) -> int:
    """Pallets for the cartons, by count and by weight (norms.md §4: 24 cartons, ≈ 450 kg)."""
    return max(_ceil(cartons / pallet.cartons), _ceil(gross_kg / pallet.max_kg), 1)


def _groupage_cost(
    spec: GroupageMode, kg: float, cartons: int, tables: ShippingTables
) -> ShipmentCost:
    carton, pallet = tables.carton, tables.pallet
    gross = kg + cartons * carton.tare_kg
    pallets, freight_m3, extras = 0, cartons * carton.m3, 0.0
    if spec.palletised:
        pallets = _pallets(cartons, gross, pallet)
        freight_m3 = pallets * pallet.m3
        gross += pallets * pallet.tare_kg
        extras = pallets * pallet.price_eur
    chargeable = max(freight_m3, gross / 1000 / spec.tonnes_per_m3, spec.min_chargeable)
    freight = spec.rate_eur_per_m3 * chargeable
    return ShipmentCost(
        mode=spec.name,
        kind=spec.kind,
        cost_eur=round(spec.fixed_eur + freight + extras, 2),
        feasible=True,
        reason="",
        chargeable=round(chargeable, 3),
        chargeable_unit="W/M",
        units=pallets or cartons,
        unit="pallets" if spec.palletised else "cartons",
        kg=kg,
        gross_kg=gross,
        freight_m3=freight_m3,
        cartons=cartons,
        pallets=pallets,
        breakdown={"fixed": spec.fixed_eur, "freight": freight, "pallets": extras},
    )


def _container_cost(spec: ContainerMode, kg: float, cartons: int, carton: Carton) -> ShipmentCost:
    box = spec.container
    gross = kg + cartons * carton.tare_kg
    freight_m3 = cartons * carton.m3
    containers = max(_ceil(freight_m3 / box.load_m3), _ceil(gross / box.payload_kg), 1)
    freight = spec.per_container_eur * containers
    return ShipmentCost(
        mode=spec.name,
        kind=spec.kind,
        cost_eur=round(spec.fixed_eur + freight, 2),
        feasible=True,
        reason="",
        chargeable=float(containers),
        chargeable_unit="containers",
        units=containers,
        unit="containers",
        kg=kg,
        gross_kg=gross,
        freight_m3=freight_m3,
        cartons=cartons,
        containers=containers,
        breakdown={"fixed": spec.fixed_eur, "freight": freight},
    )


def shipment_costs(
    kg: float, m3: float, cartons: int = 0, tables: ShippingTables | None = None
) -> dict[str, ShipmentCost]:
    """The consignment's cost by every mode of the tables, in the table's order."""
    tables = _tables(tables)
    return {name: shipment_cost(name, kg, m3, cartons, tables) for name in tables.modes}


def cheapest_shipment(
    kg: float, m3: float, cartons: int = 0, tables: ShippingTables | None = None
) -> ShipmentCost:
    """The cheapest feasible mode (ties: the first in the table's order); if no mode can take
    the consignment, the cheapest of all, marked infeasible."""
    costs = list(shipment_costs(kg, m3, cartons, tables).values())
    feasible = [cost for cost in costs if cost.feasible] or costs
    return min(feasible, key=lambda cost: cost.cost_eur)


# ---------------------------------------------------------------------------------------------
# The optimiser's linear approximation


def _books_per_carton_kg(tables: ShippingTables) -> float:
    """Books' weight in a full carton at the reference density (norms.md §4: ≈ 480 kg/m³):
    min(17.5 kg, 31.5 L × 0.48 kg/L) = 15.1 kg, about 37 books of 0.41 kg."""
    carton = tables.carton
    return min(carton.max_kg, carton.max_l * tables.book_density_kg_per_m3 / 1000)


def planner_rates(mode: str, tables: ShippingTables | None = None) -> dict[str, float]:
    """The optimiser's ``fixed_eur + rate_eur_per_kg × kg`` for one origin shipping by ``mode``
    (DESIGN.md: ``f_o`` and ``r_o``), at the reference density of books, 480 kg/m³ (0.41 kg in
    0.85 L, norms.md §4), which puts 15.1 kg of books in a carton.

    ``rate_eur_per_kg`` is the cost per kg of books when every unit is full; ``fixed_eur`` is the
    mode's fixed cost plus one unit, for the last, part-filled one (a bag, a pallet, a
    container; for air one carton's volumetric weight). So the line is an upper bound of
    :func:`shipment_cost` for books of that density, within one carton of books (carton counts
    round up too), and exact at full units: the plan's budget is never exceeded by rounding.

    - post: rate = per kg + per bag / 30 kg; fixed = fixed + one bag;
    - air: rate = rate × max(1 + carton tare / 15.1 kg, 167 × carton m³ / 15.1 kg);
    - groupage: a pallet of 24 cartons carries 363 kg of books and is charged max(1.8 m³, its
      tonnes) W/M plus the pallet: rate = that / 363 kg; fixed = fixed + one pallet;
    - container: a container holds its recommended load (26 or 56 m³) of cartons, i.e. 9.4 or
      20.2 t of books (payload permitting): rate = per container / that; fixed = fixed + one
      container.
    """
    tables = _tables(tables)
    spec = _mode_named(mode, tables)
    per_carton = _books_per_carton_kg(tables)
    carton = tables.carton
    if isinstance(spec, PostMode):
        per_bag = min(spec.bag_max_kg, spec.bag_max_l * tables.book_density_kg_per_m3 / 1000)
        rate = spec.rate_eur_per_kg + spec.per_bag_eur / per_bag
        fixed = spec.fixed_eur + spec.per_bag_eur
    elif isinstance(spec, AirMode):
        volumetric = spec.volumetric_kg_per_m3 * carton.m3
        rate = spec.rate_eur_per_kg * max(1 + carton.tare_kg / per_carton, volumetric / per_carton)
        fixed = spec.fixed_eur + spec.rate_eur_per_kg * max(carton.tare_kg, volumetric)
    elif isinstance(spec, GroupageMode):
        unit_cost, unit_kg = _groupage_unit(spec, tables, per_carton)
        rate = unit_cost / unit_kg
        fixed = spec.fixed_eur + max(unit_cost, spec.rate_eur_per_m3 * spec.min_chargeable)
    else:
        box = spec.container
        cartons = min(box.load_m3 / carton.m3, box.payload_kg / (per_carton + carton.tare_kg))
        rate = spec.per_container_eur / (cartons * per_carton)
        fixed = spec.fixed_eur + spec.per_container_eur
    return {"rate_eur_per_kg": round(rate, 4), "fixed_eur": round(fixed, 2)}


def _groupage_unit(
    spec: GroupageMode, tables: ShippingTables, per_carton: float
) -> tuple[float, float]:
    """(cost, books' kg) of one full groupage unit: a pallet, or a carton when not palletised."""
    carton, pallet = tables.carton, tables.pallet
    carton_gross = per_carton + carton.tare_kg
    if not spec.palletised:
        chargeable = max(carton.m3, carton_gross / 1000 / spec.tonnes_per_m3)
        return spec.rate_eur_per_m3 * chargeable, per_carton
    cartons = min(pallet.cartons, math.floor(pallet.max_kg / carton_gross)) or 1
    gross_t = (cartons * carton_gross + pallet.tare_kg) / 1000
    chargeable = max(pallet.m3, gross_t / spec.tonnes_per_m3)
    return spec.rate_eur_per_m3 * chargeable + pallet.price_eur, cartons * per_carton


# ---------------------------------------------------------------------------------------------
# The plan


@dataclass(frozen=True, eq=False)
class ShippingPlan:
    """How the selected copies travel: per origin, per carton, per item.

    - ``by_origin``: origin, mode, feasible, reason, copies, items, cartons, kg (books, net),
      litres (books), gross_kg, m3 (what freight measures), bags, pallets, containers,
      chargeable, chargeable_unit, cost_eur, cheapest_mode, and ``cost_eur_<mode>`` for every
      mode of the tables (NaN where that mode cannot take the consignment), so that a
      librarian sees the alternatives;
    - ``cartons``: origin, carton_no, copies, kg, gross_kg, litres, fill_kg, fill_l (shares of
      the carton's limits), zones (its shelf zones, "; "-joined), oversize;
    - ``packing``: the packing list, origin, carton_no, item_id, title, copies, kg, zone and
      every pass-through column of the items (isbn13, partner, price_eur, acquisition…).
    """

    by_origin: pd.DataFrame
    cartons: pd.DataFrame
    packing: pd.DataFrame
    total_cost_eur: float
    messages: tuple[str, ...]
    local_copies: int
    estimated_copies: int
    carton: Carton

    def summary(self) -> dict[str, Any]:
        """The plan as JSON-able data: totals, one record per origin, the messages."""
        return {
            "total_cost_eur": round(self.total_cost_eur, 2),
            "copies": int(self.by_origin["copies"].sum()),
            "local_copies": self.local_copies,
            "estimated_copies": self.estimated_copies,
            "cartons": int(self.by_origin["cartons"].sum()),
            "kg": round(float(self.by_origin["kg"].sum()), 3),
            "gross_kg": round(float(self.by_origin["gross_kg"].sum()), 3),
            "by_origin": _records(self.by_origin),
            "messages": list(self.messages),
        }

    def customs_statement(
        self,
        *,
        consignor: str = "",
        consignee: str = "",
        donation: bool = True,
        declared_value_eur_per_kg: float | None = None,
        eur_per_usd: float | None = None,
    ) -> dict[str, Any]:
        """See :func:`customs_statement`."""
        return customs_statement(
            self,
            consignor=consignor,
            consignee=consignee,
            donation=donation,
            declared_value_eur_per_kg=declared_value_eur_per_kg,
            eur_per_usd=eur_per_usd,
        )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts of JSON types (NaN → None, numpy scalars → Python)."""
    records = []
    for row in frame.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            clean[str(key)] = value
        records.append(clean)
    return records


def _check_mode_choice(
    mode: str | None, origin_modes: Mapping[str, str] | None, tables: ShippingTables
) -> None:
    for name in [mode, *(origin_modes or {}).values()]:
        if name is not None and name != AUTO:
            _mode_named(name, tables)


def _numbers(items: pd.DataFrame, column: str) -> pd.Series:
    """A column as floats, with missing, unreadable, non-finite or non-positive values NaN."""
    if column not in items.columns:
        return pd.Series(np.nan, index=items.index, dtype=float)
    values = pd.to_numeric(items[column], errors="coerce").astype(float)
    return values.where(np.isfinite(values) & (values > 0))


def _copies(items: pd.DataFrame) -> pd.Series:
    copies = pd.to_numeric(items["copies"], errors="coerce").astype(float)
    bad = ~(np.isfinite(copies) & (copies >= 0) & (copies == np.floor(copies)))
    if bad.any():
        ids = ", ".join(str(i) for i in items.loc[bad, "item_id"].head(5))
        raise UsageError(
            f"plan_shipping: {int(bad.sum())} row(s) have no whole number of copies ≥ 0 "
            f"(e.g. {ids}); give each selected item its copies."
        )
    return copies.astype(int)


def _text_column(items: pd.DataFrame, column: str) -> pd.Series:
    if column not in items.columns:
        return pd.Series("", index=items.index, dtype=object)
    return items[column].astype("string").fillna("").str.strip().astype(object)


def _estimate_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Weight, height, thickness and width where a row lacks them (NaN), from physical.toml
    for the row's ``category`` (``fundplanner.physical``; the default category is a 300-page,
    22 cm paperback of 0.40 kg and 2.0 cm): the height is the category's, the thickness and
    weight the physical model's at that height, the width the height × the category's aspect.
    Estimated once per (category, height)."""
    figures = physical.load_figures()
    out = frame.copy()
    categories = _text_column(frame, "category")
    defaults = {c: figures.for_category(c or None) for c in categories.unique()}
    out["height_cm"] = frame["height_cm"].fillna(
        categories.map(lambda c: defaults[c].height_cm).astype(float)
    )
    out["width_cm"] = frame["width_cm"].fillna(
        out["height_cm"] * categories.map(lambda c: defaults[c].aspect).astype(float)
    )
    lacking = frame["weight_kg"].isna() | frame["thickness_cm"].isna()
    keys = pd.Series(list(zip(categories[lacking], out.loc[lacking, "height_cm"], strict=True)))
    estimates = {
        key: physical.estimate_physical(
            pages=None, height_cm=key[1], category=key[0] or None, figures=figures
        )
        for key in keys.unique()
    }
    found = [estimates[key] for key in keys]
    out.loc[lacking, "weight_kg"] = frame.loc[lacking, "weight_kg"].fillna(
        pd.Series([e.weight_kg for e in found], index=frame.index[lacking])
    )
    out.loc[lacking, "thickness_cm"] = frame.loc[lacking, "thickness_cm"].fillna(
        pd.Series([e.thickness_cm for e in found], index=frame.index[lacking])
    )
    return out


def _prepare(items: pd.DataFrame) -> tuple[pd.DataFrame, list[str], int]:
    """The items checked, with every copy's weight and volume (estimated where the row lacks
    them), the notes to report, and how many shipped copies were estimated."""
    missing = [c for c in ("item_id", "origin", "copies") if c not in items.columns]
    if missing:
        raise UsageError(
            f"plan_shipping: the items lack the column(s) {', '.join(missing)}; give item_id, "
            "origin ('' for a local purchase) and copies, with weight_kg, height_cm, "
            "thickness_cm and zone when known."
        )
    frame = items.reset_index(drop=True).copy()
    frame["item_id"] = frame["item_id"].astype(str)
    frame["copies"] = _copies(frame)
    frame["origin"] = _text_column(frame, "origin")
    frame["zone"] = _text_column(frame, "zone")
    if "title" not in frame.columns:
        frame["title"] = ""
    notes: list[str] = []
    unselected = frame["copies"] == 0
    if unselected.any():
        notes.append(f"{int(unselected.sum())} row(s) with 0 copies ship nothing.")
        frame = frame[~unselected]
    for column in ("weight_kg", "height_cm", "thickness_cm", "width_cm"):
        frame[column] = _numbers(frame, column)
    lacking = frame[["weight_kg", "height_cm", "thickness_cm"]].isna().any(axis=1)
    frame = _estimate_missing(frame)
    frame["volume_l"] = frame["height_cm"] * frame["width_cm"] * frame["thickness_cm"] / 1000
    estimated = int(frame.loc[lacking & frame["origin"].ne(""), "copies"].sum())
    if estimated:
        notes.append(
            f"{estimated} copies lacked a weight, height or thickness: estimated from their "
            "category (physical.toml)."
        )
    return frame, notes, estimated


def _books(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per copy: the item's row number, id, weight, volume and zone."""
    repeat = rows.index.repeat(rows["copies"].to_numpy())
    books = rows.loc[repeat, ["item_id", "weight_kg", "volume_l", "zone"]]
    books.insert(0, "row", repeat)
    return books.reset_index(drop=True)


def _carton_table(origin: str, packed: pd.DataFrame, carton: Carton) -> pd.DataFrame:
    groups = packed.groupby("carton_no", sort=True)
    table = pd.DataFrame(
        {
            "copies": groups.size(),
            "kg": groups["weight_kg"].sum().round(3),
            "litres": groups["volume_l"].sum().round(3),
            "zones": groups["zone"].agg(lambda z: "; ".join(sorted({v for v in z if v}))),
            "oversize": groups["oversize"].any(),
        }
    ).reset_index()
    table["gross_kg"] = (table["kg"] + carton.tare_kg).round(3)
    table["fill_kg"] = (table["kg"] / carton.max_kg).round(3)
    table["fill_l"] = (table["litres"] / carton.max_l).round(3)
    table.insert(0, "origin", origin)
    return table[list(_CARTON_COLUMNS)]


def _packing_list(origin: str, packed: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    lines = (
        packed.groupby(["carton_no", "row"], sort=True)
        .agg(copies=("item_id", "size"), kg=("weight_kg", "sum"))
        .reset_index()
    )
    extra = [c for c in rows.columns if c not in (*_OWN_COLUMNS, "title", "width_cm", "volume_l")]
    details = rows.loc[lines["row"], ["item_id", "title", "zone", "weight_kg", *extra]]
    listing = pd.concat([lines.reset_index(drop=True), details.reset_index(drop=True)], axis=1)
    listing["kg"] = listing["kg"].round(3)
    listing.insert(0, "origin", origin)
    listing = listing.sort_values(["carton_no", "zone", "item_id", "row"], kind="stable")
    return listing[[*_PACKING_COLUMNS, *extra]].reset_index(drop=True)


def _choose(
    costs: Mapping[str, ShipmentCost],
    wanted: str | None,
) -> tuple[ShipmentCost, ShipmentCost]:
    """(the mode used, the cheapest feasible one)."""
    feasible = [cost for cost in costs.values() if cost.feasible] or list(costs.values())
    cheapest = min(feasible, key=lambda cost: cost.cost_eur)
    if wanted is None or wanted == AUTO:
        return cheapest, cheapest
    return costs[wanted], cheapest


def _origin_row(
    origin: str,
    rows: pd.DataFrame,
    used: ShipmentCost,
    cheapest: ShipmentCost,
    costs: Mapping[str, ShipmentCost],
    litres: float,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "origin": origin,
        "mode": used.mode,
        "feasible": used.feasible,
        "reason": used.reason,
        "copies": int(rows["copies"].sum()),
        "items": len(rows),
        "cartons": used.cartons,
        "kg": round(used.kg, 3),
        "litres": round(litres, 3),
        "gross_kg": round(used.gross_kg, 3),
        "m3": round(used.freight_m3, 3),
        "bags": used.bags,
        "pallets": used.pallets,
        "containers": used.containers,
        "chargeable": used.chargeable,
        "chargeable_unit": used.chargeable_unit,
        "cost_eur": used.cost_eur,
        "cheapest_mode": cheapest.mode,
    }
    for name, cost in costs.items():
        row[f"cost_eur_{name}"] = cost.cost_eur if cost.feasible else math.nan
    return row


def _origin_message(origin: str, used: ShipmentCost, cheapest: ShipmentCost, copies: int) -> str:
    text = (
        f"{origin}: {copies} copies in {used.cartons} cartons, {used.kg:,.1f} kg, by "
        f"{used.mode} for €{used.cost_eur:,.2f}"
    )
    if not used.feasible:
        text += f" — NOT FEASIBLE: {used.reason}; {cheapest.mode} would take it for "
        text += f"€{cheapest.cost_eur:,.2f}"
    elif cheapest.mode != used.mode:
        text += f" ({cheapest.mode} would cost €{cheapest.cost_eur:,.2f})"
    return text + "."


def plan_shipping(
    items: pd.DataFrame,
    *,
    mode: str | None = None,
    origin_modes: Mapping[str, str] | None = None,
    tables: ShippingTables | None = None,
) -> ShippingPlan:
    """Pack the selected copies origin by origin, cost every mode, choose one per origin.

    ``items``: ``item_id``, ``origin`` ("" = a local purchase: ships nothing), ``copies``
    (whole, ≥ 0), and when known ``weight_kg``, ``height_cm``, ``thickness_cm`` (missing or
    implausible ones are estimated with ``fundplanner.physical`` from ``category`` when given),
    ``width_cm``, ``zone`` (the destination shelf zone) and ``title``; other columns are passed
    through to the packing list. ``mode``: one mode for every origin, or None / "auto" for
    each origin's cheapest feasible mode; ``origin_modes`` overrides it per origin. A mode that
    cannot take an origin's consignment is still used, marked infeasible, with the cheapest
    feasible alternative in the messages. Deterministic.
    """
    tables = _tables(tables)
    _check_mode_choice(mode, origin_modes, tables)
    frame, messages, estimated = _prepare(items)
    local = frame["origin"] == ""
    origin_rows, carton_tables, packing_lists = [], [], []
    for origin in sorted(frame.loc[~local, "origin"].unique()):
        rows = frame[frame["origin"] == origin]
        packed = _pack_by_zone(_books(rows), tables.carton)
        kg, litres = float(packed["weight_kg"].sum()), float(packed["volume_l"].sum())
        count = int(packed["carton_no"].max())
        costs = shipment_costs(kg, litres / 1000, count, tables)
        wanted = (origin_modes or {}).get(origin, mode)
        used, cheapest = _choose(costs, wanted)
        origin_rows.append(_origin_row(origin, rows, used, cheapest, costs, litres))
        carton_tables.append(_carton_table(origin, packed, tables.carton))
        packing_lists.append(_packing_list(origin, packed, rows))
        messages.append(_origin_message(origin, used, cheapest, int(rows["copies"].sum())))
        oversize = packed[packed["oversize"]]
        if not oversize.empty:
            messages.append(
                f"{origin}: {len(oversize)} book(s) exceed a carton's limits "
                f"({', '.join(sorted(set(oversize['item_id']))[:5])}): each travels alone, "
                "wrapped; check their weight and size."
            )
    local_copies = int(frame.loc[local, "copies"].sum())
    if local_copies:
        messages.append(f"{local_copies} copies bought locally ship nothing internationally.")
    by_origin = pd.DataFrame(origin_rows, columns=_origin_columns(tables))
    return ShippingPlan(
        by_origin=by_origin,
        cartons=_concat(carton_tables, _CARTON_COLUMNS),
        packing=_concat(packing_lists, _PACKING_COLUMNS),
        total_cost_eur=round(float(by_origin["cost_eur"].sum()), 2),
        messages=tuple(messages),
        local_copies=local_copies,
        estimated_copies=estimated,
        carton=tables.carton,
    )


def _origin_columns(tables: ShippingTables) -> list[str]:
    return [
        *("origin", "mode", "feasible", "reason", "copies", "items", "cartons", "kg"),
        *("litres", "gross_kg", "m3", "bags", "pallets", "containers", "chargeable"),
        *("chargeable_unit", "cost_eur", "cheapest_mode"),
        *(f"cost_eur_{name}" for name in tables.modes),
    ]


def _concat(frames: list[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=list(columns))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------------------
# Customs


def _line_values(
    packing: pd.DataFrame, donation: bool, declared_value_eur_per_kg: float | None
) -> tuple[pd.Series, list[str]]:
    """The declared value of each packing-list line, in EUR, and what to tell about it.

    Purchases: their price × copies (the invoice). Donated copies: ``declared_value_eur_per_kg``
    × kg when given (a nominal value for customs), else their price when one is recorded,
    else nothing."""
    notes: list[str] = []
    price = _numbers(packing, "price_eur").fillna(0.0)
    if "acquisition" in packing.columns:
        kind = packing["acquisition"].astype("string")
        donated = kind.eq("donation").fillna(donation).astype(bool)
    else:
        donated = pd.Series(donation, index=packing.index)
    value = price * packing["copies"]
    if declared_value_eur_per_kg is not None:
        value = value.where(~donated, declared_value_eur_per_kg * packing["kg"])
    unvalued = donated & value.eq(0)
    if unvalued.any():
        notes.append(
            f"{int(packing.loc[unvalued, 'copies'].sum())} donated copies carry no value: "
            "customs want a consignment value in USD; give declared_value_eur_per_kg "
            "(a nominal value for customs) or the donor's valuation."
        )
    unpriced = ~donated & _numbers(packing, "price_eur").isna()
    if unpriced.any():
        notes.append(
            f"{int(packing.loc[unpriced, 'copies'].sum())} purchased copies have no price_eur "
            "and are declared at 0; complete their prices."
        )
    return value, notes


def customs_statement(
    plan: ShippingPlan,
    *,
    consignor: str = "",
    consignee: str = "",
    donation: bool = True,
    declared_value_eur_per_kg: float | None = None,
    eur_per_usd: float | None = None,
) -> dict[str, Any]:
    """The data of a pro-forma invoice / donation statement for customs (norms.md §4
    "Customs: donated books into the Palestinian territories").

    Printed books, HS 4901; for a donation "no commercial value — donation", with the value
    declared for customs purposes in EUR and in USD (customs want the consignment's value in
    USD; ``eur_per_usd`` defaults to the reference exchange_rates.csv). Gross weight, cartons
    and copies in total and per origin (the country of origin of each line), and the
    documents a Palestine-bound donation needs. JSON-able; another module writes the files.
    """
    if declared_value_eur_per_kg is not None and not (
        math.isfinite(declared_value_eur_per_kg) and declared_value_eur_per_kg >= 0
    ):
        raise UsageError("customs_statement: declared_value_eur_per_kg must be a number ≥ 0.")
    rate = money.exchange_rates().get("USD") if eur_per_usd is None else eur_per_usd
    if rate is None or not (math.isfinite(rate) and rate > 0):
        raise UsageError(
            "customs_statement: no EUR per USD rate; give eur_per_usd (e.g. 0.86) or add USD "
            "to the exchange rates."
        )
    packing = plan.packing
    notes: list[str] = []
    if packing.empty:
        values = pd.Series(dtype=float)
    else:
        values, notes = _line_values(packing, donation, declared_value_eur_per_kg)
    lines = []
    for record in _records(plan.by_origin):
        origin = record["origin"]
        value = float(values[packing["origin"] == origin].sum()) if len(values) else 0.0
        lines.append(
            {
                "origin_country": origin,
                "mode": record["mode"],
                "hs_code": HS_BOOKS,
                "description": "Printed books",
                "copies": record["copies"],
                "cartons": record["cartons"],
                "packages": record["bags"] or record["cartons"],
                "package_kind": "M bags" if record["bags"] else "cartons",
                "net_kg": record["kg"],
                "gross_kg": record["gross_kg"],
                "declared_value_eur": round(value, 2),
                "declared_value_usd": round(value / rate, 2),
            }
        )
    total_eur = sum(line["declared_value_eur"] for line in lines)
    return {
        "document": "Pro-forma invoice and donation statement" if donation else "Pro-forma invoice",
        "consignor": consignor,
        "consignee": consignee,
        "goods": "Printed books (HS 4901)",
        "hs_code": HS_BOOKS,
        "donation": donation,
        "commercial_value": "No commercial value — donation" if donation else None,
        "declared_value_eur": round(total_eur, 2),
        "declared_value_usd": round(total_eur / rate, 2),
        "value_note": "Value for customs purposes only" if donation else "Commercial value",
        "eur_per_usd": rate,
        "copies": sum(line["copies"] for line in lines),
        "cartons": sum(line["cartons"] for line in lines),
        "net_weight_kg": round(sum(line["net_kg"] for line in lines), 3),
        "gross_weight_kg": round(sum(line["gross_kg"] for line in lines), 3),
        "origin_countries": [line["origin_country"] for line in lines],
        "lines": lines,
        "documents": list(CUSTOMS_DOCUMENTS if donation else CUSTOMS_DOCUMENTS[:3]),
        "notes": notes,
    }


__all__ = [
    "AUTO",
    "HS_BOOKS",
    "AirMode",
    "Carton",
    "Container",
    "ContainerMode",
    "GroupageMode",
    "Mode",
    "Pallet",
    "PostMode",
    "ShipmentCost",
    "ShippingPlan",
    "ShippingTables",
    "book_volume_l",
    "carton_lower_bound",
    "cheapest_shipment",
    "compile_tables",
    "customs_statement",
    "default_mode",
    "load_tables",
    "mode_names",
    "pack_cartons",
    "plan_shipping",
    "planner_rates",
    "shipment_cost",
    "shipment_costs",
]
