"""Profile and premises documents as the tables the Profiles page edits, and back.

A profile or premises is a document (``data/demo/profile.toml``; stored as JSON). The page
shows parts of it as tables — the audiences, each audience's categories, the zones, each
zone's furniture — and rebuilds the document from the edited tables; the core reads it back
(``profiles.load_profile``, ``premises.load_premises``) and says what is wrong. Pure functions
over dicts and DataFrames; keys the tables do not show are kept as they were.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from fundplanner.language import PROJECT_LANGUAGES

Document = dict[str, Any]

AUDIENCE_COLUMNS = ("audience", "label", "share", "priority", *PROJECT_LANGUAGES)
CATEGORY_COLUMNS = ("category", "share")
ZONE_COLUMNS = ("zone", "label", "audiences", "categories", "fill_ratio")
FURNITURE_COLUMNS = ("label", "bays", "faces", "shelves", "shelf_cm", "bins", "holds")


def _empty(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _number(value: Any) -> float | int | None:
    """A cell as a JSON number (whole numbers as int), None when empty."""
    if _empty(value):
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def _whole(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _codes(value: Any) -> list[str]:
    """``"early, children"`` → ``["early", "children"]``."""
    if _empty(value):
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


# ------------------------------------------------------------------------------ profile


def languages(document: Mapping[str, Any]) -> dict[str, float]:
    """The profile's collection-wide language split (percent), zeros where it gives none."""
    given = document.get("languages") or {}
    return {code: float(given.get(code, 0) or 0) for code in PROJECT_LANGUAGES}


def with_languages(document: Mapping[str, Any], shares: Mapping[str, float]) -> Document:
    out = copy.deepcopy(dict(document))
    out["languages"] = {code: _number(shares.get(code)) or 0 for code in PROJECT_LANGUAGES}
    return out


def with_population(document: Mapping[str, Any], served: str) -> Document:
    """The profile with another served-population figure (``official``, ``de_facto``)."""
    out = copy.deepcopy(dict(document))
    population = dict(out.get("population") or {})
    population["served"] = served
    out["population"] = population
    return out


def audiences_frame(document: Mapping[str, Any]) -> pd.DataFrame:
    """One row per audience: its id, label, share, priority and language split (empty:
    the profile's)."""
    rows = []
    for audience, spec in (document.get("audiences") or {}).items():
        split = spec.get("languages") or {}
        rows.append(
            {
                "audience": audience,
                "label": spec.get("label", ""),
                "share": spec.get("share"),
                "priority": spec.get("priority"),
                **{code: split.get(code) for code in PROJECT_LANGUAGES},
            }
        )
    frame = pd.DataFrame(rows, columns=list(AUDIENCE_COLUMNS))
    numbers = ["share", "priority", *PROJECT_LANGUAGES]
    return frame.astype({c: "float64" for c in numbers} | {"audience": "string", "label": "string"})


def with_audiences(document: Mapping[str, Any], frame: pd.DataFrame) -> Document:
    """The profile with the audiences' label, share, priority and language split of ``frame``
    (matched by id; an audience not in the frame is kept as it was)."""
    out = copy.deepcopy(dict(document))
    audiences = out.setdefault("audiences", {})
    for row in _records(frame):
        name = str(row["audience"])
        spec = audiences.setdefault(name, {"categories": {}})
        if not _empty(row.get("label")):
            spec["label"] = str(row["label"])
        for key in ("share", "priority"):
            value = _number(row.get(key))
            if value is None:
                spec.pop(key, None)
            else:
                spec[key] = value
        split = {code: _number(row.get(code)) for code in PROJECT_LANGUAGES}
        if all(v is None for v in split.values()):
            spec.pop("languages", None)
        else:
            spec["languages"] = {k: v or 0 for k, v in split.items()}
    return out


def categories_frame(document: Mapping[str, Any], audience: str) -> pd.DataFrame:
    """One row per category of ``audience`` with its share (percent of the audience)."""
    spec = (document.get("audiences") or {}).get(audience, {})
    rows = []
    for category, value in (spec.get("categories") or {}).items():
        share = value.get("share") if isinstance(value, Mapping) else value
        rows.append({"category": category, "share": share})
    frame = pd.DataFrame(rows, columns=list(CATEGORY_COLUMNS))
    return frame.astype({"category": "string", "share": "float64"})


def with_categories(document: Mapping[str, Any], audience: str, frame: pd.DataFrame) -> Document:
    """The profile with ``audience``'s categories as in ``frame`` (rows added, removed or
    changed); a category's own priority and language split are kept."""
    out = copy.deepcopy(dict(document))
    spec = out.setdefault("audiences", {}).setdefault(audience, {})
    before = spec.get("categories") or {}
    categories: dict[str, Any] = {}
    for row in _records(frame):
        if _empty(row.get("category")):
            continue
        name = str(row["category"]).strip()
        share = _number(row.get("share")) or 0
        old = before.get(name)
        categories[name] = {**old, "share": share} if isinstance(old, Mapping) else share
    spec["categories"] = categories
    return out


# ------------------------------------------------------------------------------ premises


def zones_frame(document: Mapping[str, Any]) -> pd.DataFrame:
    """One row per zone, in order: id, label, audiences and categories (comma-separated),
    fill ratio (empty: the premises')."""
    rows = [
        {
            "zone": name,
            "label": spec.get("label", ""),
            "audiences": ", ".join(spec.get("audiences") or []),
            "categories": ", ".join(spec.get("categories") or []),
            "fill_ratio": spec.get("fill_ratio"),
        }
        for name, spec in (document.get("zones") or {}).items()
    ]
    frame = pd.DataFrame(rows, columns=list(ZONE_COLUMNS))
    texts = {c: "string" for c in ("zone", "label", "audiences", "categories")}
    return frame.astype(texts | {"fill_ratio": "float64"})


def with_zones(document: Mapping[str, Any], frame: pd.DataFrame) -> Document:
    """The premises with the zones of ``frame``, in its order (a new zone starts without
    furniture; a zone left out is removed)."""
    out = copy.deepcopy(dict(document))
    before = out.get("zones") or {}
    zones: dict[str, Any] = {}
    for row in _records(frame):
        if _empty(row.get("zone")):
            continue
        name = str(row["zone"]).strip()
        spec = dict(before.get(name) or {"furniture": []})
        spec["label"] = "" if _empty(row.get("label")) else str(row["label"])
        spec["audiences"] = _codes(row.get("audiences"))
        spec["categories"] = _codes(row.get("categories"))
        fill = _number(row.get("fill_ratio"))
        if fill is None:
            spec.pop("fill_ratio", None)
        else:
            spec["fill_ratio"] = fill
        zones[name] = spec
    out["zones"] = zones
    return out


def furniture_frame(document: Mapping[str, Any], zone: str) -> pd.DataFrame:
    """One row per line of furniture of ``zone``: bays (faces, shelves, shelf length) or
    bins (and the category they hold)."""
    spec = (document.get("zones") or {}).get(zone, {})
    rows = [{c: line.get(c) for c in FURNITURE_COLUMNS} for line in spec.get("furniture") or []]
    frame = pd.DataFrame(rows, columns=list(FURNITURE_COLUMNS))
    numbers = {c: "float64" for c in ("bays", "faces", "shelves", "shelf_cm", "bins")}
    return frame.astype(numbers | {"label": "string", "holds": "string"})


def with_furniture(document: Mapping[str, Any], zone: str, frame: pd.DataFrame) -> Document:
    """The premises with ``zone``'s furniture as in ``frame`` (empty cells left out)."""
    out = copy.deepcopy(dict(document))
    spec = out.setdefault("zones", {}).setdefault(zone, {"audiences": []})
    lines: list[dict[str, Any]] = []
    for row in _records(frame):
        line: dict[str, Any] = {}
        if not _empty(row.get("label")):
            line["label"] = str(row["label"])
        for key in ("bays", "faces", "shelves", "bins"):
            value = _whole(row.get(key))
            if value is not None:
                line[key] = value
        shelf = _number(row.get("shelf_cm"))
        if shelf is not None:
            line["shelf_cm"] = shelf
        if not _empty(row.get("holds")):
            line["holds"] = str(row["holds"]).strip()
        if len(line) > ("label" in line):
            lines.append(line)
    spec["furniture"] = lines
    return out


def names(document: Mapping[str, Any], key: str) -> Sequence[str]:
    """The audiences (``key="audiences"``) or zones (``"zones"``) of a document, in order."""
    return list((document.get(key) or {}).keys())
