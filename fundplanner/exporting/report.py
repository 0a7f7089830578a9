"""The steering-committee report: one HTML document that prints well, and its PDF.

Sections: key figures, partners, collection coverage (audience × category × language, copies
selected / target), gaps and their causes, budget (balance, uses by kind, lines, funding
sources with their caps, exchange rates, points to watch), shipping, training plan and the
agreement's milestones — in French, English or Arabic (``dir="rtl"``). Every label comes from
the i18n catalogues; numbers and dates are written the way the language reads them.

Safety: the HTML is rendered by Jinja2 with autoescaping on, and every value reaches the
template as plain text, so user data (partner names, labels, notes) is always escaped. The
PDF renderer (WeasyPrint) fetches nothing: the document carries its own CSS and no URL.

Print layout: A4, each section on a new page, table headers repeated on every page, rows kept
whole, page numbers in the footer.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from fundplanner import i18n
from fundplanner.budget import BALANCE_ITEMS, BudgetView
from fundplanner.errors import FundplannerError
from fundplanner.reference import load_csv

#: Font stacks: Noto when installed (Debian fonts-noto-core), DejaVu Sans otherwise (it has
#: Arabic glyphs and the shaping tables HarfBuzz needs). fontconfig falls back per character,
#: so Arabic partner names in a French report find an Arabic font too.
FONT_STACKS: Mapping[str, str] = {
    "rtl": '"Noto Naskh Arabic", "Noto Sans Arabic", "Noto Sans", "DejaVu Sans", sans-serif',
    "ltr": '"Noto Sans", "DejaVu Sans", "Noto Naskh Arabic", "Noto Sans Arabic", sans-serif',
}

#: Counter style of page numbers per writing direction (WeasyPrint's predefined styles).
PAGE_COUNTER_STYLE: Mapping[str, str] = {"fr": "decimal", "en": "decimal", "ar": "arabic-indic"}

PROJECT_LANGUAGE_ORDER = ("ara", "fre", "eng")


class ReportError(FundplannerError):
    """The report cannot be produced (e.g. the PDF renderer's system libraries are missing)."""


# ------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class ProjectHeader:
    """The report's heading: the project, the partner town, the library, the report date."""

    name: str
    date: dt.date
    partner_town: str = ""
    library: str = ""
    opening_date: dt.date | None = None


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything the report shows, as plain data (the caller assembles it from the project).

    - ``coverage``: one row per cell, ``audience, category, language, target, selected``;
    - ``gaps``: short cells, ``audience, category, language, target, selected, shortfall,
      cause, cost_to_close_eur`` (rows with no shortfall are left out);
    - ``budget``: a :class:`fundplanner.budget.BudgetView`;
    - ``shipping``: per origin, ``origin, mode, copies, cartons, kg, cost_eur``;
    - ``training``: ``training_module`` rows (subject, mode, place, start_date, end_date,
      trainers, participants, cost, currency);
    - ``milestones``: ``milestone`` rows in their legal order (step, status, date,
      document_ref, notes);
    - ``partners``: ``partner`` rows (name, kind, country, city, role, convention_status).

    Any part may be left empty: its section then says that nothing is recorded yet.
    """

    header: ProjectHeader
    coverage: pd.DataFrame | None = None
    gaps: pd.DataFrame | None = None
    budget: BudgetView | None = None
    shipping: pd.DataFrame | None = None
    training: Sequence[Mapping[str, Any]] = ()
    milestones: Sequence[Mapping[str, Any]] = ()
    partners: Sequence[Mapping[str, Any]] = ()


# ------------------------------------------------------------------------------- view model


@dataclass(frozen=True)
class Cell:
    """One table cell: plain text (escaped by the template), a number aligned at the end."""

    text: str
    numeric: bool = False
    css: str = ""

    def attrs(self, page_direction: str) -> dict[str, str]:
        """The HTML attributes of the cell (``class``, ``dir``), for Jinja's ``xmlattr``."""
        css = " ".join(c for c in ("num" if self.numeric else "", self.css) if c)
        found = {"class": css, "dir": self.dir_attr(page_direction)}
        return {name: value for name, value in found.items() if value}

    def dir_attr(self, page_direction: str) -> str:
        """``ltr``/``rtl`` when the text runs against the page (a French name in an Arabic
        report), so that its punctuation stays in place; empty otherwise."""
        if self.numeric:
            return ""
        own = text_direction(self.text)
        return own if own and own != page_direction else ""


@dataclass(frozen=True)
class Table:
    headers: Sequence[Cell]
    rows: Sequence[Sequence[Cell]]
    row_css: Sequence[str] = ()
    kind: str = "table"


@dataclass(frozen=True)
class Paragraph:
    text: str
    css: str = "note"
    kind: str = "paragraph"


@dataclass(frozen=True)
class Heading:
    text: str
    kind: str = "heading"


@dataclass(frozen=True)
class Items:
    items: Sequence[str]
    css: str = "warnings"
    kind: str = "items"


Block = Table | Paragraph | Heading | Items


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    blocks: Sequence[Block] = field(default_factory=tuple)


def text_direction(text: str) -> str:
    """The direction of ``text``'s first strong character (Unicode bidi class L, R or AL),
    as HTML's ``dir="auto"`` decides it; empty when it has none (digits, punctuation)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return ""


# ------------------------------------------------------------------------------- rendering


def render_html(data: ReportData, lang: str) -> str:
    """The report as a standalone HTML document in ``lang`` (``fr``, ``en`` or ``ar``)."""
    i18n.check_language(lang)
    direction = i18n.direction(lang)
    fmt = _Formatter(lang, data.budget.base_currency if data.budget else "EUR")
    sections = [build(data, fmt) for build in SECTION_BUILDERS]
    header = _header_rows(data.header, fmt)
    return _template().render(
        lang=lang,
        direction=direction,
        css=_css(lang, direction),
        title=i18n.t("report.title", lang),
        header=header,
        header_attrs=[Cell(value).attrs(direction) for _, value in header],
        prepared=i18n.t("report.prepared", lang, date=i18n.format_date(data.header.date, lang)),
        sections=sections,
    )


def render_pdf(html: str, path: str | Path) -> Path:
    """Write ``html`` (from :func:`render_html`) as a PDF file at ``path`` (WeasyPrint).

    Nothing is fetched: any URL in the document is refused. Raises :class:`ReportError` when
    WeasyPrint or its system libraries (Pango ≥ 1.44, HarfBuzz, fontconfig) are missing.
    """
    weasyprint = _weasyprint()
    target = Path(path)
    document = weasyprint.HTML(string=html, url_fetcher=_offline_fetcher(weasyprint))
    try:
        document.write_pdf(target)
    except OSError as exc:
        raise ReportError(
            f"{target}: cannot write the PDF ({exc.strerror or exc}); check that the folder "
            "exists and that you may write there."
        ) from exc
    return target


def pdf_unavailable_reason() -> str | None:
    """Why PDFs cannot be made here (a missing library), or None when they can."""
    try:
        _weasyprint()
    except ReportError as exc:
        return str(exc)
    return None


def _weasyprint() -> Any:
    try:
        with warnings.catch_warnings():
            # WeasyPrint ≥ 66 warns at import when libharfbuzz-subset is missing (it then
            # subsets fonts with fontTools, slower); the report works either way.
            warnings.filterwarnings("ignore", "HarfBuzz-Subset", DeprecationWarning)
            import weasyprint
    except ImportError as exc:
        raise ReportError(
            f"PDF reports need WeasyPrint ({exc}): install it with pip install weasyprint."
        ) from exc
    except OSError as exc:
        raise ReportError(
            f"WeasyPrint cannot load its system libraries ({exc}): install Pango (Debian: "
            "apt install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-noto-core)."
        ) from exc
    return weasyprint


def _offline_fetcher(weasyprint: Any) -> Any:
    """A URL fetcher that allows no protocol: the report embeds everything it needs
    (``URLFetcher(allowed_protocols=…)``, WeasyPrint ≥ 67)."""
    return weasyprint.urls.URLFetcher(allowed_protocols=())


@functools.cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    return environment.from_string(_TEMPLATE)


def _css(lang: str, direction: str) -> str:
    page_word = _css_string(i18n.t("common.page", lang))
    counter = PAGE_COUNTER_STYLE[lang]
    return (
        _CSS.replace("__FONTS__", FONT_STACKS[direction])
        .replace("__PAGE__", page_word)
        .replace("__COUNTER__", counter)
    )


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal that cannot close the string or the style element."""
    escaped = "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text)
    return f'"{escaped}"'


# ------------------------------------------------------------------------------- formatting


@dataclass(frozen=True)
class _Formatter:
    lang: str
    currency: str

    def t(self, key: str, **params: object) -> str:
        return i18n.t(key, self.lang, **params)

    def label(self, prefix: str, code: object) -> str:
        return i18n.label(prefix, _text(code), self.lang) if _text(code) else ""

    def col(self, key: str, numeric: bool = False) -> Cell:
        return Cell(i18n.t(f"column.{key}", self.lang, currency=self.currency), numeric)

    def count(self, value: object) -> Cell:
        return Cell(i18n.format_number(_number(value), self.lang), True)

    def money(self, value: object, currency: str | None = None) -> Cell:
        return Cell(i18n.format_money(_number(value), currency or self.currency, self.lang), True)

    def amount(self, value: object, decimals: int = 0) -> Cell:
        return Cell(i18n.format_number(_number(value), self.lang, decimals), True)

    def percent(self, value: object) -> Cell:
        return Cell(i18n.format_percent(_number(value), self.lang), True)

    def date(self, value: object) -> str:
        if isinstance(value, dt.date | str):
            return i18n.format_date(value, self.lang)
        return ""

    def language(self, code: object) -> str:
        return _language_name(_text(code), self.lang)

    def yes_no(self, flag: object) -> str:
        return self.t("common.yes" if bool(flag) else "common.no")


def _number(value: object) -> float | None:
    if value is None or value is pd.NA or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


@functools.cache
def _language_names() -> Mapping[str, Mapping[str, str]]:
    """Language names by MARC code and interface language (reference/languages.csv)."""
    rows = load_csv("languages.csv", required=("code",))
    return {
        row["code"]: {lang: row.get(f"name_{lang}", "") for lang in i18n.LANGUAGES} for row in rows
    }


def _language_name(code: str, lang: str) -> str:
    name = _language_names().get(code, {}).get(lang, "")
    if not name:
        return code
    return name[:1].upper() + name[1:] if i18n.direction(lang) == "ltr" else name


def _header_rows(header: ProjectHeader, fmt: _Formatter) -> list[tuple[str, str]]:
    rows = [
        (fmt.t("report.header.project"), header.name),
        (fmt.t("report.header.partner_town"), header.partner_town),
        (fmt.t("report.header.library"), header.library),
        (fmt.t("report.header.opening_date"), fmt.date(header.opening_date)),
    ]
    return [(name, value) for name, value in rows if value]


def _empty(fmt: _Formatter) -> Paragraph:
    return Paragraph(fmt.t("report.note.empty"))


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None or frame.empty:
        return []
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


# ------------------------------------------------------------------------------- sections


def _summary_section(data: ReportData, fmt: _Formatter) -> Section:
    """Key figures: copies targeted, selected, covered, short; uses, sources, balance."""
    rows: list[list[Cell]] = []
    if data.coverage is not None and not data.coverage.empty:
        counts = _coverage_counts(data.coverage).values()
        target = sum(t for _, t in counts)
        selected = sum(s for s, _ in counts)
        covered = sum(min(s, t) for s, t in counts)
        rows += [
            [Cell(fmt.t("report.summary.target")), fmt.count(target)],
            [Cell(fmt.t("report.summary.selected")), fmt.count(selected)],
            [
                Cell(fmt.t("report.summary.coverage_rate")),
                fmt.percent(covered / target if target > 0 else None),
            ],
            [Cell(fmt.t("report.summary.shortfall")), fmt.count(target - covered)],
        ]
    if data.budget is not None:
        balance = data.budget.balance
        by_kind = data.budget.by_kind.set_index("kind")["counted"]
        rows += [
            [Cell(fmt.t("report.summary.uses")), fmt.money(balance["uses"])],
            [Cell(fmt.t("report.summary.sources")), fmt.money(balance["sources"])],
            [Cell(fmt.t("report.summary.balance")), fmt.money(balance["balance"])],
            [Cell(fmt.t("report.summary.shipping_cost")), fmt.money(by_kind.get("shipping"))],
            [Cell(fmt.t("report.summary.training_cost")), fmt.money(by_kind.get("training"))],
        ]
    title = fmt.t("report.section.summary")
    if not rows:
        return Section("summary", title, (_empty(fmt),))
    table = Table((fmt.col("item"), fmt.col("value", numeric=True)), rows)
    return Section("summary", title, (table,))


def _partners_section(data: ReportData, fmt: _Formatter) -> Section:
    title = fmt.t("report.section.partners")
    if not data.partners:
        return Section("partners", title, (_empty(fmt),))
    headers = [fmt.col(k) for k in ("name", "kind", "country", "city", "role")]
    headers.append(fmt.col("convention_status"))
    rows = [
        [
            Cell(_text(p.get("name"))),
            Cell(fmt.label("partner.kind", p.get("kind"))),
            Cell(_text(p.get("country"))),
            Cell(_text(p.get("city"))),
            Cell(_text(p.get("role"))),
            Cell(fmt.label("partner.convention", p.get("convention_status"))),
        ]
        for p in data.partners
    ]
    return Section("partners", title, (Table(headers, rows),))


def _coverage_section(data: ReportData, fmt: _Formatter) -> Section:
    """The matrix: one row per audience × category, one column per language, each cell
    ``selected / target``; short cells are marked, totals close rows and columns."""
    title = fmt.t("report.section.coverage")
    frame = data.coverage
    if frame is None or frame.empty:
        return Section("coverage", title, (_empty(fmt),))
    counts = _coverage_counts(frame)
    languages = _ordered_languages(key[2] for key in counts)
    pairs = list(dict.fromkeys((key[0], key[1]) for key in counts))
    headers = [fmt.col("audience"), fmt.col("category")]
    headers += [Cell(fmt.language(code), True) for code in languages]
    headers.append(Cell(fmt.t("common.total"), True))
    rows = []
    for audience, category in pairs:
        row = [Cell(fmt.label("audience", audience)), Cell(fmt.label("category", category))]
        for language in languages:
            found = counts.get((audience, category, language))
            row.append(_ratio_cell(*found, fmt) if found else Cell("", True))
        row.append(_total_cell(counts, fmt, audience=audience, category=category))
        rows.append(row)
    totals = [Cell(fmt.t("common.total")), Cell("")]
    totals += [_total_cell(counts, fmt, language=language) for language in languages]
    totals.append(_total_cell(counts, fmt))
    rows.append(totals)
    table = Table(headers, rows, row_css=[""] * (len(rows) - 1) + ["total"])
    return Section("coverage", title, (Paragraph(fmt.t("report.note.coverage")), table))


CellKey = tuple[str, str, str]


def _coverage_counts(frame: pd.DataFrame) -> dict[CellKey, tuple[float, float]]:
    """(selected, target) per (audience, category, language), in the frame's order."""
    counts: dict[CellKey, tuple[float, float]] = {}
    for row in _records(frame):
        key = (_text(row.get("audience")), _text(row.get("category")), _text(row.get("language")))
        selected, target = counts.get(key, (0.0, 0.0))
        counts[key] = (
            selected + (_number(row.get("selected")) or 0.0),
            target + (_number(row.get("target")) or 0.0),
        )
    return counts


def _total_cell(
    counts: Mapping[CellKey, tuple[float, float]],
    fmt: _Formatter,
    *,
    audience: str | None = None,
    category: str | None = None,
    language: str | None = None,
) -> Cell:
    """Selected / target summed over the cells that match every field given."""
    wanted = (audience, category, language)
    chosen = [
        value
        for key, value in counts.items()
        if all(w is None or w == k for w, k in zip(wanted, key, strict=True))
    ]
    return _ratio_cell(sum(v[0] for v in chosen), sum(v[1] for v in chosen), fmt)


def _ordered_languages(codes: Iterable[str]) -> list[str]:
    present = list(dict.fromkeys(codes))
    first = [c for c in PROJECT_LANGUAGE_ORDER if c in present]
    return first + sorted(c for c in present if c not in first)


def _ratio_cell(selected: float, target: float, fmt: _Formatter) -> Cell:
    text = f"{i18n.format_number(selected, fmt.lang)} / {i18n.format_number(target, fmt.lang)}"
    return Cell(text, True, "short" if selected < target else "")


def _gaps_section(data: ReportData, fmt: _Formatter) -> Section:
    title = fmt.t("report.section.gaps")
    gaps = [row for row in _records(data.gaps) if (_number(row.get("shortfall")) or 0) > 0]
    if not gaps:
        return Section("gaps", title, (Paragraph(fmt.t("report.note.no_gaps")),))
    headers = [fmt.col("audience"), fmt.col("category"), fmt.col("language")]
    headers += [fmt.col(k, numeric=True) for k in ("target", "selected", "shortfall")]
    headers += [fmt.col("cause"), fmt.col("cost_to_close", numeric=True)]
    rows = [
        [
            Cell(fmt.label("audience", g.get("audience"))),
            Cell(fmt.label("category", g.get("category"))),
            Cell(fmt.language(g.get("language"))),
            fmt.count(g.get("target")),
            fmt.count(g.get("selected")),
            fmt.count(g.get("shortfall")),
            Cell(fmt.label("gap.cause", g.get("cause"))),
            fmt.money(g.get("cost_to_close_eur"), "EUR"),
        ]
        for g in gaps
    ]
    return Section("gaps", title, (Table(headers, rows),))


def _budget_section(data: ReportData, fmt: _Formatter) -> Section:
    title = fmt.t("report.section.budget")
    view = data.budget
    if view is None:
        return Section("budget", title, (_empty(fmt),))
    blocks: list[Block] = [
        Heading(fmt.t("report.subsection.balance")),
        _balance_table(view, fmt),
        Heading(fmt.t("report.subsection.warnings")),
        Items(view.messages(fmt.lang))
        if view.alerts
        else Paragraph(fmt.t("report.note.no_warnings")),
        Heading(fmt.t("report.subsection.budget_by_kind")),
        _by_kind_table(view, fmt),
        Heading(fmt.t("report.subsection.budget_lines")),
        Paragraph(fmt.t("report.note.budget_rule")),
        _lines_table(view, fmt),
        Heading(fmt.t("report.subsection.funding")),
        _funding_table(view, fmt),
        Heading(fmt.t("report.subsection.rates")),
        Paragraph(fmt.t("report.note.rates", currency=view.base_currency)),
        _rates_table(view, fmt),
    ]
    return Section("budget", title, tuple(blocks))


def _balance_table(view: BudgetView, fmt: _Formatter) -> Table:
    rows = [
        [Cell(fmt.t(f"budget.balance.{item}")), fmt.money(view.balance[key])]
        for item, key in BALANCE_ITEMS
    ]
    css = ["total" if item == "balance" else "" for item, _ in BALANCE_ITEMS]
    return Table((fmt.col("item"), fmt.col("amount_base", numeric=True)), rows, css)


def _by_kind_table(view: BudgetView, fmt: _Formatter) -> Table:
    headers = [fmt.col("kind")]
    headers += [
        fmt.col(k, numeric=True) for k in ("manual", "computed", "counted", "committed", "spent")
    ]
    headers.append(fmt.col("share", numeric=True))
    rows = [
        [
            Cell(fmt.label("budget.kind", r["kind"])),
            fmt.money(r["manual"]),
            fmt.money(r["computed"]),
            fmt.money(r["counted"]),
            fmt.money(r["committed"]),
            fmt.money(r["spent"]),
            fmt.percent(r["share"]),
        ]
        for r in _records(view.by_kind)
    ]
    frame = view.by_kind
    rows.append(
        [
            Cell(fmt.t("common.total")),
            *(fmt.money(frame[c].sum()) for c in ("manual", "computed", "counted")),
            *(fmt.money(frame[c].sum()) for c in ("committed", "spent")),
            fmt.percent(1.0 if view.balance["uses"] > 0 else None),
        ]
    )
    return Table(headers, rows, [""] * (len(rows) - 1) + ["total"])


def _lines_table(view: BudgetView, fmt: _Formatter) -> Table | Paragraph:
    if view.lines.empty:
        return _empty(fmt)
    headers = [fmt.col("kind"), fmt.col("label"), fmt.col("source")]
    headers += [fmt.col(k, numeric=True) for k in ("planned", "committed", "spent")]
    headers += [fmt.col("amount_base", numeric=True), fmt.col("in_balance")]
    labels = view.line_labels(fmt.lang)
    rows, css = [], []
    for label, line in zip(labels, _records(view.lines), strict=True):
        currency = line["currency"]
        rows.append(
            [
                Cell(fmt.label("budget.kind", line["kind"])),
                Cell(label),
                Cell(fmt.label("budget.source", line["source"])),
                fmt.money(line["planned"], currency),
                fmt.money(line["committed"], currency),
                fmt.money(line["spent"], currency),
                fmt.money(line["amount_base"]),
                Cell(fmt.yes_no(line["in_balance"])),
            ]
        )
        css.append("" if line["in_balance"] else "muted")
    return Table(headers, rows, css)


def _funding_table(view: BudgetView, fmt: _Formatter) -> Table | Paragraph:
    if view.funding.empty:
        return _empty(fmt)
    headers = [fmt.col("name"), fmt.col("kind"), fmt.col("amount", numeric=True)]
    headers += [fmt.col(k, numeric=True) for k in ("amount_base", "share", "cap_share")]
    headers.append(fmt.col("status"))
    rows, css = [], []
    for source in _records(view.funding):
        rows.append(
            [
                Cell(_text(source["name"])),
                Cell(fmt.label("funding.kind", source["kind"])),
                fmt.money(source["amount"], source["currency"]),
                fmt.money(source["amount_base"]),
                fmt.percent(source["share"]),
                fmt.percent(source["cap_share"]),
                Cell(fmt.label("funding.status", source["status"])),
            ]
        )
        css.append("alert" if source["over_cap"] else "")
    return Table(headers, rows, css)


def _rates_table(view: BudgetView, fmt: _Formatter) -> Table:
    headers = [fmt.col("currency"), fmt.col("eur_per_unit", numeric=True)]
    headers += [fmt.col("rate_date"), fmt.col("rate_source")]
    rows = [
        [
            Cell(_text(rate["currency"])),
            fmt.amount(rate["eur_per_unit"], _rate_decimals(rate["eur_per_unit"])),
            Cell(fmt.date(rate["date"])),
            Cell(_text(rate["source"])),
        ]
        for rate in _records(view.rates)
    ]
    return Table(headers, rows)


def _rate_decimals(rate: object) -> int:
    """Enough decimals to show three significant digits of a rate (0.0000096 LBP)."""
    value = _number(rate)
    if value is None or value <= 0:
        return 2
    return max(2, 2 - math.floor(math.log10(value)))


def _shipping_section(data: ReportData, fmt: _Formatter) -> Section:
    title = fmt.t("report.section.shipping")
    origins = _records(data.shipping)
    if not origins:
        return Section("shipping", title, (_empty(fmt),))
    headers = [fmt.col("origin"), fmt.col("mode")]
    headers += [fmt.col(k, numeric=True) for k in ("copies", "cartons", "weight_kg")]
    headers.append(fmt.col("cost", numeric=True))
    rows = [
        [
            Cell(_text(o.get("origin"))),
            Cell(fmt.label("shipping.mode", o.get("mode"))),
            fmt.count(o.get("copies")),
            fmt.count(o.get("cartons")),
            fmt.amount(o.get("kg"), 1),
            fmt.money(o.get("cost_eur"), "EUR"),
        ]
        for o in origins
    ]
    frame = data.shipping
    assert frame is not None
    rows.append(
        [
            Cell(fmt.t("common.total")),
            Cell(""),
            *(
                fmt.amount(pd.to_numeric(frame[c], errors="coerce").sum(), d)
                if c in frame
                else Cell("", True)
                for c, d in (("copies", 0), ("cartons", 0), ("kg", 1))
            ),
            fmt.money(pd.to_numeric(frame["cost_eur"], errors="coerce").sum(), "EUR")
            if "cost_eur" in frame
            else Cell("", True),
        ]
    )
    return Section("shipping", title, (Table(headers, rows, [""] * len(origins) + ["total"]),))


def _training_section(data: ReportData, fmt: _Formatter) -> Section:
    title = fmt.t("report.section.training")
    if not data.training:
        return Section("training", title, (_empty(fmt),))
    headers = [fmt.col(k) for k in ("subject", "mode", "place", "dates", "trainers")]
    headers += [fmt.col("participants"), fmt.col("cost", numeric=True)]
    rows = [
        [
            Cell(_text(m.get("subject"))),
            Cell(fmt.label("training.mode", m.get("mode"))),
            Cell(_text(m.get("place"))),
            Cell(_date_range(m.get("start_date"), m.get("end_date"), fmt)),
            Cell(_text(m.get("trainers"))),
            Cell(_text(m.get("participants"))),
            fmt.money(m.get("cost"), _text(m.get("currency")) or "EUR"),
        ]
        for m in data.training
    ]
    return Section("training", title, (Table(headers, rows),))


def _date_range(start: object, end: object, fmt: _Formatter) -> str:
    first, last = fmt.date(start), fmt.date(end)
    if first and last and first != last:
        return f"{first} – {last}"
    return first or last


def _milestones_section(data: ReportData, fmt: _Formatter) -> Section:
    title = fmt.t("report.section.milestones")
    if not data.milestones:
        return Section("milestones", title, (_empty(fmt),))
    headers = [fmt.col(k) for k in ("step", "status", "date", "document", "notes")]
    rows, css = [], []
    for m in data.milestones:
        rows.append(
            [
                Cell(fmt.label("milestone.step", m.get("step"))),
                Cell(fmt.label("milestone.status", m.get("status"))),
                Cell(fmt.date(m.get("date"))),
                Cell(_text(m.get("document_ref"))),
                Cell(_text(m.get("notes"))),
            ]
        )
        css.append("done" if m.get("status") == "done" else "")
    return Section("milestones", title, (Table(headers, rows, css),))


SECTION_BUILDERS: tuple[Callable[[ReportData, _Formatter], Section], ...] = (
    _summary_section,
    _partners_section,
    _coverage_section,
    _gaps_section,
    _budget_section,
    _shipping_section,
    _training_section,
    _milestones_section,
)


# ------------------------------------------------------------------------------- template


_CSS = """
@page {
  size: A4;
  margin: 16mm 14mm 18mm 14mm;
  @bottom-center {
    content: __PAGE__ " " counter(page, __COUNTER__) " / " counter(pages, __COUNTER__);
    font-size: 8pt;
    color: #555;
  }
}
html { font-family: __FONTS__; font-size: 9.5pt; line-height: 1.35; color: #111; }
body { margin: 0; }
header.report { border-bottom: 2pt solid #1f4e79; margin-bottom: 5mm; padding-bottom: 3mm; }
h1 { font-size: 18pt; color: #1f4e79; margin: 0 0 3mm 0; }
h2 { font-size: 13pt; color: #1f4e79; border-bottom: 1pt solid #1f4e79;
     margin: 0 0 3mm 0; padding-bottom: 1mm; }
h3 { font-size: 10.5pt; margin: 5mm 0 2mm 0; break-after: avoid; }
dl.heading { display: table; margin: 0; }
dl.heading div { display: table-row; }
dl.heading dt, dl.heading dd { display: table-cell; padding: 0.5mm 0; }
dl.heading dt { font-weight: bold; padding-inline-end: 4mm; }
dl.heading dd { margin: 0; }
p.prepared { color: #444; margin: 2mm 0 0 0; }
section { break-before: page; }
section:first-of-type { break-before: auto; }
table { width: 100%; border-collapse: collapse; margin: 0 0 3mm 0; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 0.5pt solid #9aa5b1; padding: 1mm 1.5mm; vertical-align: top; text-align: start;
         font-size: 8.5pt; overflow-wrap: break-word; }
th { background: #e6edf5; font-weight: bold; }
th.num, td.num { text-align: end; }
td.num { white-space: nowrap; }
html[dir=rtl] { font-size: 10.5pt; }  /* Naskh letters run smaller than Latin ones */
html[dir=rtl] th, html[dir=rtl] td { font-size: 9.5pt; }
tr.total td { font-weight: bold; background: #f2f2f2; }
/* no italic: Arabic has none, and WeasyPrint 70 drew wrong glyphs (€ as an Arabic
   presentation form) for an oblique DejaVu run in an RTL table */
tr.muted td { color: #6b6b6b; }
tr.alert td, td.short { background: #fbe3e3; }
tr.done td { color: #2f5f2f; }
p.note { color: #444; font-size: 8.5pt; margin: 0 0 2mm 0; }
ul.warnings { margin: 0 0 3mm 0; }
ul.warnings li { margin-bottom: 1.5mm; }
@media screen { body { max-width: 190mm; margin: 10mm auto; } }
"""

_TEMPLATE = """<!DOCTYPE html>
<html lang="{{ lang }}" dir="{{ direction }}">
<head>
<meta charset="utf-8">
<title>{{ title }}{% if header %} — {{ header[0][1] }}{% endif %}</title>
<style>{{ css | safe }}</style>
</head>
<body>
<header class="report">
<h1>{{ title }}</h1>
<dl class="heading">
{% for name, value in header %}
<div><dt>{{ name }}</dt><dd{{ header_attrs[loop.index0] | xmlattr }}>{{ value }}</dd></div>
{% endfor %}
</dl>
<p class="prepared">{{ prepared }}</p>
</header>
{% for section in sections %}
<section id="{{ section.key }}">
<h2>{{ section.title }}</h2>
{% for block in section.blocks %}
{% if block.kind == "table" %}
<table>
<thead><tr>
{% for cell in block.headers %}<th{{ cell.attrs(direction) | xmlattr }}>{{ cell.text }}</th>
{% endfor %}
</tr></thead>
<tbody>
{% for row in block.rows %}
<tr{{ {"class": (block.row_css[loop.index0] or none) if block.row_css else none} | xmlattr }}>
{% for cell in row %}<td{{ cell.attrs(direction) | xmlattr }}>{{ cell.text }}</td>
{% endfor %}
</tr>
{% endfor %}
</tbody>
</table>
{% elif block.kind == "heading" %}
<h3>{{ block.text }}</h3>
{% elif block.kind == "items" %}
<ul class="{{ block.css }}">
{% for item in block.items %}<li>{{ item }}</li>
{% endfor %}
</ul>
{% else %}
<p class="{{ block.css }}">{{ block.text }}</p>
{% endif %}
{% endfor %}
</section>
{% endfor %}
</body>
</html>
"""
