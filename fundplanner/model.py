"""Core types and the canonical candidate schema (DESIGN.md, "The canonical candidate table").

Readers produce :data:`RawRow` dictionaries (keys from :data:`RAW_KEYS`, values as read);
:mod:`fundplanner.ingest.normalise` turns them into the canonical table whose columns and
pandas dtypes are :data:`CANDIDATE_SCHEMA`.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import pandas as pd
import pyarrow as pa

#: A record as a reader found it: strings as written, lists for repeatable values.
RawRow = dict[str, Any]

#: Keys a reader may fill in a RawRow. Absent keys mean "not in the record".
RAW_KEYS: tuple[str, ...] = (
    "record_no",  # 1-based record number in the file (spreadsheet row number for tables)
    "record_id",  # 001 / row number
    "flavour",  # "marc21", "unimarc" or "table"
    "title",
    "subtitle",
    "uniform_title",  # 240/130 $a, UNIMARC 500 $a: the original title of a translation
    "title_latin",  # romanised title when 245 is paired with an Arabic-script 880
    "authors",  # list[str]
    "publisher",
    "year",  # raw text of 260/264 $c, 210/214 $d, 008/07-10 or the Year column
    "isbns",  # list[str] raw ISBN strings, in record order
    "price",  # raw text: "12,50 EUR", "$8.95", 020 $c / 010 $d
    "currency",  # ISO 4217 when a column says it
    "languages",  # list[str] language codes from the record, in priority order
    "original_languages",  # list[str] (041 $h / 101 $c)
    "audience_code",  # MARC21 008/22 or UNIMARC 100 $a/17 single code
    "literary_form",  # MARC21 008/33 or UNIMARC 105 $a/11
    "contents",  # nature of contents: MARC21 008/24-27, UNIMARC 105 $a/4-7
    "dewey",
    "lc_class",  # Library of Congress call number: MARC21 050/090 $a, UNIMARC 680 $a
    "extent",  # 300 $a / 215 $a / Pages column, raw
    "dimensions",  # 300 $c / 215 $d, raw
    "weight_kg",
    "copies_offered",
    "acquisition",
    "origin",
    "audience_text",  # free text from a table: "Jeunesse", "Adultes", "أطفال"
    "category_text",  # free text from a table: "Album", "BD", "Roman"
    "summary",  # 520 / 330
    "record_type",  # leader/06-07 for MARC
)

#: Columns of the canonical candidate table and their pandas dtypes, in order.
CANDIDATE_SCHEMA: dict[str, str] = {
    "source": "string",
    "record_id": "string",
    "record_no": "Int64",  # position in its file: record number (MARC) or row number (tables)
    "format": "string",
    "isbn13": "string",
    "isbn_group": "string",
    "title": "string",
    "subtitle": "string",
    "title_latin": "string",
    "uniform_title": "string",
    "authors": "string",
    "publisher": "string",
    "year": "Int64",
    "language": "string",
    "language_method": "string",
    "language_confidence": "Float64",
    "original_language": "string",
    "audience": "string",
    "category": "string",
    "audience_method": "string",
    "category_method": "string",
    "dewey": "string",
    "pages": "Int64",
    "height_cm": "Float64",
    "thickness_cm": "Float64",
    "weight_kg": "Float64",
    "physical_method": "string",
    "price": "Float64",
    "currency": "string",
    "price_eur": "Float64",
    "copies_offered": "Int64",
    "origin": "string",
    "acquisition": "string",
    "work_key": "string",
    "work_group": "string",
}

CANDIDATE_COLUMNS: tuple[str, ...] = tuple(CANDIDATE_SCHEMA)

#: Separator used when a list (authors) is stored in one text cell.
LIST_SEPARATOR = " ; "

#: The project's languages, as MARC codes (ISO 639-2/B).
PROJECT_LANGUAGES: tuple[str, ...] = ("ara", "fre", "eng")

ACQUISITION_KINDS: tuple[str, ...] = ("donation", "purchase", "local_purchase")


def empty_candidates() -> pd.DataFrame:
    """An empty canonical table with every column and dtype in place."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in CANDIDATE_SCHEMA.items()})


def to_candidate_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Build the canonical table from normalised row dicts (missing keys become null)."""
    if not rows:
        return empty_candidates()
    values = _columns_of(rows)
    columns = {
        name: _typed_column(values.get(name) or [None] * len(rows), dtype)
        for name, dtype in CANDIDATE_SCHEMA.items()
    }
    return pd.DataFrame(columns, copy=False)


def _columns_of(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """The rows' values column by column (a key that some row lacks gives None there).

    Rows with the same keys (what normalisation gives) are read one row at a time and
    transposed: reading them column by column visits every row dict once per column, which
    was measured 2.5 times slower on 50,000 rows of 31 keys (the dicts no longer fit in the
    CPU caches).
    """
    first = rows[0]
    width = len(first)
    # itemgetter of two keys or more gives tuples (of one key, the bare value)
    if width >= 2 and all(len(row) == width for row in rows):
        try:
            transposed = zip(*map(itemgetter(*first), rows), strict=True)
            return dict(zip(first, map(list, transposed), strict=True))
        except KeyError:  # same size, other keys: read column by column below
            pass
    names = dict.fromkeys(key for row in rows for key in row)
    return {name: [row.get(name) for row in rows] for name in names}


def _typed_column(values: list[Any], dtype: str) -> pd.api.extensions.ExtensionArray:
    """One column of row values as an array of ``dtype``, as :func:`conform` would make it.

    Text goes to Arrow in one call when every value is a ``str`` or None (what
    normalisation gives: a third less time than pandas checking each value); any other
    value (a number in a text column, NaN) takes the per-value conversion of :func:`conform`.
    """
    if dtype == "string":
        try:
            return pd.arrays.ArrowStringArray(pa.array(values, type=pa.large_string()))
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            return pd.array(values, dtype="string")
    try:
        return pd.array(values, dtype=dtype)  # type: ignore[call-overload]  # names are data
    except (TypeError, ValueError):
        numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce")
        return numbers.astype(dtype).array  # type: ignore[call-overload]


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Give ``frame`` exactly the canonical columns, in order, with the canonical dtypes."""
    out = pd.DataFrame(index=frame.index)
    for name, dtype in CANDIDATE_SCHEMA.items():
        column = frame[name] if name in frame else pd.Series(pd.NA, index=frame.index)
        if dtype in ("Int64", "Float64"):
            column = pd.to_numeric(column, errors="coerce")
        out[name] = column.astype(dtype)  # type: ignore[call-overload]  # dtype names are data
    return out
