"""Exports: acquisition lists, MARC for the partner library's ILS, packing lists, budget.

Modules (each importable on its own):

- :mod:`.safe` — spreadsheet formula-injection escaping (OWASP);
- :mod:`.tables` — CSV/XLSX acquisition lists, packing lists, the budget workbook;
- :mod:`.marc` — MARC 21 (ISO 2709, MARCXML) with Koha 952 items, UNIMARC with 995 items.

**Registry.** Every export the shells offer (``fundplanner export --kind KIND``, the
dashboard's download buttons) is an :class:`ExportFormat` registered here under its name;
:func:`export` dispatches to it. The built-in formats are registered below; another module
(a report writer, say) adds its own with :func:`register`::

    register(ExportFormat("report-html", "project", ".html", "The project report", write_report))

A writer is called as ``write(data, path, **options)`` and returns what it wrote (a path,
or a result object); ``data`` is what the format's ``input`` names:

- ``selection``: the selection frame (one row per selected candidate, see :mod:`.marc`);
- ``packing``: the packing frame of fundplanner.shipping, with ``customs=`` the declaration
  header fields;
- ``budget``: a mapping {view name: frame} of fundplanner.budget.

Writers import their libraries when called, so importing this package stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from fundplanner.errors import FundplannerError, UsageError


class ExportError(FundplannerError):
    """An export cannot be written at all (folder missing, no permission, disk full)."""


#: A writer: ``write(data, path, **options)``.
Writer = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """One kind of export the shells offer."""

    name: str  # "acquisitions-xlsx", "marc21" … (the CLI's --kind)
    input: str  # what ``data`` is: "selection", "packing", "budget" (or a new kind's own)
    suffix: str  # the usual file suffix, ".xlsx"
    description: str  # one line for --help and the dashboard
    write: Writer


_FORMATS: dict[str, ExportFormat] = {}


def register(fmt: ExportFormat, *, replace: bool = False) -> ExportFormat:
    """Add ``fmt`` to the registry (a second format of the same name needs ``replace``)."""
    if fmt.name in _FORMATS and not replace:
        raise UsageError(
            f"an export format named {fmt.name!r} is already registered; "
            "pass replace=True to replace it."
        )
    _FORMATS[fmt.name] = fmt
    return fmt


def formats() -> tuple[ExportFormat, ...]:
    """Every registered format, in registration order."""
    return tuple(_FORMATS.values())


def get_format(name: str) -> ExportFormat:
    """The format called ``name``; a :class:`UsageError` lists the known names otherwise."""
    try:
        return _FORMATS[name]
    except KeyError:
        known = ", ".join(_FORMATS)
        raise UsageError(f"unknown export kind {name!r}; choose one of: {known}.") from None


def export(name: str, data: Any, path: str | Path, **options: Any) -> Any:
    """Write ``data`` to ``path`` as the format ``name`` (see the module docstring)."""
    return get_format(name).write(data, Path(path), **options)


# ---------------------------------------------------------------------------------------
# Built-in formats (writers import their modules lazily)


def _acquisitions(table_format: Literal["csv", "xlsx"]) -> Writer:
    def write(data: Any, path: Path, **options: Any) -> Any:
        from fundplanner.exporting.tables import write_acquisitions

        return write_acquisitions(data, path, format=table_format, **options)

    return write


def _marc(
    flavour: Literal["marc21", "unimarc"], container: Literal["iso2709", "marcxml"]
) -> Writer:
    def write(data: Any, path: Path, **options: Any) -> Any:
        from fundplanner.exporting.marc import write_marc

        return write_marc(data, path, flavour=flavour, container=container, **options)

    return write


def _packing(table_format: Literal["csv", "xlsx"]) -> Writer:
    def write(data: Any, path: Path, *, customs: Any = None, **options: Any) -> Any:
        from fundplanner.exporting.tables import write_packing

        return write_packing(data, customs or {}, path, format=table_format, **options)

    return write


def _budget(data: Any, path: Path, **options: Any) -> Any:
    from fundplanner.exporting.tables import write_budget

    return write_budget(data, path, **options)


for _fmt in (
    ExportFormat(
        "acquisitions-xlsx",
        "selection",
        ".xlsx",
        "Acquisition lists per supplier (by=partner: per partner), totals per currency",
        _acquisitions("xlsx"),
    ),
    ExportFormat(
        "acquisitions-csv",
        "selection",
        ".csv",
        "Acquisition lists in one CSV (UTF-8 with BOM), a group column and total rows",
        _acquisitions("csv"),
    ),
    ExportFormat(
        "marc21",
        "selection",
        ".mrc",
        "MARC 21 records (ISO 2709, UTF-8) with Koha 952 item fields, one per copy",
        _marc("marc21", "iso2709"),
    ),
    ExportFormat(
        "marcxml",
        "selection",
        ".xml",
        "MARC 21 records as MARCXML (MARC21 slim) with Koha 952 item fields",
        _marc("marc21", "marcxml"),
    ),
    ExportFormat(
        "unimarc",
        "selection",
        ".mrc",
        "UNIMARC records (ISO 2709, UTF-8) with 995 item fields for PMB or Koha UNIMARC",
        _marc("unimarc", "iso2709"),
    ),
    ExportFormat(
        "unimarcxml",
        "selection",
        ".xml",
        "UNIMARC records as UNIMARC slim XML with 995 item fields",
        _marc("unimarc", "marcxml"),
    ),
    ExportFormat(
        "packing-xlsx",
        "packing",
        ".xlsx",
        "Packing list with its customs declaration, per carton totals",
        _packing("xlsx"),
    ),
    ExportFormat(
        "packing-csv",
        "packing",
        ".csv",
        "Packing list as CSV: declaration rows, an empty line, the packing table",
        _packing("csv"),
    ),
    ExportFormat(
        "budget-xlsx",
        "budget",
        ".xlsx",
        "Budget workbook, one sheet per view, totals rows",
        _budget,
    ),
):
    register(_fmt)
