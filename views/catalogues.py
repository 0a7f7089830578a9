"""Catalogues: what was imported and every problem found, and new donor or vendor files —
preview, column mapping for CSV/XLSX, partner, import with a progress bar."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from fundplanner import workspace
from fundplanner.errors import FundplannerError
from fundplanner.exporting.safe import safe_frame
from fundplanner.ingest import IngestOptions
from fundplanner.ingest.tabular import MAPPABLE_KEYS
from ui import common, data
from ui.common import col, md, tr

context = common.current()
path, version = context.path, context.version
ACQUISITIONS = ("", "donation", "purchase", "local_purchase")
PREVIEW_COLUMNS = ["title", "authors", "isbn13", "language", "audience", "category", "price_eur"]


def problem_headers() -> dict[str, str]:
    return {
        "record": tr("catalogues.record"),
        "control_number": tr("catalogues.control_number"),
        "field": tr("catalogues.field"),
        "kind": col("kind"),
        "severity": tr("catalogues.severity"),
        "message": col("message"),
        "value": col("value"),
    }


def title_headers() -> dict[str, str]:
    return {
        "title": tr("selection.title_column"),
        "authors": tr("selection.authors"),
        "isbn13": tr("catalogues.isbn"),
        "language": col("language"),
        "audience": col("audience"),
        "category": col("category"),
        "price_eur": tr("selection.price"),
    }


def problems_csv(frame: pd.DataFrame) -> bytes:
    """The problems as a CSV a spreadsheet opens (UTF-8 with BOM, formulas escaped)."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def mapping_editor(name: str, layout: dict[str, Any]) -> dict[str, Any] | None:
    """The detected column plan of a CSV/XLSX file, editable; the mapping that the edits make
    (None when the detected plan is kept)."""
    detected = dict(layout.get("columns") or {})
    headers = [*detected, *(h for h in layout.get("ignored_columns") or [] if h not in detected)]
    plan = pd.DataFrame(
        {"header": headers, "key": [detected.get(h) for h in headers]}, dtype="object"
    )
    st.caption(tr("catalogues.mapping_help"))
    edited = pd.DataFrame(
        st.data_editor(
            plan,
            key=f"mapping:{name}",
            hide_index=True,
            placeholder=common.empty(),
            disabled=["header"],
            column_config={
                "header": st.column_config.TextColumn(tr("catalogues.header")),
                "key": st.column_config.SelectboxColumn(
                    tr("catalogues.field"), options=list(MAPPABLE_KEYS)
                ),
            },
        )
    )
    header_row = st.number_input(
        tr("catalogues.header_row"),
        min_value=0,
        value=int(layout.get("header_row") or 1),
        key=f"header_row:{name}",
    )
    keys = {h: k for h, k in zip(edited["header"], edited["key"], strict=True) if k}
    if keys == detected and header_row == int(layout.get("header_row") or 1):
        return None
    columns: dict[str, list[str]] = {}
    for header, key in keys.items():
        columns.setdefault(str(key), []).append(str(header))
    mapping: dict[str, Any] = {"columns": columns, "options": {"header_row": int(header_row)}}
    if layout.get("sheet"):
        mapping["options"]["sheet"] = layout["sheet"]
    return mapping


with common.guarded():
    st.title(tr("catalogues.title"))
    catalogues = data.catalogues(path, version)
    if catalogues.empty:
        st.info(tr("catalogues.none"))
    else:
        shown = catalogues.assign(imported_at=[common.date(d) for d in catalogues["imported_at"]])
        st.dataframe(
            shown.rename(
                columns={
                    "id": tr("selection.id"),
                    "file_name": tr("catalogues.file"),
                    "partner": col("partner"),
                    "format": tr("catalogues.format"),
                    "imported_at": tr("catalogues.imported_at"),
                    "imported_by": tr("catalogues.imported_by"),
                    "records_read": tr("catalogues.read"),
                    "kept": tr("catalogues.kept"),
                    "rejected": tr("catalogues.rejected"),
                    "warnings": tr("catalogues.warnings"),
                }
            ),
            hide_index=True,
        )
        st.subheader(tr("catalogues.problems"))
        names = dict(zip(catalogues["id"], catalogues["file_name"], strict=True))
        chosen = st.selectbox(
            tr("catalogues.problems_of"),
            list(names),
            format_func=lambda i: str(names[i]),
            key="problems_of",
        )
        found = data.problems(path, int(chosen), version)
        if found.empty:
            st.success(tr("catalogues.no_problems"))
        else:
            st.dataframe(found.rename(columns=problem_headers()), hide_index=True)
            st.download_button(
                tr("catalogues.download_problems"),
                problems_csv(found),
                file_name=f"{names[chosen]}.problems.csv",
                mime="text/csv",
                key="download_problems",
            )

    st.header(tr("catalogues.import"))
    if common.need_editor(context):
        partners = [row["name"] for row in data.rows(path, "partner", version)]
        left, middle, right, last = st.columns(4)
        partner = left.selectbox(
            col("partner"),
            [None, *partners],
            format_func=common.formatting(
                lambda p: tr("catalogues.no_partner") if p is None else str(p)
            ),
            key="import_partner",
        )
        acquisition = middle.selectbox(
            tr("catalogues.acquisition"),
            ACQUISITIONS,
            format_func=common.formatting(lambda a: tr(f"catalogues.acquisition_{a or 'auto'}")),
            key="import_acquisition",
        )
        origin = right.text_input(col("origin"), key="import_origin").strip().upper() or None
        currency = last.text_input(col("currency"), key="import_currency").strip().upper() or None
        uploads = (
            st.file_uploader(tr("catalogues.upload"), accept_multiple_files=True, key="uploads")
            or []
        )
        mappings: dict[str, dict[str, Any] | None] = {}
        for upload in uploads:
            content = upload.getvalue()
            with st.expander(upload.name, expanded=True):
                try:
                    layout = data.layout(content, upload.name, None)
                    st.caption(tr("catalogues.detected", format=layout["format"]))
                    mapping = None
                    if layout["format"] in ("csv", "xlsx"):
                        mapping = mapping_editor(upload.name, layout)
                    mappings[upload.name] = mapping
                    result = data.preview(
                        content, upload.name, mapping, acquisition or None, origin, currency
                    )
                except FundplannerError as exc:
                    common.show_error(exc)
                    continue
                cols = st.columns(3)
                cols[0].metric(tr("catalogues.read"), common.number(result.records_read))
                cols[1].metric(tr("catalogues.kept"), common.number(len(result.titles)))
                cols[2].metric(tr("catalogues.rejected"), common.number(result.rejected))
                st.dataframe(
                    result.titles[PREVIEW_COLUMNS].head(20).rename(columns=title_headers()),
                    hide_index=True,
                )
                if result.problems:
                    problems = pd.DataFrame([p.as_row() for p in result.problems])
                    columns = [c for c in problem_headers() if c in problems.columns]
                    st.dataframe(
                        problems[columns].rename(columns=problem_headers()), hide_index=True
                    )
        replace = context.is_admin and st.checkbox(tr("catalogues.replace"), key="replace")
        if uploads and st.button(tr("catalogues.import_button"), type="primary", key="do_import"):
            options = IngestOptions(
                acquisition=acquisition or None, origin=origin, currency=currency
            )
            progress = st.progress(0.0)
            done = []
            for number, upload in enumerate(uploads):
                progress.progress(
                    number / len(uploads), text=tr("catalogues.importing", file=md(upload.name))
                )
                if upload.name not in mappings:
                    continue  # a file that cannot be read at all: its error is shown above
                try:
                    summary = workspace.import_bytes(
                        path,
                        upload.name,
                        upload.getvalue(),
                        partner=partner,
                        options=options,
                        mapping=mappings[upload.name],
                        replace_existing=bool(replace),
                        user=context.user,
                    )
                except FundplannerError as exc:
                    common.show_error(exc)
                    continue
                done.append(
                    tr(
                        "catalogues.imported",
                        file=md(upload.name),
                        kept=common.number(summary.kept),
                        rejected=common.number(summary.rejected),
                    )
                )
            progress.progress(1.0, text=tr("catalogues.import_done"))
            if done and len(done) == len(uploads):
                common.flash("success", "\n\n".join(done))
                st.rerun()
            elif done:  # some files failed: keep their errors on screen
                st.success("\n\n".join(done))
