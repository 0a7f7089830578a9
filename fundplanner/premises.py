"""The premises: zones, their furniture, and what they hold at opening.

A premises document is plain TOML (a mapping in the project store, kept as JSON)::

    name = "Al Ram neighbourhood library"
    fill_ratio = 0.70          # share of the shelves filled at opening (norms.md §3: 70–75 %)
    shelf_cm = 90              # usable shelf length when a furniture line does not say

    [books_per_metre]          # overrides of physical.toml, "category" or "category.audience"
    "fiction.adults" = 30

    [zones.early_childhood]    # zones in order: a cell goes to the FIRST zone that holds it
    label = "Early-childhood corner"
    audiences = ["early"]      # candidate audiences the zone holds
    categories = []            # empty: all categories ("nonfiction" = its 10 classes)
    fill_ratio = 0.65          # optional, this zone only
    furniture = [
      { bins = 5, holds = "picture_books" },           # picture-book bins (items_per_bin = 200)
      { bays = 3, shelves = 3, shelf_cm = 90, faces = 1 },
    ]

A furniture line is either ``bays`` (× ``faces`` (1 or 2) × ``shelves`` per face ×
``shelf_cm``) or ``bins`` (× ``items_per_bin``, by the category the bin ``holds``). Defaults
come from ``reference/shelving.toml`` (shelves per bay by audience, 90 cm shelves, 200 albums a
bin, fill ratio 0.70) and books per metre from ``reference/physical.toml`` (norms.md §3).

Capacity of a zone (:func:`zone_capacity`)::

    shelf_length_cm = Σ bays × faces × shelves × shelf_cm
    bin_items       = Σ bins × items_per_bin
    capacity_cm     = fill × (shelf_length_cm + Σ bin_items × 100 / books_per_metre(holds))
    capacity_items  = fill × (shelf_length_cm / mean width + bin_items)

where the mean width of an item (cm) is Σ w_c × 100 / books_per_metre_c over the zone's mix of
cells c (weights w_c: the profile's targets, else the reference category shares of the zone's
audiences). ``capacity_cm`` is the K_z of the planning model (DESIGN.md, shelf capacity per
zone after the fill ratio); bins count in it by the shelf length their items would take.
The shelves' mix includes what the bins hold: an approximation that slightly overstates the
items of a zone with both.
"""

from __future__ import annotations

import functools
import math
import os
import types
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from fundplanner import physical
from fundplanner.classify import AUDIENCES, CATEGORIES, NONFICTION_BY_CLASS
from fundplanner.errors import FundplannerError, Kind, Problem, ReferenceDataError, Severity
from fundplanner.profiles import (
    KIND_CODE,
    KIND_NUMBER,
    NONFICTION_GROUP,
    InputReader,
    Norms,
    Raw,
    load_norms,
    problem,
    read_document,
    suggest,
)
from fundplanner.reference import load_toml

SHELVING = "shelving.toml"

#: What a zone with no furniture or a shadowed zone is reported as.
KIND_PREMISES = Kind.INVALID_PREMISES

BAYS = "bays"
BINS = "bins"

CAPACITY_COLUMNS: tuple[str, ...] = (
    "zone",
    "label",
    "audiences",
    "categories",
    "fill_ratio",
    "bays",
    "shelf_length_cm",
    "bins",
    "bin_items",
    "cm_per_item",
    "capacity_cm",
    "capacity_items",
    "furniture",
)


class PremisesError(FundplannerError):
    """A premises document cannot be read: not TOML, or a key of the wrong shape."""


# ---------------------------------------------------------------------------------------------
# Reference figures (shelving.toml)


@dataclass(frozen=True, slots=True)
class Shelving:
    """shelving.toml, checked (norms.md §3)."""

    fill_ratio: float
    fill_source: str
    warn_above: float
    shelf_cm: float
    shelf_source: str
    max_shelf_cm: float
    shelves_per_bay: Mapping[str, int]
    items_per_bin: Mapping[str, float]  # by category held, and "default"

    def shelves_for(self, audiences: Iterable[str]) -> int:
        """Shelves per bay face: the smallest figure of the zone's audiences."""
        figures = [self.shelves_per_bay[a] for a in audiences if a in self.shelves_per_bay]
        return min(figures) if figures else max(self.shelves_per_bay.values())

    def bin_items(self, category: str) -> float:
        return self.items_per_bin.get(category, self.items_per_bin["default"])


def _positive(raw: Raw, section: str, key: str) -> float:
    value = raw.get(section, {}).get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ReferenceDataError(
            f"{SHELVING} [{section}]: {key} = {value!r}; expected a positive number."
        )
    return float(value)


def _source(raw: Raw, section: str, key: str = "source") -> str:
    value = raw.get(section, {}).get(key)
    if not isinstance(value, str) or not value.strip():
        raise ReferenceDataError(f"{SHELVING} [{section}]: {key} is missing; name the source.")
    return value


def compile_shelving(raw: Raw) -> Shelving:
    """Check a shelving.toml mapping. Raises :class:`ReferenceDataError`."""
    shelves = {k: int(_positive(raw, "shelves_per_bay", k)) for k in AUDIENCES}
    bins = {k: _positive(raw, "bins", k) for k in raw.get("bins", {}) if k != "source"}
    if "default" not in bins:
        raise ReferenceDataError(f"{SHELVING} [bins]: default is missing.")
    _source(raw, "shelves_per_bay")
    _source(raw, "bins")
    return Shelving(
        fill_ratio=_positive(raw, "fill_ratio", "opening"),
        fill_source=_source(raw, "fill_ratio"),
        warn_above=_positive(raw, "fill_ratio", "warn_above"),
        shelf_cm=_positive(raw, "bay", "shelf_cm"),
        shelf_source=_source(raw, "bay"),
        max_shelf_cm=_positive(raw, "bay", "max_shelf_cm"),
        shelves_per_bay=types.MappingProxyType(shelves),
        items_per_bin=types.MappingProxyType(bins),
    )


@functools.cache
def _default_shelving() -> Shelving:
    return compile_shelving(load_toml(SHELVING))


def load_shelving(override: str | Path | None = None) -> Shelving:
    """The packaged shelving figures, with a project's TOML file (any subset) laid over them."""
    if override is None:
        return _default_shelving()
    base, over = load_toml(SHELVING), load_toml(SHELVING, override=override)
    merged = {k: {**base.get(k, {}), **v} if isinstance(v, Mapping) else v for k, v in over.items()}
    return compile_shelving({**base, **merged})


# ---------------------------------------------------------------------------------------------
# The premises


@dataclass(frozen=True, slots=True)
class Furniture:
    """One line of furniture: bays of shelves, or picture-book bins."""

    bays: int | None = None
    bins: int | None = None
    shelves: int | None = None  # per face of a bay; None: shelving.toml by audience
    shelf_cm: float | None = None  # None: the premises' shelf_cm, else shelving.toml
    faces: int = 1  # 2 for a double-faced bay
    holds: str | None = None  # the category a bin holds (default picture_books)
    items_per_bin: float | None = None  # None: shelving.toml by the category held
    label: str = ""

    @property
    def kind(self) -> str:
        return BAYS if self.bays is not None else BINS

    def to_mapping(self) -> dict[str, Any]:
        values = {
            "label": self.label or None,
            "bays": self.bays,
            "bins": self.bins,
            "shelves": self.shelves,
            "shelf_cm": self.shelf_cm,
            "faces": self.faces if self.kind == BAYS and self.faces != 1 else None,
            "holds": self.holds,
            "items_per_bin": self.items_per_bin,
        }
        return {k: v for k, v in values.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Zone:
    """A zone of the floor plan: the audiences and categories it holds, and its furniture."""

    name: str
    audiences: tuple[str, ...]
    categories: tuple[str, ...] = ()  # empty: every category of its audiences
    furniture: tuple[Furniture, ...] = ()
    label: str = ""
    fill_ratio: float | None = None
    books_per_metre: Mapping[str, float] | None = None

    @property
    def category_ids(self) -> tuple[str, ...]:
        """The categories with the group "nonfiction" spelt out as its ten Dewey classes."""
        out: list[str] = []
        for category in self.categories:
            parts = NONFICTION_BY_CLASS if category == NONFICTION_GROUP else (category,)
            out.extend(c for c in parts if c not in out)
        return tuple(out)

    def holds(self, audience: str, category: str) -> bool:
        """The zone-matching rule: audience listed, and category listed (or no list)."""
        return audience in self.audiences and (not self.categories or category in self.category_ids)

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.label:
            out["label"] = self.label
        out["audiences"] = list(self.audiences)
        out["categories"] = list(self.categories)
        if self.fill_ratio is not None:
            out["fill_ratio"] = self.fill_ratio
        if self.books_per_metre is not None:
            out["books_per_metre"] = dict(self.books_per_metre)
        out["furniture"] = [f.to_mapping() for f in self.furniture]
        return out


@dataclass(frozen=True, slots=True)
class Premises:
    """A floor plan (see the module docstring). ``None`` values take the reference defaults."""

    name: str
    zones: tuple[Zone, ...]
    description: str = ""
    fill_ratio: float | None = None
    shelf_cm: float | None = None
    books_per_metre: Mapping[str, float] | None = None
    source: str = field(default="premises", compare=False)

    def zone_of(self, audience: str, category: str) -> Zone | None:
        """The FIRST zone, in order, that holds the cell (None: no zone)."""
        return next((z for z in self.zones if z.holds(audience, category)), None)

    def to_mapping(self) -> dict[str, Any]:
        """The premises as a plain, JSON-ready mapping; ``load_premises`` reads it back equal."""
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        for key, value in (("fill_ratio", self.fill_ratio), ("shelf_cm", self.shelf_cm)):
            if value is not None:
                out[key] = value
        if self.books_per_metre is not None:
            out["books_per_metre"] = dict(self.books_per_metre)
        out["zones"] = {z.name: z.to_mapping() for z in self.zones}
        return out


_PREMISES_KEYS = ("name", "description", "fill_ratio", "shelf_cm", "books_per_metre", "zones")
_ZONE_KEYS = ("label", "audiences", "categories", "fill_ratio", "books_per_metre", "furniture")
_FURNITURE_KEYS = (
    "label",
    "bays",
    "bins",
    "shelves",
    "shelf_cm",
    "faces",
    "holds",
    "items_per_bin",
)


def load_premises(
    data: Mapping[str, Any] | str | os.PathLike[str], *, source: str | None = None
) -> Premises:
    """Read premises from a mapping (the store's JSON) or a TOML file.

    Raises :class:`PremisesError` naming the key when the shape is wrong (no zones, a table or
    number expected, a furniture line with both or neither of ``bays``/``bins``, an unknown
    key). Values are checked by :func:`validate_premises`.
    """
    raw, name = read_document(data, PremisesError, "premises")
    reader = InputReader(PremisesError, source or name)
    reader.only(raw, _PREMISES_KEYS, "")
    zones = reader.table(raw.get("zones", {}), "zones")
    if not zones:
        raise PremisesError(
            f"{reader.source}: no zones; describe at least one, e.g. [zones.adults] with "
            'audiences = ["adults"] and furniture = [{ bays = 10, shelves = 5 }].'
        )
    return Premises(
        name=reader.text(raw, "name", "", default="premises"),
        description=reader.text(raw, "description", ""),
        fill_ratio=reader.optional_number(raw, "fill_ratio", ""),
        shelf_cm=reader.optional_number(raw, "shelf_cm", ""),
        books_per_metre=None
        if raw.get("books_per_metre") is None
        else reader.shares(raw["books_per_metre"], "books_per_metre"),
        zones=tuple(_read_zone(reader, str(n), z) for n, z in zones.items()),
        source=reader.source,
    )


def _read_zone(reader: InputReader, name: str, value: Any) -> Zone:
    key = f"zones.{name}"
    raw = reader.table(value, key)
    reader.only(raw, _ZONE_KEYS, key)
    furniture = raw.get("furniture", [])
    if not isinstance(furniture, list):
        raise reader.fail(f"{key}.furniture", "a list of furniture lines", furniture)
    return Zone(
        name=name,
        label=reader.text(raw, "label", key),
        audiences=reader.strings(raw.get("audiences", []), f"{key}.audiences"),
        categories=reader.strings(raw.get("categories", []), f"{key}.categories"),
        fill_ratio=reader.optional_number(raw, "fill_ratio", key),
        books_per_metre=None
        if raw.get("books_per_metre") is None
        else reader.shares(raw["books_per_metre"], f"{key}.books_per_metre"),
        furniture=tuple(
            _read_furniture(reader, line, f"{key}.furniture[{i}]")
            for i, line in enumerate(furniture, 1)
        ),
    )


def _read_furniture(reader: InputReader, value: Any, key: str) -> Furniture:
    raw = reader.table(value, key)
    reader.only(raw, _FURNITURE_KEYS, key)
    if ("bays" in raw) == ("bins" in raw):
        raise PremisesError(
            f"{reader.source}: {key} must give either bays (shelving) or bins (picture-book "
            "bins), not both or neither: e.g. { bays = 4, shelves = 5 } or { bins = 3 }."
        )
    holds = raw.get("holds")
    if holds is not None and not isinstance(holds, str):
        raise reader.fail(f"{key}.holds", "a category name", holds)
    return Furniture(
        bays=reader.optional_integer(raw, "bays", key),
        bins=reader.optional_integer(raw, "bins", key),
        shelves=reader.optional_integer(raw, "shelves", key),
        shelf_cm=reader.optional_number(raw, "shelf_cm", key),
        faces=1 if raw.get("faces") is None else reader.integer(raw["faces"], f"{key}.faces"),
        holds=holds,
        items_per_bin=reader.optional_number(raw, "items_per_bin", key),
        label=reader.text(raw, "label", key),
    )


# ---------------------------------------------------------------------------------------------
# Capacity


Mix = Mapping[tuple[str, str], float]
"""Weights of cells (candidate audience, category): the share of a zone's items each takes."""


@dataclass(frozen=True, slots=True)
class ZoneCapacity:
    """What one zone holds at opening (module docstring: the formulas)."""

    zone: str
    label: str
    audiences: tuple[str, ...]
    categories: tuple[str, ...]
    fill_ratio: float
    bays: int
    shelf_length_cm: float  # shelf length of the bays at 100 % (Σ bays × faces × shelves × cm)
    bins: int
    bin_items: float  # items the bins hold at 100 %
    cm_per_item: float  # mean shelf width of an item of the zone's mix
    capacity_cm: float  # after the fill ratio, bins counted by the shelf length of their items
    capacity_items: float  # after the fill ratio
    furniture: str
    unit: str  # one more of the zone's first furniture line: "bay", "double-faced bay", "bin"
    unit_detail: str  # what one unit is: "5 shelves × 90 cm", "200 picture_books"
    unit_items: float  # the items one more unit holds after the fill ratio (0: no furniture)

    def as_row(self) -> dict[str, Any]:
        row = {name: getattr(self, name) for name in CAPACITY_COLUMNS}
        row["audiences"] = ", ".join(self.audiences)
        row["categories"] = ", ".join(self.categories)
        return row


def books_per_metre(premises: Premises, zone: Zone, audience: str, category: str) -> float:
    """Books per metre at 100 %: the zone's override, the premises', then physical.toml.

    Override keys are "category.audience", "nonfiction.audience" (any Dewey class),
    "category" and "nonfiction", in that order.
    """
    family = NONFICTION_GROUP if category.startswith(f"{NONFICTION_GROUP}_") else None
    keys = [f"{category}.{audience}", f"{family}.{audience}", category, family]
    for table in (zone.books_per_metre, premises.books_per_metre):
        for key in keys:
            if table and key and key in table and table[key] > 0:
                return table[key]
    return physical.books_per_metre(category, audience)


def default_mix(zone: Zone, norms: Norms | None = None) -> dict[tuple[str, str], float]:
    """The reference category shares of the zone's audiences, kept to the zone's categories
    (equal weights over its categories when the reference gives none of them)."""
    norms = norms or load_norms()
    mix: dict[tuple[str, str], float] = {}
    for audience in zone.audiences:
        shares = norms.categories.get(audience, {})
        classes = norms.classes_for(audience)
        for category, share in shares.items():
            parts = (
                [(c, share * w / 100.0) for c, w in classes.items()]
                if category == NONFICTION_GROUP
                else [(category, share)]
            )
            for cat, weight in parts:
                if weight > 0 and zone.holds(audience, cat):
                    mix[(audience, cat)] = mix.get((audience, cat), 0.0) + weight
    if not mix:
        categories = zone.category_ids or ("default",)
        mix = {(a, c): 1.0 for a in zone.audiences for c in categories}
    return mix


def _mean_width(premises: Premises, zone: Zone, mix: Mix) -> float:
    """Σ w × 100 / books_per_metre over the mix, in cm per item."""
    total = math.fsum(mix.values())
    if total <= 0:
        return 100.0 / physical.books_per_metre(None)
    widths = (w * 100.0 / books_per_metre(premises, zone, a, c) for (a, c), w in mix.items())
    return math.fsum(widths) / total


def _fill(premises: Premises, zone: Zone, shelving: Shelving) -> float:
    if zone.fill_ratio is not None:
        return zone.fill_ratio
    return premises.fill_ratio if premises.fill_ratio is not None else shelving.fill_ratio


def _line_shelf_cm(premises: Premises, zone: Zone, line: Furniture, shelving: Shelving) -> float:
    """Shelf length of ONE bay of a line at 100 % (faces × shelves × shelf length)."""
    shelves = line.shelves if line.shelves is not None else shelving.shelves_for(zone.audiences)
    length = line.shelf_cm or premises.shelf_cm or shelving.shelf_cm
    return line.faces * shelves * length


def _describe(premises: Premises, zone: Zone, line: Furniture, shelving: Shelving) -> str:
    if line.kind == BINS:
        held = line.holds or "picture_books"
        per_bin = line.items_per_bin or shelving.bin_items(held)
        return f"{line.bins} bins × {per_bin:g} {held}"
    shelves = line.shelves if line.shelves is not None else shelving.shelves_for(zone.audiences)
    length = line.shelf_cm or premises.shelf_cm or shelving.shelf_cm
    faces = " × 2 faces" if line.faces == 2 else ""
    return f"{line.bays} bays{faces} × {shelves} shelves × {length:g} cm"


def capacity_of(
    premises: Premises,
    zone: Zone,
    mix: Mix | None = None,
    shelving: Shelving | None = None,
    norms: Norms | None = None,
) -> ZoneCapacity:
    """The capacity of one zone for a mix of cells (default: :func:`default_mix`)."""
    shelving = shelving or load_shelving()
    mix = mix if mix else default_mix(zone, norms)
    fill = _fill(premises, zone, shelving)
    width = _mean_width(premises, zone, mix)
    bay_lines = [f for f in zone.furniture if f.kind == BAYS]
    bin_lines = [f for f in zone.furniture if f.kind == BINS]
    shelf_cm = math.fsum(
        (f.bays or 0) * _line_shelf_cm(premises, zone, f, shelving) for f in bay_lines
    )
    first_audience = zone.audiences[0] if zone.audiences else "adults"
    bin_items, bin_cm = 0.0, 0.0
    for line in bin_lines:
        held = line.holds or "picture_books"
        items = (line.bins or 0) * (line.items_per_bin or shelving.bin_items(held))
        bin_items += items
        bin_cm += items * 100.0 / books_per_metre(premises, zone, first_audience, held)
    unit, unit_detail, unit_items = _unit(premises, zone, shelving, fill, width)
    return ZoneCapacity(
        zone=zone.name,
        label=zone.label,
        audiences=zone.audiences,
        categories=zone.category_ids,
        fill_ratio=fill,
        bays=sum(f.bays or 0 for f in bay_lines),
        shelf_length_cm=shelf_cm,
        bins=sum(f.bins or 0 for f in bin_lines),
        bin_items=bin_items,
        cm_per_item=round(width, 4),
        capacity_cm=round(fill * (shelf_cm + bin_cm), 1),
        capacity_items=round(fill * (shelf_cm / width + bin_items), 2),
        furniture="; ".join(_describe(premises, zone, f, shelving) for f in zone.furniture),
        unit=unit,
        unit_detail=unit_detail,
        unit_items=unit_items,
    )


def _unit(
    premises: Premises, zone: Zone, shelving: Shelving, fill: float, width: float
) -> tuple[str, str, float]:
    """One more of the zone's first furniture line: its name, what it is, the items it holds
    after the fill ratio."""
    if not zone.furniture:
        return "", "", 0.0
    first = zone.furniture[0]
    if first.kind == BINS:
        held = first.holds or "picture_books"
        per_bin = first.items_per_bin or shelving.bin_items(held)
        return "bin", f"{per_bin:g} {held}", fill * per_bin
    shelves = first.shelves if first.shelves is not None else shelving.shelves_for(zone.audiences)
    length = first.shelf_cm or premises.shelf_cm or shelving.shelf_cm
    name = "double-faced bay" if first.faces == 2 else "bay"
    items = fill * _line_shelf_cm(premises, zone, first, shelving) / width
    return name, f"{shelves} shelves × {length:g} cm", items


def zone_capacities(
    premises: Premises,
    mix: Mix | None = None,
    shelving: Shelving | None = None,
    norms: Norms | None = None,
) -> tuple[ZoneCapacity, ...]:
    """Every zone's capacity; ``mix`` weights cells of the whole plan, each zone taking those
    it holds by the first-zone rule (a zone that receives none uses :func:`default_mix`)."""
    by_zone: dict[str, dict[tuple[str, str], float]] = {z.name: {} for z in premises.zones}
    for (audience, category), weight in (mix or {}).items():
        zone = premises.zone_of(audience, category)
        if zone is not None and weight > 0:
            by_zone[zone.name][(audience, category)] = weight
    return tuple(
        capacity_of(premises, zone, by_zone[zone.name] or None, shelving, norms)
        for zone in premises.zones
    )


def zone_capacity(
    premises: Premises,
    mix: Mix | None = None,
    shelving: Shelving | None = None,
    norms: Norms | None = None,
) -> pd.DataFrame:
    """One row per zone, in order: :data:`CAPACITY_COLUMNS`.

    ``capacity_cm`` is the shelf length after the fill ratio (the planner's K_z),
    ``capacity_items`` the items it holds for the zone's mix of categories, and ``bays``,
    ``shelf_length_cm`` (at 100 %), ``bins``, ``bin_items`` and ``furniture`` the breakdown.
    """
    rows = [c.as_row() for c in zone_capacities(premises, mix, shelving, norms)]
    return pd.DataFrame(rows, columns=list(CAPACITY_COLUMNS))


# ---------------------------------------------------------------------------------------------
# Validation


def validate_premises(premises: Premises, shelving: Shelving | None = None) -> list[Problem]:
    """Every value problem of a floor plan, each with the dotted key and the fix.

    Errors: an unknown audience or category, a count or length ≤ 0, faces other than 1 or 2,
    a fill ratio outside (0, 1], a books-per-metre key that names no category. Warnings: a
    fill ratio above 75 % (norms.md §3), a shelf longer than 1 m, a zone with no furniture,
    a zone that never receives a cell because earlier zones hold all of its cells.
    """
    shelving = shelving or load_shelving()
    src = premises.source
    found = _check_fill(premises.fill_ratio, "fill_ratio", src, shelving)
    found += _check_length(premises.shelf_cm, "shelf_cm", src, shelving)
    found += _check_books_per_metre(premises.books_per_metre, "books_per_metre", src)
    for index, zone in enumerate(premises.zones):
        found += _check_zone(zone, src, shelving)
        found += _check_shadowed(zone, premises.zones[:index], src)
    return found


def _check_fill(value: float | None, key: str, src: str, shelving: Shelving) -> list[Problem]:
    if value is None:
        return []
    if not 0 < value <= 1:
        return [
            problem(
                src,
                key,
                f"the fill ratio is {value:g}; it is a share of the shelf length between 0 and "
                f"1 (norms.md §3: {shelving.fill_ratio:g} at opening, 70–75 % full).",
                kind=KIND_NUMBER,
                value=value,
            )
        ]
    if value > shelving.warn_above:
        return [
            problem(
                src,
                key,
                f"a fill ratio of {value:.0%} leaves too little free space to reshelve and "
                f"interfile (norms.md §3: optimum 70–75 %); use {shelving.fill_ratio:g} and add "
                "furniture if the collection does not fit.",
                kind=KIND_NUMBER,
                severity=Severity.WARNING,
                value=value,
            )
        ]
    return []


def _check_length(value: float | None, key: str, src: str, shelving: Shelving) -> list[Problem]:
    if value is None:
        return []
    if value <= 0:
        return [
            problem(
                src,
                key,
                f"a shelf of {value:g} cm; give the usable shelf length in cm (e.g. 90).",
                kind=KIND_NUMBER,
                value=value,
            )
        ]
    if value > shelving.max_shelf_cm:
        return [
            problem(
                src,
                key,
                f"a shelf of {value:g} cm is longer than the {shelving.max_shelf_cm:g} cm "
                "library shelves are made to (norms.md §3: they sag under about 80 kg per "
                "metre); check the figure: it is the length of ONE shelf of one bay.",
                kind=KIND_NUMBER,
                severity=Severity.WARNING,
                value=value,
            )
        ]
    return []


def _check_books_per_metre(table: Mapping[str, float] | None, key: str, src: str) -> list[Problem]:
    found: list[Problem] = []
    known = (*CATEGORIES, NONFICTION_GROUP)
    for name, value in (table or {}).items():
        category, _, audience = name.partition(".")
        if category not in known or (audience and audience not in AUDIENCES):
            found.append(
                problem(
                    src,
                    f"{key}.{name}",
                    f"{name!r} names no category{suggest(category, known)}; write "
                    '"category" or "category.audience", e.g. "fiction.children".',
                    kind=KIND_CODE,
                    value=name,
                )
            )
        if value <= 0:
            found.append(
                problem(
                    src,
                    f"{key}.{name}",
                    f"{value:g} books per metre; give a positive number (norms.md §3: 22 for "
                    "reference up to 70 for picture books).",
                    kind=KIND_NUMBER,
                    value=value,
                )
            )
    return found


def _check_zone(zone: Zone, src: str, shelving: Shelving) -> list[Problem]:
    key = f"zones.{zone.name}"
    found = _check_zone_audiences(zone, key, src) + _check_zone_categories(zone, key, src)
    found += _check_fill(zone.fill_ratio, f"{key}.fill_ratio", src, shelving)
    found += _check_books_per_metre(zone.books_per_metre, f"{key}.books_per_metre", src)
    if not zone.furniture:
        found.append(
            problem(
                src,
                f"{key}.furniture",
                f"zone {zone.name} has no furniture, so it holds nothing and its cells get a "
                "target of 0; add its bays or bins, e.g. furniture = [{ bays = 4, shelves = 5 }].",
                kind=KIND_PREMISES,
                severity=Severity.WARNING,
            )
        )
    for index, line in enumerate(zone.furniture, 1):
        found += _check_furniture(line, f"{key}.furniture[{index}]", src, shelving)
    return found


def _check_zone_audiences(zone: Zone, key: str, src: str) -> list[Problem]:
    if not zone.audiences:
        return [
            problem(
                src,
                f"{key}.audiences",
                f"zone {zone.name} names no audience; list the candidate audiences it holds, "
                f'e.g. audiences = ["children"] ({", ".join(AUDIENCES)}).',
                kind=KIND_CODE,
            )
        ]
    return [
        problem(
            src,
            f"{key}.audiences",
            f"{audience!r} is not a candidate audience{suggest(audience, AUDIENCES)}; zones "
            f"hold {', '.join(AUDIENCES)} (a profile-only audience such as students is "
            "shelved with the audience its books come from).",
            kind=KIND_CODE,
            value=audience,
        )
        for audience in zone.audiences
        if audience not in AUDIENCES
    ]


def _check_zone_categories(zone: Zone, key: str, src: str) -> list[Problem]:
    known = (*CATEGORIES, NONFICTION_GROUP)
    return [
        problem(
            src,
            f"{key}.categories",
            f"{category!r} is not a category{suggest(category, known)}; the categories are "
            f"{', '.join(known)}.",
            kind=KIND_CODE,
            value=category,
        )
        for category in zone.categories
        if category not in known
    ]


def _check_furniture(line: Furniture, key: str, src: str, shelving: Shelving) -> list[Problem]:
    numbers: dict[str, float | None] = {
        "bays": line.bays,
        "bins": line.bins,
        "shelves": line.shelves,
        "items_per_bin": line.items_per_bin,
    }
    found = [
        problem(
            src,
            f"{key}.{name}",
            f"{name} is {value:g}; it must be a positive number.",
            kind=KIND_NUMBER,
            value=value,
        )
        for name, value in numbers.items()
        if value is not None and value <= 0
    ]
    found += _check_length(line.shelf_cm, f"{key}.shelf_cm", src, shelving)
    if line.faces not in (1, 2):
        found.append(
            problem(
                src,
                f"{key}.faces",
                f"a bay has 1 face (against a wall) or 2 (double-faced), not {line.faces}.",
                kind=KIND_NUMBER,
                value=line.faces,
            )
        )
    if line.holds is not None and line.holds not in CATEGORIES:
        found.append(
            problem(
                src,
                f"{key}.holds",
                f"{line.holds!r} is not a category{suggest(line.holds, CATEGORIES)}; bins "
                "usually hold picture_books or first_readers.",
                kind=KIND_CODE,
                value=line.holds,
            )
        )
    return found


def _check_shadowed(zone: Zone, earlier: Sequence[Zone], src: str) -> list[Problem]:
    """A zone whose every cell an earlier zone takes never receives anything."""

    def covered(audience: str) -> bool:
        for before in earlier:
            if audience not in before.audiences:
                continue
            if not before.categories:
                return True
            if zone.categories and set(zone.category_ids) <= set(before.category_ids):
                return True
        return False

    if not zone.audiences or not earlier or not all(covered(a) for a in zone.audiences):
        return []
    return [
        problem(
            src,
            f"zones.{zone.name}",
            f"zone {zone.name} never receives a cell: earlier zones already hold all of its "
            "audiences and categories (a cell goes to the first zone that holds it). Move it "
            "up, or narrow the earlier zone's categories.",
            kind=KIND_PREMISES,
            severity=Severity.WARNING,
        )
    ]
