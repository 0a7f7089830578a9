"""The exception tree and the Problem record (errors as data).

Bad input is reported, not raised: readers collect :class:`Problem` records and carry on,
so the good records of a file still come in. Exceptions are for what stops a whole
operation, and all of them derive from :class:`FundplannerError`::

    FundplannerError
    ├── IngestError                 a whole file cannot be read
    │   ├── UnrecognisedFormat      the bytes are none of the supported formats
    │   ├── MappingError            a column mapping (TOML) is invalid or names no column
    │   └── EncodingProblem         no encoding decodes the text
    ├── ReferenceDataError          a reference table in fundplanner/reference is malformed
    ├── ProfileError                a profile document cannot be read (profiles.py)
    ├── PremisesError               a premises document cannot be read (premises.py)
    ├── PlanInputError              plan inputs that cannot be planned (planner.py)
    │   └── PlanFileError           a plan file cannot be read at all (planfiles.py)
    ├── ExportError                 an export cannot be written (exporting/)
    └── UsageError                  a caller passed arguments that cannot work together

Messages name the input, what was expected, and what to do next. The shells (CLI,
dashboard) print ``str(error)``; they never show a traceback to a librarian.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass
from typing import Any


class FundplannerError(Exception):
    """Root of every error fundplanner raises on purpose."""


class IngestError(FundplannerError):
    """A whole catalogue file cannot be read."""


class UnrecognisedFormat(IngestError):
    """The bytes are none of MARC21, UNIMARC, MARCXML, CSV/TSV or XLSX."""


class MappingError(IngestError):
    """A column mapping file is invalid, or maps to columns the file does not have."""


class EncodingProblem(IngestError):
    """No candidate encoding decodes the text."""


class ReferenceDataError(FundplannerError):
    """A reference table is malformed (the message names the file and line)."""


class UsageError(FundplannerError):
    """Arguments that cannot work together."""


class Severity(enum.StrEnum):
    """``error``: the record was rejected. ``warning``: kept, with the field left empty."""

    ERROR = "error"
    WARNING = "warning"


class Kind(enum.StrEnum):
    """What went wrong, as a closed set (reports group and count by it)."""

    UNREADABLE_FILE = "unreadable_file"
    UNREADABLE_RECORD = "unreadable_record"
    ENCODING = "encoding"
    MISSING_TITLE = "missing_title"
    MISSING_COLUMN = "missing_column"
    IGNORED_COLUMN = "ignored_column"
    IGNORED_SHEET = "ignored_sheet"
    INVALID_ISBN = "invalid_isbn"
    INVALID_NUMBER = "invalid_number"
    INVALID_CODE = "invalid_code"
    NOT_A_BOOK = "not_a_book"
    # planning inputs (profiles, premises, targets)
    SHARES_SUM = "shares_sum"
    NO_ZONE = "no_zone"
    OVER_CAPACITY = "over_capacity"
    INVALID_PREMISES = "invalid_premises"
    # plan files
    MISSING_VALUE = "missing_value"
    DUPLICATE_ID = "duplicate_id"
    # exports
    RECORD_TOO_LONG = "record_too_long"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one place in one input file.

    ``record`` is the 1-based record number in a MARC file, or the spreadsheet row number
    (header = row 1) in a CSV/XLSX file; ``None`` when the problem concerns the whole file.
    ``message`` says what is wrong *and* how to fix it.
    """

    file: str
    record: int | None
    control_number: str | None
    field: str | None
    kind: Kind
    message: str
    severity: Severity = Severity.ERROR
    value: str | None = None

    def as_row(self) -> dict[str, Any]:
        row = asdict(self)
        row["kind"] = self.kind.value
        row["severity"] = self.severity.value
        return row

    def __str__(self) -> str:
        where = self.file
        if self.record is not None:
            where += f", record {self.record}"
        if self.control_number:
            where += f" (001 {self.control_number})"
        if self.field:
            where += f", field {self.field}"
        return f"{where}: {self.message}"


PROBLEM_COLUMNS = tuple(Problem.__dataclass_fields__)
