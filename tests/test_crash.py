"""A catalogue import killed with SIGKILL at random moments leaves the project exactly as it was.

DESIGN.md / issue 3: "importing a catalogue is one transaction: an import interrupted at any
point (including ``kill -9``) leaves the project exactly as before". A project gets one
catalogue, then an importer process is killed again and again while it imports a large one
(a few thousand generated MARC21 records); after every kill the project must open (schema at
head), pass ``PRAGMA integrity_check`` (SQLite), and hold every row of every table exactly as
before. Finally one uninterrupted import, in a fresh process, succeeds.

How the kills land inside the transaction: the importer prints ``begin`` just before
``engine.begin()``; the test waits for that line, then sleeps a seeded random fraction of the
transaction's measured duration and sends SIGKILL. Reading the catalogue (≈ 3 s per process,
most of it loading the language models) happens once, in a *zygote* process that has called
``read_catalogue``; every round forks a new importer from it, which opens its own engine (no
database handle crosses the fork) and runs ``with store.engine(url).begin() as conn:
store.import_catalogue(...)``; that importer is the process killed.

On SQLite half the rounds shrink the bulk-load page cache (``store.BULK_CACHE_KIB``) so that
the transaction's pages spill into the WAL before the commit: the kill then leaves uncommitted
frames on disk, which the next opening must ignore. The test counts those rounds and requires
some. A kill that lands after the commit was written is legitimate (the import is then
complete, never partial): the test checks it is *all* of the catalogue, removes it, and goes on.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import IO, Any

import pytest
import sqlalchemy as sa
from helpers import time_limit
from sqlalchemy.engine import Connection

from fundplanner import store
from fundplanner.ingest import read_catalogue

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
BIG_RECORDS = 5000  # "a few thousand": the transaction lasts ~0.1-0.3 s
SMALL_RECORDS = 200
SEED = 20261128
KILLS = {"sqlite": 24, "postgresql": 20}  # SIGKILLs that must actually hit a live importer
SPILL_CACHE_KIB = 64  # a page cache this small spills the transaction into the WAL early

#: The zygote: reads the big catalogue once, then for each command line
#: ``import URL CACHE_KIB`` forks an importer, reports its lines and its exit.
ZYGOTE = r"""
import hashlib, os, sys, time, traceback
from fundplanner import store
from fundplanner.ingest import read_catalogue

path = sys.argv[1]
result = read_catalogue(path)
with open(path, "rb") as handle:
    checksum = hashlib.file_digest(handle, "sha256").hexdigest()
problems = [p.as_row() for p in result.problems]
print("ready", len(result.titles), len(problems), checksum, flush=True)

def run_import(url, cache_kib):
    store.BULK_CACHE_KIB = cache_kib
    engine = store.engine(url)
    print("begin", os.getpid(), flush=True)
    start = time.perf_counter()
    with engine.begin() as conn:
        store.import_catalogue(
            conn, file_name=os.path.basename(path), checksum=checksum,
            size_bytes=os.path.getsize(path), format=str(result.format), titles=result.titles,
            problems=problems, records_read=result.records_read, partner_id=None,
            user="crash-test",
        )
    print("committed", time.perf_counter() - start, flush=True)

for line in sys.stdin:
    _command, url, cache_kib = line.split()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            run_import(url, int(cache_kib))
        except BaseException:
            traceback.print_exc()
            sys.stderr.flush()
            code = 1
        os._exit(code)
    _pid, status = os.waitpid(pid, 0)
    print("exit", pid, status, flush=True)
"""

#: One import from scratch in a fresh process: read, checksum, import, commit.
FRESH_IMPORT = r"""
import hashlib, os, sys
from fundplanner import store
from fundplanner.ingest import read_catalogue

url, path = sys.argv[1], sys.argv[2]
result = read_catalogue(path)
with open(path, "rb") as handle:
    checksum = hashlib.file_digest(handle, "sha256").hexdigest()
with store.engine(url).begin() as conn:
    store.import_catalogue(
        conn, file_name=os.path.basename(path), checksum=checksum,
        size_bytes=os.path.getsize(path), format=str(result.format), titles=result.titles,
        problems=[p.as_row() for p in result.problems], records_read=result.records_read,
        partner_id=None, user="crash-test",
    )
print("imported", len(result.titles))
"""


def load_generator() -> ModuleType:
    """benchmarks/generate.py (seeded synthetic MARC21 catalogues)."""
    spec = importlib.util.spec_from_file_location("generate", REPO / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Catalogues:
    small: Path
    big: Path


@pytest.fixture(scope="module")
def catalogues(tmp_path_factory: pytest.TempPathFactory) -> Catalogues:
    folder = tmp_path_factory.mktemp("crash_catalogues")
    generate = load_generator()
    small, big = folder / f"small_{SMALL_RECORDS}.mrc", folder / f"big_{BIG_RECORDS}.mrc"
    generate.write(SMALL_RECORDS, small, seed=SEED + 1)
    generate.write(BIG_RECORDS, big, seed=SEED)
    return Catalogues(small, big)


@dataclass
class Zygote:
    """The process that has read the big catalogue and forks importers on demand."""

    process: subprocess.Popen[str]
    kept: int
    problems: int
    checksum: str

    @property
    def out(self) -> IO[str]:
        assert self.process.stdout is not None
        return self.process.stdout

    def line(self) -> list[str]:
        text = self.out.readline()
        if not text:
            raise AssertionError(f"the zygote died (exit {self.process.poll()})")
        return text.split()

    def start_import(self, url: str, cache_kib: int) -> int:
        """Fork an importer; returns its pid once it printed ``begin`` (just before begin())."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"import {url} {cache_kib}\n")
        self.process.stdin.flush()
        words = self.line()
        assert words[0] == "begin", f"the importer said {words} before begin()"
        return int(words[1])

    def finish(self, pid: int) -> Round:
        """Wait for the importer's exit; what it reported on the way."""
        done = Round(pid)
        while (words := self.line())[0] != "exit":
            assert words[0] == "committed", words
            done.committed_after = float(words[1])
        assert int(words[1]) == pid
        done.status = int(words[2])
        return done


@dataclass
class Round:
    pid: int
    committed_after: float | None = None
    status: int = 0
    killed: bool = False

    @property
    def killed_by_sigkill(self) -> bool:
        return os.WIFSIGNALED(self.status) and os.WTERMSIG(self.status) == signal.SIGKILL


@pytest.fixture(scope="module")
def zygote(catalogues: Catalogues) -> Iterator[Zygote]:
    process = subprocess.Popen(
        [sys.executable, "-c", ZYGOTE, str(catalogues.big)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        with time_limit(120, "the zygote's read_catalogue"):
            words = process.stdout.readline().split()
        assert words and words[0] == "ready", f"zygote: {words}"
        yield Zygote(process, kept=int(words[1]), problems=int(words[2]), checksum=words[3])
    finally:
        if process.stdin is not None:
            process.stdin.close()  # the zygote's loop ends on EOF
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


# --------------------------------------------------------------------------- the project's state


Snapshot = dict[str, list[dict[str, Any]]]


def snapshot(conn: Connection) -> Snapshot:
    """Every row of every table."""
    return {name: store.rows(conn, name) for name in store.metadata.tables}


def new_project(url: str, small: Path) -> Snapshot:
    """A project with one catalogue imported normally; its snapshot."""
    result = read_catalogue(small)
    engine = store.engine(url, must_exist=False)
    try:
        with engine.begin() as conn:
            store.create_project(conn, {"name": "Al Ram crash test"}, user="amal")
            store.import_catalogue(
                conn,
                file_name=small.name,
                checksum="small-catalogue",
                size_bytes=small.stat().st_size,
                format=str(result.format),
                titles=result.titles,
                problems=[p.as_row() for p in result.problems],
                records_read=result.records_read,
                partner_id=None,
                user="amal",
            )
        with engine.connect() as conn:
            return snapshot(conn)
    finally:
        engine.dispose()


def opened_state(url: str) -> tuple[Snapshot, str | None]:
    """Open the project as a user would (schema check first); its rows and integrity check."""
    engine = store.engine(url)
    try:
        with engine.connect() as conn:
            store.require_current(conn)
            integrity = None
            if conn.dialect.name == "sqlite":
                integrity = conn.exec_driver_sql("PRAGMA integrity_check").scalar_one()
            return snapshot(conn), integrity
    finally:
        engine.dispose()  # closing the last SQLite connection checkpoints and removes the WAL


def all_or_nothing(now: Snapshot, before: Snapshot, zygote: Zygote) -> int | None:
    """None when nothing changed; the catalogue id when the whole import is there (a kill after
    the commit); fails on anything else (a partial import)."""
    if now == before:
        return None
    added = {name: rows[len(before[name]) :] for name, rows in now.items()}
    for name, rows in before.items():
        assert now[name][: len(rows)] == rows, f"{name}: rows that were there changed"
    (new_catalogue,) = added["catalogue"]
    assert new_catalogue["checksum"] == zygote.checksum
    assert new_catalogue["kept"] == zygote.kept == len(added["candidate"])
    assert {r["catalogue_id"] for r in added["candidate"]} == {new_catalogue["id"]}
    assert len(added["catalogue_problem"]) == zygote.problems
    assert [(r["table_name"], r["action"]) for r in added["audit"]] == [("catalogue", "import")]
    others = set(added) - {"catalogue", "candidate", "catalogue_problem", "audit"}
    assert not any(added[name] for name in others), "an import touched other tables"
    return int(new_catalogue["id"])


def remove_import(url: str, catalogue_id: int) -> None:
    """Undo a complete import (its candidates and problems go by ON DELETE CASCADE)."""
    engine = store.engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(store.catalogue.delete().where(store.catalogue.c.id == catalogue_id))
            conn.execute(
                store.audit.delete().where(
                    store.audit.c.table_name == "catalogue",
                    store.audit.c.row_id == catalogue_id,
                    store.audit.c.action == "import",
                )
            )
    finally:
        engine.dispose()


def wal_bytes(url: str) -> int:
    """Size of a SQLite project's WAL file (0 when there is none, or not SQLite)."""
    if not url.startswith("sqlite:///"):
        return 0
    wal = Path(f"{sa.make_url(url).database}-wal")
    return wal.stat().st_size if wal.exists() else 0


def wait_for_dead_sessions(url: str) -> None:
    """PostgreSQL: wait until the server has ended the killed importer's session (it rolls back
    what was not committed), so that the next look sees the outcome and nothing in flight."""
    if not url.startswith("postgresql"):
        return
    engine = store.engine(url)
    others = sa.text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    try:
        with engine.connect() as conn:
            while conn.execute(others).scalar_one():
                time.sleep(0.01)
                conn.rollback()  # a new snapshot of pg_stat_activity
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- the test


@dataclass
class Tally:
    kills: int = 0
    inside: int = 0  # killed after "begin", before the commit: the project unchanged
    after_commit: int = 0  # killed after the commit reached the database: complete import
    with_uncommitted_wal: int = 0  # SQLite: the kill left uncommitted frames in the WAL
    spill_kills: int = 0
    durations: dict[int, float] = field(default_factory=dict)


def test_an_import_killed_at_random_moments_leaves_the_project_as_it_was(
    store_url: str, catalogues: Catalogues, zygote: Zygote
) -> None:
    backend = store_url.split(":", 1)[0].split("+")[0]
    caches = [store.BULK_CACHE_KIB, SPILL_CACHE_KIB] if backend == "sqlite" else [0]
    rng = random.Random(SEED)
    tally = Tally()
    with time_limit(150, "the crash test"):
        before = new_project(store_url, catalogues.small)
        for cache in caches:  # calibrate: the transaction's duration, uninterrupted
            done = zygote.finish(zygote.start_import(store_url, cache))
            assert done.status == 0 and done.committed_after is not None
            tally.durations[cache] = done.committed_after
            now, _ = opened_state(store_url)
            catalogue_id = all_or_nothing(now, before, zygote)
            assert catalogue_id is not None, "an uninterrupted import stored nothing"
            remove_import(store_url, catalogue_id)
        assert opened_state(store_url)[0] == before
        rounds = 0
        while tally.kills < KILLS[backend]:
            rounds += 1
            assert rounds <= 3 * KILLS[backend], f"only {tally.kills} kills hit an importer"
            cache = caches[rounds % len(caches)]
            delay = rng.uniform(0.0, 1.0) * tally.durations[cache]
            pid = zygote.start_import(store_url, cache)
            time.sleep(delay)
            with contextlib.suppress(ProcessLookupError):  # already finished: not a kill
                os.kill(pid, signal.SIGKILL)
            done = zygote.finish(pid)
            wait_for_dead_sessions(store_url)
            wal = wal_bytes(store_url)
            now, integrity = opened_state(store_url)
            assert integrity in (None, "ok"), f"round {rounds}: integrity_check says {integrity}"
            catalogue_id = all_or_nothing(now, before, zygote)
            if not done.killed_by_sigkill:
                assert done.status == 0 and catalogue_id is not None, f"round {rounds} failed"
            else:
                tally.kills += 1
                tally.spill_kills += cache == SPILL_CACHE_KIB
                if catalogue_id is None:
                    tally.inside += 1
                    tally.with_uncommitted_wal += wal > 0
                else:
                    tally.after_commit += 1
            if catalogue_id is not None:
                remove_import(store_url, catalogue_id)
        assert tally.inside >= KILLS[backend] // 2, f"too few kills inside the import: {tally}"
        if backend == "sqlite":
            assert tally.with_uncommitted_wal >= tally.spill_kills // 4, (
                f"too few kills left uncommitted WAL frames to recover from: {tally}"
            )
        assert opened_state(store_url)[0] == before
        subprocess.run(
            [sys.executable, "-c", FRESH_IMPORT, store_url, str(catalogues.big)],
            check=True,
            capture_output=True,
            text=True,
        )
        now, integrity = opened_state(store_url)
    assert integrity in (None, "ok")
    assert all_or_nothing(now, before, zygote) is not None
    print(f"{backend}: {tally}")
