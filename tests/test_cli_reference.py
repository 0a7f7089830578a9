"""docs/cli.md is generated from the click commands and cannot drift from them.

The reference is rendered in memory by docs/build_cli_reference.py and compared with the
committed file; every command (sub-groups included) and every option must have its entry.
The generator itself is checked on a made-up command group with the shapes a future command
may take (a sub-group, a hidden option, a flag pair, choices, a ``\\b`` paragraph).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import click
import pytest

from fundplanner.cli import cli

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "docs" / "cli.md"
REGENERATE = "run python docs/build_cli_reference.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_cli_reference", REPO / "docs" / "build_cli_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


builder = _generator()


def commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, click.Command]]:
    """(words after `fundplanner`, command) of every visible command, sub-groups included."""
    for name, command in sorted(group.commands.items()):
        if command.hidden:
            continue
        yield " ".join((*path, name)), command
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))


def section(text: str, words: str) -> str:
    """The part of the reference under ``## `fundplanner WORDS` `` (up to the next heading)."""
    match = re.search(rf"^## `fundplanner {re.escape(words)}`\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"fundplanner {words} has no section in docs/cli.md; {REGENERATE}"
    return match.group(1)


def test_reference_is_up_to_date() -> None:
    committed = REFERENCE.read_text(encoding="utf-8") if REFERENCE.exists() else ""
    assert committed == builder.render(), f"docs/cli.md is stale: {REGENERATE}"


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "cli.md"
    stale.write_text("# old\n", encoding="utf-8")
    assert builder.main(["--check", "--out", str(stale)]) == 1
    assert builder.main(["--out", str(stale)]) == 0
    assert builder.main(["--check", "--out", str(stale)]) == 0


@pytest.mark.parametrize(("words", "command"), list(commands(cli)))
def test_every_command_is_documented_with_its_usage_and_help(
    words: str, command: click.Command
) -> None:
    text = section(REFERENCE.read_text(encoding="utf-8"), words)
    assert f"fundplanner {words} [OPTIONS]" in text
    first_line = (command.help or "").strip().splitlines()[0]
    assert first_line and first_line in text, f"fundplanner {words}: help missing"
    for argument in (p for p in command.params if isinstance(p, click.Argument)):
        assert f"`{argument.human_readable_name}" in text


@pytest.mark.parametrize(
    ("words", "option"),
    [
        (words, spelling)
        for words, command in commands(cli)
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden
        for spelling in (*param.opts, *param.secondary_opts)
    ],
)
def test_every_option_is_documented(words: str, option: str) -> None:
    text = section(REFERENCE.read_text(encoding="utf-8"), words)
    assert f"`{option}`" in text, f"fundplanner {words} {option} is not in docs/cli.md"


# ------------------------------------------------------------------ the generator on any group


@click.group()
def made_up() -> None:
    """A made-up tool."""


@made_up.command(name="do-it")
@click.argument("things", nargs=-1, required=True)
@click.option("--mode", type=click.Choice(["fast", "slow"]), default="slow", help="How.")
@click.option("--colour/--no-colour", default=True, help="Colour the output.")
@click.option("--tag", multiple=True, help="A tag.")
@click.option("--secret", hidden=True, help="Never shown.")
@click.option("--out", required=True, help="Where | to write.")
def do_it(**_: object) -> None:
    """Do it to THINGS.

    \b
    First line kept.
    Second line kept.
    \f
    Internal notes that click hides.
    """


@made_up.group()
def profile() -> None:
    """Profiles of the made-up tool."""


@profile.command()
@click.option("--name")
def show(**_: object) -> None:
    pass


def test_generator_renders_any_group() -> None:
    text = builder.render(made_up)
    assert "[`fundplanner do-it`](#fundplanner-do-it) — Do it to THINGS." in text
    do_it_text = section(text, "do-it")
    assert "fundplanner do-it [OPTIONS] THINGS..." in do_it_text
    assert "- `THINGS...` — required; one or more." in do_it_text
    assert "First line kept.  \nSecond line kept." in do_it_text
    assert "Internal notes" not in text
    assert "- `--mode` `[fast|slow]` — How. Choices: `fast`, `slow`. Default: `slow`." in text
    assert "- `--colour`, `--no-colour` — Colour the output. Default: `True`." in text
    assert "- `--tag` `TEXT` — A tag. Repeatable." in text
    assert "- `--out` `TEXT` — Where | to write. Required." in text
    assert "--secret" not in text
    assert "`--help`" not in do_it_text  # said once, in the introduction
    assert "**Commands**: `show`" in section(text, "profile")
    assert "- `--name` `TEXT`" in section(text, "profile show")


def test_rendering_is_deterministic() -> None:
    assert builder.render() == builder.render()
