"""Write the analysis notebooks from the cells below, without outputs.

The ``.ipynb`` files in this folder are generated: their cells are written here, as reviewable
Python text, and this script writes them with nbformat — no outputs, no execution counts, fixed
cell ids — so that a diff of a notebook is a diff of this file.

    .venv/bin/python notebooks/build_notebooks.py                  # write notebooks/*.ipynb
    .venv/bin/python notebooks/build_notebooks.py --check          # exit 1 when they are stale
    .venv/bin/python notebooks/build_notebooks.py --execute out/notebooks
                                                                    # run them, save the results

``--execute`` runs each notebook top to bottom in a Jupyter kernel (``python3``: the kernel of
the Python running this script) in a temporary folder, on a new demo project, and saves the
executed copies (with outputs and plots) in the folder given; ``tests/test_notebooks.py`` runs
them the same way.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import nbformat

HERE = Path(__file__).resolve().parent
KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

#: The environment variables the notebooks read.
PROJECT_VARIABLE = "FUNDPLANNER_NOTEBOOK_PROJECT"
DONOR_VARIABLE = "FUNDPLANNER_DONOR_FILE"

Cell = tuple[str, str, tuple[str, ...]]  # kind ("markdown" or "code"), source, tags


def md(text: str) -> Cell:
    return ("markdown", textwrap.dedent(text).strip(), ())


def code(text: str, *tags: str) -> Cell:
    return ("code", textwrap.dedent(text).strip(), tags)


SETUP = f"""
    import os
    import tempfile
    from pathlib import Path

    import matplotlib.pyplot as plt
    import pandas as pd

    from fundplanner import project

    %matplotlib inline
    pd.set_option("display.max_columns", 30)
    pd.set_option("display.width", 160)

    # The project: ${PROJECT_VARIABLE}, else a new demo project in a temporary folder.
    PROJECT = os.environ.get("{PROJECT_VARIABLE}")
    if not PROJECT:
        PROJECT = str(Path(tempfile.mkdtemp(prefix="fundplanner-notebook-")) / "alram.fundplan")
        project.init_project(PROJECT, demo=True)
    info = project.project_info(PROJECT)
    print(f"project: {{info['name']}} ({{PROJECT}})")
    held = info["counts"]
    print(f"candidates: {{held['candidate']}} from {{held['catalogue']}} catalogues")
"""

AUDIENCE_ORDER = '["early", "children", "teens", "adults"]'

# --------------------------------------------------------------------------- donor catalogue

DONOR_CELLS: list[Cell] = [
    md(
        f"""
        # Analyse a donor catalogue

        A partner offers a catalogue of books. Before the steering committee accepts it, this
        notebook answers four questions: **what is in it** (languages, audiences, categories,
        years), **what is duplicated** (within the file, and against the catalogues the project
        already has), **what could not be read**, and **what it would add to the current plan**.
        It uses only fundplanner's public API (`fundplanner.ingest`, `fundplanner.project`) and
        runs top to bottom on the Al Ram demo data.

        Settings (environment variables, read below):

        - `{DONOR_VARIABLE}` — the catalogue to analyse (default: the demo's
          `data/demo/donateur_fr.marc21.mrc`, offered by *Les Livres Voyageurs*);
        - `{PROJECT_VARIABLE}` — the project to compare it with, in which the file is already
          imported (default: a new Al Ram demo project in a temporary folder, which holds the
          five demo catalogues). The notebook adds two scenarios to it, `donor_with` and
          `donor_without`: point it at a copy of a real project.
        """
    ),
    code(SETUP),
    code(
        f"""
        import tomllib

        from fundplanner.ingest import IngestOptions, read_catalogue, read_catalogues

        DEMO_DIR = project.DEMO_DIR  # data/demo of this fundplanner
        DONOR_FILE = Path(os.environ.get("{DONOR_VARIABLE}") or DEMO_DIR / "donateur_fr.marc21.mrc")
        DONOR = DONOR_FILE.name  # the catalogue's name in the project

        # How the demo imports each catalogue (partner, origin, acquisition): project.toml.
        with (DEMO_DIR / "project.toml").open("rb") as handle:
            DEMO_CATALOGUES = tomllib.load(handle)["catalogues"]
        spec = DEMO_CATALOGUES.get(DONOR, {{}})
        options = IngestOptions(origin=spec.get("origin"), acquisition=spec.get("acquisition"))

        result = read_catalogue(DONOR_FILE, options=options)
        titles = result.titles
        summary = result.summary()
        print(f"partner: {{spec.get('partner', '(not a demo catalogue)')}}")
        print(
            f"{{DONOR}}: {{summary['format']}}, {{summary['read']}} records read, "
            f"{{summary['kept']}} kept, {{summary['rejected']}} rejected, "
            f"{{summary['warnings']}} warnings, {{summary['works']}} distinct works"
        )
        """,
        "summary",
    ),
    md(
        """
        ## What is in it

        Every record became one row of the candidate table: its language (from the record's
        codes, its script, or the language detector), its audience and category (from its codes,
        its Dewey number or its words), its year and its estimated size.
        """
    ),
    code(
        f"""
        def counts(column, order=None):
            values = titles[column].astype("string").fillna("(none)").value_counts()
            if order:
                first = [v for v in order if v in values.index]
                values = values.reindex(first + [v for v in values.index if v not in order])
            return values.astype(int)


        languages = counts("language")
        audiences = counts("audience", {AUDIENCE_ORDER})
        categories = counts("category")
        print("languages:", ", ".join(f"{{k}} {{v}}" for k, v in languages.items()))
        print("audiences:", ", ".join(f"{{k}} {{v}}" for k, v in audiences.items()))
        pd.crosstab(
            titles["audience"].astype("string"),
            titles["language"].astype("string"),
            margins=True,
            margins_name="total",
        ).reindex([*{AUDIENCE_ORDER}, "total"])
        """,
        "profile",
    ),
    code(
        """
        years = titles["year"].dropna().astype(int)
        decades = (years // 10 * 10).value_counts().sort_index()
        print(
            f"years: {years.min()}–{years.max()}, median {int(years.median())}; "
            f"{int((years < 2000).sum())} of {len(years)} dated titles were published before 2000, "
            f"{len(titles) - len(years)} have no year"
        )

        fig, axes = plt.subplots(2, 2, figsize=(13, 8))
        languages.plot.bar(ax=axes[0, 0], rot=0, color="tab:blue", title="By language")
        audiences.plot.bar(ax=axes[0, 1], rot=0, color="tab:green", title="By audience")
        categories.sort_values().plot.barh(ax=axes[1, 0], color="tab:orange", title="By category")
        decades.plot.bar(ax=axes[1, 1], color="tab:purple", title="By decade of publication")
        axes[1, 1].set_xlabel("decade")
        fig.tight_layout()
        plt.show()
        """
    ),
    md(
        """
        ## Duplicates

        The `work_key` links records of the same book (the same ISBN, or the same normalised
        title, author and language); the `work_group` links the translations of one work. A plan
        takes at most one copy of a work across all sources by default, so a title that another
        partner already offers adds nothing unless it is cheaper to get from this one.
        """
    ),
    code(
        """
        by_work = titles.groupby("work_key").agg(
            records=("title", "size"), title=("title", "first"), language=("language", "first")
        )
        within = by_work[by_work["records"] > 1].sort_values("records", ascending=False)
        translated = titles.groupby("work_group")["work_key"].nunique()
        print(
            f"within the file: {len(within)} works appear more than once "
            f"({int(within['records'].sum())} records); "
            f"{int((translated > 1).sum())} works come in more than one language"
        )
        within.head(10)
        """,
        "duplicates",
    ),
    code(
        """
        # The other catalogues of the demo project, read together with the donor's file so that
        # their work keys are linked exactly as a project links them after an import.
        others = [DEMO_DIR / name for name in DEMO_CATALOGUES if name != DONOR]
        linked = read_catalogues([*others, DONOR_FILE]).titles
        mine = linked[linked["source"] == DONOR]
        theirs = linked[linked["source"] != DONOR]
        offered = mine["work_key"].isin(set(theirs["work_key"]))
        print(
            f"against the other catalogues: {int(offered.sum())} of the file's {len(mine)} titles "
            f"({offered.mean():.0%}) are works another partner already offers; "
            f"{int((~offered).sum())} are new"
        )
        overlap = (
            theirs[theirs["work_key"].isin(set(mine["work_key"]))]
            .groupby("source")["work_key"]
            .nunique()
            .rename("works shared with the file")
        )

        status = offered.map({True: "already offered", False: "new"}).rename("")
        fig, ax = plt.subplots(figsize=(7, 4))
        pd.crosstab(mine["language"].astype("string"), status).plot.bar(
            ax=ax, stacked=True, rot=0, title="The file's titles: new or already offered"
        )
        fig.tight_layout()
        plt.show()
        overlap.to_frame()
        """,
        "overlap",
    ),
    md(
        """
        ## Problems

        Every record is either a row of the table or the subject of a problem that says what was
        wrong and how to fix it (errors reject a record, warnings keep it with the field empty).
        """
    ),
    code(
        """
        problems = result.problems_frame()
        if problems.empty:
            print(f"no problems: all {summary['read']} records were read and kept whole")
        else:
            print(f"{len(problems)} problems; rejected by reason: {result.rejected_by_reason()}")
            display(problems.groupby(["severity", "kind"]).size().rename("problems").to_frame())
        problems.head(20)
        """,
        "problems",
    ),
    md(
        """
        ## What it would add to the current plan

        Two scenarios of the project are solved with the same parameters: `donor_with` plans
        over every catalogue; `donor_without` excludes the file's titles (exclusions are the
        public way to keep candidates out of a scenario). When one offer of a work is excluded
        the optimiser may take another offer of the file instead, so the exclusions are repeated
        until the plan takes nothing from the file: that plan is then also the best plan over
        the other catalogues alone, since it is one of them. The MILP polish is off
        (`polish=False`) to keep the notebook fast; the plans are the rounded LP answers.
        """
    ),
    code(
        """
        with_file = project.plan_project(PROJECT, "donor_with", polish=False)
        chosen = project.plan_selection(PROJECT, "donor_with")
        taken = chosen[chosen["catalogue"] == DONOR]
        if taken.empty:
            print(f"the plan takes nothing from {DONOR}: is it imported in this project?")
        print(f"with the file: the plan takes {int(taken['copies'].sum())} of its copies")

        excluded = set()
        rounds = 0
        while True:
            rounds += 1
            without_file = project.plan_project(
                PROJECT, "donor_without", exclude=sorted(excluded), polish=False
            )
            selection = project.plan_selection(PROJECT, "donor_without")
            still = set(selection.loc[selection["catalogue"] == DONOR, "candidate_id"].astype(int))
            if not still:
                break
            if rounds == 100:
                raise RuntimeError("the plan still takes the file's titles after 100 rounds")
            excluded |= still
        print(f"without the file: {len(excluded)} of its candidates excluded in {rounds} rounds")
        """
    ),
    code(
        """
        def figures(outcome):
            plan = outcome.plan
            cells = plan.cells[plan.cells["target"] > 0]
            return {
                "selected copies": int(plan.selection["copies"].sum()),
                "copies short of the targets": int(cells["shortfall"].sum()),
                "weighted shortfall": float(plan.shortfall),
                "cells filled": int((cells["shortfall"] == 0).sum()),
                "cells short": int((cells["shortfall"] > 0).sum()),
                "cost (EUR)": round(float(plan.cost_eur), 2),
            }


        comparison = pd.DataFrame(
            {"without the file": figures(without_file), "with the file": figures(with_file)}
        )
        comparison["the file adds"] = comparison["with the file"] - comparison["without the file"]
        comparison
        """,
        "with-without",
    ),
    code(
        f"""
        keys = ["audience", "category", "language"]
        cells = with_file.plan.cells[[*keys, "target", "selected"]].merge(
            without_file.plan.cells[[*keys, "selected"]], on=keys, suffixes=("_with", "_without")
        )
        cells["added"] = cells["selected_with"] - cells["selected_without"]
        by_audience = cells.pivot_table(
            index="audience", columns="language", values="added", aggfunc="sum"
        ).reindex({AUDIENCE_ORDER})
        short = (
            cells.assign(
                short_without=(cells["target"] - cells["selected_without"]).clip(lower=0),
                short_with=(cells["target"] - cells["selected_with"]).clip(lower=0),
            )
            .groupby("audience")[["short_without", "short_with"]]
            .sum()
            .reindex({AUDIENCE_ORDER})
        )

        fig, axes = plt.subplots(1, 2, figsize=(13, 4))
        by_audience.plot.bar(ax=axes[0], rot=0, title="Copies the file adds to the plan")
        short.columns = ["without the file", "with the file"]
        short.plot.bar(ax=axes[1], rot=0, title="Copies short of the targets")
        fig.tight_layout()
        plt.show()
        print(
            f"the file adds {{int(cells['added'].sum())}} copies to the plan, in "
            f"{{int((cells['added'] > 0).sum())}} cells"
        )
        cells[cells["added"] != 0].sort_values("added", ascending=False).head(15)
        """,
        "cells",
    ),
]

# --------------------------------------------------------------------------- budget what-if

WHAT_IF_CELLS: list[Cell] = [
    md(
        f"""
        # Budget what-if

        The same plan under other budgets, exchange rates and shipping modes, side by side. Each
        variant is a scenario of the project (`fundplanner plan --scenario NAME` does the same
        from the command line): the optimiser chooses the titles within the scenario's budget,
        pricing purchases at its exchange rates and shipping by its mode; then the shipping plan
        packs and costs what was chosen, and the project budget counts it. It uses only
        fundplanner's public API (`fundplanner.project`, `fundplanner.budget`) and runs top to
        bottom on the Al Ram demo data.

        Setting (environment variable, read below): `{PROJECT_VARIABLE}` — the project (default:
        a new Al Ram demo project in a temporary folder). The notebook adds scenarios named
        `whatif_…` to it: point it at a copy of a real project.
        """
    ),
    code(SETUP),
    md(
        """
        ## The variants

        The Ramallah bookseller prices its offer in Jordanian dinars and US dollars; the
        reference rates are those of `fundplanner/reference/exchange_rates.csv`. The tight budget
        is 70 % of what the base plan costs, so that the budget binds and the other changes show
        in the selection too (the project's own budget is far above what its candidates cost:
        the demo catalogues cannot fill the targets, whatever the money). The MILP polish is off
        (`polish=False`) to keep the notebook fast.
        """
    ),
    code(
        """
        from fundplanner import budget

        reference = budget.rate_table()
        RATES = {currency: reference.eur_per_unit[currency] for currency in ("JOD", "USD")}
        print("reference rates (EUR per unit):", RATES)


        def rates_times(factor):
            return {currency: round(rate * factor, 4) for currency, rate in RATES.items()}


        # Every variant sets these parameters (None: the project's default), so that a variant
        # solved again on the same project does not keep an earlier run's values.
        RESET = {"budget_eur": None, "exchange_rates": None, "shipping_mode": None}
        base = project.plan_project(
            PROJECT, "whatif_base", changes={**RESET, "shipping_mode": "sea_groupage"}, polish=False
        )
        TIGHT = round(base.plan.cost_eur * 0.7, -2)
        SEA, AIR = {"shipping_mode": "sea_groupage"}, {"shipping_mode": "air"}
        UP, DOWN = rates_times(1.15), rates_times(0.85)
        SCENARIOS = {
            "whatif_base": SEA,
            "whatif_jod_usd_plus_15": {**SEA, "exchange_rates": UP},
            "whatif_jod_usd_minus_15": {**SEA, "exchange_rates": DOWN},
            "whatif_air": AIR,
            "whatif_tight": {**SEA, "budget_eur": TIGHT},
            "whatif_tight_plus_15": {**SEA, "budget_eur": TIGHT, "exchange_rates": UP},
            "whatif_tight_air": {**AIR, "budget_eur": TIGHT},
        }
        outcomes = {"whatif_base": base}
        for name, changes in SCENARIOS.items():
            if name not in outcomes:
                outcomes[name] = project.plan_project(
                    PROJECT, name, changes={**RESET, **changes}, polish=False
                )
        print(f"{len(outcomes)} scenarios solved; tight budget: {TIGHT:,.0f} EUR")
        """
    ),
    md(
        """
        ## Side by side

        From the project's scenario table (`project.scenario_table`): the budget, what the plan
        costs (purchases, processing and shipping as the optimiser prices them), the copies
        selected and the shortfall against the targets. From the shipping plan
        (`project.ship_project`): the freight by the scenario's mode, and by `auto` (each
        origin's cheapest feasible mode). From the project budget (`project.budget_project`):
        all the uses (training, equipment… and the lines computed from this plan) and the balance
        against the funding sources.
        """
    ),
    code(
        """
        def changes_text(name):
            return ", ".join(f"{key}={value}" for key, value in SCENARIOS[name].items())


        rows = []
        for name in SCENARIOS:
            balance = project.budget_project(PROJECT, name).balance
            rows.append(
                {
                    "scenario": name,
                    "freight_eur": round(project.ship_project(PROJECT, name).total_cost_eur, 2),
                    "freight_auto_eur": round(
                        project.ship_project(PROJECT, name, mode="auto").total_cost_eur, 2
                    ),
                    "budget_uses_eur": balance["uses"],
                    "budget_balance_eur": balance["balance"],
                }
            )
        solved = pd.DataFrame(project.scenario_table(PROJECT)).set_index("scenario")
        comparison = (
            solved.loc[
                list(SCENARIOS),
                ["budget_eur", "cost_eur", "selected_copies", "shortfall", "cells_short", "status"],
            ]
            .join(pd.DataFrame(rows).set_index("scenario"))
            .assign(changes=[changes_text(name) for name in SCENARIOS])
            .round(2)
            .reset_index()
        )
        comparison
        """,
        "comparison",
    ),
    code(
        """
        names = [name.removeprefix("whatif_") for name in comparison["scenario"]]
        shipping_part = [outcomes[name].plan.origins["shipping_eur"].sum() for name in SCENARIOS]
        top = comparison["cost_eur"].max() * 1.4  # a budget above this is off the chart
        binding = comparison["budget_eur"] <= top

        fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
        axes[0].bar(names, comparison["cost_eur"], color="tab:blue", label="plan cost")
        axes[0].bar(names, shipping_part, color="tab:orange", label="of which shipping")
        axes[0].scatter(
            comparison.loc[binding, "scenario"].str.removeprefix("whatif_"),
            comparison.loc[binding, "budget_eur"],
            color="black",
            marker="_",
            s=600,
            label="budget",
        )
        axes[0].set_ylim(0, top)
        axes[0].set_title("Plan cost (EUR)")
        axes[0].legend(loc="upper center", ncol=3, fontsize="small")
        axes[1].bar(names, comparison["selected_copies"], color="tab:green")
        axes[1].set_title("Copies selected")
        axes[2].bar(names, comparison["shortfall"] - base.plan.shortfall, color="tab:red")
        axes[2].set_title("Weighted shortfall above the base plan's")
        for ax in axes:
            ax.tick_params(axis="x", labelrotation=45)
            for label in ax.get_xticklabels():
                label.set_horizontalalignment("right")
        fig.tight_layout()
        plt.show()
        """
    ),
    md(
        """
        ## The project budget under each variant

        The budget counts the lines computed from each plan (collection, processing, shipping)
        instead of the manual estimates of those kinds; training, equipment and other lines are
        the same in every variant.
        """
    ),
    code(
        """
        def uses_by_kind(name):
            return project.budget_project(PROJECT, name).by_kind.set_index("kind")["counted"]


        uses = pd.DataFrame({name: uses_by_kind(name) for name in SCENARIOS}).T
        uses.index = uses.index.str.removeprefix("whatif_")
        ax = uses.plot.bar(stacked=True, figsize=(10, 4.5), rot=30, title="Budget uses (EUR)")
        ax.legend(loc="center left", bbox_to_anchor=(1, 0.5))
        plt.show()
        uses.round(2)
        """,
        "uses",
    ),
    md(
        """
        ## Shipping modes for the base selection

        The shipping plan costs every mode for each origin (`cost_eur_<mode>`; empty where a mode
        cannot take the consignment) and `auto` takes each origin's cheapest. Groupage and
        containers carry a fixed cost per consignment, so a small consignment can travel cheaper
        by post or by air.
        """
    ),
    code(
        """
        shipment = project.ship_project(PROJECT, "whatif_base", mode="auto")
        by_origin = shipment.by_origin.set_index("origin")
        modes = [c for c in by_origin.columns if c.startswith("cost_eur_")]
        costs = by_origin[modes].rename(columns=lambda c: c.removeprefix("cost_eur_"))
        ax = costs.plot.bar(figsize=(10, 4.5), rot=0, title="Freight of the base selection (EUR)")
        ax.set_xlabel("origin")
        plt.show()
        cheapest = by_origin["cheapest_mode"]
        print("cheapest feasible mode:", ", ".join(f"{o} {m}" for o, m in cheapest.items()))
        by_origin[["mode", "copies", "cartons", "kg", "m3", "cost_eur"]]
        """,
        "modes",
    ),
]

NOTEBOOKS: dict[str, list[Cell]] = {
    "analyse_donor_catalogue": DONOR_CELLS,
    "budget_what_if": WHAT_IF_CELLS,
}


def build(name: str) -> Any:
    """The notebook ``name`` without outputs: cells with fixed ids, the python3 kernel."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = dict(KERNEL)
    notebook.metadata["language_info"] = {"name": "python"}
    for number, (kind, source, tags) in enumerate(NOTEBOOKS[name], 1):
        make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
        cell = make(source)
        cell.id = f"{name.replace('_', '-')}-{number:02d}"
        if tags:
            cell.metadata["tags"] = list(tags)
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return notebook


def text(notebook: Any) -> str:
    return str(nbformat.writes(notebook)) + "\n"


def execute(
    notebook: Any,
    workdir: Path,
    *,
    env: Mapping[str, str | None] | None = None,
    timeout: int = 300,
) -> Any:
    """Run ``notebook`` top to bottom in a python3 kernel started in ``workdir``, with this
    process's environment changed by ``env`` (a None value removes the variable); raises
    nbclient's CellExecutionError on the first cell that fails. The kernel runs this process's
    Python: jupyter_client starts the kernelspec's ``python`` as ``sys.executable``."""
    from nbclient import NotebookClient

    client = NotebookClient(
        notebook,
        kernel_name=KERNEL["name"],
        timeout=timeout,
        resources={"metadata": {"path": str(workdir)}},
    )
    environment = dict(os.environ)
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    client.execute(env=environment)
    return notebook


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a notebook is stale")
    parser.add_argument("--execute", type=Path, metavar="DIR", help="run them, save copies in DIR")
    args = parser.parse_args(argv)
    stale = []
    for name in NOTEBOOKS:
        path = HERE / f"{name}.ipynb"
        wanted = text(build(name))
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if args.check:
            if current != wanted:
                stale.append(path.name)
        elif current != wanted:
            path.write_text(wanted, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(
            f"stale: {', '.join(stale)}; run python notebooks/build_notebooks.py", file=sys.stderr
        )
        return 1
    if args.execute:
        args.execute.mkdir(parents=True, exist_ok=True)
        for name in NOTEBOOKS:
            with tempfile.TemporaryDirectory(prefix="fundplanner-notebook-") as workdir:
                # The notebook's own demo project goes to the kernel's TMPDIR: removed here.
                executed = execute(build(name), Path(workdir), env={"TMPDIR": workdir})
            out = args.execute / f"{name}.ipynb"
            out.write_text(text(executed), encoding="utf-8")
            print(f"executed {name}: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
