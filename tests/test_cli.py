"""The command line: `fundplanner scan` and the exit-code contract (0 / 1 / 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pymarc
import pytest
from click.testing import CliRunner

from fundplanner.cli import cli
from fundplanner.model import CANDIDATE_COLUMNS


def write_marc(path: Path, titles: list[str | None]) -> Path:
    records = []
    for n, title in enumerate(titles):
        record = pymarc.Record(force_utf8=True)
        record.add_field(pymarc.Field(tag="001", data=f"r{n}"))
        record.add_field(pymarc.Field(tag="008", data=" " * 35 + "fre  "))
        if title:
            record.add_field(
                pymarc.Field(
                    tag="245",
                    indicators=pymarc.Indicators("1", "0"),
                    subfields=[pymarc.Subfield("a", title)],
                )
            )
        records.append(record.as_marc())
    path.write_bytes(b"".join(records))
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_scan_writes_the_table_and_the_problems(tmp_path: Path) -> None:
    marc = write_marc(tmp_path / "dons.mrc", ["Germinal", None, "Nana"])
    out, problems = tmp_path / "out.csv", tmp_path / "problems.csv"
    code, output = run("scan", str(marc), "--out", str(out), "--problems", str(problems))
    assert code == 0, output
    assert "Read:     3 records" in output
    assert "Kept:     2 candidates" in output
    assert "missing_title" in output
    table = pd.read_csv(out, dtype=str)
    assert list(table.columns) == list(CANDIDATE_COLUMNS)
    assert table["title"].tolist() == ["Germinal", "Nana"]
    report = pd.read_csv(problems, dtype=str)
    assert report.loc[0, "record"] == "2" and report.loc[0, "kind"] == "missing_title"
    assert report.loc[0, "file"] == str(marc)


def test_scan_json_prints_one_object(tmp_path: Path) -> None:
    marc = write_marc(tmp_path / "dons.mrc", ["Germinal"])
    code, output = run("scan", str(marc), "--out", str(tmp_path / "o.csv"), "--json")
    assert code == 0
    summary = json.loads(output)
    assert summary["read"] == 1 and summary["kept"] == 1
    assert summary["by_language"] == {"fre": 1}


def test_nothing_read_exits_1_and_says_why(tmp_path: Path) -> None:
    bad = tmp_path / "notes.xls"
    bad.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 64)
    code, output = run("scan", str(bad), "--out", str(tmp_path / "o.csv"))
    assert code == 1
    assert "notes.xls" in output and ".xlsx" in output


@pytest.mark.parametrize(
    "args",
    [
        ["scan"],  # no file
        ["scan", "x.mrc"],  # no --out
        ["scan", "x.mrc", "--out", "o.csv", "--format", "pdf"],
        ["scan", "x.mrc", "--out", "o.csv", "--acquisition", "theft"],
        ["nonsense"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, _ = run(*args)
    assert code == 2


def test_python_m_fundplanner_is_the_same_command(tmp_path: Path) -> None:
    marc = write_marc(tmp_path / "dons.mrc", ["Germinal"])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "fundplanner",
            "scan",
            str(marc),
            "--out",
            str(tmp_path / "o.csv"),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["kept"] == 1


def test_a_bad_mapping_file_is_a_domain_error(tmp_path: Path) -> None:
    table = tmp_path / "list.csv"
    table.write_text("Nom;Prix\nX;3\n", encoding="utf-8")
    mapping = tmp_path / "map.toml"
    mapping.write_text('[columns]\ntitle = "Intitulé"\n', encoding="utf-8")
    code, output = run(
        "scan", str(table), "--mapping", str(mapping), "--out", str(tmp_path / "o.csv")
    )
    assert code == 1
    assert "Intitulé" in output and "Nom" in output
