"""Collection profiles: who the library serves, what it holds and in which languages.

A profile is a plain TOML document (a mapping in the project store, kept as JSON)::

    name = "Al Ram neighbourhood library"

    [population]              # named figures; `served` says which one sizes the collection
    served = "official"       # or a number: served = 12000
    official = 15814
    de_facto = 60000

    [collection]              # every key optional: defaults in reference/collection_norms.toml
    per_capita = 0.5          # opening stock per served inhabitant (norms.md §1d)
    minimum = 2500            # minimum opening stock (IFLA 2001 §4.6, norms.md §1a)
    # size = 9000             # a fixed size: the rule above is not used

    [languages]               # default split of every audience (percent); default 60/20/20
    ara = 60
    fre = 20
    eng = 20

    [nonfiction_classes]      # how the group "nonfiction" is split over the ten Dewey classes
    nonfiction_5xx = 25       # (percent; default: collection_norms.toml by audience)

    [audiences.children]      # candidate audiences: early, children, teens, adults
    label = "Children 6–11"
    share = 20                # percent of the collection (default: population_share)
    population_share = 14.4   # percent of the served population (for information)
    priority = 2              # weight π of the audience's cells (default 1)
    languages = { ara = 60, fre = 20, eng = 20 }

    [audiences.children.categories]   # percent of the audience
    fiction = 30
    nonfiction = 25           # the group, split by the Dewey distribution
    language_learning = { share = 5, priority = 3, languages = { ara = 10, fre = 45, eng = 45 } }

    [audiences.students]      # a profile-only audience: its cells are filled by adults' books
    candidates_from = "adults"

Shares are percentages and must sum to 100 (tolerance :data:`SHARE_TOLERANCE` points) at each
level. The language split of a cell is, in order: its category's ``languages``, its audience's,
the profile's ``[languages]``, then the reference default (norms.md §1d). A profile without
``[audiences]`` gets the reference audiences and category shares; an audience without
``categories`` gets the reference shares of its audience. Audiences must be candidate audiences
(:data:`fundplanner.classify.AUDIENCES`) unless they say ``candidates_from``: the candidates are
classified into the four candidate audiences only, so a ``students`` audience names the audience
whose books feed it, and its targets are added to that audience's cells.

Loading checks the shape and raises :class:`ProfileError` naming the key; values (negative
numbers, shares that do not sum to 100, unknown categories or language codes) are reported by
:func:`validate_profile` as :class:`~fundplanner.errors.Problem` records.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import os
import tomllib
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fundplanner.classify import AUDIENCES, CATEGORIES, LANGUAGE_ALIASES, NONFICTION_BY_CLASS
from fundplanner.errors import FundplannerError, Kind, Problem, ReferenceDataError, Severity
from fundplanner.model import PROJECT_LANGUAGES
from fundplanner.reference import load_toml

COLLECTION_NORMS = "collection_norms.toml"

#: The category group a profile may give a share to; split over :data:`NONFICTION_BY_CLASS`.
NONFICTION_GROUP = "nonfiction"

#: Shares may miss 100 by this many percentage points (rounding in a spreadsheet).
SHARE_TOLERANCE = 0.1

#: The generic IFLA-based profile template shipped with fundplanner.
GENERIC_PROFILE = Path(__file__).resolve().parent / "reference" / "profiles" / "generic_ifla.toml"

# The kinds of problem this module reports, named once.
KIND_SHARES = Kind.SHARES_SUM
KIND_NUMBER = Kind.INVALID_NUMBER
KIND_CODE = Kind.INVALID_CODE

_LANGUAGE_HINTS: Mapping[str, str] = {
    **LANGUAGE_ALIASES,
    "fr": "fre",
    "ar": "ara",
    "en": "eng",
    "arb": "ara",
}


class ProfileError(FundplannerError):
    """A profile cannot be read: not TOML, or a key of the wrong shape (the message names it)."""


# ---------------------------------------------------------------------------------------------
# Reading plain TOML-shaped input (shared with fundplanner.premises)


Raw = Mapping[str, Any]


def read_document(
    data: Mapping[str, Any] | str | os.PathLike[str], error: type[FundplannerError], what: str
) -> tuple[Raw, str]:
    """The mapping behind ``data`` (a mapping, or a TOML file's path) and its source name."""
    if isinstance(data, Mapping):
        return data, what
    path = Path(data)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle), path.name
    except OSError as exc:
        raise error(f"{path}: cannot read the {what} file ({exc}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: invalid TOML ({exc}); fix the line it names.") from exc


@dataclass(frozen=True, slots=True)
class InputReader:
    """Typed access to a TOML-shaped mapping; a wrong shape raises ``error`` naming the key."""

    error: type[FundplannerError]
    source: str

    def fail(self, key: str, expected: str, value: Any) -> FundplannerError:
        return self.error(f"{self.source}: {key} = {value!r}; expected {expected}.")

    def table(self, value: Any, key: str) -> Raw:
        if not isinstance(value, Mapping):
            raise self.fail(key, "a table (key = value pairs)", value)
        return value

    def only(self, raw: Raw, allowed: Iterable[str], key: str) -> None:
        """Refuse unknown keys: a typo must not silently drop a setting."""
        allowed = tuple(allowed)
        for name in raw:
            if name not in allowed:
                where = f"{key}.{name}" if key else name
                hint = difflib.get_close_matches(str(name), allowed, n=1)
                fix = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise self.error(
                    f"{self.source}: unknown key {where!r}{fix}; the keys here are "
                    f"{', '.join(allowed)}."
                )

    def number(self, value: Any, key: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise self.fail(key, "a number", value)
        return float(value)

    def optional_number(self, raw: Raw, name: str, key: str) -> float | None:
        return None if raw.get(name) is None else self.number(raw[name], f"{key}.{name}")

    def integer(self, value: Any, key: str) -> int:
        number = self.number(value, key)
        if not number.is_integer():
            raise self.fail(key, "a whole number", value)
        return int(number)

    def optional_integer(self, raw: Raw, name: str, key: str) -> int | None:
        return None if raw.get(name) is None else self.integer(raw[name], f"{key}.{name}")

    def text(self, raw: Raw, name: str, key: str, default: str = "") -> str:
        value = raw.get(name, default)
        if not isinstance(value, str):
            raise self.fail(f"{key}.{name}" if key else name, "text", value)
        return value

    def strings(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, "a list of names", value)
        return tuple(value)

    def shares(self, value: Any, key: str) -> Mapping[str, float]:
        """A table of percentages, e.g. ``{ ara = 60, fre = 20, eng = 20 }``."""
        table = self.table(value, key)
        return types.MappingProxyType(
            {str(name): self.number(v, f"{key}.{name}") for name, v in table.items()}
        )


def problem(
    source: str,
    field_name: str | None,
    message: str,
    *,
    kind: Kind,
    severity: Severity = Severity.ERROR,
    value: Any = None,
) -> Problem:
    """A Problem about a whole planning document (no record number)."""
    return Problem(
        file=source,
        record=None,
        control_number=None,
        field=field_name,
        kind=kind,
        message=message,
        severity=severity,
        value=None if value is None else str(value),
    )


def check_shares(shares: Mapping[str, float], key: str, source: str, what: str) -> list[Problem]:
    """Shares must be ≥ 0 and sum to 100 ± :data:`SHARE_TOLERANCE` (percent)."""
    found = [
        problem(
            source,
            f"{key}.{name}",
            f"the share of {name} is {value:g} %; shares cannot be negative. "
            "Write 0 to leave it out, or remove the line.",
            kind=KIND_NUMBER,
            value=value,
        )
        for name, value in shares.items()
        if value < 0
    ]
    total = math.fsum(shares.values())
    if abs(total - 100.0) > SHARE_TOLERANCE:
        hint = " (write 60 for 60 %, not 0.6)" if 0 < total <= 1.0 + 1e-9 else ""
        gap = abs(100.0 - total)
        points = f"{gap:.4g} point{'' if gap == 1 else 's'}"
        direction = f"add {points} to" if total < 100 else f"take {points} from"
        found.append(
            problem(
                source,
                key,
                f"the {what} shares sum to {total:.4g} %, not 100 %{hint}; "
                f"{direction} one of {', '.join(shares) or 'them'}.",
                kind=KIND_SHARES,
                value=f"{total:.6g}",
            )
        )
    return found


def suggest(name: str, known: Iterable[str]) -> str:
    """ " (did you mean 'x'?)" when a known name is close, else ""."""
    hint = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    return f" (did you mean {hint[0]!r}?)" if hint else ""


# ---------------------------------------------------------------------------------------------
# Reference norms (collection_norms.toml)


@dataclass(frozen=True, slots=True)
class Norms:
    """collection_norms.toml, checked: the defaults a profile may override (norms.md §1)."""

    per_capita: float
    per_capita_source: str
    minimum: int
    minimum_source: str
    long_term_per_capita: float
    long_term_source: str
    plausible_per_capita_max: float
    languages: Mapping[str, float]
    audiences: Mapping[str, float]
    categories: Mapping[str, Mapping[str, float]]
    nonfiction_classes: Mapping[str, Mapping[str, float]]

    def classes_for(self, audience: str) -> Mapping[str, float]:
        """The Dewey split of the nonfiction group for a candidate audience."""
        return self.nonfiction_classes.get(audience) or self.nonfiction_classes["default"]


def _norm_number(raw: Raw, section: str, key: str) -> float:
    value = raw.get(section, {}).get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ReferenceDataError(
            f"{COLLECTION_NORMS} [{section}]: {key} = {value!r}; expected a number ≥ 0."
        )
    return float(value)


def _norm_text(raw: Raw, section: str, key: str) -> str:
    value = raw.get(section, {}).get(key)
    if not isinstance(value, str) or not value.strip():
        raise ReferenceDataError(
            f"{COLLECTION_NORMS} [{section}]: {key} is missing; every figure needs its source."
        )
    return value


def _norm_shares(raw: Any, where: str, allowed: Iterable[str]) -> Mapping[str, float]:
    allowed = set(allowed)
    if not isinstance(raw, Mapping) or not isinstance(raw.get("source"), str):
        raise ReferenceDataError(f"{COLLECTION_NORMS} [{where}]: a table with a source is needed.")
    shares = {k: v for k, v in raw.items() if k != "source"}
    bad = [k for k, v in shares.items() if k not in allowed or not isinstance(v, int | float)]
    if bad or abs(math.fsum(shares.values()) - 100.0) > SHARE_TOLERANCE:
        raise ReferenceDataError(
            f"{COLLECTION_NORMS} [{where}]: shares must be numbers for known ids summing to 100 "
            f"(unknown or not numbers: {', '.join(bad) or 'none'})."
        )
    return types.MappingProxyType({k: float(v) for k, v in shares.items()})


def compile_norms(raw: Raw) -> Norms:
    """Check a collection_norms.toml mapping. Raises :class:`ReferenceDataError`."""
    group = (*CATEGORIES, NONFICTION_GROUP)
    categories = raw.get("categories", {})
    classes = raw.get("nonfiction_classes", {})
    if "default" not in classes:
        raise ReferenceDataError(f"{COLLECTION_NORMS}: [nonfiction_classes.default] is missing.")
    return Norms(
        per_capita=_norm_number(raw, "opening_stock", "per_capita"),
        per_capita_source=_norm_text(raw, "opening_stock", "per_capita_source"),
        minimum=int(_norm_number(raw, "opening_stock", "minimum")),
        minimum_source=_norm_text(raw, "opening_stock", "minimum_source"),
        long_term_per_capita=_norm_number(raw, "long_term", "per_capita"),
        long_term_source=_norm_text(raw, "long_term", "source"),
        plausible_per_capita_max=_norm_number(raw, "long_term", "plausible_per_capita_max"),
        languages=_norm_shares(raw.get("languages"), "languages", PROJECT_LANGUAGES),
        audiences=_norm_shares(raw.get("audiences"), "audiences", AUDIENCES),
        categories=types.MappingProxyType(
            {a: _norm_shares(t, f"categories.{a}", group) for a, t in categories.items()}
        ),
        nonfiction_classes=types.MappingProxyType(
            {
                a: _norm_shares(t, f"nonfiction_classes.{a}", NONFICTION_BY_CLASS)
                for a, t in classes.items()
            }
        ),
    )


@functools.cache
def _default_norms() -> Norms:
    return compile_norms(load_toml(COLLECTION_NORMS))


def load_norms(override: str | Path | None = None) -> Norms:
    """The packaged norms, with a project's TOML file (same shape, any subset) laid over them."""
    if override is None:
        return _default_norms()
    merged = _merge(load_toml(COLLECTION_NORMS), load_toml(COLLECTION_NORMS, override=override))
    return compile_norms(merged)


def _merge(base: Raw, over: Raw) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# ---------------------------------------------------------------------------------------------
# The profile


@dataclass(frozen=True, slots=True)
class CategoryShare:
    """One category of an audience: its share (percent of the audience) and overrides."""

    category: str  # a fundplanner.classify.CATEGORIES id, or the group "nonfiction"
    share: float
    priority: float | None = None
    languages: Mapping[str, float] | None = None

    def to_value(self) -> float | dict[str, Any]:
        if self.priority is None and self.languages is None:
            return self.share
        value: dict[str, Any] = {"share": self.share}
        if self.priority is not None:
            value["priority"] = self.priority
        if self.languages is not None:
            value["languages"] = dict(self.languages)
        return value


@dataclass(frozen=True, slots=True)
class AudienceProfile:
    """One audience: its share of the collection, language split and categories."""

    id: str
    share: float
    categories: tuple[CategoryShare, ...]
    label: str = ""
    population_share: float | None = None
    priority: float | None = None
    languages: Mapping[str, float] | None = None
    nonfiction_classes: Mapping[str, float] | None = None
    candidates_from: str | None = None

    @property
    def candidate_audience(self) -> str:
        """The candidate audience whose books fill this audience's cells."""
        return self.candidates_from or self.id

    def to_mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.label:
            out["label"] = self.label
        out["share"] = self.share
        optional = {
            "population_share": self.population_share,
            "priority": self.priority,
            "candidates_from": self.candidates_from,
            "languages": None if self.languages is None else dict(self.languages),
            "nonfiction_classes": (
                None if self.nonfiction_classes is None else dict(self.nonfiction_classes)
            ),
        }
        out.update({k: v for k, v in optional.items() if v is not None})
        out["categories"] = {c.category: c.to_value() for c in self.categories}
        return out


@dataclass(frozen=True, slots=True)
class Population:
    """Named population figures and the one that sizes the collection."""

    figures: Mapping[str, int]
    served: str | int  # the name of a figure, or a number given directly

    @property
    def served_population(self) -> int:
        return self.served if isinstance(self.served, int) else self.figures[self.served]

    @property
    def served_label(self) -> str:
        return "given" if isinstance(self.served, int) else self.served

    def to_mapping(self) -> dict[str, Any]:
        return {"served": self.served, **self.figures}


@dataclass(frozen=True, slots=True)
class Profile:
    """A collection profile (see the module docstring for the TOML keys).

    ``None`` means "the reference default" (collection_norms.toml), resolved when used.
    ``source`` names the file in Problems and is not part of the document.
    """

    name: str
    population: Population
    audiences: tuple[AudienceProfile, ...]
    description: str = ""
    per_capita: float | None = None
    minimum: int | None = None
    size: int | None = None
    languages: Mapping[str, float] | None = None
    nonfiction_classes: Mapping[str, float] | None = None
    source: str = field(default="profile", compare=False)

    def audience(self, audience_id: str) -> AudienceProfile:
        for audience in self.audiences:
            if audience.id == audience_id:
                return audience
        raise KeyError(audience_id)

    def to_mapping(self) -> dict[str, Any]:
        """The profile as a plain, JSON-ready mapping; ``load_profile`` reads it back equal."""
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        out["population"] = self.population.to_mapping()
        collection = {"per_capita": self.per_capita, "minimum": self.minimum, "size": self.size}
        collection = {k: v for k, v in collection.items() if v is not None}
        if collection:
            out["collection"] = collection
        if self.languages is not None:
            out["languages"] = dict(self.languages)
        if self.nonfiction_classes is not None:
            out["nonfiction_classes"] = dict(self.nonfiction_classes)
        out["audiences"] = {a.id: a.to_mapping() for a in self.audiences}
        return out


_PROFILE_KEYS = (
    "name",
    "description",
    "population",
    "collection",
    "languages",
    "nonfiction_classes",
    "audiences",
)
_AUDIENCE_KEYS = (
    "label",
    "share",
    "population_share",
    "priority",
    "candidates_from",
    "languages",
    "nonfiction_classes",
    "categories",
)
_CATEGORY_KEYS = ("share", "priority", "languages")
_COLLECTION_KEYS = ("per_capita", "minimum", "size")


def load_profile(
    data: Mapping[str, Any] | str | os.PathLike[str],
    *,
    source: str | None = None,
    norms: Norms | None = None,
) -> Profile:
    """Read a profile from a mapping (the store's JSON) or a TOML file.

    Raises :class:`ProfileError` naming the key when the shape is wrong (a table expected, a
    number expected, an unknown key, no population). Values are checked by
    :func:`validate_profile`. Missing audiences or categories take the reference shares.
    """
    raw, name = read_document(data, ProfileError, "profile")
    reader = InputReader(ProfileError, source or name)
    reader.only(raw, _PROFILE_KEYS, "")
    norms = norms or load_norms()
    collection = reader.table(raw.get("collection", {}), "collection")
    reader.only(collection, _COLLECTION_KEYS, "collection")
    size = reader.optional_integer(collection, "size", "collection")
    return Profile(
        name=reader.text(raw, "name", "", default="profile"),
        description=reader.text(raw, "description", ""),
        population=_read_population(reader, raw.get("population"), size),
        audiences=_read_audiences(reader, raw.get("audiences"), norms),
        per_capita=reader.optional_number(collection, "per_capita", "collection"),
        minimum=reader.optional_integer(collection, "minimum", "collection"),
        size=size,
        languages=_optional_shares(reader, raw, "languages", ""),
        nonfiction_classes=_optional_shares(reader, raw, "nonfiction_classes", ""),
        source=reader.source,
    )


def _optional_shares(
    reader: InputReader, raw: Raw, name: str, key: str
) -> Mapping[str, float] | None:
    if raw.get(name) is None:
        return None
    return reader.shares(raw[name], f"{key}.{name}" if key else name)


def _read_population(reader: InputReader, value: Any, size: int | None) -> Population:
    if value is None:
        if size is None:
            raise ProfileError(
                f"{reader.source}: no [population] table; give the served population "
                "([population] served = 12000) or a fixed size ([collection] size = 5000)."
            )
        return Population(figures=types.MappingProxyType({}), served=0)
    table = reader.table(value, "population")
    figures = {
        str(k): reader.integer(v, f"population.{k}") for k, v in table.items() if k != "served"
    }
    served = table.get("served")
    if served is None and len(figures) == 1:
        served = next(iter(figures))
    if isinstance(served, str):
        if served not in figures:
            raise ProfileError(
                f"{reader.source}: population.served = {served!r} names no figure of "
                f"[population] (it has {', '.join(figures) or 'none'}); write one of them or a "
                "number."
            )
    else:
        served = reader.integer(served, "population.served")
    return Population(figures=types.MappingProxyType(figures), served=served)


def _read_audiences(reader: InputReader, value: Any, norms: Norms) -> tuple[AudienceProfile, ...]:
    if value is None:
        return tuple(
            AudienceProfile(id=a, share=share, categories=_default_categories(norms, a))
            for a, share in norms.audiences.items()
        )
    table = reader.table(value, "audiences")
    if not table:
        raise ProfileError(f"{reader.source}: [audiences] is empty; give at least one audience.")
    return tuple(_read_audience(reader, str(a), raw, norms) for a, raw in table.items())


def _read_audience(reader: InputReader, audience: str, value: Any, norms: Norms) -> AudienceProfile:
    key = f"audiences.{audience}"
    raw = reader.table(value, key)
    reader.only(raw, _AUDIENCE_KEYS, key)
    population_share = reader.optional_number(raw, "population_share", key)
    share = reader.optional_number(raw, "share", key)
    if share is None:
        if population_share is None:
            raise ProfileError(
                f"{reader.source}: {key} has no share; give share = (percent of the collection) "
                "or population_share = (percent of the served population)."
            )
        share = population_share
    candidates_from = raw.get("candidates_from")
    if candidates_from is not None and not isinstance(candidates_from, str):
        raise reader.fail(
            f"{key}.candidates_from", "an audience name such as 'adults'", candidates_from
        )
    return AudienceProfile(
        id=audience,
        label=reader.text(raw, "label", key),
        share=share,
        population_share=population_share,
        priority=reader.optional_number(raw, "priority", key),
        languages=_optional_shares(reader, raw, "languages", key),
        nonfiction_classes=_optional_shares(reader, raw, "nonfiction_classes", key),
        candidates_from=candidates_from,
        categories=_read_categories(reader, raw.get("categories"), key, audience, norms),
    )


def _default_categories(norms: Norms, audience: str) -> tuple[CategoryShare, ...]:
    return tuple(CategoryShare(c, s) for c, s in norms.categories[audience].items())


def _read_categories(
    reader: InputReader, value: Any, key: str, audience: str, norms: Norms
) -> tuple[CategoryShare, ...]:
    key = f"{key}.categories"
    if value is None:
        if audience not in norms.categories:
            raise ProfileError(
                f"{reader.source}: {key} is missing; the reference has category shares only for "
                f"{', '.join(norms.categories)}, so give this audience its own."
            )
        return _default_categories(norms, audience)
    table = reader.table(value, key)
    return tuple(_read_category(reader, str(c), v, f"{key}.{c}") for c, v in table.items())


def _read_category(reader: InputReader, category: str, value: Any, key: str) -> CategoryShare:
    if not isinstance(value, Mapping):
        return CategoryShare(category, reader.number(value, key))
    reader.only(value, _CATEGORY_KEYS, key)
    if "share" not in value:
        raise ProfileError(f"{reader.source}: {key} has no share; write share = (percent).")
    return CategoryShare(
        category=category,
        share=reader.number(value["share"], f"{key}.share"),
        priority=reader.optional_number(value, "priority", key),
        languages=_optional_shares(reader, value, "languages", key),
    )


def with_served_population(profile: Profile, served: str | int) -> Profile:
    """The same profile sized for another figure ("de_facto") or a population number."""
    if isinstance(served, str) and served not in profile.population.figures:
        raise ProfileError(
            f"{profile.source}: population has no figure {served!r} "
            f"(it has {', '.join(profile.population.figures) or 'none'})."
        )
    population = dataclasses.replace(profile.population, served=served)
    return dataclasses.replace(profile, population=population)


def with_language_split(profile: Profile, languages: Mapping[str, float]) -> Profile:
    """The same profile with one language split for every audience (a scenario's split).

    The profile's ``[languages]`` and every audience's ``languages`` are replaced; a
    category's own split is kept, because it describes the category rather than a policy
    (language-learning books are mostly in the language learnt). Check the result with
    :func:`validate_profile` (the split's codes and sum).
    """
    split = types.MappingProxyType({str(k): float(v) for k, v in languages.items()})
    audiences = tuple(dataclasses.replace(a, languages=None) for a in profile.audiences)
    return dataclasses.replace(profile, languages=split, audiences=audiences)


# ---------------------------------------------------------------------------------------------
# Collection size


@dataclass(frozen=True, slots=True)
class CollectionSize:
    """The opening stock and how it was decided (norms.md §1d)."""

    served_population: int
    population_figure: str  # "official", "de_facto", … or "given"
    per_capita: float
    minimum: int
    opening_stock: int
    rule: str  # RULE_PER_CAPITA, RULE_MINIMUM or RULE_FIXED
    source: str
    long_term_target: int  # IFLA's 1.5 per capita, for information

    def __str__(self) -> str:
        return (
            f"{self.opening_stock:,} items for {self.served_population:,} inhabitants "
            f"({self.population_figure}; rule: {self.rule})"
        )


RULE_PER_CAPITA = "per_capita"
RULE_MINIMUM = "minimum"
RULE_FIXED = "fixed"


def collection_size(profile: Profile, norms: Norms | None = None) -> CollectionSize:
    """Opening stock = max(minimum, per_capita × served population), norms.md §1d.

    Defaults: 0.5 per capita (estimate, norms.md §1d) and 2,500 items (IFLA/UNESCO 2001 §4.6,
    norms.md §1a); ``[collection] size`` in the profile fixes the size instead. The product is
    rounded half up. ``long_term_target`` is the IFLA 1.5 per capita the stock grows toward.
    """
    norms = norms or load_norms()
    population = profile.population.served_population
    per_capita = norms.per_capita if profile.per_capita is None else profile.per_capita
    minimum = norms.minimum if profile.minimum is None else profile.minimum
    by_population = math.floor(per_capita * population + 0.5)
    if profile.size is not None:
        stock, rule = profile.size, RULE_FIXED
    elif by_population >= minimum:
        stock, rule = by_population, RULE_PER_CAPITA
    else:
        stock, rule = minimum, RULE_MINIMUM
    return CollectionSize(
        served_population=population,
        population_figure=profile.population.served_label,
        per_capita=per_capita,
        minimum=minimum,
        opening_stock=stock,
        rule=rule,
        source=_size_source(profile, norms, rule),
        long_term_target=math.floor(norms.long_term_per_capita * population + 0.5),
    )


def _size_source(profile: Profile, norms: Norms, rule: str) -> str:
    if rule == RULE_FIXED:
        return f"{profile.source}: [collection] size"
    if rule == RULE_PER_CAPITA:
        if profile.per_capita is not None:
            return f"{profile.source}: [collection] per_capita"
        return norms.per_capita_source
    if profile.minimum is not None:
        return f"{profile.source}: [collection] minimum"
    return norms.minimum_source


# ---------------------------------------------------------------------------------------------
# Cells of the profile: categories expanded, language split resolved


@dataclass(frozen=True, slots=True)
class CategoryCell:
    """One category of one audience after the nonfiction group is split by Dewey class."""

    category: str
    share: float  # percent of the audience
    priority: float
    languages: Mapping[str, float]
    language_source: str  # "category", "audience", "profile" or "default"


def expand_categories(
    profile: Profile, audience: AudienceProfile, norms: Norms | None = None
) -> tuple[CategoryCell, ...]:
    """The audience's categories, the group "nonfiction" spread over the ten Dewey classes.

    A class given both by the group and on its own gets the sum (with the priority and
    language split of the first of the two in the profile). The class split is the
    audience's ``nonfiction_classes``, else the profile's, else collection_norms.toml's for the
    candidate audience.
    """
    norms = norms or load_norms()
    classes = (
        audience.nonfiction_classes
        or profile.nonfiction_classes
        or norms.classes_for(audience.candidate_audience)
    )
    total_classes = math.fsum(classes.values()) or 1.0
    cells: dict[str, CategoryCell] = {}
    for entry in audience.categories:
        languages, language_source = language_split(profile, audience, entry, norms)
        priority = _priority(audience, entry)
        parts = (
            [(c, entry.share * w / total_classes) for c, w in classes.items()]
            if entry.category == NONFICTION_GROUP
            else [(entry.category, entry.share)]
        )
        for category, share in parts:
            earlier = cells.get(category)
            cells[category] = CategoryCell(
                category=category,
                share=share + (earlier.share if earlier else 0.0),
                priority=earlier.priority if earlier else priority,
                languages=earlier.languages if earlier else languages,
                language_source=earlier.language_source if earlier else language_source,
            )
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return tuple(sorted(cells.values(), key=lambda c: order.get(c.category, len(order))))


def language_split(
    profile: Profile, audience: AudienceProfile, entry: CategoryShare, norms: Norms | None = None
) -> tuple[Mapping[str, float], str]:
    """The language shares of a cell and where they come from: the category's, the audience's,
    the profile's, or the reference default (norms.md §1d, 60/20/20)."""
    for shares, origin in (
        (entry.languages, "category"),
        (audience.languages, "audience"),
        (profile.languages, "profile"),
    ):
        if shares is not None:
            return shares, origin
    return (norms or load_norms()).languages, "default"


def _priority(audience: AudienceProfile, entry: CategoryShare) -> float:
    """The most specific priority: the category's, else the audience's, else 1."""
    if entry.priority is not None:
        return entry.priority
    return audience.priority if audience.priority is not None else 1.0


# ---------------------------------------------------------------------------------------------
# Validation


def validate_profile(profile: Profile, norms: Norms | None = None) -> list[Problem]:
    """Every value problem of a profile, each with the dotted key and the fix.

    Errors: negative numbers, shares (audiences, categories, languages, Dewey classes) that do
    not sum to 100 ± 0.1, unknown category ids or language codes, an audience that no
    candidate can fill, a served population ≤ 0. Warnings: a per-capita norm above what an
    established library holds (2.5, norms.md §1a).
    """
    norms = norms or load_norms()
    src = profile.source
    found = _check_population(profile) + _check_collection(profile, norms)
    found += check_shares({a.id: a.share for a in profile.audiences}, "audiences", src, "audience")
    if profile.languages is not None:
        found += _check_languages(profile.languages, "languages", src)
    if profile.nonfiction_classes is not None:
        found += _check_classes(profile.nonfiction_classes, "nonfiction_classes", src)
    for audience in profile.audiences:
        found += _check_audience(audience, src)
    return found


def _check_population(profile: Profile) -> list[Problem]:
    found = [
        problem(
            profile.source,
            f"population.{name}",
            f"population {name} is {value:,}; a population must be positive.",
            kind=KIND_NUMBER,
            value=value,
        )
        for name, value in profile.population.figures.items()
        if value <= 0
    ]
    served = profile.population.served
    if isinstance(served, int) and served <= 0 and profile.size is None:
        found.append(
            problem(
                profile.source,
                "population.served",
                f"the served population is {served:,}; give the number of inhabitants served.",
                kind=KIND_NUMBER,
                value=served,
            )
        )
    return found


def _check_collection(profile: Profile, norms: Norms) -> list[Problem]:
    src, found = profile.source, []
    for name, value in (("per_capita", profile.per_capita), ("size", profile.size)):
        if value is not None and value <= 0:
            found.append(
                problem(
                    src,
                    f"collection.{name}",
                    f"collection {name} is {value:g}; it must be positive (remove the line to "
                    "use the reference norm).",
                    kind=KIND_NUMBER,
                    value=value,
                )
            )
    if profile.minimum is not None and profile.minimum < 0:
        found.append(
            problem(
                src,
                "collection.minimum",
                f"the minimum opening stock is {profile.minimum:,}; it cannot be negative "
                f"(the IFLA minimum is {norms.minimum:,}).",
                kind=KIND_NUMBER,
                value=profile.minimum,
            )
        )
    if profile.per_capita is not None and profile.per_capita > norms.plausible_per_capita_max:
        found.append(
            problem(
                src,
                "collection.per_capita",
                f"{profile.per_capita:g} items per inhabitant is more than an established "
                f"library holds ({norms.plausible_per_capita_max:g}, IFLA); an opening stock "
                f"is usually {norms.per_capita:g} per inhabitant. Check the figure.",
                kind=KIND_NUMBER,
                severity=Severity.WARNING,
                value=profile.per_capita,
            )
        )
    return found


def _check_audience(audience: AudienceProfile, src: str) -> list[Problem]:
    key = f"audiences.{audience.id}"
    found = _check_audience_id(audience, src)
    found += _check_optional_numbers(
        src,
        key,
        {"population_share": audience.population_share, "priority": audience.priority},
    )
    if audience.languages is not None:
        found += _check_languages(audience.languages, f"{key}.languages", src)
    if audience.nonfiction_classes is not None:
        found += _check_classes(audience.nonfiction_classes, f"{key}.nonfiction_classes", src)
    shares = {c.category: c.share for c in audience.categories}
    found += check_shares(shares, f"{key}.categories", src, f"{audience.id} category")
    for entry in audience.categories:
        found += _check_category(entry, f"{key}.categories.{entry.category}", src)
    return found


def _check_audience_id(audience: AudienceProfile, src: str) -> list[Problem]:
    key = f"audiences.{audience.id}"
    feeds = audience.candidates_from
    if feeds is not None and feeds not in AUDIENCES:
        return [
            problem(
                src,
                f"{key}.candidates_from",
                f"{feeds!r} is not a candidate audience{suggest(feeds, AUDIENCES)}; write one "
                f"of {', '.join(AUDIENCES)}.",
                kind=KIND_CODE,
                value=feeds,
            )
        ]
    if feeds is not None and audience.id in AUDIENCES:
        return [
            problem(
                src,
                f"{key}.candidates_from",
                f"{audience.id} is a candidate audience and is filled by its own books; "
                "candidates_from is for a profile-only audience such as students. Remove it.",
                kind=KIND_CODE,
                value=feeds,
            )
        ]
    if feeds is None and audience.id not in AUDIENCES:
        return [
            problem(
                src,
                key,
                f"no candidate title is ever classified {audience.id!r}"
                f"{suggest(audience.id, AUDIENCES)}: the candidate audiences are "
                f"{', '.join(AUDIENCES)}. Rename the audience, or say which audience's books "
                f'fill it: candidates_from = "adults".',
                kind=KIND_CODE,
                value=audience.id,
            )
        ]
    return []


def _check_optional_numbers(
    src: str, key: str, values: Mapping[str, float | None]
) -> list[Problem]:
    limits: Mapping[str, Callable[[float], bool]] = {
        "population_share": lambda v: 0 <= v <= 100,
        "priority": lambda v: v > 0,
    }
    expected = {"population_share": "between 0 and 100 (percent)", "priority": "above 0"}
    return [
        problem(
            src,
            f"{key}.{name}",
            f"{name} is {value:g}; it must be {expected[name]}"
            + (" (the default priority is 1)." if name == "priority" else "."),
            kind=KIND_NUMBER,
            value=value,
        )
        for name, value in values.items()
        if value is not None and not limits[name](value)
    ]


def _check_category(entry: CategoryShare, key: str, src: str) -> list[Problem]:
    found: list[Problem] = []
    known = (*CATEGORIES, NONFICTION_GROUP)
    if entry.category not in known:
        found.append(
            problem(
                src,
                key,
                f"{entry.category!r} is not a category{suggest(entry.category, known)}; the "
                f"categories are {', '.join(known)}.",
                kind=KIND_CODE,
                value=entry.category,
            )
        )
    found += _check_optional_numbers(src, key, {"priority": entry.priority})
    if entry.languages is not None:
        found += _check_languages(entry.languages, f"{key}.languages", src)
    return found


def _check_languages(shares: Mapping[str, float], key: str, src: str) -> list[Problem]:
    found = []
    for code in shares:
        if code not in PROJECT_LANGUAGES:
            hint = _LANGUAGE_HINTS.get(code.lower())
            fix = f"write {hint!r} (MARC code)" if hint else "remove it"
            found.append(
                problem(
                    src,
                    f"{key}.{code}",
                    f"{code!r} is not one of the project's languages "
                    f"({', '.join(PROJECT_LANGUAGES)}); {fix}.",
                    kind=KIND_CODE,
                    value=code,
                )
            )
    return found + check_shares(shares, key, src, "language")


def _check_classes(shares: Mapping[str, float], key: str, src: str) -> list[Problem]:
    found = [
        problem(
            src,
            f"{key}.{name}",
            f"{name!r} is not a Dewey class of the nonfiction group"
            f"{suggest(name, NONFICTION_BY_CLASS)}; the classes are nonfiction_0xx … "
            "nonfiction_9xx.",
            kind=KIND_CODE,
            value=name,
        )
        for name in shares
        if name not in NONFICTION_BY_CLASS
    ]
    return found + check_shares(shares, key, src, "Dewey class")


def has_errors(problems: Iterable[Problem]) -> bool:
    """True when any problem is an error (the input cannot be planned as it stands)."""
    return any(p.severity == Severity.ERROR for p in problems)
