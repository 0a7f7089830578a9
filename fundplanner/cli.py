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

from fundplanner import __version__
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


def store_user() -> str:
    from fundplanner.store import current_user

    return current_user()


def main() -> None:
    cli(prog_name="fundplanner")


if __name__ == "__main__":
    main()
