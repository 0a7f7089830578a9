"""The project store on every backend it supports (SQLite file, PostgreSQL server): the same
suite, not a mock (`store_url` in conftest.py; `.ci/run` starts a real PostgreSQL).

Covers: project creation (all or nothing), versioned edits and stale writes, NotFound, integrity
errors as StoreError, the audit trail, catalogue imports (exact round trip of the canonical
table, problems, duplicate checksums, replace, failure mid-way), schema checks, engine() and
info().
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pandas.testing as pdt
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection, Engine

from fundplanner import store
from fundplanner.errors import Kind, Problem, Severity
from fundplanner.model import CANDIDATE_SCHEMA

PROJECT = {
    "name": "مكتبة الرام العامة — Bibliothèque d'Al Ram",
    "partner_town": "Aulnay-sous-Bois",
    "library": "Al Ram public library",
    "population_official": 24000,
    "opening_date": dt.date(2027, 9, 1),
}


@pytest.fixture
def project(store_url: str) -> Iterator[Engine]:
    """A new project (schema at head, project row, milestones) on each backend."""
    eng = store.engine(store_url, must_exist=False)
    with eng.begin() as conn:
        store.create_project(conn, PROJECT, user="amal")
    yield eng
    eng.dispose()


def snapshot(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, so that "nothing changed" can be checked exactly."""
    return {name: store.rows(conn, name) for name in store.metadata.tables}


def one(conn: Connection, table: str, row_id: int) -> dict[str, Any]:
    (found,) = [r for r in store.rows(conn, table) if r["id"] == row_id]
    return found


def titles(*records: dict[str, Any]) -> pd.DataFrame:
    """A canonical candidate table (CANDIDATE_SCHEMA dtypes); absent values are nulls.

    Built column by column: a DataFrame of dicts goes through float64 for an integer column
    with nulls, which would change big integers before the store sees them.
    """
    return pd.DataFrame(
        {
            name: pd.array([r.get(name) for r in records], dtype=dtype)
            for name, dtype in CANDIDATE_SCHEMA.items()
        }
    )


ARABIC = {
    "source": "dons_idb.mrc",
    "record_id": "IDB-0042",
    "format": "marc21",
    "isbn13": "9789953680123",
    "isbn_group": "9953",
    "title": "كَلِيلَة وَدِمْنَة",  # with harakat: combining marks must survive
    "title_latin": "Kalīlah wa-Dimnah",
    "authors": "ابن المقفع ; Ibn al-Muqaffaʿ",
    "publisher": "دار الشروق",
    "year": 2011,
    "language": "ara",
    "language_method": "marc_008",
    "language_confidence": 1.0,
    "audience": "adult",
    "category": "fiction",
    "pages": 312,
    "height_cm": 24.5,
    "price": 45.0,
    "currency": "ILS",
    "price_eur": 11.12,
    "copies_offered": 2,
    "acquisition": "donation",
    "work_key": "kalila wa dimna|ibn al muqaffa",
}
FRENCH_WITH_NULLS = {
    "source": "aulnay.csv",
    "record_id": "17",
    "format": "csv",
    "title": "L'Étranger « édition de poche »",
    "authors": "Camus, Albert",
    "language": "fre",
    "language_confidence": 0.8125,
    # everything else null: isbn, year (Int64), prices (Float64), audience…
}
ENGLISH = {
    "source": "aulnay.csv",
    "record_id": "18",
    "title": "The Little Prince",
    "year": 1943,
    "language": "eng",
    "weight_kg": 0.2,
    "copies_offered": 0,
    "work_key": "",  # an empty string is not a null
}

IMPORT_CASES = {
    "arabic, french with nulls, english": titles(ARABIC, FRENCH_WITH_NULLS, ENGLISH),
    "one row": titles(ARABIC),
    "no rows (every record rejected)": titles(),
    "more rows than one batch": titles(*({**ENGLISH, "record_id": str(n)} for n in range(12))),
    "big integers next to nulls": titles(
        {"title": "a", "year": 2**53 + 1}, {"title": "b"}, {"title": "c", "pages": 2**63 - 1}
    ),
}


def import_file(
    conn: Connection,
    frame: pd.DataFrame,
    *,
    checksum: str = "a" * 64,
    file_name: str = "aulnay.csv",
    problems: list[dict[str, Any]] | None = None,
    replace: bool = False,
    user: str = "amal",
) -> int:
    return store.import_catalogue(
        conn,
        file_name=file_name,
        checksum=checksum,
        size_bytes=1234,
        format="csv",
        titles=frame,
        problems=problems or [],
        records_read=len(frame) + 1,
        partner_id=None,
        user=user,
        replace=replace,
    )


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[list(CANDIDATE_SCHEMA)].reset_index(drop=True)


# --------------------------------------------------------------------------- project


def test_create_project_writes_the_project_and_the_milestones_in_legal_order(
    project: Engine,
) -> None:
    with project.connect() as conn:
        head = store.project_row(conn)
        milestones = store.rows(conn, "milestone")
        assert store.schema_version(conn) == store.head_revision()
    assert {k: head[k] for k in PROJECT} == PROJECT
    assert (head["version"], head["updated_by"], head["base_currency"]) == (1, "amal", "EUR")
    assert [m["step"] for m in milestones] == list(store.MILESTONE_STEPS)
    assert [m["position"] for m in milestones] == list(range(1, len(store.MILESTONE_STEPS) + 1))
    assert {m["status"] for m in milestones} == {"planned"}


def test_create_project_refuses_a_database_that_holds_one(project: Engine) -> None:
    refused = pytest.raises(store.StoreError, match="already holds a fundplanner project")
    with refused, project.begin() as conn:
        store.create_project(conn, {"name": "again"}, user="amal")


def test_a_failed_create_project_leaves_an_empty_database(store_url: str) -> None:
    """All or nothing, DDL included (SQLite's driver used to commit each CREATE TABLE)."""
    eng = store.engine(store_url, must_exist=False)
    try:
        with pytest.raises(store.StoreError, match="project"), eng.begin() as conn:
            store.create_project(conn, {"name": None}, user="amal")  # name is NOT NULL
        assert sa.inspect(eng).get_table_names() == []
        with eng.begin() as conn:  # and the database can still be made a project
            store.create_project(conn, {"name": "Al Ram"}, user="amal")
    finally:
        eng.dispose()


# --------------------------------------------------------------------------- versioned rows

ROW_CASES = [
    pytest.param(
        "partner",
        {"name": "Ville d'Aulnay-sous-Bois", "kind": "local_authority", "country": "FR"},
        [{"convention_status": "negotiating"}, {"convention_status": "signed", "city": "Aulnay"}],
        id="partner",
    ),
    pytest.param(
        "budget_line",
        {"kind": "training", "label": "Stage BnF", "planned": 4200.0},
        [{"committed": 1500.0}, {"spent": 1499.5, "label": "Stage BnF (Paris)"}],
        id="budget_line",
    ),
    pytest.param(
        "meeting",
        {"date": dt.date(2026, 3, 12), "place": "الرام"},
        [{"notes": "محضر الاجتماع الأول"}, {"date": dt.date(2026, 3, 19)}],
        id="meeting with dates and Arabic",
    ),
    pytest.param(
        "profile",
        {"name": "baseline", "data": {"shelves_m": 120, "languages": ["ara", "fre", "eng"]}},
        [{"data": {"shelves_m": 150, "languages": ["ara"]}}, {"name": "baseline 2"}],
        id="profile with JSON",
    ),
    pytest.param(
        "training_module",
        {"subject": "Catalogage UNIMARC", "mode": "internship", "start_date": dt.date(2027, 1, 4)},
        [{"end_date": dt.date(2027, 1, 29)}, {"cost": 3800.0, "place": "Aulnay-sous-Bois"}],
        id="training_module",
    ),
]


@pytest.mark.parametrize(("table", "values", "edits"), ROW_CASES)
def test_insert_update_delete_bump_the_version(
    project: Engine, table: str, values: dict[str, Any], edits: list[dict[str, Any]]
) -> None:
    with project.begin() as conn:
        row_id = store.insert_row(conn, table, values, user="amal")
    expected = {**values, "id": row_id, "version": 1, "updated_by": "amal"}
    for version, (user, changes) in enumerate(zip(["claire", "amal"], edits, strict=True), 2):
        with project.begin() as conn:
            assert one(conn, table, row_id)["version"] == version - 1
            new = store.update_row(
                conn, table, row_id, changes, expected_version=version - 1, user=user
            )
        assert new == version
        expected.update(changes, version=version, updated_by=user)
        with project.connect() as conn:
            got = one(conn, table, row_id)
        assert {k: got[k] for k in expected} == expected
    with project.begin() as conn:
        store.delete_row(conn, table, row_id, expected_version=len(edits) + 1, user="amal")
    with project.connect() as conn:
        assert [r for r in store.rows(conn, table) if r["id"] == row_id] == []


STALE_CASES = [
    pytest.param({"convention_status": "signed"}, ["convention_status"], id="one field"),
    pytest.param(
        {"contact": "bm@aulnay.fr", "role": "catalogues"}, ["contact", "role"], id="two fields"
    ),
]


@pytest.mark.parametrize(("changes", "named"), STALE_CASES)
def test_a_stale_update_is_refused_saying_who_saved_and_what_was_not_saved(
    project: Engine, changes: dict[str, Any], named: list[str]
) -> None:
    with project.begin() as conn:
        row_id = store.insert_row(conn, "partner", {"name": "BnF", "kind": "library"}, user="a")
    # Amal and Claire both read version 1; Amal saves first.
    with project.begin() as conn:
        store.update_row(
            conn, "partner", row_id, {"contact": "amal@alram.ps"}, expected_version=1, user="amal"
        )
    with pytest.raises(store.StaleWrite) as refused, project.begin() as conn:
        store.update_row(conn, "partner", row_id, changes, expected_version=1, user="claire")
    message = str(refused.value)
    assert "saved by amal" in message and "version 2, you read version 1" in message
    assert "were not saved" in message
    for field in named:
        assert field in message
    with project.connect() as conn:
        kept = one(conn, "partner", row_id)
    assert (kept["contact"], kept["version"], kept["updated_by"]) == ("amal@alram.ps", 2, "amal")


def test_a_stale_delete_is_refused_saying_who_saved(project: Engine) -> None:
    with project.begin() as conn:
        row_id = store.insert_row(conn, "partner", {"name": "BnF", "kind": "library"}, user="a")
    with project.begin() as conn:
        store.update_row(
            conn, "partner", row_id, {"city": "Paris"}, expected_version=1, user="amal"
        )
    with pytest.raises(store.StaleWrite) as refused, project.begin() as conn:
        store.delete_row(conn, "partner", row_id, expected_version=1, user="claire")
    message = str(refused.value)
    assert "saved by amal" in message and "version 2, you read version 1" in message
    assert "not deleted" in message
    with project.connect() as conn:
        assert one(conn, "partner", row_id)["city"] == "Paris"


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda conn: store.update_row(
                conn, "partner", 999, {"city": "x"}, expected_version=1, user="u"
            ),
            id="update",
        ),
        pytest.param(
            lambda conn: store.delete_row(conn, "partner", 999, expected_version=1, user="u"),
            id="delete",
        ),
    ],
)
def test_editing_a_missing_row_raises_not_found(project: Engine, edit: Any) -> None:
    with pytest.raises(store.NotFound, match="partner 999 does not exist"), project.begin() as c:
        edit(c)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(
            lambda conn: store.insert_row(conn, "candidate", {"title": "x"}, user="u"),
            "no editable table 'candidate'; use one of budget_line, ",
            id="not an editable table",
        ),
        pytest.param(
            lambda conn: store.update_row(
                conn, "partner", 1, {"version": 7}, expected_version=1, user="u"
            ),
            "partner: version cannot be edited",
            id="version is not editable",
        ),
    ],
)
def test_edits_outside_the_contract_are_refused(project: Engine, edit: Any, message: str) -> None:
    with pytest.raises(store.StoreError, match=message), project.begin() as conn:
        edit(conn)


INTEGRITY_CASES = [
    pytest.param(
        "partner",
        {"name": "BnF", "kind": "library"},
        "a row with the same unique value already exists .*; use another name",
        id="same partner name",
    ),
    pytest.param(
        "milestone",
        {"step": "council_vote", "position": 9},
        "a row with the same unique value already exists",
        id="same milestone step",
    ),
    pytest.param(
        "committee_member",
        {"name": "Claire", "partner_id": 999},
        "a referenced row does not exist",
        id="partner that does not exist",
    ),
]


@pytest.mark.parametrize(("table", "values", "message"), INTEGRITY_CASES)
def test_an_integrity_violation_is_a_store_error_and_the_transaction_goes_on(
    project: Engine, table: str, values: dict[str, Any], message: str
) -> None:
    """Same on both backends: PostgreSQL aborts a transaction on any error, SQLite does not."""
    with project.begin() as conn:
        store.insert_row(conn, "partner", {"name": "BnF", "kind": "library"}, user="amal")
    with project.begin() as conn:
        with pytest.raises(store.StoreError, match=f"^{table}: {message}"):
            store.insert_row(conn, table, values, user="amal")
        store.insert_row(conn, "partner", {"name": "Ville d'Aulnay", "kind": "funder"}, user="u")
    with project.connect() as conn:
        assert [p["name"] for p in store.rows(conn, "partner")] == ["BnF", "Ville d'Aulnay"]


# --------------------------------------------------------------------------- audit


def test_every_change_writes_an_audit_row_naming_the_user(project: Engine) -> None:
    with project.begin() as conn:
        row_id = store.insert_row(conn, "partner", {"name": "BnF", "kind": "library"}, user="amal")
        store.update_row(conn, "partner", row_id, {"city": "Paris"}, expected_version=1, user="cl")
        store.delete_row(conn, "partner", row_id, expected_version=2, user="نور")
        cid = import_file(conn, titles(ARABIC), user="claire")
    with project.connect() as conn:
        trail = [
            (a["user"], a["table_name"], a["row_id"], a["action"], a["details"])
            for a in store.rows(conn, "audit")
        ]
    steps = len(store.MILESTONE_STEPS)
    assert trail[0][:4] == ("amal", "project", 1, "insert")
    assert [t[1:4] for t in trail[1 : 1 + steps]] == [
        ("milestone", n, "insert") for n in range(1, steps + 1)
    ]
    assert trail[1 + steps :] == [
        ("amal", "partner", row_id, "insert", {"name": "BnF", "kind": "library"}),
        ("cl", "partner", row_id, "update", {"city": "Paris"}),
        ("نور", "partner", row_id, "delete", None),
        ("claire", "catalogue", cid, "import", {"file": "aulnay.csv", "kept": 1, "read": 2}),
    ]


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        pytest.param("Amal Khoury", "Amal Khoury", id="FUNDPLANNER_USER set"),
        pytest.param("", getpass.getuser(), id="empty: the OS user"),
        pytest.param(None, getpass.getuser(), id="unset: the OS user"),
    ],
)
def test_current_user_honours_fundplanner_user(
    monkeypatch: pytest.MonkeyPatch, variable: str | None, expected: str
) -> None:
    if variable is None:
        monkeypatch.delenv("FUNDPLANNER_USER", raising=False)
    else:
        monkeypatch.setenv("FUNDPLANNER_USER", variable)
    assert store.current_user() == expected


# --------------------------------------------------------------------------- catalogues


@pytest.mark.parametrize("frame", IMPORT_CASES.values(), ids=IMPORT_CASES.keys())
def test_import_stores_exactly_the_candidate_table(
    project: Engine, frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "BATCH_ROWS", 5)  # several INSERT batches for the bigger case
    with project.begin() as conn:
        cid = import_file(conn, frame)
    with project.connect() as conn:
        got = store.candidates(conn)
        only_this = store.candidates(conn, [cid])
        nothing = store.candidates(conn, [cid + 1])
        (row,) = store.catalogues(conn)
    pdt.assert_frame_equal(canonical(got), canonical(frame))
    assert list(got.columns) == ["id", "catalogue_id", *CANDIDATE_SCHEMA]
    assert set(got["catalogue_id"]) <= {cid}
    pdt.assert_frame_equal(canonical(only_this), canonical(frame))
    assert nothing.empty
    assert (row["kept"], row["rejected"], row["records_read"]) == (len(frame), 1, len(frame) + 1)
    assert (row["checksum"], row["imported_by"], row["file_name"]) == (
        "a" * 64,
        "amal",
        "aulnay.csv",
    )


PROBLEMS = [
    Problem(
        file="aulnay.csv",
        record=3,
        control_number=None,
        field="ISBN",
        kind=Kind.INVALID_ISBN,
        message="ISBN 978-2-07-036002-5 has a wrong check digit; correct it or leave it empty.",
        severity=Severity.WARNING,
        value="978-2-07-036002-5",
    ),
    Problem(
        file="aulnay.csv",
        record=4,
        control_number="IDB-7",
        field="245",
        kind=Kind.MISSING_TITLE,
        message="no title (245 $a); add one in the source catalogue.",
    ),
    Problem(
        file="aulnay.csv",
        record=None,
        control_number=None,
        field="Prix",
        kind=Kind.IGNORED_COLUMN,
        message="column « Prix TTC » ignored; rename it 'Price' to use it.",
        severity=Severity.WARNING,
        value="عمود",
    ),
]


def test_import_stores_the_problems_and_counts_the_warnings(project: Engine) -> None:
    with project.begin() as conn:
        cid = import_file(conn, titles(ARABIC), problems=[p.as_row() for p in PROBLEMS])
    with project.connect() as conn:
        stored = store.problems(conn, cid)
        (row,) = store.catalogues(conn)
    keys = ("record", "control_number", "field", "kind", "severity", "message", "value")
    assert [{k: p[k] for k in keys} for p in stored] == [
        {k: p.as_row()[k] for k in keys} for p in PROBLEMS
    ]
    assert {p["catalogue_id"] for p in stored} == {cid}
    assert row["warnings"] == 2


def test_the_same_file_twice_is_refused_and_nothing_changes(project: Engine) -> None:
    with project.begin() as conn:
        first = import_file(conn, titles(ARABIC), file_name="dons.mrc")
    with project.connect() as conn:
        before = snapshot(conn)
    with pytest.raises(store.DuplicateCatalogue) as refused, project.begin() as conn:
        import_file(conn, titles(ENGLISH), file_name="dons (copie).mrc")
    message = str(refused.value)
    assert message.startswith("dons (copie).mrc: this file was already imported on ")
    assert f"(as 'dons.mrc', catalogue {first}); nothing was changed" in message
    assert "--replace" in message
    with project.connect() as conn:
        assert snapshot(conn) == before


def test_replace_swaps_the_earlier_import_for_the_new_one(project: Engine) -> None:
    with project.begin() as conn:
        first = import_file(conn, titles(ARABIC, ENGLISH), problems=[PROBLEMS[1].as_row()])
    with project.begin() as conn:
        second = import_file(conn, titles(FRENCH_WITH_NULLS), replace=True, user="claire")
    with project.connect() as conn:
        assert [c["id"] for c in store.catalogues(conn)] == [second]
        pdt.assert_frame_equal(
            canonical(store.candidates(conn)), canonical(titles(FRENCH_WITH_NULLS))
        )
        assert store.problems(conn, first) == []
        audit = [(a["action"], a["row_id"]) for a in store.rows(conn, "audit")][-2:]
    assert audit == [("delete", first), ("import", second)]


@pytest.mark.parametrize(
    ("checksum", "replace"),
    [
        pytest.param("b" * 64, False, id="a new file"),
        pytest.param("a" * 64, True, id="replacing an earlier import"),
    ],
)
def test_a_failure_in_the_middle_of_an_import_leaves_the_project_as_before(
    project: Engine, monkeypatch: pytest.MonkeyPatch, checksum: str, replace: bool
) -> None:
    with project.begin() as conn:
        store.insert_row(conn, "partner", {"name": "BnF", "kind": "library"}, user="amal")
        import_file(conn, titles(ARABIC, ENGLISH), problems=[PROBLEMS[0].as_row()])
    with project.connect() as conn:
        before = snapshot(conn)
    written: list[int] = []
    original = store._insert_frame

    def first_batch_then_fail(
        conn: Connection, table: sa.Table, frame: pd.DataFrame, **constant: Any
    ) -> None:
        original(conn, table, frame.iloc[: store.BATCH_ROWS], **constant)
        count = sa.select(sa.func.count()).select_from(table)
        written.append(
            conn.execute(count.where(table.c.catalogue_id == constant["catalogue_id"])).scalar_one()
        )
        raise OSError("No space left on device")

    monkeypatch.setattr(store, "BATCH_ROWS", 2)
    monkeypatch.setattr(store, "_insert_frame", first_batch_then_fail)
    many = titles(*({**FRENCH_WITH_NULLS, "record_id": str(n)} for n in range(7)))
    with pytest.raises(OSError, match="No space left"), project.begin() as conn:
        import_file(conn, many, checksum=checksum, replace=replace, file_name="new.csv")
    assert written == [2]  # the first batch was in the transaction when it failed
    with project.connect() as conn:
        assert snapshot(conn) == before


# --------------------------------------------------------------------------- schema, engine


def test_require_current_refuses_an_old_schema_naming_the_revisions(store_url: str) -> None:
    eng = store.engine(store_url, must_exist=False)
    try:
        with eng.begin() as conn:
            with pytest.raises(store.ProjectNotFound, match="holds no fundplanner project"):
                store.require_current(conn)
            store.upgrade(conn, "0001")
            assert store.schema_version(conn) == "0001"
            with pytest.raises(store.StoreError) as refused:
                store.require_current(conn)
            store.upgrade(conn)
            store.require_current(conn)
    finally:
        eng.dispose()
    message = str(refused.value)
    assert (
        f"schema is at revision 0001, this fundplanner expects {store.head_revision()}" in message
    )
    assert "fundplanner upgrade PROJECT" in message


def test_engine_on_a_missing_file_says_how_to_create_a_project(tmp_path: Path) -> None:
    missing = tmp_path / "alram.fundplan"
    with pytest.raises(store.ProjectNotFound) as refused:
        store.engine(missing)
    assert str(refused.value) == (
        f"{missing}: no project file there; create one with 'fundplanner init {missing}' "
        "(add --demo for the Al Ram example)."
    )
    assert not missing.exists()


def test_engine_refuses_an_unusable_url() -> None:
    with pytest.raises(store.StoreError, match="nosuchdb://x: not a usable database URL"):
        store.engine("nosuchdb://x")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql+psycopg://u@127.0.0.1/db", "postgresql+psycopg://u@127.0.0.1/db"),
        ("sqlite:////tmp/a.fundplan", "sqlite:////tmp/a.fundplan"),
        ("/srv/alram.fundplan", "sqlite:////srv/alram.fundplan"),
    ],
)
def test_database_url_keeps_urls_and_turns_paths_into_sqlite(given: str, expected: str) -> None:
    assert store.database_url(given) == expected


def test_info_summarises_the_project(project: Engine) -> None:
    with project.begin() as conn:
        store.insert_row(conn, "partner", {"name": "BnF", "kind": "library"}, user="amal")
        store.update_row(conn, "milestone", 1, {"status": "done"}, expected_version=1, user="a")
        import_file(conn, titles(ARABIC, FRENCH_WITH_NULLS, ENGLISH, {**ENGLISH, "title": "B"}))
    with project.connect() as conn:
        summary = store.info(conn)
    assert summary["name"] == PROJECT["name"]
    assert summary["languages"] == ["ara", "fre", "eng"]
    assert summary["schema"] == store.head_revision()
    assert summary["candidates_by_language"] == {"eng": 2, "ara": 1, "fre": 1}
    counts = summary["counts"]
    assert (counts["partner"], counts["catalogue"], counts["candidate"]) == (1, 1, 4)
    assert counts["milestone"] == len(store.MILESTONE_STEPS) and counts["plan"] == 0
    assert summary["milestones"][0] == {
        "step": "draft_with_partners",
        "status": "done",
        "date": None,
    }
    assert store.to_json(summary)  # JSON-able, Arabic kept as text


# --------------------------------------------------------------------------- property

# PostgreSQL text cannot hold NUL; surrogates are not text. Everything else must survive.
TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=30)
VALUES = {
    "string": st.none() | TEXT,
    "Int64": st.none() | st.integers(-(2**63), 2**63 - 1),
    "Float64": st.none() | st.floats(allow_nan=False, allow_infinity=False),
}
ROWS = st.lists(
    st.fixed_dictionaries({name: VALUES[dtype] for name, dtype in CANDIDATE_SCHEMA.items()}),
    max_size=8,
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=ROWS)
def test_any_candidate_table_survives_the_round_trip(
    project: Engine, records: list[dict[str, Any]]
) -> None:
    frame = titles(*records)
    with project.connect() as conn, conn.begin() as transaction:
        import_file(conn, frame)
        got = store.candidates(conn)
        transaction.rollback()  # the next example starts from the same project
    pdt.assert_frame_equal(canonical(got), canonical(frame))
