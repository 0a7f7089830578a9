"""Budget: uses against sources, per kind and per funder, the warnings (funders' caps, the
ministry call's rules), and the budget lines and funding sources, editable."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from fundplanner import budget, store
from ui import charts, common, data, records
from ui.common import col, label, md, tr

context = common.current()
path, version = context.path, context.version

LINE_COLUMNS = ["kind", "label", "planned", "committed", "spent", "currency"]
FUNDING_COLUMNS = ["name", "kind", "amount", "currency", "cap_share", "status"]


with common.guarded():
    st.title(tr("budget.title"))
    solved = data.solved(path, version)
    scenario = (
        st.selectbox(tr("common.scenario"), solved, key="budget_scenario") if solved else None
    )
    if scenario is None:
        st.info(tr("budget.no_plan"))
    view = data.budget_view(path, scenario, version)
    currency = view.base_currency
    balance = view.balance
    cols = st.columns(4)
    cols[0].metric(tr("budget.uses"), common.money(balance["uses"], currency))
    cols[1].metric(tr("budget.sources"), common.money(balance["sources"], currency))
    cols[2].metric(tr("budget.balance"), common.money(balance["balance"], currency))
    cols[3].metric(
        tr("budget.committed_balance"), common.money(balance["committed_balance"], currency)
    )
    for message in view.messages(context.lang):
        st.warning(md(message))

    left, right = st.columns(2)
    with left:
        st.subheader(tr("budget.sources_vs_uses"))
        uses = view.by_kind[["kind", "counted"]].rename(columns={"counted": "amount"})
        uses = uses.assign(
            side=tr("budget.uses"), part=[label("budget.kind", k) for k in uses["kind"]]
        )
        sources = view.funding.assign(
            side=tr("budget.sources"),
            part=[label("funding.kind", k) for k in view.funding["kind"]],
            amount=view.funding["amount_base"],
        )
        both = pd.concat([uses[["side", "part", "amount"]], sources[["side", "part", "amount"]]])
        st.altair_chart(
            charts.stacked_bars(
                both, side="side", part="part", value="amount", title_y=col("amount")
            )
        )
    with right:
        st.subheader(tr("budget.per_kind"))
        by_kind = view.by_kind.assign(kind=[label("budget.kind", k) for k in view.by_kind["kind"]])
        long = by_kind.melt(
            id_vars="kind",
            value_vars=["manual", "computed"],
            var_name="series",
            value_name="amount",
        )
        long["series"] = [tr(f"budget.series.{s}") for s in long["series"]]
        st.altair_chart(
            charts.grouped_bars(
                long,
                category="kind",
                series="series",
                value="amount",
                title_x=col("kind"),
                title_y=col("amount"),
            )
        )

    st.subheader(tr("budget.lines"))
    lines = view.lines
    st.dataframe(
        pd.DataFrame(
            {
                col("kind"): [label("budget.kind", k) for k in lines["kind"]],
                col("label"): view.line_labels(context.lang),
                col("source"): [label("budget.source", s) for s in lines["source"]],
                col("planned"): lines["planned"],
                col("currency"): lines["currency"],
                col("amount_base", currency=currency): lines["amount_base"],
                col("in_balance"): [common.yes_no(b) for b in lines["in_balance"]],
            }
        ),
        hide_index=True,
    )
    st.subheader(tr("budget.funding"))
    funding = view.funding
    st.dataframe(
        pd.DataFrame(
            {
                col("name"): funding["name"],
                col("kind"): [label("funding.kind", k) for k in funding["kind"]],
                col("amount_base", currency=currency): funding["amount_base"],
                col("share"): [common.percent(s) for s in funding["share"]],
                col("cap_share"): [common.percent(s) for s in funding["cap_share"]],
                col("status"): [label("funding.status", s) for s in funding["status"]],
            }
        ),
        hide_index=True,
    )

    if context.can_edit:
        st.header(tr("budget.edit"))
        st.caption(tr("budget.edit_help"))
        st.markdown(f"**{tr('budget.lines')}**")
        records.editor(
            context,
            "budget_line",
            LINE_COLUMNS,
            {
                "kind": records.code_column(col("kind"), "budget.kind", store.BUDGET_KINDS),
                "label": st.column_config.TextColumn(col("label"), required=True),
                "planned": st.column_config.NumberColumn(col("planned"), min_value=0),
                "committed": st.column_config.NumberColumn(col("committed"), min_value=0),
                "spent": st.column_config.NumberColumn(col("spent"), min_value=0),
                "currency": st.column_config.TextColumn(col("currency"), max_chars=3),
            },
            keep=lambda row: row.get("source", "manual") == "manual",
        )
        st.markdown(f"**{tr('budget.funding')}**")
        records.editor(
            context,
            "funding_source",
            FUNDING_COLUMNS,
            {
                "name": st.column_config.TextColumn(col("name"), required=True),
                "kind": records.code_column(col("kind"), "funding.kind", store.FUNDING_KINDS),
                "amount": st.column_config.NumberColumn(col("amount"), min_value=0),
                "currency": st.column_config.TextColumn(col("currency"), max_chars=3),
                "cap_share": st.column_config.NumberColumn(
                    col("cap_share"), min_value=0.0, max_value=1.0
                ),
                "status": records.code_column(
                    col("status"), "funding.status", budget.FUNDING_STATUSES
                ),
            },
        )
