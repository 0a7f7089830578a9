"""The trilingual message catalogues and the number, money and date formats (fundplanner.i18n)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fundplanner import i18n, planner, shipping, store
from fundplanner.budget import COMPUTED_SOURCES, FUNDING_STATUSES, MANUAL, AlertCode
from fundplanner.errors import UsageError
from fundplanner.reference import load_csv, load_toml

LANGS = i18n.LANGUAGES
ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")


def all_keys() -> list[str]:
    return sorted(set().union(*(i18n.catalogue(lang) for lang in LANGS)))


# ------------------------------------------------------------------------------ completeness


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_is_in_every_catalogue(lang: str) -> None:
    missing = [key for key in all_keys() if not i18n.has(key, lang)]
    assert not missing, f"{lang}.toml lacks {missing}"


@pytest.mark.parametrize("key", all_keys())
def test_a_message_has_the_same_placeholders_in_every_language(key: str) -> None:
    found = {}
    for lang in LANGS:
        value = i18n.catalogue(lang).get(key)
        assert value is not None, f"{key} missing in {lang}.toml"
        found[lang] = i18n.placeholders(value) if isinstance(value, str) else "list"
    assert len(set(found.values())) == 1, f"{key}: placeholders differ: {found}"


@pytest.mark.parametrize(
    ("prefix", "codes"),
    [
        ("budget.kind", store.BUDGET_KINDS),
        ("budget.source", (MANUAL, *COMPUTED_SOURCES)),
        ("budget.alert", tuple(code.value for code in AlertCode)),
        ("funding.kind", store.FUNDING_KINDS),
        ("funding.status", FUNDING_STATUSES),
        ("training.mode", store.TRAINING_MODES),
        ("milestone.step", store.MILESTONE_STEPS),
        ("milestone.status", store.MILESTONE_STATUSES),
        ("partner.kind", store.PARTNER_KINDS),
        ("partner.convention", store.CONVENTION_STATUSES),
        ("gap.cause", (planner.NO_CANDIDATES, planner.SHELF, planner.BUDGET, planner.PRIORITY)),
        ("shipping.mode", shipping.mode_names()),
        (
            "audience",
            tuple(k for k in load_toml("collection_norms.toml")["audiences"] if k != "source"),
        ),
    ],
)
def test_every_code_of_a_code_list_has_a_name(prefix: str, codes: tuple[str, ...]) -> None:
    assert codes
    for lang in LANGS:
        unnamed = [code for code in codes if not i18n.has(f"{prefix}.{code}", lang)]
        assert not unnamed, f"{lang}.toml has no {prefix} name for {unnamed}"


def test_every_reference_category_has_a_name() -> None:
    categories = {row["category"] for row in load_csv("dewey_categories.csv", required=())}
    categories |= {row["category"] for row in load_csv("category_terms.csv", required=())}
    categories -= {""}
    for lang in LANGS:
        assert not [c for c in categories if not i18n.has(f"category.{c}", lang)]


def test_arabic_messages_are_written_in_arabic() -> None:
    """An untranslated copy of the English text would have no Arabic letter."""
    exempt = ("format.", "meta.direction", "common.none")
    latin_only = [
        key
        for key, value in i18n.catalogue("ar").items()
        if isinstance(value, str) and not key.startswith(exempt) and not ARABIC_LETTER.search(value)
    ]
    assert latin_only == []


@pytest.mark.parametrize("lang", LANGS)
def test_format_tables_are_well_formed(lang: str) -> None:
    digits = i18n.t("format.digits", lang)
    assert [unicodedata.decimal(d) for d in digits] == list(range(10))
    assert len(i18n.catalogue(lang)["format.months"]) == 12


# ------------------------------------------------------------------------------ lookup


def test_a_missing_key_is_a_clear_error() -> None:
    with pytest.raises(i18n.MissingMessage, match=r"report\.nope.*fr\.toml.*en\.toml, ar\.toml"):
        i18n.t("report.nope", "fr")


def test_a_missing_parameter_is_a_clear_error() -> None:
    with pytest.raises(UsageError, match=r"needs the parameter.*date"):
        i18n.t("report.prepared", "en")


@pytest.mark.parametrize("lang", ["de", "ara", "", "FR"])
def test_an_unknown_language_is_refused(lang: str) -> None:
    with pytest.raises(UsageError, match="fr, en, ar"):
        i18n.t("report.title", lang)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("fr", "Rapport au comité de pilotage"),
        ("en", "Report to the steering committee"),
        ("ar", "تقرير إلى اللجنة التوجيهية"),
    ],
)
def test_t_finds_the_message(lang: str, expected: str) -> None:
    assert i18n.t("report.title", lang) == expected


def test_t_fills_placeholders() -> None:
    assert i18n.t("report.prepared", "en", date="1 May 2027") == "Prepared on 1 May 2027"


@pytest.mark.parametrize(
    ("code", "lang", "expected"),
    [
        ("training", "fr", "Formation"),
        ("training", "ar", "التدريب"),
        ("reading_tent", "fr", "reading_tent"),  # a code of the project's own: kept
        (None, "en", ""),
    ],
)
def test_label_translates_known_codes_and_keeps_others(
    code: str | None, lang: str, expected: str
) -> None:
    assert i18n.label("budget.kind", code, lang) == expected


@pytest.mark.parametrize(("lang", "expected"), [("fr", "ltr"), ("en", "ltr"), ("ar", "rtl")])
def test_direction(lang: str, expected: str) -> None:
    assert i18n.direction(lang) == expected


# ------------------------------------------------------------------------------ formats


@pytest.mark.parametrize(
    ("value", "lang", "decimals", "expected"),
    [
        (12345.5, "fr", 1, "12\u202f345,5"),
        (12345.5, "en", 1, "12,345.5"),
        (12345.5, "ar", 1, "١٢٬٣٤٥٫٥"),
        (1234567, "fr", 0, "1\u202f234\u202f567"),
        (0.004, "en", 2, "0.00"),
        (-0.004, "en", 2, "0.00"),  # no "-0.00"
        (-1500, "en", 0, "-1,500"),
        (None, "fr", 0, ""),
        (float("nan"), "ar", 0, ""),
        ("n/a", "en", 0, ""),
    ],
)
def test_format_number(value: object, lang: str, decimals: int, expected: str) -> None:
    assert i18n.format_number(value, lang, decimals) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("share", "lang", "expected"),
    [
        (0.3534, "fr", "35,3\u00a0%"),
        (0.3534, "en", "35.3%"),
        (0.3534, "ar", "٣٥٫٣٪"),
        (None, "en", ""),
    ],
)
def test_format_percent(share: float | None, lang: str, expected: str) -> None:
    assert i18n.format_percent(share, lang) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "lang", "expected"),
    [
        (58750.9, "EUR", "fr", "58\u202f751\u00a0€"),
        (58750.9, "EUR", "en", "€58,751"),
        (58750.9, "EUR", "ar", "٥٨٬٧٥١ €"),
        (-1234.6, "EUR", "en", "-€1,235"),
        (-0.2, "EUR", "en", "€0"),
        (12, "JOD", "fr", "12\u00a0JOD"),
        (None, "EUR", "fr", ""),
    ],
)
def test_format_money(amount: float | None, currency: str, lang: str, expected: str) -> None:
    assert i18n.format_money(amount, currency, lang) == expected


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (dt.date(2027, 9, 15), "fr", "15 septembre 2027"),
        (dt.date(2027, 9, 15), "en", "15 September 2027"),
        (dt.date(2027, 9, 15), "ar", "١٥ أيلول ٢٠٢٧"),
        ("2027-02-12", "fr", "12 février 2027"),
        ("soon", "en", "soon"),
        (None, "en", ""),
    ],
)
def test_format_date(value: dt.date | str | None, lang: str, expected: str) -> None:
    assert i18n.format_date(value, lang) == expected


@given(
    value=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    lang=st.sampled_from(LANGS),
    decimals=st.integers(min_value=0, max_value=3),
)
def test_formatted_numbers_read_back_to_the_rounded_value(
    value: float, lang: str, decimals: int
) -> None:
    text = i18n.format_number(value, lang, decimals)
    digits = i18n.t("format.digits", lang)
    plain = text.translate(str.maketrans(digits, "0123456789"))
    plain = plain.replace(i18n.t("format.group", lang), "")
    plain = plain.replace(i18n.t("format.decimal", lang), ".")
    assert float(plain) == pytest.approx(round(value, decimals), abs=10**-decimals)
