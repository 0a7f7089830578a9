"""Project record: the partners, the steering committee and its meetings, the training plan
and the agreement's milestones (as timelines), each editable by editors."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from fundplanner import store
from ui import charts, common, data, records
from ui.common import col, label, md, tr

context = common.current()
path, version = context.path, context.version

with common.guarded():
    st.title(tr("record.title"))
    tabs = st.tabs(
        [
            tr("record.partners"),
            tr("record.committee"),
            tr("record.meetings"),
            tr("record.training"),
            tr("record.milestones"),
        ]
    )
    with tabs[0]:
        records.editor(
            context,
            "partner",
            [
                "name",
                "kind",
                "country",
                "city",
                "contact",
                "role",
                "contributes",
                "convention_status",
            ],
            {
                "name": st.column_config.TextColumn(col("name"), required=True),
                "kind": records.code_column(col("kind"), "partner.kind", store.PARTNER_KINDS),
                "country": st.column_config.TextColumn(col("country"), max_chars=2),
                "city": st.column_config.TextColumn(col("city")),
                "contact": st.column_config.TextColumn(tr("record.contact")),
                "role": st.column_config.TextColumn(col("role")),
                "contributes": st.column_config.TextColumn(tr("record.contributes")),
                "convention_status": records.code_column(
                    col("convention_status"), "partner.convention", store.CONVENTION_STATUSES
                ),
            },
        )
    with tabs[1]:
        records.editor(
            context,
            "committee_member",
            ["name", "service", "role"],
            {
                "name": st.column_config.TextColumn(col("name"), required=True),
                "service": st.column_config.TextColumn(tr("record.service")),
                "role": st.column_config.TextColumn(col("role")),
            },
        )
    with tabs[2]:
        meetings = data.rows(path, "meeting", version)
        decisions = data.rows(path, "decision", version)
        for meeting in sorted(meetings, key=lambda m: str(m["date"])):
            st.markdown(
                f"**{common.date(meeting['date'])}** — {md(meeting['place'] or '')}  \n"
                f"{md(meeting['notes'] or '')}"
            )
            taken = [d for d in decisions if d["meeting_id"] == meeting["id"]]
            for decision in taken:
                owner = f" ({md(decision['owner'])})" if decision["owner"] else ""
                st.markdown(f"- {md(decision['text'])}{owner}")
        st.markdown(f"**{tr('record.edit_meetings')}**")
        records.editor(
            context,
            "meeting",
            ["date", "place", "notes"],
            {
                "date": records.date_column(col("date")),
                "place": st.column_config.TextColumn(col("place")),
                "notes": st.column_config.TextColumn(col("notes")),
            },
            dates=["date"],
        )
        st.markdown(f"**{tr('record.edit_decisions')}**")
        records.editor(
            context,
            "decision",
            ["meeting_id", "text", "owner", "due"],
            {
                "meeting_id": st.column_config.SelectboxColumn(
                    tr("record.meeting"), options=[m["id"] for m in meetings], required=True
                ),
                "text": st.column_config.TextColumn(tr("record.decision"), required=True),
                "owner": st.column_config.TextColumn(tr("record.owner")),
                "due": records.date_column(tr("record.due")),
            },
            dates=["due"],
        )
    with tabs[3]:
        modules = data.rows(path, "training_module", version)
        if modules:
            st.altair_chart(
                charts.timeline(
                    pd.DataFrame(
                        {
                            "label": [m["subject"] for m in modules],
                            "start": [m["start_date"] for m in modules],
                            "end": [m["end_date"] for m in modules],
                            "group": [label("training.mode", m["mode"]) for m in modules],
                        }
                    ),
                    title=col("dates"),
                )
            )
        records.editor(
            context,
            "training_module",
            [
                "subject",
                "mode",
                "place",
                "start_date",
                "end_date",
                "trainers",
                "participants",
                "cost",
                "currency",
            ],
            {
                "subject": st.column_config.TextColumn(col("subject"), required=True),
                "mode": records.code_column(col("mode"), "training.mode", store.TRAINING_MODES),
                "place": st.column_config.TextColumn(col("place")),
                "start_date": records.date_column(tr("record.start")),
                "end_date": records.date_column(tr("record.end")),
                "trainers": st.column_config.TextColumn(col("trainers")),
                "participants": st.column_config.TextColumn(col("participants")),
                "cost": st.column_config.NumberColumn(tr("record.cost"), min_value=0),
                "currency": st.column_config.TextColumn(col("currency"), max_chars=3),
            },
            dates=["start_date", "end_date"],
        )
    with tabs[4]:
        steps = sorted(data.rows(path, "milestone", version), key=lambda m: m["position"])
        st.altair_chart(
            charts.milestones(
                pd.DataFrame(
                    {
                        "label": [label("milestone.step", m["step"]) for m in steps],
                        "date": [m["date"] for m in steps],
                        "status": [label("milestone.status", m["status"]) for m in steps],
                    }
                ),
                title=col("date"),
            )
        )
        st.dataframe(
            pd.DataFrame(
                {
                    col("step"): [label("milestone.step", m["step"]) for m in steps],
                    col("date"): [common.date(m["date"]) for m in steps],
                    col("status"): [label("milestone.status", m["status"]) for m in steps],
                    col("document"): [m["document_ref"] or "" for m in steps],
                }
            ),
            hide_index=True,
        )
        if context.can_edit:
            st.markdown(f"**{tr('record.edit_milestones')}**")
            records.editor(
                context,
                "milestone",
                ["date", "status", "document_ref", "notes"],
                {
                    "date": records.date_column(col("date")),
                    "status": records.code_column(
                        col("status"), "milestone.status", store.MILESTONE_STATUSES
                    ),
                    "document_ref": st.column_config.TextColumn(col("document")),
                    "notes": st.column_config.TextColumn(col("notes")),
                },
                dates=["date"],
                fixed=True,
            )
