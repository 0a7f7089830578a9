"""Generate planning instances that look like the real problem (seeded, deterministic).

A trilingual starting collection: 13 shelf categories over four audiences × Arabic, French,
English = 39 cells, targets split 60/20/20 by language (norms.md §1d) with the largest
remainder method. Candidates come from donors and vendors: donations cost 0 (they still pay
processing and shipping), purchases 5-40 € by category (norms.md §7), widths 0.5-4 cm and
weights by category (norms.md §3-4), from 3-6 listed origins with a per-kg rate and a fixed
cost per shipment (norms.md §4, "Freight costs") plus unlisted local vendors (PS). About
20 % of works are offered by 2-3 sources. Supply does not follow the targets: French is
over-offered, Arabic comics and language-learning books are scarce (their cells run out).
The budget is 80 % of the cheapest way to fill every target, and the adults' shelves hold
75 % of what their targets need, so both bind. A few candidates are pinned or excluded.

    python benchmarks/generate_plan.py 50000 out/plan_50k [--seed 7]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from fundplanner.planner import Constraints, Origin, Zone

#: audience → (share of the collection, {category: share within the audience})
AUDIENCES = {
    "early": (0.12, {"picture_books": 0.7, "board_books": 0.3}),
    "children": (
        0.25,
        {"picture_books": 0.25, "fiction": 0.35, "comics": 0.15, "nonfiction": 0.25},
    ),
    "teens": (0.13, {"fiction": 0.5, "comics": 0.2, "nonfiction": 0.3}),
    "adults": (
        0.50,
        {"fiction": 0.35, "nonfiction": 0.4, "reference": 0.1, "language_learning": 0.15},
    ),
}
LANGUAGE_TARGET = {"ara": 0.6, "fre": 0.2, "eng": 0.2}  # norms.md §1d
LANGUAGE_SUPPLY = {"ara": 0.35, "fre": 0.42, "eng": 0.23}  # donors are mostly French
SCARCE = {("ara", "comics"): 0.04, ("ara", "language_learning"): 0.05}  # supply multiplier

#: category → (width cm, weight kg, purchase price €) ranges (norms.md §3, §4, §7)
PHYSICAL = {
    "picture_books": ((0.5, 1.2), (0.3, 0.5), (8.0, 16.0)),
    "board_books": ((1.0, 2.0), (0.2, 0.4), (5.0, 10.0)),
    "fiction": ((1.5, 3.5), (0.2, 0.6), (7.0, 22.0)),
    "comics": ((0.8, 1.5), (0.3, 0.5), (10.0, 16.0)),
    "nonfiction": ((1.5, 3.5), (0.4, 1.0), (12.0, 25.0)),
    "reference": ((2.5, 4.0), (0.8, 1.5), (20.0, 40.0)),
    "language_learning": ((1.0, 2.5), (0.3, 0.6), (12.0, 30.0)),
}

#: origin → (rate €/kg, fixed € per shipment); air freight Paris → Tel Aviv 2.5-4.5 €/kg and
#: LCL fixed fees 300-800 € per shipment (norms.md §4, estimates scaled per corridor)
ORIGINS = {
    "FR": (2.4, 900.0),
    "LB": (1.5, 500.0),
    "JO": (1.0, 400.0),
    "EG": (1.2, 450.0),
    "UK": (2.6, 800.0),
    "US": (3.5, 1200.0),
}
LOCAL = "PS"  # Ramallah / Jerusalem booksellers: not listed, nothing to ship
SOURCES_BY_LANGUAGE = {
    "ara": ("LB", "JO", "EG", LOCAL),
    "fre": ("FR", "LB"),
    "eng": ("UK", "US", "JO", "LB"),
}
DONATION_SHARE = {"FR": 0.6, "LB": 0.2}  # Aulnay's libraries, the partner library in Beirut

PROCESSING_EUR = 3.0  # norms.md §7: ≈ 3-5 € per item with derived cataloguing (estimate)
TARGET_PER_CANDIDATE = 0.15  # the pool offers ~6.7 candidates per copy wanted


def cells() -> pd.DataFrame:
    """The 39 cells with their collection share (audience × category × language)."""
    rows = [
        (audience, category, language, a_share * c_share * l_share)
        for audience, (a_share, categories) in AUDIENCES.items()
        for category, c_share in categories.items()
        for language, l_share in LANGUAGE_TARGET.items()
    ]
    return pd.DataFrame(rows, columns=["audience", "category", "language", "share"])


def largest_remainder(shares: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``shares`` summing to ``total`` (largest remainder method)."""
    exact = shares / shares.sum() * total
    whole = np.floor(exact).astype(np.int64)
    extra = np.argsort(-(exact - whole), kind="stable")[: total - int(whole.sum())]
    whole[extra] += 1
    return whole


def generate(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, Constraints]:
    """(candidates, targets, constraints) with about ``n`` candidates."""
    rng = np.random.default_rng(seed)
    grid = cells()
    targets = grid[["audience", "category", "language"]].copy()
    targets["target"] = largest_remainder(grid["share"].to_numpy(), round(n * TARGET_PER_CANDIDATE))
    targets["weight"] = np.where(targets["audience"].isin(["early", "children"]), 2.0, 1.0)
    listed = ["FR", "LB", "JO", *rng.choice(["EG", "UK", "US"], rng.integers(0, 4), replace=False)]
    candidates = _candidates(n, rng, grid, listed)
    origins = {code: Origin(code, *ORIGINS[code]) for code in listed}
    constraints = Constraints(
        budget_eur=0.0,
        processing_eur_per_item=PROCESSING_EUR,
        max_copies_per_title=1,
        time_limit_s=30.0,
        origins=origins,
    )
    budget, zones = _binding_limits(candidates, targets, constraints)
    constraints = Constraints(**{**constraints.__dict__, "budget_eur": budget, "zones": zones})
    return candidates, targets, constraints


def _candidates(
    n: int, rng: np.random.Generator, grid: pd.DataFrame, listed: list[str]
) -> pd.DataFrame:
    works = max(1, round(n / 1.3))
    sources = np.where(rng.random(works) < 0.2, rng.integers(2, 4, works), 1)
    sources[-1] += n - int(sources.sum())  # exactly n candidates
    while sources[-1] < 1:  # rare: give the last work one source, trim earlier ones
        k = int(np.flatnonzero(sources > 1)[0])
        sources[k] -= 1
        sources[-1] += 1
    supply = _supply_shares(grid)
    work_cell = rng.choice(len(grid), size=works, p=supply)
    cell = np.repeat(work_cell, sources)
    work = np.repeat(np.arange(works), sources)
    frame = grid.iloc[cell][["audience", "category", "language"]].reset_index(drop=True)
    frame.insert(0, "candidate_id", [f"C{i:07d}" for i in range(n)])
    frame["origin"] = _origins(rng, frame["language"].to_numpy(), listed)
    donation = rng.random(n) < frame["origin"].map(DONATION_SHARE).fillna(0.0).to_numpy()
    width, weight, price = _physical(rng, frame["category"].to_numpy(), frame["origin"].to_numpy())
    frame["price_eur"] = np.where(donation, 0.0, price)
    frame["width_cm"] = width
    frame["weight_kg"] = weight
    frame["work_key"] = [f"W{w:07d}" for w in work]
    frame["copies_offered"] = np.where(
        donation, rng.choice([1, 1, 1, 2, 3], n), rng.integers(1, 6, n)
    )
    frame["acquisition"] = np.where(
        donation, "donation", np.where(frame["origin"] == LOCAL, "local_purchase", "purchase")
    )
    flags = rng.random(n)
    frame["pinned"] = flags < max(3 / n, 0.001)
    frame["excluded"] = (flags > 0.995) & ~frame["pinned"]
    return frame


def _supply_shares(grid: pd.DataFrame) -> np.ndarray:
    """Where the offers fall: the targets' audience × category mix, the donors' languages."""
    ac_share = grid["share"] / grid["language"].map(LANGUAGE_TARGET)
    lang = grid["language"].map(LANGUAGE_SUPPLY)
    scarce = [
        SCARCE.get((lang_, cat), 1.0)
        for lang_, cat in zip(grid["language"], grid["category"], strict=True)
    ]
    shares = (ac_share * lang * np.array(scarce)).to_numpy(dtype=float)
    return shares / shares.sum()


def _origins(rng: np.random.Generator, languages: np.ndarray, listed: list[str]) -> np.ndarray:
    result = np.empty(len(languages), dtype=object)
    for language, pool in SOURCES_BY_LANGUAGE.items():
        where = np.flatnonzero(languages == language)
        usable = [o for o in pool if o in listed or o == LOCAL] or [LOCAL]
        result[where] = rng.choice(usable, size=len(where))
    return result


def _physical(
    rng: np.random.Generator, categories: np.ndarray, origins: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    width, weight, price = (np.zeros(len(categories)) for _ in range(3))
    for category, ((w0, w1), (m0, m1), (p0, p1)) in PHYSICAL.items():
        where = categories == category
        k = int(where.sum())
        u = rng.random(k)
        width[where] = np.round(w0 + (w1 - w0) * u, 2)  # thicker books weigh more
        weight[where] = np.round(m0 + (m1 - m0) * (0.7 * u + 0.3 * rng.random(k)), 3)
        price[where] = p0 + (p1 - p0) * rng.random(k)
    arab_market = np.isin(origins, ["LB", "JO", "EG", LOCAL])
    price = np.where(arab_market, np.maximum(5.0, price * 0.7), price)  # norms.md §7
    return width, weight, np.round(price, 2)


def _binding_limits(
    candidates: pd.DataFrame, targets: pd.DataFrame, constraints: Constraints
) -> tuple[float, dict[str, Zone]]:
    """A budget of 80 % of the cheapest fill of every target, and shelves: the adults' zone
    holds 75 % of the width its targets need (at the median width), the others 130 %."""
    rates = {code: o.rate_eur_per_kg for code, o in constraints.origins.items()}
    unit = (
        candidates["price_eur"]
        + constraints.processing_eur_per_item
        + candidates["origin"].map(rates).fillna(0.0) * candidates["weight_kg"]
    )
    keys = ["audience", "category", "language"]
    ranked = candidates.assign(unit=unit).sort_values("unit", kind="stable")
    ranked["rank"] = ranked.groupby(keys).cumcount()
    need = ranked.merge(targets[[*keys, "target"]], on=keys)
    cheapest_fill = float(need.loc[need["rank"] < need["target"], "unit"].sum())
    fixed = sum(o.fixed_eur for o in constraints.origins.values())
    budget = round(0.8 * (cheapest_fill + fixed), -2)
    median = candidates.groupby(keys)["width_cm"].median().rename("width").reset_index()
    widths = targets.merge(median, on=keys, how="left").fillna({"width": 2.0})
    needed = (widths["target"] * widths["width"]).groupby(widths["audience"]).sum()
    zones = {
        "youth": ("early", "children"),
        "teens": ("teens",),
        "adults": ("adults",),
    }
    result = {}
    for name, audiences in zones.items():
        factor = 0.75 if name == "adults" else 1.3
        capacity = round(factor * float(needed[list(audiences)].sum()), -1)
        result[name] = Zone(name, capacity, audiences)
    return budget, result


def write(n: int, folder: Path, seed: int = 7) -> Path:
    """Write candidates.csv, targets.csv and constraints.toml for ``plan-file`` into folder."""
    candidates, targets, constraints = generate(n, seed)
    folder.mkdir(parents=True, exist_ok=True)
    candidates.to_csv(folder / "candidates.csv", index=False)
    targets.to_csv(folder / "targets.csv", index=False)
    (folder / "constraints.toml").write_text(to_toml(constraints), encoding="utf-8")
    return folder


def to_toml(constraints: Constraints) -> str:
    """The constraints.toml text of DESIGN.md."""
    data = constraints.to_mapping()
    lines = [f"{key} = {data[key]!r}" for key in data if key not in ("zones", "origins")]
    for name, zone in data["zones"].items():
        lines += ["", f"[zones.{name}]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in zone.items()]
    for code, origin in data["origins"].items():
        lines += ["", f"[origins.{code}]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in origin.items()]
    return "\n".join(lines) + "\n"


def _toml_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return repr(value)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("candidates", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    write(args.candidates, args.folder, args.seed)
    print(f"wrote {args.folder}/candidates.csv, targets.csv, constraints.toml")
    return 0


if __name__ == "__main__":
    sys.exit(main())
