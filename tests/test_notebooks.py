"""The notebooks run top to bottom on the demo data and show the figures they claim.

Each notebook is built by notebooks/build_notebooks.py (the committed ``.ipynb`` must be what
it writes: no outputs, no execution counts) and executed with nbclient in a ``python3``
Jupyter kernel — the Python running these tests — in a temporary folder: any cell error fails
the test. The donor notebook makes its own demo project (its default, in the kernel's TMPDIR);
the what-if notebook is given a new demo project through $FUNDPLANNER_NOTEBOOK_PROJECT. The
checks compare what the notebooks print with what the public API says independently: the
donor file's counts, and the scenarios saved in the project.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat
import pandas as pd
import pytest

import fundplanner
from fundplanner import project
from fundplanner.ingest import read_catalogue

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
DONOR_FILE = REPO / "data" / "demo" / "donateur_fr.marc21.mrc"

pytestmark = pytest.mark.slow


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", NOTEBOOKS / "build_notebooks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


builder = _builder()


def kernel_env(tmp: Path, **extra: str | None) -> dict[str, str | None]:
    """The kernel's environment: temporary files, IPython's profile and history under
    ``tmp``; the notebooks' settings unset unless given."""
    return {
        "TMPDIR": str(tmp),
        "IPYTHONDIR": str(tmp / "ipython"),
        builder.PROJECT_VARIABLE: None,
        builder.DONOR_VARIABLE: None,
        **extra,
    }


def repo_snapshot() -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file the notebooks could be tempted to write beside."""
    return {
        str(path.relative_to(REPO)): (path.stat().st_size, path.stat().st_mtime_ns)
        for folder in (NOTEBOOKS, REPO / "data")
        for path in folder.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def cell_outputs(notebook: Any, tag: str | None = None) -> Iterator[Any]:
    for cell in notebook.cells:
        if cell.cell_type == "code" and (tag is None or tag in cell.metadata.get("tags", [])):
            yield from cell.outputs


def printed(notebook: Any, tag: str | None = None) -> str:
    """Everything a cell (or the whole notebook) printed on stdout or showed as text."""
    parts = []
    for output in cell_outputs(notebook, tag):
        if output.output_type == "stream" and output.name == "stdout":
            parts.append(output.text)
        elif "data" in output and "text/plain" in output.data:
            parts.append(output.data["text/plain"])
    return "\n".join(parts)


def shown_table(notebook: Any, tag: str) -> pd.DataFrame:
    """The DataFrame a tagged cell shows (its HTML rendering read back)."""
    html = [
        o.data["text/html"] for o in cell_outputs(notebook, tag) if "text/html" in o.get("data", {})
    ]
    assert len(html) == 1, f"cell {tag!r} shows {len(html)} tables"
    return pd.read_html(StringIO(html[0]))[0]


def images(notebook: Any) -> int:
    return sum("image/png" in o.get("data", {}) for o in cell_outputs(notebook))


def warnings_shown(notebook: Any) -> list[str]:
    return [
        o.text
        for o in cell_outputs(notebook)
        if o.output_type == "stream" and o.name == "stderr" and "Warning" in o.text
    ]


# ------------------------------------------------------------------------------ committed files


@pytest.mark.parametrize("name", sorted(builder.NOTEBOOKS))
def test_committed_notebook_is_the_builders_without_outputs(name: str) -> None:
    path = NOTEBOOKS / f"{name}.ipynb"
    committed = path.read_text(encoding="utf-8")
    assert committed == builder.text(builder.build(name)), (
        f"{path.name} is stale: run python notebooks/build_notebooks.py"
    )
    notebook = nbformat.reads(committed, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_kernel_runs_the_tests_python(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(
        nbformat.v4.new_code_cell(
            "import sys, fundplanner\nprint(sys.prefix)\nprint(fundplanner.__file__)"
        )
    )
    builder.execute(notebook, tmp_path, env=kernel_env(tmp_path), timeout=60)
    assert printed(notebook).split() == [sys.prefix, fundplanner.__file__]


# ------------------------------------------------------------------------------ donor catalogue


@pytest.fixture(scope="module")
def donor_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, Path]:
    """(executed notebook, the project it made, the temporary folder) — default settings."""
    tmp = tmp_path_factory.mktemp("donor")
    before = repo_snapshot()
    notebook = builder.execute(builder.build("analyse_donor_catalogue"), tmp, env=kernel_env(tmp))
    assert repo_snapshot() == before, "the notebook wrote into the repository"
    found = re.search(r"^project: .* \((.+\.fundplan)\)$", printed(notebook), re.M)
    assert found, "the notebook did not say which project it used"
    return notebook, Path(found.group(1)), tmp


def test_donor_notebook_makes_its_demo_project_in_a_temporary_folder(
    donor_run: tuple[Any, Path, Path],
) -> None:
    _, path, tmp = donor_run
    assert path.is_relative_to(tmp) and path.exists()
    assert project.project_info(path)["counts"]["catalogue"] == 5


def test_donor_notebook_shows_the_files_counts(donor_run: tuple[Any, Path, Path]) -> None:
    notebook, _, _ = donor_run
    summary = read_catalogue(DONOR_FILE).summary()
    expected = (
        f"{DONOR_FILE.name}: {summary['format']}, {summary['read']} records read, "
        f"{summary['kept']} kept, {summary['rejected']} rejected, "
        f"{summary['warnings']} warnings, {summary['works']} distinct works"
    )
    assert expected in printed(notebook, "summary")
    line = re.search(r"^languages: (.+)$", printed(notebook, "profile"), re.M)
    assert line
    shown = dict(item.rsplit(" ", 1) for item in line.group(1).split(", "))
    assert {k: int(v) for k, v in shown.items()} == summary["by_language"]
    assert f"all {summary['read']} records were read" in printed(notebook, "problems")


def test_donor_notebook_compares_the_plan_with_and_without_the_file(
    donor_run: tuple[Any, Path, Path],
) -> None:
    notebook, path, _ = donor_run
    table = shown_table(notebook, "with-without").set_index("Unnamed: 0")
    solved = {row["scenario"]: row for row in project.scenario_table(path)}
    for column, scenario in (
        ("with the file", "donor_with"),
        ("without the file", "donor_without"),
    ):
        assert table.loc["selected copies", column] == solved[scenario]["selected_copies"]
        assert table.loc["weighted shortfall", column] == solved[scenario]["shortfall"]
    assert table.loc["selected copies", "the file adds"] == (
        solved["donor_with"]["selected_copies"] - solved["donor_without"]["selected_copies"]
    )
    without = project.plan_selection(path, "donor_without")
    assert not (without["catalogue"] == DONOR_FILE.name).any()
    with_file = project.plan_selection(path, "donor_with")
    assert (with_file["catalogue"] == DONOR_FILE.name).any()


def test_donor_notebook_draws_its_plots_without_warnings(
    donor_run: tuple[Any, Path, Path],
) -> None:
    notebook, _, _ = donor_run
    assert images(notebook) >= 3
    assert warnings_shown(notebook) == []


# ------------------------------------------------------------------------------ budget what-if


@pytest.fixture(scope="module")
def what_if_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """(executed notebook, the demo project given to it through the environment)."""
    tmp = tmp_path_factory.mktemp("what_if")
    path = tmp / "alram.fundplan"
    project.init_project(path, demo=True)
    before = repo_snapshot()
    env = kernel_env(tmp, **{builder.PROJECT_VARIABLE: str(path)})
    notebook = builder.execute(builder.build("budget_what_if"), tmp, env=env)
    assert repo_snapshot() == before, "the notebook wrote into the repository"
    return notebook, path


def test_what_if_table_has_one_row_per_scenario(what_if_run: tuple[Any, Path]) -> None:
    notebook, path = what_if_run
    assert f"({path})" in printed(notebook)
    table = shown_table(notebook, "comparison")
    solved = {row["scenario"]: row for row in project.scenario_table(path)}
    what_ifs = sorted(name for name in solved if name.startswith("whatif_"))
    assert len(what_ifs) >= 5
    assert sorted(table["scenario"]) == what_ifs
    for row in table.to_dict(orient="records"):
        saved = solved[row["scenario"]]
        assert row["cost_eur"] == pytest.approx(saved["cost_eur"], abs=0.01)
        assert row["selected_copies"] == saved["selected_copies"]
        assert row["cost_eur"] <= row["budget_eur"] + 0.01
        assert row["freight_auto_eur"] <= row["freight_eur"] + 0.01  # auto: each origin's cheapest


def test_what_if_variants_change_what_they_say(what_if_run: tuple[Any, Path]) -> None:
    notebook, _ = what_if_run
    table = shown_table(notebook, "comparison").set_index("scenario")
    base = table.loc["whatif_base"]
    # Dearer dinars and dollars make the same selection cost more; cheaper ones, less.
    assert table.loc["whatif_jod_usd_plus_15", "cost_eur"] > base["cost_eur"]
    assert table.loc["whatif_jod_usd_minus_15", "cost_eur"] < base["cost_eur"]
    # A tighter budget selects fewer copies and leaves a larger shortfall.
    assert table.loc["whatif_tight", "budget_eur"] < base["cost_eur"]
    assert table.loc["whatif_tight", "selected_copies"] < base["selected_copies"]
    assert table.loc["whatif_tight", "shortfall"] > base["shortfall"]
    uses = shown_table(notebook, "uses")
    assert len(uses) == len(table)


def test_what_if_draws_its_plots_without_warnings(what_if_run: tuple[Any, Path]) -> None:
    notebook, _ = what_if_run
    assert images(notebook) >= 3
    assert warnings_shown(notebook) == []
