"""Shared fixtures: paths to the small fixtures in tests/data and to ../shared/corpus."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import drop_postgres_database
from hypothesis import HealthCheck, settings

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
CORPUS = Path(os.environ.get("FUNDPLANNER_CORPUS", REPO.parent / "shared" / "corpus"))

settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """../shared/corpus (CI has it); tests that need it are skipped without it."""
    if not (CORPUS / "marc" / "MANIFEST.tsv").exists():
        pytest.skip(f"corpus not found at {CORPUS}")
    return CORPUS


# --------------------------------------------------------------------------- project stores

#: A PostgreSQL server the store tests may create databases in, e.g.
#: postgresql+psycopg://fundplanner@127.0.0.1:5433/postgres (a role with CREATEDB).
POSTGRES_VARIABLE = "FUNDPLANNER_TEST_POSTGRES"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, on each backend the store supports.

    ``sqlite``: a fresh file in tmp_path. ``postgresql``: a fresh database per test on the
    server named by $FUNDPLANNER_TEST_POSTGRES, dropped afterwards (skipped when the variable
    is unset, an error when the server does not answer). `.ci/run` starts a server and sets it.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'project.fundplan'}"
        return
    server = os.environ.get(POSTGRES_VARIABLE)
    if not server:
        pytest.skip(
            f"PostgreSQL store tests: set {POSTGRES_VARIABLE}="
            "postgresql+psycopg://USER@HOST:PORT/postgres (a role with CREATEDB), "
            "or run .ci/run, which starts a throwaway server"
        )
    yield from _postgres_database(server)


def _postgres_database(server: str) -> Iterator[str]:
    """Create a database named after no other, yield its URL, drop it (closing its sessions)."""
    import sqlalchemy as sa

    name = f"fundplanner_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
    except sa.exc.SQLAlchemyError as exc:
        admin.dispose()
        pytest.fail(f"{POSTGRES_VARIABLE}={server}: cannot create a test database ({exc})")
    try:
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            drop_postgres_database(conn, name)
        admin.dispose()
