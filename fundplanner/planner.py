"""The optimiser: which candidates to take, and how many copies (DESIGN.md, "The planning model").

Cells ``c = (audience, category, language)`` have a target ``T_c`` and a priority weight
``π_c``; candidates ``i`` have a unit cost ``u_i = p_i + processing + r_o(i) · m_i``, a shelf
width ``w_i``, a zone, an origin ``o(i)`` and a work ``g(i)``. With copies ``x_i ∈ {0, 1, …}``
and ``y_o ∈ {0, 1}`` (origin ``o`` is used and its fixed shipping cost ``f_o`` is paid)::

    minimise   Σ_c π_c s_c                                   (1) weighted shortfall, first
    then       Σ_i u_i x_i + Σ_o f_o y_o                      (2) total cost, second
    subject to Σ_{i∈c} x_i + s_c = cap_c,  0 ≤ s_c ≤ T_c      (shortfall; no overfill)
               Σ_{i∈g} x_i ≤ max_copies_per_title             (one work, several sources)
               pinned ≤ x_i ≤ copies_offered_i;  excluded → x_i = 0
               Σ_{i∈z} w_i x_i ≤ K_z                          (shelf capacity, HARD)
               Σ_i u_i x_i + Σ_o f_o y_o ≤ B                  (budget, HARD)
               x_i ≤ ub_i · y_o(i)                            (the fixed cost f_o is paid once)

``cap_c = T_c``, or the number of pinned candidates of the cell when the pins alone exceed
``T_c`` (then ``s_c = 0``): the equality row says both ``s_c ≥ T_c − Σ x`` and "no overfill".
The objective is lexicographic: no cost saving may buy a larger shortfall.

How a plan is found (:func:`plan`):

1. **LP relaxation, lexicographic**: phase 1 minimises (1); its optimum is ``bound``, a
   proven lower bound on the shortfall of every plan. Phase 2 minimises (2) subject to
   ``Σ π s ≤ bound``. The relaxation is nearly integral (a handful of fractional copies).
   The origin link is written per candidate, ``x_i ≤ ub_i · y_o(i)`` (``ub_i`` = its upper
   bound), which implies DESIGN.md's ``Σ x ≤ M_o y_o`` with ``M_o = Σ ub_i`` but gives a far
   tighter relaxation: with the aggregated row an origin's fixed cost is almost free in the
   LP (``y_o = Σ x / M_o``). Measured on the generated 50,000-candidate instance: LP bound
   1,208 with the aggregated row, 1,510.6 with the per-candidate rows, best plan found
   1,511; the LP solves as fast.
2. **Origins**: an origin the relaxation leaves half-open (``0 < y_o < 1``) is opened, then
   closing each such origin in turn is tried; the LP with the best (shortfall, cost) decides.
3. **Rounding and repair**: copies are rounded down (every constraint is ``≤`` with
   non-negative coefficients, so this stays feasible), then short cells are filled greedily
   with the best weight per euro that still fits the budget (opening an origin pays its
   fixed cost), the shelf, the work cap and the copies offered; then copies are moved to
   cheaper candidates of the same cell where every constraint allows (a cheaper source of the
   same work is one such move).
4. **MILP polish** (optional): the exact lexicographic MILP, started from the rounded plan,
   in a forked child process killed at the wall-clock deadline ``time_limit_s`` after the
   start of :func:`plan` (highspy 1.16 overran its own ``time_limit`` on 50k MILPs). Its
   answer is kept only if it is feasible and lexicographically better; otherwise, or when the
   child is killed or fails, the rounded plan stands.

Hard constraints (budget, shelf capacities, pins, exclusions, work caps, copies offered) hold
for every returned plan; pins that cannot all be honoured make the plan ``infeasible``.
"""

from __future__ import annotations

import math
import multiprocessing
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import highspy
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fundplanner.errors import FundplannerError

CANDIDATE_COLUMNS = (
    "candidate_id",
    "audience",
    "category",
    "language",
    "price_eur",
    "width_cm",
    "weight_kg",
    "origin",
    "work_key",
    "copies_offered",
    "pinned",
    "excluded",
)
"""The columns of ``candidates.csv`` (DESIGN.md, "The stateless plan files")."""

REQUIRED_CANDIDATE_COLUMNS = CANDIDATE_COLUMNS[:7]
"""Columns a candidates table must have. The others default when absent or empty: ``origin``
empty = a local purchase (nothing to ship), ``work_key`` empty = a work of its own,
``copies_offered`` 1, ``pinned`` and ``excluded`` false."""

TARGET_COLUMNS = ("audience", "category", "language", "target", "weight")
"""The columns of ``targets.csv``; ``weight`` (the priority π) may be absent or empty: 1."""

REQUIRED_TARGET_COLUMNS = TARGET_COLUMNS[:4]
CELL_COLUMNS = ("audience", "category", "language")

OPTIMAL, FEASIBLE, INFEASIBLE = "optimal", "feasible", "infeasible"
LP_ROUNDING, MILP, MILP_OPTIMAL, GREEDY, NO_METHOD = (
    "lp_rounding",
    "milp",
    "milp_optimal",
    "greedy",
    "none",
)
NO_CANDIDATES, SHELF, BUDGET, PRIORITY = "no_candidates", "shelf", "budget", "priority"

TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no", ""})

_EPS = 1e-6  # money (€) and width (cm) slack below which a constraint counts as full
_ROUND_UP = 1e-6  # an LP value within this of an integer counts as that integer


class PlanInputError(FundplannerError):
    """Planning inputs that cannot be planned: a missing column, a duplicate candidate id,
    a value out of range, or an invalid constraints key (the message names it and the fix)."""


def parse_flag(value: object) -> bool | None:
    """``true/false/1/0/yes/no`` (any case), a bool, or empty/NA (false); None when unknown."""
    if value is None or value is pd.NA:
        return False
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        if isinstance(value, float | np.floating) and math.isnan(value):
            return False
        return {0: False, 1: True}.get(int(value)) if float(value) in (0.0, 1.0) else None
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    return False if text in FALSE_WORDS else None


# ------------------------------------------------------------------------------ constraints


@dataclass(frozen=True)
class Zone:
    """A shelving zone: ``capacity_cm`` after the fill ratio (norms.md §3: 70 % at opening),
    holding the cells of ``audiences`` (and of ``categories`` only, when given)."""

    name: str
    capacity_cm: float
    audiences: tuple[str, ...]
    categories: tuple[str, ...] = ()

    def holds(self, audience: str, category: str) -> bool:
        """Whether a cell of this audience and category is shelved in this zone."""
        return audience in self.audiences and (not self.categories or category in self.categories)


@dataclass(frozen=True)
class Origin:
    """Where copies ship from: ``rate_eur_per_kg`` per kg, ``fixed_eur`` once if used at all
    (norms.md §4, "Freight costs": LCL fixed fees per shipment plus a per-volume/weight rate)."""

    code: str
    rate_eur_per_kg: float = 0.0
    fixed_eur: float = 0.0


@dataclass(frozen=True)
class Constraints:
    """The ``constraints.toml`` of DESIGN.md. Budget and shelf capacities are hard.

    ``mip_rel_gap`` is the relative gap at which the MILP polish may stop (each phase);
    ``time_limit_s`` the wall-clock limit of :func:`plan` after which the polish is killed
    (0 = no polish). Zones are tried in mapping order: a cell belongs to the first zone that
    holds it. An origin not listed is local: nothing to ship, no fixed cost.
    """

    budget_eur: float
    processing_eur_per_item: float = 0.0
    max_copies_per_title: int = 1
    time_limit_s: float = 30.0
    mip_rel_gap: float = 0.001
    zones: Mapping[str, Zone] = field(default_factory=dict)
    origins: Mapping[str, Origin] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, where: str = "constraints") -> Constraints:
        """Constraints from the ``constraints.toml`` shape; keys beyond these are ignored.

        Raises :class:`PlanInputError` naming ``where``, the key, what was found and the fix.
        """
        if not isinstance(data, Mapping):
            raise PlanInputError(f"{where}: expected a table of keys, got {type(data).__name__}.")
        if "budget_eur" not in data:
            raise PlanInputError(
                f"{where}: the key budget_eur is missing; add the collection budget in euros, "
                "e.g. budget_eur = 25000.0."
            )
        return cls(
            budget_eur=_number(data, "budget_eur", where, example="25000.0"),
            processing_eur_per_item=_number(
                data, "processing_eur_per_item", where, default=0.0, example="3.0"
            ),
            max_copies_per_title=_count(data, "max_copies_per_title", where, default=1),
            time_limit_s=_number(data, "time_limit_s", where, default=30.0, example="30"),
            mip_rel_gap=_gap_value(data, where),
            zones=_zones(data.get("zones", {}), where),
            origins=_origins(data.get("origins", {}), where),
        )

    def to_mapping(self) -> dict[str, Any]:
        """The ``constraints.toml`` shape; ``from_mapping(c.to_mapping()) == c``."""
        zones: dict[str, Any] = {}
        for name, zone in self.zones.items():
            zones[name] = {"capacity_cm": zone.capacity_cm, "audiences": list(zone.audiences)}
            if zone.categories:
                zones[name]["categories"] = list(zone.categories)
        return {
            "budget_eur": self.budget_eur,
            "processing_eur_per_item": self.processing_eur_per_item,
            "max_copies_per_title": self.max_copies_per_title,
            "time_limit_s": self.time_limit_s,
            "mip_rel_gap": self.mip_rel_gap,
            "zones": zones,
            "origins": {
                code: {"rate_eur_per_kg": o.rate_eur_per_kg, "fixed_eur": o.fixed_eur}
                for code, o in self.origins.items()
            },
        }

    def zone_of(self, audience: str, category: str) -> str | None:
        """The first zone (in mapping order) that holds the cell, or None."""
        return next((n for n, z in self.zones.items() if z.holds(audience, category)), None)


def _number(
    data: Mapping[str, Any],
    key: str,
    where: str,
    *,
    default: float | None = None,
    example: str,
) -> float:
    """A finite number ≥ 0 under ``key`` (TOML integers accepted), else PlanInputError."""
    value = data.get(key, default)
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < 0:
        raise PlanInputError(
            f"{where}: {key} must be a number ≥ 0, not {value!r}; write e.g. {key} = {example}."
        )
    return float(value)


def _count(data: Mapping[str, Any], key: str, where: str, *, default: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PlanInputError(
            f"{where}: {key} must be a whole number ≥ 1, not {value!r}; write e.g. {key} = 1."
        )
    return value


def _gap_value(data: Mapping[str, Any], where: str) -> float:
    gap = _number(data, "mip_rel_gap", where, default=0.001, example="0.001")
    if gap >= 1:
        raise PlanInputError(
            f"{where}: mip_rel_gap is a fraction below 1 (0.001 = 0.1 %), not {gap!r}."
        )
    return gap


def _texts(value: Any, key: str, where: str, *, required: bool) -> tuple[str, ...]:
    ok = isinstance(value, list | tuple) and all(isinstance(v, str) and v for v in value)
    if not ok or (required and not value):
        need = "a non-empty list" if required else "a list"
        raise PlanInputError(
            f"{where}: {key} must be {need} of names, not {value!r}; "
            f'write e.g. {key.rsplit(".", 1)[-1]} = ["early", "children"].'
        )
    return tuple(value)


def _zones(data: Any, where: str) -> dict[str, Zone]:
    if not isinstance(data, Mapping):
        raise PlanInputError(f"{where}: zones must be tables such as [zones.children].")
    zones = {}
    for name, table in data.items():
        key = f"zones.{name}"
        if not isinstance(table, Mapping):
            raise PlanInputError(f"{where}: {key} must be a table ([{key}] with capacity_cm …).")
        if "capacity_cm" not in table:
            raise PlanInputError(
                f"{where}: {key}.capacity_cm is missing; add the zone's shelf length in cm "
                "after the fill ratio, e.g. capacity_cm = 9000.0."
            )
        zones[str(name)] = Zone(
            name=str(name),
            capacity_cm=_number(table, "capacity_cm", f"{where}, [{key}]", example="9000.0"),
            audiences=_texts(table.get("audiences"), f"{key}.audiences", where, required=True),
            categories=_texts(
                table.get("categories", []), f"{key}.categories", where, required=False
            ),
        )
    return zones


def _origins(data: Any, where: str) -> dict[str, Origin]:
    if not isinstance(data, Mapping):
        raise PlanInputError(f"{where}: origins must be tables such as [origins.FR].")
    origins = {}
    for code, table in data.items():
        key = f"origins.{code}"
        if not isinstance(table, Mapping):
            raise PlanInputError(f"{where}: {key} must be a table ([{key}] with rate_eur_per_kg).")
        at = f"{where}, [{key}]"
        origins[str(code)] = Origin(
            code=str(code),
            rate_eur_per_kg=_number(table, "rate_eur_per_kg", at, default=0.0, example="2.4"),
            fixed_eur=_number(table, "fixed_eur", at, default=0.0, example="900.0"),
        )
    return origins


# ------------------------------------------------------------------------------------ result


@dataclass(frozen=True, eq=False)
class Plan:
    """The answer of :func:`plan`.

    - ``status``: ``optimal`` (proven: the shortfall equals its bound and the cost is within
      ``mip_rel_gap`` of its bound, or the MILP polish proved both phases), ``feasible`` (every
      hard constraint holds, optimality not proven) or ``infeasible`` (the pins alone break a
      hard constraint; ``messages`` say which; the selection is empty).
    - ``method``: what produced the selection: ``lp_rounding``, ``milp`` (the polish improved
      it), ``milp_optimal`` (the polish finished and proved it), ``greedy`` (the LP failed),
      ``none`` (infeasible). ``polish`` says what the MILP polish did and why.
    - ``shortfall``: Σ π_c s_c; ``cost_eur``: Σ u_i x_i + Σ f_o y_o (= budget used).
    - ``bound``: the optimum of the LP relaxation's phase 1 — rounded up to a whole number
      when every weight is whole, since every plan's shortfall then is — a proven lower bound
      on the shortfall of any plan. ``gap`` = (shortfall − bound) / shortfall, 0 when the
      shortfall is 0: how far above the LP bound the answer is, at most. It is always
      measured against the LP bound, also after a MILP polish (whose own proof shows in
      ``status`` and ``method``), so that plans found either way compare.
    - ``cells``: one row per target cell: target, weight, selected copies, shortfall (copies
      short, unweighted), and for a short cell its cause (``no_candidates``: nothing left to
      take; ``shelf``: the zone has no room for the thinnest remaining candidate; ``budget``:
      the budget cannot pay for the cheapest remaining one that fits; ``priority``: weight 0,
      not pursued) and the cost of closing it at the category's average unit cost (over its
      purchases, price > 0; else over all its candidates; else over every purchase).
    """

    status: str
    method: str
    shortfall: float
    cost_eur: float
    bound: float
    gap: float
    selection: pd.DataFrame
    cells: pd.DataFrame
    zones: pd.DataFrame
    origins: pd.DataFrame
    budget_eur: float
    budget_used_eur: float
    polish: str
    messages: tuple[str, ...]
    timings: Mapping[str, float]

    def summary(self) -> dict[str, Any]:
        """A JSON-able digest: the figures, the short cells, zones, origins and messages."""
        short = self.cells[self.cells["shortfall"].fillna(0) > 0]
        return {
            "status": self.status,
            "method": self.method,
            "shortfall": _json_number(self.shortfall),
            "cost_eur": _json_number(self.cost_eur),
            "bound": _json_number(self.bound),
            "gap": _json_number(self.gap),
            "budget_eur": _json_number(self.budget_eur),
            "budget_used_eur": _json_number(self.budget_used_eur),
            "selected_titles": len(self.selection),
            "selected_copies": int(self.selection["copies"].sum()),
            "polish": self.polish,
            "cells_short": _json_records(short),
            "zones": _json_records(self.zones),
            "origins": _json_records(self.origins),
            "messages": list(self.messages),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
        }


def _json_number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 6)


def _json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    records = []
    for row in frame.to_dict("records"):
        clean: dict[str, Any] = {}
        for key, value in row.items():
            if isinstance(value, float | np.floating):
                clean[str(key)] = _json_number(float(value))
            elif isinstance(value, np.integer):
                clean[str(key)] = int(value)
            else:
                clean[str(key)] = None if value is pd.NA or value is None else value
        records.append(clean)
    return records


@dataclass(frozen=True)
class Relaxation:
    """The LP relaxation alone (step 1 of :func:`plan`): ``shortfall`` is the bound of
    phase 1, ``cost_eur`` the optimum of phase 2, ``fractional`` the number of candidates
    with a fractional number of copies, ``seconds`` the time from frames to both optima."""

    shortfall: float
    cost_eur: float
    fractional: int
    seconds: float


# ---------------------------------------------------------------------------------- instance


@dataclass(frozen=True)
class _Instance:
    """The model's candidates (target cell, not excluded, upper bound > 0) as arrays."""

    rows: NDArray[np.int64]  # positions in the candidates frame
    cell: NDArray[np.int64]
    unit: NDArray[np.float64]  # u_i = price + processing + rate × weight
    width: NDArray[np.float64]
    lb: NDArray[np.int64]
    ub: NDArray[np.int64]
    work: NDArray[np.int64]
    zone: NDArray[np.int64]  # -1: no zone
    origin: NDArray[np.int64]
    work_cap: int
    origin_fixed: NDArray[np.float64]
    cell_target: NDArray[np.int64]
    cell_cap: NDArray[np.int64]
    cell_weight: NDArray[np.float64]
    cell_zone: NDArray[np.int64]
    zone_cap: NDArray[np.float64]
    budget: float

    @property
    def n(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class _Prepared:
    """Everything :func:`plan` derives from its frames before solving."""

    frame: pd.DataFrame  # candidates with typed columns + unit_cost_eur + cell index
    cells: pd.DataFrame  # targets with typed columns + zone
    inst: _Instance
    origin_codes: tuple[str, ...]  # "" = local
    origin_rates: NDArray[np.float64]
    zone_names: tuple[str, ...]
    messages: tuple[str, ...]
    infeasible: tuple[str, ...]


def _text_column(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index, dtype=object)
    values = frame[column].astype(object).where(frame[column].notna(), "")
    return values.map(lambda v: str(v).strip())


def _numeric_column(
    frame: pd.DataFrame, column: str, ids: pd.Series, *, default: float | None = None
) -> NDArray[np.float64]:
    """A finite number ≥ 0 in every row (empty = ``default`` when given), else PlanInputError."""
    if column not in frame.columns:
        return np.full(len(frame), default if default is not None else np.nan)
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    if default is not None:
        values = values.where(frame[column].notna() & (frame[column].astype(str) != ""), default)
    array = np.asarray(values.to_numpy(), dtype=np.float64)
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        sample = ", ".join(map(str, ids[bad][:5]))
        raise PlanInputError(
            f"{column} must be a number ≥ 0 on every row; {int(bad.sum())} row(s) are not "
            f"(e.g. {sample}). Fix the values or drop those rows."
        )
    return array


def _flag_column(frame: pd.DataFrame, column: str, ids: pd.Series) -> NDArray[np.bool_]:
    if column not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    series = frame[column]
    if series.dtype == bool:
        return series.to_numpy(dtype=bool)
    parsed = [parse_flag(v) for v in series.to_numpy(dtype=object)]
    bad = np.array([p is None for p in parsed], dtype=bool)
    if bad.any():
        sample = ", ".join(map(str, ids[bad][:5]))
        raise PlanInputError(
            f"{column} must be true or false (also 1/0, yes/no, empty = false); "
            f"{int(bad.sum())} row(s) are not (e.g. {sample})."
        )
    return np.array([bool(p) for p in parsed], dtype=bool)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise PlanInputError(
            f"the {what} lack the column(s) {', '.join(missing)}; they have "
            f"{', '.join(map(str, frame.columns)) or 'no columns'}. Add them (README, "
            "'Plan files', lists the columns)."
        )


def _typed_targets(targets: pd.DataFrame, constraints: Constraints) -> pd.DataFrame:
    """Targets with text keys, integer targets, weights (default 1) and each cell's zone."""
    _require(targets, REQUIRED_TARGET_COLUMNS, "targets")
    cells = pd.DataFrame({c: _text_column(targets, c) for c in CELL_COLUMNS})
    cells = cells.reset_index(drop=True)
    names = pd.Series(["/".join(key) for key in cells.itertuples(index=False)], dtype=object)
    target = _numeric_column(targets, "target", names)
    if (target != np.round(target)).any():
        raise PlanInputError("target must be a whole number of copies on every row.")
    duplicated = cells.duplicated()
    if duplicated.any():
        sample = ", ".join(names[duplicated.to_numpy()][:5])
        raise PlanInputError(
            f"targets name a cell more than once ({sample}); keep one row per cell."
        )
    cells["target"] = target.astype(np.int64)
    cells["weight"] = _numeric_column(targets, "weight", names, default=1.0)
    cells["zone"] = [
        constraints.zone_of(a, c) for a, c in zip(cells["audience"], cells["category"], strict=True)
    ]
    return cells.reset_index(drop=True)


def _typed_candidates(candidates: pd.DataFrame, constraints: Constraints) -> pd.DataFrame:
    """Candidates with typed columns and their unit cost per copy (price + processing +
    rate × weight); raises PlanInputError on a missing column or a bad value."""
    _require(candidates, REQUIRED_CANDIDATE_COLUMNS, "candidates")
    ids = _text_column(candidates, "candidate_id").reset_index(drop=True)
    duplicated = ids.duplicated()
    if duplicated.any() or (ids == "").any():
        sample = ", ".join(repr(i) for i in ids[duplicated | (ids == "")].unique()[:5])
        raise PlanInputError(
            f"candidate_id must be unique and non-empty; {sample} is repeated or empty. "
            "Give every candidate its own id."
        )
    frame = pd.DataFrame({"candidate_id": ids})
    for column in ("audience", "category", "language", "origin", "work_key"):
        frame[column] = _text_column(candidates, column).to_numpy()
    for column in ("price_eur", "width_cm", "weight_kg"):
        frame[column] = _numeric_column(candidates, column, ids)
    copies = _numeric_column(candidates, "copies_offered", ids, default=1.0)
    if ((copies < 1) | (copies != np.round(copies))).any():
        raise PlanInputError("copies_offered must be a whole number ≥ 1 on every row.")
    frame["copies_offered"] = copies.astype(np.int64)
    frame["pinned"] = _flag_column(candidates, "pinned", ids)
    frame["excluded"] = _flag_column(candidates, "excluded", ids)
    rates = {code: o.rate_eur_per_kg for code, o in constraints.origins.items()}
    rate = frame["origin"].map(rates).fillna(0.0).to_numpy(dtype=float)
    frame["unit_cost_eur"] = (
        frame["price_eur"] + constraints.processing_eur_per_item + rate * frame["weight_kg"]
    )
    return frame


def _prepare(
    candidates: pd.DataFrame, targets: pd.DataFrame, constraints: Constraints
) -> _Prepared:
    """Typed frames, the model's arrays, messages, and the reasons pins are infeasible."""
    frame = _typed_candidates(candidates, constraints)
    cells = _typed_targets(targets, constraints)
    keys = pd.MultiIndex.from_frame(cells[list(CELL_COLUMNS)])
    frame["cell"] = keys.get_indexer(pd.MultiIndex.from_frame(frame[list(CELL_COLUMNS)]))
    codes, origin_of = np.unique(frame["origin"].to_numpy(dtype=str), return_inverse=True)
    origin_codes = tuple(str(c) for c in codes)
    inst = _instance(frame, cells, constraints, origin_codes, origin_of.astype(np.int64))
    zone_names = tuple(constraints.zones)
    infeasible = _pin_conflicts(frame) or _capacity_conflicts(inst, frame, zone_names, origin_codes)
    listed = constraints.origins
    return _Prepared(
        frame=frame,
        cells=cells,
        inst=inst,
        origin_codes=origin_codes,
        origin_rates=np.array([listed[c].rate_eur_per_kg if c in listed else 0.0 for c in codes]),
        zone_names=zone_names,
        messages=tuple(_input_messages(frame, cells, len(zone_names))),
        infeasible=tuple(infeasible),
    )


def _instance(
    frame: pd.DataFrame,
    cells: pd.DataFrame,
    constraints: Constraints,
    origin_codes: tuple[str, ...],
    origin_of: NDArray[np.int64],
) -> _Instance:
    """The model's arrays. A candidate's upper bound is min(copies offered, the work cap, its
    cell's cap); candidates with no target cell, excluded, or bound 0 are left out."""
    zone_index = {name: k for k, name in enumerate(constraints.zones)}
    cell_zone = np.array([zone_index.get(z, -1) if z else -1 for z in cells["zone"]], np.int64)
    pinned = frame["pinned"].to_numpy(dtype=bool)
    cell = frame["cell"].to_numpy(dtype=np.int64)
    target = cells["target"].to_numpy(dtype=np.int64)
    cell_cap = np.maximum(target, np.bincount(cell[pinned & (cell >= 0)], minlength=len(cells)))
    ub = np.minimum(
        frame["copies_offered"].to_numpy(dtype=np.int64),
        np.minimum(constraints.max_copies_per_title, cell_cap[np.maximum(cell, 0)]),
    )
    rows = np.flatnonzero((cell >= 0) & ~frame["excluded"].to_numpy(dtype=bool) & (ub > 0))
    work_codes = _work_codes(frame["work_key"].to_numpy(dtype=str))[rows]
    listed = constraints.origins
    return _Instance(
        rows=rows,
        cell=cell[rows],
        unit=frame["unit_cost_eur"].to_numpy(dtype=float)[rows],
        width=frame["width_cm"].to_numpy(dtype=float)[rows],
        lb=pinned[rows].astype(np.int64),
        ub=ub[rows],
        work=np.unique(work_codes, return_inverse=True)[1].astype(np.int64),
        zone=cell_zone[cell[rows]],
        origin=origin_of[rows],
        work_cap=constraints.max_copies_per_title,
        origin_fixed=np.array([listed[c].fixed_eur if c in listed else 0.0 for c in origin_codes]),
        cell_target=target,
        cell_cap=cell_cap.astype(np.int64),
        cell_weight=cells["weight"].to_numpy(dtype=float),
        cell_zone=cell_zone,
        zone_cap=np.array([z.capacity_cm for z in constraints.zones.values()], dtype=float),
        budget=constraints.budget_eur,
    )


def _work_codes(keys: NDArray[np.str_]) -> NDArray[np.int64]:
    """One code per work_key; an empty key is a work of its own."""
    codes = np.unique(keys, return_inverse=True)[1].astype(np.int64)
    empty = keys == ""
    codes[empty] = codes.max(initial=0) + 1 + np.arange(int(empty.sum()))
    return codes


def _input_messages(frame: pd.DataFrame, cells: pd.DataFrame, zones: int) -> list[str]:
    """Candidates left out for want of a target row; candidates no shelf constrains."""
    messages = []
    orphans = int((frame["cell"] < 0).sum())
    if orphans:
        messages.append(
            f"{orphans} candidate(s) belong to a cell with no target row and were ignored; "
            "add their cells to the targets to plan them."
        )
    shelved = frame["cell"] >= 0
    unzoned = cells["zone"].isna().to_numpy()[frame.loc[shelved, "cell"].to_numpy()]
    if not zones and shelved.any():
        messages.append("no zones were given: shelf capacity was not checked.")
    elif unzoned.any():
        in_frame = frame.loc[shelved].loc[unzoned, ["audience", "category"]].drop_duplicates()
        pairs = ", ".join(f"{a}/{c}" for a, c in in_frame.itertuples(index=False))
        messages.append(
            f"no zone holds {pairs}: {int(unzoned.sum())} candidate(s) are not "
            "shelf-constrained; add their audience to a zone's audiences."
        )
    return messages


def _pin_conflicts(frame: pd.DataFrame) -> list[str]:
    """Pins that contradict the inputs themselves (excluded too, or in no target cell)."""
    pinned = frame["pinned"].to_numpy()
    problems = []
    both = frame.loc[pinned & frame["excluded"].to_numpy(), "candidate_id"]
    if len(both):
        problems.append(
            f"candidate(s) {_sample(both)} are both pinned and excluded; keep one of the flags."
        )
    orphan = frame.loc[pinned & (frame["cell"].to_numpy() < 0), "candidate_id"]
    if len(orphan):
        problems.append(
            f"pinned candidate(s) {_sample(orphan)} belong to no target cell; add their cells "
            "to the targets (a target of 0 is enough) or unpin them."
        )
    return problems


def _capacity_conflicts(
    inst: _Instance, frame: pd.DataFrame, zone_names: Sequence[str], origins: Sequence[str]
) -> list[str]:
    """Hard constraints the pins alone break (x = 1 for every pin is then the best case)."""
    pins = inst.lb > 0
    ids = frame["candidate_id"].to_numpy(dtype=object)[inst.rows]
    problems = []
    per_work = np.bincount(inst.work[pins], minlength=int(inst.work.max(initial=-1)) + 1)
    for work in np.flatnonzero(per_work > inst.work_cap):
        members = ids[pins & (inst.work == work)]
        key = frame["work_key"].to_numpy(dtype=object)[inst.rows][pins & (inst.work == work)][0]
        problems.append(
            f"{len(members)} pinned candidates ({_sample(members)}) are copies of work "
            f"{key!r}, above max_copies_per_title = {inst.work_cap}; unpin some or raise it."
        )
    for z, name in enumerate(zone_names):
        in_zone = pins & (inst.zone == z)
        used = float(inst.width[in_zone].sum())
        if used > inst.zone_cap[z] + _EPS:
            problems.append(
                f"the {int(in_zone.sum())} pinned candidates of zone {name!r} "
                f"({_sample(ids[in_zone])}) need {used:,.1f} cm of shelf, above its "
                f"capacity_cm = {inst.zone_cap[z]:,.1f}; unpin some or give the zone more shelf."
            )
    open_ = np.unique(inst.origin[pins])
    cost = float(inst.unit[pins].sum() + inst.origin_fixed[open_].sum())
    if cost > inst.budget + _EPS:
        fixed = ", ".join(origins[o] for o in open_ if inst.origin_fixed[o] > 0)
        problems.append(
            f"the {int(pins.sum())} pinned candidates ({_sample(ids[pins])}) cost {cost:,.2f} € "
            + (f"(with the fixed shipping of {fixed}) " if fixed else "")
            + f"above budget_eur = {inst.budget:,.2f}; unpin some or raise the budget."
        )
    return problems


def _sample(values: Any, limit: int = 5) -> str:
    items = [str(v) for v in list(values)[:limit]]
    more = len(values) - limit
    return ", ".join(items) + (f" and {more} more" if more > 0 else "")


# ----------------------------------------------------------------------------- the LP model


@dataclass(frozen=True)
class _Layout:
    """Column and row positions of the model: columns x | s | y; rows cells | works | zones |
    budget | origin links | the phase-2 shortfall row."""

    y_origins: NDArray[np.int64]  # origin index of each y column
    y_of_origin: NDArray[np.int64]  # y column rank of each origin (-1: no fixed cost)
    work_rows: NDArray[np.int64]  # row of each work (-1: a single candidate, no row)
    link_rows: NDArray[np.int64]  # link row of each candidate (-1: its origin has no y)
    first_zone_row: int
    budget_row: int
    shortfall_row: int
    num_col: int
    num_row: int

    def s_col(self, n: int, cells: int) -> NDArray[np.int64]:
        return n + np.arange(cells, dtype=np.int64)

    def y_col(self, n: int, cells: int) -> NDArray[np.int64]:
        return n + cells + np.arange(len(self.y_origins), dtype=np.int64)


def _layout(inst: _Instance) -> _Layout:
    n, cells = inst.n, len(inst.cell_target)
    per_work = np.bincount(inst.work, minlength=int(inst.work.max(initial=-1)) + 1)
    shared = per_work >= 2
    work_row = np.full(len(per_work), -1, dtype=np.int64)
    work_row[shared] = cells + np.arange(int(shared.sum()))
    first_zone = cells + int(shared.sum())
    budget_row = first_zone + len(inst.zone_cap)
    supply = np.bincount(inst.origin, minlength=len(inst.origin_fixed))
    y_origins = np.flatnonzero((inst.origin_fixed > 0) & (supply > 0)).astype(np.int64)
    y_of_origin = np.full(len(inst.origin_fixed), -1, dtype=np.int64)
    y_of_origin[y_origins] = np.arange(len(y_origins))
    linked = y_of_origin[inst.origin] >= 0 if n else np.zeros(0, bool)
    link_rows = np.full(n, -1, dtype=np.int64)
    link_rows[linked] = budget_row + 1 + np.arange(int(linked.sum()))
    links = int(linked.sum())
    return _Layout(
        y_origins=y_origins,
        y_of_origin=y_of_origin,
        work_rows=work_row,
        link_rows=link_rows,
        first_zone_row=first_zone,
        budget_row=budget_row,
        shortfall_row=budget_row + 1 + links,
        num_col=n + cells + len(y_origins),
        num_row=budget_row + 2 + links,
    )


@dataclass(frozen=True)
class _Arrays:
    """The model in HiGHS's column-wise arrays (both phases share the matrix)."""

    shortfall_cost: NDArray[np.float64]
    money_cost: NDArray[np.float64]
    col_lower: NDArray[np.float64]
    col_upper: NDArray[np.float64]
    row_lower: NDArray[np.float64]
    row_upper: NDArray[np.float64]
    start: NDArray[np.int32]
    index: NDArray[np.int32]
    value: NDArray[np.float64]
    integrality: NDArray[np.int32]


def _model_arrays(inst: _Instance, lay: _Layout) -> _Arrays:
    """Objective, bounds and the constraint matrix (module docstring), built with numpy."""
    n, cells, ys = inst.n, len(inst.cell_target), len(lay.y_origins)
    x = np.arange(n, dtype=np.int64)
    work_row = lay.work_rows[inst.work] if n else np.zeros(0, np.int64)
    s_cols, y_cols = lay.s_col(n, cells), lay.y_col(n, cells)
    linked = lay.link_rows >= 0
    link_y = n + cells + lay.y_of_origin[inst.origin[linked]]
    parts = [
        (inst.cell, x, np.ones(n)),
        (work_row, x, np.ones(n)),
        (lay.first_zone_row + inst.zone, np.where(inst.zone >= 0, x, -1), inst.width),
        (np.full(n, lay.budget_row), x, inst.unit),
        (lay.link_rows, x, np.ones(n)),
        (np.arange(cells), s_cols, np.ones(cells)),
        (np.full(cells, lay.shortfall_row), s_cols, inst.cell_weight),
        (np.full(ys, lay.budget_row), y_cols, inst.origin_fixed[lay.y_origins]),
        (lay.link_rows[linked], link_y, -inst.ub[linked].astype(float)),
    ]
    rows = np.concatenate([p[0] for p in parts]).astype(np.int64)
    cols = np.concatenate([p[1] for p in parts]).astype(np.int64)
    vals = np.concatenate([p[2] for p in parts]).astype(float)
    keep = (rows >= 0) & (cols >= 0) & (vals != 0)
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    order = np.argsort(cols, kind="stable")
    counts = np.bincount(cols, minlength=lay.num_col)
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    s_upper = np.where(inst.cell_cap > inst.cell_target, 0, inst.cell_target).astype(float)
    row_lower = np.full(lay.num_row, -np.inf)
    row_upper = np.full(lay.num_row, np.inf)
    row_lower[:cells] = row_upper[:cells] = inst.cell_cap
    row_upper[cells : lay.first_zone_row] = inst.work_cap
    row_upper[lay.first_zone_row : lay.budget_row] = inst.zone_cap
    row_upper[lay.budget_row] = inst.budget
    row_upper[lay.budget_row + 1 : lay.shortfall_row] = 0.0
    return _Arrays(
        shortfall_cost=np.concatenate([np.zeros(n), inst.cell_weight, np.zeros(ys)]),
        money_cost=np.concatenate([inst.unit, np.zeros(cells), inst.origin_fixed[lay.y_origins]]),
        col_lower=np.concatenate([inst.lb, np.zeros(cells), np.zeros(ys)]).astype(float),
        col_upper=np.concatenate([inst.ub, s_upper, np.ones(ys)]).astype(float),
        row_lower=row_lower,
        row_upper=row_upper,
        start=start,
        index=rows[order].astype(np.int32),
        value=vals[order],
        integrality=np.ones(lay.num_col, dtype=np.int32),
    )


def _new_highs(verbose: bool) -> Any:
    """A HiGHS instance whose output is off before anything runs. highspy.Highs() prints
    its banner on construction, before any option can be set (ERGO-Code/HiGHS #1702, #2749),
    which would corrupt ``plan-file --json`` on stdout; the core class does not."""
    core = getattr(highspy, "_core", None)
    highs = core._Highs() if core is not None and hasattr(core, "_Highs") else highspy.Highs()
    highs.setOptionValue("output_flag", bool(verbose))
    return highs


def _pass_model(highs: Any, arrays: _Arrays, lay: _Layout, *, integer: bool) -> None:
    highs.passModel(
        lay.num_col,
        lay.num_row,
        len(arrays.value),
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        arrays.shortfall_cost,
        arrays.col_lower,
        arrays.col_upper,
        arrays.row_lower,
        arrays.row_upper,
        arrays.start,
        arrays.index,
        arrays.value,
        arrays.integrality if integer else np.zeros(lay.num_col, dtype=np.int32),
    )


def _shortfall_tolerance(value: float) -> float:
    return 1e-6 * max(1.0, abs(value))


@dataclass(frozen=True)
class _LpPoint:
    ok: bool
    status: str
    shortfall: float
    cost: float
    x: NDArray[np.float64]
    y: NDArray[np.float64]


class _LexicographicLp:
    """The LP relaxation, solved phase 1 then phase 2, warm-started between solves."""

    def __init__(self, inst: _Instance, verbose: bool) -> None:
        self.inst = inst
        self.lay = _layout(inst)
        self.arrays = _model_arrays(inst, self.lay)
        self.highs = _new_highs(verbose)
        _pass_model(self.highs, self.arrays, self.lay, integer=False)
        self.cols = np.arange(self.lay.num_col, dtype=np.int32)

    def solve(
        self,
        y_fixed: NDArray[np.bool_] | None = None,
        *,
        give_up_above: float = math.inf,
        deadline: float | None = None,
        fresh: bool = False,
    ) -> _LpPoint:
        """Both phases; ``y_fixed`` (one bool per y column) opens/closes origins for real.
        Gives up (not ok) when phase 1's shortfall exceeds ``give_up_above`` or at the
        ``deadline`` (time.monotonic); ``fresh`` drops the warm basis."""
        try:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return self._failed("no time left")
                self.highs.setOptionValue("time_limit", left)
            return self._phases(y_fixed, give_up_above, fresh)
        finally:
            self.highs.setOptionValue("time_limit", highspy.kHighsInf)

    def _phases(
        self, y_fixed: NDArray[np.bool_] | None, give_up_above: float, fresh: bool
    ) -> _LpPoint:
        highs, lay, arrays = self.highs, self.lay, self.arrays
        ys = len(lay.y_origins)
        if ys:
            y_cols = self.cols[-ys:]
            low = np.zeros(ys) if y_fixed is None else y_fixed.astype(float)
            high = np.ones(ys) if y_fixed is None else y_fixed.astype(float)
            highs.changeColsBounds(ys, y_cols, low, high)
        highs.changeRowBounds(lay.shortfall_row, -highspy.kHighsInf, highspy.kHighsInf)
        highs.changeColsCost(lay.num_col, self.cols, arrays.shortfall_cost)
        if fresh:
            # Closing an origin moves thousands of copies: a fresh solve with presolve beats
            # the warm basis (measured 1.8 s against 13 s at 50,000 candidates).
            highs.clearSolver()
        highs.run()
        status = highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            return self._failed(f"phase 1: {highs.modelStatusToString(status)}")
        shortfall = float(highs.getInfo().objective_function_value)
        if shortfall > give_up_above + _shortfall_tolerance(give_up_above):
            return self._failed("phase 1: a larger shortfall")
        upper = shortfall + _shortfall_tolerance(shortfall)
        highs.changeRowBounds(lay.shortfall_row, -highspy.kHighsInf, upper)
        highs.changeColsCost(lay.num_col, self.cols, arrays.money_cost)
        highs.run()
        status = highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            return self._failed(f"phase 2: {highs.modelStatusToString(status)}")
        values = np.asarray(highs.getSolution().col_value, dtype=float)
        n, cells = self.inst.n, len(self.inst.cell_target)
        cost = float(highs.getInfo().objective_function_value)
        return _LpPoint(True, "optimal", shortfall, cost, values[:n], values[n + cells :])

    def _failed(self, status: str) -> _LpPoint:
        return _LpPoint(False, status, math.inf, math.inf, np.zeros(0), np.zeros(0))


def _better(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether (shortfall, cost) ``a`` is lexicographically better than ``b``."""
    tol = _shortfall_tolerance(b[0])
    return a[0] < b[0] - tol or (a[0] <= b[0] + tol and a[1] < b[1] - _EPS)


def _choose_origins(
    lp: _LexicographicLp, relaxed: _LpPoint, deadline: float | None, messages: list[str]
) -> _LpPoint:
    """Decide the origins the relaxation left half-open (0 < y_o < 1): open them all, then
    try closing each in turn, biggest fixed cost first, keeping a change when the LP's
    (shortfall, cost) gets better; trials stop at the ``deadline``. Origins at 0 or 1 stay
    as the relaxation set them."""
    if not len(relaxed.y):
        return relaxed
    half = (relaxed.y > _ROUND_UP) & (relaxed.y < 1 - _ROUND_UP)
    if not half.any():
        return relaxed
    open_ = relaxed.y > _ROUND_UP
    best = lp.solve(open_)
    if not best.ok:
        return relaxed
    fixed = lp.inst.origin_fixed[lp.lay.y_origins]
    for k in np.flatnonzero(half)[np.argsort(-fixed[half], kind="stable")]:
        trial = open_.copy()
        trial[k] = False
        point = lp.solve(trial, give_up_above=best.shortfall, deadline=deadline, fresh=True)
        if point.status == "no time left" or (deadline and time.monotonic() >= deadline):
            messages.append(
                "the time limit cut short the choice of origins to open: some origins' "
                "fixed costs were not weighed against closing them."
            )
            break
        if point.ok and _better((point.shortfall, point.cost), (best.shortfall, best.cost)):
            best, open_ = point, trial
    return best


# ------------------------------------------------------------------------------- a solution


class _State:
    """Copies per candidate and the slack of every constraint they use."""

    def __init__(self, inst: _Instance, x: NDArray[np.int64]) -> None:
        self.inst = inst
        self.x = x.astype(np.int64).copy()
        self.cell_count = np.bincount(inst.cell, weights=self.x, minlength=len(inst.cell_target))
        self.work_count = np.bincount(inst.work, weights=self.x, minlength=_works(inst))
        zone_ok = inst.zone >= 0
        self.zone_used = np.bincount(
            inst.zone[zone_ok], weights=(inst.width * self.x)[zone_ok], minlength=len(inst.zone_cap)
        )
        self.origin_count = np.bincount(
            inst.origin, weights=self.x, minlength=len(inst.origin_fixed)
        )
        self.spent = float(inst.unit @ self.x) + float(
            inst.origin_fixed[self.origin_count > 0].sum()
        )

    def budget_slack(self) -> float:
        return self.inst.budget - self.spent

    def zone_room(self) -> NDArray[np.float64]:
        """Free shelf (cm) in each candidate's zone; infinite without a zone."""
        free = np.append(self.inst.zone_cap - self.zone_used, np.inf)
        return free[self.inst.zone]  # zone -1 reads the appended infinity

    def zone_slack(self, zone: int) -> float:
        return math.inf if zone < 0 else float(self.inst.zone_cap[zone] - self.zone_used[zone])

    def add(self, i: int, copies: int) -> None:
        """Add (or, negative, remove) copies of ``i``; a first copy from an origin pays its
        fixed cost, removing its last copy refunds it."""
        inst = self.inst
        if copies == 0:
            return
        if self.origin_count[inst.origin[i]] == 0:
            self.spent += float(inst.origin_fixed[inst.origin[i]])
        self._change(i, copies)
        if self.origin_count[inst.origin[i]] == 0:
            self.spent -= float(inst.origin_fixed[inst.origin[i]])

    def _change(self, i: int, copies: int) -> None:
        inst = self.inst
        self.x[i] += copies
        self.cell_count[inst.cell[i]] += copies
        self.work_count[inst.work[i]] += copies
        if inst.zone[i] >= 0:
            self.zone_used[inst.zone[i]] += inst.width[i] * copies
        self.origin_count[inst.origin[i]] += copies
        self.spent += float(inst.unit[i]) * copies

    def room(self, i: int) -> int:
        """How many more copies of ``i`` fit every constraint (budget incl. a fixed cost)."""
        inst = self.inst
        c = inst.cell[i]
        fit = min(
            int(inst.ub[i] - self.x[i]),
            int(inst.cell_target[c] - self.cell_count[c]),
            int(inst.work_cap - self.work_count[inst.work[i]]),
        )
        if fit <= 0:
            return 0
        budget = self.budget_slack() + _EPS
        if self.origin_count[inst.origin[i]] == 0:
            budget -= float(inst.origin_fixed[inst.origin[i]])
        if inst.unit[i] > 0:
            fit = min(fit, math.floor(budget / inst.unit[i]))
        elif budget < 0:
            return 0
        if inst.width[i] > 0 and inst.zone[i] >= 0:
            fit = min(fit, math.floor((self.zone_slack(int(inst.zone[i])) + _EPS) / inst.width[i]))
        return max(fit, 0)


def _works(inst: _Instance) -> int:
    return int(inst.work.max(initial=-1)) + 1


def _evaluate(inst: _Instance, x: NDArray[np.int64]) -> tuple[float, float]:
    """(Σ π s, cost) of integer copies ``x``."""
    count = np.bincount(inst.cell, weights=x, minlength=len(inst.cell_target))
    short = np.maximum(inst.cell_target - count, 0)
    used = np.bincount(inst.origin, weights=x, minlength=len(inst.origin_fixed)) > 0
    return float(inst.cell_weight @ short), float(inst.unit @ x + inst.origin_fixed[used].sum())


def _violations(inst: _Instance, x: NDArray[np.int64]) -> list[str]:
    """The hard constraints ``x`` breaks (empty when feasible)."""
    state = _State(inst, x)
    found = []
    if (x < inst.lb).any() or (x > inst.ub).any():
        found.append("copies outside [pinned, copies offered]")
    if (state.cell_count > inst.cell_cap).any():
        found.append("a cell above its target")
    if (state.work_count > inst.work_cap).any():
        found.append("a work above max_copies_per_title")
    if (state.zone_used > inst.zone_cap + _EPS).any():
        found.append("a zone above its capacity")
    if state.spent > inst.budget + _EPS:
        found.append("the budget")
    return found


def _round_down(inst: _Instance, values: NDArray[np.float64]) -> NDArray[np.int64]:
    x = np.floor(values + _ROUND_UP).astype(np.int64)
    return np.clip(x, inst.lb, inst.ub)


def _repair(inst: _Instance, x: NDArray[np.int64]) -> NDArray[np.int64]:
    """Remove copies (never below the pins) until every hard constraint holds; only LP
    tolerance can make this necessary, so it rarely moves anything."""
    state = _State(inst, np.clip(x, inst.lb, inst.ub))
    for c in np.flatnonzero(state.cell_count > inst.cell_cap):
        _drop(state, inst.cell == c, inst.unit, lambda c=c: state.cell_count[c] <= inst.cell_cap[c])
    for g in np.flatnonzero(state.work_count > inst.work_cap):
        _drop(state, inst.work == g, inst.unit, lambda g=g: state.work_count[g] <= inst.work_cap)
    for z in np.flatnonzero(state.zone_used > inst.zone_cap + _EPS):
        _drop(
            state,
            inst.zone == z,
            inst.width,
            lambda z=z: state.zone_used[z] <= inst.zone_cap[z] + _EPS,
        )
    if state.budget_slack() < -_EPS:
        _drop(state, inst.lb >= 0, inst.unit, lambda: state.budget_slack() >= -_EPS)
    return state.x


def _drop(state: _State, mask: NDArray[np.bool_], size: NDArray[np.float64], done: Any) -> None:
    """Remove copies from ``mask`` — lowest weight, then largest ``size`` first — until done."""
    inst = state.inst
    mask = mask & (state.x > inst.lb)
    order = np.lexsort((-size[mask], inst.cell_weight[inst.cell[mask]]))
    for i in np.flatnonzero(mask)[order]:
        while state.x[i] > inst.lb[i] and not done():
            state.add(int(i), -1)
        if done():
            return


def _fill(inst: _Instance, x: NDArray[np.int64]) -> NDArray[np.int64]:
    """Add copies to short cells, best weight per euro first, while everything still fits."""
    state = _State(inst, x)
    while True:
        need = inst.cell_target - state.cell_count
        work_room = inst.work_cap - state.work_count
        closed_fixed = np.where(
            state.origin_count[inst.origin] > 0, 0.0, inst.origin_fixed[inst.origin]
        )
        price = inst.unit + closed_fixed
        zone_room = state.zone_room()
        eligible = (
            (state.x < inst.ub)
            & (need[inst.cell] > 0)
            & (inst.cell_weight[inst.cell] > 0)
            & (work_room[inst.work] > 0)
            & (price <= state.budget_slack() + _EPS)
            & (inst.width <= zone_room + _EPS)
        )
        if not eligible.any():
            return state.x
        idx = np.flatnonzero(eligible)
        value = inst.cell_weight[inst.cell[idx]] / np.maximum(price[idx], 1e-2)
        added = False
        for i in idx[np.lexsort((idx, inst.width[idx], -value))]:
            copies = state.room(int(i))
            if copies > 0:
                state.add(int(i), copies)
                added = True
        if not added:
            return state.x


_SWAP_SCAN = 25  # alternatives examined per expensive copy: keeps the pass cheap


def _cheaper_swaps(inst: _Instance, x: NDArray[np.int64]) -> NDArray[np.int64]:
    """Move copies to a cheaper candidate of the same cell (same shortfall, lower cost) when
    the work cap, the copies offered and the zone allow; only into origins already used."""
    state = _State(inst, x)
    order = np.lexsort((np.arange(inst.n), inst.unit, inst.cell))
    bounds = np.searchsorted(inst.cell[order], np.arange(len(inst.cell_target) + 1))
    for c in range(len(inst.cell_target)):
        members = order[bounds[c] : bounds[c + 1]]
        taken = members[state.x[members] > inst.lb[members]][::-1]
        spare = members[(state.x[members] < inst.ub[members])]
        if not len(taken) or not len(spare) or inst.unit[spare[0]] >= inst.unit[taken[0]] - _EPS:
            continue
        for i in taken:
            _swap_out(state, int(i), spare)
    return state.x


def _swap_out(state: _State, i: int, spare: NDArray[np.int64]) -> None:
    inst = state.inst
    for j in spare[:_SWAP_SCAN]:
        if state.x[i] <= inst.lb[i] or inst.unit[j] >= inst.unit[i] - _EPS:
            return
        j = int(j)
        if j == i or state.x[j] >= inst.ub[j] or state.origin_count[inst.origin[j]] == 0:
            continue
        if inst.work[j] != inst.work[i] and state.work_count[inst.work[j]] >= inst.work_cap:
            continue
        if (
            inst.zone[i] >= 0
            and inst.width[j] - inst.width[i] > state.zone_slack(int(inst.zone[i])) + _EPS
        ):
            continue
        state.add(i, -1)
        state.add(j, 1)


def _improve(inst: _Instance, x: NDArray[np.int64]) -> NDArray[np.int64]:
    """Repair, fill, cheaper swaps, and fill again (the swaps free budget)."""
    x = _fill(inst, _repair(inst, x))
    return _fill(inst, _cheaper_swaps(inst, x))


# ------------------------------------------------------------------------------- MILP polish


@dataclass(frozen=True)
class _Polished:
    x: NDArray[np.int64] | None
    proven: bool
    note: str


def _polish(
    inst: _Instance,
    x: NDArray[np.int64],
    constraints: Constraints,
    deadline: float,
    skip_phase1: bool,
    verbose: bool,
) -> _Polished:
    """Run the exact MILP in a forked child killed at ``deadline`` (time.monotonic); return
    the last feasible answer it sent."""
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:
        return _Polished(None, False, "skipped: this platform cannot fork a solver process")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_polish_child,
        args=(sender, inst, x, constraints.mip_rel_gap, deadline, skip_phase1, verbose),
        daemon=True,
    )
    started = time.monotonic()
    with warnings.catch_warnings():
        # Python ≥ 3.12 warns that forking a threaded process may deadlock the child: this
        # child only runs HiGHS on inherited arrays, and is killed at the deadline anyway.
        warnings.simplefilter("ignore", DeprecationWarning)
        child.start()
    sender.close()
    last: dict[str, Any] | None = None
    note = ""
    try:
        while not note:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                note = f"killed at the {constraints.time_limit_s:g} s deadline"
            elif receiver.poll(remaining):
                message = receiver.recv()
                if message["phase"] == "done":
                    note = f"finished in {time.monotonic() - started:.2f} s"
                elif message["phase"] == "error":
                    note = f"failed ({message['error']})"
                else:
                    last = message
    except (EOFError, OSError) as exc:
        note = f"failed: the solver process ended early ({type(exc).__name__})"
    finally:
        if child.is_alive():
            child.kill()
        child.join(timeout=5)
        receiver.close()
    return _polished_answer(inst, last, note)


def _polished_answer(inst: _Instance, last: dict[str, Any] | None, note: str) -> _Polished:
    if last is None:
        return _Polished(None, False, note)
    x = np.rint(np.asarray(last["x"], dtype=float)).astype(np.int64)
    broken = _violations(inst, x)
    if broken:
        return _Polished(None, False, f"{note}; its answer broke {', '.join(broken)}: discarded")
    proven = bool(last["phase"] == "phase2" and last["optimal"] and last["phase1_optimal"])
    return _Polished(x, proven, note)


def _polish_child(
    sender: Connection,
    inst: _Instance,
    x: NDArray[np.int64],
    gap: float,
    deadline: float,
    skip_phase1: bool,
    verbose: bool,
) -> None:
    """The child: phase 1 (unless the start already meets the LP bound), then phase 2, each
    started from the best known answer; sends each phase's answer as it comes."""
    try:
        _run_milp(sender, inst, x, gap, deadline, skip_phase1, verbose)
        sender.send({"phase": "done"})
    except Exception as exc:  # reported to the parent, which keeps its own answer
        sender.send({"phase": "error", "error": f"{type(exc).__name__}: {exc}"})
    finally:
        sender.close()


def _run_milp(
    sender: Connection,
    inst: _Instance,
    x: NDArray[np.int64],
    gap: float,
    deadline: float,
    skip_phase1: bool,
    verbose: bool,
) -> None:
    # The parent's HiGHS worker threads do not exist in a forked child: a fresh scheduler.
    highspy.Highs.resetGlobalScheduler(False)
    lay = _layout(inst)
    arrays = _model_arrays(inst, lay)
    highs = _new_highs(verbose)
    _pass_model(highs, arrays, lay, integer=True)
    highs.setOptionValue("mip_rel_gap", gap)
    cols = np.arange(lay.num_col, dtype=np.int32)
    start = _column_values(inst, lay, x)
    phase1_optimal = skip_phase1
    if not skip_phase1:
        highs.setOptionValue("time_limit", max(0.05, 0.6 * (deadline - time.monotonic())))
        highs.setSolution(lay.num_col, cols, start)
        highs.run()
        found = _milp_x(highs, inst)
        if found is not None:
            phase1_optimal = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
            sender.send({"phase": "phase1", "x": found, "optimal": phase1_optimal})
            if _better(_evaluate(inst, found), _evaluate(inst, x)):
                x = found
    shortfall = _evaluate(inst, x)[0]
    highs.changeRowBounds(
        lay.shortfall_row, -highspy.kHighsInf, shortfall + _shortfall_tolerance(shortfall)
    )
    highs.changeColsCost(lay.num_col, cols, arrays.money_cost)
    highs.setOptionValue("time_limit", max(0.05, deadline - time.monotonic() - 0.05))
    highs.setSolution(lay.num_col, cols, _column_values(inst, lay, x))
    highs.run()
    found = _milp_x(highs, inst)
    if found is not None:
        optimal = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
        sender.send(
            {"phase": "phase2", "x": found, "optimal": optimal, "phase1_optimal": phase1_optimal}
        )


def _column_values(inst: _Instance, lay: _Layout, x: NDArray[np.int64]) -> NDArray[np.float64]:
    """The full column vector (x | s | y) of integer copies ``x``."""
    count = np.bincount(inst.cell, weights=x, minlength=len(inst.cell_target))
    used = np.bincount(inst.origin, weights=x, minlength=len(inst.origin_fixed)) > 0
    s = inst.cell_cap - count
    return np.concatenate([x, s, used[lay.y_origins]]).astype(float)


def _milp_x(highs: Any, inst: _Instance) -> NDArray[np.int64] | None:
    if highs.getInfo().primal_solution_status != highspy.SolutionStatus.kSolutionStatusFeasible:
        return None
    values = np.asarray(highs.getSolution().col_value, dtype=float)[: inst.n]
    return np.rint(values).astype(np.int64)


# -------------------------------------------------------------------------------- the solve


def solve_relaxation(
    candidates: pd.DataFrame, targets: pd.DataFrame, constraints: Constraints
) -> Relaxation:
    """Step 1 of :func:`plan` alone: the lexicographic LP relaxation (its phase-1 optimum is
    the ``bound`` of every plan). Raises PlanInputError on bad inputs; infeasible pins give
    an infinite shortfall."""
    started = time.perf_counter()
    prepared = _prepare(candidates, targets, constraints)
    if prepared.infeasible:
        return Relaxation(math.inf, math.inf, 0, time.perf_counter() - started)
    inst = prepared.inst
    if inst.n == 0:
        shortfall, cost = _evaluate(inst, inst.lb)
        return Relaxation(shortfall, cost, 0, time.perf_counter() - started)
    point = _LexicographicLp(inst, verbose=False).solve()
    fractional = int((np.abs(point.x - np.rint(point.x)) > _ROUND_UP).sum())
    return Relaxation(point.shortfall, point.cost, fractional, time.perf_counter() - started)


def plan(
    candidates: pd.DataFrame,
    targets: pd.DataFrame,
    constraints: Constraints,
    *,
    polish: bool = True,
    verbose: bool = False,
) -> Plan:
    """The lexicographic plan of DESIGN.md "The planning model" (the module docstring says
    how it is found). ``polish=False`` or ``time_limit_s = 0`` skips the MILP polish;
    ``verbose`` lets HiGHS print its log.

    Deterministic: the same inputs give the same selection, unless the polish is cut short by
    the clock (then how far it got depends on the machine). Raises :class:`PlanInputError` on
    a missing column, a duplicate ``candidate_id`` or an invalid value; pins that cannot all
    be honoured give a plan with status ``infeasible``, not an exception.
    """
    started = time.monotonic()
    clock = _Clock()
    prepared = _prepare(candidates, targets, constraints)
    clock.lap("prepare")
    if prepared.infeasible:
        return _infeasible_plan(prepared, constraints, clock)
    inst = prepared.inst
    messages = list(prepared.messages)
    limit = constraints.time_limit_s
    solved = _solve_lp_and_round(inst, verbose, started + limit if limit > 0 else None, messages)
    clock.lap("lp_and_rounding")
    x, method, proven = solved.x, solved.method, solved.proven
    note, polished = _maybe_polish(inst, solved, constraints, polish, started, verbose)
    clock.lap("polish")
    if polished is not None:
        candidate = _improve(inst, polished.x) if polished.x is not None else None
        if candidate is not None and _better(_evaluate(inst, candidate), _evaluate(inst, x)):
            x, method = candidate, MILP
        if polished.proven:
            method, proven = MILP_OPTIMAL, True
    messages.append(f"answer from {method}; MILP polish {note}.")
    result = _finish(prepared, constraints, x, solved.bound, method, proven, note, messages, clock)
    return result


class _Clock:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self.last
        self.last = now

    def timings(self) -> dict[str, float]:
        return {**self.laps, "total": time.perf_counter() - self.start}


@dataclass(frozen=True)
class _Rounded:
    x: NDArray[np.int64]
    bound: float  # the LP bound on the shortfall, rounded up when every weight is whole
    method: str
    proven: bool


def _solve_lp_and_round(
    inst: _Instance, verbose: bool, deadline: float | None, messages: list[str]
) -> _Rounded:
    """Steps 1-3 of the module docstring: the LP relaxation, origins, rounding and repair."""
    if inst.n == 0:
        x = inst.lb.copy()
        return _Rounded(x, _evaluate(inst, x)[0], LP_ROUNDING, True)
    lp = _LexicographicLp(inst, verbose)
    relaxed = lp.solve()
    if not relaxed.ok:
        messages.append(
            f"the LP relaxation ended with status {relaxed.status!r}: the plan is a greedy "
            "fill from the pins, without a proven bound."
        )
        return _Rounded(_improve(inst, inst.lb.copy()), 0.0, GREEDY, False)
    point = _choose_origins(lp, relaxed, deadline, messages)
    x = _improve(inst, _round_down(inst, point.x))
    shortfall, cost = _evaluate(inst, x)
    # The phase-2 cost is a bound only for plans whose shortfall is at most the LP's.
    at_lp = shortfall <= relaxed.shortfall + _shortfall_tolerance(relaxed.shortfall)
    proven = at_lp and cost <= relaxed.cost + _EPS
    return _Rounded(x, _whole_bound(inst, relaxed.shortfall), LP_ROUNDING, proven)


def _whole_bound(inst: _Instance, lp_shortfall: float) -> float:
    """The LP bound, rounded up when every weight is a whole number: every plan's shortfall
    Σ π_c s_c is then a whole number too (the copies short s_c are)."""
    weights = inst.cell_weight
    if len(weights) and np.array_equal(weights, np.round(weights)):
        return float(math.ceil(lp_shortfall - _shortfall_tolerance(lp_shortfall)))
    return lp_shortfall


def _maybe_polish(
    inst: _Instance,
    solved: _Rounded,
    constraints: Constraints,
    polish: bool,
    started: float,
    verbose: bool,
) -> tuple[str, _Polished | None]:
    """Why the polish is off or skipped, or its outcome."""
    if not polish:
        return "off (polish=False)", None
    if constraints.time_limit_s <= 0:
        return "off (time_limit_s = 0)", None
    if solved.proven:
        return "skipped: the rounded plan meets the LP bounds of both phases", None
    deadline = started + constraints.time_limit_s
    if deadline - time.monotonic() < 0.05:
        return f"skipped: no time left before the {constraints.time_limit_s:g} s limit", None
    shortfall = _evaluate(inst, solved.x)[0]
    at_bound = shortfall <= solved.bound + _shortfall_tolerance(solved.bound)
    result = _polish(inst, solved.x, constraints, deadline, at_bound, verbose)
    return result.note, result


# ---------------------------------------------------------------------------------- reports


def _finish(
    prepared: _Prepared,
    constraints: Constraints,
    x: NDArray[np.int64],
    bound: float,
    method: str,
    proven: bool,
    note: str,
    messages: list[str],
    clock: _Clock,
) -> Plan:
    inst = prepared.inst
    shortfall, cost = _evaluate(inst, x)
    gap = max(shortfall - bound, 0.0) / shortfall if shortfall > 1e-9 else 0.0
    plan = Plan(
        status=OPTIMAL if proven else FEASIBLE,
        method=method,
        shortfall=shortfall,
        cost_eur=cost,
        bound=bound,
        gap=gap,
        selection=_selection_frame(prepared, x),
        cells=_cells_frame(prepared, x),
        zones=_zones_frame(prepared, constraints, x),
        origins=_origins_frame(prepared, x),
        budget_eur=constraints.budget_eur,
        budget_used_eur=cost,
        polish=note,
        messages=tuple(messages),
        timings={},
    )
    clock.lap("report")
    object.__setattr__(plan, "timings", clock.timings())
    return plan


SELECTION_COLUMNS = (
    "candidate_id",
    "copies",
    "unit_cost_eur",
    "cost_eur",
    "audience",
    "category",
    "language",
    "origin",
    "work_key",
    "pinned",
)


def _selection_frame(prepared: _Prepared, x: NDArray[np.int64]) -> pd.DataFrame:
    """One row per chosen candidate (copies > 0), in the candidates' order."""
    taken = x > 0
    rows = prepared.inst.rows[taken]
    frame = prepared.frame.iloc[rows].reset_index(drop=True)
    frame["copies"] = x[taken].astype(np.int64)
    frame["cost_eur"] = frame["copies"] * frame["unit_cost_eur"]
    return frame[list(SELECTION_COLUMNS)]


def _cells_frame(prepared: _Prepared, x: NDArray[np.int64]) -> pd.DataFrame:
    inst = prepared.inst
    cells = prepared.cells.copy()
    selected = np.bincount(inst.cell, weights=x, minlength=len(cells)).astype(np.int64)
    short = np.maximum(inst.cell_target - selected, 0)
    cells["selected"] = selected
    cells["shortfall"] = short
    cells["cause"] = _causes(inst, x, short)
    average = _category_unit_costs(prepared.frame)
    unit = cells["category"].map(average).fillna(average.get("", math.nan)).to_numpy(dtype=float)
    cells["cost_to_close_eur"] = np.where(short > 0, short * unit, 0.0)
    return cells[
        [
            "audience",
            "category",
            "language",
            "target",
            "weight",
            "selected",
            "shortfall",
            "cause",
            "cost_to_close_eur",
            "zone",
        ]
    ]


def _causes(inst: _Instance, x: NDArray[np.int64], short: NDArray[np.int64]) -> list[str | None]:
    """Why each short cell stays short: supply first, then shelf, then budget (weight 0:
    priority). ``shelf``: no remaining candidate fits the zone's free shelf; ``budget``: none
    of those that fit can be paid (incl. opening its origin)."""
    state = _State(inst, x)
    open_ = state.origin_count > 0
    price = inst.unit + np.where(open_[inst.origin], 0.0, inst.origin_fixed[inst.origin])
    zone_room = state.zone_room()
    more = (x < inst.ub) & (state.work_count[inst.work] < inst.work_cap)
    fits = more & (inst.width <= zone_room + _EPS)
    paid = fits & (price <= state.budget_slack() + _EPS)
    cells = len(inst.cell_target)
    any_more = np.bincount(inst.cell[more], minlength=cells) > 0
    any_fit = np.bincount(inst.cell[fits], minlength=cells) > 0
    any_paid = np.bincount(inst.cell[paid], minlength=cells) > 0
    causes: list[str | None] = []
    for c in range(cells):
        if short[c] <= 0:
            causes.append(None)
        elif not any_more[c]:
            causes.append(NO_CANDIDATES)
        elif not any_fit[c]:
            causes.append(SHELF)
        elif not any_paid[c] or inst.cell_weight[c] > 0:
            causes.append(BUDGET)
        else:
            causes.append(PRIORITY)
    return causes


def _category_unit_costs(frame: pd.DataFrame) -> dict[str, float]:
    """Average unit cost per category: over its purchases (price > 0), else over all its
    candidates; key "" holds the average over every purchase (the fallback)."""
    usable = frame[~frame["excluded"]]
    bought = usable[usable["price_eur"] > 0]
    averages = usable.groupby("category")["unit_cost_eur"].mean().to_dict()
    averages.update(bought.groupby("category")["unit_cost_eur"].mean().to_dict())
    pool = bought if len(bought) else usable
    averages[""] = float(pool["unit_cost_eur"].mean()) if len(pool) else math.nan
    return {str(k): float(v) for k, v in averages.items()}


def _zones_frame(
    prepared: _Prepared, constraints: Constraints, x: NDArray[np.int64]
) -> pd.DataFrame:
    inst = prepared.inst
    used = _State(inst, x).zone_used if inst.n else np.zeros(len(inst.zone_cap))
    return pd.DataFrame(
        {
            "zone": list(prepared.zone_names),
            "capacity_cm": [z.capacity_cm for z in constraints.zones.values()],
            "used_cm": np.round(used, 6),
        }
    )


def _origins_frame(prepared: _Prepared, x: NDArray[np.int64]) -> pd.DataFrame:
    """Copies, weight and shipping cost (rate × kg + fixed) per origin used; "" = local."""
    inst = prepared.inst
    kg = prepared.frame["weight_kg"].to_numpy(dtype=float)[inst.rows]
    count = np.bincount(inst.origin, weights=x, minlength=len(inst.origin_fixed))
    weight = np.bincount(inst.origin, weights=kg * x, minlength=len(inst.origin_fixed))
    used = np.flatnonzero(count > 0)
    fixed = inst.origin_fixed[used]
    return pd.DataFrame(
        {
            "origin": [prepared.origin_codes[o] for o in used],
            "copies": count[used].astype(np.int64),
            "weight_kg": np.round(weight[used], 6),
            "rate_eur_per_kg": prepared.origin_rates[used],
            "fixed_eur": fixed,
            "shipping_eur": np.round(prepared.origin_rates[used] * weight[used] + fixed, 6),
        }
    )


def _infeasible_plan(prepared: _Prepared, constraints: Constraints, clock: _Clock) -> Plan:
    cells = prepared.cells.copy()
    cells["selected"] = 0
    cells["shortfall"] = math.nan
    cells["cause"] = None
    cells["cost_to_close_eur"] = math.nan
    clock.lap("report")
    empty = np.zeros(prepared.inst.n, dtype=np.int64)
    return Plan(
        status=INFEASIBLE,
        method=NO_METHOD,
        shortfall=math.nan,
        cost_eur=math.nan,
        bound=math.nan,
        gap=math.nan,
        selection=_selection_frame(prepared, empty),
        cells=cells[list(_cells_frame(prepared, empty).columns)],
        zones=_zones_frame(prepared, constraints, empty),
        origins=_origins_frame(prepared, empty),
        budget_eur=constraints.budget_eur,
        budget_used_eur=0.0,
        polish="not run: the pins are infeasible",
        messages=prepared.messages + tuple(f"infeasible: {m}" for m in prepared.infeasible),
        timings=clock.timings(),
    )
