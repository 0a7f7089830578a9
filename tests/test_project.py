"""Project-level operations and their command line: init, import, info, upgrade."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fundplanner import project, store
from fundplanner.cli import cli
from fundplanner.errors import UsageError

DEMO = project.DEMO_DIR


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "alram.fundplan"
    project.init_project(path, demo=True, user="test")
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_the_demo_project_holds_the_whole_al_ram_record(demo_project: Path) -> None:
    info = project.project_info(demo_project)
    counts = info["counts"]
    assert info["name"] == "Bibliothèque de quartier d'Al Ram"
    assert counts["catalogue"] == 5 and counts["candidate"] == 1697
    assert counts["partner"] == 8 and counts["committee_member"] == 5
    assert counts["meeting"] == 2 and counts["decision"] == 4 and counts["meeting_attendee"] == 7
    assert counts["training_module"] == 3 and counts["budget_line"] == 6
    assert counts["funding_source"] == 3
    steps = [m["step"] for m in info["milestones"]]
    assert steps == list(store.MILESTONE_STEPS)
    assert info["milestones"][0]["status"] == "done"


def test_demo_catalogues_are_linked_across_partners(demo_project: Path) -> None:
    engine = store.engine(demo_project)
    with engine.connect() as conn:
        frame = store.candidates(conn)
        catalogues = {c["id"]: c for c in store.catalogues(conn)}
    engine.dispose()
    shared = frame.groupby("work_key")["catalogue_id"].nunique()
    assert (shared > 1).sum() > 100  # the same books offered by several partners
    assert frame["work_group"].nunique() < frame["work_key"].nunique()  # translations grouped
    origins = {
        catalogues[c]["file_name"]: o
        for c, o in frame.groupby("catalogue_id")["origin"].first().items()
    }
    assert origins["librairie_ramallah_prix.xlsx"] == "PS"


def test_init_refuses_to_overwrite(demo_project: Path) -> None:
    with pytest.raises(UsageError, match="already exists"):
        project.init_project(demo_project)


def test_import_refuses_the_same_file_twice_and_replaces_on_request(tmp_path: Path) -> None:
    path = tmp_path / "p.fundplan"
    code, output = run("init", str(path), "--name", "Test")
    assert code == 0, output
    csv_file = DEMO / "english_donor.csv"
    code, output = run("import", str(path), str(csv_file))
    assert code == 0 and "kept 295" in output
    code, output = run("import", str(path), str(csv_file))
    assert code == 1 and "already imported" in output and "--replace" in output
    code, output = run("import", str(path), str(csv_file), "--replace", "--json")
    assert code == 0
    [summary] = json.loads(output)
    assert summary["replaced"] is True and summary["kept"] == 295
    assert project.project_info(path)["counts"]["catalogue"] == 1


def test_import_names_the_known_partners_when_one_is_misspelt(tmp_path: Path) -> None:
    path = tmp_path / "p.fundplan"
    project.init_project(path, demo=False)
    code, output = run("import", str(path), str(DEMO / "english_donor.csv"), "--partner", "Nobody")
    assert code == 1 and "no partner named 'Nobody'" in output


def test_info_json_and_missing_project(demo_project: Path, tmp_path: Path) -> None:
    code, output = run("info", str(demo_project), "--json")
    assert code == 0 and json.loads(output)["counts"]["candidate"] == 1697
    code, output = run("info", str(tmp_path / "none.fundplan"))
    assert code == 1 and "fundplanner init" in output


def test_upgrade_brings_an_old_project_to_head(tmp_path: Path) -> None:
    path = tmp_path / "old.fundplan"
    engine = store.engine(path, must_exist=False)
    with engine.begin() as conn:
        store.upgrade(conn, "0001")
        conn.exec_driver_sql("INSERT INTO project (id, name, version) VALUES (1, 'Old', 1)")
    engine.dispose()
    code, output = run("info", str(path))
    assert code == 1 and "0001" in output and "fundplanner upgrade" in output
    code, output = run("upgrade", str(path))
    assert code == 0 and f"0001 → {store.head_revision()}" in output
    assert project.project_info(path)["name"] == "Old"


def test_the_demo_budget_balances_against_its_sources(demo_project: Path) -> None:
    budget = project.project_info(demo_project)["budget"]
    assert budget == {"EUR": {"uses": 65000.0, "sources": 65000.0, "balance": 0.0}}
    code, output = run("info", str(demo_project))
    assert code == 0 and "balance +0.00" in output


def test_agreement_steps_are_done_in_their_legal_order(tmp_path: Path) -> None:
    path = tmp_path / "p.fundplan"
    project.init_project(path)
    engine = store.engine(path)
    with engine.begin() as conn:
        steps = {row["step"]: row for row in store.rows(conn, "milestone")}
        executory = steps["executory"]
        with pytest.raises(store.StoreError) as refused:
            store.update_row(
                conn,
                "milestone",
                executory["id"],
                {"status": "done"},
                expected_version=executory["version"],
                user="test",
            )
    message = str(refused.value)
    assert "draft_with_partners, council_vote, prefecture_legality_check" in message
    with engine.begin() as conn:
        for step in store.MILESTONE_STEPS[:4]:
            row = next(r for r in store.rows(conn, "milestone") if r["step"] == step)
            store.update_row(
                conn,
                "milestone",
                row["id"],
                {"status": "done"},
                expected_version=row["version"],
                user="test",
            )
    engine.dispose()


@pytest.mark.parametrize(
    ("table", "values", "says"),
    [
        ("partner", {"name": "X", "kind": "bank"}, "partner.kind: 'bank' is not one of library"),
        ("budget_line", {"kind": "party", "label": "x"}, "budget_line.kind: 'party'"),
        ("training_module", {"subject": "x", "mode": "online"}, "'online' is not one of on_site"),
    ],
)
def test_code_lists_are_enforced(tmp_path: Path, table: str, values: dict, says: str) -> None:
    path = tmp_path / "p.fundplan"
    project.init_project(path)
    engine = store.engine(path)
    with engine.begin() as conn, pytest.raises(store.StoreError, match=says):
        store.insert_row(conn, table, values, user="test")
    engine.dispose()
