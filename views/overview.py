"""Overview: the project at a glance — collection size against its target, coverage of every
audience × category × language cell, language and budget balance, shipping, what comes next."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from fundplanner.planning import DEFAULT_SCENARIO
from ui import charts, common, data
from ui.common import col, label, md, tr

context = common.current()
path, version = context.path, context.version

with common.guarded():
    info = data.info(path, version)
    st.title(md(info["name"]))
    if info.get("library") or info.get("partner_town"):
        st.caption(md(" — ".join(p for p in (info.get("library"), info.get("partner_town")) if p)))

    solved = data.solved(path, version)
    scenario = (
        st.selectbox(tr("common.scenario"), solved, key="overview_scenario")
        if len(solved) > 1
        else (solved[0] if solved else DEFAULT_SCENARIO)
    )
    row = next((r for r in data.scenarios(path, version) if r["scenario"] == scenario), None)
    candidates = int(info["counts"].get("candidate", 0))

    columns = st.columns(4)
    columns[0].metric(tr("overview.candidates"), common.number(candidates))
    if row is None or row["status"] is None:
        columns[1].metric(tr("overview.target"), "—")
        st.info(tr("overview.no_plan"))
    else:
        target, selected = row["target_copies"] or 0, row["selected_copies"] or 0
        columns[1].metric(tr("overview.target"), common.number(target))
        common.figure(
            columns[2],
            tr("overview.selected"),
            common.number(selected),
            tr("overview.of_target", share=common.percent(selected / target if target else 0)),
        )
        common.figure(
            columns[3],
            tr("overview.cost"),
            common.money(row["cost_eur"]),
            tr("overview.of_budget", budget=common.money(row["budget_eur"])),
        )

    solved_row = row is not None and row["status"] is not None
    if solved_row:
        frame = data.coverage(path, scenario, version)
        shown = frame.assign(
            audience_label=[label("audience", a) for a in frame["audience"]],
            category_label=[label("category", c) for c in frame["category"]],
            language_label=[common.language_name(x) for x in frame["language"]],
        )
        st.subheader(tr("overview.coverage"))
        st.altair_chart(
            charts.coverage_heatmap(
                shown,
                audience=col("audience"),
                category=col("category"),
                language=col("language"),
                covered=tr("overview.covered"),
            )
        )
    left, right = st.columns(2)
    if solved_row:
        with left:
            st.subheader(tr("overview.languages"))
            by_language = frame.groupby("language", sort=False)[["target", "selected"]].sum()
            long = by_language.reset_index().melt(
                id_vars="language", var_name="series", value_name="copies"
            )
            long["language"] = [common.language_name(x) for x in long["language"]]
            long["series"] = [tr(f"overview.series.{s}") for s in long["series"]]
            st.altair_chart(
                charts.grouped_bars(
                    long,
                    category="language",
                    series="series",
                    value="copies",
                    title_x=col("language"),
                    title_y=col("copies"),
                )
            )
    with right:
        st.subheader(tr("overview.budget"))
        view = data.budget_view(path, scenario if solved_row else None, version)
        balance = view.balance
        currency = view.base_currency
        figures = st.columns(3)
        figures[0].metric(tr("budget.uses"), common.money(balance["uses"], currency))
        figures[1].metric(tr("budget.sources"), common.money(balance["sources"], currency))
        figures[2].metric(tr("budget.balance"), common.money(balance["balance"], currency))
        for message in view.messages(context.lang):
            st.warning(md(message))

    if row is not None and row["status"] not in (None, "infeasible"):
        st.subheader(tr("overview.shipping"))
        common.shipping_figures(data.ship(path, scenario, None, version).summary())

    left, right = st.columns(2)
    with left:
        st.subheader(tr("overview.milestones"))
        upcoming = [
            r
            for r in sorted(data.rows(path, "milestone", version), key=lambda r: r["position"])
            if r["status"] != "done"
        ][:3]
        if not upcoming:
            st.success(tr("overview.all_done"))
        st.dataframe(
            pd.DataFrame(
                {
                    col("step"): [label("milestone.step", r["step"]) for r in upcoming],
                    col("date"): [common.date(r["date"]) for r in upcoming],
                    col("status"): [label("milestone.status", r["status"]) for r in upcoming],
                }
            ),
            hide_index=True,
        )
    with right:
        st.subheader(tr("overview.training"))
        sessions = sorted(
            data.rows(path, "training_module", version),
            key=lambda r: (r["start_date"] is None, str(r["start_date"] or "")),
        )[:3]
        st.dataframe(
            pd.DataFrame(
                {
                    col("subject"): [r["subject"] for r in sessions],
                    col("mode"): [label("training.mode", r["mode"]) for r in sessions],
                    col("dates"): [
                        f"{common.date(r['start_date'])} – {common.date(r['end_date'])}"
                        for r in sessions
                    ],
                    col("place"): [r["place"] or "" for r in sessions],
                }
            ),
            hide_index=True,
        )
