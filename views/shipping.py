"""Shipping: how a scenario's selection travels — cartons, weight and volume per origin, the
cost of every mode and the one used."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from fundplanner import shipping
from ui import charts, common, data
from ui.common import col, label, md, tr

context = common.current()
path, version = context.path, context.version

with common.guarded():
    st.title(tr("shipping.title"))
    solved = data.solved(path, version)
    if not solved:
        st.info(tr("selection.no_plan"))
        st.stop()
    left, right = st.columns(2)
    scenario = left.selectbox(tr("common.scenario"), solved, key="shipping_scenario")
    modes = [None, shipping.AUTO, *shipping.mode_names()]
    mode = right.selectbox(
        col("mode"),
        modes,
        format_func=common.formatting(
            lambda m: (
                tr("shipping.scenario_mode")
                if m is None
                else tr("shipping.auto")
                if m == shipping.AUTO
                else label("shipping.mode", m)
            )
        ),
        key="shipping_mode",
    )
    plan = data.ship(path, scenario, mode, version)
    common.shipping_figures(plan.summary())
    for message in plan.messages:
        st.caption(md(message))

    by_origin = plan.by_origin
    if by_origin.empty:
        st.info(tr("shipping.nothing"))
        st.stop()
    st.subheader(tr("shipping.by_origin"))
    st.dataframe(
        pd.DataFrame(
            {
                col("origin"): by_origin["origin"],
                col("mode"): [label("shipping.mode", m) for m in by_origin["mode"]],
                col("copies"): by_origin["copies"],
                col("cartons"): by_origin["cartons"],
                col("weight_kg"): by_origin["gross_kg"].round(1),
                tr("shipping.m3"): by_origin["m3"].round(2),
                col("cost", currency="EUR"): by_origin["cost_eur"].round(0),
                tr("shipping.feasible"): [common.yes_no(f) for f in by_origin["feasible"]],
            }
        ),
        hide_index=True,
    )

    st.subheader(tr("shipping.modes"))
    cost_columns = [c for c in by_origin.columns if c.startswith("cost_eur_")]
    long = by_origin[["origin", *cost_columns]].melt(
        id_vars="origin", var_name="mode", value_name="cost"
    )
    long = long.dropna(subset=["cost"])
    long["mode"] = [label("shipping.mode", m.removeprefix("cost_eur_")) for m in long["mode"]]
    st.altair_chart(
        charts.grouped_bars(
            long,
            category="origin",
            series="mode",
            value="cost",
            title_x=col("origin"),
            title_y=col("cost", currency="EUR"),
        )
    )

    st.subheader(tr("shipping.cartons_title"))
    cartons = plan.cartons
    st.dataframe(
        pd.DataFrame(
            {
                col("origin"): cartons["origin"],
                tr("shipping.carton_no"): cartons["carton_no"],
                col("copies"): cartons["copies"],
                col("weight_kg"): cartons["gross_kg"].round(1),
                tr("shipping.fill"): [common.percent(f) for f in cartons["fill_kg"]],
                tr("shipping.zones"): cartons["zones"],
            }
        ),
        hide_index=True,
    )
