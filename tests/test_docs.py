"""Documentation that cannot drift: every CLI option and every reference table is documented."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from fundplanner.cli import cli

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
REFERENCE = REPO / "fundplanner" / "reference"


def commands() -> list[tuple[str, click.Command]]:
    assert isinstance(cli, click.Group)
    return sorted(cli.commands.items())


@pytest.mark.parametrize(("name", "command"), commands())
def test_every_command_has_a_readme_section_and_help(name: str, command: click.Command) -> None:
    assert f"fundplanner {name}" in README
    assert command.help and len(command.help) > 40


@pytest.mark.parametrize(
    ("name", "option"),
    [
        (name, opt)
        for name, command in commands()
        for p in command.params
        if isinstance(p, click.Option)
        for opt in p.opts
    ],
)
def test_every_option_is_in_the_readme(name: str, option: str) -> None:
    assert f"`{option}" in README, f"{name} {option} is not documented in README.md"


@pytest.mark.parametrize(
    "table", sorted(p.name for p in REFERENCE.iterdir() if p.suffix in {".csv", ".toml"})
)
def test_every_reference_table_is_described(table: str) -> None:
    assert f"`{table}`" in (REFERENCE / "README.md").read_text(encoding="utf-8")


def test_readme_has_no_unfilled_figures() -> None:
    for marker in ("BENCH_TABLE", "LANG_LINGUA_US", "LANG_LANGDETECT_US", "TODO"):
        assert marker not in README
