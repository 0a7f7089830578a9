"""The stateless plan files of ``fundplanner plan-file`` (DESIGN.md, "The stateless plan files").

``candidates.csv`` and ``targets.csv`` are read as text (ids and work keys stay text: no
``00123`` → ``123``), then each row is checked. A bad row — a price that is not a number,
``copies_offered`` below 1, a flag that is not true/false, an empty required cell, an id
already used — becomes a :class:`~fundplanner.errors.Problem` naming the file, the row
(header = row 1), the column and the fix, and is left out; the good rows still come in. A
file that cannot be read at all, or lacks a required column, raises :class:`PlanFileError`.

Accepted spellings: comma, semicolon or tab separated (the header line decides); UTF-8 with
or without a byte-order mark; flags ``true/false/1/0/yes/no`` in any case, empty = false;
numbers with a decimal point, or a decimal comma when the number has no point (``12,50``).
Optional columns default when absent or empty: ``origin`` (empty = local), ``work_key``
(empty = a work of its own), ``copies_offered`` (1), ``pinned``/``excluded`` (false),
``weight`` (1). Columns beyond DESIGN.md's are kept, as text.

Kinds used (closest existing): ``invalid_number`` for numbers, ``invalid_code`` for empty or
unknown codes and flags and for a repeated id or cell, ``missing_column`` for a missing
required column (then the whole file is refused).
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from fundplanner.errors import Kind, Problem
from fundplanner.planner import (
    CANDIDATE_COLUMNS,
    FALSE_WORDS,
    REQUIRED_CANDIDATE_COLUMNS,
    REQUIRED_TARGET_COLUMNS,
    TARGET_COLUMNS,
    TRUE_WORDS,
    Constraints,
    Plan,
    PlanInputError,
)

SELECTION_FILE_COLUMNS = (
    "candidate_id",
    "copies",
    "unit_cost_eur",
    "audience",
    "category",
    "language",
    "origin",
)
"""Columns of ``selection.csv``: DESIGN.md's ``candidate_id`` and ``copies`` (> 0) first."""


class PlanFileError(PlanInputError):
    """A plan file cannot be read at all (unreadable, not CSV/TOML, a required column
    missing); the message names the file and what to do."""


Check = Callable[[pd.Series], tuple[pd.Series, pd.Series]]
"""A column check: text cells → (typed values, which cells are bad)."""


def read_candidates(path: str | Path) -> tuple[pd.DataFrame, list[Problem]]:
    """The candidates of ``candidates.csv`` that pass every check, and a Problem per fault.

    Columns: ``candidate_id`` (unique), ``audience``, ``category``, ``language``,
    ``price_eur`` ≥ 0, ``width_cm`` ≥ 0, ``weight_kg`` ≥ 0, and optionally ``origin``,
    ``work_key``, ``copies_offered`` (whole, ≥ 1), ``pinned``, ``excluded``.
    """
    table, unreadable = _read_table(path)
    _require(table, REQUIRED_CANDIDATE_COLUMNS, path)
    for column, default in _CANDIDATE_DEFAULTS.items():
        if column not in table.columns:
            table[column] = default
    frame, problems, bad = _check_columns(table, CANDIDATE_CHECKS, path)
    bad |= _flag_conflicts(frame, table.index.to_numpy(), bad, problems, path)
    bad |= _repeats(table, ["candidate_id"], bad, problems, path)
    frame = frame[~bad].reset_index(drop=True)
    problems = sorted([*unreadable, *problems], key=_problem_order)
    ordered = [c for c in CANDIDATE_COLUMNS if c in frame.columns]
    frame = frame[ordered + [c for c in frame.columns if c not in ordered]]
    return frame.astype({"copies_offered": np.int64, "pinned": bool, "excluded": bool}), problems


def read_targets(path: str | Path) -> tuple[pd.DataFrame, list[Problem]]:
    """The cells of ``targets.csv`` that pass every check, and a Problem per fault.

    Columns: ``audience``, ``category``, ``language`` (one row per cell), ``target`` (whole
    copies ≥ 0) and optionally ``weight`` (the priority π ≥ 0, empty = 1).
    """
    table, unreadable = _read_table(path)
    _require(table, REQUIRED_TARGET_COLUMNS, path)
    if "weight" not in table.columns:
        table["weight"] = ""
    frame, problems, bad = _check_columns(table, TARGET_CHECKS, path)
    bad |= _repeats(table, ["audience", "category", "language"], bad, problems, path)
    frame = frame[~bad].reset_index(drop=True)
    problems = sorted([*unreadable, *problems], key=_problem_order)
    ordered = [c for c in TARGET_COLUMNS if c in frame.columns]
    frame = frame[ordered + [c for c in frame.columns if c not in ordered]]
    return frame.astype({"target": np.int64, "weight": float}), problems


def read_constraints(path: str | Path) -> Constraints:
    """``constraints.toml`` (DESIGN.md); errors name the file and the key."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read the file ({exc.strerror or exc}).") from exc
    except UnicodeDecodeError as exc:
        raise PlanFileError(f"{path}: not UTF-8 text; save it as UTF-8.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise PlanFileError(
            f"{path}: not valid TOML ({exc}); compare it with the constraints.toml example "
            "in the README."
        ) from exc
    return Constraints.from_mapping(data, where=str(path))


def write_selection(plan: Plan, path: str | Path) -> None:
    """``selection.csv``: one row per chosen candidate with its copies (> 0), unit cost and
    cell, in the candidates' order (UTF-8 with a byte-order mark, so spreadsheet programs
    show Arabic text)."""
    frame = plan.selection[list(SELECTION_FILE_COLUMNS)].copy()
    frame["unit_cost_eur"] = frame["unit_cost_eur"].round(4)
    frame.to_csv(path, index=False, encoding="utf-8-sig")


# ------------------------------------------------------------------------------------ reading

_CANDIDATE_DEFAULTS = {
    "origin": "",
    "work_key": "",
    "copies_offered": "",
    "pinned": "",
    "excluded": "",
}


def _problem_order(problem: Problem) -> tuple[int, int]:
    columns = (*CANDIDATE_COLUMNS, *TARGET_COLUMNS)
    field = problem.field or ""
    return problem.record or 0, columns.index(field) if field in columns else len(columns)


def _read_table(path: str | Path) -> tuple[pd.DataFrame, list[Problem]]:
    """Every cell as stripped text (index: row number, header = 1), header names stripped
    and lower-cased; a row with more non-empty cells than the header is refused."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read the file ({exc.strerror or exc}).") from exc
    except UnicodeDecodeError as exc:
        raise PlanFileError(
            f"{path}: not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'."
        ) from exc
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise PlanFileError(f"{path}: the file is empty; the first line must be the header.")
    delimiter = max((",", ";", "\t"), key=first.count)
    try:
        header = [name.strip().lower() for name in next(csv.reader([first], delimiter=delimiter))]
    except csv.Error as exc:
        raise PlanFileError(f"{path}: the header line is not readable CSV ({exc}).") from exc
    _refuse_repeated(header, path)
    try:
        return _read_fast(text, delimiter, header), []
    except (pd.errors.ParserError, ValueError):
        pass  # a malformed row: read row by row to report it
    return _read_rows(path, text, delimiter, header)


def _read_fast(text: str, delimiter: str, header: list[str]) -> pd.DataFrame:
    """pandas' C reader, when every row has at most as many cells as the header."""
    table = pd.read_csv(
        io.StringIO(text),
        sep=delimiter,
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        index_col=False,
        engine="c",
    ).fillna("")
    if len(table.columns) != len(header):
        raise ValueError("the header was not read as one line")
    table.columns = pd.Index(header)
    table.index = pd.Index(np.arange(2, len(table) + 2), name="row", dtype=np.int64)
    for column in table.columns:
        table[column] = np.array([cell.strip() for cell in table[column]], dtype=object)
    blank = (table == "").all(axis=1)
    return table[~blank.to_numpy()]


def _read_rows(
    path: str | Path, text: str, delimiter: str, header: list[str]
) -> tuple[pd.DataFrame, list[Problem]]:
    """The csv module, row by row: a row with more non-empty cells than the header is
    refused with a Problem; a shorter row is padded with empty cells."""
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise PlanFileError(f"{path}: not a readable CSV table ({exc}).") from exc
    width = len(header)
    body, numbers, problems = [], [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if any(cell.strip() for cell in row[width:]):
            problems.append(
                Problem(
                    file=str(path),
                    record=number,
                    control_number=None,
                    field=None,
                    kind=Kind.UNREADABLE_RECORD,
                    message=f"the row has {len(row)} cells but the header {width}; put cells "
                    f"that contain {delimiter!r} between double quotes.",
                )
            )
            continue
        body.append((row + [""] * width)[:width])
        numbers.append(number)
    columns = zip(*body, strict=True) if body else ([] for _ in header)
    table = pd.DataFrame(
        {k: np.array([c.strip() for c in cells], dtype=object) for k, cells in enumerate(columns)},
        index=pd.Index(numbers, name="row", dtype=np.int64),
    )
    table.columns = pd.Index(header)
    return table, problems


def _refuse_repeated(header: list[str], path: str | Path) -> None:
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        raise PlanFileError(
            f"{path}: the header names {', '.join(repeated)} more than once; keep one column "
            "of each name."
        )


def _require(table: pd.DataFrame, columns: Sequence[str], path: str | Path) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise PlanFileError(
            f"{path}: the header lacks the column(s) {', '.join(missing)} "
            f"(it has {', '.join(table.columns) or 'none'}); add them to the first line "
            f"(README, 'Plan files', lists the columns)."
        )


def _check_columns(
    table: pd.DataFrame, checks: dict[str, tuple[Check, str]], path: str | Path
) -> tuple[pd.DataFrame, list[Problem], NDArray[np.bool_]]:
    """Typed columns, a Problem per bad cell, and which rows (positions) are bad."""
    frame = table.reset_index(drop=True).copy()
    bad = np.zeros(len(frame), dtype=bool)
    problems: list[Problem] = []
    rows = table.index.to_numpy()
    for column, (check, fix) in checks.items():
        if column not in frame.columns:
            continue
        values, faulty = check(frame[column])
        frame[column] = values
        for position in np.flatnonzero(faulty.to_numpy()):
            text = str(table[column].iat[int(position)])
            kind = Kind.MISSING_VALUE if not text.strip() else None
            problems.append(_problem(path, int(rows[position]), column, fix, text, kind))
        bad |= faulty.to_numpy()
    return frame, problems, bad


def _flag_conflicts(
    frame: pd.DataFrame,
    rows: NDArray[np.int64],
    bad: NDArray[np.bool_],
    problems: list[Problem],
    path: str | Path,
) -> NDArray[np.bool_]:
    """Rows both pinned and excluded: no plan can honour both."""
    both = ~bad & (frame["pinned"] == True).to_numpy() & (frame["excluded"] == True).to_numpy()  # noqa: E712
    for position in np.flatnonzero(both):
        problems.append(
            _problem(
                path,
                int(rows[position]),
                "pinned",
                "the row is both pinned and excluded; keep one of the two flags.",
                "true",
            )
        )
    return both


def _repeats(
    table: pd.DataFrame,
    key: list[str],
    bad: NDArray[np.bool_],
    problems: list[Problem],
    path: str | Path,
) -> NDArray[np.bool_]:
    """Rows whose ``key`` an earlier good row already has; the later row is refused."""
    keys = table[key].reset_index(drop=True)
    rows = table.index.to_numpy()
    good = keys[~bad]
    later = good.duplicated(keep="first").to_numpy()
    repeated = np.zeros(len(keys), dtype=bool)
    if not later.any():
        return repeated
    first_row: dict[tuple[str, ...], int] = {}
    for position, values in zip(good.index, good.itertuples(index=False, name=None), strict=True):
        first_row.setdefault(values, int(rows[position]))
    for position in good.index[later]:
        values = tuple(keys.loc[position])
        shown = "/".join(values)
        problems.append(
            _problem(
                path,
                int(rows[position]),
                key[0],
                f"{'/'.join(key)} {shown!r} is already used on row {first_row[values]}; "
                "each must be unique: rename or delete one of the rows.",
                shown,
                Kind.DUPLICATE_ID,
            )
        )
        repeated[position] = True
    return repeated


def _problem(
    path: str | Path, row: int, column: str, message: str, value: str, kind: Kind | None = None
) -> Problem:
    """A refused row: ``kind`` given, else a bad number or a bad code by the column."""
    if kind is None:
        kind = Kind.INVALID_NUMBER if column in _NUMBER_COLUMNS else Kind.INVALID_CODE
    return Problem(
        file=str(path),
        record=row,
        control_number=None,
        field=column,
        kind=kind,
        message=message,
        value=value,
    )


_NUMBER_COLUMNS = frozenset(
    {"price_eur", "width_cm", "weight_kg", "copies_offered", "target", "weight"}
)


# ----------------------------------------------------------------------------- column checks


def _numbers(cells: pd.Series) -> pd.Series:
    """Finite numbers (NaN where none); a decimal comma is accepted when there is no point."""
    values = pd.to_numeric(cells.where(cells != "", "nan"), errors="coerce").astype(float)
    retry = values.isna() & (cells != "")
    if retry.any():
        text = cells[retry].astype(str)
        comma = text.str.count(",").eq(1) & ~text.str.contains(".", regex=False)
        fixed = text[comma].str.replace(",", ".", regex=False)
        values[fixed.index] = pd.to_numeric(fixed, errors="coerce").astype(float)
    return values.where(np.isfinite(values))


def _code(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    return cells.astype(object), cells == ""


def _amount(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    values = _numbers(cells)
    return values, values.isna() | (values < 0)


def _whole(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    values = _numbers(cells)
    bad = values.isna() | (values < 0) | (values != values.round())
    return values.fillna(0).round(), bad


def _defaulted(cells: pd.Series, default: float) -> pd.Series:
    return _numbers(cells).where(cells != "", default)


def _copies(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    values = _defaulted(cells, 1.0)
    bad = values.isna() | (values < 1) | (values != values.round())
    return values.fillna(1).round(), bad


def _weight(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    values = _defaulted(cells, 1.0)
    return values, values.isna() | (values < 0)


_FLAGS = {word: True for word in TRUE_WORDS} | {word: False for word in FALSE_WORDS}


def _flag(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    values = cells.astype(str).str.lower().map(_FLAGS)
    return values.fillna(False).astype(bool), values.isna()


_EMPTY = "the cell is empty; every row needs a value in this column."
_AMOUNT = "expected a number ≥ 0 (e.g. 12.50; 0 for a donation's price)."
_FLAG = "expected true or false (also yes/no, 1/0; empty means false)."
CANDIDATE_CHECKS: dict[str, tuple[Check, str]] = {
    "candidate_id": (_code, _EMPTY),
    "audience": (_code, _EMPTY),
    "category": (_code, _EMPTY),
    "language": (_code, _EMPTY),
    "price_eur": (_amount, _AMOUNT),
    "width_cm": (_amount, "expected a shelf width in cm ≥ 0 (e.g. 1.8)."),
    "weight_kg": (_amount, "expected a weight in kg ≥ 0 (e.g. 0.35)."),
    "copies_offered": (_copies, "expected a whole number ≥ 1 (empty means 1)."),
    "pinned": (_flag, _FLAG),
    "excluded": (_flag, _FLAG),
}
TARGET_CHECKS: dict[str, tuple[Check, str]] = {
    "audience": (_code, _EMPTY),
    "category": (_code, _EMPTY),
    "language": (_code, _EMPTY),
    "target": (_whole, "expected a whole number of copies ≥ 0 (e.g. 120)."),
    "weight": (_weight, "the weight (priority) must be a number ≥ 0 (empty means 1)."),
}
