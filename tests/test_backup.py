"""Backup and restore (fundplanner/backup.py, store.dump_tables / store.load_tables) on every
backend the store supports: `store_url` (conftest.py) runs each test on SQLite and, when
$FUNDPLANNER_TEST_POSTGRES names a server, on PostgreSQL; restore targets are further empty
databases on the same backend (`databases` below).

Covers: backup → restore → every table equal (dump_tables of both), ids and sequences kept, an
older schema revision (0001) restored and upgraded, a committed archive written at 0001,
non-finite floats and date-times, SQLite → PostgreSQL portability, targets that hold a project
(refused, untouched), damaged archives (a table of cases, each with its message fragments and
nothing left behind), and a Hypothesis round trip over random projects built through store.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import os
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from helpers import drop_postgres_database
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection

from fundplanner import backup, store
from fundplanner.errors import FundplannerError
from fundplanner.model import CANDIDATE_SCHEMA

USER = "amal"
POSTGRES_VARIABLE = "FUNDPLANNER_TEST_POSTGRES"
OLD_ARCHIVE = "backup_revision_0001_al_ram.zip"


# --------------------------------------------------------------------------- databases


class Databases:
    """Fresh, empty databases on the backend of `store_url`: SQLite files in a folder, or
    PostgreSQL databases on $FUNDPLANNER_TEST_POSTGRES's server, dropped by `close()`."""

    def __init__(self, store_url: str, folder: Path) -> None:
        self.backend = sa.make_url(store_url).get_backend_name()
        self.folder = folder
        self.created: list[str] = []
        self.admin = (
            sa.create_engine(
                os.environ[POSTGRES_VARIABLE],
                isolation_level="AUTOCOMMIT",
                poolclass=sa.pool.NullPool,
            )
            if self.backend == "postgresql"
            else None
        )

    def new(self) -> str:
        name = f"fundplanner_backup_{uuid.uuid4().hex[:12]}"
        if self.admin is None:
            return f"sqlite:///{self.folder / (name + store.PROJECT_SUFFIX)}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        self.created.append(name)
        server = sa.make_url(os.environ[POSTGRES_VARIABLE])
        return server.set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        """Drop the databases (every test disposes its engines first). Not WITH (FORCE): that
        fails for a role without pg_signal_backend when an autovacuum worker is in the
        database, which a plain DROP DATABASE stops by itself."""
        if self.admin is None:
            return
        with self.admin.connect() as conn:
            for name in self.created:
                drop_postgres_database(conn, name)
        self.admin.dispose()


@pytest.fixture
def databases(store_url: str, tmp_path: Path) -> Iterator[Databases]:
    found = Databases(store_url, tmp_path / "databases")
    found.folder.mkdir()
    yield found
    found.close()


def dump(url: str) -> dict[str, list[dict[str, Any]]]:
    engine = store.engine(url)
    try:
        with engine.begin() as conn:
            return store.dump_tables(conn)
    finally:
        engine.dispose()


def assert_same_rows(
    older: dict[str, list[dict[str, Any]]], upgraded: dict[str, list[dict[str, Any]]]
) -> None:
    """Every row of an older revision's tables is in the upgraded ones with the same values;
    the columns later revisions added are empty."""
    assert set(older) <= set(upgraded)
    for table, rows in older.items():
        assert len(upgraded[table]) == len(rows), table
        for old_row, new_row in zip(rows, upgraded[table], strict=True):
            assert {k: new_row[k] for k in old_row} == old_row, table
            assert all(new_row[k] is None for k in set(new_row) - set(old_row)), table


def revision_of(url: str) -> str | None:
    engine = store.engine(url, must_exist=False)
    try:
        with engine.connect() as conn:
            return store.schema_version(conn)
    finally:
        engine.dispose()


def holds_nothing(url: str) -> bool:
    """No file (SQLite) or no table at all (PostgreSQL): nothing was half restored."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return not path.exists() and not list(path.parent.glob(f"*{path.name}*"))
    engine = store.engine(url)
    try:
        with engine.connect() as conn:
            return sa.inspect(conn).get_table_names() == []
    finally:
        engine.dispose()


def make_backup(url: str, out: Path) -> backup.BackupSummary:
    engine = store.engine(url)
    try:
        with engine.begin() as conn:
            return backup.backup(conn, out, user=USER)
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- a small project


def candidate_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A canonical candidate table (CANDIDATE_SCHEMA dtypes); absent values are nulls."""
    return pd.DataFrame(
        {
            name: pd.Series([row.get(name) for row in rows], dtype=dtype)
            for name, dtype in CANDIDATE_SCHEMA.items()
        },
        index=pd.RangeIndex(len(rows)),
    )


def small_project(conn: Connection) -> None:
    """A bit of everything, with Arabic, NULLs, dates, floats, JSON, and ids with gaps."""
    store.create_project(
        conn,
        {
            "name": "مكتبة الرام العامة — Bibliothèque d'Al Ram",
            "opening_date": dt.date(2027, 9, 1),
            "settings": {"langues": ["ara", "fre", "eng"], "نسبة": 0.25, "vide": None},
        },
        user=USER,
    )
    aulnay = store.insert_row(conn, "partner", {"name": "Aulnay", "kind": "library"}, user=USER)
    gone = store.insert_row(conn, "partner", {"name": "Old", "kind": "funder"}, user=USER)
    store.insert_row(conn, "partner", {"name": "بلدية الرام", "kind": "local_authority"}, user=USER)
    store.delete_row(conn, "partner", gone, expected_version=1, user=USER)
    member = store.insert_row(
        conn, "committee_member", {"name": "أمل", "partner_id": aulnay}, user=USER
    )
    meeting = store.insert_row(
        conn, "meeting", {"date": dt.date(2027, 1, 15), "place": "Al Ram"}, user=USER
    )
    conn.execute(store.meeting_attendee.insert().values(meeting_id=meeting, member_id=member))
    store.insert_row(
        conn,
        "decision",
        {"meeting_id": meeting, "text": "اعتماد الميزانية", "due": dt.date(2027, 3, 1)},
        user=USER,
    )
    store.update_row(
        conn,
        "milestone",
        1,
        {"status": "done", "date": dt.date(2026, 12, 1)},
        expected_version=1,
        user=USER,
    )
    catalogue = store.import_catalogue(
        conn,
        file_name="dons.csv",
        checksum="a" * 64,
        size_bytes=10,
        format="csv",
        titles=candidate_frame(
            [
                {"title": "ألف ليلة وليلة", "year": 1998, "price": 7.5, "language": "ara"},
                {"title": "Le Petit Prince", "year": None, "price": None},
                {"title": "line\u2028sep\x85nel", "pages": 2**40, "weight_kg": 1e-300},
            ]
        ),
        problems=[{"kind": "invalid_isbn", "severity": "warning", "message": "ISBN ?"}],
        records_read=4,
        partner_id=aulnay,
        user=USER,
    )
    plan = store.insert_row(
        conn, "plan", {"scenario": "base", "parameters": {"budget": 50000}}, user=USER
    )
    first = conn.execute(
        sa.select(store.candidate.c.id).where(store.candidate.c.catalogue_id == catalogue)
    ).scalar()
    conn.execute(
        store.plan_item.insert().values(plan_id=plan, candidate_id=first, copies=2, pinned=True)
    )


@pytest.fixture
def project_url(databases: Databases) -> str:
    url = databases.new()
    engine = store.engine(url, must_exist=False)
    with engine.begin() as conn:
        small_project(conn)
    engine.dispose()
    return url


# --------------------------------------------------------------------------- round trips


def test_backup_then_restore_gives_every_table_equal(
    project_url: str, databases: Databases, tmp_path: Path
) -> None:
    archive = tmp_path / "al_ram.zip"
    made = make_backup(project_url, archive)
    target = databases.new()

    restored = backup.restore(archive, target, user="nour")

    source = dump(project_url)
    assert dump(target) == source
    assert made.rows == restored.rows == {name: len(rows) for name, rows in source.items()}
    assert set(made.rows) == set(store.metadata.tables)
    assert restored.schema_revision == restored.archived_revision == store.head_revision()
    assert not restored.upgraded
    assert restored.restored_by == "nour"
    assert revision_of(target) == store.head_revision()
    assert [p["id"] for p in source["partner"]] == [1, 3]  # the gap left by a deletion is kept


def test_the_archive_is_a_zip_of_a_manifest_and_one_jsonl_member_per_table(
    project_url: str, tmp_path: Path
) -> None:
    archive = tmp_path / "al_ram.zip"
    make_backup(project_url, archive)
    with zipfile.ZipFile(archive) as opened:
        manifest = json.loads(opened.read("manifest.json"))
        members = {name: opened.read(name) for name in opened.namelist()}
    assert manifest["format"] == "fundplanner-backup"
    assert manifest["format_version"] == 1
    assert manifest["schema_revision"] == store.head_revision()
    assert manifest["created_by"] == USER
    listed = {m["name"]: m for m in manifest["members"]}
    assert set(listed) | {"manifest.json"} == set(members)
    for name, entry in listed.items():
        assert hashlib.sha256(members[name]).hexdigest() == entry["sha256"]
        assert members[name].count(b"\n") == entry["rows"]
    candidates = members["tables/candidate.jsonl"].decode()
    assert "ألف ليلة وليلة" in candidates  # UTF-8 as is, not \u escaped
    first = json.loads(candidates.splitlines()[0])
    assert first["price"] == 7.5 and first["year"] == 1998 and first["subtitle"] is None
    project_row = json.loads(members["tables/project.jsonl"])
    assert project_row["opening_date"] == "2027-09-01"
    assert project_row["settings"]["نسبة"] == 0.25
    assert project_row["updated_at"].endswith("+00:00")


def test_restore_into_a_plain_file_path(project_url: str, tmp_path: Path) -> None:
    archive = tmp_path / "al_ram.zip"
    make_backup(project_url, archive)
    target = tmp_path / "copy.fundplan"
    backup.restore(archive, target, user=USER)
    assert dump(str(target)) == dump(project_url)
    if project_url.startswith("sqlite"):
        leftovers = {p.name for p in tmp_path.iterdir()} - {"al_ram.zip", "databases"}
        assert leftovers <= {"copy.fundplan", "copy.fundplan-wal", "copy.fundplan-shm"}


def test_ids_continue_after_the_restored_ones(project_url: str, databases: Databases) -> None:
    """PostgreSQL sequences are moved past the loaded ids (SQLite uses max(rowid) + 1)."""
    archive = Path(databases.folder) / "al_ram.zip"
    make_backup(project_url, archive)
    target = databases.new()
    backup.restore(archive, target, user=USER)
    engine = store.engine(target)
    with engine.begin() as conn:
        partner = store.insert_row(
            conn, "partner", {"name": "Nouveau", "kind": "funder"}, user=USER
        )
        audit_ids = [r["id"] for r in store.rows(conn, "audit")]
    engine.dispose()
    assert partner == 4  # ids 1 and 3 restored, 2 was deleted before the backup
    assert len(audit_ids) == len(set(audit_ids))


def test_non_finite_floats_and_datetimes_survive(databases: Databases, tmp_path: Path) -> None:
    source = databases.new()
    engine = store.engine(source, must_exist=False)
    solved = dt.datetime(2027, 2, 3, 4, 5, 6, 789012, tzinfo=dt.UTC)
    with engine.begin() as conn:
        store.create_project(conn, {"name": "x"}, user=USER)
        # Straight into the tables: insert_row would also write the values into the audit's JSON,
        # which PostgreSQL refuses for Infinity (see the JSON-column test below).
        conn.execute(
            store.budget_line.insert().values(
                kind="other", label="∞", planned=math.inf, committed=-math.inf
            )
        )
        conn.execute(
            store.plan.insert().values(
                scenario="s", parameters={}, shortfall=math.nan, solved_at=solved
            )
        )
    engine.dispose()
    archive = tmp_path / "floats.zip"
    make_backup(source, archive)
    target = databases.new()
    backup.restore(archive, target, user=USER)

    restored = dump(target)
    assert restored == dump(source)
    line = restored["budget_line"][0]
    assert (line["planned"], line["committed"]) == ("Infinity", "-Infinity")
    plan = restored["plan"][0]
    # PostgreSQL keeps NaN; SQLite stores NaN as NULL.
    assert plan["shortfall"] == ("NaN" if databases.backend == "postgresql" else None)
    assert plan["solved_at"] == "2027-02-03T04:05:06.789012+00:00"


def test_an_infinite_budget_line_survives_on_every_backend(
    databases: Databases, tmp_path: Path
) -> None:
    """An infinite amount is stored (float column) and its audit row says "Infinity" as text:
    JSON has no infinity, and PostgreSQL's json type refuses one."""
    source = databases.new()
    engine = store.engine(source, must_exist=False)
    with engine.begin() as conn:
        store.create_project(conn, {"name": "x"}, user=USER)
        store.insert_row(
            conn, "budget_line", {"kind": "other", "label": "∞", "planned": math.inf}, user=USER
        )
    engine.dispose()
    archive = tmp_path / "json_infinity.zip"
    make_backup(source, archive)
    target = databases.new()
    backup.restore(archive, target, user=USER)
    restored = dump(target)
    assert restored == dump(source)
    assert restored["audit"][-1]["details"]["planned"] == "Infinity"


def test_an_archive_at_revision_0001_is_restored_and_upgraded(
    databases: Databases, tmp_path: Path
) -> None:
    source = databases.new()
    engine = store.engine(source, must_exist=False)
    with engine.begin() as conn:
        store.upgrade(conn, "0001")
        store.insert_row(conn, "project", {"name": "قديم"}, user=USER)
        # rows as revision 0001 held them (plain SQL: today's store writes today's columns)
        conn.execute(
            sa.text(
                "INSERT INTO catalogue (id, file_name, format, checksum, size_bytes, "
                "imported_at, imported_by, records_read, kept, rejected, warnings) VALUES "
                "(1, 'old.csv', 'csv', :checksum, 1, '2026-01-01 00:00:00', 'amal', 1, 1, 0, 0)"
            ),
            {"checksum": "b" * 64},
        )
        conn.execute(
            sa.text(
                "INSERT INTO candidate (id, catalogue_id, title, audience) "
                "VALUES (1, 1, 'كتاب', 'child')"
            )
        )
    engine.dispose()
    archive = tmp_path / "old.zip"
    assert make_backup(source, archive).schema_revision == "0001"
    target = databases.new()

    restored = backup.restore(archive, target, user=USER)

    assert (restored.archived_revision, restored.schema_revision) == ("0001", store.head_revision())
    assert restored.upgraded
    assert revision_of(target) == store.head_revision()
    assert_same_rows(dump(source), dump(target))
    engine = store.engine(target)
    with engine.connect() as conn:
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("candidate")}
        assert store.info(conn)["counts"]["candidate"] == 1  # require_current passes
    engine.dispose()
    assert "ix_candidate_cell" in indexes  # revision 0002 ran after the load


def test_the_committed_archive_written_at_revision_0001_still_restores(
    data_dir: Path, databases: Databases
) -> None:
    archive = backup.read_archive(data_dir / OLD_ARCHIVE)
    assert archive.manifest.schema_revision == "0001"
    target = databases.new()
    restored = backup.restore(data_dir / OLD_ARCHIVE, target, user=USER)
    assert restored.upgraded and revision_of(target) == store.head_revision()
    assert_same_rows(archive.tables, dump(target))
    assert dump(target)["candidate"][0]["title"] == "ألف ليلة وليلة"


def test_a_sqlite_archive_restores_into_postgresql_equal(
    project_url: str, databases: Databases, tmp_path: Path
) -> None:
    """The archive is portable: made from one backend, restored into the other."""
    if databases.backend != "postgresql":
        pytest.skip("needs PostgreSQL as the other backend")
    sqlite_url = f"sqlite:///{tmp_path / 'source.fundplan'}"
    engine = store.engine(sqlite_url, must_exist=False)
    with engine.begin() as conn:
        small_project(conn)
    engine.dispose()
    archive = tmp_path / "from_sqlite.zip"
    make_backup(sqlite_url, archive)
    target = databases.new()
    backup.restore(archive, target, user=USER)
    assert dump(target) == dump(sqlite_url)
    back = tmp_path / "from_postgresql.zip"
    make_backup(target, back)
    backup.restore(back, tmp_path / "again.fundplan", user=USER)
    assert dump(f"sqlite:///{tmp_path / 'again.fundplan'}") == dump(sqlite_url)


# --------------------------------------------------------------------------- refusals


def test_restore_never_overwrites_a_project(project_url: str, tmp_path: Path) -> None:
    archive = tmp_path / "al_ram.zip"
    make_backup(project_url, archive)
    before = dump(project_url)
    file_bytes = (
        Path(project_url.removeprefix("sqlite:///")).read_bytes()
        if project_url.startswith("sqlite")
        else None
    )
    with pytest.raises(backup.BackupError) as refused:
        backup.restore(archive, project_url, user=USER)
    message = str(refused.value)
    assert str(archive) in message and "never overwrites" in message
    assert ("already exists" in message) or ("already holds a fundplanner project" in message)
    assert dump(project_url) == before
    if file_bytes is not None:
        assert Path(project_url.removeprefix("sqlite:///")).read_bytes() == file_bytes


def test_restore_fills_an_empty_placeholder_file(project_url: str, tmp_path: Path) -> None:
    archive = tmp_path / "al_ram.zip"
    make_backup(project_url, archive)
    placeholder = tmp_path / "placeholder.fundplan"
    placeholder.touch()
    backup.restore(archive, placeholder, user=USER)
    assert dump(str(placeholder)) == dump(project_url)


def test_backup_refuses_an_existing_file_unless_told(project_url: str, tmp_path: Path) -> None:
    archive = tmp_path / "al_ram.zip"
    archive.write_bytes(b"precious")
    engine = store.engine(project_url)
    with engine.begin() as conn:
        with pytest.raises(backup.BackupError, match="exists; choose another name"):
            backup.backup(conn, archive)
        assert archive.read_bytes() == b"precious"
        backup.backup(conn, archive, overwrite=True)
    engine.dispose()
    assert backup.read_archive(archive).manifest.created_by
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_backup_of_a_database_without_a_project_is_refused(
    databases: Databases, tmp_path: Path
) -> None:
    engine = store.engine(databases.new(), must_exist=False)
    with engine.begin() as conn, pytest.raises(backup.BackupError, match="no fundplanner project"):
        backup.backup(conn, tmp_path / "nothing.zip")
    engine.dispose()
    assert not (tmp_path / "nothing.zip").exists()


def test_load_tables_refuses_a_database_that_holds_rows(project_url: str) -> None:
    engine = store.engine(project_url)
    with engine.begin() as conn:
        tables = store.dump_tables(conn)
        with pytest.raises(store.StoreError, match="already holds rows"):
            store.load_tables(conn, tables)
    engine.dispose()


def test_backup_error_is_a_fundplanner_error() -> None:
    assert issubclass(backup.BackupError, FundplannerError)


# --------------------------------------------------------------------------- damaged archives

Members = dict[str, bytes]


def members_of(path: Path) -> Members:
    with zipfile.ZipFile(path) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


def zipped(members: Members) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def manifest_edited(edit: Callable[[dict[str, Any]], None]) -> Callable[[Members], Members]:
    def mutate(members: Members) -> Members:
        manifest = json.loads(members["manifest.json"])
        edit(manifest)
        return {**members, "manifest.json": json.dumps(manifest).encode()}

    return mutate


def member_lines_edited(
    name: str, edit: Callable[[list[bytes]], list[bytes]], *, trailing_newline: bool = True
) -> Callable[[Members], Members]:
    """Change a member's lines and update the manifest's checksum and row count to match, so
    that only the content itself is wrong."""

    def mutate(members: Members) -> Members:
        lines = edit(members[name].split(b"\n")[:-1])
        data = b"\n".join(lines) + (b"\n" if trailing_newline else b"")
        manifest = json.loads(members["manifest.json"])
        for entry in manifest["members"]:
            if entry["name"] == name:
                entry["sha256"] = hashlib.sha256(data).hexdigest()
                entry["rows"] = len(lines)
        return {**members, name: data, "manifest.json": json.dumps(manifest).encode()}

    return mutate


def row_edited(name: str, number: int, **changes: Any) -> Callable[[Members], Members]:
    def edit(lines: list[bytes]) -> list[bytes]:
        row = json.loads(lines[number - 1])
        row.update(changes)
        lines[number - 1] = json.dumps(row, ensure_ascii=False).encode()
        return lines

    return member_lines_edited(name, edit)


def replace_line(number: int, line: bytes) -> Callable[[list[bytes]], list[bytes]]:
    def edit(lines: list[bytes]) -> list[bytes]:
        lines[number - 1] = line
        return lines

    return edit


def without(*names: str) -> Callable[[Members], Members]:
    return lambda members: {k: v for k, v in members.items() if k not in names}


def table_left_out(table: str) -> Callable[[Members], Members]:
    """Member and manifest entry both gone, consistently: only the schema can tell."""

    def mutate(members: Members) -> Members:
        manifest = json.loads(members["manifest.json"])
        manifest["members"] = [m for m in manifest["members"] if m["table"] != table]
        kept = without(f"tables/{table}.jsonl")(members)
        return {**kept, "manifest.json": json.dumps(manifest).encode()}

    return mutate


def corrupted_inside_zip(name: str) -> Callable[[bytes], bytes]:
    """Flip bytes in the middle of a member's compressed data (the ZIP's CRC catches it)."""

    def mutate(raw: bytes) -> bytes:
        with zipfile.ZipFile(io.BytesIO(raw)) as opened:
            info = opened.getinfo(name)
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
        middle = start + info.compress_size // 2
        damaged = bytearray(raw)
        for offset in range(middle, middle + 4):
            damaged[offset] ^= 0xFF
        return bytes(damaged)

    return mutate


def setitem(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda manifest: manifest.__setitem__(key, value)


def member_rows_plus_one(name: str) -> Callable[[dict[str, Any]], None]:
    def edit(manifest: dict[str, Any]) -> None:
        for entry in manifest["members"]:
            if entry["name"] == name:
                entry["rows"] += 1

    return edit


def changed_bytes(name: str) -> Callable[[Members], Members]:
    """Change a member's content but not the manifest: a checksum mismatch."""
    return lambda members: {**members, name: members[name].replace("ألف".encode(), "باء".encode())}


#: (case id, how the archive is damaged: on its members or on the raw file, message fragments)
DAMAGED: list[tuple[str, Callable[[Members], Members] | None, Callable[[bytes], bytes], list[str]]]
DAMAGED = [
    (
        "not_a_zip",
        None,
        lambda raw: b"titre;auteur\nLe Petit Prince;Saint-Exupery\n",
        ["is not a fundplanner backup", "not a ZIP archive"],
    ),
    ("empty_file", None, lambda raw: b"", ["not a ZIP archive"]),
    (
        "truncated_zip",
        None,
        lambda raw: raw[: len(raw) // 2],
        ["the archive is damaged or truncated", "use another copy of the backup"],
    ),
    (
        "corrupted_compressed_member",
        None,
        corrupted_inside_zip("tables/candidate.jsonl"),
        ["the archive is damaged: tables/candidate.jsonl", "use another copy of the backup"],
    ),
    (
        "missing_manifest",
        without("manifest.json"),
        lambda raw: raw,
        ["there is no manifest.json", "not a fundplanner backup, or a damaged one"],
    ),
    (
        "manifest_not_json",
        lambda m: {**m, "manifest.json": b"{not json"},
        lambda raw: raw,
        ["the archive is damaged: manifest.json", "not valid JSON"],
    ),
    (
        "unknown_format",
        manifest_edited(setitem("format", "zotero-export")),
        lambda raw: raw,
        ["is not a fundplanner backup", "'zotero-export'"],
    ),
    (
        "newer_format_version",
        manifest_edited(setitem("format_version", 2)),
        lambda raw: raw,
        ["made by a newer fundplanner", "format version 2", "upgrade fundplanner"],
    ),
    (
        "unknown_format_version",
        manifest_edited(setitem("format_version", "1")),
        lambda raw: raw,
        ["unknown archive format version '1'"],
    ),
    (
        "newer_schema_revision",
        manifest_edited(setitem("schema_revision", "9999")),
        lambda raw: raw,
        ["made by a newer fundplanner", "schema revision 9999", "upgrade fundplanner"],
    ),
    (
        "manifest_field_missing",
        manifest_edited(lambda manifest: manifest.pop("created_by")),
        lambda raw: raw,
        ["manifest.json", "'created_by' is missing"],
    ),
    (
        "member_outside_tables",
        manifest_edited(lambda m: m["members"].append({"name": "../x", "rows": 0, "sha256": ""})),
        lambda raw: raw,
        ["manifest.json", "is not a table member"],
    ),
    (
        "checksum_mismatch",
        changed_bytes("tables/candidate.jsonl"),
        lambda raw: raw,
        [
            "the archive is damaged: tables/candidate.jsonl does not match its checksum; "
            "use another copy of the backup"
        ],
    ),
    (
        "row_count_differs",
        manifest_edited(member_rows_plus_one("tables/partner.jsonl")),
        lambda raw: raw,
        ["the archive is damaged: tables/partner.jsonl", "holds 2 rows, the manifest says 3"],
    ),
    (
        "missing_member",
        without("tables/decision.jsonl"),
        lambda raw: raw,
        ["the archive is damaged: tables/decision.jsonl is missing"],
    ),
    (
        "undecodable_json_line",
        member_lines_edited("tables/partner.jsonl", replace_line(2, b'{"id": 3, "name":')),
        lambda raw: raw,
        ["tables/partner.jsonl", "line 2 is not valid JSON"],
    ),
    (
        "line_not_utf8",
        member_lines_edited("tables/candidate.jsonl", replace_line(1, b'{"title": "\xff"}')),
        lambda raw: raw,
        ["tables/candidate.jsonl", "line 1 is not UTF-8"],
    ),
    (
        "line_not_an_object",
        member_lines_edited("tables/partner.jsonl", replace_line(1, b"[1, 2]")),
        lambda raw: raw,
        ["tables/partner.jsonl", "line 1 is not a JSON object"],
    ),
    (
        "last_line_cut_short",
        member_lines_edited("tables/partner.jsonl", lambda lines: lines, trailing_newline=False),
        lambda raw: raw,
        ["tables/partner.jsonl", "its last line is cut short"],
    ),
    (
        "table_left_out",
        table_left_out("decision"),
        lambda raw: raw,
        ["cannot be restored", "missing: decision", "Nothing was restored"],
    ),
    (
        "wrong_type_in_column",
        row_edited("tables/candidate.jsonl", 1, year="mil neuf cent"),
        lambda raw: raw,
        ["cannot be restored", "candidate: row 1, column year", "Nothing was restored"],
    ),
    (
        "unknown_column",
        row_edited("tables/partner.jsonl", 1, favourite_colour="blue"),
        lambda raw: raw,
        ["partner: row 1 has the columns", "favourite_colour"],
    ),
    (
        "broken_foreign_key",
        row_edited("tables/candidate.jsonl", 2, catalogue_id=999),
        lambda raw: raw,
        ["cannot be restored", "the database refused it", "Nothing was restored"],
    ),
]


@pytest.fixture(scope="module")
def good_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of `small_project` (made on SQLite; restores go to either backend)."""
    folder = tmp_path_factory.mktemp("good")
    url = f"sqlite:///{folder / 'source.fundplan'}"
    engine = store.engine(url, must_exist=False)
    with engine.begin() as conn:
        small_project(conn)
    engine.dispose()
    make_backup(url, folder / "good.zip")
    return folder / "good.zip"


@pytest.mark.parametrize(
    ("on_members", "on_file", "fragments"),
    [case[1:] for case in DAMAGED],
    ids=[case[0] for case in DAMAGED],
)
def test_a_damaged_archive_is_refused_and_nothing_is_restored(
    good_archive: Path,
    databases: Databases,
    tmp_path: Path,
    on_members: Callable[[Members], Members] | None,
    on_file: Callable[[bytes], bytes],
    fragments: list[str],
) -> None:
    raw = good_archive.read_bytes()
    if on_members is not None:
        raw = zipped(on_members(members_of(good_archive)))
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(on_file(raw))
    target = databases.new()

    with pytest.raises(backup.BackupError) as refused:
        backup.restore(damaged, target, user=USER)

    message = str(refused.value)
    assert str(damaged) in message
    for fragment in fragments:
        assert fragment in message
    assert holds_nothing(target)


def test_the_good_archive_itself_restores(good_archive: Path, databases: Databases) -> None:
    """The damaged cases start from an archive that is fine: the damage alone is refused."""
    target = databases.new()
    backup.restore(good_archive, target, user=USER)
    assert dump(target) == backup.read_archive(good_archive).tables


def test_messages_never_show_a_database_password(good_archive: Path) -> None:
    url = "postgresql+psycopg://amal:s3cret@127.0.0.1:1/nowhere"
    assert backup._without_password(url) == "postgresql+psycopg://amal:***@127.0.0.1:1/nowhere"
    assert backup._without_password("/tmp/a:b@c.fundplan") == "/tmp/a:b@c.fundplan"


def test_read_archive_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(backup.BackupError, match="no such file"):
        backup.read_archive(tmp_path / "nowhere.zip")


# --------------------------------------------------------------------------- Hypothesis

TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=25)
ARABIC = st.text(
    st.characters(min_codepoint=0x0600, max_codepoint=0x06FF, exclude_categories=["Cn"]),
    min_size=1,
    max_size=25,
)
WORDS = st.one_of(
    TEXT,
    ARABIC,
    st.sampled_from(["Le Petit Prince", "ألف ليلة وليلة", "a\u2028b\u2029c\x85d", "tab\t\nnl"]),
)
OPTIONAL_WORDS = st.none() | WORDS
FLOATS = st.floats(allow_nan=False, allow_infinity=False)
BIG_INTS = st.integers(-(2**63), 2**63 - 1)
DATES = st.dates()
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | FLOATS | WORDS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(WORDS, inner, max_size=3),
    max_leaves=8,
)
CURRENCIES = st.sampled_from(["EUR", "ILS", "JOD", "USD"])
COLUMN_VALUES = {
    "string": OPTIONAL_WORDS,
    "Int64": st.none() | BIG_INTS,
    "Float64": st.none() | FLOATS,
}
CANDIDATE_ROWS = st.lists(
    st.fixed_dictionaries({name: COLUMN_VALUES[dtype] for name, dtype in CANDIDATE_SCHEMA.items()}),
    max_size=5,
)


@st.composite
def projects(draw: st.DrawFn) -> dict[str, Any]:
    """A project as a plan of store calls (built by `build`)."""
    return {
        "project": {
            "name": draw(WORDS.filter(bool)),
            "partner_town": draw(OPTIONAL_WORDS),
            "population_official": draw(st.none() | st.integers(0, 2**31 - 1)),
            "opening_date": draw(st.none() | DATES),
            "settings": draw(JSON_VALUES),
        },
        "partners": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "name": WORDS,
                        "kind": st.sampled_from(store.PARTNER_KINDS),
                        "country": st.sampled_from([None, "PS", "FR"]),
                        "contact": OPTIONAL_WORDS,
                    }
                ),
                max_size=4,
                unique_by=lambda p: p["name"],
            )
        ),
        "deleted_partners": draw(st.sets(st.integers(0, 3), max_size=2)),
        "budget": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "kind": st.sampled_from(store.BUDGET_KINDS),
                        "label": WORDS,
                        "planned": FLOATS,
                        "spent": FLOATS,
                        "currency": CURRENCIES,
                    }
                ),
                max_size=3,
            )
        ),
        "training": draw(
            st.lists(
                st.fixed_dictionaries(
                    {
                        "subject": WORDS,
                        "mode": st.sampled_from(store.TRAINING_MODES),
                        "start_date": st.none() | DATES,
                        "end_date": st.none() | DATES,
                        "cost": FLOATS,
                    }
                ),
                max_size=3,
            )
        ),
        "members": draw(st.lists(WORDS, max_size=3)),
        "meetings": draw(
            st.lists(
                st.tuples(
                    st.fixed_dictionaries({"date": DATES, "place": OPTIONAL_WORDS}),
                    st.sets(st.integers(0, 2), max_size=3),  # attendees, by member index
                    st.lists(
                        st.fixed_dictionaries({"text": WORDS, "due": st.none() | DATES}),
                        max_size=2,
                    ),
                ),
                max_size=3,
            )
        ),
        "milestones": draw(
            st.dictionaries(
                st.integers(1, len(store.MILESTONE_STEPS)),
                st.fixed_dictionaries(
                    {
                        "status": st.sampled_from(store.MILESTONE_STATUSES),
                        "date": st.none() | DATES,
                        "notes": OPTIONAL_WORDS,
                    }
                ),
                max_size=3,
            )
        ),
        "catalogues": draw(st.lists(CANDIDATE_ROWS, max_size=2)),
        "plan": draw(
            st.none()
            | st.fixed_dictionaries(
                {
                    "parameters": JSON_VALUES,
                    "solved_at": st.none() | st.datetimes(timezones=st.just(dt.UTC)),
                    "cost_eur": st.none() | FLOATS,
                }
            )
        ),
    }


def build(conn: Connection, spec: dict[str, Any]) -> None:
    """Make the project of `spec` through store.py's public functions (meeting attendees and
    plan items have no store function yet: their Table objects are used directly)."""
    store.create_project(conn, spec["project"], user=USER)
    partners = [store.insert_row(conn, "partner", p, user=USER) for p in spec["partners"]]
    for line in spec["budget"]:
        store.insert_row(conn, "budget_line", line, user=USER)
    for module in spec["training"]:
        store.insert_row(conn, "training_module", module, user=USER)
    members = [
        store.insert_row(
            conn,
            "committee_member",
            {"name": name, "partner_id": partners[i % len(partners)] if partners else None},
            user=USER,
        )
        for i, name in enumerate(spec["members"])
    ]
    for values, attendees, decisions in spec["meetings"]:
        meeting = store.insert_row(conn, "meeting", values, user=USER)
        for index in sorted(attendees):
            if index < len(members):
                conn.execute(
                    store.meeting_attendee.insert().values(
                        meeting_id=meeting, member_id=members[index]
                    )
                )
        for decision in decisions:
            store.insert_row(conn, "decision", {**decision, "meeting_id": meeting}, user=USER)
    done: set[int] = set()
    for milestone_id, changes in sorted(spec["milestones"].items()):
        if changes["status"] == "done" and not set(range(1, milestone_id)) <= done:
            changes = {**changes, "status": "in_progress"}  # steps are done in legal order
        if changes["status"] == "done":
            done.add(milestone_id)
        store.update_row(conn, "milestone", milestone_id, changes, expected_version=1, user=USER)
    candidate_ids: list[int] = []
    for number, rows in enumerate(spec["catalogues"]):
        catalogue = store.import_catalogue(
            conn,
            file_name=f"catalogue_{number}.csv",
            checksum=hashlib.sha256(f"catalogue {number}".encode()).hexdigest(),
            size_bytes=100 * number,
            format="csv",
            titles=candidate_frame(rows),
            problems=[{"kind": "missing_title", "severity": "error", "message": "لا عنوان"}],
            records_read=len(rows) + 1,
            partner_id=partners[0] if partners else None,
            user=USER,
        )
        candidate_ids += conn.scalars(
            sa.select(store.candidate.c.id).where(store.candidate.c.catalogue_id == catalogue)
        ).all()
    if spec["plan"] is not None:
        plan = store.insert_row(conn, "plan", {"scenario": "s", **spec["plan"]}, user=USER)
        for index, candidate in enumerate(candidate_ids[:3]):
            conn.execute(
                store.plan_item.insert().values(
                    plan_id=plan, candidate_id=candidate, copies=index, pinned=index % 2 == 0
                )
            )
    for index in sorted(spec["deleted_partners"]):
        if index < len(partners):
            store.delete_row(conn, "partner", partners[index], expected_version=1, user=USER)


@settings(
    max_examples=25,
    # `databases` is a factory: every example asks it for two new, empty databases.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=projects())
def test_any_project_survives_backup_and_restore(
    databases: Databases, spec: dict[str, Any]
) -> None:
    source = databases.new()
    engine = store.engine(source, must_exist=False)
    with engine.begin() as conn:
        build(conn, spec)
    engine.dispose()
    archive = databases.folder / f"{uuid.uuid4().hex}.zip"
    make_backup(source, archive)
    target = databases.new()

    backup.restore(archive, target, user=USER)

    assert dump(target) == dump(source)
