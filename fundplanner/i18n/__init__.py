"""Messages in French, English and Arabic, and numbers and dates written the way each reads them.

One TOML catalogue per language (``fr.toml``, ``en.toml``, ``ar.toml``) beside this file.
Tables nest by area and the loader flattens them into dotted keys: ``[report.section]
budget = "Budget"`` is the key ``report.section.budget``. Areas in use: ``meta`` (the
language's name and writing direction), ``format`` (decimal mark, grouping, digits, percent,
money and date patterns, month names), ``column`` (column headers shared by reports, exports
and the dashboard), ``report``, ``budget``, ``funding``, ``training``, ``milestone``, ``gap``,
``partner``, ``audience``, ``category``, ``language`` and ``shipping``; a new area (the
dashboard's ``ui``) is a new table in all three files. Every key exists in every catalogue with
the same ``{placeholders}`` (``tests/test_i18n.py`` fails otherwise).

:func:`t` looks a message up and fills its placeholders (``str.format`` syntax); a missing key
is a :class:`MissingMessage`, never a silent fallback. :func:`label` is for codes that may be a
project's own (a category ``manga``): the translation when the catalogue has one, else the code.

Number formats follow CLDR: French ``12 345,5`` (narrow no-break space), English
``12,345.5``, Arabic with Arabic-Indic digits ``١٢٬٣٤٥٫٥`` (the default numbering system of
the ``ar`` locale, used in Palestine).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import string
import tomllib
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from fundplanner.errors import FundplannerError, UsageError

LANGUAGES: tuple[str, ...] = ("fr", "en", "ar")
"""The languages of the catalogues, as BCP 47 / ISO 639-1 codes (HTML ``lang``)."""

CATALOGUE_DIR = Path(__file__).resolve().parent

#: Printed symbols of the currencies the project uses most; others print as their ISO code.
CURRENCY_SYMBOLS: Mapping[str, str] = types.MappingProxyType(
    {"EUR": "€", "USD": "$", "GBP": "£", "ILS": "₪"}
)


class MissingMessage(FundplannerError):
    """A message key is absent from a catalogue (the message names the key and the file)."""


Value = str | list[str]


def catalogue_path(lang: str) -> Path:
    """The TOML file of language ``lang``."""
    return CATALOGUE_DIR / f"{check_language(lang)}.toml"


def check_language(lang: str) -> str:
    """``lang`` when it is one of :data:`LANGUAGES`, else a :class:`UsageError`."""
    if lang not in LANGUAGES:
        raise UsageError(
            f"unknown language {lang!r}: fundplanner writes {', '.join(LANGUAGES)}; "
            "pass one of them."
        )
    return lang


def catalogue(lang: str) -> Mapping[str, Value]:
    """Every message of ``lang`` by dotted key (read once, read-only)."""
    return _load(check_language(lang))


@functools.cache
def _load(lang: str) -> Mapping[str, Value]:
    path = CATALOGUE_DIR / f"{lang}.toml"
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise MissingMessage(f"{path}: cannot read the {lang} catalogue ({exc}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise MissingMessage(f"{path}: invalid TOML ({exc}); fix the line it names.") from exc
    return types.MappingProxyType(dict(_flatten(data, "", path)))


def _flatten(table: Mapping[str, Any], prefix: str, path: Path) -> list[tuple[str, Value]]:
    items: list[tuple[str, Value]] = []
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            items.extend(_flatten(value, f"{key}.", path))
        elif isinstance(value, str) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            items.append((key, value))
        else:
            raise MissingMessage(
                f"{path}: {key} must be a text or a list of texts, not {type(value).__name__}."
            )
    return items


def placeholders(text: str) -> frozenset[str]:
    """The ``{names}`` a message fills in."""
    return frozenset(
        name for _, name, _, _ in string.Formatter().parse(text) if name is not None and name
    )


def has(key: str, lang: str) -> bool:
    """Whether ``lang``'s catalogue has the message ``key``."""
    return key in catalogue(lang)


def t(key: str, lang: str, **params: object) -> str:
    """The message ``key`` in ``lang``, its ``{placeholders}`` filled from ``params``.

    Parameters are inserted as given: format numbers first (:func:`format_number`,
    :func:`format_money`, :func:`format_percent`) so that they read right in ``lang``.
    """
    text = catalogue(lang).get(key)
    if text is None:
        raise MissingMessage(
            f"no message {key!r} in the {lang} catalogue ({catalogue_path(lang)}); add it to "
            f"every catalogue ({', '.join(f'{code}.toml' for code in LANGUAGES)})."
        )
    if not isinstance(text, str):
        raise MissingMessage(f"{key!r} in the {lang} catalogue is a list, not a message.")
    missing = placeholders(text) - params.keys()
    if missing:
        raise UsageError(
            f"message {key!r} needs the parameter(s) {', '.join(sorted(missing))}; "
            f"pass them to t()."
        )
    return text.format(**params) if params or "{" in text else text


def label(prefix: str, code: object, lang: str) -> str:
    """The translated name of a code (``label("budget.kind", "training", "fr")``), or the
    code itself when the catalogue has none (a project's own category, a free status)."""
    if code is None:
        return ""
    key = f"{prefix}.{code}"
    return t(key, lang) if has(key, lang) else str(code)


def direction(lang: str) -> Literal["rtl", "ltr"]:
    """The writing direction of ``lang`` (HTML ``dir``)."""
    return "rtl" if t("meta.direction", lang) == "rtl" else "ltr"


# ------------------------------------------------------------------------------ numbers, dates


def _format_value(key: str, lang: str) -> str:
    return t(f"format.{key}", lang)


def _finite(value: object) -> float | None:
    """``value`` as a finite float, or None (None, NA, NaN, infinity, not a number)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def format_number(value: float | None, lang: str, decimals: int = 0) -> str:
    """``value`` with the decimal mark, grouping and digits of ``lang`` (CLDR); empty for a
    missing or non-finite value."""
    number = _finite(value)
    if number is None:
        return ""
    text = f"{number:,.{decimals}f}"
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]  # no "-0"
    marks = {",": _format_value("group", lang), ".": _format_value("decimal", lang)}
    text = "".join(marks.get(char, char) for char in text)
    digits = _format_value("digits", lang)
    return text.translate(str.maketrans("0123456789", digits))


def format_percent(share: float | None, lang: str, decimals: int = 1) -> str:
    """A share (0.353) as a percentage in ``lang`` (``35,3 %``, ``35.3%``, ``٣٥٫٣٪``)."""
    value = _finite(share)
    if value is None:
        return ""
    number = format_number(value * 100, lang, decimals)
    return t("format.percent", lang, number=number)


def format_money(amount: float | None, currency: str | None, lang: str, decimals: int = 0) -> str:
    """An amount with its currency symbol (``12 345 €``, ``€12,345``, ``١٢٬٣٤٥ €``)."""
    value = _finite(amount)
    if value is None:
        return ""
    code = (currency or "").upper()
    symbol = CURRENCY_SYMBOLS.get(code, code)
    number = format_number(abs(value), lang, decimals)
    text = t("format.money", lang, number=number, symbol=symbol).strip()
    return f"-{text}" if round(value, decimals) < 0 else text


def format_date(value: dt.date | str | None, lang: str) -> str:
    """A date as ``lang`` writes it in full (``15 septembre 2027``, ``15 September 2027``,
    ``١٥ أيلول ٢٠٢٧``); an ISO text is parsed first; empty when missing."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            date = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    else:
        date = value
    months = catalogue(lang)["format.months"]
    day = format_number(date.day, lang)
    year = format_number(date.year, lang).replace(_format_value("group", lang), "")
    return t("format.date", lang, day=day, month=months[date.month - 1], year=year)
