"""Shared fixtures: paths to the small fixtures in tests/data and to ../shared/corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
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
