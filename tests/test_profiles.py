"""Collection profiles: loading, validation, collection size, templates (fundplanner.profiles)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundplanner.classify import AUDIENCES, NONFICTION_BY_CLASS
from fundplanner.errors import FundplannerError, ReferenceDataError, Severity
from fundplanner.profiles import (
    GENERIC_PROFILE,
    NONFICTION_GROUP,
    RULE_FIXED,
    RULE_MINIMUM,
    RULE_PER_CAPITA,
    CategoryShare,
    ProfileError,
    collection_size,
    compile_norms,
    expand_categories,
    language_split,
    load_norms,
    load_profile,
    validate_profile,
    with_language_split,
    with_served_population,
)
from fundplanner.reference import load_toml

REPO = Path(__file__).resolve().parents[1]
DEMO_PROFILE = REPO / "data" / "demo" / "profile.toml"


def fields(problems: list[Any], severity: Severity | None = None) -> list[str]:
    return [p.field for p in problems if severity is None or p.severity == severity]


# --- validation: one fixture per edge case --------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "field", "severity", "words"),
    [
        ("profile_audience_shares_sum_99.toml", "audiences", "error", ["99 %", "add 1 point "]),
        ("profile_language_shares_as_fractions.toml", "languages", "error", ["write 60 for 60 %"]),
        (
            "profile_negative_category_share.toml",
            "audiences.adults.categories.nonfiction",
            "error",
            ["-10 %", "cannot be negative"],
        ),
        (
            "profile_unknown_category.toml",
            "audiences.adults.categories.fictoin",
            "error",
            ["did you mean 'fiction'"],
        ),
        (
            "profile_unknown_language_code.toml",
            "audiences.children.languages.fra",
            "error",
            ["write 'fre'"],
        ),
        (
            "profile_students_without_candidates_from.toml",
            "audiences.students",
            "error",
            ['candidates_from = "adults"'],
        ),
        ("profile_negative_population.toml", "population.official", "error", ["-15,814"]),
        ("profile_negative_population.toml", "collection.per_capita", "error", ["positive"]),
    ],
)
def test_validation_finds_the_problem_of_each_fixture(
    data_dir: Path, fixture: str, field: str, severity: str, words: list[str]
) -> None:
    profile = load_profile(data_dir / fixture)
    found = [p for p in validate_profile(profile) if p.field == field]
    assert len(found) == 1, validate_profile(profile)
    assert found[0].severity == severity
    assert found[0].file == fixture
    assert found[0].record is None
    for word in words:
        assert word in found[0].message


@pytest.mark.parametrize(
    "fixture",
    [
        "profile_audience_shares_within_tolerance.toml",
        "profile_without_language_split.toml",
        "profile_population_below_minimum.toml",
    ],
)
def test_valid_fixtures_have_no_problem(data_dir: Path, fixture: str) -> None:
    assert validate_profile(load_profile(data_dir / fixture)) == []


@pytest.mark.parametrize(
    ("total", "is_error"),
    [(100.0, False), (99.91, False), (100.09, False), (99.85, True), (100.2, True), (0.0, True)],
)
def test_share_tolerance_is_a_tenth_of_a_point(total: float, is_error: bool) -> None:
    profile = load_profile(
        {
            "population": {"served": 1000},
            "audiences": {"adults": {"share": total, "categories": {"fiction": 100}}},
        }
    )
    assert ("audiences" in fields(validate_profile(profile), Severity.ERROR)) is is_error


@pytest.mark.parametrize(
    ("audience", "expected_field", "words"),
    [
        ({"candidates_from": "grown-ups"}, "audiences.students.candidates_from", ["not a"]),
        ({"priority": 0}, "audiences.students.priority", ["above 0"]),
        ({"population_share": 120}, "audiences.students.population_share", ["between 0"]),
        (
            {"nonfiction_classes": {"nonfiction_5xx": 50}},
            "audiences.students.nonfiction_classes",
            ["50 %"],
        ),
        (
            {"nonfiction_classes": {"science": 100}},
            "audiences.students.nonfiction_classes.science",
            ["Dewey"],
        ),
    ],
)
def test_audience_value_problems(
    audience: dict[str, Any], expected_field: str, words: list[str]
) -> None:
    raw = {"share": 100, "categories": {"reference": 100}, "candidates_from": "adults", **audience}
    profile = load_profile({"population": {"served": 1000}, "audiences": {"students": raw}})
    found = [p for p in validate_profile(profile) if p.field == expected_field]
    assert found and all(word in found[0].message for word in words), validate_profile(profile)


def test_candidates_from_on_a_candidate_audience_is_refused() -> None:
    raw = {"share": 100, "candidates_from": "adults"}
    profile = load_profile({"population": {"served": 1000}, "audiences": {"children": raw}})
    assert fields(validate_profile(profile)) == ["audiences.children.candidates_from"]


def test_a_per_capita_norm_above_established_libraries_is_a_warning() -> None:
    profile = load_profile({"population": {"served": 1000}, "collection": {"per_capita": 4}})
    assert fields(validate_profile(profile), Severity.WARNING) == ["collection.per_capita"]


# --- structure: errors that stop loading ----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"audiences": {"adults": {"share": 100}}}, ["no [population] table"]),
        ({"population": {"served": "de_facto", "official": 100}}, ["'de_facto'", "official"]),
        ({"population": {"served": 12.5}}, ["population.served", "whole number"]),
        ({"population": {"served": 100}, "audiences": 3}, ["audiences = 3", "a table"]),
        ({"population": {"served": 100}, "audiences": {}}, ["[audiences] is empty"]),
        ({"population": {"served": 100}, "langauges": {}}, ["'langauges'", "'languages'"]),
        (
            {"population": {"served": 100}, "audiences": {"adults": {"share": "60"}}},
            ["audiences.adults.share", "a number"],
        ),
        (
            {"population": {"served": 100}, "audiences": {"adults": {"label": "A"}}},
            ["audiences.adults has no share"],
        ),
        (
            {"population": {"served": 100}, "audiences": {"students": {"share": 100}}},
            ["audiences.students.categories is missing"],
        ),
        (
            {
                "population": {"served": 100},
                "audiences": {"adults": {"share": 100, "categories": {"fiction": {"prio": 2}}}},
            },
            ["audiences.adults.categories.fiction.prio", "'priority'"],
        ),
        (
            {"population": {"served": 100}, "languages": {"ara": True}},
            ["languages.ara", "a number"],
        ),
    ],
)
def test_a_wrong_shape_raises_naming_the_key(data: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(data, source="p.toml")
    assert isinstance(caught.value, FundplannerError)
    for word in words:
        assert word in str(caught.value)
    assert str(caught.value).startswith("p.toml")


def test_unreadable_files_raise(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[population\nserved = 1", encoding="utf-8")
    with pytest.raises(ProfileError, match="invalid TOML"):
        load_profile(broken)


# --- collection size ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("collection", "served", "stock", "rule"),
    [
        ({}, 15814, 7907, RULE_PER_CAPITA),  # Al Ram, official (norms.md §2)
        ({}, 60000, 30000, RULE_PER_CAPITA),  # Al Ram, de facto
        ({}, 2000, 2500, RULE_MINIMUM),  # IFLA minimum decides
        ({}, 5000, 2500, RULE_PER_CAPITA),  # a tie goes to the per-capita rule
        ({}, 5001, 2501, RULE_PER_CAPITA),  # 2,500.5 rounds half up
        ({"per_capita": 1.5}, 15814, 23721, RULE_PER_CAPITA),
        ({"minimum": 10000}, 15814, 10000, RULE_MINIMUM),
        ({"size": 9000}, 15814, 9000, RULE_FIXED),
        ({"minimum": 0}, 1, 1, RULE_PER_CAPITA),  # 0.5 rounds up to 1
    ],
)
def test_collection_size(collection: dict[str, Any], served: int, stock: int, rule: str) -> None:
    profile = load_profile({"population": {"served": served}, "collection": collection})
    size = collection_size(profile)
    assert (size.opening_stock, size.rule, size.served_population) == (stock, rule, served)
    assert size.long_term_target == math.floor(1.5 * served + 0.5)


@pytest.mark.parametrize(
    ("collection", "served", "source_words"),
    [
        ({}, 15814, "norms.md §1d"),
        ({}, 1000, "IFLA/UNESCO"),
        ({"per_capita": 0.6}, 15814, "[collection] per_capita"),
        ({"size": 9000}, 15814, "[collection] size"),
    ],
)
def test_collection_size_names_its_source(
    collection: dict[str, Any], served: int, source_words: str
) -> None:
    profile = load_profile({"population": {"served": served}, "collection": collection})
    assert source_words in collection_size(profile).source


def test_the_demo_is_sized_for_either_population() -> None:
    profile = load_profile(DEMO_PROFILE)
    official = collection_size(profile)
    de_facto = collection_size(with_served_population(profile, "de_facto"))
    assert (official.population_figure, official.opening_stock) == ("official", 7907)
    assert (de_facto.population_figure, de_facto.opening_stock) == ("de_facto", 30000)
    assert collection_size(with_served_population(profile, 20000)).opening_stock == 10000
    with pytest.raises(ProfileError, match="no figure 'census'"):
        with_served_population(profile, "census")


def test_a_fixed_size_needs_no_population() -> None:
    profile = load_profile({"collection": {"size": 4000}})
    assert validate_profile(profile) == []
    assert collection_size(profile).opening_stock == 4000


# --- templates ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [DEMO_PROFILE, GENERIC_PROFILE], ids=["al_ram", "generic"])
def test_templates_load_without_problems_and_round_trip_through_json(path: Path) -> None:
    profile = load_profile(path)
    assert validate_profile(profile) == []
    assert load_profile(json.loads(json.dumps(profile.to_mapping()))) == profile


def test_generic_template_spells_out_the_reference_defaults() -> None:
    """The template and collection_norms.toml must not drift apart."""
    norms = load_norms()
    generic = load_profile(GENERIC_PROFILE)
    defaults = load_profile({"population": {"served": 10000}})
    assert [(a.id, a.share, a.categories) for a in generic.audiences] == [
        (a.id, a.share, a.categories) for a in defaults.audiences
    ]
    assert dict(generic.languages or {}) == dict(norms.languages)
    assert (generic.per_capita, generic.minimum) == (norms.per_capita, norms.minimum)


def test_the_demo_gives_students_to_the_adults() -> None:
    profile = load_profile(DEMO_PROFILE)
    students = profile.audience("students")
    assert students.candidate_audience == "adults"
    assert [a.id for a in profile.audiences] == ["early", "children", "teens", "students", "adults"]
    young = sum(profile.audience(a).share for a in ("early", "children", "teens"))
    assert 35 <= young <= 45  # norms.md §1d: 35-45 % for Al Ram


# --- defaults, language split and the nonfiction group --------------------------------------


def test_missing_audiences_and_categories_take_the_reference_shares() -> None:
    norms = load_norms()
    profile = load_profile(
        {"population": {"served": 1000}, "audiences": {"children": {"share": 100}}}
    )
    (children,) = profile.audiences
    assert {c.category: c.share for c in children.categories} == dict(norms.categories["children"])
    everyone = load_profile({"population": {"served": 1000}})
    assert tuple(a.id for a in everyone.audiences) == AUDIENCES


@pytest.mark.parametrize(
    ("profile_languages", "audience_languages", "category_languages", "origin", "ara"),
    [
        (None, None, None, "default", 60.0),
        ({"ara": 50, "fre": 25, "eng": 25}, None, None, "profile", 50.0),
        (
            {"ara": 50, "fre": 25, "eng": 25},
            {"ara": 70, "fre": 15, "eng": 15},
            None,
            "audience",
            70.0,
        ),
        (
            None,
            {"ara": 70, "fre": 15, "eng": 15},
            {"ara": 10, "fre": 45, "eng": 45},
            "category",
            10.0,
        ),
    ],
)
def test_language_split_takes_the_most_specific(
    profile_languages: Mapping[str, float] | None,
    audience_languages: Mapping[str, float] | None,
    category_languages: Mapping[str, float] | None,
    origin: str,
    ara: float,
) -> None:
    fiction: Any = (
        100 if category_languages is None else {"share": 100, "languages": category_languages}
    )
    audience: dict[str, Any] = {"share": 100, "categories": {"fiction": fiction}}
    if audience_languages is not None:
        audience["languages"] = audience_languages
    data: dict[str, Any] = {"population": {"served": 1000}, "audiences": {"adults": audience}}
    if profile_languages is not None:
        data["languages"] = profile_languages
    profile = load_profile(data)
    adults = profile.audience("adults")
    shares, found = language_split(profile, adults, adults.categories[0])
    assert (found, shares["ara"]) == (origin, ara)


def test_a_scenario_language_split_replaces_all_but_the_categories_own() -> None:
    profile = with_language_split(load_profile(DEMO_PROFILE), {"ara": 50, "fre": 25, "eng": 25})
    assert validate_profile(profile) == []
    for audience in profile.audiences:
        assert audience.languages is None
        for entry in audience.categories:
            shares, origin = language_split(profile, audience, entry)
            if entry.category == "language_learning":
                assert (origin, shares["ara"]) == ("category", 10.0)
            else:
                assert (origin, shares["ara"]) == ("profile", 50.0)
    wrong = with_language_split(profile, {"ara": 50, "heb": 50})
    assert fields(validate_profile(wrong)) == ["languages.heb"]


def test_nonfiction_group_is_spread_over_the_dewey_classes() -> None:
    profile = load_profile(
        {
            "population": {"served": 1000},
            "audiences": {
                "adults": {
                    "share": 100,
                    "categories": {"fiction": 50, "nonfiction": 40, "nonfiction_5xx": 10},
                }
            },
        }
    )
    cells = {c.category: c.share for c in expand_categories(profile, profile.audiences[0])}
    assert set(cells) == {"fiction", *NONFICTION_BY_CLASS}
    assert math.isclose(math.fsum(cells.values()), 100.0)
    classes = load_norms().classes_for("adults")
    assert math.isclose(cells["nonfiction_5xx"], 40 * classes["nonfiction_5xx"] / 100 + 10)
    assert cells["nonfiction_4xx"] == 0.0  # 4xx is shelved as language_learning


def test_children_use_their_own_dewey_split() -> None:
    norms = load_norms()
    assert (
        norms.classes_for("children")["nonfiction_5xx"]
        > norms.classes_for("adults")["nonfiction_5xx"]
    )
    assert norms.classes_for("teens") is norms.nonfiction_classes["default"]


# --- round trip -----------------------------------------------------------------------------

share = st.integers(min_value=0, max_value=100).map(float)
languages = st.none() | st.fixed_dictionaries({"ara": share, "fre": share, "eng": share})
category = st.one_of(
    share,
    st.builds(
        lambda s, p, lang: {
            "share": s,
            **({} if p is None else {"priority": p}),
            **({} if lang is None else {"languages": lang}),
        },
        share,
        st.none() | st.floats(min_value=0.5, max_value=5),
        languages,
    ),
)
audience = st.builds(
    lambda s, cats, lang, label: {
        "share": s,
        "label": label,
        "categories": cats,
        **({} if lang is None else {"languages": lang}),
    },
    share,
    st.dictionaries(
        st.sampled_from(["fiction", "comics", NONFICTION_GROUP, "reference"]), category, min_size=1
    ),
    languages,
    st.text(max_size=8),
)


@given(
    served=st.integers(min_value=1, max_value=10**6),
    audiences=st.dictionaries(st.sampled_from(AUDIENCES), audience, min_size=1),
    per_capita=st.none() | st.floats(min_value=0.1, max_value=3),
)
def test_any_profile_round_trips(
    served: int, audiences: dict[str, Any], per_capita: float | None
) -> None:
    data: dict[str, Any] = {"population": {"served": served}, "audiences": audiences}
    if per_capita is not None:
        data["collection"] = {"per_capita": per_capita}
    profile = load_profile(data)
    again = load_profile(json.loads(json.dumps(profile.to_mapping())))
    assert again == profile
    assert again.to_mapping() == profile.to_mapping()


def test_category_share_keeps_a_plain_number_plain() -> None:
    assert CategoryShare("fiction", 40.0).to_value() == 40.0
    assert CategoryShare("fiction", 40.0, priority=2.0).to_value() == {
        "share": 40.0,
        "priority": 2.0,
    }


# --- the reference table --------------------------------------------------------------------


def test_reference_norms_carry_their_sources() -> None:
    norms = load_norms()
    assert (norms.per_capita, norms.minimum, norms.long_term_per_capita) == (0.5, 2500, 1.5)
    assert "§1a" in norms.minimum_source and "§1d" in norms.per_capita_source
    raw = load_toml("collection_norms.toml")
    for section in ("languages", "audiences"):
        assert "norms.md" in raw[section]["source"]
    for table in (*raw["categories"].values(), *raw["nonfiction_classes"].values()):
        assert table["source"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"opening_stock": {"per_capita": -1}}, "per_capita"),
        ({"opening_stock": {"minimum_source": ""}}, "minimum_source"),
        ({"languages": {"ara": 50}}, "[languages]"),
        ({"audiences": {"students": 10}}, "[audiences]"),
        ({"nonfiction_classes": {"children": {"source": "x", "nonfiction_5xx": 100}}}, None),
    ],
)
def test_a_malformed_norms_table_is_refused(change: dict[str, Any], words: str | None) -> None:
    raw = json.loads(json.dumps(dict(load_toml("collection_norms.toml")), default=dict))
    for section, values in change.items():
        raw[section] = {**raw[section], **values}
    if words is None:  # a valid change: the children's classes replaced, still 100 %
        assert compile_norms(raw).classes_for("children")["nonfiction_5xx"] == 100.0
        return
    with pytest.raises(ReferenceDataError, match=words.replace("[", r"\[").replace("]", r"\]")):
        compile_norms(raw)


def test_a_project_norms_file_is_laid_over_the_packaged_one(tmp_path: Path) -> None:
    override = tmp_path / "norms.toml"
    override.write_text("[opening_stock]\nper_capita = 0.8\n", encoding="utf-8")
    norms = load_norms(override)
    assert (norms.per_capita, norms.minimum) == (0.8, 2500)
    profile = load_profile({"population": {"served": 10000}})
    assert collection_size(profile, norms).opening_stock == 8000
