"""The stateless plan files (fundplanner.planfiles): one fixture per edge case in tests/data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fundplanner import planfiles, planner
from fundplanner.errors import Kind, Severity
from fundplanner.planfiles import PlanFileError
from fundplanner.planner import Constraints, Origin, PlanInputError, Zone


def test_candidates_are_typed_and_ids_stay_text(data_dir: Path) -> None:
    frame, problems = planfiles.read_candidates(data_dir / "plan_candidates.csv")
    assert problems == []
    assert list(frame.columns) == [*planner.CANDIDATE_COLUMNS, "title"]
    assert frame["candidate_id"].tolist()[:2] == ["00123", "00124"]
    assert frame["price_eur"].tolist() == [0.0, 9.5, 13.2, 7.0, 11.0, 15.9]
    assert frame["copies_offered"].tolist() == [2, 1, 1, 3, 1, 1]  # empty = 1
    assert frame["pinned"].tolist() == [False, False, True, False, False, False]
    assert frame["excluded"].tolist() == [False, False, False, False, True, False]
    assert frame["origin"].tolist()[1] == "" and frame["work_key"].tolist()[3] == ""
    assert frame["title"].tolist()[0] == "كتاب الصور"


def test_bad_rows_become_problems_and_good_rows_come_in(data_dir: Path) -> None:
    path = data_dir / "plan_candidates_bad_rows.csv"
    frame, problems = planfiles.read_candidates(path)
    assert frame["candidate_id"].tolist() == ["good1", "good2"]
    assert frame["price_eur"].tolist() == [7.0, 7.5]  # "7,50": a decimal comma
    assert [(p.record, p.field, p.kind) for p in problems] == [
        (3, "price_eur", Kind.INVALID_NUMBER),
        (4, "copies_offered", Kind.INVALID_NUMBER),
        (5, "pinned", Kind.INVALID_CODE),
        (6, "candidate_id", Kind.MISSING_VALUE),
        (7, "audience", Kind.MISSING_VALUE),
        (8, "candidate_id", Kind.DUPLICATE_ID),
        (9, "pinned", Kind.INVALID_CODE),
        (10, "width_cm", Kind.INVALID_NUMBER),
        (11, None, Kind.UNREADABLE_RECORD),
        (12, "copies_offered", Kind.INVALID_NUMBER),
    ]
    assert all(p.file == str(path) and p.severity == Severity.ERROR for p in problems)
    by_row = {p.record: p for p in problems}
    assert by_row[3].value == "douze" and "number ≥ 0" in by_row[3].message
    assert "already used on row 2" in by_row[8].message
    assert "both pinned and excluded" in by_row[9].message
    assert "between double quotes" in by_row[11].message
    assert "true or false" in by_row[5].message


def test_semicolons_bom_crlf_and_decimal_commas(data_dir: Path) -> None:
    frame, problems = planfiles.read_candidates(
        data_dir / "plan_candidates_semicolons_decimal_commas.csv"
    )
    assert problems == []
    assert frame[["candidate_id", "price_eur", "width_cm", "weight_kg"]].to_numpy().tolist() == [
        ["A-1", 12.5, 2.1, 0.45],
        ["A-2", 8.0, 1.9, 0.3],
    ]
    assert frame[["origin", "work_key"]].to_numpy().tolist() == [["", ""], ["", ""]]
    assert frame["copies_offered"].tolist() == [1, 1]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("plan_candidates_missing_column.csv", "lacks the column(s) width_cm"),
        ("plan_candidates_latin1.csv", "not UTF-8"),
        ("plan_candidates_empty.csv", "the file is empty"),
        ("plan_candidates_repeated_header.csv", "names price_eur more than once"),
        ("no_such_file.csv", "cannot read the file"),
    ],
)
def test_unreadable_candidate_files_are_refused_whole(
    data_dir: Path, name: str, message: str
) -> None:
    with pytest.raises(PlanFileError) as caught:
        planfiles.read_candidates(data_dir / name)
    assert str(caught.value).startswith(str(data_dir / name))
    assert message in str(caught.value)
    assert isinstance(caught.value, PlanInputError)


def test_targets(data_dir: Path) -> None:
    frame, problems = planfiles.read_targets(data_dir / "plan_targets.csv")
    assert problems == []
    assert list(frame.columns) == list(planner.TARGET_COLUMNS)
    assert frame["target"].tolist() == [2, 1, 3, 1]
    assert frame["weight"].tolist() == [2.0, 1.0, 1.0, 0.5]  # empty = 1


def test_bad_target_rows(data_dir: Path) -> None:
    frame, problems = planfiles.read_targets(data_dir / "plan_targets_bad_rows.csv")
    assert frame[["category", "language", "target", "weight"]].to_numpy().tolist() == [
        ["fiction", "ara", 10, 1.0],
        ["comics", "fre", 7, 1.0],
    ]
    assert [(p.record, p.field) for p in problems] == [
        (3, "target"),
        (4, "weight"),
        (5, "audience"),
        (6, "target"),
    ]
    assert "adults/fiction/ara" in problems[2].message
    assert "already used on row 2" in problems[2].message


def test_constraints(data_dir: Path) -> None:
    constraints = planfiles.read_constraints(data_dir / "plan_constraints.toml")
    assert constraints == Constraints(
        budget_eur=60.0,
        processing_eur_per_item=3.0,
        max_copies_per_title=1,
        time_limit_s=10.0,
        zones={
            "children": Zone("children", 90.0, ("early", "children")),
            "adults": Zone("adults", 6.0, ("adults",)),
        },
        origins={"FR": Origin("FR", 2.4, 9.0), "LB": Origin("LB", 1.5, 5.0)},
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("plan_constraints_budget_as_text.toml", "budget_eur must be a number ≥ 0"),
        ("plan_constraints_syntax_error.toml", "not valid TOML"),
        ("plan_constraints_zone_without_audiences.toml", "zones.children.audiences"),
        ("no_such_file.toml", "cannot read the file"),
    ],
)
def test_bad_constraints_name_the_file_and_the_key(data_dir: Path, name: str, message: str) -> None:
    with pytest.raises(PlanInputError) as caught:
        planfiles.read_constraints(data_dir / name)
    assert str(caught.value).startswith(str(data_dir / name))
    assert message in str(caught.value)


def test_plan_from_the_files_and_write_the_selection(data_dir: Path, tmp_path: Path) -> None:
    candidates, _ = planfiles.read_candidates(data_dir / "plan_candidates.csv")
    cells, _ = planfiles.read_targets(data_dir / "plan_targets.csv")
    constraints = planfiles.read_constraints(data_dir / "plan_constraints.toml")
    result = planner.plan(candidates, cells, constraints)
    assert result.status == planner.OPTIMAL
    out = tmp_path / "selection.csv"
    planfiles.write_selection(result, out)
    assert out.read_bytes().startswith(b"\xef\xbb\xbfcandidate_id,copies,")
    written = pd.read_csv(out, dtype={"candidate_id": str}, encoding="utf-8-sig")
    assert list(written.columns) == list(planfiles.SELECTION_FILE_COLUMNS)
    assert (written["copies"] > 0).all()
    assert written["candidate_id"].tolist() == result.selection["candidate_id"].tolist()
    assert "00125" in written["candidate_id"].tolist()  # pinned: always in
    assert "00127" not in written["candidate_id"].tolist()  # excluded: never
    # one copy of work W1: the donation from FR (0 € + 3 € processing + 0.96 € shipping +
    # the 9 € fixed cost, shared with the pinned 00125) beats the 12.50 € local purchase
    assert "00123" in written["candidate_id"].tolist()
    assert "00124" not in written["candidate_id"].tolist()


def test_an_empty_selection_writes_a_header(tmp_path: Path) -> None:
    frame = pd.DataFrame(columns=list(planner.CANDIDATE_COLUMNS))
    cells = pd.DataFrame([("adults", "fiction", "ara", 2, 1.0)], columns=planner.TARGET_COLUMNS)
    result = planner.plan(frame, cells, Constraints(budget_eur=10.0))
    planfiles.write_selection(result, tmp_path / "selection.csv")
    text = (tmp_path / "selection.csv").read_text(encoding="utf-8-sig")
    assert text.strip() == ",".join(planfiles.SELECTION_FILE_COLUMNS)
