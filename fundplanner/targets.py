"""Targets per cell (audience × category × language), from a profile and the premises.

The planning model (DESIGN.md, "The planning model"): T_c = total size × audience share ×
category share × language share, rounded with the largest-remainder method so that totals
hold, and capped by shelf capacity. Rounding is hierarchical, and every level's sum holds
exactly before capping:

1. the collection size (:func:`fundplanner.profiles.collection_size`) is split over the
   profile's audiences by their shares;
2. each audience's total over its categories (the group "nonfiction" first spread over the
   ten Dewey classes: :func:`fundplanner.profiles.expand_categories`);
3. each (audience, category) total over its languages.

So Σ targets = collection size, Σ over an audience = its rounded total, and so on; each
rounded value is within 1 of its exact quota at its level. A profile-only audience
(``candidates_from``) keeps its own cells in ``.cells`` and adds its targets to the cells of
the candidate audience that feeds it in ``.targets``.

Capping (premises given): a cell belongs to the FIRST zone, in order, whose audiences hold
its candidate audience and whose categories (when listed) hold its category. A zone whose
cells ask for more items than it holds after the fill ratio has its cells scaled down, again by
largest remainder, to ⌊capacity in items⌋ (each cell keeps ≤ its uncapped target), and a
warning names the zone, its capacity, the target and the fix. When the capacity is below
:data:`FAR_BELOW` of the target, the warning says the premises and the collection size do not
match. After capping, the total is the uncapped total minus what the zones could not hold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pandas as pd

from fundplanner.classify import AUDIENCES, CATEGORIES
from fundplanner.errors import Kind, Problem, Severity
from fundplanner.model import PROJECT_LANGUAGES
from fundplanner.premises import (
    CAPACITY_COLUMNS,
    Premises,
    Shelving,
    ZoneCapacity,
    validate_premises,
    zone_capacities,
)
from fundplanner.profiles import (
    CollectionSize,
    Norms,
    Profile,
    collection_size,
    expand_categories,
    has_errors,
    load_norms,
    problem,
    validate_profile,
)

TARGET_COLUMNS: tuple[str, ...] = ("audience", "category", "language", "target", "weight")
CELL_COLUMNS: tuple[str, ...] = (
    "profile_audience",
    "audience",
    "category",
    "language",
    "audience_share",
    "category_share",
    "language_share",
    "raw_share",
    "exact",
    "uncapped",
    "target",
    "cap_applied",
    "zone",
    "weight",
    "language_source",
)

#: Capacity below this share of a zone's target: the premises and the size do not match.
FAR_BELOW = 0.5

# The kinds of problem this module reports, named once.
KIND_NO_ZONE = Kind.NO_ZONE
KIND_CAPACITY = Kind.OVER_CAPACITY


# ---------------------------------------------------------------------------------------------
# Largest remainder


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Integers proportional to ``weights`` that sum exactly to ``total`` (Hamilton's method).

    Each part gets the floor of its exact quota total × w / Σw; the seats left go one each to
    the largest remainders, ties to the earlier part. Exact arithmetic (fractions), so the
    result is deterministic and every part is within 1 of its quota; a larger weight never gets
    fewer items. Not house-monotone: raising ``total`` can lower a part (the Alabama paradox).
    Raises ValueError on a negative total or weight, or on positive total with zero weights.
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError(f"largest_remainder: negative total or weight ({total}, {weights})")
    exact = [Fraction(w) for w in weights]
    whole = sum(exact, Fraction(0))
    if whole == 0:
        if total:
            raise ValueError(f"largest_remainder: {total} items over weights that sum to 0")
        return [0] * len(exact)
    quotas = [total * w / whole for w in exact]
    parts = [q.numerator // q.denominator for q in quotas]
    order = sorted(range(len(quotas)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


# ---------------------------------------------------------------------------------------------
# Cells


@dataclass(slots=True)
class _Cell:
    profile_audience: str
    audience: str
    category: str
    language: str
    audience_share: float
    category_share: float
    language_share: float
    raw_share: float
    exact: float
    uncapped: int
    weight: float
    language_source: str
    target: int = 0
    cap_applied: bool = False
    zone: str | None = None


def _ordered_languages(shares: Mapping[str, float]) -> list[tuple[str, float]]:
    order = {code: i for i, code in enumerate(PROJECT_LANGUAGES)}
    return sorted(shares.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


def allocate(profile: Profile, size: int, norms: Norms | None = None) -> list[_Cell]:
    """Hierarchical largest remainder: audiences, then categories, then languages."""
    norms = norms or load_norms()
    audience_sum = math.fsum(a.share for a in profile.audiences)
    audience_totals = largest_remainder(size, [a.share for a in profile.audiences])
    cells: list[_Cell] = []
    for audience, audience_total in zip(profile.audiences, audience_totals, strict=True):
        entries = expand_categories(profile, audience, norms)
        category_sum = math.fsum(e.share for e in entries)
        category_totals = largest_remainder(audience_total, [e.share for e in entries])
        for entry, category_total in zip(entries, category_totals, strict=True):
            languages = _ordered_languages(entry.languages)
            language_sum = math.fsum(share for _, share in languages)
            language_totals = largest_remainder(category_total, [s for _, s in languages])
            for (code, share), value in zip(languages, language_totals, strict=True):
                raw = (
                    audience.share
                    / audience_sum
                    * entry.share
                    / category_sum
                    * share
                    / language_sum
                )
                cells.append(
                    _Cell(
                        profile_audience=audience.id,
                        audience=audience.candidate_audience,
                        category=entry.category,
                        language=code,
                        audience_share=audience.share,
                        category_share=round(entry.share, 6),
                        language_share=share,
                        raw_share=raw,
                        exact=size * raw,
                        uncapped=value,
                        weight=entry.priority,
                        language_source=entry.language_source,
                        target=value,
                    )
                )
    return cells


# ---------------------------------------------------------------------------------------------
# Capping by the premises


def _cap(
    cells: list[_Cell], premises: Premises, shelving: Shelving | None, norms: Norms
) -> tuple[tuple[ZoneCapacity, ...], list[Problem]]:
    mix: dict[tuple[str, str], float] = {}
    for cell in cells:
        zone = premises.zone_of(cell.audience, cell.category)
        cell.zone = zone.name if zone else None
        key = (cell.audience, cell.category)
        mix[key] = mix.get(key, 0.0) + cell.exact
    capacities = zone_capacities(premises, mix, shelving, norms)
    found = _no_zone_problems(cells, premises)
    for capacity in capacities:
        members = [c for c in cells if c.zone == capacity.zone]
        demand = sum(c.uncapped for c in members)
        room = math.floor(capacity.capacity_items + 1e-9)
        if demand <= room:
            continue
        scaled = largest_remainder(room, [c.uncapped for c in members])
        for cell, value in zip(members, scaled, strict=True):
            cell.cap_applied = value < cell.uncapped
            cell.target = value
        found.append(_capacity_problem(capacity, demand, room, premises))
    return capacities, found


def _no_zone_problems(cells: list[_Cell], premises: Premises) -> list[Problem]:
    missing: dict[str, list[str]] = {}
    for cell in cells:
        if cell.zone is None and cell.uncapped > 0:
            categories = missing.setdefault(cell.audience, [])
            if cell.category not in categories:
                categories.append(cell.category)
    return [
        problem(
            premises.source,
            "zones",
            f"no zone holds the {audience} categories {', '.join(categories)}, so their "
            f"{sum(c.uncapped for c in cells if c.zone is None and c.audience == audience):,} "
            "items have no shelf and are not capped; add them to a zone's categories (or add "
            f'a zone with audiences = ["{audience}"] and no category list).',
            kind=KIND_NO_ZONE,
            severity=Severity.WARNING,
            value=", ".join(categories),
        )
        for audience, categories in missing.items()
    ]


def _capacity_problem(
    capacity: ZoneCapacity, demand: int, room: int, premises: Premises
) -> Problem:
    """Zone over capacity: what it holds, what its cells ask, and how many units to add."""
    units = math.ceil((demand - room) / capacity.unit_items) if capacity.unit_items > 0 else 0
    plural = "s" if units != 1 else ""
    add = (
        f"add about {units} {capacity.unit}{plural} ({capacity.unit_detail}) to zone "
        f"{capacity.zone}"
        if units
        else f"give zone {capacity.zone} furniture"
    )
    held = (
        f"Zone {capacity.zone} holds {room:,} items at a {capacity.fill_ratio:.0%} fill ratio "
        f"({capacity.capacity_cm:,.0f} cm of shelf) but its cells ask for {demand:,}"
    )
    if room < FAR_BELOW * demand:
        message = (
            f"{held}: the premises hold {room / demand:.0%} of the target, so the premises and "
            "the collection size do not match. Check the served population and the per-capita "
            f"norm of the profile, or plan much more furniture ({add}). The zone's targets were "
            f"scaled down to {room:,}."
        )
    else:
        message = (
            f"{held}: its targets were scaled down to {room:,} (−{demand - room:,}). To keep "
            f"them, {add}, or move categories to a zone with room; filling the shelves beyond "
            "75 % is not a fix (the free space is for reshelving)."
        )
    return problem(
        premises.source,
        f"zones.{capacity.zone}.furniture",
        message,
        kind=KIND_CAPACITY,
        severity=Severity.WARNING,
        value=f"{room}/{demand}",
    )


# ---------------------------------------------------------------------------------------------
# The result


@dataclass(frozen=True, slots=True)
class TargetResult:
    """Targets for the planner, the cells behind them, the zones and what went wrong.

    ``targets``: :data:`TARGET_COLUMNS`, one row per cell the profile gives a share above 0
    (the planner's targets.csv); a target may be 0 after rounding or capping, so that a
    librarian can still pin a title there. ``cells``: :data:`CELL_COLUMNS`, every cell of
    every profile audience with its shares, exact value, uncapped and capped targets and
    zone. ``capacity``: the zones' capacities for this profile's mix
    (premises.CAPACITY_COLUMNS) with ``uncapped`` and ``target``. ``zones``: the
    constraints.toml shape ``{zone: {"capacity_cm", "audiences", "categories"}}``. Nothing is
    computed when the inputs have an error: the frames are empty and ``problems`` says why.
    """

    size: CollectionSize | None
    targets: pd.DataFrame
    cells: pd.DataFrame
    capacity: pd.DataFrame
    zones: Mapping[str, Mapping[str, Any]]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems)


def compute_targets(
    profile: Profile,
    premises: Premises | None = None,
    *,
    norms: Norms | None = None,
    shelving: Shelving | None = None,
) -> TargetResult:
    """Targets per cell from a profile, capped by the premises' zones when given (see the
    module docstring for the rounding and the capping rules)."""
    norms = norms or load_norms()
    found = validate_profile(profile, norms)
    if premises is not None:
        found += validate_premises(premises, shelving)
    if has_errors(found):
        return _empty(found)
    size = collection_size(profile, norms)
    cells = allocate(profile, size.opening_stock, norms)
    capacities: tuple[ZoneCapacity, ...] = ()
    if premises is not None:
        capacities, capping = _cap(cells, premises, shelving, norms)
        found += capping
    return TargetResult(
        size=size,
        targets=_targets_frame(cells),
        cells=_cells_frame(cells),
        capacity=_capacity_frame(capacities, cells),
        zones={
            c.zone: {
                "capacity_cm": float(c.capacity_cm),
                "audiences": list(c.audiences),
                "categories": list(c.categories),
            }
            for c in capacities
        },
        problems=tuple(found),
    )


def _empty(problems: list[Problem]) -> TargetResult:
    return TargetResult(
        size=None,
        targets=_targets_frame([]),
        cells=_cells_frame([]),
        capacity=_capacity_frame((), []),
        zones={},
        problems=tuple(problems),
    )


def _sort_key(audience: str, category: str, language: str) -> tuple[int, int, int, str]:
    a = AUDIENCES.index(audience) if audience in AUDIENCES else len(AUDIENCES)
    c = CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES)
    lang = PROJECT_LANGUAGES.index(language) if language in PROJECT_LANGUAGES else 99
    return a, c, lang, audience


def _targets_frame(cells: list[_Cell]) -> pd.DataFrame:
    """Cells summed by (candidate audience, category, language); the weight of a cell fed by
    several profile audiences is their target-weighted mean priority."""
    sums: dict[tuple[str, str, str], list[float]] = {}
    for cell in cells:
        if cell.raw_share <= 0:
            continue  # a share of 0: the profile does not want the cell
        key = (cell.audience, cell.category, cell.language)
        total, weighted, plain, count = sums.get(key, [0.0, 0.0, 0.0, 0.0])
        sums[key] = [
            total + cell.target,
            weighted + cell.target * cell.weight,
            plain + cell.weight,
            count + 1,
        ]
    rows = [
        (*key, int(total), weighted / total if total else plain / count)
        for key, (total, weighted, plain, count) in sorted(
            sums.items(), key=lambda item: _sort_key(*item[0])
        )
    ]
    frame = pd.DataFrame(rows, columns=list(TARGET_COLUMNS))
    return frame.astype(
        {
            "audience": "string",
            "category": "string",
            "language": "string",
            "target": "int64",
            "weight": "float64",
        }
    )


def _cells_frame(cells: list[_Cell]) -> pd.DataFrame:
    rows = [{name: getattr(cell, name) for name in CELL_COLUMNS} for cell in cells]
    frame = pd.DataFrame(rows, columns=list(CELL_COLUMNS))
    return frame.astype(
        {
            "profile_audience": "string",
            "audience": "string",
            "category": "string",
            "language": "string",
            "zone": "string",
            "language_source": "string",
            "uncapped": "int64",
            "target": "int64",
            "cap_applied": "bool",
            "exact": "float64",
            "raw_share": "float64",
            "weight": "float64",
        }
    )


def _capacity_frame(capacities: Sequence[ZoneCapacity], cells: list[_Cell]) -> pd.DataFrame:
    rows = []
    for capacity in capacities:
        row = capacity.as_row()
        members = [c for c in cells if c.zone == capacity.zone]
        row["uncapped"] = sum(c.uncapped for c in members)
        row["target"] = sum(c.target for c in members)
        rows.append(row)
    return pd.DataFrame(rows, columns=[*CAPACITY_COLUMNS, "uncapped", "target"])
