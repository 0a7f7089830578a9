"""Project-level operations the shells call: create a project, import catalogues into it.

Each operation opens its own transaction through :mod:`fundplanner.store` (the only module
that talks to the database): a catalogue import — the file's candidates, its problems and
its catalogue row — is committed as one, so that an import interrupted at any point leaves
the project as it was.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from fundplanner import budget, dedupe, planner, planning, shipping, store
from fundplanner import premises as premises_module
from fundplanner import profiles as profiles_module
from fundplanner.errors import FundplannerError, UsageError
from fundplanner.ingest import IngestOptions, IngestResult, read_catalogue

DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "demo"
DEMO_RECORD = DEMO_DIR / "project.toml"
DEMO_PROFILE = DEMO_DIR / "profile.toml"
DEMO_PREMISES = DEMO_DIR / "premises.toml"


@dataclass(frozen=True)
class ImportSummary:
    """What one file's import did."""

    file: str
    catalogue_id: int
    partner: str | None
    read: int
    kept: int
    rejected: int
    warnings: int
    replaced: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def init_project(
    path: str | Path,
    *,
    name: str | None = None,
    demo: bool = False,
    user: str | None = None,
) -> None:
    """Create a new project at ``path`` (a ``.fundplan`` file or a database URL).

    ``demo`` loads the Al Ram case: its partners, committee, meetings, training plan,
    milestones, budget, funding sources and the five demo catalogues.
    """
    user = user or store.current_user()
    if "://" not in str(path) and Path(path).exists():
        raise UsageError(
            f"{path} already exists; choose another file name (a project is never overwritten)."
        )
    record = _demo_record() if demo else {}
    values = dict(record.get("project", {}))
    values["name"] = name or values.get("name") or Path(str(path)).stem
    engine = store.engine(path, must_exist=False)
    try:
        with engine.begin() as conn:
            store.create_project(conn, values, user=user)
            if demo:
                _load_record(conn, record, user=user)
                _load_planning_documents(conn, user=user)
    except FundplannerError:
        _remove_new_file(path)
        raise
    finally:
        engine.dispose()
    if demo:
        for file_name, spec in record.get("catalogues", {}).items():
            options = IngestOptions(origin=spec.get("origin"), acquisition=spec.get("acquisition"))
            import_files(
                path, [DEMO_DIR / file_name], partner=spec["partner"], options=options, user=user
            )


def import_files(
    path: str | Path,
    files: Iterable[str | Path],
    *,
    partner: str | None,
    options: IngestOptions | None = None,
    format: str | None = None,
    mapping: str | Path | Mapping[str, Any] | None = None,
    replace_existing: bool = False,
    user: str | None = None,
) -> list[ImportSummary]:
    """Import catalogue files into the project, each in its own transaction (see
    :func:`import_data`)."""
    return import_data(
        path,
        ((str(file), _read(file)) for file in files),
        partner=partner,
        options=options,
        format=format,
        mapping=mapping,
        replace_existing=replace_existing,
        user=user,
    )


def import_data(
    path: str | Path,
    files: Iterable[tuple[str, bytes]],
    *,
    partner: str | None,
    options: IngestOptions | None = None,
    format: str | None = None,
    mapping: str | Path | Mapping[str, Any] | None = None,
    replace_existing: bool = False,
    user: str | None = None,
) -> list[ImportSummary]:
    """Import catalogues given as (file name, bytes) — an upload, a file read — into the
    project, each in its own transaction: its candidates, its problems and the file itself
    commit together, then works are re-linked across the project's catalogues.

    The partner is named as in the project's partner list; its country becomes the rows'
    ``origin`` when the options give none. A file already imported (same SHA-256) is refused
    unless ``replace_existing``.
    """
    user = user or store.current_user()
    engine = store.engine(path)
    summaries = []
    try:
        with engine.connect() as conn:
            store.require_current(conn)
            partner_row = _partner(conn, partner) if partner else None
        opts = options or IngestOptions()
        if partner_row and not opts.origin and partner_row.get("country"):
            opts = replace(opts, origin=partner_row["country"])
        for file, data in files:
            result = read_catalogue(data, format, mapping, name=Path(file).name, options=opts)
            with engine.begin() as conn:
                summaries.append(
                    _store_result(
                        conn, file, data, result, partner_row, replace_existing, user=user
                    )
                )
    finally:
        engine.dispose()
    return summaries


def data_version(path: str | Path) -> int:
    """A number that changes whenever anything in the project is saved (the store's
    :func:`~fundplanner.store.data_version`); caches key on it."""
    with store.project_connection(path) as conn:
        return store.data_version(conn)


def project_info(path: str | Path) -> dict[str, Any]:
    with store.project_connection(path) as conn:
        return store.info(conn)


def upgrade_project(path: str | Path) -> tuple[str | None, str]:
    """Bring an older project's schema to this fundplanner's; returns (before, after).
    (Not through ``store.project_connection``: that one refuses an older schema.)"""
    engine = store.engine(path)
    try:
        with engine.begin() as conn:
            before = store.schema_version(conn)
            store.upgrade(conn)
            return before, store.head_revision()
    finally:
        engine.dispose()


def backup_project(path: str | Path, out: str | Path) -> Any:
    """Write the project to a backup archive (see :mod:`fundplanner.backup`)."""
    from fundplanner import backup

    with store.project_connection(path, write=True) as conn:
        return backup.backup(conn, out)


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class PlanOutcome:
    """One solve of a scenario: its parameters, the optimiser's inputs and its plan."""

    scenario: planning.Scenario
    inputs: planning.PlannerInputs
    plan: planner.Plan
    notes: tuple[str, ...]

    def summary(self) -> dict[str, Any]:
        """What `fundplanner plan --json` prints and what the plan row's report keeps."""
        size = self.inputs.target_result.size
        return {
            "scenario": self.scenario.name,
            "parameters": self.scenario.to_mapping(),
            "collection_size": None if size is None else size.opening_stock,
            "served_population": None if size is None else size.served_population,
            "target_copies": int(self.inputs.targets["target"].sum()),
            **self.plan.summary(),
            "notes": list(self.notes),
            "target_problems": [str(p) for p in self.inputs.target_result.problems],
        }


def plan_project(
    path: str | Path,
    scenario: str = planning.DEFAULT_SCENARIO,
    *,
    changes: Mapping[str, Any] | None = None,
    pin: Iterable[int] = (),
    exclude: Iterable[int] = (),
    release: Iterable[int] = (),
    polish: bool = True,
    user: str | None = None,
) -> PlanOutcome:
    """Solve ``scenario`` (created with ``changes`` when new, else changed by them) and save
    its plan: the figures, the report and the copies of every selected candidate.

    ``pin`` / ``exclude`` / ``release`` are candidate ids (the store's) to pin, exclude, or
    free of both, recorded with the scenario before the solve. The solve runs outside any
    transaction; saving it is refused as a stale write when someone changed the plan meanwhile.
    """
    user = user or store.current_user()
    engine = store.engine(path)
    try:
        with engine.begin() as conn:
            store.require_current(conn)
            stored = store.plan_by_scenario(conn, scenario)
            chosen = planning.Scenario.from_mapping(
                scenario, stored["parameters"] if stored else {}
            )
            chosen = chosen.changed(changes or {})
            row = store.ensure_plan(conn, scenario, chosen.to_mapping(), user=user)
            for ids, flags in (
                (pin, {"pinned": True}),
                (exclude, {"excluded": True}),
                (release, {"pinned": False, "excluded": False}),
            ):
                store.set_pins(conn, row["id"], ids, user=user, **flags)
            head = store.project_row(conn)
            candidates = store.candidates(conn)
            pins = store.plan_items(conn, row["id"])
            profile, premises, notes = _planning_documents(conn, chosen)
            budget_lines = store.rows(conn, "budget_line")
            tables = _shipping_tables(head)
        inputs = planning.planner_inputs(
            chosen,
            candidates,
            profile,
            premises,
            budget_lines=budget_lines,
            population={
                "official": head.get("population_official"),
                "de_facto": head.get("population_de_facto"),
            },
            pins=pins[pins["pinned"] | pins["excluded"]],
            shipping_tables=tables,
        )
        if not inputs.target_result.ok:
            errors = [str(p) for p in inputs.target_result.problems if p.severity.value == "error"]
            raise UsageError(
                "the profile or the premises cannot set targets; fix them first:\n  "
                + "\n  ".join(errors)
            )
        result = planner.plan(inputs.candidates, inputs.targets, inputs.constraints, polish=polish)
        outcome = PlanOutcome(chosen, inputs, result, (*notes, *inputs.messages))
        copies = dict(
            zip(
                result.selection["candidate_id"].astype(int),
                result.selection["copies"].astype(int),
                strict=True,
            )
        )
        with engine.begin() as conn:
            store.save_solution(
                conn,
                row["id"],
                parameters=chosen.to_mapping(),
                figures=result.summary(),
                report=outcome.summary(),
                copies=copies,
                expected_version=row["version"],
                user=user,
            )
        return outcome
    finally:
        engine.dispose()


def _planning_documents(
    conn: Any, scenario: planning.Scenario
) -> tuple[profiles_module.Profile, premises_module.Premises | None, list[str]]:
    """The scenario's profile and premises from the project (by name, else the only or first
    one), the generic IFLA profile when the project has none, and notes saying so."""
    notes: list[str] = []
    found = store.named_data(conn, "profile")
    document = _named(found, scenario.profile, "profile", notes)
    if document is None:
        notes.append(
            "the project has no profile: the generic IFLA-based template was used "
            "(fundplanner/reference/profiles/generic_ifla.toml); save the library's own "
            "audiences and shares as the project's profile."
        )
        profile = profiles_module.load_profile(profiles_module.GENERIC_PROFILE)
    else:
        profile = profiles_module.load_profile(
            document["data"], source=f"profile {document['name']!r}"
        )
    document = _named(store.named_data(conn, "premises"), scenario.premises, "premises", notes)
    if document is None:
        notes.append(
            "the project has no premises: shelf capacity was not checked; describe the zones "
            "and furniture from the floor plan as the project's premises."
        )
        return profile, None, notes
    premises = premises_module.load_premises(
        document["data"], source=f"premises {document['name']!r}"
    )
    return profile, premises, notes


def _named(
    documents: Mapping[str, dict[str, Any]], name: str | None, what: str, notes: list[str]
) -> dict[str, Any] | None:
    if name is not None:
        if name not in documents:
            known = ", ".join(repr(n) for n in documents) or "none"
            raise UsageError(f"no {what} named {name!r} in this project ({what}s: {known}).")
        return documents[name]
    if not documents:
        return None
    first = next(iter(documents.values()))
    if len(documents) > 1:
        notes.append(
            f"the project has {len(documents)} {what}s; {first['name']!r} was used (name one "
            f"in the scenario's {what} parameter)."
        )
    return first


def scenario_table(path: str | Path) -> list[dict[str, Any]]:
    """Every scenario of the project with its parameters and its last solve's figures, for a
    side-by-side comparison (`fundplanner scenarios`)."""
    with store.project_connection(path) as conn:
        rows = store.plans(conn)
    table = []
    for row in rows:
        report = row.get("report") or {}
        table.append(
            {
                "scenario": row["scenario"],
                "parameters": row["parameters"],
                "status": row["status"],
                "shortfall": row["shortfall"],
                "cost_eur": row["cost_eur"],
                "bound": row["bound"],
                "gap": row["gap"],
                "solved_at": None if row["solved_at"] is None else str(row["solved_at"]),
                "collection_size": report.get("collection_size"),
                "target_copies": report.get("target_copies"),
                "selected_titles": report.get("selected_titles"),
                "selected_copies": report.get("selected_copies"),
                "budget_eur": report.get("budget_eur"),
                "cells_short": len(report.get("cells_short") or []),
                "method": report.get("method"),
            }
        )
    return table


def plan_selection(
    path: str | Path, scenario: str = planning.DEFAULT_SCENARIO, *, with_records: bool = False
) -> pd.DataFrame:
    """A scenario's saved selection: one row per selected candidate (copies > 0) with its
    candidate columns, ``partner`` and ``catalogue`` (file name), the shelf ``zone`` its cell
    goes to (from the project's premises), ``unit_cost_eur`` (purchase price + processing +
    shipping per kg by the scenario's parameters) and, with ``with_records``, the original
    record (``record_format``, ``record_data``) of candidates imported from MARC."""
    with store.project_connection(path) as conn:
        row = _solved_plan(conn, scenario)
        items = store.plan_items(conn, row["id"])
        candidates = store.candidates(conn)
        catalogues = {c["id"]: c for c in store.catalogues(conn)}
        partners = {p["id"]: p["name"] for p in store.rows(conn, "partner")}
        chosen = planning.Scenario.from_mapping(scenario, row["parameters"])
        _, premises, _ = _planning_documents(conn, chosen)
        tables = _shipping_tables(store.project_row(conn))
        selected = items[items["copies"] > 0]
        frame = selected.merge(candidates, left_on="candidate_id", right_on="id", how="left")
        if with_records:
            records = _original_records(conn, frame, catalogues)
    frame = frame.drop(columns=["id"])
    frame["catalogue"] = frame["catalogue_id"].map(lambda c: catalogues[c]["file_name"])
    frame["partner"] = frame["catalogue_id"].map(
        lambda c: partners.get(catalogues[c]["partner_id"], "")
    )
    frame["zone"] = [
        _zone_name(premises, a, c)
        for a, c in zip(frame["audience"], frame["category"], strict=True)
    ]
    frame["unit_cost_eur"] = _unit_costs(frame, chosen, tables)
    if with_records:
        frame["record_format"] = [
            records[i][0] if i in records else None for i in frame["candidate_id"]
        ]
        frame["record_data"] = [
            records[i][1] if i in records else None for i in frame["candidate_id"]
        ]
    return frame.reset_index(drop=True)


def ship_project(
    path: str | Path,
    scenario: str = planning.DEFAULT_SCENARIO,
    *,
    mode: str | None = None,
    origin_modes: Mapping[str, str] | None = None,
) -> shipping.ShippingPlan:
    """The shipping plan of a scenario's selection: cartons, pallets or containers and the
    cost per origin. ``mode`` (one mode for every origin; "auto": each origin's cheapest
    feasible one) defaults to the scenario's shipping mode, else "auto"; local purchases ship
    nothing."""
    frame = plan_selection(path, scenario)
    chosen, tables = _scenario_of(path, scenario)
    return shipping.plan_shipping(
        shipping_items(frame),
        mode=mode or chosen.shipping_mode or "auto",
        origin_modes=origin_modes,
        tables=tables,
    )


def set_shipping_figures(
    path: str | Path, quotes: str | Path | Mapping[str, Any] | None, *, user: str | None = None
) -> shipping.ShippingTables:
    """Save the project's own shipping figures — a TOML file or mapping of the shape of
    ``reference/shipping.toml``, any subset (a carrier's quote for groupage, the post office's
    M-bag price…) — laid over the packaged table by every later plan and shipping plan.
    ``None`` removes them. The figures are checked before anything is saved."""
    if quotes is None:
        figures: dict[str, Any] = {}
    elif isinstance(quotes, Mapping):
        figures = dict(quotes)
    else:
        try:
            with Path(quotes).open("rb") as handle:
                figures = tomllib.load(handle)
        except OSError as exc:
            raise UsageError(f"{quotes}: cannot open the file ({exc.strerror}).") from exc
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{quotes}: not valid TOML ({exc}); fix the file.") from exc
    tables = shipping.tables_with(figures)  # refuses bad figures, naming them
    with store.project_connection(path, write=True) as conn:
        head = store.project_row(conn)
        settings = dict(head.get("settings") or {})
        if figures:
            settings["shipping"] = figures
        else:
            settings.pop("shipping", None)
        store.update_row(
            conn,
            "project",
            head["id"],
            {"settings": settings},
            expected_version=head["version"],
            user=user or store.current_user(),
        )
    return tables


def _shipping_tables(head: Mapping[str, Any]) -> shipping.ShippingTables:
    """The project's shipping tables: the packaged ones with its saved figures laid over."""
    return shipping.tables_with((head.get("settings") or {}).get("shipping"))


def shipping_items(selection: pd.DataFrame) -> pd.DataFrame:
    """A selection (:func:`plan_selection`) as the shipping plan's items: one row per selected
    candidate, its copies, origin ("" for a local purchase), size, zone and identification."""
    local = selection["acquisition"].isin(planning.LOCAL_ACQUISITIONS).fillna(False)
    return pd.DataFrame(
        {
            "item_id": selection["candidate_id"].astype(str),
            "origin": selection["origin"].astype("string").fillna("").where(~local, ""),
            "copies": selection["copies"].astype(int),
            "weight_kg": selection["weight_kg"].astype("Float64").astype(float),
            "height_cm": selection["height_cm"].astype("Float64").astype(float),
            "thickness_cm": selection["thickness_cm"].astype("Float64").astype(float),
            "category": selection["category"].astype("string").fillna(""),
            "zone": selection["zone"].fillna(""),
            "title": selection["title"].astype("string").fillna(""),
            "isbn13": selection["isbn13"].astype("string").fillna(""),
            "partner": selection["partner"].fillna(""),
            "acquisition": selection["acquisition"].astype("string").fillna(""),
            "price_eur": selection["price_eur"].astype("Float64").astype(float),
        }
    )


#: The kinds `fundplanner export --kind` takes, and the registered export of each by suffix
#: (fundplanner.exporting): a CSV or an XLSX file for the tables, ISO 2709 or XML for MARC.
EXPORT_KINDS: Mapping[str, Mapping[str, str]] = {
    "acquisitions": {".csv": "acquisitions-csv", ".xlsx": "acquisitions-xlsx"},
    "marc21": {".mrc": "marc21", ".iso": "marc21", ".xml": "marcxml"},
    "marcxml": {".xml": "marcxml"},
    "unimarc": {".mrc": "unimarc", ".iso": "unimarc", ".xml": "unimarcxml"},
    "packing": {".csv": "packing-csv", ".xlsx": "packing-xlsx"},
    "budget": {".xlsx": "budget-xlsx"},
    "report": {".html": "report-html", ".pdf": "report-pdf"},
}


def export_format_for(kind: str, out: str | Path) -> str:
    """The registered export for ``kind`` written to ``out`` (by its suffix), or a
    UsageError naming the suffixes that kind writes."""
    if kind not in EXPORT_KINDS:
        raise UsageError(f"unknown export kind {kind!r}; use one of {', '.join(EXPORT_KINDS)}.")
    suffix = Path(out).suffix.lower()
    choices = EXPORT_KINDS[kind]
    if suffix not in choices:
        raise UsageError(
            f"{kind} exports are written as {', '.join(choices)} files; name the output "
            f"accordingly (e.g. {kind}{next(iter(choices))})."
        )
    return choices[suffix]


def export_project(
    path: str | Path,
    kind: str,
    out: str | Path,
    *,
    scenario: str = planning.DEFAULT_SCENARIO,
    by: str = "supplier",
    branch: str | None = None,
    mode: str | None = None,
    lang: str = "fr",
) -> dict[str, Any]:
    """Write one export of a scenario (``kind`` as `fundplanner export --kind`, the file
    type from ``out``'s suffix); returns what was written (path, counts, problems)."""
    from fundplanner import exporting

    name = export_format_for(kind, out)
    written: dict[str, Any] = {"kind": kind, "format": name, "path": str(out)}
    if kind == "acquisitions":
        selection = plan_selection(path, scenario)
        exporting.export(name, selection, out, by=by)
        written["rows"] = len(selection)
    elif kind in ("marc21", "marcxml", "unimarc"):
        from fundplanner.exporting.marc import ItemOptions

        selection = plan_selection(path, scenario, with_records=True)
        options = ItemOptions(branch=branch) if branch else ItemOptions()
        result = exporting.export(name, selection, out, options=options)
        written.update(
            records=int(result.records),
            items=int(result.items),
            from_original=int(selection["record_data"].notna().sum()),
            problems=[str(p) for p in result.problems],
        )
    elif kind == "packing":
        plan = ship_project(path, scenario, mode=mode)
        consignor, consignee = _consignment_parties(path)
        customs = plan.customs_statement(consignor=consignor, consignee=consignee)
        exporting.export(name, plan.packing, out, customs=customs)
        written.update(cartons=int(plan.by_origin["cartons"].sum()), rows=len(plan.packing))
    elif kind == "budget":
        view = budget_project(path, scenario)
        exporting.export(name, view.sheets(lang), out, **_budget_sheet_options(view, lang))
        written["sheets"] = len(view.sheets(lang))
    else:  # report
        from fundplanner.exporting import report

        html = report.render_html(report_data(path, scenario), lang)
        if name == "report-pdf":
            report.render_pdf(html, out)
        else:
            Path(out).write_text(html, encoding="utf-8")
        written["lang"] = lang
    return written


def _budget_sheet_options(view: budget.BudgetView, lang: str) -> dict[str, Any]:
    """The workbook's totals: only the sheets whose rows add up — uses by kind and funding.
    The lines sheet lists manual estimates beside computed lines of the same kind, so its
    sum would count them twice; balance, rates and warnings are no columns of amounts."""
    from fundplanner import i18n

    summable = {i18n.t(f"budget.sheet.{key}", lang) for key in ("by_kind", "funding")}
    return {"totals": {name: name in summable for name in view.sheets(lang)}}


def budget_project(
    path: str | Path, scenario: str | None = planning.DEFAULT_SCENARIO
) -> budget.BudgetView:
    """The project's budget: its lines and funding, with the collection, processing and
    shipping lines computed from ``scenario``'s plan when it has one (purchases at the
    scenario's exchange rates, processing per item, the shipping plan), and training from
    the training plan; in the project's currency at its dated rates (budget.rate_table)."""
    with store.project_connection(path) as conn:
        head = store.project_row(conn)
        lines = store.rows(conn, "budget_line")
        partners = {p["id"]: p["name"] for p in store.rows(conn, "partner")}
        funding = [
            {**f, "partner": partners.get(f["partner_id"], "")}
            for f in store.rows(conn, "funding_source")
        ]
        training = store.rows(conn, "training_module")
        row = store.plan_by_scenario(conn, scenario) if scenario else None
    chosen = planning.Scenario.from_mapping(scenario or "", row["parameters"] if row else {})
    rates = budget.rate_table().edited(dict(chosen.exchange_rates))
    plan_figures = shipping_figures = None
    if row is not None and row["status"] is not None and scenario:
        selection = plan_selection(path, scenario)
        priced, _ = planning.planning_candidates(
            selection.assign(id=selection["candidate_id"]), chosen
        )
        costs = selection[["candidate_id", "copies"]].assign(
            price_eur=selection["candidate_id"].map(
                dict(zip(priced["candidate_id"].astype(int), priced["price_eur"], strict=True))
            )
        )
        plan_figures = budget.plan_costs(costs, planning.processing_cost(chosen))
        shipping_figures = ship_project(path, scenario).summary()
    return budget.budget_view(
        lines,
        funding,
        base_currency=head.get("base_currency") or "EUR",
        rates=rates,
        plan=plan_figures,
        shipping=shipping_figures,
        training=training,
    )


def coverage(path: str | Path, scenario: str = planning.DEFAULT_SCENARIO) -> pd.DataFrame:
    """Target and selected copies per cell (audience, category, language) of a solved
    scenario: the coverage matrix of the report and the dashboard."""
    with store.project_connection(path) as conn:
        row = _solved_plan(conn, scenario)
        head = store.project_row(conn)
        chosen = planning.Scenario.from_mapping(scenario, row["parameters"])
        profile, premises, _ = _planning_documents(conn, chosen)
    population = {
        "official": head.get("population_official"),
        "de_facto": head.get("population_de_facto"),
    }
    profile = planning.scenario_profile(chosen, profile, population, [])
    from fundplanner import targets as targets_module

    cells = targets_module.compute_targets(profile, premises).targets
    selection = plan_selection(path, scenario)
    keys = ["audience", "category", "language"]
    selected = selection.groupby(keys, dropna=False)["copies"].sum().rename("selected")
    table = cells[[*keys, "target"]].merge(selected.reset_index(), on=keys, how="outer")
    table["target"] = table["target"].fillna(0).astype(int)
    table["selected"] = table["selected"].fillna(0).astype(int)
    return table.sort_values(keys).reset_index(drop=True)


def report_data(path: str | Path, scenario: str = planning.DEFAULT_SCENARIO) -> Any:
    """The steering committee report's data (fundplanner.exporting.report.ReportData): the
    project, the coverage and the gaps of ``scenario`` (when solved), the budget, the
    shipping plan, the training plan, the milestones and the partners."""
    import datetime as dt

    from fundplanner.exporting.report import ProjectHeader, ReportData

    with store.project_connection(path) as conn:
        head = store.project_row(conn)
        row = store.plan_by_scenario(conn, scenario)
        training = store.rows(conn, "training_module")
        milestones = sorted(store.rows(conn, "milestone"), key=lambda m: m["position"])
        partners = store.rows(conn, "partner")
    solved = row is not None and row["status"] is not None
    gaps = shipping_table = None
    if row is not None and solved:
        gaps = pd.DataFrame((row["report"] or {}).get("cells_short") or [])
        by_origin = ship_project(path, scenario).by_origin
        shipping_table = by_origin[["origin", "mode", "copies", "cartons", "kg", "cost_eur"]]
    return ReportData(
        header=ProjectHeader(
            name=head["name"],
            date=dt.date.today(),
            partner_town=head.get("partner_town") or "",
            library=head.get("library") or "",
            opening_date=head.get("opening_date"),
        ),
        coverage=coverage(path, scenario) if solved else None,
        gaps=gaps,
        budget=budget_project(path, scenario),
        shipping=shipping_table,
        training=training,
        milestones=milestones,
        partners=partners,
    )


def _consignment_parties(path: str | Path) -> tuple[str, str]:
    """Consignor and consignee of the customs statement: the lead partner (the first partner
    of the project) and the library in its town."""
    with store.project_connection(path) as conn:
        head = store.project_row(conn)
        partners = store.rows(conn, "partner")
    consignor = partners[0]["name"] if partners else head["name"]
    consignee = ", ".join(p for p in (head.get("library"), head.get("partner_town")) if p)
    return consignor, consignee or head["name"]


def _scenario_of(
    path: str | Path, scenario: str
) -> tuple[planning.Scenario, shipping.ShippingTables]:
    """A scenario's parameters and the project's shipping tables."""
    with store.project_connection(path) as conn:
        row = store.plan_by_scenario(conn, scenario)
        head = store.project_row(conn)
    chosen = planning.Scenario.from_mapping(scenario, row["parameters"] if row else {})
    return chosen, _shipping_tables(head)


def _solved_plan(conn: Any, scenario: str) -> dict[str, Any]:
    """The plan row of a scenario that has been solved, or a UsageError saying how to solve it."""
    row = store.plan_by_scenario(conn, scenario)
    if row is None or row["status"] is None:
        raise UsageError(
            f"scenario {scenario!r} has no plan yet in this project; run `fundplanner plan "
            f"PROJECT --scenario {scenario}` first."
        )
    return row


def _zone_name(premises: premises_module.Premises | None, audience: Any, category: Any) -> str:
    if premises is None or audience is pd.NA or category is pd.NA:
        return ""
    zone = premises.zone_of(str(audience), str(category))
    return zone.name if zone is not None else ""


def _unit_costs(
    frame: pd.DataFrame, scenario: planning.Scenario, tables: shipping.ShippingTables
) -> pd.Series:
    """What one copy costs by the scenario: the optimiser's unit cost (DESIGN.md)."""
    inputs, _ = planning.planning_candidates(frame.assign(id=frame["candidate_id"]), scenario)
    rates = planning.origin_rates(scenario, inputs["origin"], tables)
    processing = planning.processing_cost(scenario)
    per_kg = inputs["origin"].map(lambda o: rates.get(o, {}).get("rate_eur_per_kg", 0.0))
    costs = inputs["price_eur"] + processing + per_kg * inputs["weight_kg"]
    by_id = dict(zip(inputs["candidate_id"].astype(int), costs.round(2), strict=True))
    return frame["candidate_id"].map(by_id).astype("Float64")


def _original_records(
    conn: Any, frame: pd.DataFrame, catalogues: Mapping[int, Mapping[str, Any]]
) -> dict[int, tuple[str, bytes]]:
    """{candidate id: (format, the record's own bytes)} for candidates imported from MARC
    files the project kept (imports made before revision 0004 kept none)."""
    from fundplanner.ingest.records import original_records

    found: dict[int, tuple[str, bytes]] = {}
    for catalogue_id in frame["catalogue_id"].dropna().unique().tolist():
        rows = frame[frame["catalogue_id"] == catalogue_id]
        fmt = catalogues[catalogue_id]["format"] or ""
        wanted = rows.dropna(subset=["record_no"])
        if wanted.empty:
            continue
        content = store.catalogue_content(conn, catalogue_id)
        if content is None:
            continue
        records = original_records(content, fmt, wanted["record_no"].astype(int))
        for candidate_id, number in zip(wanted["candidate_id"], wanted["record_no"], strict=True):
            if int(number) in records:
                found[int(candidate_id)] = (fmt, records[int(number)])
    return found


# --------------------------------------------------------------------------- helpers


def _store_result(
    conn: Any,
    file: str | Path,
    data: bytes,
    result: IngestResult,
    partner_row: Mapping[str, Any] | None,
    replace_existing: bool,
    *,
    user: str,
) -> ImportSummary:
    checksum = hashlib.sha256(data).hexdigest()
    replaced = replace_existing and store.catalogue_with_checksum(conn, checksum) is not None
    catalogue_id = store.import_catalogue(
        conn,
        file_name=Path(file).name,
        checksum=checksum,
        size_bytes=len(data),
        format=result.format.value if result.format else None,
        titles=result.titles,
        problems=[p.as_row() for p in result.problems],
        records_read=result.records_read,
        partner_id=partner_row["id"] if partner_row else None,
        user=user,
        replace=replace_existing,
        content=data,
    )
    relink_works(conn)
    return ImportSummary(
        file=str(file),
        catalogue_id=catalogue_id,
        partner=partner_row["name"] if partner_row else None,
        read=result.records_read,
        kept=len(result.titles),
        rejected=result.rejected,
        warnings=sum(p.severity.value == "warning" for p in result.problems),
        replaced=replaced,
    )


def relink_works(conn: Any) -> int:
    """Link duplicates and translations across every catalogue of the project.

    Each file's import computes work keys within the file; once it is stored, the keys of the
    whole candidate table are recomputed so that the same book from two partners (or a
    translation and its original) share a key. Only rows whose keys change are written.
    """
    frame = store.candidates(conn)
    if frame.empty:
        return 0
    linked = dedupe.assign_work_keys(frame)
    changed = (linked["work_key"] != frame["work_key"]) | (
        linked["work_group"] != frame["work_group"]
    )
    changed = changed.fillna(True)
    return store.set_work_keys(conn, linked.loc[changed, ["id", "work_key", "work_group"]])


def _read(file: str | Path) -> bytes:
    try:
        return Path(file).read_bytes()
    except OSError as exc:
        raise UsageError(f"{file}: cannot open the file ({exc.strerror}).") from exc


def _partner(conn: Any, name: str) -> dict[str, Any]:
    """The partner named ``name``; a case-insensitive prefix naming exactly one partner also
    does ("Northfield" for "Northfield Primary School Library (demo)")."""
    partners = store.rows(conn, "partner")
    for row in partners:
        if row["name"] == name:
            return row
    folded = name.casefold().strip()
    matches = [row for row in partners if row["name"].casefold().startswith(folded)]
    if len(matches) == 1:
        return matches[0]
    known = ", ".join(repr(row["name"]) for row in partners) or "none yet"
    raise UsageError(
        f"no partner named {name!r} in this project (partners: {known}); check the spelling or "
        "add the partner first."
    )


def _demo_record() -> dict[str, Any]:
    with DEMO_RECORD.open("rb") as handle:
        return tomllib.load(handle)


def _load_record(conn: Any, record: Mapping[str, Any], *, user: str) -> None:
    """The demo's project record, row by row through the store (audited like any edit)."""
    partner_ids = {
        p["name"]: store.insert_row(conn, "partner", p, user=user) for p in record["partners"]
    }
    member_ids = {}
    for member in record.get("committee", []):
        values = {k: v for k, v in member.items() if k != "partner"}
        values["partner_id"] = partner_ids.get(member.get("partner", ""))
        member_ids[member["name"]] = store.insert_row(conn, "committee_member", values, user=user)
    for meeting in record.get("meetings", []):
        meeting_id = store.insert_row(
            conn,
            "meeting",
            {k: meeting[k] for k in ("date", "place", "notes") if k in meeting},
            user=user,
        )
        store.add_attendees(conn, meeting_id, [member_ids[n] for n in meeting.get("attendees", [])])
        for decision in meeting.get("decisions", []):
            store.insert_row(conn, "decision", {**decision, "meeting_id": meeting_id}, user=user)
    for module in record.get("training", []):
        store.insert_row(conn, "training_module", module, user=user)
    milestones = {row["step"]: row for row in store.rows(conn, "milestone")}
    for step, changes in record.get("milestones", {}).items():
        row = milestones[step]
        store.update_row(
            conn, "milestone", row["id"], changes, expected_version=row["version"], user=user
        )
    for line in record.get("budget", []):
        store.insert_row(conn, "budget_line", line, user=user)
    for source in record.get("funding", []):
        values = {k: v for k, v in source.items() if k != "partner"}
        values["partner_id"] = partner_ids.get(source.get("partner", ""))
        store.insert_row(conn, "funding_source", values, user=user)


def _load_planning_documents(conn: Any, *, user: str) -> None:
    """The demo's profile and premises (data/demo/profile.toml, premises.toml), stored under
    their own names."""
    for table, file in (("profile", DEMO_PROFILE), ("premises", DEMO_PREMISES)):
        with file.open("rb") as handle:
            document = tomllib.load(handle)
        store.put_named_data(conn, table, str(document.get("name", file.stem)), document, user=user)


def _remove_new_file(path: str | Path) -> None:
    """Remove a SQLite project file that a failed init left half-created."""
    if "://" in str(path):
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
