"""A project-record table in an editor, saved in one transaction (``workspace.apply_edits``).

The editor shows the rows read at this data version; saving sends only what changed, each
update and delete with the version it read, so that a change someone else saved meanwhile is
refused with a message (``StaleWrite``) instead of being overwritten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from fundplanner import store, workspace
from ui import common, data
from ui.common import tr


def _dates(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Date columns as ``datetime.date`` (or None), the way the store keeps them."""
    out = frame.copy()
    for column in columns:
        values = pd.to_datetime(out[column], errors="coerce")
        out[column] = [None if pd.isna(v) else v.date() for v in values]
    return out


def pending(key: str) -> bool:
    """Whether the data editor ``key`` holds edits not saved yet."""
    state = st.session_state.get(key)
    if not isinstance(state, Mapping):
        return False
    return any(state.get(part) for part in ("edited_rows", "added_rows", "deleted_rows"))


def snapshot(context: common.Context, table: str) -> tuple[int, list[dict[str, Any]]]:
    """The rows the editor of ``table`` edits, and the data version they were read at.

    The rows read when the editing started are kept until they are saved: a save by someone
    else meanwhile does not wipe the edits in progress, it makes the save fail with the
    store's StaleWrite (who saved, what was not saved). Without edits in progress the editor
    follows the project.
    """
    key = f"_snapshot:{table}"
    kept = st.session_state.get(key)
    if kept is None or (kept[0] != context.version and not pending(f"record:{table}:{kept[0]}")):
        kept = (context.version, data.rows(context.path, table, context.version))
        st.session_state[key] = kept
    return int(kept[0]), list(kept[1])


def editor(
    context: common.Context,
    table: str,
    columns: Sequence[str],
    config: Mapping[str, Any],
    *,
    dates: Sequence[str] = (),
    keep: Callable[[dict[str, Any]], bool] | None = None,
    fixed: bool = False,
) -> None:
    """Rows of ``table`` (those ``keep`` accepts) in an editor; editors may add, change and
    delete rows (only change them when ``fixed``) and save."""
    read_at, everything = snapshot(context, table)
    rows = [r for r in everything if keep is None or keep(r)]
    frame = pd.DataFrame(rows, columns=["id", "version", *columns])
    frame = _dates(frame, dates)
    for column in dates:
        frame[column] = frame[column].astype("object")
    edited = st.data_editor(
        frame,
        key=f"record:{table}:{read_at}",
        hide_index=True,
        num_rows="fixed" if fixed or not context.can_edit else "dynamic",
        disabled=(["id", "version"] if context.can_edit else True),
        column_config={"id": None, "version": None, **config},
        placeholder=common.empty(),
    )
    if not context.can_edit:
        return
    if st.button(tr("common.save"), key=f"save:{table}"):
        records = [
            {str(k): v for k, v in row.items()}
            for row in _dates(pd.DataFrame(edited), dates).to_dict("records")
        ]
        edits = workspace.row_edits(rows, records, columns)
        if edits.empty:
            st.info(tr("selection.no_change"))
            return
        try:
            count = workspace.apply_edits(context.path, table, edits, user=context.user)
        except store.StaleWrite as exc:  # someone saved first: show theirs, say what was lost
            common.flash("error", f"{common.md(exc)}\n\n{common.error_hint(exc)}")
        else:
            common.flash("success", tr("common.saved", count=count))
        st.session_state.pop(f"_snapshot:{table}", None)
        st.rerun()


def date_column(title: str) -> Any:
    return st.column_config.DateColumn(title, min_value=dt.date(2000, 1, 1), format="YYYY-MM-DD")


def code_column(title: str, prefix: str, options: Sequence[str], *, required: bool = True) -> Any:
    """A column of codes shown by their names in the reader's language (``prefix.<code>``)."""
    return st.column_config.SelectboxColumn(
        title,
        options=list(options),
        required=required,
        format_func=common.formatting(lambda code: common.label(prefix, code)),
    )
