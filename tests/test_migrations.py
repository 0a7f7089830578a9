"""Alembic migrations on every backend (SQLite file, PostgreSQL server): a project created with
the first schema (revision 0001) upgrades to head with its data intact, and the schema at head
is exactly `store.metadata` — so nobody changes the tables without writing a migration.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection, Engine

from fundplanner import store

#: Rows valid for revision 0001, as plain SQL (no store code: it may have moved on since).
#: Ids are left to the database and looked up by natural key, so sequences stay right.
SEED_0001: list[tuple[str, dict[str, Any]]] = [
    (
        "INSERT INTO project (name, partner_town, population_official, opening_date) "
        "VALUES (:name, :town, :population, :opening)",
        {
            "name": "مكتبة الرام",
            "town": "Aulnay-sous-Bois",
            "population": 24000,
            "opening": "2027-09-01",
        },
    ),
    (
        "INSERT INTO partner (name, kind, country, contributes, updated_by) "
        "VALUES (:name, :kind, :country, :contributes, :by)",
        {
            "name": "Ville d'Aulnay",
            "kind": "local_authority",
            "country": "FR",
            "contributes": "money,training",
            "by": "amal",
        },
    ),
    (
        "INSERT INTO catalogue (partner_id, file_name, format, checksum, size_bytes, imported_at, "
        "imported_by, records_read, kept, rejected, warnings) VALUES ((SELECT id FROM partner "
        "WHERE name = :partner), :file, 'marc21', :checksum, 5000000000, :at, 'amal', 3, 2, 1, 1)",
        {
            "partner": "Ville d'Aulnay",
            "file": "dons.mrc",
            "checksum": "c" * 64,
            "at": "2026-11-02 09:30:00",
        },
    ),
    (
        "INSERT INTO candidate (catalogue_id, source, record_id, title, authors, year, language, "
        "language_confidence, pages, price_eur) VALUES ((SELECT id FROM catalogue WHERE "
        "checksum = :checksum), 'dons.mrc', :record, :title, :authors, :year, :language, "
        ":confidence, :pages, :price)",
        {
            "checksum": "c" * 64,
            "record": "1",
            "title": "كَلِيلَة وَدِمْنَة",
            "authors": "ابن المقفع",
            "year": 2011,
            "language": "ara",
            "confidence": 0.97,
            "pages": 312,
            "price": 11.5,
        },
    ),
    (
        "INSERT INTO candidate (catalogue_id, source, record_id, title, language) VALUES ("
        "(SELECT id FROM catalogue WHERE checksum = :checksum), 'dons.mrc', :record, :title, "
        ":language)",
        {"checksum": "c" * 64, "record": "2", "title": "L'Étranger", "language": "fre"},
    ),
    (
        "INSERT INTO catalogue_problem (catalogue_id, record, field, kind, severity, message) "
        "VALUES ((SELECT id FROM catalogue WHERE checksum = :checksum), 3, '245', "
        "'missing_title', 'error', :message)",
        {"checksum": "c" * 64, "message": "no title (245 $a); add one."},
    ),
    (
        "INSERT INTO plan (scenario, parameters) VALUES (:scenario, :parameters)",
        {"scenario": "base", "parameters": '{"budget_eur": 12000, "langs": ["ara", "fre"]}'},
    ),
    (
        "INSERT INTO plan_item (plan_id, candidate_id, copies, excluded) VALUES ((SELECT id FROM "
        "plan WHERE scenario = 'base'), (SELECT id FROM candidate WHERE record_id = '1'), 2, TRUE)",
        {},
    ),
    (
        "INSERT INTO meeting (date, place) VALUES (:date, :place)",
        {"date": "2026-03-12", "place": "الرام"},
    ),
    (
        "INSERT INTO committee_member (name, role) VALUES (:name, :role)",
        {"name": "Claire", "role": "bibliothécaire"},
    ),
    (
        "INSERT INTO meeting_attendee (meeting_id, member_id) VALUES ((SELECT id FROM meeting), "
        "(SELECT id FROM committee_member))",
        {},
    ),
    (
        'INSERT INTO audit (at, "user", table_name, row_id, action) '
        "VALUES (:at, 'amal', 'catalogue', 1, 'import')",
        {"at": "2026-11-02 09:30:01"},
    ),
    (
        "INSERT INTO milestone (step, position, status) VALUES ('council_vote', 2, 'done')",
        {},
    ),
]


@pytest.fixture
def database(store_url: str) -> Iterator[Engine]:
    eng = store.engine(store_url, must_exist=False)
    yield eng
    eng.dispose()


def contents(
    conn: Connection, columns: dict[str, list[str]] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table the database has (reflected: no assumption about the schema),
    limited to ``columns`` per table when given (the columns an older revision had)."""
    reflected = sa.MetaData()
    reflected.reflect(conn)
    found = {}
    for name, table in reflected.tables.items():
        if name == "alembic_version":
            continue
        keep = columns[name] if columns else list(table.columns.keys())
        query = sa.select(*(table.c[c] for c in keep)).order_by(*table.primary_key.columns)
        found[name] = [dict(row) for row in conn.execute(query).mappings()]
    return found


def table_columns(conn: Connection) -> dict[str, list[str]]:
    """The columns of every table the database has, by name."""
    reflected = sa.MetaData()
    reflected.reflect(conn)
    return {name: list(table.columns.keys()) for name, table in reflected.tables.items()}


def schema(conn: Connection) -> dict[str, dict[str, Any]]:
    """What the database says about each table: columns, keys, indexes, unique constraints."""
    inspector = sa.inspect(conn)
    described = {}
    for name in sorted(set(inspector.get_table_names()) - {"alembic_version"}):
        described[name] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], _default(c["default"]))
                for c in inspector.get_columns(name)
            ],
            "primary_key": inspector.get_pk_constraint(name)["constrained_columns"],
            "foreign_keys": sorted(
                (
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    (fk.get("options") or {}).get("ondelete"),
                )
                for fk in inspector.get_foreign_keys(name)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(name)
            ),
            "unique": sorted(
                tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)
            ),
        }
    return described


def _default(text: str | None) -> str | None:
    """A server default as a value: '0', 0 and '0'::integer are the same default."""
    if text is None:
        return None
    value = text.split("::")[0].strip("()'\"")
    return {"false": "0", "true": "1"}.get(value, value)


def differences(conn: Connection) -> list[Any]:
    """What `alembic revision --autogenerate` would put in a new migration (empty: nothing)."""
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return compare_metadata(context, store.metadata)


def test_a_project_at_revision_0001_upgrades_to_head_with_its_data(database: Engine) -> None:
    with database.begin() as conn:
        store.upgrade(conn, "0001")
        for statement, parameters in SEED_0001:
            conn.execute(sa.text(statement), parameters)
        before = contents(conn)
        old_columns = table_columns(conn)
    assert all(before[table] for table in ("candidate", "plan_item", "meeting_attendee"))
    with database.begin() as conn:
        store.upgrade(conn)
    with database.connect() as conn:
        assert store.schema_version(conn) == store.head_revision() != "0001"
        # every row keeps every value it had (later revisions may add columns)
        assert contents(conn, old_columns) == before
        store.require_current(conn)
        titles = store.candidates(conn)["title"].tolist()
        (item,) = store.rows(conn, "plan_item")
        (plan,) = store.rows(conn, "plan")
        summary = store.info(conn)
    assert titles == ["كَلِيلَة وَدِمْنَة", "L'Étranger"]
    assert (item["copies"], item["pinned"], item["excluded"]) == (2, False, True)
    assert plan["parameters"] == {"budget_eur": 12000, "langs": ["ara", "fre"]}
    assert summary["counts"]["candidate"] == 2
    with database.begin() as conn:  # the upgraded project takes new rows (sequences intact)
        store.insert_row(conn, "partner", {"name": "BnF", "kind": "library"}, user="amal")


def test_every_revision_upgrades_an_empty_database_in_turn(database: Engine) -> None:
    with database.begin() as conn:
        for revision in store.revisions():
            store.upgrade(conn, revision)
            assert store.schema_version(conn) == revision
    assert store.revisions()[-1] == store.head_revision()


def test_the_migrated_schema_is_what_metadata_creates(database: Engine) -> None:
    with database.begin() as conn:
        store.upgrade(conn)
        migrated = schema(conn)
        assert differences(conn) == []
        store.metadata.drop_all(conn)
        conn.execute(sa.text("DROP TABLE alembic_version"))
        store.metadata.create_all(conn)
        created = schema(conn)
    assert set(migrated) == set(store.metadata.tables)
    for table in store.metadata.tables:
        assert migrated[table] == created[table], table


def test_autogenerate_sees_a_table_change_made_without_a_migration(database: Engine) -> None:
    """The check above can fail: a column added to the metadata alone is reported."""
    changed = sa.MetaData()
    for table in store.metadata.tables.values():
        table.to_metadata(changed)
    sa.Table("partner", changed, sa.Column("website", sa.String(300)), extend_existing=True)
    with database.begin() as conn:
        store.upgrade(conn)
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        found = compare_metadata(context, changed)
    assert [(d[0], d[2], d[3].name) for d in found] == [("add_column", "partner", "website")]
