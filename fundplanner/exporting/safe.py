"""Spreadsheet formula injection: text cells that a spreadsheet would run as a formula.

A CSV cell such as ``=HYPERLINK("http://x","y")`` or ``+SUM(A1)`` is evaluated by Excel and
LibreOffice when the file is opened; a title or an author name from a donor's catalogue must
never become one. The OWASP guidance ("CSV Injection", owasp.org/www-community/attacks/
CSV_Injection) is followed: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return is prefixed with a single quote, which the spreadsheet shows as text.

Choices made here:

- **Numbers are not text**: an ``int``/``float``/``Decimal`` value is never escaped, so a
  negative price stays a number that sums (a spreadsheet never runs a number). Only text is.
- **Hidden lead-ins**: the check also looks past leading white space and invisible format
  characters (Unicode category Cf: the right-to-left mark U+200F and the other bidi controls
  that Arabic text may start with, the zero-width space, the byte-order mark), so that
  ``"\u200f=cmd"`` or ``" =cmd"`` are escaped as well.
- **Full-width forms** ``＝ ＋ － ＠`` (U+FF1D, U+FF0B, U+FF0D, U+FF20) are escaped too: East
  Asian input methods type them and some spreadsheet versions read them as the ASCII signs.
- The quote goes in front of the whole cell: the text after it is kept exactly.

XLSX files do not need the quote (``tables.write_xlsx`` writes such strings as text cells with
the *quote prefix* style); CSV files do, because a CSV has no cell types.
"""

from __future__ import annotations

import math
import unicodedata
from decimal import Decimal
from numbers import Number
from typing import Any

import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula (OWASP), with their
#: full-width forms and the line feed (which some importers treat like CR).
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")

#: What :func:`safe_text` puts in front of a dangerous cell (OWASP: a single quote).
ESCAPE_PREFIX = "'"


def is_missing(value: Any) -> bool:
    """None, NaN, ``pd.NA`` and ``NaT`` (the empty values a DataFrame cell may hold)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(pd.isna(value)) if not isinstance(value, str | bytes) else False
    except (TypeError, ValueError):  # arrays and other containers are values, not missing
        return False


def is_number(value: Any) -> bool:
    """A real number cell (not a bool, not text): written as a number, never escaped."""
    if isinstance(value, bool) or is_missing(value):
        return False
    return isinstance(value, Number | Decimal) and not isinstance(value, complex)


def _first_visible(text: str) -> str:
    """The first character that is neither white space nor an invisible format character."""
    for char in text:
        if not (char.isspace() or unicodedata.category(char) == "Cf"):
            return char
    return ""


def needs_escape(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula (see the module docstring)."""
    if not text:
        return False
    return text[0] in FORMULA_TRIGGERS or _first_visible(text) in FORMULA_TRIGGERS


def safe_text(value: Any) -> str:
    """``value`` as cell text that no spreadsheet runs: missing → ``""``; dangerous → ``'…``.

    ``=HYPERLINK("http://x","y")`` becomes ``'=HYPERLINK("http://x","y")``; ``Le Petit
    Prince`` and ``الأمير الصغير`` are returned as they are.
    """
    if is_missing(value):
        return ""
    if is_number(value):
        return str(value)  # "-2.5" is a number to a spreadsheet, not a formula
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return ESCAPE_PREFIX + text if needs_escape(text) else text


def _safe_cell(value: Any) -> Any:
    """A cell of a text column: numbers and empty cells unchanged, text made safe."""
    if is_missing(value) or is_number(value):
        return value
    return safe_text(value)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are made safe; numeric columns are untouched.

    Columns of a numeric, boolean or datetime dtype cannot hold a formula and are copied as
    they are. In text and mixed (object) columns every string is passed through
    :func:`safe_text`; numbers and empty cells in them are left alone. The column names are
    made safe too (a header is a cell like any other).
    """
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_datetime64_any_dtype(
            column.dtype
        ):
            continue
        out[name] = column.astype(object).map(_safe_cell)
    out.columns = [safe_text(name) for name in out.columns]
    return out
