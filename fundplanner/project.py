"""Project-level operations the shells call: create a project, import catalogues into it.

Each operation opens its own transaction through :mod:`fundplanner.store` (the only module
that talks to the database): a catalogue import — the file's candidates, its problems and
its catalogue row — is committed as one, so that an import interrupted at any point leaves
the project as it was.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fundplanner import dedupe, store
from fundplanner.errors import FundplannerError, UsageError
from fundplanner.ingest import IngestOptions, IngestResult, read_catalogue

DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "demo"
DEMO_RECORD = DEMO_DIR / "project.toml"


@dataclass(frozen=True)
class ImportSummary:
    """What one file's import did."""

    file: str
    catalogue_id: int
    partner: str | None
    read: int
    kept: int
    rejected: int
    warnings: int
    replaced: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def init_project(
    path: str | Path,
    *,
    name: str | None = None,
    demo: bool = False,
    user: str | None = None,
) -> None:
    """Create a new project at ``path`` (a ``.fundplan`` file or a database URL).

    ``demo`` loads the Al Ram case: its partners, committee, meetings, training plan,
    milestones, budget, funding sources and the five demo catalogues.
    """
    user = user or store.current_user()
    if "://" not in str(path) and Path(path).exists():
        raise UsageError(
            f"{path} already exists; choose another file name (a project is never overwritten)."
        )
    record = _demo_record() if demo else {}
    values = dict(record.get("project", {}))
    values["name"] = name or values.get("name") or Path(str(path)).stem
    engine = store.engine(path, must_exist=False)
    try:
        with engine.begin() as conn:
            store.create_project(conn, values, user=user)
            if demo:
                _load_record(conn, record, user=user)
    except FundplannerError:
        _remove_new_file(path)
        raise
    finally:
        engine.dispose()
    if demo:
        for file_name, spec in record.get("catalogues", {}).items():
            options = IngestOptions(origin=spec.get("origin"), acquisition=spec.get("acquisition"))
            import_files(
                path, [DEMO_DIR / file_name], partner=spec["partner"], options=options, user=user
            )


def import_files(
    path: str | Path,
    files: Iterable[str | Path],
    *,
    partner: str | None,
    options: IngestOptions | None = None,
    format: str | None = None,
    mapping: str | Path | None = None,
    replace_existing: bool = False,
    user: str | None = None,
) -> list[ImportSummary]:
    """Import catalogue files into the project, each in its own transaction.

    The partner is named as in the project's partner list; its country becomes the rows'
    ``origin`` when the options give none. A file already imported (same SHA-256) is refused
    unless ``replace_existing``.
    """
    user = user or store.current_user()
    engine = store.engine(path)
    summaries = []
    try:
        with engine.connect() as conn:
            store.require_current(conn)
            partner_row = _partner(conn, partner) if partner else None
        opts = options or IngestOptions()
        if partner_row and not opts.origin and partner_row.get("country"):
            opts = replace(opts, origin=partner_row["country"])
        for file in files:
            data = _read(file)
            result = read_catalogue(data, format, mapping, name=Path(file).name, options=opts)
            with engine.begin() as conn:
                summaries.append(
                    _store_result(
                        conn, file, data, result, partner_row, replace_existing, user=user
                    )
                )
    finally:
        engine.dispose()
    return summaries


def project_info(path: str | Path) -> dict[str, Any]:
    engine = store.engine(path)
    try:
        with engine.connect() as conn:
            return store.info(conn)
    finally:
        engine.dispose()


def upgrade_project(path: str | Path) -> tuple[str | None, str]:
    """Bring an older project's schema to this fundplanner's; returns (before, after)."""
    engine = store.engine(path)
    try:
        with engine.begin() as conn:
            before = store.schema_version(conn)
            store.upgrade(conn)
            return before, store.head_revision()
    finally:
        engine.dispose()


def backup_project(path: str | Path, out: str | Path) -> Any:
    """Write the project to a backup archive (see :mod:`fundplanner.backup`)."""
    from fundplanner import backup

    engine = store.engine(path)
    try:
        with engine.begin() as conn:
            store.require_current(conn)
            return backup.backup(conn, out)
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- helpers


def _store_result(
    conn: Any,
    file: str | Path,
    data: bytes,
    result: IngestResult,
    partner_row: Mapping[str, Any] | None,
    replace_existing: bool,
    *,
    user: str,
) -> ImportSummary:
    checksum = hashlib.sha256(data).hexdigest()
    replaced = replace_existing and store.catalogue_with_checksum(conn, checksum) is not None
    catalogue_id = store.import_catalogue(
        conn,
        file_name=Path(file).name,
        checksum=checksum,
        size_bytes=len(data),
        format=result.format.value if result.format else None,
        titles=result.titles,
        problems=[p.as_row() for p in result.problems],
        records_read=result.records_read,
        partner_id=partner_row["id"] if partner_row else None,
        user=user,
        replace=replace_existing,
    )
    relink_works(conn)
    return ImportSummary(
        file=str(file),
        catalogue_id=catalogue_id,
        partner=partner_row["name"] if partner_row else None,
        read=result.records_read,
        kept=len(result.titles),
        rejected=result.rejected,
        warnings=sum(p.severity.value == "warning" for p in result.problems),
        replaced=replaced,
    )


def relink_works(conn: Any) -> int:
    """Link duplicates and translations across every catalogue of the project.

    Each file's import computes work keys within the file; once it is stored, the keys of the
    whole candidate table are recomputed so that the same book from two partners (or a
    translation and its original) share a key. Only rows whose keys change are written.
    """
    frame = store.candidates(conn)
    if frame.empty:
        return 0
    linked = dedupe.assign_work_keys(frame)
    changed = (linked["work_key"] != frame["work_key"]) | (
        linked["work_group"] != frame["work_group"]
    )
    changed = changed.fillna(True)
    return store.set_work_keys(conn, linked.loc[changed, ["id", "work_key", "work_group"]])


def _read(file: str | Path) -> bytes:
    try:
        return Path(file).read_bytes()
    except OSError as exc:
        raise UsageError(f"{file}: cannot open the file ({exc.strerror}).") from exc


def _partner(conn: Any, name: str) -> dict[str, Any]:
    """The partner named ``name``; a case-insensitive prefix naming exactly one partner also
    does ("Northfield" for "Northfield Primary School Library (demo)")."""
    partners = store.rows(conn, "partner")
    for row in partners:
        if row["name"] == name:
            return row
    folded = name.casefold().strip()
    matches = [row for row in partners if row["name"].casefold().startswith(folded)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(repr(row["name"]) for row in partners) or "none yet"
    raise UsageError(
        f"no partner named {name!r} in this project (partners: {known}); check the spelling or "
        "add the partner first."
    )


def _demo_record() -> dict[str, Any]:
    with DEMO_RECORD.open("rb") as handle:
        return tomllib.load(handle)


def _load_record(conn: Any, record: Mapping[str, Any], *, user: str) -> None:
    """The demo's project record, row by row through the store (audited like any edit)."""
    partner_ids = {
        p["name"]: store.insert_row(conn, "partner", p, user=user) for p in record["partners"]
    }
    member_ids = {}
    for member in record.get("committee", []):
        values = {k: v for k, v in member.items() if k != "partner"}
        values["partner_id"] = partner_ids.get(member.get("partner", ""))
        member_ids[member["name"]] = store.insert_row(conn, "committee_member", values, user=user)
    for meeting in record.get("meetings", []):
        meeting_id = store.insert_row(
            conn,
            "meeting",
            {k: meeting[k] for k in ("date", "place", "notes") if k in meeting},
            user=user,
        )
        store.add_attendees(conn, meeting_id, [member_ids[n] for n in meeting.get("attendees", [])])
        for decision in meeting.get("decisions", []):
            store.insert_row(conn, "decision", {**decision, "meeting_id": meeting_id}, user=user)
    for module in record.get("training", []):
        store.insert_row(conn, "training_module", module, user=user)
    milestones = {row["step"]: row for row in store.rows(conn, "milestone")}
    for step, changes in record.get("milestones", {}).items():
        row = milestones[step]
        store.update_row(
            conn, "milestone", row["id"], changes, expected_version=row["version"], user=user
        )
    for line in record.get("budget", []):
        store.insert_row(conn, "budget_line", line, user=user)
    for source in record.get("funding", []):
        values = {k: v for k, v in source.items() if k != "partner"}
        values["partner_id"] = partner_ids.get(source.get("partner", ""))
        store.insert_row(conn, "funding_source", values, user=user)


def _remove_new_file(path: str | Path) -> None:
    """Remove a SQLite project file that a failed init left half-created."""
    if "://" in str(path):
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
