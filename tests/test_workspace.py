"""What the dashboard reads and edits in a project (fundplanner.workspace)."""

from __future__ import annotations

import datetime as dt
import math
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from fundplanner import project, store, workspace
from fundplanner.errors import MappingError, UsageError

#: A vendor list with its header on the third row, as spreadsheets exported by hand often are.
VENDOR_CSV = (
    "Liste de prix;;\n"
    ";;\n"
    "Titre;Auteur;ISBN;Prix;Devise\n"
    "Le Petit Prince;Antoine de Saint-Exupéry;9782070612758;8,50;EUR\n"
    "الأمير الصغير;أنطوان دو سانت إكزوبيري;9789953888888;6,00;EUR\n"
).encode()


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Al Ram demo, planned once for the module (about 3 s)."""
    path = tmp_path_factory.mktemp("template") / "alram.fundplan"
    project.init_project(path, demo=True, user="test")
    project.plan_project(path, user="test")
    return path


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Iterator[str]:
    """A private copy of the planned demo for one test."""
    target = tmp_path / "alram.fundplan"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{demo_template}{suffix}")
        if source.exists():
            shutil.copyfile(source, f"{target}{suffix}")
    yield str(target)


# ------------------------------------------------------------------------------ row edits

ORIGINAL = [
    {"id": 1, "version": 3, "name": "Aulnay", "country": "FR", "city": None},
    {"id": 2, "version": 1, "name": "Al Ram", "country": "PS", "city": "Al Ram"},
]
COLUMNS = ["name", "country", "city"]


@pytest.mark.parametrize(
    ("edited", "inserts", "updates", "deletes"),
    [
        (ORIGINAL, (), (), ()),
        # blank text, NaN and None are all "empty": no change
        (
            [{**ORIGINAL[0], "city": "  "}, {**ORIGINAL[1]}],
            (),
            (),
            (),
        ),
        ([{**ORIGINAL[0], "city": math.nan}, ORIGINAL[1]], (), (), ()),
        # one cell changed: only that column, with the version read
        (
            [{**ORIGINAL[0], "city": "Aulnay-sous-Bois"}, ORIGINAL[1]],
            (),
            ((1, 3, {"city": "Aulnay-sous-Bois"}),),
            (),
        ),
        # a row gone is a delete with its version
        ([ORIGINAL[0]], (), (), ((2, 1),)),
        # a row without id is new; empty cells are left out; an all-empty row is ignored
        (
            [
                *ORIGINAL,
                {"id": None, "name": "Ramallah", "country": "PS", "city": ""},
                {"id": math.nan, "name": None, "country": None, "city": None},
            ],
            ({"name": "Ramallah", "country": "PS"},),
            (),
            (),
        ),
    ],
)
def test_row_edits(
    edited: list[dict[str, object]],
    inserts: tuple[dict[str, object], ...],
    updates: tuple[tuple[int, int, dict[str, object]], ...],
    deletes: tuple[tuple[int, int], ...],
) -> None:
    edits = workspace.row_edits(ORIGINAL, edited, COLUMNS)
    assert edits == workspace.RowEdits(inserts, updates, deletes)
    assert edits.empty == (not (inserts or updates or deletes))


def test_row_edits_refuse_a_row_that_was_not_read() -> None:
    with pytest.raises(UsageError, match="reload"):
        workspace.row_edits(ORIGINAL, [{"id": 9, "name": "x"}], COLUMNS)


def test_apply_edits_saves_all_and_raises_the_data_version(demo: str) -> None:
    before = workspace.data_version(demo)
    rows = workspace.table_rows(demo, "training_module")
    edited = [{**rows[0], "place": "Ramallah"}, *rows[1:]]
    edited.append({"id": None, "subject": "Arabic cataloguing", "mode": "on_site", "cost": 0})
    edits = workspace.row_edits(rows, edited, ["subject", "mode", "place", "cost"])
    assert workspace.apply_edits(demo, "training_module", edits, user="nadia") == 2
    after = workspace.table_rows(demo, "training_module")
    assert after[0]["place"] == "Ramallah" and after[0]["updated_by"] == "nadia"
    assert [r["subject"] for r in after][-1] == "Arabic cataloguing"
    assert workspace.data_version(demo) > before


def test_apply_edits_is_all_or_nothing_on_a_stale_row(demo: str) -> None:
    rows = workspace.table_rows(demo, "partner")
    # someone else saves partner 1 after we read it
    workspace.apply_edits(
        demo,
        "partner",
        workspace.RowEdits(updates=((rows[0]["id"], rows[0]["version"], {"city": "Paris"}),)),
        user="someone",
    )
    edits = workspace.RowEdits(
        inserts=({"name": "New partner", "kind": "library"},),
        updates=((rows[0]["id"], rows[0]["version"], {"city": "Bobigny"}),),
    )
    with pytest.raises(store.StaleWrite, match="someone"):
        workspace.apply_edits(demo, "partner", edits, user="me")
    after = workspace.table_rows(demo, "partner")
    assert len(after) == len(rows) and after[0]["city"] == "Paris"


def test_apply_edits_only_on_record_tables(demo: str) -> None:
    with pytest.raises(UsageError, match="row by row"):
        workspace.apply_edits(demo, "plan", workspace.RowEdits(), user="me")


def test_dates_round_trip_through_the_store(demo: str) -> None:
    rows = workspace.table_rows(demo, "milestone")
    pending = next(r for r in rows if r["status"] != "done")
    edits = workspace.row_edits(
        rows,
        [{**r, "date": dt.date(2027, 6, 30)} if r is pending else r for r in rows],
        ["date"],
    )
    workspace.apply_edits(demo, "milestone", edits, user="me")
    saved = {r["id"]: r for r in workspace.table_rows(demo, "milestone")}
    assert saved[pending["id"]]["date"] == dt.date(2027, 6, 30)


def test_data_version_refuses_a_file_that_is_no_project(tmp_path: Path) -> None:
    empty = tmp_path / "empty.fundplan"
    empty.touch()
    with pytest.raises(store.ProjectNotFound, match="fundplanner init"):
        workspace.data_version(str(empty))


# ------------------------------------------------------------------------------ documents


def test_save_document_refuses_a_stale_version(demo: str) -> None:
    name, row = next(iter(workspace.documents(demo, "profile").items()))
    changed = {**row["data"], "description": "changed"}
    workspace.save_document(demo, "profile", name, changed, expected_version=row["version"])
    with pytest.raises(store.StaleWrite):
        workspace.save_document(demo, "profile", name, row["data"], expected_version=row["version"])
    assert workspace.documents(demo, "profile")[name]["data"]["description"] == "changed"


# ------------------------------------------------------------------------------ catalogues


def test_table_layout_finds_a_header_below_the_first_row() -> None:
    layout = workspace.table_layout(VENDOR_CSV, "prix.csv")
    assert layout["format"] == "csv" and layout["header_row"] == 3
    assert layout["columns"]["Prix"] == "price"
    assert layout["columns"]["Titre"] == "title"


#: A header no synonym knows: the librarian maps it by hand.
ODD_CSV = b"Nom du livre;Auteur\nKalila wa Dimna;Ibn al-Muqaffa\n"


def test_table_layout_with_a_mapping_and_a_wrong_one() -> None:
    assert "Nom du livre" in workspace.table_layout(ODD_CSV, "odd.csv")["ignored_columns"]
    mapping = {"columns": {"title": "Nom du livre"}}
    assert workspace.table_layout(ODD_CSV, "odd.csv", mapping)["columns"]["Nom du livre"] == (
        "title"
    )
    with pytest.raises(MappingError, match="Nom du livre"):
        workspace.table_layout(ODD_CSV, "odd.csv", {"columns": {"title": "Titre du livre"}})


def test_table_layout_of_a_marc_file() -> None:
    data = Path(project.DEMO_DIR / "donateur_fr.marc21.mrc").read_bytes()
    assert workspace.table_layout(data, "dons.mrc") == {"format": "marc21"}


def test_import_bytes_as_the_cli_imports_a_file(demo: str) -> None:
    before = workspace.catalogue_table(demo)
    summary = workspace.import_bytes(
        demo, "prix.csv", VENDOR_CSV, partner="مكتبة رام الله", user="nadia"
    )
    assert (summary.kept, summary.rejected) == (2, 0)
    catalogues = workspace.catalogue_table(demo)
    assert len(catalogues) == len(before) + 1
    row = catalogues.iloc[-1]
    assert (row["file_name"], row["imported_by"]) == ("prix.csv", "nadia")
    assert row["partner"].startswith("مكتبة رام الله")
    frame = workspace.candidates(demo)
    mine = frame[frame["catalogue_id"] == row["id"]]
    assert set(mine["origin"]) == {"PS"}  # the partner's country
    with pytest.raises(store.DuplicateCatalogue, match="already imported"):
        workspace.import_bytes(demo, "again.csv", VENDOR_CSV, partner=None)
    assert workspace.catalogue_problems(demo, int(row["id"])).columns.tolist()[:3] == [
        "record",
        "control_number",
        "field",
    ]


# ------------------------------------------------------------------------------ plans


def flags(*rows: tuple[int, object, object]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["candidate_id", "pinned", "excluded"])


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (flags((1, False, False)), flags((1, False, False)), workspace.PinChanges()),
        (flags((1, False, False)), flags((1, True, False)), workspace.PinChanges(pin=(1,))),
        (flags((1, False, False)), flags((1, False, True)), workspace.PinChanges(exclude=(1,))),
        (flags((1, True, False)), flags((1, False, False)), workspace.PinChanges(release=(1,))),
        (flags((1, False, True)), flags((1, False, None)), workspace.PinChanges(release=(1,))),
        # pinned → excluded: an exclusion (the store clears the pin)
        (flags((1, True, False)), flags((1, False, True)), workspace.PinChanges(exclude=(1,))),
        (flags((1, False, False)), flags((1, True, True)), workspace.PinChanges(conflicts=(1,))),
        # a row found by a search (not in "before") that gets pinned
        (flags(), flags((7, True, False)), workspace.PinChanges(pin=(7,))),
    ],
)
def test_pin_changes(
    before: pd.DataFrame, after: pd.DataFrame, expected: workspace.PinChanges
) -> None:
    assert workspace.pin_changes(before, after) == expected


def test_scenario_flags_after_pins(demo: str) -> None:
    selection = project.plan_selection(demo, "base")
    pinned, excluded = (int(i) for i in selection["candidate_id"].iloc[:2])
    project.plan_project(demo, "base", pin=[pinned], exclude=[excluded], polish=False)
    found = workspace.scenario_flags(demo, "base").set_index("candidate_id")
    assert bool(found.loc[pinned, "pinned"]) and bool(found.loc[excluded, "excluded"])
    assert found.loc[pinned, "title"]
    assert workspace.scenario_flags(demo, "nothing-yet").empty


def test_scenario_parameters_default_for_a_new_scenario(demo: str) -> None:
    assert workspace.scenario_parameters(demo, "new").to_mapping() == {}
