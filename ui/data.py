"""Cached reads of the project for the pages.

Every function takes the project path and its data version (``workspace.data_version``: the
last audit id, which every saved change raises) and is cached on them by Streamlit: a widget
change re-renders from memory, and any save — from this session or another — makes the next
run read the project again. Functions return plain data (frames, dicts, frozen dataclasses),
never a connection.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from fundplanner import budget, project, shipping, workspace
from fundplanner.classify import AUDIENCES, CATEGORIES
from fundplanner.ingest import IngestOptions, IngestResult, read_catalogue
from fundplanner.model import PROJECT_LANGUAGES

# ``version`` is in every signature only to key the cache.


@st.cache_data(show_spinner=False, max_entries=8)
def info(path: str, version: int) -> dict[str, Any]:
    return project.project_info(path)


@st.cache_data(show_spinner=False, max_entries=16)
def rows(path: str, table: str, version: int) -> list[dict[str, Any]]:
    return workspace.table_rows(path, table)


@st.cache_data(show_spinner=False, max_entries=8)
def scenarios(path: str, version: int) -> list[dict[str, Any]]:
    return project.scenario_table(path)


def solved(path: str, version: int) -> list[str]:
    """Names of the scenarios that have a saved plan."""
    return [row["scenario"] for row in scenarios(path, version) if row["status"] is not None]


@st.cache_data(show_spinner=False, max_entries=4)
def candidates(path: str, version: int) -> pd.DataFrame:
    return workspace.candidates(path)


@st.cache_data(show_spinner=False, max_entries=8)
def selection(path: str, scenario: str, version: int) -> pd.DataFrame:
    return project.plan_selection(path, scenario)


@st.cache_data(show_spinner=False, max_entries=8)
def flags(path: str, scenario: str, version: int) -> pd.DataFrame:
    return workspace.scenario_flags(path, scenario)


@st.cache_data(show_spinner=False, max_entries=8)
def coverage(path: str, scenario: str, version: int) -> pd.DataFrame:
    """Target and selected copies per cell of a solved scenario (``project.coverage``), with
    the share covered (at most 1; NaN without a target), in shelf order: audiences, then
    categories, then languages as the project lists them."""
    frame = project.coverage(path, scenario)
    share = frame["selected"] / frame["target"].where(frame["target"] > 0)
    frame = frame.assign(coverage=share.clip(upper=1.0).astype("float64"))
    order = frame.assign(
        a=frame["audience"].map(_rank(AUDIENCES)),
        c=frame["category"].map(_rank(CATEGORIES)),
        lang=frame["language"].map(_rank(PROJECT_LANGUAGES)),
    )
    order = order.sort_values(["a", "c", "lang"], na_position="last", kind="stable")
    return frame.loc[order.index].reset_index(drop=True)


def _rank(codes: tuple[str, ...]) -> dict[str, int]:
    return {code: number for number, code in enumerate(codes)}


@st.cache_data(show_spinner=False, max_entries=8)
def ship(path: str, scenario: str, mode: str | None, version: int) -> shipping.ShippingPlan:
    return project.ship_project(path, scenario, mode=mode)


@st.cache_data(show_spinner=False, max_entries=8)
def budget_view(path: str, scenario: str | None, version: int) -> budget.BudgetView:
    return project.budget_project(path, scenario)


@st.cache_data(show_spinner=False, max_entries=8)
def documents(path: str, table: str, version: int) -> dict[str, dict[str, Any]]:
    return workspace.documents(path, table)


@st.cache_data(show_spinner=False, max_entries=8)
def catalogues(path: str, version: int) -> pd.DataFrame:
    return workspace.catalogue_table(path)


@st.cache_data(show_spinner=False, max_entries=16)
def problems(path: str, catalogue_id: int, version: int) -> pd.DataFrame:
    return workspace.catalogue_problems(path, catalogue_id)


@st.cache_data(show_spinner=False, max_entries=8)
def preview(
    data: bytes,
    file_name: str,
    mapping: dict[str, Any] | None,
    acquisition: str | None,
    origin: str | None,
    currency: str | None,
) -> IngestResult:
    """What importing an upload would read (titles, problems), without saving anything."""
    options = IngestOptions(acquisition=acquisition, origin=origin, currency=currency)
    return read_catalogue(data, None, mapping, name=file_name, options=options)


@st.cache_data(show_spinner=False, max_entries=8)
def layout(data: bytes, file_name: str, mapping: dict[str, Any] | None) -> dict[str, Any]:
    return workspace.table_layout(data, file_name, mapping)


@st.cache_data(show_spinner=False, max_entries=16)
def export_file(
    path: str, kind: str, suffix: str, scenario: str, lang: str, version: int
) -> tuple[bytes, dict[str, Any]]:
    """One export of a scenario as bytes (written to a temporary file and read back)."""
    with tempfile.TemporaryDirectory(prefix="fundplanner-export-") as folder:
        out = Path(folder) / f"{kind}{suffix}"
        written = project.export_project(path, kind, out, scenario=scenario, lang=lang)
        return out.read_bytes(), written


@st.cache_data(show_spinner=False, max_entries=2)
def backup_file(path: str, version: int) -> bytes:
    with tempfile.TemporaryDirectory(prefix="fundplanner-backup-") as folder:
        out = Path(folder) / "backup.zip"
        project.backup_project(path, out)
        return out.read_bytes()
