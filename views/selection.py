"""Selection: run the planner on a scenario (time shown), review the selected titles — pin or
exclude them and plan again —, the gaps with their cause and the cost of closing them, and
the scenarios side by side."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

from fundplanner import planning, project, workspace
from fundplanner.model import PROJECT_LANGUAGES
from ui import common, data
from ui.common import col, label, md, tr

context = common.current()
path, version = context.path, context.version
SCENARIO_KEY = "selection_scenario"
NEXT_SCENARIO = "_next_scenario"
SEARCH_ROWS = 50  # titles a search lists at most
EDITOR_COLUMNS = [
    "candidate_id",
    "pinned",
    "excluded",
    "copies",
    "title",
    "authors",
    "language",
    "audience",
    "category",
    "partner",
    "acquisition",
    "price_eur",
    "unit_cost_eur",
    "zone",
]


def plan_form(scenario: str) -> None:
    """The scenario's parameters, and the button that plans it (editors only)."""
    current = workspace.scenario_parameters(path, scenario)
    modes = list(planning.shipping_modes())
    with st.form("plan_form"):
        st.markdown(f"**{tr('selection.parameters')}**")
        name = st.text_input(tr("selection.scenario_name"), value=scenario)
        cols = st.columns(4)
        budget = cols[0].number_input(
            tr("selection.budget"),
            min_value=0.0,
            value=current.budget_eur,
            step=1000.0,
            placeholder=tr("selection.budget_default"),
        )
        processing = cols[1].number_input(
            tr("selection.processing"),
            min_value=0.0,
            value=current.processing_eur_per_item,
            step=0.5,
            placeholder=common.number(planning.DEFAULT_PROCESSING_EUR, 1),
        )
        copies = cols[2].number_input(
            tr("selection.max_copies"), min_value=1, value=current.max_copies_per_title
        )
        mode = cols[3].selectbox(
            tr("selection.shipping_mode"),
            [None, *modes],
            index=([None, *modes].index(current.shipping_mode)),
            format_func=common.formatting(
                lambda m: tr("selection.default") if m is None else label("shipping.mode", m)
            ),
        )
        more = st.columns(len(PROJECT_LANGUAGES) + 2)
        split = {
            code: more[i].number_input(
                tr("selection.split", language=common.language_name(code)),
                min_value=0.0,
                max_value=100.0,
                value=(
                    float(current.language_split[code]) if code in current.language_split else None
                ),
                placeholder=tr("selection.from_profile"),
            )
            for i, code in enumerate(PROJECT_LANGUAGES)
        }
        population = more[-2].selectbox(
            tr("selection.population"),
            planning.POPULATION_CHOICES,
            index=(
                planning.POPULATION_CHOICES.index(current.population)
                if current.population in planning.POPULATION_CHOICES
                else 0
            ),
            format_func=common.formatting(lambda p: tr(f"selection.population_{p}")),
        )
        polish = more[-1].checkbox(tr("selection.polish"), value=True)
        submitted = st.form_submit_button(tr("selection.run"), type="primary")
    if submitted:
        given = {k: v for k, v in split.items() if v is not None}
        changes: dict[str, Any] = {
            "budget_eur": budget,
            "processing_eur_per_item": processing,
            "max_copies_per_title": int(copies),
            "shipping_mode": mode,
            "language_split": given or None,
            "population": population,
        }
        name = name.strip() or scenario
        start = time.perf_counter()
        with common.timed(tr("selection.running", scenario=md(name))):
            outcome = project.plan_project(
                path, name, changes=changes, polish=polish, user=context.user
            )
        elapsed = time.perf_counter() - start
        summary = outcome.summary()
        common.flash(
            "success",
            tr(
                "selection.planned",
                scenario=md(name),
                copies=common.number(summary["selected_copies"]),
                target=common.number(summary["target_copies"]),
                seconds=common.number(elapsed, 1),
            ),
        )
        st.session_state[NEXT_SCENARIO] = name  # chosen before the picker is drawn again
        st.rerun()


def editor_frame(selection: pd.DataFrame, flagged: pd.DataFrame) -> pd.DataFrame:
    """The selected titles and the excluded ones (copies 0), with their flags."""
    excluded = flagged[
        flagged["excluded"] & ~flagged["candidate_id"].isin(selection["candidate_id"])
    ]
    frame = pd.concat([selection, excluded], ignore_index=True)
    for column in EDITOR_COLUMNS:
        if column not in frame.columns:
            frame[column] = pd.NA
    frame = frame[EDITOR_COLUMNS].copy()
    frame["pinned"] = frame["pinned"].fillna(False).astype(bool)
    frame["excluded"] = frame["excluded"].fillna(False).astype(bool)
    frame["copies"] = frame["copies"].fillna(0).astype(int)
    frame["language"] = [common.language_name(x) for x in frame["language"]]
    frame["audience"] = [label("audience", x) for x in frame["audience"]]
    frame["category"] = [label("category", x) for x in frame["category"]]
    return frame.astype({"title": "string", "authors": "string", "partner": "string"})


def apply_pins(scenario: str, before: pd.DataFrame, after: pd.DataFrame) -> None:
    changes = workspace.pin_changes(before, after)
    if changes.conflicts:
        st.warning(tr("selection.conflicts", ids=", ".join(map(str, changes.conflicts))))
        return
    if changes.empty:
        st.info(tr("selection.no_change"))
        return
    with common.timed(tr("selection.running", scenario=md(scenario))):
        project.plan_project(
            path,
            scenario,
            pin=changes.pin,
            exclude=changes.exclude,
            release=changes.release,
            user=context.user,
        )
    common.flash(
        "success",
        tr(
            "selection.pins_applied",
            pinned=len(changes.pin),
            excluded=len(changes.exclude),
            released=len(changes.release),
        ),
    )
    st.rerun()


def gaps_table(report: dict[str, Any]) -> pd.DataFrame:
    short = pd.DataFrame(report.get("cells_short") or [])
    if short.empty:
        return short
    return pd.DataFrame(
        {
            col("audience"): [label("audience", a) for a in short["audience"]],
            col("category"): [label("category", c) for c in short["category"]],
            col("language"): [common.language_name(x) for x in short["language"]],
            col("target"): short["target"],
            col("selected"): short["selected"],
            col("shortfall"): short["shortfall"],
            col("cause"): [label("gap.cause", c) for c in short["cause"]],
            col("cost_to_close", currency="EUR"): short["cost_to_close_eur"].round(0),
        }
    )


def scenarios_side_by_side(rows: list[dict[str, Any]]) -> pd.DataFrame:
    figures = {
        "status": lambda r: tr(f"selection.status_{r['status']}") if r["status"] else "—",
        "budget": lambda r: common.money(r["budget_eur"]),
        "cost": lambda r: common.money(r["cost_eur"]),
        "target": lambda r: common.number(r["target_copies"]),
        "selected": lambda r: common.number(r["selected_copies"]),
        "titles": lambda r: common.number(r["selected_titles"]),
        "shortfall": lambda r: common.number(r["shortfall"]),
        "gap": lambda r: common.percent(r["gap"]),
        "cells_short": lambda r: common.number(r["cells_short"]),
        "parameters": lambda r: ", ".join(f"{k}={v}" for k, v in r["parameters"].items()) or "—",
    }
    return pd.DataFrame(
        {r["scenario"]: [show(r) for show in figures.values()] for r in rows},
        index=[tr(f"selection.compare.{key}") for key in figures],
    )


with common.guarded():
    st.title(tr("selection.title"))
    rows = data.scenarios(path, version)
    names = [r["scenario"] for r in rows] or [planning.DEFAULT_SCENARIO]
    if NEXT_SCENARIO in st.session_state:
        st.session_state[SCENARIO_KEY] = st.session_state.pop(NEXT_SCENARIO)
    if st.session_state.get(SCENARIO_KEY) not in names:
        st.session_state[SCENARIO_KEY] = names[0]
    scenario = st.selectbox(tr("common.scenario"), names, key=SCENARIO_KEY)
    if context.can_edit:
        with st.expander(tr("selection.run_title"), expanded=not data.solved(path, version)):
            plan_form(scenario)

    row = next((r for r in rows if r["scenario"] == scenario), None)
    plan_row = next(
        (r for r in data.rows(path, "plan", version) if r["scenario"] == scenario), None
    )
    if row is None or row["status"] is None or plan_row is None:
        st.info(tr("selection.no_plan"))
        st.stop()

    report = plan_row.get("report") or {}
    cols = st.columns(4)
    cols[0].metric(tr("selection.status"), tr(f"selection.status_{row['status']}"))
    common.figure(
        cols[1],
        tr("selection.copies"),
        common.number(row["selected_copies"]),
        tr(
            "overview.of_target",
            share=common.percent(
                (row["selected_copies"] or 0) / row["target_copies"] if row["target_copies"] else 0
            ),
        ),
    )
    common.figure(
        cols[2],
        tr("overview.cost"),
        common.money(row["cost_eur"]),
        tr("overview.of_budget", budget=common.money(row["budget_eur"])),
    )
    common.figure(
        cols[3],
        tr("selection.shortfall"),
        common.number(row["shortfall"]),
        tr("selection.gap", gap=common.percent(row["gap"])),
    )
    notes = [*(report.get("notes") or []), *(report.get("messages") or [])]
    if notes:
        with st.expander(tr("selection.notes", count=len(notes))):
            for note in notes:
                st.markdown(f"- {md(note)}")

    st.subheader(tr("selection.selected"))
    st.caption(tr("selection.pin_help"))
    selection = data.selection(path, scenario, version)
    flagged = data.flags(path, scenario, version)
    before = editor_frame(selection, flagged)
    disabled = [c for c in EDITOR_COLUMNS if c not in ("pinned", "excluded")]
    config = {
        "candidate_id": st.column_config.NumberColumn(tr("selection.id"), format="%d"),
        "pinned": st.column_config.CheckboxColumn(tr("selection.pinned")),
        "excluded": st.column_config.CheckboxColumn(tr("selection.excluded")),
        "copies": st.column_config.NumberColumn(col("copies")),
        "title": st.column_config.TextColumn(tr("selection.title_column"), width="large"),
        "authors": st.column_config.TextColumn(tr("selection.authors")),
        "language": st.column_config.TextColumn(col("language")),
        "audience": st.column_config.TextColumn(col("audience")),
        "category": st.column_config.TextColumn(col("category")),
        "partner": st.column_config.TextColumn(col("partner")),
        "acquisition": st.column_config.TextColumn(tr("catalogues.acquisition")),
        "price_eur": st.column_config.NumberColumn(tr("selection.price"), format="%.2f"),
        "unit_cost_eur": st.column_config.NumberColumn(tr("selection.unit_cost"), format="%.2f"),
        "zone": st.column_config.TextColumn(tr("profiles.zone")),
    }
    edited = pd.DataFrame(
        st.data_editor(
            before,
            # the plan's own version: another page's save does not reset the ticks in progress
            key=f"selection_editor:{scenario}:{plan_row['version']}",
            hide_index=True,
            disabled=disabled if context.can_edit else True,
            column_config=config,
        )
    )

    query = st.text_input(tr("selection.search"), key=f"search:{scenario}")
    found_before = before.iloc[0:0]
    found_after = found_before
    if query.strip():
        pool = data.candidates(path, version)
        matches = pool[
            pool["title"].str.contains(query.strip(), case=False, regex=False, na=False)
            & ~pool["id"].isin(before["candidate_id"])
        ]
        hits = matches.head(SEARCH_ROWS)
        found_before = editor_frame(
            hits.rename(columns={"id": "candidate_id"}).assign(copies=0), flagged.iloc[0:0]
        )
        st.caption(
            tr(
                "selection.search_hits",
                count=common.number(len(matches)),
                shown=common.number(len(hits)),
            )
        )
        found_after = pd.DataFrame(
            st.data_editor(
                found_before,
                key=f"search_editor:{scenario}:{plan_row['version']}:{query.strip()}",
                hide_index=True,
                disabled=disabled if context.can_edit else True,
                column_config=config,
            )
        )
    if context.can_edit and st.button(tr("selection.apply"), type="primary", key="apply_pins"):
        apply_pins(
            scenario,
            pd.concat([before, found_before], ignore_index=True),
            pd.concat([edited, found_after], ignore_index=True),
        )

    st.subheader(tr("selection.gaps"))
    gaps = gaps_table(report)
    if gaps.empty:
        st.success(tr("selection.no_gaps"))
    else:
        total = sum(c.get("cost_to_close_eur") or 0 for c in report.get("cells_short") or [])
        st.caption(tr("selection.gaps_help", count=len(gaps), cost=common.money(total)))
        st.dataframe(gaps, hide_index=True)

    if len(rows) > 1:
        st.subheader(tr("selection.compare_title"))
        st.dataframe(scenarios_side_by_side(rows))
