"""The ``fundplanner`` command line: a thin shell over the package.

Exit codes everywhere: 0 success, 1 a domain error (the message says how to fix it),
2 a usage error (click's own). ``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from fundplanner import __version__, planner
from fundplanner import project as project_ops
from fundplanner.errors import FundplannerError
from fundplanner.ingest import IngestOptions, IngestResult, read_catalogues
from fundplanner.ingest.sniff import FORMAT_NAMES
from fundplanner.model import ACQUISITION_KINDS, PROJECT_LANGUAGES

#: Exit code for a run that could read nothing at all.
EXIT_NOTHING_READ = 1


JSON_OPTION = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object instead of text."
)


def ingest_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every command that reads catalogues shares (scan, import).

    The command receives ``fmt``, ``mapping`` and ``options`` (an IngestOptions).
    """

    @click.option(
        "--format",
        "fmt",
        type=click.Choice([*FORMAT_NAMES, "tsv"], case_sensitive=False),
        help="Read every FILE as this format instead of sniffing it from the bytes.",
    )
    @click.option(
        "--mapping",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="A TOML column mapping for CSV/XLSX files (see README, 'Column mapping').",
    )
    @click.option(
        "--acquisition",
        type=click.Choice(ACQUISITION_KINDS),
        help="How rows without their own acquisition column are acquired "
        "(default: purchase when priced, else donation).",
    )
    @click.option(
        "--origin", help="Where these titles ship from (a country or city code, e.g. FR)."
    )
    @click.option("--currency", help="Currency of prices that name none (ISO 4217, e.g. JOD).")
    @click.option(
        "--detector",
        type=click.Choice(["lingua", "langdetect"]),
        help="Language detector for records without language codes (default: the measured best).",
    )
    @functools.wraps(command)
    def wrapper(
        *args: Any,
        acquisition: str | None,
        origin: str | None,
        currency: str | None,
        detector: str | None,
        **kwargs: Any,
    ) -> Any:
        kwargs["options"] = IngestOptions(
            acquisition=acquisition,
            origin=origin,
            currency=currency.upper() if currency else None,
            detector=detector,
        )
        return command(*args, **kwargs)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="fundplanner")
def cli() -> None:
    """Plan the starting collection of a trilingual (Arabic / French / English) library."""


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the candidate table here (CSV, UTF-8).",
)
@click.option(
    "--problems",
    "problems_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write every problem found (file, record, field, kind, message) here (CSV).",
)
@ingest_options
@JSON_OPTION
def scan(
    files: tuple[Path, ...],
    out: Path,
    problems_out: Path | None,
    fmt: str | None,
    mapping: Path | None,
    options: IngestOptions,
    as_json: bool,
) -> None:
    """Read catalogue FILEs (MARC21, UNIMARC, MARCXML, CSV, XLSX) into one candidate table.

    Prints how many records were read, kept and rejected (by reason) and the languages
    found. Exits 0 when anything was read, 1 when nothing could be.

    Example: fundplanner scan dons.mrc libraire.xlsx --out candidats.csv --problems pb.csv
    """
    try:
        result = read_catalogues(files, format=fmt, mapping=mapping, options=options)
        _write_csv(result.titles, out)
        if problems_out is not None:
            _write_csv(result.problems_frame(), problems_out)
    except FundplannerError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot write the output: {exc}") from exc
    summary = result.summary()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        _print_summary(result, summary, out, problems_out)
    if result.records_read == 0:
        sys.exit(EXIT_NOTHING_READ)


def _write_csv(frame: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8")


def _print_summary(
    result: IngestResult, summary: dict[str, Any], out: Path, problems_out: Path | None
) -> None:
    echo = click.echo
    echo(f"Files:    {len(result.files)}")
    echo(f"Read:     {summary['read']} records")
    echo(f"Kept:     {summary['kept']} candidates ({summary['works']} distinct works)")
    echo(f"Rejected: {summary['rejected']}")
    for reason, count in summary["rejected_by_reason"].items():
        echo(f"  {reason:<20} {count}")
    languages = summary["by_language"]
    echo("Languages: " + ", ".join(f"{code} {n}" for code, n in languages.items()))
    undetermined = languages.get("und", 0)
    others = sum(n for code, n in languages.items() if code not in (*PROJECT_LANGUAGES, "und"))
    if undetermined:
        echo(
            f"  ({undetermined} undetermined: no code and too short or unclear to detect;"
            " a librarian decides, or give the file's language in a mapping)"
        )
    if others:
        echo(f"  ({others} candidates are in none of {', '.join(PROJECT_LANGUAGES)})")
    echo(f"Warnings: {summary['warnings']}")
    unreadable = [p for p in result.problems if p.record is None and p.severity.value == "error"]
    for problem in unreadable:
        echo(f"  ! {problem}", err=True)
    echo(f"Candidates written to {out}")
    if problems_out is not None:
        echo(f"Problems written to {problems_out}")
    elif result.problems:
        echo("Use --problems FILE.csv to see every problem with its record and field.")


# --------------------------------------------------------------------------- project record

PROJECT_ARG = click.argument("project", metavar="PROJECT")


@cli.command()
@PROJECT_ARG
@click.option("--demo", is_flag=True, help="Load the Al Ram demo project: record and catalogues.")
@click.option("--name", help="The project's name (default: the file name).")
def init(project: str, demo: bool, name: str | None) -> None:
    """Create a project: a new .fundplan file (or an empty database named by a URL).

    Example: fundplanner init alram.fundplan --demo
    """
    try:
        project_ops.init_project(project, name=name, demo=demo)
        info = project_ops.project_info(project)
    except FundplannerError as exc:
        raise click.ClickException(str(exc)) from exc
    counts = info["counts"]
    click.echo(f"Created {project}: {info['name']} (schema {info['schema']})")
    if demo:
        click.echo(
            f"  {counts['partner']} partners, {counts['catalogue']} catalogues, "
            f"{counts['candidate']} candidates, {counts['committee_member']} committee members, "
            f"{counts['training_module']} training modules, {counts['budget_line']} budget lines"
        )


@cli.command(name="import")
@PROJECT_ARG
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--partner", help="The partner these catalogues come from (as named in the project).")
@click.option(
    "--replace",
    "replace_existing",
    is_flag=True,
    help="Replace an earlier import of the same file.",
)
@ingest_options
@JSON_OPTION
def import_(
    project: str,
    files: tuple[Path, ...],
    partner: str | None,
    replace_existing: bool,
    fmt: str | None,
    mapping: Path | None,
    options: IngestOptions,
    as_json: bool,
) -> None:
    """Import catalogue FILEs into a project, each file in one transaction.

    The same file twice is refused (by its checksum) unless --replace is given.

    Example: fundplanner import alram.fundplan dons.mrc --partner "Les Livres Voyageurs"
    """
    try:
        summaries = project_ops.import_files(
            project,
            files,
            partner=partner,
            options=options,
            format=fmt,
            mapping=mapping,
            replace_existing=replace_existing,
        )
    except FundplannerError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in summaries], ensure_ascii=False))
        return
    for s in summaries:
        verb = "replaced" if s.replaced else "imported"
        click.echo(
            f"{s.file}: {verb} as catalogue {s.catalogue_id}: read {s.read}, kept {s.kept}, "
            f"rejected {s.rejected}, warnings {s.warnings}"
        )


@cli.command()
@PROJECT_ARG
@JSON_OPTION
def info(project: str, as_json: bool) -> None:
    """Show what a project holds: partners, catalogues, candidates, record, milestones."""
    try:
        summary = project_ops.project_info(project)
    except FundplannerError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, default=str))
        return
    click.echo(f"{summary['name']} — {summary['partner_town']} (schema {summary['schema']})")
    for table, count in summary["counts"].items():
        if table != "audit":
            click.echo(f"  {table:<18} {count}")
    languages = summary["candidates_by_language"]
    click.echo("  languages: " + ", ".join(f"{k} {v}" for k, v in languages.items()))
    for currency, money in summary["budget"].items():
        click.echo(
            f"  budget ({currency}): uses {money['uses']:,.2f}, sources {money['sources']:,.2f},"
            f" balance {money['balance']:+,.2f}"
        )
    click.echo(
        "  agreement: " + " → ".join(f"{m['step']} ({m['status']})" for m in summary["milestones"])
    )


@cli.command()
@PROJECT_ARG
def upgrade(project: str) -> None:
    """Upgrade an older project's schema to this version of fundplanner (back it up first)."""
    try:
        before, after = project_ops.upgrade_project(project)
    except FundplannerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{project}: schema {before} → {after}")


@cli.command()
@PROJECT_ARG
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
def backup(project: str, out: Path) -> None:
    """Write the whole project to one portable archive (ZIP: JSON lines and a checked manifest)."""
    try:
        summary = project_ops.backup_project(project, out)
    except FundplannerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{project} backed up to {out}: {summary}")


@cli.command()
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@PROJECT_ARG
def restore(archive: Path, project: str) -> None:
    """Rebuild a project from a backup ARCHIVE into a new PROJECT (never overwrites one)."""
    from fundplanner import backup as backup_ops

    try:
        summary = backup_ops.restore(archive, project, user=store_user())
    except FundplannerError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{archive} restored into {project}: {summary}")


# --------------------------------------------------------------------------- planning


def _key_values(text: str | None, option: str) -> dict[str, str]:
    """``"ara=60,fre=20"`` → {"ara": "60", "fre": "20"} (a usage error names the option)."""
    if not text:
        return {}
    pairs = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise click.BadParameter(
                f"{item!r}: write KEY=VALUE pairs separated by commas.", param_hint=option
            )
        pairs[key.strip()] = value.strip()
    return pairs


def _number(value: str, option: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number.", param_hint=option) from None


def _scenario_changes(
    budget: float | None,
    processing: float | None,
    max_copies: int | None,
    shipping_mode: str | None,
    origin_rates: tuple[str, ...],
    exchange_rates: tuple[str, ...],
    language_split: str | None,
    population: str | None,
    profile: str | None,
    premises: str | None,
    time_limit: float | None,
) -> dict[str, Any]:
    """The scenario parameters the options of `plan` change (None: left as saved)."""
    changes: dict[str, Any] = {
        "budget_eur": budget,
        "processing_eur_per_item": processing,
        "max_copies_per_title": max_copies,
        "shipping_mode": shipping_mode,
        "profile": profile,
        "premises": premises,
        "time_limit_s": time_limit,
    }
    if population is not None:
        changes["population"] = int(population) if population.isdigit() else population
    if language_split:
        split = _key_values(language_split, "--language-split")
        changes["language_split"] = {k: _number(v, "--language-split") for k, v in split.items()}
    if exchange_rates:
        rates = {}
        for item in exchange_rates:
            rates.update(_key_values(item, "--exchange-rate"))
        changes["exchange_rates"] = {
            k.upper(): _number(v, "--exchange-rate") for k, v in rates.items()
        }
    if origin_rates:
        origins = {}
        for item in origin_rates:
            for origin, figures in _key_values(item, "--origin-rate").items():
                rate, _, fixed = figures.partition(":")
                entry = {"rate_eur_per_kg": _number(rate, "--origin-rate")}
                if fixed:
                    entry["fixed_eur"] = _number(fixed, "--origin-rate")
                origins[origin.upper()] = entry
        changes["origins"] = origins
    return {k: v for k, v in changes.items() if v is not None}


@cli.command()
@PROJECT_ARG
@click.option(
    "--scenario",
    default="base",
    show_default=True,
    help="The named plan to solve (created if new).",
)
@click.option(
    "--budget",
    type=float,
    help="Budget in EUR (default: the collection, processing and shipping budget lines).",
)
@click.option(
    "--processing",
    type=float,
    help="Processing (cataloguing, equipping) cost per item in EUR (default 4).",
)
@click.option(
    "--max-copies",
    type=click.IntRange(min=1),
    help="Copies of one work at most, across sources (default 1).",
)
@click.option(
    "--shipping-mode",
    help="Shipping mode of reference/shipping.toml: sea_groupage, air, post_m_bag, "
    "container_20ft, container_40ft.",
)
@click.option(
    "--origin-rate",
    "origin_rates",
    multiple=True,
    help="Shipping figures of one origin: ORIGIN=EUR_PER_KG[:FIXED_EUR], e.g. FR=0.3:800 "
    "(repeatable).",
)
@click.option(
    "--exchange-rate",
    "exchange_rates",
    multiple=True,
    help="Euros per unit of a currency, e.g. USD=0.92 (repeatable; replaces the rate used "
    "at import).",
)
@click.option(
    "--language-split", help="Shares by language for every audience, e.g. ara=60,fre=20,eng=20."
)
@click.option(
    "--population",
    help="official, de_facto, or a number of inhabitants to size the collection for.",
)
@click.option("--profile", help="The project profile to use (by name).")
@click.option("--premises", help="The project premises to use (by name).")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0),
    help="Seconds for the MILP polish (0: no polish; default 30).",
)
@click.option(
    "--pin",
    "pins",
    multiple=True,
    type=int,
    help="Candidate id to keep in the selection (repeatable).",
)
@click.option(
    "--exclude",
    "excludes",
    multiple=True,
    type=int,
    help="Candidate id never to select (repeatable).",
)
@click.option(
    "--release",
    "releases",
    multiple=True,
    type=int,
    help="Candidate id to free of a pin or an exclusion (repeatable).",
)
@JSON_OPTION
def plan(
    project: str,
    scenario: str,
    budget: float | None,
    processing: float | None,
    max_copies: int | None,
    shipping_mode: str | None,
    origin_rates: tuple[str, ...],
    exchange_rates: tuple[str, ...],
    language_split: str | None,
    population: str | None,
    profile: str | None,
    premises: str | None,
    time_limit: float | None,
    pins: tuple[int, ...],
    excludes: tuple[int, ...],
    releases: tuple[int, ...],
    as_json: bool,
) -> None:
    """Choose the titles of a scenario: targets from the profile and premises, then the
    optimiser over every partner's candidates; the plan is saved in the project.

    Options change the scenario's saved parameters; a later run without them keeps them.

    Example: fundplanner plan alram.fundplan --scenario air --shipping-mode air --budget 30000
    """
    changes = _scenario_changes(
        budget,
        processing,
        max_copies,
        shipping_mode,
        origin_rates,
        exchange_rates,
        language_split,
        population,
        profile,
        premises,
        time_limit,
    )
    try:
        outcome = project_ops.plan_project(
            project, scenario, changes=changes, pin=pins, exclude=excludes, release=releases
        )
    except FundplannerError as exc:
        raise click.ClickException(str(exc)) from exc
    summary = outcome.summary()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        click.echo(
            f"Scenario {scenario}: collection size {summary['collection_size']:,} for "
            f"{summary['served_population']:,} inhabitants, "
            f"targets {summary['target_copies']:,} copies"
        )
        _print_plan(summary)
    if summary["status"] == planner.INFEASIBLE:
        sys.exit(EXIT_NOTHING_READ)


@cli.command()
@PROJECT_ARG
@JSON_OPTION
def scenarios(project: str, as_json: bool) -> None:
    """Compare the project's scenarios side by side: parameters and last solve's figures."""
    try:
        table = project_ops.scenario_table(project)
    except FundplannerError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(table, ensure_ascii=False, default=str))
        return
    if not table:
        click.echo("No scenario yet: run `fundplanner plan PROJECT` first.")
        return
    rows = [
        ("", [t["scenario"] for t in table]),
        ("status", [t["status"] or "not solved" for t in table]),
        ("budget EUR", [_figure(t["budget_eur"]) for t in table]),
        ("cost EUR", [_figure(t["cost_eur"]) for t in table]),
        ("target copies", [_figure(t["target_copies"]) for t in table]),
        ("selected copies", [_figure(t["selected_copies"]) for t in table]),
        ("selected titles", [_figure(t["selected_titles"]) for t in table]),
        ("shortfall (weighted)", [_figure(t["shortfall"]) for t in table]),
        ("gap to LP bound", [_percent(t["gap"]) for t in table]),
        ("cells short", [_figure(t["cells_short"]) for t in table]),
    ]
    names = sorted({k for t in table for k in t["parameters"]})
    rows += [(name, [_parameter(t["parameters"].get(name)) for t in table]) for name in names]
    width = max(len(label) for label, _ in rows) + 2
    columns = [
        max(len(str(v)) for v in values) + 2 for values in zip(*(r[1] for r in rows), strict=True)
    ]
    for label, values in rows:
        click.echo(
            f"{label:<{width}}"
            + "".join(f"{v!s:>{w}}" for v, w in zip(values, columns, strict=True))
        )


def _figure(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if isinstance(value, float) else f"{value:,}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"


def _parameter(value: Any) -> str:
    if value is None:
        return "default"
    if isinstance(value, dict):
        return ",".join(f"{k}={_parameter(v)}" for k, v in value.items())
    return str(value)


def _print_plan(summary: dict[str, Any]) -> None:
    """The solve's figures, the short cells (largest first) and the messages."""
    echo = click.echo
    echo(
        f"Status:    {summary['status']} ({summary['method']}); "
        f"shortfall {summary['shortfall']:,.1f}"
        f" (LP bound {summary['bound']:,.1f}, gap {_percent(summary['gap'])})"
    )
    echo(
        f"Selected:  {summary['selected_copies']:,} copies of {summary['selected_titles']:,} titles"
        f"; cost {summary['cost_eur']:,.2f} EUR of a {summary['budget_eur']:,.2f} EUR budget"
    )
    short = sorted(summary["cells_short"], key=lambda c: -(c.get("shortfall") or 0))
    if short:
        echo(f"Cells short of their target ({len(short)}; largest first):")
        for cell in short[:15]:
            closing = cell.get("cost_to_close_eur")
            echo(
                f"  {cell['audience']:<9} {cell['category']:<18} {cell['language']}  "
                f"{cell['selected']:>5}/{cell['target']:<5} short {cell['shortfall']:>5}  "
                f"{cell.get('cause') or '':<14}"
                + (f" ≈ {closing:,.0f} EUR to close" if closing else "")
            )
        if len(short) > 15:
            echo(f"  … and {len(short) - 15} more (--json lists them all)")
    for message in [
        *summary.get("notes", []),
        *summary.get("target_problems", []),
        *summary["messages"],
    ]:
        echo(f"  - {message}")


def _plan_input(option: str, help: str) -> Callable[..., Any]:
    """A required, existing input file of `plan-file` (passed as ``<name>_path``)."""
    return click.option(
        option,
        f"{option.removeprefix('--')}_path",
        required=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=help,
    )


@cli.command(name="plan-file")
@_plan_input("--candidates", "candidates.csv (columns in README, 'Plan files').")
@_plan_input("--targets", "targets.csv: audience, category, language, target, weight.")
@_plan_input(
    "--constraints", "constraints.toml: budget, processing cost, copy cap, zones, origins."
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the selection here: candidate_id, copies.",
)
@click.option(
    "--problems",
    "problems_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the rows that were refused (file, row, column, message) here (CSV).",
)
@JSON_OPTION
def plan_file(
    candidates_path: Path,
    targets_path: Path,
    constraints_path: Path,
    out: Path,
    problems_out: Path | None,
    as_json: bool,
) -> None:
    """Plan from three plain files, without a project (batch runs, checks by anyone).

    Exit 0 with a plan, 1 when the inputs cannot be planned (the pins alone break the budget
    or a shelf, or a file cannot be read), 2 for usage errors.

    Example: fundplanner plan-file --candidates c.csv --targets t.csv --constraints k.toml
    --out sel.csv --json
    """
    from fundplanner import planfiles

    try:
        candidates, candidate_problems = planfiles.read_candidates(candidates_path)
        targets, target_problems = planfiles.read_targets(targets_path)
        constraints = planfiles.read_constraints(constraints_path)
        result = planner.plan(candidates, targets, constraints)
        planfiles.write_selection(result, out)
        problems = [*candidate_problems, *target_problems]
        if problems_out is not None:
            _write_csv(_problem_frame(problems), problems_out)
    except FundplannerError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot write the output: {exc}") from exc
    summary = result.summary()
    summary["refused_rows"] = len(problems)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
    else:
        _print_plan(summary)
        for problem in problems[:10]:
            click.echo(f"  ! {problem}", err=True)
        if len(problems) > 10:
            click.echo(
                f"  … {len(problems) - 10} more refused rows (--problems FILE.csv lists them)",
                err=True,
            )
        click.echo(f"Selection written to {out}")
    if result.status == planner.INFEASIBLE:
        sys.exit(EXIT_NOTHING_READ)


def _problem_frame(problems: list[Any]) -> Any:
    import pandas as pd

    from fundplanner.errors import PROBLEM_COLUMNS

    return pd.DataFrame([p.as_row() for p in problems], columns=list(PROBLEM_COLUMNS))


@cli.command()
@PROJECT_ARG
@click.option("--scenario", default="base", show_default=True, help="The plan to ship.")
@click.option(
    "--mode",
    help="One shipping mode for every origin (post_m_bag, air, sea_groupage, container_20ft, "
    "container_40ft) or auto (each origin's cheapest); default: the scenario's mode, else auto.",
)
@click.option(
    "--quotes",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Save the project's own shipping figures first: a TOML file of the shape of "
    "reference/shipping.toml, any subset (a carrier's quote); they stay with the project and "
    "are used by every later plan and shipment.",
)
@JSON_OPTION
def ship(project: str, scenario: str, mode: str | None, quotes: Path | None, as_json: bool) -> None:
    """Pack and cost the shipment of a scenario's selection, origin by origin: cartons, kg,
    m³, pallets or containers, the cost of every mode, and the one chosen.

    Example: fundplanner ship alram.fundplan --mode auto
    """
    try:
        if quotes is not None:
            project_ops.set_shipping_figures(project, quotes)
        result = project_ops.ship_project(project, scenario, mode=mode)
    except FundplannerError as exc:
        raise click.ClickException(str(exc)) from exc
    summary = result.summary()
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False))
        return
    echo = click.echo
    echo(
        f"Scenario {scenario}: {summary['copies']:,} copies to ship in {summary['cartons']:,} "
        f"cartons, {summary['kg']:,.1f} kg of books ({summary['gross_kg']:,.1f} kg packed); "
        f"{summary['local_copies']:,} bought locally ship nothing"
    )
    for row in summary["by_origin"]:
        units = ", ".join(
            f"{k}: {row[k]:,}" for k in ("bags", "pallets", "containers") if row.get(k)
        )
        echo(
            f"  {row['origin']:<4} {row['mode']:<15} {row['copies']:>6,} copies "
            f"{row['cartons']:>4} cartons {row['kg']:>9,.1f} kg {row['m3']:>6.2f} m³"
            + (f" ({units})" if units else "")
            + f"  {row['cost_eur']:>10,.2f} EUR"
        )
        others = {
            key.removeprefix("cost_eur_"): value
            for key, value in row.items()
            if key.startswith("cost_eur_")
            and value is not None
            and key != f"cost_eur_{row['mode']}"
        }
        if others:
            echo("       other modes: " + ", ".join(f"{m} {v:,.0f}" for m, v in others.items()))
    echo(f"Total shipping: {summary['total_cost_eur']:,.2f} EUR")
    for message in summary["messages"]:
        echo(f"  - {message}")


@cli.command()
@PROJECT_ARG
@click.option(
    "--scenario",
    default="base",
    show_default=True,
    help="The plan whose purchases, processing and shipping fill the computed lines.",
)
@click.option("--lang", type=click.Choice(["fr", "en", "ar"]), default="fr", show_default=True)
@JSON_OPTION
def budget(project: str, scenario: str, lang: str, as_json: bool) -> None:
    """The project budget: uses by kind (manual estimates beside the lines computed from the
    plan, the shipping plan and the training plan), funding sources with their shares, the
    balance, and warnings (a funder's cap passed, a call's rules, a currency without a rate).
    """
    from fundplanner import i18n

    try:
        view = project_ops.budget_project(project, scenario)
    except FundplannerError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(view.summary(), ensure_ascii=False, default=str))
        return
    sheets = view.sheets(lang)
    warnings_sheet = i18n.t("budget.sheet.warnings", lang)
    for name, frame in sheets.items():
        if name != warnings_sheet:
            click.echo(f"\n{name}")
            click.echo(frame.to_string(index=False))
    messages = view.messages(lang)
    if messages:
        click.echo(f"\n{warnings_sheet}")
        for message in messages:
            click.echo(f"  ! {message}")


@cli.command(name="export")
@PROJECT_ARG
@click.option(
    "--kind",
    required=True,
    type=click.Choice(list(project_ops.EXPORT_KINDS)),
    help="What to export; the file type follows --out's suffix (see README, 'Exports').",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", default="base", show_default=True, help="The plan to export.")
@click.option(
    "--by",
    type=click.Choice(["supplier", "partner"]),
    default="supplier",
    show_default=True,
    help="Acquisition lists: one list per supplier (the catalogue's partner) or per partner.",
)
@click.option("--branch", help="MARC exports: the ILS branch code for the items (default ALRAM).")
@click.option("--mode", help="Packing lists: the shipping mode (default: as `ship`).")
@click.option(
    "--lang",
    type=click.Choice(["fr", "en", "ar"]),
    default="fr",
    show_default=True,
    help="Language of the report and of the budget workbook.",
)
@JSON_OPTION
def export(
    project: str,
    kind: str,
    out: Path,
    scenario: str,
    by: str,
    branch: str | None,
    mode: str | None,
    lang: str,
    as_json: bool,
) -> None:
    """Write a file partners can use: acquisition lists (CSV/XLSX), MARC21/MARCXML with Koha
    952 items, UNIMARC with 995 items for PMB, packing lists with the customs statement,
    the budget workbook, or the steering committee report (HTML/PDF).

    Example: fundplanner export alram.fundplan --kind marc21 --out koha.mrc
    """
    try:
        written = project_ops.export_project(
            project, kind, out, scenario=scenario, by=by, branch=branch, mode=mode, lang=lang
        )
    except FundplannerError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from exc
    if as_json:
        click.echo(json.dumps(written, ensure_ascii=False))
        return
    details = ", ".join(
        f"{k} {v}" for k, v in written.items() if k not in ("kind", "path", "problems")
    )
    click.echo(f"{kind} written to {out} ({details})")
    for problem in written.get("problems", [])[:10]:
        click.echo(f"  ! {problem}", err=True)


def store_user() -> str:
    from fundplanner.store import current_user

    return current_user()


def main() -> None:
    cli(prog_name="fundplanner")


if __name__ == "__main__":
    main()
