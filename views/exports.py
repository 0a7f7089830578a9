"""Exports: every export kind of a scenario as a download — acquisition lists, MARC records for
the library's ILS, packing lists, the budget workbook, the steering committee's report — and
the whole project as a backup archive."""

from __future__ import annotations

import re

import streamlit as st

from fundplanner import project
from ui import common, data
from ui.common import md, tr

context = common.current()
path, version = context.path, context.version
MIME = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".xml": "application/xml",
    ".mrc": "application/marc",
    ".iso": "application/marc",
    ".html": "text/html",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
}


def safe_name(text: str) -> str:
    """A scenario name as a file name: letters, digits, dashes and underscores only."""
    return re.sub(r"[^\w-]+", "_", text, flags=re.UNICODE).strip("_") or "plan"


with common.guarded():
    st.title(tr("exports.title"))
    solved = data.solved(path, version)
    if not solved:
        st.info(tr("selection.no_plan"))
    else:
        scenario = st.selectbox(tr("common.scenario"), solved, key="exports_scenario")
        for kind, suffixes in project.EXPORT_KINDS.items():
            with st.container(border=True):
                left, middle, right = st.columns([3, 1, 2], vertical_alignment="bottom")
                left.markdown(f"**{tr(f'exports.kind.{kind}')}**  \n{tr(f'exports.help.{kind}')}")
                suffix = middle.selectbox(
                    tr("exports.format"), list(suffixes), key=f"suffix:{kind}"
                )
                prepared = f"prepared:{kind}:{suffix}:{scenario}:{version}:{context.lang}"
                if right.button(tr("exports.prepare"), key=f"prepare:{kind}"):
                    with common.guarded(), st.spinner(tr("exports.preparing")):
                        st.session_state[prepared] = data.export_file(
                            path, kind, suffix, scenario, context.lang, version
                        )
                if prepared in st.session_state:
                    content, written = st.session_state[prepared]
                    right.download_button(
                        tr("exports.download", size=common.number(len(content) / 1024, 0)),
                        content,
                        file_name=f"{safe_name(scenario)}-{kind}{suffix}",
                        mime=MIME.get(suffix, "application/octet-stream"),
                        key=f"download:{kind}",
                        type="primary",
                    )
                    for problem in written.get("problems") or []:
                        st.warning(md(problem))

    st.subheader(tr("exports.backup"))
    st.caption(tr("exports.backup_help"))
    if st.button(tr("exports.prepare"), key="prepare:backup"):
        st.session_state[f"backup:{version}"] = data.backup_file(path, version)
    backup = st.session_state.get(f"backup:{version}")
    if backup is not None:
        st.download_button(
            tr("exports.download", size=common.number(len(backup) / 1024)),
            backup,
            file_name="project-backup.zip",
            mime=MIME[".zip"],
            key="download:backup",
            type="primary",
        )
