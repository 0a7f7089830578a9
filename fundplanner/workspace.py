"""What the dashboard reads and edits in a project, beyond the operations of :mod:`.project`.

The dashboard (``app.py``, ``views/``) lays pages out and calls this module and
:mod:`fundplanner.project`; nothing here knows about Streamlit. Each function opens its own
transaction through :mod:`fundplanner.store`, so that an edit is saved whole or not at all.

- **Rows of the project record** (partners, committee, meetings, decisions, training modules,
  milestones, budget lines, funding sources): :func:`table_rows`, and the edits a table editor
  makes as one transaction (:func:`row_edits` computes them, :func:`apply_edits` saves them).
  Every update and delete names the version it read: a change saved by someone else in between
  is refused with the store's ``StaleWrite`` (who saved, when, what was not saved).
- **Planning documents**: :func:`documents`, :func:`save_document`.
- **Catalogues**: :func:`catalogue_table`, :func:`catalogue_problems`, :func:`table_layout`
  (what a CSV/XLSX import would read: the header row, the columns and their keys) and
  :func:`import_bytes` (an upload, the same path as ``fundplanner import``).
- **Plans**: :func:`scenario_parameters`, :func:`scenario_flags` and :func:`pin_changes`
  (pins and exclusions from an edited selection); the coverage matrix and the budget view are
  ``project.coverage`` and ``project.budget_project``.
- **Cache keys**: :func:`data_version`, a number that grows with every saved change.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fundplanner import planning, project, store
from fundplanner.errors import UsageError
from fundplanner.ingest import IngestOptions
from fundplanner.ingest.sniff import Format, sniff_format
from fundplanner.ingest.tabular import iter_table

#: Tables of the project record a librarian edits row by row on the dashboard.
RECORD_TABLES: tuple[str, ...] = (
    "partner",
    "committee_member",
    "meeting",
    "decision",
    "training_module",
    "milestone",
    "budget_line",
    "funding_source",
)

#: Columns a row carries for the store's bookkeeping; an editor never changes them.
BOOKKEEPING = ("id", "version", "updated_at", "updated_by")


def _user(user: str | None) -> str:
    return user or store.current_user()


# ------------------------------------------------------------------------------ versions


def data_version(path: str) -> int:
    """A number that changes whenever anything in the project is saved
    (:func:`fundplanner.project.data_version`); the dashboard keys its caches on it. Raises
    the store's errors for a database that holds no project of this version."""
    return project.data_version(path)


# ------------------------------------------------------------------------------ record rows


def table_rows(path: str, table: str) -> list[dict[str, Any]]:
    """Every row of ``table`` (a project-record table, ``plan``, ``profile``…) in id order."""
    with store.project_connection(path) as conn:
        return store.rows(conn, table)


@dataclass(frozen=True)
class RowEdits:
    """What a table editor changed: new rows, changed rows (id, version read, changes) and
    removed rows (id, version read)."""

    inserts: tuple[dict[str, Any], ...] = ()
    updates: tuple[tuple[int, int, dict[str, Any]], ...] = ()
    deletes: tuple[tuple[int, int], ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.inserts or self.updates or self.deletes)


def _plain(value: Any) -> Any:
    """A cell as the store takes it: NaN, NaT and NA as None, numpy scalars as Python ones,
    timestamps as dates or datetimes, blank text as None."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, str) and not value.strip():
        return None
    return value


def row_edits(
    original: Sequence[Mapping[str, Any]],
    edited: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
) -> RowEdits:
    """The inserts, updates and deletes that turn ``original`` rows into ``edited`` ones.

    Rows are matched by ``id``: an edited row without an id is new; an original row whose id
    is gone was deleted; a row whose ``columns`` differ is updated with just those columns,
    against the version that was read. Empty cells count as None (a blank text, NaN, NaT).
    """
    before = {int(row["id"]): row for row in original}
    inserts: list[dict[str, Any]] = []
    updates: list[tuple[int, int, dict[str, Any]]] = []
    seen: set[int] = set()
    for row in edited:
        row_id = _plain(row.get("id"))
        values = {c: _plain(row.get(c)) for c in columns}
        if row_id is None:
            if any(v is not None for v in values.values()):
                inserts.append({k: v for k, v in values.items() if v is not None})
            continue
        row_id = int(row_id)
        seen.add(row_id)
        old = before.get(row_id)
        if old is None:
            raise UsageError(f"row {row_id} is not in the table that was read; reload the page.")
        changes = {c: v for c, v in values.items() if v != _plain(old.get(c))}
        if changes:
            updates.append((row_id, int(old["version"]), changes))
    deletes = [(i, int(row["version"])) for i, row in before.items() if i not in seen]
    return RowEdits(tuple(inserts), tuple(updates), tuple(deletes))


def apply_edits(path: str, table: str, edits: RowEdits, *, user: str | None = None) -> int:
    """Save a table editor's edits in one transaction (all or nothing); returns how many rows
    changed. A row someone else saved meanwhile raises ``store.StaleWrite``: nothing is saved."""
    if table not in RECORD_TABLES:
        raise UsageError(f"{table!r} is not edited row by row; use one of {RECORD_TABLES}.")
    who = _user(user)
    with store.project_connection(path, write=True) as conn:
        for row_id, version in edits.deletes:
            store.delete_row(conn, table, row_id, expected_version=version, user=who)
        for row_id, version, changes in edits.updates:
            store.update_row(conn, table, row_id, changes, expected_version=version, user=who)
        for values in edits.inserts:
            store.insert_row(conn, table, values, user=who)
    return len(edits.inserts) + len(edits.updates) + len(edits.deletes)


# ------------------------------------------------------------------------------ documents


def documents(path: str, table: str) -> dict[str, dict[str, Any]]:
    """The project's profiles or premises (``table``) by name, each with id, version, data."""
    with store.project_connection(path) as conn:
        return store.named_data(conn, table)


def save_document(
    path: str,
    table: str,
    name: str,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
    user: str | None = None,
) -> int:
    """Save a profile or premises document under ``name`` (refused as a stale write when the
    saved version is not ``expected_version``); returns its id."""
    with store.project_connection(path, write=True) as conn:
        return store.put_named_data(
            conn, table, name, data, user=_user(user), expected_version=expected_version
        )


# ------------------------------------------------------------------------------ catalogues


def catalogue_table(path: str) -> pd.DataFrame:
    """One row per imported catalogue: id, file, partner, format, when, by whom, counts."""
    with store.project_connection(path) as conn:
        rows = store.catalogues(conn)
        partners = {p["id"]: p["name"] for p in store.rows(conn, "partner")}
    columns = [
        "id",
        "file_name",
        "partner",
        "format",
        "imported_at",
        "imported_by",
        "records_read",
        "kept",
        "rejected",
        "warnings",
    ]
    frame = pd.DataFrame(
        [{**row, "partner": partners.get(row["partner_id"], "")} for row in rows],
        columns=columns,
    )
    return frame[columns]


def catalogue_problems(path: str, catalogue_id: int) -> pd.DataFrame:
    """Every problem of one catalogue's import: record, control number, field, kind,
    severity, message (what is wrong and how to fix it), value."""
    with store.project_connection(path) as conn:
        rows = store.problems(conn, catalogue_id)
    columns = ["record", "control_number", "field", "kind", "severity", "message", "value"]
    return pd.DataFrame(rows, columns=["id", "catalogue_id", *columns])[columns]


def candidates(path: str) -> pd.DataFrame:
    """The project's candidate table (store ids in ``id``)."""
    with store.project_connection(path) as conn:
        return store.candidates(conn)


def table_layout(
    data: bytes, file_name: str, mapping: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """How a CSV/TSV or XLSX file would be read (with ``mapping`` when given): format,
    encoding, delimiter, sheet, header_row, ``columns`` (header → key) and
    ``ignored_columns``. A MARC file gives just its ``format``. Raises the ingest errors of
    an unusable file (unrecognised format, a mapping that does not fit)."""
    fmt = sniff_format(data, file=file_name)
    layout: dict[str, Any] = {}
    if fmt in (Format.CSV, Format.XLSX):
        rows = iter_table(data, file=file_name, format=fmt, mapping=mapping, layout=layout)
        for _ in itertools.islice(rows, 3):  # the header is planned before the first row
            pass
    return {"format": fmt.value, **layout}


def import_bytes(
    path: str,
    file_name: str,
    data: bytes,
    *,
    partner: str | None,
    options: IngestOptions | None = None,
    format: str | None = None,
    mapping: Mapping[str, Any] | None = None,
    replace_existing: bool = False,
    user: str | None = None,
) -> project.ImportSummary:
    """Import an uploaded file (its name and bytes) into the project in one transaction, as
    ``fundplanner import`` imports a file (:func:`fundplanner.project.import_data`)."""
    (summary,) = project.import_data(
        path,
        [(file_name, data)],
        partner=partner,
        options=options,
        format=format,
        mapping=mapping,
        replace_existing=replace_existing,
        user=_user(user),
    )
    return summary


# ------------------------------------------------------------------------------ plans


def scenario_parameters(path: str, scenario: str) -> planning.Scenario:
    """The saved parameters of ``scenario`` (the defaults for a scenario not saved yet)."""
    with store.project_connection(path) as conn:
        row = store.plan_by_scenario(conn, scenario)
    return planning.Scenario.from_mapping(scenario, row["parameters"] if row else {})


def scenario_flags(path: str, scenario: str) -> pd.DataFrame:
    """The pinned and excluded candidates of ``scenario`` with what identifies them
    (candidate_id, copies, pinned, excluded, title, authors, language, audience, category,
    source); empty when the scenario has no plan row."""
    columns = ["title", "authors", "language", "audience", "category", "source"]
    with store.project_connection(path) as conn:
        row = store.plan_by_scenario(conn, scenario)
        items = store.plan_items(conn, row["id"]) if row else None
        flagged = (
            items[items["pinned"] | items["excluded"]] if items is not None else pd.DataFrame()
        )
        ids = flagged["candidate_id"].tolist() if not flagged.empty else []
        found = store.candidates(conn).set_index("id") if ids else None
    if found is None:
        return pd.DataFrame(
            columns=["candidate_id", "copies", "pinned", "excluded", *columns]
        ).astype({"candidate_id": "int64", "pinned": "bool", "excluded": "bool"})
    details = found.loc[ids, columns].reset_index(drop=True)
    return pd.concat([flagged.reset_index(drop=True), details], axis=1)


@dataclass(frozen=True)
class PinChanges:
    """Candidate ids to pin, exclude and release (free of both), and the ids a librarian
    marked both pinned and excluded (refused: choose one)."""

    pin: tuple[int, ...] = ()
    exclude: tuple[int, ...] = ()
    release: tuple[int, ...] = ()
    conflicts: tuple[int, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.pin or self.exclude or self.release)


def _flags(frame: pd.DataFrame) -> dict[int, tuple[bool, bool]]:
    """{candidate id: (pinned, excluded)}; an empty cell is False."""
    return {
        int(i): (p is True or p == 1, e is True or e == 1)
        for i, p, e in zip(
            frame["candidate_id"],
            frame["pinned"].astype(object).where(frame["pinned"].notna(), False),
            frame["excluded"].astype(object).where(frame["excluded"].notna(), False),
            strict=True,
        )
    }


def pin_changes(before: pd.DataFrame, after: pd.DataFrame) -> PinChanges:
    """What an edited selection asks: ``before`` and ``after`` have candidate_id, pinned and
    excluded; a row that became pinned is pinned, one that became excluded is excluded, one
    that lost its flag (and took no other) is released; a row both pinned and excluded is a
    conflict, left as it was."""
    old = _flags(before)
    pin, exclude, release, conflicts = [], [], [], []
    for key, (pinned, excluded) in _flags(after).items():
        was_pinned, was_excluded = old.get(key, (False, False))
        if pinned and excluded:
            conflicts.append(key)
        elif pinned and not was_pinned:
            pin.append(key)
        elif excluded and not was_excluded:
            exclude.append(key)
        elif (was_pinned or was_excluded) and not (pinned or excluded):
            release.append(key)
    return PinChanges(tuple(pin), tuple(exclude), tuple(release), tuple(conflicts))
