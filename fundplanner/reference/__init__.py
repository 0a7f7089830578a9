"""Reference tables shipped with fundplanner: code lists, category maps, norms, rates.

Every table is a CSV or TOML file in this folder whose numbers carry their source (a
``source`` column, or a ``source`` key beside the value). Tables are read once, cached and
returned read-only. A project may override a table by passing a file of the same shape:
:func:`load_csv` and :func:`load_toml` take an optional ``override`` path that replaces the
packaged file.

Errors name the file and the line, and say what was expected.
"""

from __future__ import annotations

import csv
import functools
import tomllib
import types
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fundplanner.errors import ReferenceDataError

REFERENCE_DIR = Path(__file__).resolve().parent

Row = Mapping[str, str]


def reference_path(name: str) -> Path:
    """The packaged file ``name`` (e.g. ``"categories.csv"``)."""
    return REFERENCE_DIR / name


def load_csv(
    name: str, *, required: Sequence[str] = (), override: str | Path | None = None
) -> tuple[Row, ...]:
    """Rows of a reference CSV as read-only mappings.

    Lines starting with ``#`` are comments. ``required`` columns must exist and be
    non-empty on every row; otherwise a :class:`ReferenceDataError` names the line.
    """
    path = Path(override) if override is not None else reference_path(name)
    return _load_csv_cached(str(path), tuple(required))


@functools.cache
def _load_csv_cached(path: str, required: tuple[str, ...]) -> tuple[Row, ...]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReferenceDataError(f"{path}: cannot read the reference table ({exc}).") from exc
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if not line.startswith("#")]
    reader = csv.DictReader(line for _, line in lines)
    header = reader.fieldnames or []
    missing = [col for col in required if col not in header]
    if missing:
        raise ReferenceDataError(
            f"{path}: the header lacks the column(s) {', '.join(missing)}; it has "
            f"{', '.join(header) or 'no columns'}. Add them to the first non-comment line."
        )
    rows = []
    for (line_no, _), row in zip(lines[1:], reader, strict=False):
        for col in required:
            if not (row.get(col) or "").strip():
                raise ReferenceDataError(
                    f"{path}, line {line_no}: column {col!r} is empty; every row needs it."
                )
        rows.append(types.MappingProxyType({k: (v or "").strip() for k, v in row.items()}))
    return tuple(rows)


def load_toml(name: str, *, override: str | Path | None = None) -> Mapping[str, Any]:
    """A reference TOML file as a read-only mapping."""
    path = Path(override) if override is not None else reference_path(name)
    return _load_toml_cached(str(path))


@functools.cache
def _load_toml_cached(path: str) -> Mapping[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ReferenceDataError(f"{path}: cannot read the reference file ({exc}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ReferenceDataError(f"{path}: invalid TOML ({exc}); fix the line it names.") from exc
    return types.MappingProxyType(data)
