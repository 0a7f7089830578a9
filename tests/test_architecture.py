"""House rules that keep the core a functional core (style-anchors lesson 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "fundplanner"
MODULES = sorted(PACKAGE.rglob("*.py"))


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_never_imports_streamlit(path: Path) -> None:
    assert "streamlit" not in imported_roots(path)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_cli_imports_click(path: Path) -> None:
    if path.name != "cli.py":
        assert "click" not in imported_roots(path)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_store_imports_sqlalchemy(path: Path) -> None:
    """store.py talks to the database; its Alembic migrations live beside it."""
    if path.name != "store.py" and "migrations" not in path.parts:
        assert "sqlalchemy" not in imported_roots(path)
        assert "alembic" not in imported_roots(path)
