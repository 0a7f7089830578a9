"""Every setting the code reads is documented.

Settings are the scenario parameters (``planning.Scenario``), the keys of ``constraints.toml``
(``planner.Constraints``, its zones and origins), of a profile and of the premises (the key
tuples their readers accept), of a column mapping's ``[options]``, and the environment
variables the product reads. Each must appear, in backticks, in README.md, docs/*.md or
fundplanner/reference/README.md: a top-level key as itself (`budget_eur`), a nested key as its
dotted path from the document's root with ``<…>`` for names the user chooses
(`audiences.<audience>.share`, `zones.<zone>.furniture[].bays`). docs/settings.md lists them
all. The names come from the code, so a new field, key or variable fails here until it is
documented.
"""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from fundplanner import planner, planning, premises, profiles
from fundplanner.ingest import tabular

REPO = Path(__file__).resolve().parents[1]
DOCS = [
    REPO / "README.md",
    REPO / "fundplanner" / "reference" / "README.md",
    *sorted((REPO / "docs").glob("*.md")),
]
#: Where the product reads its environment: the package, the dashboard, the notebooks' cells.
PRODUCT_SOURCES = [
    "fundplanner/**/*.py",
    "app.py",
    "pages/**/*.py",
    "views/**/*.py",
    "ui/**/*.py",
    "notebooks/*.py",
]

#: os.environ["X"], os.environ.get("X"), os.getenv("X"), and any "FUNDPLANNER_…" literal (the
#: dashboard names its variables in constants such as PROJECT_VARIABLE = "FUNDPLANNER_PROJECT").
ENV_READ = re.compile(r"""(?:environ(?:\.get)?\(?\[?|getenv\()\s*["']([A-Z][A-Z0-9_]+)["']""")
ENV_LITERAL = re.compile(r"""["'](FUNDPLANNER_[A-Z0-9_]+)["']""")


def documentation() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in DOCS if path.exists())


def nested(prefix: str, keys: tuple[str, ...] | list[str]) -> list[str]:
    return [f"{prefix}.{key}" for key in keys]


def scenario_settings() -> list[str]:
    return [f.name for f in fields(planning.Scenario) if f.name != "name"]


def constraints_settings() -> list[str]:
    return [
        *(f.name for f in fields(planner.Constraints)),
        *nested("zones.<zone>", [f.name for f in fields(planner.Zone) if f.name != "name"]),
        *nested("origins.<origin>", [f.name for f in fields(planner.Origin) if f.name != "code"]),
    ]


def profile_settings() -> list[str]:
    audience = "audiences.<audience>"
    return [
        *profiles._PROFILE_KEYS,
        "population.served",
        "population.<figure>",
        *nested("collection", profiles._COLLECTION_KEYS),
        *nested(audience, profiles._AUDIENCE_KEYS),
        *nested(f"{audience}.categories.<category>", profiles._CATEGORY_KEYS),
    ]


def premises_settings() -> list[str]:
    return [
        *premises._PREMISES_KEYS,
        *nested("zones.<zone>", premises._ZONE_KEYS),
        *nested("zones.<zone>.furniture[]", premises._FURNITURE_KEYS),
    ]


def mapping_settings() -> list[str]:
    sections = [s for s in tabular._MAPPING_SECTIONS if s != "options"]
    return [f"{section}.<key>" for section in sections] + nested(
        "options", tabular._MAPPING_OPTIONS
    )


def source_files(patterns: list[str]) -> list[Path]:
    return sorted({path for pattern in patterns for path in REPO.glob(pattern)})


def environment_variables(patterns: list[str]) -> set[str]:
    found: set[str] = set()
    for path in source_files(patterns):
        text = path.read_text(encoding="utf-8")
        found.update(ENV_READ.findall(text), ENV_LITERAL.findall(text))
    return found


SETTINGS = [
    *(("scenario", name) for name in scenario_settings()),
    *(("constraints.toml", name) for name in constraints_settings()),
    *(("profile", name) for name in profile_settings()),
    *(("premises", name) for name in premises_settings()),
    *(("column mapping", name) for name in mapping_settings()),
    *(("environment", name) for name in sorted(environment_variables(PRODUCT_SOURCES))),
]


@pytest.mark.parametrize(("where", "name"), SETTINGS)
def test_setting_is_documented(where: str, name: str) -> None:
    assert f"`{name}`" in documentation(), (
        f"{where} setting `{name}` is documented nowhere: add it to docs/settings.md "
        "(where it is set, its default, what it means)"
    )


def test_the_lists_find_what_they_should() -> None:
    """The scan cannot pass by finding nothing: known settings of each kind are in it."""
    names = {name for _, name in SETTINGS}
    for known in (
        "budget_eur",
        "mip_rel_gap",
        "zones.<zone>.capacity_cm",
        "audiences.<audience>.candidates_from",
        "zones.<zone>.furniture[].items_per_bin",
        "options.header_row",
        "FUNDPLANNER_USER",
        "FUNDPLANNER_NOTEBOOK_PROJECT",
    ):
        assert known in names


@pytest.mark.parametrize(
    ("line", "variables"),
    [
        ('name = os.environ.get("FUNDPLANNER_USER")', {"FUNDPLANNER_USER"}),
        ("os.environ['HOME']", {"HOME"}),
        ('os.getenv("LANG", "C")', {"LANG"}),
        ('MODE_VARIABLE = "FUNDPLANNER_AUTH"', {"FUNDPLANNER_AUTH"}),
        ("environ.get(PROJECT_VARIABLE)", set()),
        ('print("FUNDPLANNER is nice")', set()),
    ],
)
def test_environment_scan(line: str, variables: set[str]) -> None:
    assert set(ENV_READ.findall(line)) | set(ENV_LITERAL.findall(line)) == variables


def test_documented_variables_are_read_somewhere() -> None:
    """No stale entry: every FUNDPLANNER_ variable in docs/settings.md is read by the product
    or by the tests (this file's own examples excepted)."""
    text = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(FUNDPLANNER_[A-Z0-9_]+)`", text))
    tests = [p for p in source_files(["tests/*.py"]) if p.name != Path(__file__).name]
    read = environment_variables(PRODUCT_SOURCES) | environment_variables(
        [str(p.relative_to(REPO)) for p in tests]
    )
    assert documented <= read, f"documented but never read: {sorted(documented - read)}"
