"""Backup and restore of a project: one portable, checked archive.

``fundplanner backup PROJECT OUT`` writes every table of the project to one ZIP file that a
librarian can keep or mail; ``fundplanner restore ARCHIVE PROJECT`` rebuilds an identical project
from it, in a new SQLite file or an empty PostgreSQL database, and refuses a damaged archive with
a message that names the archive, the member and what to do.

The archive format (format name ``fundplanner-backup``, format version 1)
-------------------------------------------------------------------------

A ZIP file (members deflated) holding:

``manifest.json``
    One JSON object::

        {
          "format": "fundplanner-backup",
          "format_version": 1,
          "fundplanner_version": "0.1.0",
          "schema_revision": "0002",            # the Alembic revision of the project's schema
          "created_at": "2026-11-28T19:04:44+00:00",
          "created_by": "amal",
          "members": [                          # in foreign-key order: parents first
            {"name": "tables/partner.jsonl", "table": "partner", "rows": 3,
             "sha256": "<hex SHA-256 of the member's bytes>"},
            …
          ]
        }

``tables/<table>.jsonl``
    One member per table of the schema (``alembic_version`` excepted: ``schema_revision`` says
    it), one JSON object per line and per row, in primary-key order, keys in column order, UTF-8
    (Arabic is written as is, not ``\\u`` escaped), each line ending with ``\\n`` (so a member of
    N rows is N lines; an empty table is an empty member). JSON rather than CSV keeps types:
    numbers stay numbers, NULL is ``null``, JSON columns are objects, dates are ISO 8601 text
    (``"2027-03-01"``), date-times ISO 8601 in UTC with their offset
    (``"2026-11-28T19:04:44.609499+00:00"``), and the non-finite floats JSON cannot hold are the
    strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``. Ids are kept. (Inside a JSON column a
    non-finite float can only be written as the tokens ``NaN``/``Infinity`` that Python's json
    reads; only SQLite lets a JSON column hold one, PostgreSQL refuses it.)

Reading checks everything before anything is written: the ZIP itself (a truncated or corrupted
file is refused), the manifest (format name, format version, a schema revision this
fundplanner knows — an older one is restored and then upgraded with Alembic, a newer one is
refused), and every member (present, SHA-256 and row count as the manifest says, every line a
JSON object). Restoring is one transaction: SQLite is written to a temporary file beside the
target and renamed into place only when complete; PostgreSQL loads in one transaction. A target
that already holds a project is never overwritten.

The database work is :func:`fundplanner.store.dump_tables` / :func:`fundplanner.store.load_tables`
(this module does not import SQLAlchemy).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import uuid
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fundplanner import __version__, store
from fundplanner.errors import FundplannerError

FORMAT = "fundplanner-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
_MEMBER_NAME = re.compile(r"tables/([a-z_][a-z0-9_]*)\.jsonl")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
#: What zipfile raises for a member it cannot inflate or check (CRC), or one it cannot open.
_UNREADABLE_MEMBER = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError)
_MANIFEST_KEYS: dict[str, type] = {
    "format": str,
    "format_version": int,
    "fundplanner_version": str,
    "schema_revision": str,
    "created_at": str,
    "created_by": str,
    "members": list,
}


class BackupError(FundplannerError):
    """An archive cannot be written, read or restored (the message names it and says why)."""


@dataclass(frozen=True, slots=True)
class Member:
    """One table's member as the manifest describes it."""

    name: str
    table: str
    rows: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Manifest:
    format: str
    format_version: int
    fundplanner_version: str
    schema_revision: str
    created_at: str
    created_by: str
    members: tuple[Member, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "format_version": self.format_version,
            "fundplanner_version": self.fundplanner_version,
            "schema_revision": self.schema_revision,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "members": [
                {"name": m.name, "table": m.table, "rows": m.rows, "sha256": m.sha256}
                for m in self.members
            ],
        }


@dataclass(frozen=True, slots=True)
class Archive:
    """A read and fully checked archive: its manifest and every table's rows."""

    path: Path
    manifest: Manifest
    tables: dict[str, list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class BackupSummary:
    path: Path
    schema_revision: str
    rows: dict[str, int]
    size_bytes: int


@dataclass(frozen=True, slots=True)
class RestoreSummary:
    archive: Path
    target: str
    archived_revision: str
    schema_revision: str  # after the upgrade, when the archive's was older
    rows: dict[str, int]
    restored_by: str

    @property
    def upgraded(self) -> bool:
        return self.archived_revision != self.schema_revision


# --------------------------------------------------------------------------- backup


def backup(
    conn: Any, out_path: str | os.PathLike[str], *, user: str | None = None, overwrite: bool = False
) -> BackupSummary:
    """Write the project behind ``conn`` (the caller's transaction, so one consistent snapshot)
    to the archive ``out_path``. The file appears complete or not at all (written beside it,
    then renamed); an existing file is refused unless ``overwrite``."""
    out = Path(out_path)
    if out.exists() and not overwrite:
        raise BackupError(f"{out}: a file of that name exists; choose another name for the backup.")
    revision = store.schema_version(conn)
    if revision is None:
        raise BackupError("the database holds no fundplanner project; there is nothing to back up.")
    tables = store.dump_tables(conn)
    members = {_member_name(name): _jsonl(name, rows) for name, rows in tables.items()}
    manifest = Manifest(
        format=FORMAT,
        format_version=FORMAT_VERSION,
        fundplanner_version=__version__,
        schema_revision=revision,
        created_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        created_by=user or store.current_user(),
        members=tuple(
            Member(name=_member_name(name), table=name, rows=len(rows), sha256=_sha256(data))
            for (name, rows), data in zip(tables.items(), members.values(), strict=True)
        ),
    )
    _write_zip_atomically(out, manifest, members, overwrite=overwrite)
    return BackupSummary(
        path=out,
        schema_revision=revision,
        rows={name: len(rows) for name, rows in tables.items()},
        size_bytes=out.stat().st_size,
    )


def _member_name(table: str) -> str:
    return f"tables/{table}.jsonl"


def _jsonl(table: str, rows: list[dict[str, Any]]) -> bytes:
    """One JSON object per line, UTF-8 as is (float columns' NaN/Infinity come as text from
    store.dump_tables; only a JSON column a SQLite database let hold them can write the
    tokens NaN/Infinity, which Python's json reads back)."""
    try:
        return b"".join(
            json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
            for row in rows
        )
    except (TypeError, ValueError) as exc:
        raise BackupError(f"table {table} holds a value JSON cannot carry ({exc}).") from exc


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_zip_atomically(
    out: Path, manifest: Manifest, members: Mapping[str, bytes], *, overwrite: bool
) -> None:
    temporary = out.with_name(f".{out.name}.{uuid.uuid4().hex[:12]}.partial")
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            text = json.dumps(manifest.as_json(), ensure_ascii=False, indent=2) + "\n"
            archive.writestr(MANIFEST, text.encode())
            for name, data in members.items():
                archive.writestr(name, data)
        _fsync(temporary)
        _move_into_place(temporary, out, replace=overwrite)
    except OSError as exc:
        raise BackupError(f"{out}: the backup could not be written ({exc}).") from exc
    finally:
        temporary.unlink(missing_ok=True)


# --------------------------------------------------------------------------- reading


def read_archive(path: str | os.PathLike[str]) -> Archive:
    """Read and check a whole archive; raise :class:`BackupError` at the first thing wrong."""
    where = Path(path)
    try:
        with zipfile.ZipFile(where) as archive:
            manifest = _manifest(where, archive)
            tables = {m.table: _member_rows(where, archive, m) for m in manifest.members}
    except FileNotFoundError:
        raise BackupError(f"{where}: no such file; give the path of a backup archive.") from None
    except IsADirectoryError:
        raise BackupError(f"{where} is a directory; give the path of a backup archive.") from None
    except zipfile.BadZipFile as exc:
        raise BackupError(_not_a_zip(where, exc)) from None
    except OSError as exc:
        raise BackupError(f"{where}: the archive cannot be read ({exc}).") from None
    return Archive(path=where, manifest=manifest, tables=tables)


def _not_a_zip(where: Path, exc: Exception) -> str:
    with where.open("rb") as file:
        head = file.read(4)
    if head in _ZIP_MAGIC:
        return (
            f"{where}: the archive is damaged or truncated (the ZIP cannot be read: {exc}); "
            "use another copy of the backup."
        )
    return (
        f"{where} is not a fundplanner backup (not a ZIP archive); give the .zip file "
        "'fundplanner backup' wrote."
    )


def _manifest(where: Path, archive: zipfile.ZipFile) -> Manifest:
    try:
        raw = archive.read(MANIFEST)
    except KeyError:
        raise BackupError(
            f"{where}: there is no {MANIFEST} in the archive: it is not a fundplanner backup, "
            "or a damaged one; use another copy of the backup."
        ) from None
    except _UNREADABLE_MEMBER as exc:
        raise BackupError(_damaged(where, MANIFEST, f"it cannot be read: {exc}")) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(_damaged(where, MANIFEST, f"it is not valid JSON: {exc}")) from None
    if not isinstance(data, dict):
        raise BackupError(_damaged(where, MANIFEST, "it is not a JSON object"))
    if data.get("format") != FORMAT:
        raise BackupError(
            f"{where} is not a fundplanner backup ({MANIFEST} says format "
            f"{data.get('format')!r}, expected {FORMAT!r})."
        )
    _check_format_version(where, data.get("format_version"))
    for key, kind in _MANIFEST_KEYS.items():
        if type(data.get(key)) is not kind:
            raise BackupError(
                _damaged(where, MANIFEST, f"{key!r} is missing or not a {kind.__name__}")
            )
    _check_revision(where, data["schema_revision"])
    return Manifest(
        format=data["format"],
        format_version=data["format_version"],
        fundplanner_version=data["fundplanner_version"],
        schema_revision=data["schema_revision"],
        created_at=data["created_at"],
        created_by=data["created_by"],
        members=_members(where, data["members"]),
    )


def _check_format_version(where: Path, version: Any) -> None:
    if version == FORMAT_VERSION and type(version) is int:
        return
    if type(version) is int and version > FORMAT_VERSION:
        raise BackupError(
            f"{where} was made by a newer fundplanner (archive format version {version}; this "
            f"one reads version {FORMAT_VERSION}); upgrade fundplanner to restore it."
        )
    raise BackupError(
        f"{where}: unknown archive format version {version!r} (this fundplanner reads version "
        f"{FORMAT_VERSION}); the manifest is damaged or the file is not a fundplanner backup."
    )


def _check_revision(where: Path, revision: str) -> None:
    known = store.revisions()
    if revision not in known:
        raise BackupError(
            f"{where} was made by a newer fundplanner (schema revision {revision}; this one "
            f"knows revisions up to {known[-1]}); upgrade fundplanner to restore it."
        )


def _members(where: Path, listed: list[Any]) -> tuple[Member, ...]:
    members = []
    for number, item in enumerate(listed, 1):
        shape_ok = (
            isinstance(item, dict)
            and type(item.get("name")) is str
            and type(item.get("rows")) is int
            and item["rows"] >= 0
            and type(item.get("sha256")) is str
        )
        found = _MEMBER_NAME.fullmatch(item["name"]) if shape_ok else None
        if found is None or item.get("table", found.group(1)) != found.group(1):
            raise BackupError(
                _damaged(where, MANIFEST, f"member {number} is not a table member ({item!r})")
            )
        members.append(Member(item["name"], found.group(1), item["rows"], item["sha256"].lower()))
    tables = [m.table for m in members]
    if len(set(tables)) != len(tables):
        raise BackupError(_damaged(where, MANIFEST, "it lists a table twice"))
    return tuple(members)


def _member_rows(where: Path, archive: zipfile.ZipFile, member: Member) -> list[dict[str, Any]]:
    try:
        data = archive.read(member.name)
    except KeyError:
        raise BackupError(
            f"{where}: the archive is damaged: {member.name} is missing (the manifest lists it); "
            "use another copy of the backup."
        ) from None
    except _UNREADABLE_MEMBER as exc:
        raise BackupError(_damaged(where, member.name, f"it cannot be read: {exc}")) from None
    if _sha256(data) != member.sha256:
        raise BackupError(
            f"{where}: the archive is damaged: {member.name} does not match its checksum; "
            "use another copy of the backup."
        )
    lines = data.split(b"\n")
    if lines.pop() != b"":
        raise BackupError(_damaged(where, member.name, "its last line is cut short"))
    if len(lines) != member.rows:
        raise BackupError(
            _damaged(
                where, member.name, f"it holds {len(lines)} rows, the manifest says {member.rows}"
            )
        )
    return [_row(where, member.name, number, line) for number, line in enumerate(lines, 1)]


def _row(where: Path, name: str, number: int, line: bytes) -> dict[str, Any]:
    try:
        row = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BackupError(_damaged(where, name, f"line {number} is not UTF-8 ({exc})")) from None
    except json.JSONDecodeError as exc:
        raise BackupError(
            _damaged(where, name, f"line {number} is not valid JSON ({exc})")
        ) from None
    if not isinstance(row, dict):
        raise BackupError(_damaged(where, name, f"line {number} is not a JSON object"))
    return row


def _damaged(where: Path, member: str, why: str) -> str:
    return f"{where}: the archive is damaged: {member}: {why}; use another copy of the backup."


# --------------------------------------------------------------------------- restore


def restore(
    archive_path: str | os.PathLike[str], project_path_or_url: str | os.PathLike[str], *, user: str
) -> RestoreSummary:
    """Rebuild the project of an archive in a new SQLite file or an empty PostgreSQL database.

    The archive is read and checked whole first (:func:`read_archive`). The schema is created at
    the archive's revision, the rows loaded with their ids, and the schema upgraded to this
    fundplanner's head when the archive's revision is older — all in one transaction. The
    restored tables equal the archived ones (no audit row is added: the copy is identical);
    ``user`` is reported in the summary.
    """
    archive = read_archive(archive_path)
    url = store.database_url(project_path_or_url)
    if url.startswith("sqlite:///"):
        revision = _restore_sqlite(archive, Path(url.removeprefix("sqlite:///")))
    else:
        revision = _restore_database(archive, url, _without_password(url))
    return RestoreSummary(
        archive=archive.path,
        target=_without_password(str(project_path_or_url)),
        archived_revision=archive.manifest.schema_revision,
        schema_revision=revision,
        rows={name: len(rows) for name, rows in archive.tables.items()},
        restored_by=user,
    )


def _restore_sqlite(archive: Archive, target: Path) -> str:
    """Build the project in a temporary file beside ``target``; rename it into place at the end."""
    if target.exists() and (target.is_dir() or target.stat().st_size > 0):
        raise BackupError(
            f"{archive.path}: not restored: {target} already exists and is not empty; restore "
            "never overwrites a project: give a new file name, or move that file away first."
        )
    if not target.parent.is_dir():
        raise BackupError(
            f"{archive.path}: not restored: {target.parent} is not a folder; create it or "
            "choose another path."
        )
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.restoring")
    try:
        engine = store.engine(temporary, must_exist=False)
        try:
            with engine.begin() as conn:
                revision = _rebuild(archive, conn, str(target))
        finally:
            engine.dispose()  # the last connection closes: SQLite folds the WAL into the file
        _require_no_pending_wal(temporary)
        _fsync(temporary)
        _move_into_place(temporary, target, replace=False)
    finally:
        for leftover in (temporary, *_sqlite_companions(temporary)):
            leftover.unlink(missing_ok=True)
    return revision


def _restore_database(archive: Archive, url: str, target: str) -> str:
    """PostgreSQL (or any URL): everything in one transaction on an empty database."""
    engine = store.engine(url)
    try:
        with engine.begin() as conn:
            if store.schema_version(conn) is not None:
                raise BackupError(
                    f"{archive.path}: not restored: {target} already holds a fundplanner "
                    "project; restore never overwrites one: restore into a new, empty database."
                )
            return _rebuild(archive, conn, target)
    finally:
        engine.dispose()


def _without_password(url: str) -> str:
    """A database URL fit for a message: ``postgresql://amal:***@host/db``."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _rebuild(archive: Archive, conn: Any, target: str) -> str:
    """Schema at the archive's revision, rows, then upgrade to head; returns the final revision."""
    revision = archive.manifest.schema_revision
    try:
        store.upgrade(conn, revision)
        store.load_tables(conn, archive.tables)
        if revision != store.head_revision():
            store.upgrade(conn, "head")
        return store.head_revision()
    except FundplannerError as exc:
        raise BackupError(
            f"{archive.path}: cannot be restored into {target}: {exc} Nothing was restored."
        ) from exc
    except Exception as exc:  # the database refused (constraint, permission…): roll back, say why
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackupError(
            f"{archive.path}: cannot be restored into {target}: the database refused it "
            f"({first_line}). Nothing was restored; check the target, or use another copy "
            "of the backup."
        ) from exc


# --------------------------------------------------------------------------- files


def _move_into_place(source: Path, target: Path, *, replace: bool) -> None:
    """Rename ``source`` to ``target``; unless ``replace``, never over an existing non-empty file
    (a hard link fails if the name was taken meanwhile; a zero-byte placeholder is replaced)."""
    if replace or (target.exists() and target.stat().st_size == 0):
        os.replace(source, target)
    else:
        try:
            os.link(source, target)
        except FileExistsError:
            raise BackupError(
                f"{target} appeared while the restore was running; nothing was overwritten: "
                "restore into a new name."
            ) from None
        except OSError:  # a file system without hard links
            if target.exists():
                raise BackupError(f"{target} exists; nothing was overwritten.") from None
            os.replace(source, target)
        source.unlink(missing_ok=True)
    _fsync_folder(target.parent)


def _require_no_pending_wal(path: Path) -> None:
    """The database file alone must hold everything before it is renamed (its WAL stays behind)."""
    wal = _sqlite_companions(path)[0]
    if wal.exists() and wal.stat().st_size > 0:
        raise BackupError(
            f"{path}: SQLite did not fold its write-ahead log into the file; nothing was "
            "restored. Close other programs using the folder and try again."
        )


def _sqlite_companions(path: Path) -> tuple[Path, ...]:
    return (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm"))


def _fsync(path: Path) -> None:
    with path.open("rb") as file:
        os.fsync(file.fileno())


def _fsync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
