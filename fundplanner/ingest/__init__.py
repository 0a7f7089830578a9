"""Catalogue ingestion: any supported file becomes the canonical candidate table.

``read_catalogue`` takes bytes (a path, a binary file object or ``bytes``), sniffs the format
from the content, runs the matching reader, normalises every record and returns an
:class:`IngestResult`: the titles as a DataFrame plus the problems found. Bad records never
stop a file; a file that cannot be read at all raises an :class:`~fundplanner.errors.IngestError`.

``read_catalogues`` reads several files and links duplicates and translations across them
(``work_key`` / ``work_group``).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from fundplanner import dedupe, isbn, language
from fundplanner.errors import IngestError, Kind, Problem, Severity
from fundplanner.ingest import fieldmap, parts
from fundplanner.ingest.iso2709 import decide_encoding, iter_iso2709
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

    A large MARC file is read in parts, one per CPU core (``options.workers``); a part that
    meets a damaged record makes the whole file be read again in one piece, so that every
    problem message (record numbers, byte offsets, XML lines) speaks of the whole file.
    """
    file, fmt, result = _read_file(source, format, mapping, name=name, options=options)
    with _gc_paused():
        titles = dedupe.assign_work_keys(result.titles, result.keys)
    return IngestResult(
        titles=titles,
        problems=result.problems,
        format=fmt,
        files=[file],
        records_read=result.records_read,
    )


def _read_file(
    source: Source,
    format: Format | str | None,
    mapping: str | Path | Mapping[str, Any] | None,
    *,
    name: str | None = None,
    options: IngestOptions | None = None,
) -> tuple[str, Format, _Part]:
    """(file name, format, rows) of one file: every row has its record id and its language,
    and its matching keys are computed; the work keys are left to the caller, which links the
    rows of one file (:func:`read_catalogue`) or of all files at once (:func:`read_catalogues`).
    """
    # the file's stamp before its bytes: a change after this is caught when a worker reads
    stamp = _stamp(Path(source)) if isinstance(source, str | Path) else None
    data, file = _read_bytes(source, name)
    on_disk = _FileContent.path_of(source, data)
    data = _gunzip(data, file)
    fmt = parse_format(format) if isinstance(format, str) else format
    if fmt is None:
        fmt = sniff_format(data, file=file)
    content = _FileContent(data, on_disk, stamp)
    del data  # the holder is the only reference: a parallel read may drop the bytes
    job = _Job(content, fmt, file, name or Path(file).name, mapping, options or IngestOptions())
    with _gc_paused():
        result = _read_in_parts(job) or _read_part(job, content.get())
        result.titles = _with_record_ids(result)
    return file, fmt, result


class _FileContent:
    """A file's bytes, which the parent of a parallel read drops while its workers read their
    pieces from the file on disk (a path source that is not compressed): the parent then holds
    no copy of a large file — only its workers' pieces are in memory. The file's size and
    modification time are checked when it is read again; a file changed meanwhile is refused.
    Sources given as bytes or file objects stay in memory (the caller holds them anyway)."""

    def __init__(
        self, data: bytes, path: Path | None, stamp: tuple[int, int] | None = None
    ) -> None:
        """``stamp``: the file's (size, modification time) taken before ``data`` was read."""
        self._data: bytes | None = data
        self.path = path
        self._stamp = stamp if stamp is not None or path is None else _stamp(path)

    @staticmethod
    def path_of(source: Source, data: bytes) -> Path | None:
        """Where the bytes can be read again: a path source whose file is not gzip."""
        if isinstance(source, str | Path) and not data.startswith(b"\x1f\x8b"):
            return Path(source)
        return None

    def get(self) -> bytes:
        """The whole file's bytes (read again from disk if they were dropped)."""
        if self._data is None:
            self._data = self.read(0, None)
        return self._data

    def release(self) -> bool:
        """Drop the bytes when they can be read again from the file; whether they were."""
        if self.path is None:
            return False
        self._data = None
        return True

    @property
    def released(self) -> bool:
        return self._data is None

    def read(self, start: int, end: int | None) -> bytes:
        """Bytes ``start:end`` of the file on disk (an IngestError if it changed)."""
        assert self.path is not None
        if _stamp(self.path) != self._stamp:
            raise IngestError(
                f"{self.path}: the file changed while it was being read; read it again once "
                "it is complete."
            )
        with self.path.open("rb") as handle:
            handle.seek(start)
            return handle.read(-1 if end is None else end - start)


def _stamp(path: Path) -> tuple[int, int]:
    """(size, modification time) of a file: what tells that it changed."""
    try:
        found = path.stat()
    except OSError as exc:
        raise IngestError(f"{path}: cannot open the file ({exc.strerror}).") from exc
    return found.st_size, found.st_mtime_ns


@dataclass(frozen=True)
class _Job:
    content: _FileContent
    format: Format
    file: str
    source: str
    mapping: str | Path | Mapping[str, Any] | None
    options: IngestOptions


@dataclass
class _Part:
    """What one part of a file gave: rows (no work keys yet), their record numbers and their
    matching keys (computed where the rows were made, so that the parent only links them)."""

    titles: pd.DataFrame
    record_nos: pd.Series
    problems: list[Problem]
    records_read: int
    keys: dedupe.WorkKeyInputs
    pending: dict[int, str | None] = field(default_factory=dict)  # row -> summary


def _with_record_ids(part: _Part) -> pd.DataFrame:
    """The part's titles with their record numbers in the file (``record_no``: where an
    export finds the original record again); a row without a control number (MARC 001) is
    identified by its record number."""
    titles = part.titles
    titles["record_no"] = pd.array(part.record_nos.to_numpy(), dtype="Int64")
    missing = titles["record_id"].isna().to_numpy()
    if missing.any():
        titles.loc[missing, "record_id"] = part.record_nos[missing].astype(str).to_numpy()
    return titles


def _read_part(job: _Job, data: bytes, encoding: Any = None) -> _Part:
    normaliser = Normaliser(
        file=job.file, source=job.source, format=job.format.value, options=job.options
    )
    rows: list[dict[str, Any]] = []
    record_nos: list[int] = []
    records: set[int] = set()
    problems = normaliser.problems
    batches = _raw_batches(data, job.format, file=job.file, mapping=job.mapping, encoding=encoding)
    for batch in batches:
        raws: list[RawRow] = []
        found: list[tuple[float, Problem]] = []  # the reader's, each after the rows before it
        for item in batch:
            if isinstance(item, Problem):
                found.append((len(raws) - 0.5, item))
                if item.severity is Severity.ERROR and item.record is not None:
                    records.add(item.record)
                continue
            records.add(item["record_no"])
            raws.append(item)
        first_problem = len(problems)
        for raw, row in zip(raws, normaliser.rows(raws), strict=True):
            if row is not None:
                rows.append(row)
                record_nos.append(raw["record_no"])
        if found:  # each row's problems right after it, as if read one record at a time
            position = {raw["record_no"]: index for index, raw in enumerate(raws)}
            found.extend((position[p.record], p) for p in problems[first_problem:])
            found.sort(key=itemgetter(0))
            problems[first_problem:] = [problem for _, problem in found]
    titles = to_candidate_frame(rows)
    return _Part(
        titles=titles,
        record_nos=pd.Series(record_nos, dtype="int64"),
        problems=normaliser.problems,
        records_read=len(records),
        keys=dedupe.row_keys(titles),
        pending=normaliser.pending_summaries,
    )


def _read_in_parts(job: _Job) -> _Part | None:
    """The file read by several processes, or None when it should be read in one piece."""
    workers = job.options.workers or min(2, os.cpu_count() or 1)
    data = job.content.get()
    per_worker = parts.PIECES_PER_WORKER if job.format.is_iso2709 else parts.XML_PIECES_PER_WORKER
    wanted = min(workers * per_worker, len(data) // parts.MIN_BYTES_PER_PART)
    if workers < 2 or wanted < 2 or job.format.is_table or "fork" not in mp.get_all_start_methods():
        return None
    if job.format.is_iso2709:
        pieces = parts.plan_iso2709(data, wanted, last=workers)
        encoding = decide_encoding(data)
    else:
        pieces = parts.plan_marcxml(data, wanted, last=workers)
        encoding = None
    if len(pieces) < 2:
        return None
    del data
    job.content.release()  # before forking: the workers read their pieces from the file
    global _PARALLEL
    worker_job = replace(job, options=replace(job.options, defer_detection=True))
    _PARALLEL = (worker_job, pieces, encoding)
    try:
        with mp.get_context("fork").Pool(min(workers, len(pieces))) as pool:
            finished = pool.imap_unordered(_read_indexed_piece, range(len(pieces)))
            # The workers leave detector-only languages pending; the detector's models load
            # here meanwhile, off the critical path, and it judges those titles part by part
            # as the parts arrive.
            language.prepare_detector(job.options.languages, job.options.detector)
            results = _judged_as_they_come(finished, len(pieces), job.options)
    finally:
        _PARALLEL = None
    if any(_is_damaged(r) for r in results):
        return None
    return _joined(results)


def _judged_as_they_come(
    finished: Iterator[tuple[int, _Part]], count: int, options: IngestOptions
) -> list[_Part]:
    """The ``count`` parts in file order, each part's pending languages judged as soon as the
    part arrives: while the last workers still read, the detector uses the cores that the
    first ones left idle, so only the last part's detection stays on the critical path."""
    by_index: dict[int, _Part] = {}
    for index, part in finished:
        if not _is_damaged(part):  # a damaged file is read again whole: no detection wasted
            _detect_pending(part, options)
        by_index[index] = part
    return [by_index[index] for index in range(count)]


def _is_damaged(part: _Part) -> bool:
    """Whether the part met damaged bytes (its messages would speak of the part)."""
    return any(p.kind in _DAMAGE for p in part.problems)


def _detect_pending(part: _Part, options: IngestOptions) -> None:
    """Run the language detector on the rows the workers left pending (same chain inputs).

    Each input column is read once, and the rows are judged in one batch
    (:func:`fundplanner.language.resolve_deferred_languages`): the guess is the one each
    worker's own :func:`~fundplanner.language.resolve_language` call would have made.
    """
    if not part.pending:
        return
    titles = part.titles
    rows = list(part.pending)
    groups = _column_values(titles, "isbn_group", rows)
    guesses = language.resolve_deferred_languages(
        _column_values(titles, "title", rows),
        _column_values(titles, "subtitle", rows),
        list(part.pending.values()),
        [isbn.group_hint(group).language for group in groups],
        languages=options.languages,
        backend=options.detector,
    )
    titles.loc[rows, "language"] = [g.code for g in guesses]
    titles.loc[rows, "language_method"] = [g.method for g in guesses]
    titles.loc[rows, "language_confidence"] = [round(g.confidence, 3) for g in guesses]
    part.pending = {}


def _column_values(frame: pd.DataFrame, column: str, rows: list[int]) -> list[Any]:
    """The values of ``column`` at the positions ``rows``, missing values as None."""
    return [None if value is pd.NA else value for value in frame[column].iloc[rows].tolist()]


#: Problems that mean a part met damaged bytes: its messages would speak of the part.
_DAMAGE = frozenset({Kind.UNREADABLE_FILE, Kind.UNREADABLE_RECORD, Kind.ENCODING})

#: The job a forked worker reads its piece from (set just before forking, never pickled).
_PARALLEL: tuple[_Job, list[parts.Piece], Any] | None = None


def _read_indexed_piece(index: int) -> tuple[int, _Part]:
    """(index, part) of the ``index``-th piece: run in a worker forked by _read_in_parts."""
    assert _PARALLEL is not None, "only called in a worker forked by _read_in_parts"
    job, pieces, encoding = _PARALLEL
    piece = pieces[index]
    if job.content.released:
        data = piece.head + job.content.read(piece.start, piece.end) + piece.tail
    else:
        data = piece.of(job.content.get())
    with _gc_paused():
        return index, _read_part(job, data, encoding)


def _joined(results: list[_Part]) -> _Part:
    """Parts put back in file order, their record numbers made file-wide."""
    offset = rows = 0
    problems: list[Problem] = []
    numbers: list[pd.Series] = []
    pending: dict[int, str | None] = {}
    for result in results:
        problems.extend(
            replace(p, record=p.record + offset) if p.record is not None else p
            for p in result.problems
        )
        numbers.append(result.record_nos + offset)
        pending.update((row + rows, summary) for row, summary in result.pending.items())
        offset += result.records_read
        rows += len(result.titles)
    return _Part(
        titles=pd.concat([r.titles for r in results], ignore_index=True),
        record_nos=pd.concat(numbers, ignore_index=True),
        problems=problems,
        records_read=offset,
        keys=dedupe.WorkKeyInputs.joined([r.keys for r in results]),
        pending=pending,
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during an import.

    An import allocates hundreds of thousands of small, acyclic objects (fields, rows); the
    collector would rescan them again and again (measured: a fifth of the ingest time).
    Reference counting still frees everything; cycles, if any, are collected afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_catalogues(
    sources: Iterable[Source],
    format: Format | str | None = None,
    mapping: str | Path | Mapping[str, Any] | None = None,
    *,
    options: IngestOptions | None = None,
) -> IngestResult:
    """Read several files; a file that cannot be read at all becomes one problem, not a stop.

    Duplicates and translations are linked across all the files (one work key pass over all
    their rows, with the matching keys each file's read computed)."""
    results: list[_Part] = []
    problems: list[Problem] = []
    files: list[str] = []
    formats: set[Format] = set()
    for source in sources:
        try:
            file, fmt, result = _read_file(source, format, mapping, options=options)
        except IngestError as exc:
            file = _name_of(source)
            files.append(file)
            problems.append(
                Problem(file, None, None, None, Kind.UNREADABLE_FILE, _strip_file(str(exc), file))
            )
            continue
        results.append(result)
        problems.extend(result.problems)
        files.append(file)
        formats.add(fmt)
    if results:
        titles = pd.concat([r.titles for r in results], ignore_index=True)
    else:
        titles = empty_candidates()
    with _gc_paused():
        keys = dedupe.WorkKeyInputs.joined([r.keys for r in results])
        titles = dedupe.assign_work_keys(titles, keys)
    return IngestResult(
        titles=titles,
        problems=problems,
        format=formats.pop() if len(formats) == 1 else None,
        files=files,
        records_read=sum(r.records_read for r in results),
    )


#: Records taken through each stage together (parse, field map, then normalisation): a
#: record-by-record pipeline runs the three stages' code in turn for every record, and was
#: measured a quarter slower on a 2-core VM than batches of 100 (cold caches, 25,000 generated
#: MARC21 records: 97-103 µs against 78-80 µs a record; batches of 10 to 300 all gained).
#: The batch is small enough that its records never weigh on memory.
STAGE_BATCH = 100


def _raw_batches(
    data: bytes,
    fmt: Format,
    *,
    file: str,
    mapping: str | Path | Mapping[str, Any] | None,
    encoding: Any = None,
) -> Iterator[list[RawRow | Problem]]:
    """The file's rows and problems, in file order, ``STAGE_BATCH`` records at a time: each
    batch is parsed whole before its records go through the field map."""
    if fmt.is_table:
        rows: Iterator[RawRow | Problem] = iter_table(data, file=file, format=fmt, mapping=mapping)
        while batch := list(islice(rows, STAGE_BATCH)):
            yield batch
        return
    if fmt.is_iso2709:
        records: Iterator[MarcRecord | Problem] = iter_iso2709(
            data, file=file, wanted=fieldmap.WANTED_TAGS.get, encoding=encoding
        )
    else:
        records = iter_marcxml(data, file=file)
    while parsed := list(islice(records, STAGE_BATCH)):
        marc = [item for item in parsed if not isinstance(item, Problem)]
        extracted = iter(fieldmap.extract_batch(marc))
        yield [item if isinstance(item, Problem) else next(extracted) for item in parsed]


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
