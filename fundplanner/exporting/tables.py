"""Tables for people: acquisition lists, packing lists and the budget workbook (CSV and XLSX).

Every writer is safe against spreadsheet formula injection (:mod:`.safe`, OWASP "CSV
Injection") and keeps Arabic right to left:

- **CSV** is UTF-8 with a byte-order mark (Excel reads a CSV without one in the machine's
  legacy code page and shows Arabic as ``Ø§Ù„``), separated by commas and CRLF line ends
  (RFC 4180). French Excel expects ``;`` and a decimal comma: pass ``sep=";",
  decimal=","``. Text that a spreadsheet would run as a formula is prefixed with ``'``;
  numbers stay numbers (a negative price is ``-2.5``, not text). A CSV has no cell
  direction: Arabic is written in logical order and the spreadsheet lays each cell out with
  the Unicode bidirectional algorithm, which is all that can be asked of the format.
- **XLSX** is written cell by cell with openpyxl: user strings are *text* cells (never
  formulas, whatever they start with; those starting like a formula also get the
  ``quotePrefix`` style, Excel's own "'" marker, so that editing the cell keeps it text);
  numbers are numeric cells with a number format: money (``#,##0.00`` followed by the
  currency) for columns named with an English money word or a currency (``price_eur``,
  ``Montant (JOD)``) or listed as :data:`MONEY` in ``number_formats``, in the currency the
  name states or else the row's (a ``currency`` column, or any column whose values are all
  ISO 4217 codes: "Devise", "العملة"); ``0`` for integers. The header row is bold and
  frozen; column widths follow the contents.
- **Right to left** (both kinds, tested): a text cell whose first strong character is
  right-to-left (Unicode UAX #9, rules P2-P3) is aligned right with reading order RTL
  (``readingOrder=2``); a sheet whose title, header and cells hold more right-to-left
  letters than left-to-right ones (Arabic titles, authors and publishers outweigh the
  short codes beside them; Arabic headers) is shown right to left as a whole
  (``sheetView rightToLeft``), as an Arabic reader expects of an Arabic list.
  ``right_to_left=True/False`` forces it.

Layout of a written sheet (what :func:`read_xlsx_sheet` reads back): an optional title row,
the header row, the data rows, then, after one empty row, the totals rows (label in the
first text column).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from fundplanner.errors import UsageError
from fundplanner.exporting import ExportError
from fundplanner.exporting.safe import is_missing, is_number, needs_escape, safe_frame, safe_text
from fundplanner.money import exchange_rates

TableFormat = Literal["csv", "xlsx"]
GroupBy = Literal["supplier", "partner"]

#: Columns of one acquisition list, in order (see :func:`acquisition_lists`).
ACQUISITION_COLUMNS: tuple[str, ...] = (
    "candidate_id",
    "title",
    "authors",
    "isbn",
    "publisher",
    "year",
    "language",
    "acquisition",
    "copies",
    "unit_price",
    "currency",
    "line_total",
    "price_eur",
    "line_total_eur",
)

#: Columns of the per-currency totals of one list (see :func:`currency_totals`).
TOTAL_COLUMNS: tuple[str, ...] = (
    "currency",
    "lines",
    "copies",
    "line_total",
    "line_total_eur",
    "unpriced_lines",
)

#: Label of a group whose supplier or partner is not known.
UNKNOWN_GROUP = {"supplier": "(unknown supplier)", "partner": "(no partner)"}
NO_CURRENCY = "(none)"
SUMMARY_SHEET = "Summary"

#: ``number_formats`` value meaning "money, in the column's or the row's currency".
MONEY = "money"
_CODE_TOKEN = re.compile(r"(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])")
_MONEY_WORDS = frozenset(
    "price cost costs amount amounts total totals budget balance eur spent paid funding "
    "contribution contributions value subtotal".split()
)
#: Numeric columns that a totals row never sums (identifiers, dates, rates, unit values).
_NOT_SUMMED_WORDS = frozenset("id no num number year rate ratio unit".split())
_WORD_SPLIT = re.compile(r"[^0-9a-z]+")
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_MAX_SHEET_TITLE = 31  # Excel's limit
_MAX_WIDTH = 60
_WIDTH_SAMPLE = 1000
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_BOLD = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=14)
_RTL = Alignment(horizontal="right", readingOrder=2)
_DATE_FORMAT = "yyyy-mm-dd"


# ---------------------------------------------------------------------------------------
# Text direction


def text_direction(text: str) -> Literal["rtl", "ltr"] | None:
    """Direction of ``text`` by its first strong character (UAX #9, rules P2-P3).

    ``"rtl"`` for Arabic or Hebrew letters (bidi classes AL, R), ``"ltr"`` for Latin and other
    left-to-right letters (L), None when the text has no strong character (digits, ISBNs).
    """
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return None


_RTL_LETTERS = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def letter_balance(text: str) -> int:
    """Right-to-left letters minus left-to-right letters of ``text`` (Arabic and Hebrew
    blocks count as right to left, every other letter as left to right)."""
    rtl = sum(1 for char in text if char.isalpha() and _RTL_LETTERS.match(char))
    return 2 * rtl - sum(1 for char in text if char.isalpha())


def is_rtl_text(value: Any) -> bool:
    """Whether a cell value is text that reads right to left (see :func:`text_direction`)."""
    return isinstance(value, str) and text_direction(value) == "rtl"


# ---------------------------------------------------------------------------------------
# CSV


def write_csv(frame: pd.DataFrame, path: str | Path, *, sep: str = ",", decimal: str = ".") -> Path:
    """Write ``frame`` as a safe CSV: UTF-8 with BOM, formula-like text escaped (see module)."""
    target = Path(path)
    safe = safe_frame(frame)
    try:
        safe.to_csv(
            target,
            index=False,
            sep=sep,
            decimal=decimal,
            encoding="utf-8-sig",
            lineterminator="\r\n",
            quoting=csv.QUOTE_MINIMAL,
        )
    except OSError as exc:
        raise _write_error(target, exc) from exc
    return target


def _write_error(path: Path, exc: OSError) -> ExportError:
    return ExportError(
        f"{path}: cannot write the file ({exc.strerror or exc}). Check that the folder exists, "
        "that the file is not open in a spreadsheet, and that there is space left."
    )


# ---------------------------------------------------------------------------------------
# XLSX


def _words(name: Any) -> set[str]:
    return {w for w in _WORD_SPLIT.split(str(name).lower()) if w}


@functools.cache
def _currency_codes() -> frozenset[str]:
    """ISO 4217 codes fundplanner knows (``reference/exchange_rates.csv``)."""
    return frozenset(exchange_rates())


def _code_in_name(name: Any) -> str | None:
    """The currency a column's name states: ``price_eur`` → EUR, ``Montant (JOD)`` → JOD."""
    if "eur" in _words(name):
        return "EUR"
    for token in _CODE_TOKEN.findall(str(name)):
        if token in _currency_codes():
            return token
    return None


def _currency_column(frame: pd.DataFrame) -> Any:
    """The column holding each row's currency: named ``currency``, or else a text column
    whose every value is a known ISO 4217 code (a localised header such as "Devise")."""
    if "currency" in frame.columns:
        return "currency"
    for name in frame.columns:
        values = [v for v in frame[name].head(_WIDTH_SAMPLE) if not is_missing(v)]
        if values and all(isinstance(v, str) and v in _currency_codes() for v in values):
            return name
    return None


@dataclass(frozen=True, slots=True)
class _Style:
    """How the numbers of one column are shown."""

    format: str | None  # a fixed Excel number format (None: General, or money below)
    money: bool
    currency: str | None  # the currency the column's name states


def _style(frame: pd.DataFrame, name: Any, formats: Mapping[str, str]) -> _Style:
    given = formats.get(str(name))
    if given is not None and given != MONEY:
        return _Style(given, False, None)
    dtype = frame[name].dtype
    code = _code_in_name(name)
    if given == MONEY or bool(_words(name) & _MONEY_WORDS) or code is not None:
        return _Style(None, True, code)
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return _Style("0", False, None)
    return _Style(None, False, None)


def _money_format(currency: str | None) -> str:
    if currency == "EUR":
        return '#,##0.00 "€"'
    if currency and _CURRENCY_CODE.fullmatch(currency):
        return f'#,##0.00 "{currency}"'
    return "#,##0.00"


def _number_format(style: _Style, row_currency: str | None) -> str | None:
    if style.money:
        return _money_format(style.currency or row_currency)
    return style.format


def _plain(value: Any) -> Any:
    """A cell value openpyxl can write: numpy scalars → Python, timestamps → datetime."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    item = getattr(value, "item", None)
    if callable(item) and not isinstance(value, str | bytes | Decimal):
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


def xlsx_text(value: Any) -> str:
    """Text as an XLSX cell may hold it: characters XML forbids are dropped."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _put(ws: Worksheet, row: int, column: int, value: Any, number_format: str | None) -> None:
    """Write one cell: numbers as numbers, everything else as a text cell (never a formula)."""
    if is_missing(value):
        return
    value = _plain(value)
    cell = ws.cell(row=row, column=column)
    if isinstance(value, bool) or (is_number(value) and math.isfinite(float(value))):
        cell.value = value
        if number_format and not isinstance(value, bool):
            cell.number_format = number_format
        return
    if isinstance(value, dt.date | dt.datetime):
        cell.value = value
        cell.number_format = _DATE_FORMAT
        return
    text = xlsx_text(value)
    cell.value = text
    cell.data_type = "s"  # a str starting with "=" would otherwise be stored as a formula
    if needs_escape(text):
        cell.quotePrefix = True
    if is_rtl_text(text):
        cell.alignment = _RTL


def _sheet_title(name: Any, used: set[str]) -> str:
    """A valid, unique sheet title: Excel forbids ``[]:*?/\\``, leading/trailing quotes and
    more than 31 characters, and compares titles without case."""
    base = _SHEET_FORBIDDEN.sub("_", xlsx_text(name)).strip().strip("'") or "Sheet"
    title = base[:_MAX_SHEET_TITLE]
    number = 2
    while title.casefold() in used:
        suffix = f" ({number})"
        title = base[: _MAX_SHEET_TITLE - len(suffix)] + suffix
        number += 1
    used.add(title.casefold())
    return title


def _row_currencies(frame: pd.DataFrame, column: Any) -> list[str | None]:
    if column is None or column not in frame.columns:
        return [None] * len(frame)
    return [None if is_missing(v) else str(v).strip().upper() for v in frame[column]]


def _write_rows(
    ws: Worksheet,
    start: int,
    frame: pd.DataFrame,
    styles: Sequence[_Style],
    currency_column: Any,
    *,
    bold: bool = False,
) -> tuple[int, int]:
    """Write the rows of ``frame`` from row ``start``; returns (next row, letter balance)."""
    balance = 0
    row_no = start
    currencies = _row_currencies(frame, currency_column)
    for values, currency in zip(frame.itertuples(index=False, name=None), currencies, strict=True):
        for col_no, (style, value) in enumerate(zip(styles, values, strict=True), 1):
            _put(ws, row_no, col_no, value, _number_format(style, currency))
            if bold and not is_missing(value):
                ws.cell(row=row_no, column=col_no).font = _BOLD
            if isinstance(value, str):
                balance += letter_balance(value)
        row_no += 1
    return row_no, balance


def _write_header(ws: Worksheet, row: int, columns: Sequence[Any]) -> int:
    balance = 0
    for col_no, name in enumerate(columns, 1):
        _put(ws, row, col_no, str(name), None)
        cell = ws.cell(row=row, column=col_no)
        cell.font = _BOLD
        cell.fill = _HEADER_FILL
        balance += letter_balance(str(name))
    return balance


def _fit_widths(ws: Worksheet, frame: pd.DataFrame) -> None:
    sample = frame.head(_WIDTH_SAMPLE)
    for col_no, name in enumerate(frame.columns, 1):
        lengths = [len(str(name))]
        lengths += [len(str(v)) for v in sample[name] if not is_missing(v)]
        ws.column_dimensions[get_column_letter(col_no)].width = min(_MAX_WIDTH, max(lengths) + 2)


def _summable(frame: pd.DataFrame, name: Any) -> bool:
    dtype = frame[name].dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        return False
    return not (_words(name) & _NOT_SUMMED_WORDS)


def sum_row(frame: pd.DataFrame, label: str = "Total") -> pd.DataFrame:
    """One totals row: the sum of every summable numeric column (empty when there is none).

    Summable: a numeric, non-boolean column whose name has none of the words ``id``, ``no``,
    ``number``, ``year``, ``rate``, ``ratio``, ``unit`` (identifiers, years, exchange rates
    and unit prices do not add up). ``label`` goes in the first column that is not summed.
    A sheet whose numbers do not add up (a balance, a rate table) takes no totals row:
    ``write_xlsx(..., totals={"Balance": False, ...})``.
    """
    summed = {
        name: frame[name].sum(min_count=1) for name in frame.columns if _summable(frame, name)
    }
    if not summed:
        return frame.iloc[0:0]
    row: dict[Any, Any] = dict.fromkeys(frame.columns)
    row.update(summed)
    label_column = next((name for name in frame.columns if name not in summed), None)
    if label_column is not None:
        row[label_column] = label
    return pd.DataFrame([row], columns=frame.columns)


def write_sheet(
    ws: Worksheet,
    frame: pd.DataFrame,
    *,
    title: str | None = None,
    total_rows: pd.DataFrame | None = None,
    number_formats: Mapping[str, str] | None = None,
    right_to_left: bool | None = None,
) -> None:
    """Fill one worksheet: title row, frozen bold header, data, empty row, totals rows.

    ``number_formats`` (column name → Excel number format, or :data:`MONEY` for the money
    format in the column's or the row's currency) overrides the formats guessed from the
    names: money for English money words (price, cost, amount, total, budget, balance …) and
    for names that state a currency (``price_eur``, ``Montant (JOD)``), ``0`` for integers.
    ``right_to_left`` forces the sheet's direction; None decides it from the letters of the
    title, header and data (see the module docstring).
    """
    row, balance = 1, 0
    if title:
        _put(ws, 1, 1, title, None)
        ws.cell(row=1, column=1).font = _TITLE_FONT
        row, balance = 2, letter_balance(title)
    balance += _write_header(ws, row, list(frame.columns))
    ws.freeze_panes = ws.cell(row=row + 1, column=1)
    styles = [_style(frame, name, number_formats or {}) for name in frame.columns]
    currency_column = _currency_column(frame)
    next_row, data_balance = _write_rows(ws, row + 1, frame, styles, currency_column)
    if total_rows is not None and len(total_rows):
        totals = total_rows.reindex(columns=frame.columns)
        _write_rows(ws, next_row + 1, totals, styles, currency_column, bold=True)
    _fit_widths(ws, frame)
    ws.sheet_view.rightToLeft = (
        balance + data_balance > 0 if right_to_left is None else right_to_left
    )


#: What a sheet's totals may be: True (:func:`sum_row`), False (none), or the rows.
Totals = bool | pd.DataFrame


def _totals_for(
    name: str, frame: pd.DataFrame, totals: bool | Mapping[str, Totals]
) -> pd.DataFrame | None:
    chosen = totals if isinstance(totals, bool) else totals.get(name, False)
    if chosen is True:
        return sum_row(frame)
    if chosen is False:
        return None
    return chosen


def save_workbook(workbook: Workbook, path: str | Path) -> Path:
    """Save ``workbook``, turning an OS error into an :class:`ExportError` that says what to do."""
    target = Path(path)
    try:
        workbook.save(target)
    except OSError as exc:
        raise _write_error(target, exc) from exc
    return target


def new_workbook() -> Workbook:
    """A workbook with no sheet (openpyxl starts with one)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def write_xlsx(
    sheets: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    totals: bool | Mapping[str, Totals] = True,
    title: str | None = None,
    number_formats: Mapping[str, str] | None = None,
    right_to_left: bool | None = None,
) -> Path:
    """Write one formatted sheet per frame (see the module docstring for the layout).

    ``totals``: True adds one "Total" row per sheet (:func:`sum_row`); False adds none; a
    mapping {sheet name: True, False or a frame of rows} chooses per sheet (a sheet it does
    not name has no totals; a frame's absent columns are left empty). ``title`` goes in a
    first row above every header. ``number_formats`` and ``right_to_left``: see
    :func:`write_sheet`. Sheet names are made valid and unique. An empty mapping gives a
    workbook with one empty sheet.
    """
    workbook = new_workbook()
    used: set[str] = set()
    for name, frame in sheets.items():
        ws = workbook.create_sheet(_sheet_title(name, used))
        write_sheet(
            ws,
            frame,
            title=title,
            total_rows=_totals_for(name, frame, totals),
            number_formats=number_formats,
            right_to_left=right_to_left,
        )
    if not workbook.worksheets:
        workbook.create_sheet("Empty")
    return save_workbook(workbook, path)


def read_xlsx_sheet(
    path: str | Path, sheet: str | int = 0, *, title: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read back a sheet written here: (data rows, totals rows), split at the empty row.

    Text cells come back as text (an ISBN stays ``"9782070612758"``), number cells as numbers.
    """
    raw = pd.read_excel(path, sheet_name=sheet, header=1 if title else 0, dtype=object)
    empty = raw.isna().all(axis=1)
    if not empty.any():
        return raw.infer_objects(), raw.iloc[0:0]
    cut = int(empty.to_numpy().argmax())
    rows = raw.iloc[:cut].reset_index(drop=True).infer_objects()
    return rows, raw.iloc[cut + 1 :].reset_index(drop=True).infer_objects()


def write_budget(
    views: Mapping[str, pd.DataFrame],
    path: str | Path,
    *,
    title: str | None = None,
    totals: bool | Mapping[str, Totals] = True,
    number_formats: Mapping[str, str] | None = None,
    right_to_left: bool | None = None,
) -> Path:
    """The budget workbook: one sheet per view (lines by kind, funding sources, balance …),
    money formatted, totals rows (by default a "Total" row under every view with summable
    columns; pass ``totals={view: False}`` for views whose numbers do not add up, such as a
    balance or a rate table). Other options: :func:`write_xlsx`."""
    return write_xlsx(
        views,
        path,
        totals=totals,
        title=title,
        number_formats=number_formats,
        right_to_left=right_to_left,
    )


# ---------------------------------------------------------------------------------------
# Acquisition lists


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(pd.NA, index=frame.index, dtype=object)


def _text_column(frame: pd.DataFrame, name: str) -> pd.Series:
    return _column(frame, name).map(lambda v: "" if is_missing(v) else str(v).strip())


def _group_keys(selection: pd.DataFrame, by: GroupBy) -> pd.Series:
    """Supplier: the candidate's ``source``, else its ``catalogue`` file; partner: ``partner``."""
    if by == "supplier":
        keys = _text_column(selection, "source")
        keys = keys.where(keys != "", _text_column(selection, "catalogue"))
    else:
        keys = _text_column(selection, "partner")
    return keys.where(keys != "", UNKNOWN_GROUP[by])


def _money(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("Float64")


def _lines(selection: pd.DataFrame) -> pd.DataFrame:
    """The columns of :data:`ACQUISITION_COLUMNS` for every selected row."""
    copies = pd.to_numeric(_column(selection, "copies"), errors="coerce").astype("Int64")
    price = _money(_column(selection, "price"))
    price_eur = _money(_column(selection, "price_eur"))
    currency = _text_column(selection, "currency").str.upper()
    euro_only = price.isna() & price_eur.notna()  # a price known only in euros
    unit_price = price.where(~euro_only, price_eur)
    currency = currency.where(~euro_only.to_numpy(dtype=bool), "EUR")
    lines = pd.DataFrame(
        {
            "candidate_id": _column(selection, "candidate_id"),
            "title": _text_column(selection, "title"),
            "authors": _text_column(selection, "authors"),
            "isbn": _text_column(selection, "isbn13"),
            "publisher": _text_column(selection, "publisher"),
            "year": pd.to_numeric(_column(selection, "year"), errors="coerce").astype("Int64"),
            "language": _text_column(selection, "language"),
            "acquisition": _text_column(selection, "acquisition"),
            "copies": copies,
            "unit_price": unit_price,
            "currency": currency,
            "line_total": (unit_price * copies).round(2),
            "price_eur": price_eur,
            "line_total_eur": (price_eur * copies).round(2),
        },
        index=selection.index,
    )
    return lines


def _sorted_lines(lines: pd.DataFrame) -> pd.DataFrame:
    order = lines["title"].str.casefold().argsort(kind="stable")
    return lines.iloc[order.to_numpy()].reset_index(drop=True)


def acquisition_lists(
    selection: pd.DataFrame, *, by: GroupBy = "supplier"
) -> dict[str, pd.DataFrame]:
    """One acquisition list per supplier or per partner, rows sorted by title.

    Columns: :data:`ACQUISITION_COLUMNS`. ``unit_price``/``currency`` are the catalogue's
    price (a price known only in euros is given in EUR), ``line_total`` = unit price ×
    copies, rounded to the cent; ``price_eur``/``line_total_eur`` the same in euros. Groups
    (keys sorted): ``by="supplier"``, the candidate's ``source`` (else its ``catalogue``
    file); ``by="partner"``, its ``partner``; an empty key is :data:`UNKNOWN_GROUP`. Totals
    are per currency: :func:`currency_totals`.
    """
    if by not in UNKNOWN_GROUP:
        raise UsageError(f"acquisition lists are grouped by 'supplier' or 'partner', not {by!r}.")
    if not len(selection):
        return {}
    lines = _lines(selection)
    keys = _group_keys(selection, by)
    return {
        str(key): _sorted_lines(lines[keys == key])
        for key in sorted(keys.unique(), key=lambda k: str(k).casefold())
    }


def currency_totals(lines: pd.DataFrame) -> pd.DataFrame:
    """Totals of one list per currency: lines, copies, line totals, and unpriced lines.

    Prices in different currencies are never added together; euros are added in
    ``line_total_eur`` across currencies. A line without a price counts in ``unpriced_lines``
    (its total is then a lower bound).
    """
    currency = lines["currency"].where(lines["currency"] != "", NO_CURRENCY)
    rows = []
    for code in sorted(currency.unique()):
        part = lines[currency == code]
        rows.append(
            {
                "currency": code,
                "lines": len(part),
                "copies": int(part["copies"].sum()),
                "line_total": round(float(part["line_total"].sum()), 2),
                "line_total_eur": round(float(part["line_total_eur"].sum()), 2),
                "unpriced_lines": int(part["line_total"].isna().sum()),
            }
        )
    return pd.DataFrame(rows, columns=list(TOTAL_COLUMNS))


def _total_label(total: Mapping[Any, Any]) -> str:
    label = f"Total {total['currency']}"
    unpriced = int(total["unpriced_lines"])
    if unpriced:
        label += f" ({unpriced} line{'s' if unpriced > 1 else ''} without a price)"
    return label


def _totals_as_rows(totals: pd.DataFrame) -> pd.DataFrame:
    """Per-currency totals laid out in the columns of a list (label in ``title``)."""
    rows = [
        {
            "title": _total_label(total),
            "copies": total["copies"],
            "currency": total["currency"],
            "line_total": total["line_total"],
            "line_total_eur": total["line_total_eur"],
        }
        for total in totals.to_dict("records")
    ]
    return pd.DataFrame(rows, columns=list(ACQUISITION_COLUMNS))


def acquisition_summary(lists: Mapping[str, pd.DataFrame], *, by: GroupBy) -> pd.DataFrame:
    """One row per group and currency: the totals of every list side by side."""
    frames = [currency_totals(lines).assign(**{by: name}) for name, lines in lists.items()]
    columns = [by, *TOTAL_COLUMNS]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def _acquisitions_csv_frame(lists: Mapping[str, pd.DataFrame], by: GroupBy) -> pd.DataFrame:
    parts = []
    for name, lines in lists.items():
        parts.append(lines.assign(row_type="item", **{by: name}))
        totals = _totals_as_rows(currency_totals(lines))
        parts.append(totals.assign(row_type="total", **{by: name}))
    columns = [by, "row_type", *ACQUISITION_COLUMNS]
    if not parts:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(parts, ignore_index=True)[columns]
    return _whole_numbers(frame, ("candidate_id", "year", "copies"))


def _whole_numbers(frame: pd.DataFrame, names: Iterable[str]) -> pd.DataFrame:
    """Integer columns that the empty cells of total rows turned into floats, made whole
    again (a CSV must say 2019, not 2019.0)."""
    for name in names:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column.dtype):
            numbers = pd.to_numeric(column, errors="coerce")
            if (numbers.dropna() % 1 == 0).all():
                frame[name] = numbers.astype("Int64")
    return frame


def _summary_totals(lists: Mapping[str, pd.DataFrame], by: GroupBy) -> pd.DataFrame:
    """Per-currency totals over every group, laid out in the summary's columns."""
    if not lists:
        return pd.DataFrame(columns=[by, *TOTAL_COLUMNS])
    totals = currency_totals(pd.concat(list(lists.values()), ignore_index=True))
    totals.insert(0, by, [f"Total {code}" for code in totals["currency"]])
    return totals


def write_acquisitions(
    selection: pd.DataFrame,
    path: str | Path,
    *,
    by: GroupBy = "supplier",
    format: TableFormat = "xlsx",
    sep: str = ",",
    decimal: str = ".",
) -> Path:
    """Write the acquisition lists of :func:`acquisition_lists`.

    XLSX: a ``Summary`` sheet (one row per group and currency, :func:`acquisition_summary`,
    then one "Total <currency>" row per currency over all groups), then one sheet per group:
    its lines, an empty row, and one "Total <currency>" row per currency (copies, line
    total, line total in euros). Amounts in different currencies are never added up.

    CSV (one file, chosen so that the lists are one attachment that sorts and filters in one
    sheet): a first column named ``supplier`` or ``partner`` with the group, a ``row_type``
    column (``item`` or ``total``), then :data:`ACQUISITION_COLUMNS`; each group's lines are
    followed by its per-currency total rows. ``sep``/``decimal`` apply to CSV only.
    """
    lists = acquisition_lists(selection, by=by)
    if format == "csv":
        return write_csv(_acquisitions_csv_frame(lists, by), path, sep=sep, decimal=decimal)
    if format != "xlsx":
        raise UsageError(f"acquisition lists are written as 'csv' or 'xlsx', not {format!r}.")
    workbook = new_workbook()
    used: set[str] = set()
    summary = workbook.create_sheet(_sheet_title(SUMMARY_SHEET, used))
    write_sheet(summary, acquisition_summary(lists, by=by), total_rows=_summary_totals(lists, by))
    for name, lines in lists.items():
        ws = workbook.create_sheet(_sheet_title(name, used))
        write_sheet(ws, lines, total_rows=_totals_as_rows(currency_totals(lines)))
    return save_workbook(workbook, path)


# ---------------------------------------------------------------------------------------
# Packing lists

#: Columns a packing frame must have (fundplanner.shipping); any others pass through.
PACKING_COLUMNS: tuple[str, ...] = ("origin", "carton_no", "item_id", "title", "copies", "kg")


def _check_packing(packing: pd.DataFrame) -> None:
    missing = [name for name in PACKING_COLUMNS if name not in packing.columns]
    if missing:
        raise UsageError(
            f"the packing list lacks the column(s) {', '.join(missing)}; it needs "
            f"{', '.join(PACKING_COLUMNS)} (as fundplanner.shipping produces them)."
        )


def _sorted_packing(packing: pd.DataFrame) -> pd.DataFrame:
    return packing.sort_values(["origin", "carton_no"], kind="stable").reset_index(drop=True)


def carton_summary(packing: pd.DataFrame) -> pd.DataFrame:
    """One row per carton: origin, carton number, items, copies, kg (rounded to 10 g)."""
    _check_packing(packing)
    grouped = _sorted_packing(packing).groupby(["origin", "carton_no"], sort=False)
    summary = grouped.agg(
        items=("item_id", "count"), copies=("copies", "sum"), kg=("kg", "sum")
    ).reset_index()
    summary["kg"] = summary["kg"].astype(float).round(2)
    return summary


#: How a list of plain values (documents, notes, origin countries) is written in one cell.
LIST_JOIN = "; "


def _is_table(value: Any) -> bool:
    """A list of records (the customs statement's per-origin ``lines``)."""
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(item, Mapping) for item in value)
    )


def _flat_fields(fields: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """(field, value) pairs: a nested mapping as ``key.sub``, a list of plain values joined
    with :data:`LIST_JOIN`; lists of records are left to :func:`declaration_tables`."""
    for key, value in fields.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flat_fields(value, name + ".")
        elif _is_table(value):
            continue
        elif isinstance(value, list | tuple):
            yield name, LIST_JOIN.join("" if is_missing(v) else str(v) for v in value)
        else:
            yield name, value


def declaration_rows(packing: pd.DataFrame, customs: Mapping[str, Any]) -> pd.DataFrame:
    """The declaration header as (field, value) rows: ``customs`` as given (flattened, see
    :func:`_flat_fields`), then the counts it does not already state (``cartons``,
    ``items``, ``copies``, ``gross_weight_kg``)."""
    counts = {
        "cartons": int(packing[["origin", "carton_no"]].drop_duplicates().shape[0]),
        "items": len(packing),
        "copies": int(pd.to_numeric(packing["copies"], errors="coerce").sum()),
        "gross_weight_kg": round(float(pd.to_numeric(packing["kg"], errors="coerce").sum()), 2),
    }
    fields = dict(_flat_fields(customs))
    for key, value in counts.items():
        fields.setdefault(key, value)
    return pd.DataFrame(
        {"field": list(fields), "value": pd.Series(list(fields.values()), dtype=object)}
    )


def declaration_tables(customs: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The lists of records in ``customs`` (e.g. its per-origin ``lines``), one table each."""
    return {
        str(key): pd.DataFrame([dict(item) for item in value])
        for key, value in customs.items()
        if _is_table(value)
    }


def _packing_csv(packing: pd.DataFrame, customs: Mapping[str, Any], path: Path, sep: str) -> Path:
    """The declaration rows, then each declaration table under its name, then the packing
    table, sections separated by one empty line (one CSV file)."""
    sections = [
        ([], declaration_rows(packing, customs), False),
        *(([name], table, True) for name, table in declaration_tables(customs).items()),
        ([], _sorted_packing(packing), True),
    ]
    try:
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=sep, lineterminator="\r\n")
            for number, (caption, frame, with_header) in enumerate(sections):
                if number:
                    writer.writerow([])
                safe = safe_frame(frame)
                if caption:
                    writer.writerow([safe_text(caption[0])])
                if with_header:
                    writer.writerow(list(safe.columns))
                writer.writerows(_csv_cells(safe.itertuples(index=False, name=None)))
    except OSError as exc:
        raise _write_error(path, exc) from exc
    return path


def _csv_cells(rows: Iterable[tuple[Any, ...]]) -> Iterable[list[Any]]:
    for row in rows:
        yield ["" if is_missing(value) else value for value in row]


def write_packing(
    packing: pd.DataFrame,
    customs: Mapping[str, Any],
    path: str | Path,
    *,
    format: TableFormat = "xlsx",
    sep: str = ",",
) -> Path:
    """Write the packing list with its pro-forma / donation statement header.

    ``packing``: one row per item in a carton (:data:`PACKING_COLUMNS` + any pass-through
    columns such as ``zone``); ``customs``: the header fields, in order (consignor,
    consignee, statement, value …, as fundplanner.shipping.customs_statement gives them:
    nested mappings are flattened to ``key.sub``, lists of plain values joined with "; ",
    and each list of records, such as the per-origin ``lines``, becomes a table of its own).

    XLSX: sheet ``Declaration`` (field, value; the carton, item and copy counts and the
    gross weight are added unless given), one sheet ``Declaration <name>`` per table of the
    declaration (with a totals row), sheet ``Packing list`` (rows by origin and carton, with
    a totals row) and sheet ``Cartons`` (one row per carton). CSV: the declaration rows,
    then each declaration table under a line with its name, then the packing table, the
    sections separated by one empty line.
    """
    _check_packing(packing)
    target = Path(path)
    if format == "csv":
        return _packing_csv(packing, customs, target, sep)
    if format != "xlsx":
        raise UsageError(f"packing lists are written as 'csv' or 'xlsx', not {format!r}.")
    tables = {f"Declaration {name}": table for name, table in declaration_tables(customs).items()}
    sheets = {
        "Declaration": declaration_rows(packing, customs),
        **tables,
        "Packing list": _sorted_packing(packing),
        "Cartons": carton_summary(packing),
    }
    totals: dict[str, Totals] = dict.fromkeys([*tables, "Packing list", "Cartons"], True)
    return write_xlsx(sheets, target, totals=totals)
