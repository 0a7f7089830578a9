"""The project store: the only module that talks to the database (SQLAlchemy 2 Core).

A project is one database: by default a SQLite file (``*.fundplan``, WAL journal, foreign keys
on) that a librarian can copy or mail; a PostgreSQL URL works the same for a shared
deployment. The schema is created and upgraded by Alembic (``fundplanner/migrations``).

Callers own the transaction: every function takes a :class:`~sqlalchemy.engine.Connection`
and the shells open it (``with store.engine(path).begin() as conn: …``), so that a catalogue
import — the catalogue row, its candidates and its problems — commits or vanishes as one.

Edits are versioned (optimistic concurrency): every editable row carries ``version``; an update
names the version it read and is refused with :class:`StaleWrite`, saying what changed, when
someone else saved first. Every change writes an ``audit`` row (who, when, what).
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import getpass
import json
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from fundplanner.errors import FundplannerError
from fundplanner.model import CANDIDATE_SCHEMA

PROJECT_SUFFIX = ".fundplan"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class StoreError(FundplannerError):
    """The project database cannot do what was asked (the message says why and what to do)."""


class ProjectNotFound(StoreError):
    """No project at that path or URL."""


class DuplicateCatalogue(StoreError):
    """The same file (same checksum) was already imported into this project."""


class StaleWrite(StoreError):
    """Someone saved the row after it was read; nothing was overwritten."""


class NotFound(StoreError):
    """The row named does not exist."""


metadata = sa.MetaData()


def _versioned(*columns: sa.Column[Any]) -> list[sa.Column[Any]]:
    """Columns every editable row has: its version and who changed it last, when."""
    return [
        *columns,
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.Column("updated_by", sa.String(200)),
    ]


project = sa.Table(
    "project",
    metadata,
    *_versioned(
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("partner_town", sa.String(200)),
        sa.Column("library", sa.String(200)),
        sa.Column("population_official", sa.Integer),
        sa.Column("population_de_facto", sa.Integer),
        sa.Column("opening_date", sa.Date),
        sa.Column("base_currency", sa.String(3), nullable=False, server_default="EUR"),
        sa.Column("languages", sa.String(100), nullable=False, server_default="ara,fre,eng"),
        sa.Column("settings", sa.JSON, nullable=False, server_default="{}"),
    ),
)

PARTNER_KINDS = (
    "library",
    "local_authority",
    "university",
    "publisher",
    "bookseller",
    "donor_association",
    "ministry",
    "funder",
)
CONVENTION_STATUSES = ("none", "draft", "negotiating", "signed", "ended")

partner = sa.Table(
    "partner",
    metadata,
    *_versioned(
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("country", sa.String(2)),
        sa.Column("city", sa.String(100)),
        sa.Column("contact", sa.Text),
        sa.Column("role", sa.Text),
        # comma-separated: catalogues, money, training, in_kind
        sa.Column("contributes", sa.String(200)),
        sa.Column("convention_status", sa.String(20), nullable=False, server_default="none"),
    ),
)

catalogue = sa.Table(
    "catalogue",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("partner_id", sa.ForeignKey("partner.id", ondelete="SET NULL")),
    sa.Column("file_name", sa.String(500), nullable=False),
    sa.Column("format", sa.String(20)),
    sa.Column("checksum", sa.String(64), nullable=False, unique=True),
    sa.Column("size_bytes", sa.BigInteger),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("imported_by", sa.String(200)),
    sa.Column("records_read", sa.Integer, nullable=False),
    sa.Column("kept", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
    sa.Column("warnings", sa.Integer, nullable=False),
    # revision 0004: the file as it was imported, so that exports can start from each
    # candidate's own MARC record (and a librarian can download the original again)
    sa.Column("content", sa.LargeBinary),
)


def _owned_by_catalogue() -> sa.Column[Any]:
    """The link of a row that belongs to one import: it goes when its catalogue goes."""
    return sa.Column(
        "catalogue_id",
        sa.ForeignKey("catalogue.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


catalogue_problem = sa.Table(
    "catalogue_problem",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _owned_by_catalogue(),
    sa.Column("record", sa.Integer),
    sa.Column("control_number", sa.String(100)),
    sa.Column("field", sa.String(100)),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("severity", sa.String(10), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("value", sa.Text),
)

_SQL_TYPES = {"string": sa.Text, "Int64": sa.BigInteger, "Float64": sa.Float}
#: Candidate columns added after revision 0001, by the revision that added them:
#: record_no (0004).
_ADDED_CANDIDATE_COLUMNS = ("record_no",)

candidate = sa.Table(
    "candidate",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _owned_by_catalogue(),
    *(
        sa.Column(name, _SQL_TYPES[dtype]())
        for name, dtype in CANDIDATE_SCHEMA.items()
        if name not in _ADDED_CANDIDATE_COLUMNS
    ),
    # columns later revisions added, after the first ones (ALTER TABLE appends them)
    *(sa.Column(name, _SQL_TYPES[CANDIDATE_SCHEMA[name]]()) for name in _ADDED_CANDIDATE_COLUMNS),
    sa.Index("ix_candidate_work_key", "work_key"),
    sa.Index("ix_candidate_cell", "audience", "category", "language"),  # revision 0002
)


def _named_data(name: str) -> sa.Table:
    """A named planning input whose ``data`` (JSON) the planning issue defines."""
    return sa.Table(
        name,
        metadata,
        *_versioned(
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(200), nullable=False, unique=True),
            sa.Column("data", sa.JSON, nullable=False),
        ),
    )


profile = _named_data("profile")
premises = _named_data("premises")

plan = sa.Table(
    "plan",
    metadata,
    *_versioned(
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("scenario", sa.String(200), nullable=False, unique=True),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("status", sa.String(40)),
        sa.Column("shortfall", sa.Float),
        sa.Column("cost_eur", sa.Float),
        sa.Column("bound", sa.Float),
        sa.Column("gap", sa.Float),
        sa.Column("solved_at", sa.DateTime(timezone=True)),
    ),
    # revision 0003: what the solve said (method, per-cell gaps and their causes, zones,
    # origins, messages): the Plan.summary() of fundplanner.planner
    sa.Column("report", sa.JSON),
)

plan_item = sa.Table(
    "plan_item",
    metadata,
    sa.Column("plan_id", sa.ForeignKey("plan.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("candidate_id", sa.ForeignKey("candidate.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("copies", sa.Integer, nullable=False, server_default="0"),
    sa.Column("pinned", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("excluded", sa.Boolean, nullable=False, server_default=sa.false()),
)

BUDGET_KINDS = ("training", "collection", "processing", "shipping", "equipment", "other")

budget_line = sa.Table(
    "budget_line",
    metadata,
    *_versioned(
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("planned", sa.Float, nullable=False, server_default="0"),
        sa.Column("committed", sa.Float, nullable=False, server_default="0"),
        sa.Column("spent", sa.Float, nullable=False, server_default="0"),
        sa.Column("currency", sa.String(3), nullable=False, server_default="EUR"),
        sa.Column("source", sa.String(20), nullable=False, server_default="manual"),
    ),
)

FUNDING_KINDS = ("city", "ministry_call", "partner", "in_kind", "other")

funding_source = sa.Table(
    "funding_source",
    metadata,
    *_versioned(
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("partner_id", sa.ForeignKey("partner.id", ondelete="SET NULL")),
        sa.Column("amount", sa.Float, nullable=False, server_default="0"),
        sa.Column("currency", sa.String(3), nullable=False, server_default="EUR"),
        sa.Column("cap_share", sa.Float),  # a funder's maximum share of the total, 0-1
        sa.Column("status", sa.String(20), nullable=False, server_default="expected"),
    ),
)

TRAINING_MODES = ("on_site", "internship")

training_module = sa.Table(
    "training_module",
    metadata,
    *_versioned(
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("place", sa.String(200)),
        sa.Column("start_date", sa.Date),
        sa.Column("end_date", sa.Date),
        sa.Column("trainers", sa.Text),
        sa.Column("participants", sa.Text),
        sa.Column("cost", sa.Float, nullable=False, server_default="0"),
        sa.Column("currency", sa.String(3), nullable=False, server_default="EUR"),
    ),
)

committee_member = sa.Table(
    "committee_member",
    metadata,
    *_versioned(
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("service", sa.String(200)),
        sa.Column("role", sa.String(200)),
        sa.Column("partner_id", sa.ForeignKey("partner.id", ondelete="SET NULL")),
    ),
)

meeting = sa.Table(
    "meeting",
    metadata,
    *_versioned(
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("place", sa.String(200)),
        sa.Column("notes", sa.Text),
    ),
)

meeting_attendee = sa.Table(
    "meeting_attendee",
    metadata,
    sa.Column("meeting_id", sa.ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "member_id", sa.ForeignKey("committee_member.id", ondelete="CASCADE"), primary_key=True
    ),
)

decision = sa.Table(
    "decision",
    metadata,
    *_versioned(
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("meeting_id", sa.ForeignKey("meeting.id", ondelete="CASCADE"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("owner", sa.String(200)),
        sa.Column("due", sa.Date),
    ),
)

#: The convention-projet's steps in their legal order (CGCT: deliberation of the municipal
#: council, transmission to the prefecture for the contrôle de légalité, executory, signature).
MILESTONE_STEPS = (
    "draft_with_partners",
    "council_vote",
    "prefecture_legality_check",
    "executory",
    "signature_all_parties",
    "prefecture_registration",
)
MILESTONE_STATUSES = ("planned", "in_progress", "done")

milestone = sa.Table(
    "milestone",
    metadata,
    *_versioned(
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("step", sa.String(40), nullable=False, unique=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("date", sa.Date),
        sa.Column("status", sa.String(20), nullable=False, server_default="planned"),
        sa.Column("document_ref", sa.String(300)),
        sa.Column("notes", sa.Text),
    ),
)

audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("user", sa.String(200), nullable=False),
    sa.Column("table_name", sa.String(60), nullable=False),
    sa.Column("row_id", sa.Integer),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("details", sa.JSON),
)

#: Tables a user edits row by row (versioned, audited).
EDITABLE: dict[str, sa.Table] = {
    t.name: t
    for t in (
        project,
        partner,
        profile,
        premises,
        plan,
        budget_line,
        funding_source,
        training_module,
        committee_member,
        meeting,
        decision,
        milestone,
    )
}


# --------------------------------------------------------------------------- engines


def database_url(project_path: str | os.PathLike[str]) -> str:
    """A SQLAlchemy URL for a project: a URL is kept, a path becomes a SQLite URL."""
    text = str(project_path)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL journal (readers never block the writer), foreign keys on, wait on a busy file."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # Take transaction control from the sqlite3 driver, whose legacy mode sends no BEGIN before
    # DDL or SAVEPOINT: a failed `init` or upgrade left half a schema behind, committed.
    # SQLAlchemy then emits BEGIN itself (_sqlite_begin); its documented recipe for pysqlite.
    dbapi_connection.isolation_level = None


def _sqlite_begin(conn: Connection) -> None:
    """Every transaction starts with BEGIN, so DDL and savepoints commit or roll back with it."""
    conn.exec_driver_sql("BEGIN")


def engine(project_path: str | os.PathLike[str], *, must_exist: bool = True) -> Engine:
    """An engine on the project's database (SQLite file or PostgreSQL URL)."""
    url = database_url(project_path)
    if url.startswith("sqlite:///") and must_exist:
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            raise ProjectNotFound(
                f"{project_path}: no project file there; create one with "
                f"'fundplanner init {project_path}' (add --demo for the Al Ram example)."
            )
    try:
        eng = sa.create_engine(url, future=True)
    except (sa.exc.ArgumentError, ImportError) as exc:
        raise StoreError(f"{project_path}: not a usable database URL ({exc}).") from exc
    if eng.dialect.name == "sqlite":
        sa.event.listen(eng, "connect", _sqlite_pragmas)
        sa.event.listen(eng, "begin", _sqlite_begin)
    return eng


@contextlib.contextmanager
def project_connection(
    project_path: str | os.PathLike[str], *, write: bool = False
) -> Iterator[Connection]:
    """A connection to an existing project whose schema is this version's (else a clear
    error), for one operation: with ``write`` a transaction committed on leaving (rolled back
    on an error), else reads; the engine is disposed of afterwards."""
    eng = engine(project_path)
    try:
        with eng.begin() if write else eng.connect() as conn:
            require_current(conn)
            yield conn
    finally:
        eng.dispose()


def alembic_config(conn: Connection) -> Any:
    """An Alembic configuration that runs the packaged migrations on ``conn``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def upgrade(conn: Connection, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision`` (Alembic), inside the caller's transaction."""
    from alembic import command

    command.upgrade(alembic_config(conn), revision)


def schema_version(conn: Connection) -> str | None:
    """The Alembic revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest revision the packaged migrations know."""
    from alembic.script import ScriptDirectory

    config = alembic_config(None)  # type: ignore[arg-type]
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None, "fundplanner/migrations has no revision"
    return head


def require_current(conn: Connection) -> None:
    """Refuse to work on a database whose schema is not the packaged one."""
    current = schema_version(conn)
    if current is None:
        raise ProjectNotFound("this database holds no fundplanner project; run 'fundplanner init'.")
    if current != head_revision():
        raise StoreError(
            f"the project's schema is at revision {current}, this fundplanner expects "
            f"{head_revision()}; run 'fundplanner upgrade PROJECT' (after a backup)."
        )


# --------------------------------------------------------------------------- helpers


def current_user() -> str:
    """Who is editing: FUNDPLANNER_USER (set by the dashboard's login) or the OS user."""
    name = os.environ.get("FUNDPLANNER_USER")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _audit(
    conn: Connection,
    table_name: str,
    row_id: int | None,
    action: str,
    user: str,
    details: Mapping[str, Any] | None = None,
) -> None:
    conn.execute(
        audit.insert().values(
            at=_now(),
            user=user,
            table_name=table_name,
            row_id=row_id,
            action=action,
            details=_jsonable(details) if details is not None else None,
        )
    )


def _jsonable(value: Any) -> Any:
    """Values as JSON can hold them (dates as ISO text, NaN as null, infinities as text)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, np.generic):  # numpy scalars from DataFrames: plain Python values
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        # JSON has no NaN or infinity (PostgreSQL's json type refuses them)
        return None if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def _code_lists() -> dict[str, dict[str, tuple[str, ...]]]:
    """The closed sets of values some columns take (table -> column -> allowed values)."""
    return {
        "partner": {"kind": PARTNER_KINDS, "convention_status": CONVENTION_STATUSES},
        "budget_line": {"kind": BUDGET_KINDS},
        "funding_source": {"kind": FUNDING_KINDS},
        "training_module": {"mode": TRAINING_MODES},
        "milestone": {"step": MILESTONE_STEPS, "status": MILESTONE_STATUSES},
    }


def _check_codes(table_name: str, values: Mapping[str, Any]) -> None:
    """Refuse a value outside its column's code list, naming the allowed ones."""
    for column, allowed in _code_lists().get(table_name, {}).items():
        value = values.get(column)
        if value is not None and value not in allowed:
            raise StoreError(
                f"{table_name}.{column}: {value!r} is not one of {', '.join(allowed)}."
            )


def _table(name: str) -> sa.Table:
    try:
        return EDITABLE[name]
    except KeyError:
        raise StoreError(
            f"no editable table {name!r}; use one of {', '.join(sorted(EDITABLE))}."
        ) from None


# --------------------------------------------------------------------------- rows


def insert_row(conn: Connection, table_name: str, values: Mapping[str, Any], *, user: str) -> int:
    """Add a row to an editable table; returns its id."""
    table = _table(table_name)
    _check_codes(table_name, values)
    row = {**values, "version": 1, "updated_at": _now(), "updated_by": user}
    try:
        # A savepoint, so that a refused row leaves the caller's transaction usable on
        # PostgreSQL too (it aborts the whole transaction on any error; SQLite does not).
        with conn.begin_nested():
            result = conn.execute(table.insert().values(**row))
    except sa.exc.IntegrityError as exc:
        raise StoreError(f"{table_name}: {_integrity_message(exc)}") from exc
    row_id = _new_id(result)
    _audit(conn, table_name, row_id, "insert", user, values)
    return row_id


def update_row(
    conn: Connection,
    table_name: str,
    row_id: int,
    changes: Mapping[str, Any],
    *,
    expected_version: int,
    user: str,
) -> int:
    """Change a row if nobody saved it since ``expected_version`` was read; returns the new version.

    A stale write is refused with :class:`StaleWrite` naming who saved, when, its version, and
    the fields of the caller's change that were not saved — never silently overwritten.
    """
    table = _table(table_name)
    forbidden = {"id", "version", "updated_at", "updated_by"} & set(changes)
    if forbidden:
        raise StoreError(f"{table_name}: {', '.join(sorted(forbidden))} cannot be edited.")
    _check_codes(table_name, changes)
    if table is milestone:
        _check_milestone_order(conn, row_id, changes)
    result = conn.execute(
        table.update()
        .where(table.c.id == row_id, table.c.version == expected_version)
        .values(**changes, version=expected_version + 1, updated_at=_now(), updated_by=user)
    )
    if result.rowcount == 1:
        _audit(conn, table_name, row_id, "update", user, changes)
        return expected_version + 1
    current = conn.execute(sa.select(table).where(table.c.id == row_id)).mappings().first()
    if current is None:
        raise NotFound(f"{table_name} {row_id} does not exist (deleted by someone else?).")
    changed_by = current["updated_by"] or "someone"
    when = current["updated_at"]
    raise StaleWrite(
        f"{table_name} {row_id} was saved by {changed_by} at {when} (version "
        f"{current['version']}, you read version {expected_version}); your changes to "
        f"{', '.join(sorted(changes))} were not saved. Reload it, check the values, and "
        "save again."
    )


def _check_milestone_order(conn: Connection, row_id: int, changes: Mapping[str, Any]) -> None:
    """A step of the convention-projet is done only after every step before it: the council
    votes before the prefecture's contrôle de légalité, which precedes signature, etc."""
    if changes.get("status") != "done":
        return
    row = conn.execute(sa.select(milestone).where(milestone.c.id == row_id)).mappings().first()
    if row is None:
        return  # update_row reports the missing row
    pending = conn.execute(
        sa.select(milestone.c.step)
        .where(milestone.c.position < row["position"], milestone.c.status != "done")
        .order_by(milestone.c.position)
    ).scalars()
    earlier = list(pending)
    if earlier:
        raise StoreError(
            f"milestone {row['step']} cannot be done before {', '.join(earlier)} "
            "(the convention's steps follow their legal order); mark those done first."
        )


def delete_row(
    conn: Connection, table_name: str, row_id: int, *, expected_version: int, user: str
) -> None:
    """Delete a row if nobody changed it since ``expected_version`` was read."""
    table = _table(table_name)
    result = conn.execute(
        table.delete().where(table.c.id == row_id, table.c.version == expected_version)
    )
    if result.rowcount != 1:
        current = conn.execute(
            sa.select(table.c.version, table.c.updated_by, table.c.updated_at).where(
                table.c.id == row_id
            )
        ).first()
        if current is None:
            raise NotFound(f"{table_name} {row_id} does not exist.")
        raise StaleWrite(
            f"{table_name} {row_id} was saved by {current.updated_by or 'someone'} at "
            f"{current.updated_at} (version {current.version}, you read version "
            f"{expected_version}); it was not deleted. Reload it and decide again."
        )
    _audit(conn, table_name, row_id, "delete", user)


def rows(conn: Connection, table_name: str) -> list[dict[str, Any]]:
    """All rows of a table, in id order, as plain dicts."""
    table = metadata.tables[table_name]
    order = table.primary_key.columns.values()
    return [dict(r) for r in conn.execute(sa.select(table).order_by(*order)).mappings()]


def _new_id(result: sa.CursorResult[Any]) -> int:
    """The primary key of the row an INSERT just added."""
    key = result.inserted_primary_key
    assert key is not None, "an INSERT returns the new row's key"
    return int(key[0])


def _integrity_message(exc: sa.exc.IntegrityError) -> str:
    text = str(exc.orig).splitlines()[0] if exc.orig is not None else str(exc)
    if "UNIQUE" in text.upper():
        return f"a row with the same unique value already exists ({text}); use another name."
    if "FOREIGN KEY" in text.upper():
        return f"a referenced row does not exist ({text})."
    return text


# --------------------------------------------------------------------------- project


def create_project(conn: Connection, values: Mapping[str, Any], *, user: str) -> None:
    """Create the schema and the project row (an empty database only)."""
    if schema_version(conn) is not None:
        raise StoreError("this database already holds a fundplanner project.")
    upgrade(conn)
    insert_row(conn, "project", values, user=user)
    for position, step in enumerate(MILESTONE_STEPS, 1):
        insert_row(conn, "milestone", {"step": step, "position": position}, user=user)


def project_row(conn: Connection) -> dict[str, Any]:
    found = conn.execute(sa.select(project).order_by(project.c.id)).mappings().first()
    if found is None:
        raise ProjectNotFound("the database has a schema but no project row.")
    return dict(found)


# --------------------------------------------------------------------------- catalogues


def import_catalogue(
    conn: Connection,
    *,
    file_name: str,
    checksum: str,
    size_bytes: int,
    format: str | None,
    titles: pd.DataFrame,
    problems: Sequence[Mapping[str, Any]],
    records_read: int,
    partner_id: int | None,
    user: str,
    replace: bool = False,
    content: bytes | None = None,
) -> int:
    """Store one imported catalogue — its row, candidates and problems, and the file's
    ``content`` when given — in the caller's transaction; returns the catalogue id.

    The same file (same SHA-256) twice is refused with :class:`DuplicateCatalogue`, unless
    ``replace`` is given: then the earlier import and its candidates are removed first.
    """
    earlier = conn.execute(
        sa.select(catalogue.c.id, catalogue.c.file_name, catalogue.c.imported_at).where(
            catalogue.c.checksum == checksum
        )
    ).first()
    if earlier is not None:
        if not replace:
            raise DuplicateCatalogue(
                f"{file_name}: this file was already imported on {earlier.imported_at:%Y-%m-%d} "
                f"(as {earlier.file_name!r}, catalogue {earlier.id}); nothing was changed. "
                "Import it with --replace to replace that import."
            )
        conn.execute(catalogue.delete().where(catalogue.c.id == earlier.id))
        _audit(conn, "catalogue", earlier.id, "delete", user, {"replaced_by": file_name})
    warnings = sum(1 for p in problems if p.get("severity") == "warning")
    catalogue_id = _new_id(
        conn.execute(
            catalogue.insert().values(
                partner_id=partner_id,
                file_name=file_name,
                format=format,
                checksum=checksum,
                size_bytes=size_bytes,
                imported_at=_now(),
                imported_by=user,
                records_read=records_read,
                kept=len(titles),
                rejected=records_read - len(titles),
                warnings=warnings,
                **({"content": content} if content is not None else {}),
            )
        )
    )
    _insert_frame(conn, candidate, titles, catalogue_id=catalogue_id)
    if problems:
        rows_of_problems = [_problem_row(p, catalogue_id) for p in problems]
        _insert_frame(conn, catalogue_problem, pd.DataFrame(rows_of_problems, dtype=object))
    _audit(
        conn,
        "catalogue",
        catalogue_id,
        "import",
        user,
        {"file": file_name, "kept": len(titles), "read": records_read},
    )
    return catalogue_id


#: Rows per ``executemany`` call in bulk loads (bounds the memory of the row tuples; larger
#: batches measured no faster).
BATCH_ROWS = 5000

#: A positional placeholder in each DB-API paramstyle our drivers use (PEP 249): sqlite3 is
#: ``qmark``, psycopg ``pyformat`` (which takes ``%s`` for positional parameters too).
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}

#: SQLite page cache during a bulk load, in KiB (``PRAGMA cache_size=-N``): the candidate
#: indexes stay in memory instead of being spilled to the WAL page by page. Only the cache
#: changes: the journal, ``synchronous`` and so the transaction's atomicity stay as they are.
BULK_CACHE_KIB = 65536


def _insert_frame(conn: Connection, table: sa.Table, frame: pd.DataFrame, **constant: Any) -> None:
    """Bulk insert a DataFrame in the caller's transaction (pandas nulls become SQL NULL).

    The frame becomes one plain Python list per column, once; the rows go to the driver's
    ``executemany`` as tuples on one prepared positional INSERT, :data:`BATCH_ROWS` at a time:
    no dict per row and no SQLAlchemy parameter processing per row. The values are
    str/int/float/bool/None, which sqlite3 and psycopg bind as they are. ``constant`` gives
    columns that hold the same value on every row (the catalogue id); they win over a frame
    column of the same name.
    """
    if frame.empty:
        return
    names = [str(name) for name in frame.columns if name in table.c and name not in constant]
    columns = [_plain_values(frame[name]) for name in names]
    names += list(constant)
    columns += [[value] * len(frame) for value in constant.values()]
    sql = _positional_insert(conn, table, names)
    with _bulk_cache(conn):
        for start in range(0, len(frame), BATCH_ROWS):
            part = (column[start : start + BATCH_ROWS] for column in columns)
            conn.exec_driver_sql(sql, list(zip(*part, strict=True)))


def _plain_values(column: pd.Series) -> list[Any]:
    """A column as Python values (int, float, str, bool), its nulls (NA, NaN, None) as None."""
    # pandas-stubs omit None from na_value, which pandas documents and accepts.
    values = column.to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    return cast(list[Any], values.tolist())


def _positional_insert(conn: Connection, table: sa.Table, names: Sequence[str]) -> str:
    """``INSERT INTO table (names…) VALUES (?, …)`` in the driver's own paramstyle."""
    paramstyle = conn.dialect.paramstyle
    if paramstyle not in _PLACEHOLDERS:
        raise StoreError(
            f"bulk insert: the database driver's paramstyle {paramstyle!r} is not one of "
            f"{', '.join(_PLACEHOLDERS)}; use SQLite or PostgreSQL (psycopg)."
        )
    quote = conn.dialect.identifier_preparer
    listed = ", ".join(quote.quote(name) for name in names)
    marks = ", ".join([_PLACEHOLDERS[paramstyle]] * len(names))
    return f"INSERT INTO {quote.format_table(table)} ({listed}) VALUES ({marks})"


@contextlib.contextmanager
def _bulk_cache(conn: Connection) -> Iterator[None]:
    """A larger SQLite page cache for the duration of a bulk load (other databases: as is)."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")


def _problem_row(problem: Mapping[str, Any], catalogue_id: int) -> dict[str, Any]:
    keys = ("record", "control_number", "field", "kind", "severity", "message", "value")
    row = {k: problem.get(k) for k in keys}
    row["catalogue_id"] = catalogue_id
    return row


def catalogues(conn: Connection) -> list[dict[str, Any]]:
    """Every catalogue row, without the file contents (see :func:`catalogue_content`)."""
    columns = [c for c in catalogue.c if c.name != "content"]
    query = sa.select(*columns).order_by(catalogue.c.id)
    return [dict(r) for r in conn.execute(query).mappings()]


def catalogue_content(conn: Connection, catalogue_id: int) -> bytes | None:
    """The file a catalogue was imported from, as imported (None for imports made before
    revision 0004)."""
    found = conn.execute(
        sa.select(catalogue.c.content).where(catalogue.c.id == catalogue_id)
    ).scalar_one_or_none()
    return bytes(found) if found is not None else None


def candidates(conn: Connection, catalogue_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """The candidate table of the project (or of some catalogues), canonical dtypes."""
    query = sa.select(candidate).order_by(candidate.c.id)
    if catalogue_ids is not None:
        query = query.where(candidate.c.catalogue_id.in_(list(catalogue_ids)))
    # Nullable dtypes straight from the rows: through float64 (the default for an integer
    # column with NULLs) a BIGINT above 2**53 came back changed, without a word.
    frame = pd.read_sql(query, conn, dtype_backend="numpy_nullable")
    frame = frame[["id", "catalogue_id", *CANDIDATE_SCHEMA]]  # the canonical order
    return frame.astype({"id": "int64", "catalogue_id": "int64", **CANDIDATE_SCHEMA})


def problems(conn: Connection, catalogue_id: int) -> list[dict[str, Any]]:
    query = (
        sa.select(catalogue_problem)
        .where(catalogue_problem.c.catalogue_id == catalogue_id)
        .order_by(catalogue_problem.c.id)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def catalogue_with_checksum(conn: Connection, checksum: str) -> dict[str, Any] | None:
    """The catalogue imported from a file with this SHA-256, if any."""
    found = conn.execute(sa.select(catalogue).where(catalogue.c.checksum == checksum)).mappings()
    row = found.first()
    return dict(row) if row is not None else None


def add_attendees(conn: Connection, meeting_id: int, member_ids: Iterable[int]) -> None:
    """Record who attended a steering-committee meeting."""
    values = [{"meeting_id": meeting_id, "member_id": m} for m in dict.fromkeys(member_ids)]
    if values:
        conn.execute(meeting_attendee.insert(), values)


def set_work_keys(conn: Connection, keys: pd.DataFrame) -> int:
    """Update ``work_key`` / ``work_group`` of the candidates in ``keys`` (columns id,
    work_key, work_group); returns how many rows were updated."""
    if keys.empty:
        return 0
    statement = (
        candidate.update()
        .where(candidate.c.id == sa.bindparam("row_id"))
        .values(work_key=sa.bindparam("key"), work_group=sa.bindparam("group"))
    )
    values = [
        {"row_id": int(i), "key": k, "group": g}
        for i, k, g in zip(keys["id"], keys["work_key"], keys["work_group"], strict=True)
    ]
    conn.execute(statement, values)
    return len(values)


# --------------------------------------------------------------------------- planning


def named_data(conn: Connection, table_name: str) -> dict[str, dict[str, Any]]:
    """The rows of a named-document table (``profile`` or ``premises``) by name, in id order;
    each row carries its ``id``, ``version`` and ``data``."""
    if table_name not in ("profile", "premises"):
        raise StoreError(f"{table_name!r} is not a named-document table; use profile or premises.")
    return {row["name"]: row for row in rows(conn, table_name)}


def put_named_data(
    conn: Connection,
    table_name: str,
    name: str,
    data: Mapping[str, Any],
    *,
    user: str,
    expected_version: int | None = None,
) -> int:
    """Save a profile or premises document under ``name`` (a new row, or a new version of the
    row of that name, refused as a stale write when ``expected_version`` is not the saved
    one); returns its id."""
    existing = named_data(conn, table_name).get(name)
    if existing is None:
        return insert_row(conn, table_name, {"name": name, "data": dict(data)}, user=user)
    version = existing["version"] if expected_version is None else expected_version
    update_row(
        conn, table_name, existing["id"], {"data": dict(data)}, expected_version=version, user=user
    )
    return int(existing["id"])


def plans(conn: Connection) -> list[dict[str, Any]]:
    """Every scenario's plan row (parameters, figures, report), in id order."""
    return rows(conn, "plan")


def plan_by_scenario(conn: Connection, scenario: str) -> dict[str, Any] | None:
    found = conn.execute(sa.select(plan).where(plan.c.scenario == scenario)).mappings().first()
    return dict(found) if found is not None else None


def ensure_plan(
    conn: Connection, scenario: str, parameters: Mapping[str, Any], *, user: str
) -> dict[str, Any]:
    """The plan row of ``scenario``, created (unsolved) with ``parameters`` when missing."""
    found = plan_by_scenario(conn, scenario)
    if found is None:
        insert_row(conn, "plan", {"scenario": scenario, "parameters": dict(parameters)}, user=user)
        found = plan_by_scenario(conn, scenario)
        assert found is not None
    return found


def plan_items(conn: Connection, plan_id: int) -> pd.DataFrame:
    """A plan's items: candidate_id, copies, pinned, excluded (one row per candidate the plan
    selected, pinned or excluded)."""
    query = (
        sa.select(
            plan_item.c.candidate_id, plan_item.c.copies, plan_item.c.pinned, plan_item.c.excluded
        )
        .where(plan_item.c.plan_id == plan_id)
        .order_by(plan_item.c.candidate_id)
    )
    frame = pd.DataFrame(
        conn.execute(query).all(), columns=["candidate_id", "copies", "pinned", "excluded"]
    )
    return frame.astype(
        {"candidate_id": "int64", "copies": "int64", "pinned": "bool", "excluded": "bool"}
    )


def set_pins(
    conn: Connection,
    plan_id: int,
    candidate_ids: Iterable[int],
    *,
    pinned: bool | None = None,
    excluded: bool | None = None,
    user: str,
) -> int:
    """Pin or exclude candidates in a plan (``None`` leaves that flag as it is; a candidate is
    never both: pinning clears its exclusion and the reverse). Returns how many were set;
    an unknown candidate id is refused with its number."""
    ids = [int(i) for i in dict.fromkeys(candidate_ids)]
    if not ids:
        return 0
    known = set(conn.execute(sa.select(candidate.c.id).where(candidate.c.id.in_(ids))).scalars())
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise NotFound(
            f"no candidate with id {', '.join(map(str, unknown[:10]))} in this project; the "
            "ids are those of `fundplanner plan` output and of the dashboard's selection."
        )
    flags: dict[str, bool] = {}
    if pinned is not None:
        flags["pinned"] = pinned
        if pinned:
            flags["excluded"] = False
    if excluded is not None:
        flags["excluded"] = excluded
        if excluded:
            flags["pinned"] = False
    present = set(
        conn.execute(
            sa.select(plan_item.c.candidate_id).where(
                plan_item.c.plan_id == plan_id, plan_item.c.candidate_id.in_(ids)
            )
        ).scalars()
    )
    new = [
        {"plan_id": plan_id, "candidate_id": i, "copies": 0, **flags}
        for i in ids
        if i not in present
    ]
    if new:
        conn.execute(plan_item.insert(), new)
    if present and flags:
        conn.execute(
            plan_item.update()
            .where(plan_item.c.plan_id == plan_id, plan_item.c.candidate_id.in_(sorted(present)))
            .values(**flags)
        )
    _audit(conn, "plan", plan_id, "update", user, {"candidates": ids, **flags})
    return len(ids)


def save_solution(
    conn: Connection,
    plan_id: int,
    *,
    parameters: Mapping[str, Any],
    figures: Mapping[str, Any],
    report: Mapping[str, Any],
    copies: Mapping[int, int],
    expected_version: int,
    user: str,
) -> int:
    """Record a solve of the plan ``plan_id``: its parameters, figures (status, shortfall,
    cost_eur, bound, gap), report and the copies of every selected candidate. Pins and
    exclusions are kept; items neither selected, pinned nor excluded are removed. Refused as
    a stale write when someone saved the plan since ``expected_version``. Returns the new
    version."""
    version = update_row(
        conn,
        "plan",
        plan_id,
        {
            "parameters": _jsonable(dict(parameters)),
            **{k: figures.get(k) for k in ("status", "shortfall", "cost_eur", "bound", "gap")},
            "report": _jsonable(dict(report)),
            "solved_at": _now(),
        },
        expected_version=expected_version,
        user=user,
    )
    conn.execute(plan_item.update().where(plan_item.c.plan_id == plan_id).values(copies=0))
    chosen = {int(k): int(v) for k, v in copies.items() if int(v) > 0}
    present = set(
        conn.execute(
            sa.select(plan_item.c.candidate_id).where(plan_item.c.plan_id == plan_id)
        ).scalars()
    )
    updates = [
        {"row_plan": plan_id, "row_candidate": i, "n": n} for i, n in chosen.items() if i in present
    ]
    if updates:
        conn.execute(
            plan_item.update()
            .where(
                plan_item.c.plan_id == sa.bindparam("row_plan"),
                plan_item.c.candidate_id == sa.bindparam("row_candidate"),
            )
            .values(copies=sa.bindparam("n")),
            updates,
        )
    inserts = [
        {"plan_id": plan_id, "candidate_id": i, "copies": n}
        for i, n in chosen.items()
        if i not in present
    ]
    if inserts:
        conn.execute(plan_item.insert(), inserts)
    conn.execute(
        plan_item.delete().where(
            plan_item.c.plan_id == plan_id,
            plan_item.c.copies == 0,
            plan_item.c.pinned == sa.false(),
            plan_item.c.excluded == sa.false(),
        )
    )
    return version


def data_version(conn: Connection) -> int:
    """The last audit entry's id: every write of the store is audited in its own transaction
    (edits, imports, plans, pins), so this number changes whenever anything is saved — a
    cheap key for caches (one primary-key lookup)."""
    return int(conn.execute(sa.select(sa.func.max(audit.c.id))).scalar() or 0)


# --------------------------------------------------------------------------- summary


def info(conn: Connection) -> dict[str, Any]:
    """What a project holds, for `fundplanner info`."""
    require_current(conn)
    head = project_row(conn)
    counts = {
        name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for name, table in metadata.tables.items()
    }
    by_language: dict[Any, int] = dict(
        conn.execute(
            sa.select(candidate.c.language, sa.func.count())
            .group_by(candidate.c.language)
            .order_by(sa.func.count().desc())
        ).all()
    )
    return {
        "budget": budget_balance(conn),
        "name": head["name"],
        "partner_town": head["partner_town"],
        "library": head["library"],
        "base_currency": head["base_currency"],
        "languages": head["languages"].split(","),
        "schema": schema_version(conn),
        "counts": counts,
        "candidates_by_language": {str(k): v for k, v in by_language.items()},
        "milestones": [
            {"step": m["step"], "status": m["status"], "date": _jsonable(m["date"])}
            for m in rows(conn, "milestone")
        ],
    }


def budget_balance(conn: Connection) -> dict[str, dict[str, float]]:
    """Per currency: planned uses (budget lines), sources (funding), and sources − uses."""
    uses = dict(
        conn.execute(
            sa.select(budget_line.c.currency, sa.func.sum(budget_line.c.planned)).group_by(
                budget_line.c.currency
            )
        ).all()
    )
    sources = dict(
        conn.execute(
            sa.select(funding_source.c.currency, sa.func.sum(funding_source.c.amount)).group_by(
                funding_source.c.currency
            )
        ).all()
    )
    return {
        str(currency): {
            "uses": float(uses.get(currency) or 0),
            "sources": float(sources.get(currency) or 0),
            "balance": float(sources.get(currency) or 0) - float(uses.get(currency) or 0),
        }
        for currency in sorted(set(uses) | set(sources))
    }


def to_json(value: Any) -> str:
    return json.dumps(_jsonable(value), ensure_ascii=False, indent=2, default=str)


# --------------------------------------------------------------------------- backup and restore
# The database side of fundplanner/backup.py (which may not import SQLAlchemy): every table's rows
# as JSON-able dicts, and back. Both work on the tables the database HAS (reflected), not on
# ``metadata``, so that a project at an older schema revision is backed up as it is and an
# archive is loaded into a database created at the archive's own revision.

#: Non-finite floats, which JSON cannot hold, travel as these strings (PostgreSQL keeps all three;
#: SQLite turns NaN into NULL when it is stored).
_NON_FINITE_TEXT = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def revisions() -> list[str]:
    """Every schema revision the packaged migrations know, oldest first."""
    return list(_packaged_revisions())


#: The packaged revisions, read once (they do not change while fundplanner runs).
_REVISIONS: dict[str, tuple[str, ...]] = {}


def _packaged_revisions() -> tuple[str, ...]:
    if "packaged" not in _REVISIONS:
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(alembic_config(None))  # type: ignore[arg-type]
        _REVISIONS["packaged"] = tuple(r.revision for r in reversed(list(script.walk_revisions())))
    return _REVISIONS["packaged"]


def dump_tables(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, in foreign-key order and primary-key order, as JSON-able values.

    Dates are ISO 8601 text, date-times ISO 8601 in UTC with their offset (the store writes UTC;
    SQLite keeps no offset, so a naive value is read as UTC), non-finite floats the strings
    ``NaN``/``Infinity``/``-Infinity``, JSON columns their JSON value, NULL ``None``.
    ``alembic_version`` is left out: :func:`schema_version` says it.
    """
    return {table.name: _dumped_rows(conn, table) for table in _reflected_tables(conn)}


def load_tables(conn: Connection, tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """Insert :func:`dump_tables` output into an EMPTY database already at the same schema
    revision, in foreign-key order, keeping ids; on PostgreSQL the id sequences are then moved
    past the largest id, so that the next insert does not collide.

    Refused with :class:`StoreError` (nothing inserted by this call is kept once the caller rolls
    back): tables that differ from the database's, a table that is not empty, a row whose columns
    differ from the table's, a value of the wrong type for its column.
    """
    present = _reflected_tables(conn)
    if not present:
        raise StoreError("the database has no schema; create it at the archive's revision first.")
    _require_same_tables({t.name for t in present}, set(tables))
    for table in present:
        if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
            raise StoreError(
                f"table {table.name} already holds rows; load a backup only into an empty database."
            )
    for table in present:
        records = _loaded_rows(table, tables[table.name])
        for start in range(0, len(records), BATCH_ROWS):
            conn.execute(table.insert(), records[start : start + BATCH_ROWS])
    if conn.dialect.name == "postgresql":
        _move_sequences_past_ids(conn, present)


def _reflected_tables(conn: Connection) -> list[sa.Table]:
    """The project's tables as the database has them, parents before children: ``metadata``'s
    at the newest revision (the migrations build exactly it), else read from the database."""
    if schema_version(conn) == _packaged_revisions()[-1]:
        return list(metadata.sorted_tables)
    found = sa.MetaData()
    found.reflect(bind=conn)
    return [table for table in found.sorted_tables if table.name != "alembic_version"]


def _require_same_tables(in_database: set[str], given: set[str]) -> None:
    if in_database == given:
        return
    missing = ", ".join(sorted(in_database - given)) or "none"
    unknown = ", ".join(sorted(given - in_database)) or "none"
    raise StoreError(
        f"the tables given do not match the database's schema (missing: {missing}; unknown: "
        f"{unknown}); the backup belongs to another schema revision or is incomplete."
    )


def _dumped_rows(conn: Connection, table: sa.Table) -> list[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    encoders = [(c.name, encode) for c in table.columns if (encode := _encoder(c.type))]
    out = []
    for row in conn.execute(sa.select(table).order_by(*order)).mappings():
        record = dict(row)
        for name, encode in encoders:
            value = record[name]
            if value is not None:
                record[name] = encode(value)
        out.append(record)
    return out


def _encoder(kind: sa.types.TypeEngine[Any]) -> Any:
    """How a column's values become JSON (None: they already are)."""
    if isinstance(kind, sa.DateTime):
        return _datetime_text
    if isinstance(kind, sa.Date):
        return dt.date.isoformat
    if isinstance(kind, sa.Float):
        return _float_json
    if isinstance(kind, sa.LargeBinary):
        return _base64_text
    return None


def _base64_text(value: bytes) -> str:
    """Binary values (an imported file) as base64 text: JSON holds no bytes."""
    return base64.b64encode(bytes(value)).decode("ascii")


def _bytes_from_base64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"expected base64 text, found {type(value).__name__}")
    return base64.b64decode(value.encode("ascii"), validate=True)


def _datetime_text(value: dt.datetime) -> str:
    utc = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    return utc.isoformat()


def _float_json(value: float) -> float | str:
    if math.isfinite(value):
        return float(value)
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _loaded_rows(table: sa.Table, given: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a dump as the database takes them (ISO text back to dates, …), checked."""
    decoders = [(c.name, _decoder(c.type)) for c in table.columns]
    names = {c.name for c in table.columns}
    out = []
    for number, row in enumerate(given, 1):
        if row.keys() != names:
            raise StoreError(
                f"{table.name}: row {number} has the columns {sorted(row)}, the table has "
                f"{sorted(names)}."
            )
        record: dict[str, Any] = {}
        for name, decode in decoders:
            value = row[name]
            if value is None:
                record[name] = None
                continue
            try:
                record[name] = decode(value)
            except (TypeError, ValueError) as exc:
                raise StoreError(
                    f"{table.name}: row {number}, column {name}: {value!r} cannot be stored "
                    f"({exc})."
                ) from None
        out.append(record)
    return out


def _decoder(kind: sa.types.TypeEngine[Any]) -> Any:
    """How a JSON value becomes a column value; raises TypeError/ValueError for a wrong type."""
    if isinstance(kind, sa.DateTime):
        return _datetime_from_text if kind.timezone else _naive_utc_from_text
    if isinstance(kind, sa.Date):
        return _date_from_text
    if isinstance(kind, sa.Float):
        return _float_from_json
    if isinstance(kind, sa.LargeBinary):
        return _bytes_from_base64
    if isinstance(kind, sa.Boolean):
        return _expect(bool)
    if isinstance(kind, sa.Integer):
        return _integer_from_json
    if isinstance(kind, sa.String):
        return _expect(str)
    return _same  # JSON columns and anything else: the value as the dump gave it


def _same(value: Any) -> Any:
    return value


def _expect(kind: type) -> Any:
    def check(value: Any) -> Any:
        if type(value) is not kind:
            raise TypeError(f"expected {kind.__name__}")
        return value

    return check


def _integer_from_json(value: Any) -> int:
    if type(value) is not int:
        raise TypeError("expected an integer")
    return value


def _text_value(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected ISO 8601 text")
    return value


def _date_from_text(value: Any) -> dt.date:
    return dt.date.fromisoformat(_text_value(value))


def _datetime_from_text(value: Any) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(_text_value(value))
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def _naive_utc_from_text(value: Any) -> dt.datetime:
    """For a column without time zone (every SQLite one): the UTC wall time."""
    return _datetime_from_text(value).replace(tzinfo=None)


def _float_from_json(value: Any) -> float:
    if isinstance(value, str):
        if value not in _NON_FINITE_TEXT:
            raise ValueError("expected a number, NaN, Infinity or -Infinity")
        return _NON_FINITE_TEXT[value]
    if type(value) not in (int, float):
        raise TypeError("expected a number")
    return float(value)


def _move_sequences_past_ids(conn: Connection, tables: Sequence[sa.Table]) -> None:
    """PostgreSQL: each serial id's sequence continues after the largest id loaded."""
    quote = conn.dialect.identifier_preparer.quote
    for table in tables:
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, sa.Integer):
            continue
        sequence = conn.execute(
            sa.select(sa.func.pg_get_serial_sequence(quote(table.name), keys[0].name))
        ).scalar()
        if sequence is None:
            continue
        following = sa.select(sa.func.coalesce(sa.func.max(keys[0]), 0) + 1).scalar_subquery()
        conn.execute(sa.select(sa.func.setval(sequence, following, False)))
