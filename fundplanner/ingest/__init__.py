"""Catalogue ingestion: any supported file becomes the canonical candidate table.

``read_catalogue`` takes bytes (a path, a binary file object or ``bytes``), sniffs the format
from the content, runs the matching reader, normalises every record and returns an
:class:`IngestResult`: the titles as a DataFrame plus the problems found. Bad records never
stop a file; a file that cannot be read at all raises an :class:`~fundplanner.errors.IngestError`.

``read_catalogues`` reads several files and links duplicates and translations across them
(``work_key`` / ``work_group``).
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from fundplanner import dedupe
from fundplanner.errors import IngestError, Kind, Problem, Severity
from fundplanner.ingest import fieldmap
from fundplanner.ingest.iso2709 import iter_iso2709
from fundplanner.ingest.marcdata import MarcRecord
from fundplanner.ingest.marcxml import iter_marcxml
from fundplanner.ingest.normalise import IngestOptions, Normaliser
from fundplanner.ingest.sniff import Format, parse_format, sniff_format
from fundplanner.ingest.tabular import iter_table
from fundplanner.model import RawRow, empty_candidates, to_candidate_frame

Source = str | Path | BinaryIO | bytes

__all__ = [
    "Format",
    "IngestOptions",
    "IngestResult",
    "read_catalogue",
    "read_catalogues",
]


@dataclass
class IngestResult:
    """What came out of one or more catalogue files."""

    titles: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    format: Format | None = None
    files: list[str] = field(default_factory=list)
    records_read: int = 0

    @property
    def rejected(self) -> int:
        """Records that were read but are not in ``titles`` (each has an ERROR problem)."""
        return self.records_read - len(self.titles)

    @property
    def rejected_records(self) -> set[tuple[str, int]]:
        """(file, record number) of every record an ERROR problem rejected."""
        return {
            (p.file, p.record)
            for p in self.problems
            if p.severity is Severity.ERROR and p.record is not None
        }

    def rejected_by_reason(self) -> dict[str, int]:
        """Rejected records counted by problem kind (one reason per record: the first)."""
        first: dict[tuple[str, int], str] = {}
        for p in self.problems:
            if p.severity is Severity.ERROR and p.record is not None:
                first.setdefault((p.file, p.record), p.kind.value)
        return dict(Counter(first.values()).most_common())

    def by_language(self) -> dict[str, int]:
        counts = self.titles["language"].fillna("und").value_counts()
        return {str(k): int(v) for k, v in counts.items()}

    def problems_frame(self) -> pd.DataFrame:
        from fundplanner.errors import PROBLEM_COLUMNS

        frame = pd.DataFrame([p.as_row() for p in self.problems], columns=list(PROBLEM_COLUMNS))
        return frame.astype({"record": "Int64"})

    def summary(self) -> dict[str, Any]:
        """Counts for reports and ``scan --json``."""
        return {
            "files": self.files,
            "format": self.format.value if self.format else None,
            "read": self.records_read,
            "kept": len(self.titles),
            "rejected": self.rejected,
            "rejected_by_reason": self.rejected_by_reason(),
            "by_language": self.by_language(),
            "warnings": sum(p.severity is Severity.WARNING for p in self.problems),
            "works": int(self.titles["work_key"].nunique()) if len(self.titles) else 0,
        }


def read_catalogue(
    source: Source,
    format: Format | str | None = None,
    mapping: str | Path | Mapping[str, Any] | None = None,
    *,
    name: str | None = None,
    options: IngestOptions | None = None,
) -> IngestResult:
    """Read one catalogue file into the canonical candidate table.

    ``format`` overrides sniffing; ``mapping`` is a column mapping (TOML path or dict) for
    CSV/XLSX; ``name`` is the source name recorded in the ``source`` column (default: the file
    name). Raises :class:`~fundplanner.errors.IngestError` only when the whole file is unusable.
    """
    data, file = _read_bytes(source, name)
    data = _gunzip(data, file)
    fmt = parse_format(format) if isinstance(format, str) else format
    if fmt is None:
        fmt = sniff_format(data, file=file)
    source_name = name or Path(file).name
    normaliser = Normaliser(
        file=file, source=source_name, format=fmt.value, options=options or IngestOptions()
    )
    rows: list[dict[str, Any]] = []
    records: set[int] = set()
    for item in _raw_rows(data, fmt, file=file, mapping=mapping):
        if isinstance(item, Problem):
            normaliser.problems.append(item)
            if item.severity is Severity.ERROR and item.record is not None:
                records.add(item.record)
            continue
        records.add(item["record_no"])
        row = normaliser.row(item)
        if row is not None:
            rows.append(row)
    titles = dedupe.assign_work_keys(to_candidate_frame(rows))
    return IngestResult(
        titles=titles,
        problems=normaliser.problems,
        format=fmt,
        files=[file],
        records_read=len(records),
    )


def read_catalogues(
    sources: Iterable[Source],
    format: Format | str | None = None,
    mapping: str | Path | Mapping[str, Any] | None = None,
    *,
    options: IngestOptions | None = None,
) -> IngestResult:
    """Read several files; a file that cannot be read at all becomes one problem, not a stop."""
    frames: list[pd.DataFrame] = []
    problems: list[Problem] = []
    files: list[str] = []
    read = 0
    formats: set[Format] = set()
    for source in sources:
        try:
            result = read_catalogue(source, format, mapping, options=options)
        except IngestError as exc:
            file = _name_of(source)
            files.append(file)
            problems.append(
                Problem(file, None, None, None, Kind.UNREADABLE_FILE, _strip_file(str(exc), file))
            )
            continue
        frames.append(result.titles)
        problems.extend(result.problems)
        files.extend(result.files)
        read += result.records_read
        if result.format:
            formats.add(result.format)
    titles = pd.concat(frames, ignore_index=True) if frames else empty_candidates()
    titles = dedupe.assign_work_keys(titles)
    return IngestResult(
        titles=titles,
        problems=problems,
        format=formats.pop() if len(formats) == 1 else None,
        files=files,
        records_read=read,
    )


def _raw_rows(
    data: bytes, fmt: Format, *, file: str, mapping: str | Path | Mapping[str, Any] | None
) -> Iterator[RawRow | Problem]:
    if fmt.is_table:
        yield from iter_table(data, file=file, format=fmt, mapping=mapping)
        return
    if fmt.is_iso2709:
        records: Iterator[MarcRecord | Problem] = iter_iso2709(
            data, file=file, wanted=fieldmap.WANTED_TAGS.get
        )
    else:
        records = iter_marcxml(data, file=file)
    for item in records:
        yield item if isinstance(item, Problem) else fieldmap.extract(item)


#: Largest catalogue a gzip file may expand to (a guard against decompression bombs).
MAX_GUNZIPPED_BYTES = 1 << 30


def _gunzip(data: bytes, file: str) -> bytes:
    """The content of a gzip-compressed catalogue (catalogues are often mailed as .gz)."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        content = inflater.decompress(data, MAX_GUNZIPPED_BYTES)
    except zlib.error as exc:
        raise IngestError(
            f"{file}: a damaged gzip file ({exc}); compress the catalogue again or send it "
            "uncompressed."
        ) from exc
    if inflater.unconsumed_tail:
        raise IngestError(
            f"{file}: expands to more than {MAX_GUNZIPPED_BYTES >> 20} MB; split the catalogue "
            "into smaller files."
        )
    return content


def _read_bytes(source: Source, name: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray):
        return bytes(source), name or "<bytes>"
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            return path.read_bytes(), str(path)
        except OSError as exc:
            raise IngestError(f"{path}: cannot open the file ({exc.strerror}).") from exc
    data = source.read()
    if not isinstance(data, bytes | bytearray):
        raise IngestError(
            "read_catalogue() needs a binary file object (open the file with 'rb') or bytes."
        )
    return bytes(data), name or getattr(source, "name", None) or "<stream>"


def _name_of(source: Source) -> str:
    if isinstance(source, str | Path):
        return str(source)
    return getattr(source, "name", "<stream>")


def _strip_file(message: str, file: str) -> str:
    prefix = f"{file}: "
    return message[len(prefix) :] if message.startswith(prefix) else message

