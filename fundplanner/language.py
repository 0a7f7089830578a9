"""Language resolution (DESIGN.md, "Language resolution"): record codes, script, detector.

The chain, each step recording its ``method``:

1. the record's own codes — MARC21 008/35-37 and 041 $a, UNIMARC 101 $a, or a Language column
   (:func:`normalise_language_code` reads packed ``engfre``, ISO 639-1/639-2/T codes, names in
   French, English and Arabic; ``|||``, ``und``, ``zxx`` mean "no code"). Method ``marc`` or
   ``column``, confidence 1.0;
2. the script of the title: mostly Arabic letters → ``ara`` unless Persian/Urdu-only letters are
   present (→ ``per`` / ``urd`` when clear, else ``und``); another non-Latin script → ``und``.
   A Latin-script title that carries the marks of ALA-LC romanisation of Arabic (ʻ ʼ, ḥ ṣ ḍ ṭ ẓ,
   the ``al-`` / ``wa-`` / ``bi-`` clitics — MARC 245 without its 880 pair) → ``ara``.
   Method ``script``;
3. a statistical detector (lingua by default, langdetect as the baseline) on title + subtitle
   (+ summary), restricted to the project's languages with a confidence threshold; below it →
   ``und`` for a librarian to decide. Method ``detector``; ``prior`` when the ISBN registration
   group's language (a Bayesian prior) changed the decision.

Codes are ISO 639-2/B as MARC writes them (``fre``, not ``fra``). Tables are data:
``reference/languages.csv`` (MARC Code List for Languages / ISO 639-2).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fundplanner.errors import UsageError
from fundplanner.reference import load_csv

PROJECT_LANGUAGES: tuple[str, ...] = ("ara", "fre", "eng")
BACKENDS: tuple[str, ...] = ("lingua", "langdetect")
#: Chosen by benchmarks/language_accuracy.py on titles_labelled_dev.tsv and tests/data cases.
DEFAULT_BACKEND = "lingua"
#: Minimum detector share among the project languages to accept one. Chosen on the dev set as
#: the threshold with the best accuracy whose precision (when it decides) is still >= 98 %.
DEFAULT_THRESHOLD: Mapping[str, float] = {"lingua": 0.55, "langdetect": 0.6}
#: Latin-script languages the detector also knows, so that a German or Spanish title is
#: recognised as "not a project language" (→ und) instead of being forced into fre/eng.
OTHER_LATIN_LANGUAGES: tuple[str, ...] = ("ger", "spa", "ita", "por")
#: Prior odds of the ISBN group's language against each other language (1 = no prior).
PRIOR_FACTOR = 3.0

METHODS = ("marc", "column", "script", "detector", "prior", "manual")
UNDETERMINED = "und"


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """A language code (ISO 639-2/B), how sure the method is (0-1), and which method decided.

    For ``und`` returned by the detector, ``confidence`` is the best project language's score
    (below the threshold); for ``und`` from the script rule, the share of the foreign script.
    """

    code: str
    confidence: float
    method: str


# --------------------------------------------------------------------------- code table


@dataclass(frozen=True, slots=True)
class _CodeTable:
    by_token: Mapping[str, str]  # folded code or name -> MARC code ("" for und/zxx/mis)
    iso639_1: Mapping[str, str]  # MARC code -> 639-1
    iso639_2t: Mapping[str, str]  # MARC code -> 639-2/T (= 639-3 for lingua)


def _fold(text: str) -> str:
    """Case-, accent- and hamza-insensitive key: NFKD, combining marks removed, casefolded."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch) and ch != "\u0640")
    return " ".join(kept.casefold().split())


@functools.cache
def _code_table() -> _CodeTable:
    rows = load_csv("languages.csv", required=("code", "kind", "source"))
    by_token: dict[str, str] = {}
    iso1: dict[str, str] = {}
    iso2t: dict[str, str] = {}
    for row in rows:
        code = row["replaced_by"] or row["code"]
        target = "" if row["kind"] == "none" else code
        names = [row["name_en"], row["name_fr"], row["name_ar"], *row["variants"].split("|")]
        for token in (row["code"], row["iso639_2t"], row["iso639_1"], *names):
            key = _fold(token)
            if key:
                by_token.setdefault(key, target)
        if row["iso639_1"]:
            iso1[code] = row["iso639_1"]
        if row["iso639_2t"]:
            iso2t[code] = row["iso639_2t"]
    return _CodeTable(by_token, iso1, iso2t)


_EMPTY_CODE = re.compile(r"^[\s|#\-_.?^]*$")
_SPLIT = re.compile(r"\s*(?:[,;/|+&]|\bet\b|\band\b|\s)\s*", re.IGNORECASE)
_ARABIC_SPLIT = re.compile(r"\s+(?:و)\s*|\s*،\s*")


def _lookup_token(token: str) -> list[str] | None:
    """Codes for one token, or None when it is not a code/name we know."""
    table = _code_table().by_token
    key = _fold(token)
    if key in table:
        return [table[key]] if table[key] else []
    locale = re.match(r"^([a-z]{2,3})[-_][a-z]{2,4}$", key)  # fr-FR, en_US, ar-PS
    if locale and locale.group(1) in table:
        return [table[locale.group(1)]] if table[locale.group(1)] else []
    if key.isascii() and key.isalpha() and len(key) > 3 and len(key) % 3 == 0:
        chunks = [key[i : i + 3] for i in range(0, len(key), 3)]  # packed 041 $a: "engfre"
        if all(chunk in table for chunk in chunks):
            return [table[chunk] for chunk in chunks if table[chunk]]
    return None


@functools.lru_cache(maxsize=4096)
def _normalise_codes(raw: str) -> tuple[str, ...]:
    if raw is None or _EMPTY_CODE.match(raw):
        return ()
    whole = _lookup_token(raw)
    if whole is not None:
        codes = whole
    else:
        codes = []
        pieces = [p for p in _SPLIT.split(raw.strip()) if p]
        if len(pieces) <= 1:
            pieces = [p for p in _ARABIC_SPLIT.split(raw.strip()) if p]
        for piece in pieces:
            found = _lookup_token(piece)
            if found is None and piece.startswith("و"):  # Arabic "and" glued to the next word
                found = _lookup_token(piece[1:])
            codes.extend(found or [])
    return tuple(dict.fromkeys(codes))


def normalise_language_code(raw: str) -> list[str]:
    """MARC language codes (ISO 639-2/B) from a raw code or name; ``[]`` when there is none.

    Reads MARC21 008/35-37 and 041 $a (packed ``engfre``), UNIMARC 101 $a, ISO 639-1
    (``ar``), ISO 639-2/T (``fra``), locale tags (``fr-FR``) and names in French, English and
    Arabic (``Français``, ``anglais``, ``العربية``), several in one cell (``Français / Arabe``).
    Blank, fill (``|||``), ``und``, ``zxx`` and ``mis`` give ``[]``; ``mul`` is kept; codes of
    other languages are kept (``ger``); obsolete MARC codes map to current ones (``scr`` →
    ``hrv``). Table: ``reference/languages.csv``.
    """
    return list(_normalise_codes(raw))


# --------------------------------------------------------------------------- script rule

_ARABIC_LETTER = re.compile(
    "[\u0621-\u064a\u066e-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff"
    "\ufb50-\ufdff\ufe70-\ufefc]"
)
_LATIN_LETTER = re.compile("[A-Za-z\u00aa\u00ba\u00c0-\u024f\u02b0-\u02ff\u1e00-\u1eff]")
_PERSIAN_LETTER = re.compile("[\u067e\u0686\u0698\u06af\u06a9\u06cc]")  # پ چ ژ گ ک ی
_URDU_LETTER = re.compile("[\u0679\u0688\u0691\u06ba\u06c1\u06d2]")  # ٹ ڈ ڑ ں ہ ے
#: Urdu postpositions / copula written with keheh and farsi yeh: کا کی کے میں سے ہے
_URDU_WORD = re.compile(r"(?<!\S)(?:کا|کی|کے|میں|سے|ہے)(?!\S)")


@dataclass(frozen=True, slots=True)
class ScriptProfile:
    """Letter counts of a text by script."""

    letters: int
    arabic: int
    latin: int
    persian: int
    urdu: int

    @property
    def dominant(self) -> str:
        """``arabic``, ``latin``, ``other`` (at least half the letters) or ``none``."""
        if self.letters == 0:
            return "none"
        if self.arabic * 2 >= self.letters:
            return "arabic"
        if self.latin * 2 >= self.letters:
            return "latin"
        return "other"


def script_profile(text: str) -> ScriptProfile:
    """Count letters by script (Unicode blocks: Arabic, Latin incl. ALA-LC modifier letters)."""
    return ScriptProfile(
        letters=sum(map(str.isalpha, text)),
        arabic=len(_ARABIC_LETTER.findall(text)),
        latin=len(_LATIN_LETTER.findall(text)),
        persian=len(_PERSIAN_LETTER.findall(text)),
        urdu=len(_URDU_LETTER.findall(text)) + 2 * len(_URDU_WORD.findall(text)),
    )


def _arabic_script_code(profile: ScriptProfile) -> str:
    """``ara``, or ``urd`` / ``per`` when their own letters say so clearly, else ``und``.

    Urdu-only letters (ٹ ڈ ڑ ں ہ ے; an Urdu postposition کا کی کے counts two) → ``urd`` when
    two or more; Persian letters
    (پ چ ژ گ ک ی) without Urdu ones → ``per`` when two or more; a single one → ``und``.
    """
    if profile.urdu >= 2:
        return "urd"
    if profile.urdu == 0 and profile.persian >= 2:
        return "per"
    if profile.urdu or profile.persian:
        return UNDETERMINED
    return "ara"


# ALA-LC romanisation of Arabic (LC romanization tables: Arabic): ayn ʻ and hamza ʼ, emphatic
# consonants with a dot below, alif maqsura "á", and the hyphenated article and clitics.
_ROMAN_MARK = re.compile(
    "[\u02bb\u02bc\u1e24\u1e25\u1e62\u1e63\u1e0c\u1e0d\u1e6c\u1e6d\u1e92\u1e93]"
)
_ROMAN_INWORD_QUOTE = re.compile("(?<=\\w)[\u2018\u02bf\u02be](?=\\w)|\\b[\u2018\u02bf]\\w")
_ROMAN_CLITIC = re.compile(r"\b(?:al|wa|bi|li|fa|wa-al|bi-al|li-al|lil|wal)-\w", re.IGNORECASE)
_ROMAN_MACRON = re.compile("[\u0100\u0101\u012a\u012b\u016a\u016b]")  # Ā ā Ī ī Ū ū
_ROMAN_WORD = re.compile(
    r"\b(?:ibn|bint|ab[uū]|kit[aā]b|f[iī]|il[aá]|ʻal[aá]|wa|min|d[iī]w[aā]n|ris[aā]lah|"
    r"t[aā]r[iī]kh|al-\w+[iī]yah)\b",
    re.IGNORECASE,
)


def romanised_arabic_score(text: str) -> int:
    """How strongly a Latin-script title looks like romanised Arabic (0 = not at all).

    Two points per ALA-LC mark (ʻ ʼ ḥ ṣ ḍ ṭ ẓ, an in-word ‘) and per hyphenated clitic
    (al-, wa-, bi-, li-), one point per common Arabic word (ibn, kitāb, fī, ilá, wa…) and per
    long vowel ā ī ū (at most three: Japanese and Sanskrit romanisations use them too).
    """
    return (
        min(3, len(_ROMAN_MACRON.findall(text)))
        + 2 * len(_ROMAN_MARK.findall(text))
        + 2 * len(_ROMAN_INWORD_QUOTE.findall(text))
        + 2 * len(_ROMAN_CLITIC.findall(text))
        + len(_ROMAN_WORD.findall(text))
    )


#: Score from which a Latin-script title is taken as romanised Arabic (measured on the dev set).
ROMANISED_THRESHOLD = 2


def title_proper(title: str) -> str:
    """The title before an ISBD parallel title (`` = ``, MARC 245 $b after "="), when it has
    at least three letters: a bilingual title is catalogued in the language of its first part."""
    first, sep, _ = title.partition(" = ")
    if sep and sum(map(str.isalpha, first)) >= 3:
        return first
    return title


# --------------------------------------------------------------------------- detectors


def _check_languages(languages: Sequence[str]) -> tuple[str, ...]:
    table = _code_table()
    langs = tuple(dict.fromkeys(languages))
    unknown = [code for code in langs if code not in table.iso639_2t]
    if not langs or unknown:
        raise UsageError(
            f"unknown language code(s) {unknown or '(none given)'}: give MARC codes from "
            "fundplanner/reference/languages.csv, e.g. ara, fre, eng"
        )
    return langs


@functools.cache
def _lingua_detector(codes: tuple[str, ...], low_accuracy: bool = False) -> Any:
    """A lingua detector for ``codes`` (MARC), built once and cached.

    Models are preloaded: building takes ~0.7 s and ~200 MB once, after which a title costs
    ~40 µs; with lazy loading every confidence call paid ~470 µs (measured, lingua 2.1).
    """
    from lingua import IsoCode639_3, LanguageDetectorBuilder

    table = _code_table()
    try:
        isos = [getattr(IsoCode639_3, table.iso639_2t[code].upper()) for code in codes]
    except AttributeError as exc:
        raise UsageError(f"lingua does not know one of {codes}: {exc}") from exc
    builder = LanguageDetectorBuilder.from_iso_codes_639_3(*isos).with_preloaded_language_models()
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.build()


@functools.cache
def _lingua_code_of() -> dict[str, str]:
    table = _code_table()
    return {t.upper(): code for code, t in table.iso639_2t.items()}


#: Languages written in the Arabic script: lingua gives them no weight in a text without an
#: Arabic letter (it filters languages by the alphabets present), so their models are not
#: needed for such a text — and most texts the detector sees have none (an Arabic-script
#: title is decided by the script rule before the detector).
ARABIC_SCRIPT_LANGUAGES = frozenset({"ara", "per", "urd"})


def _lingua_codes_for(text: str, codes: tuple[str, ...]) -> tuple[str, ...]:
    """The languages whose models can score ``text``: without an Arabic letter in it, the
    Arabic-script ones are left out. Their scores would be exactly 0 and the others' the
    same (checked on the 5,528 Latin-script titles of titles_labelled_dev.tsv: every
    confidence equal within 1e-13), so the answer is unchanged while the detector loads
    about a third fewer models (measured: 1.08 instead of 1.51 CPU-s, 189 instead of
    236 MB)."""
    if _ARABIC_LETTER.search(text):
        return codes
    return tuple(code for code in codes if code not in ARABIC_SCRIPT_LANGUAGES) or codes


def _lingua_scores(text: str, codes: tuple[str, ...]) -> dict[str, float]:
    return _lingua_scores_batch([text], codes)[0]


def _lingua_scores_batch(texts: Sequence[str], codes: tuple[str, ...]) -> list[dict[str, float]]:
    """:func:`_lingua_scores` of each text, through lingua's batch API, which spreads the
    texts over the idle CPU cores (``compute_language_confidence_values_in_parallel``).

    The values are those of the one-by-one call; lingua sums its n-gram probabilities in no
    fixed order, so two calls (batch or not) may differ in the last bit of a float (measured:
    at most 2e-15), far below the 3 decimals a confidence is rounded to.
    """
    if not texts:
        return []
    by_codes: dict[tuple[str, ...], list[int]] = {}
    for index, text in enumerate(texts):
        by_codes.setdefault(_lingua_codes_for(text, codes), []).append(index)
    scores: list[dict[str, float]] = [{} for _ in texts]
    for used, indexes in by_codes.items():
        detector = _lingua_detector(used)
        if len(indexes) == 1:
            batch = [detector.compute_language_confidence_values(texts[indexes[0]])]
        else:
            batch = detector.compute_language_confidence_values_in_parallel(
                [texts[index] for index in indexes]
            )
        for index, values in zip(indexes, batch, strict=True):
            scores[index] = _with_zeros(_lingua_score_dict(values), codes)
    return scores


def _with_zeros(scores: dict[str, float], codes: tuple[str, ...]) -> dict[str, float]:
    """``scores`` with a 0 for every language of ``codes`` the detector did not load, in the
    order lingua lists them (by decreasing confidence, so the zeros come last)."""
    for code in codes:
        scores.setdefault(code, 0.0)
    return scores


def _lingua_score_dict(values: Sequence[Any]) -> dict[str, float]:
    """lingua's ``ConfidenceValue`` list as {MARC code: confidence}, in lingua's order."""
    code_of = _lingua_language_codes()
    return {code_of[value.language]: value.value for value in values}


@functools.cache
def _lingua_language_codes() -> dict[Any, str]:
    """lingua ``Language`` → MARC code, for the languages of ``languages.csv``."""
    from lingua import Language

    code_of = _lingua_code_of()
    return {
        language: code_of[language.iso_code_639_3.name]
        for language in Language.all()
        if language.iso_code_639_3.name in code_of
    }


@functools.cache
def _langdetect_ready() -> bool:
    """Fix langdetect's seed once (``DetectorFactory.seed = 0``) so results are deterministic."""
    from langdetect import DetectorFactory

    DetectorFactory.seed = 0
    return True


@functools.cache
def _langdetect_code_of() -> dict[str, str]:
    table = _code_table()
    codes = {iso1: code for code, iso1 in table.iso639_1.items()}
    codes.update({"zh-cn": "chi", "zh-tw": "chi"})
    return codes


def _langdetect_scores(text: str, codes: tuple[str, ...]) -> dict[str, float]:
    """langdetect over its 55 languages; scores of languages outside ``codes`` are summed
    under the first non-project code so that "another language" can win."""
    from langdetect import detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    _langdetect_ready()
    try:
        probabilities = detect_langs(text)
    except LangDetectException:
        return {}
    code_of = _langdetect_code_of()
    scores: dict[str, float] = {}
    for item in probabilities:
        code = code_of.get(item.lang, "mis")
        key = code if code in codes else "mis"
        scores[key] = scores.get(key, 0.0) + item.prob
    return scores


def detector_scores(
    text: str, languages: Sequence[str], *, backend: str, others: bool = True
) -> dict[str, float]:
    """Raw detector scores (0-1) by MARC code for ``languages`` (+ other languages when
    ``others``: :data:`OTHER_LATIN_LANGUAGES` for lingua, ``mis`` for langdetect)."""
    return detector_scores_batch([text], languages, backend=backend, others=others)[0]


def detector_scores_batch(
    texts: Sequence[str], languages: Sequence[str], *, backend: str, others: bool = True
) -> list[dict[str, float]]:
    """:func:`detector_scores` of each text; lingua scores them all in one parallel call."""
    langs = _check_languages(languages)
    if backend == "lingua":
        extra = tuple(c for c in OTHER_LATIN_LANGUAGES if c not in langs) if others else ()
        if len(texts) == 1:
            return [_lingua_scores(texts[0], langs + extra)]
        return _lingua_scores_batch(texts, langs + extra)
    if backend == "langdetect":
        return [_langdetect_project_scores(text, langs, others) for text in texts]
    raise UsageError(f"unknown detector backend {backend!r}: use one of {', '.join(BACKENDS)}")


def _langdetect_project_scores(text: str, langs: tuple[str, ...], others: bool) -> dict[str, float]:
    scores = _langdetect_scores(text, langs)
    if not others:
        scores.pop("mis", None)
    return scores


def prepare_detector(
    languages: Sequence[str] = PROJECT_LANGUAGES, backend: str | None = None
) -> None:
    """Build the detector now (lingua preloads its models: ~0.6 s, once per process): the one
    for texts without an Arabic letter, which is nearly every text the detector sees.

    Parallel ingest calls this while its workers read, so that the load is off the
    critical path.
    """
    if (backend or DEFAULT_BACKEND) == "lingua":
        langs = _check_languages(languages)
        codes = langs + tuple(c for c in OTHER_LATIN_LANGUAGES if c not in langs)
        _lingua_detector(_lingua_codes_for("", codes))


def apply_prior(
    scores: Mapping[str, float], prior: str | None, factor: float | None = None
) -> dict[str, float]:
    """Bayes' rule with a prior that makes ``prior`` ``factor`` times likelier than each
    other language (:data:`PRIOR_FACTOR`): posterior ∝ detector score × prior."""
    factor = PRIOR_FACTOR if factor is None else factor
    if not prior or prior not in scores:
        return dict(scores)
    weighted = {code: p * (factor if code == prior else 1.0) for code, p in scores.items()}
    total = sum(weighted.values())
    return {code: p / total for code, p in weighted.items()} if total > 0 else dict(scores)


def decide_from_scores(
    scores: Mapping[str, float], languages: Sequence[str], threshold: float
) -> tuple[str, float]:
    """(code, confidence) from detector scores: the best project language when it beats every
    other language the detector knows AND its share among the project languages reaches
    ``threshold``; otherwise ``und`` with that share (how sure the detector was)."""
    project = {code: max(0.0, scores.get(code, 0.0)) for code in languages}
    project_total = sum(project.values())
    if project_total <= 0:
        return UNDETERMINED, 0.0
    best_project = max(project, key=project.__getitem__)
    confidence = min(1.0, project[best_project] / project_total)
    best_overall = max(scores, key=scores.__getitem__)
    if scores[best_overall] > project[best_project] or confidence < threshold:
        return UNDETERMINED, confidence
    return best_project, confidence


def detect_language(
    text: str,
    languages: Sequence[str] = PROJECT_LANGUAGES,
    *,
    backend: str | None = None,
    threshold: float | None = None,
    prior: str | None = None,
    romanised_rule: bool = True,
    others: bool = True,
    defer_detector: bool = False,
) -> LanguageGuess:
    """Language of a short text (a title), restricted to ``languages``; never raises on text.

    Script first (Arabic letters → ``ara``; another non-Latin script → ``und``; ALA-LC
    romanised Arabic → ``ara`` when ``romanised_rule``), then the detector on Latin text.
    ``prior`` is a language the ISBN registration group suggests (see
    :func:`fundplanner.isbn.group_hint`); ``others`` lets the detector recognise a few other
    Latin-script languages so their titles become ``und`` rather than ``fre``/``eng``.
    The code is always one of ``languages`` or ``und``. With ``defer_detector`` a text that
    only the detector can judge gets :data:`PENDING` (``und``, method ``pending``) instead,
    so that a caller can run the detector later, elsewhere (parallel ingest does).
    """
    langs = _check_languages(languages)
    backend = backend or DEFAULT_BACKEND
    decided = _script_decision(text, langs, romanised_rule)
    if isinstance(decided, LanguageGuess):
        return decided
    if defer_detector:
        return PENDING
    scores = detector_scores(decided, langs, backend=backend, others=others)
    return _detector_decision(scores, langs, _threshold(threshold, backend), prior)


def detect_languages(
    texts: Sequence[str],
    languages: Sequence[str] = PROJECT_LANGUAGES,
    *,
    backend: str | None = None,
    threshold: float | None = None,
    priors: Sequence[str | None] | None = None,
    romanised_rule: bool = True,
    others: bool = True,
) -> list[LanguageGuess]:
    """:func:`detect_language` of each text (``priors[i]`` is the prior of ``texts[i]``).

    The same rules, thresholds and prior; the texts that reach the detector are scored in one
    batch (lingua: on all idle cores), each distinct text once.
    """
    langs = _check_languages(languages)
    backend = backend or DEFAULT_BACKEND
    decided = [_script_decision(text, langs, romanised_rule) for text in texts]
    waiting = [i for i, d in enumerate(decided) if isinstance(d, str)]
    judged = _detector_guesses(
        [str(decided[i]) for i in waiting],
        [priors[i] if priors else None for i in waiting],
        langs,
        backend=backend,
        threshold=_threshold(threshold, backend),
        others=others,
    )
    guesses = [d if isinstance(d, LanguageGuess) else PENDING for d in decided]
    for i, guess in zip(waiting, judged, strict=True):
        guesses[i] = guess
    return guesses


def _detector_guesses(
    texts: Sequence[str],
    priors: Sequence[str | None],
    langs: tuple[str, ...],
    *,
    backend: str,
    threshold: float,
    others: bool = True,
) -> list[LanguageGuess]:
    """The detector's guess for each text the script rules left to it (:func:`_detector_input`
    already applied), with its prior; each distinct text is scored once, all in one batch."""
    distinct = list(dict.fromkeys(texts))
    scores = (
        detector_scores_batch(distinct, langs, backend=backend, others=others) if distinct else []
    )
    scored = dict(zip(distinct, scores, strict=True))
    return [
        _detector_decision(scored[text], langs, threshold, prior)
        for text, prior in zip(texts, priors, strict=True)
    ]


def _threshold(threshold: float | None, backend: str) -> float:
    """The detector's share threshold: ``threshold``, else :data:`DEFAULT_THRESHOLD`."""
    return DEFAULT_THRESHOLD.get(backend, 0.6) if threshold is None else threshold


def _script_decision(
    text: str, langs: tuple[str, ...], romanised_rule: bool
) -> LanguageGuess | str:
    """The guess of the script rules, or the text (:func:`_detector_input`) the detector must
    judge."""
    text = _detector_input(text)
    profile = script_profile(text)
    dominant = profile.dominant
    if dominant == "none":
        return LanguageGuess(UNDETERMINED, 0.0, "detector")
    if dominant == "arabic":
        code = _arabic_script_code(profile)
        share = round(profile.arabic / profile.letters, 3)
        return LanguageGuess(code if code in langs else UNDETERMINED, share, "script")
    if dominant == "other":
        share = round(1 - (profile.arabic + profile.latin) / profile.letters, 3)
        return LanguageGuess(UNDETERMINED, share, "script")
    if romanised_rule and "ara" in langs and romanised_arabic_score(text) >= ROMANISED_THRESHOLD:
        return LanguageGuess("ara", 0.9, "script")
    return text


def _detector_input(text: str | None) -> str:
    """What the rules and the detector read of a text: NFC, the title proper."""
    return title_proper(unicodedata.normalize("NFC", text or ""))


def _detector_decision(
    scores: Mapping[str, float], langs: tuple[str, ...], threshold: float, prior: str | None
) -> LanguageGuess:
    """The guess from detector scores: method ``detector``, or ``prior`` when the ISBN
    group's language (:func:`apply_prior`) changed the decision."""
    code, confidence = decide_from_scores(scores, langs, threshold)
    if prior and prior in scores:
        code_p, confidence_p = decide_from_scores(apply_prior(scores, prior), langs, threshold)
        if code_p != code:
            return LanguageGuess(code_p, confidence_p, "prior")
        confidence = confidence_p
    return LanguageGuess(code, confidence, "detector")


# --------------------------------------------------------------------------- the chain

_CODE_GUESSES: dict[tuple[str, bool], LanguageGuess] = {}

#: What a deferred detection returns until the detector has run (see ``defer_detector``).
PENDING = LanguageGuess(UNDETERMINED, 0.0, "pending")


def _code_guess(code: str, from_marc: bool) -> LanguageGuess:
    key = (code, from_marc)
    guess = _CODE_GUESSES.get(key)
    if guess is None:
        guess = _CODE_GUESSES[key] = LanguageGuess(code, 1.0, "marc" if from_marc else "column")
    return guess


def _first_record_code(record_codes: Sequence[str]) -> str | None:
    """First specific code (not ``mul``) of the record, else ``mul`` if present, else None."""
    seen_mul = False
    for raw in record_codes:
        for code in _normalise_codes(raw):
            if code != "mul":
                return code
            seen_mul = True
    return "mul" if seen_mul else None


def resolve_language(
    record_codes: Sequence[str],
    title: str | None,
    subtitle: str | None = None,
    *,
    summary: str | None = None,
    from_marc: bool = True,
    isbn_language: str | None = None,
    languages: Sequence[str] = PROJECT_LANGUAGES,
    backend: str | None = None,
    defer_detector: bool = False,
) -> LanguageGuess:
    """The language of one record by the DESIGN.md chain: codes, script, detector.

    ``record_codes`` are raw codes in priority order (008/35-37, 041 $a, UNIMARC 101 $a, or a
    Language column — then ``from_marc=False`` and the method is ``column``). A record code
    outside the project languages is kept (a German book is ``ger``). Persian / Urdu titles
    identified by their letters keep ``per`` / ``urd`` here, since they are real codes.
    ``isbn_language`` (from :func:`fundplanner.isbn.group_hint`) is a prior for the detector.
    """
    decided = _chain_decision(record_codes, title, subtitle, summary, from_marc)
    if isinstance(decided, LanguageGuess):
        return decided
    return detect_language(
        decided, languages, backend=backend, prior=isbn_language, defer_detector=defer_detector
    )


def resolve_languages(
    titles: Sequence[str | None],
    subtitles: Sequence[str | None] | None = None,
    *,
    summaries: Sequence[str | None] | None = None,
    record_codes: Sequence[Sequence[str]] | None = None,
    isbn_languages: Sequence[str | None] | None = None,
    from_marc: bool = True,
    languages: Sequence[str] = PROJECT_LANGUAGES,
    backend: str | None = None,
) -> list[LanguageGuess]:
    """:func:`resolve_language` of many records at once: the i-th guess is that of
    ``titles[i]``, ``subtitles[i]``, ``summaries[i]``, ``record_codes[i]`` and
    ``isbn_languages[i]`` (a missing sequence means None / no codes for every record).

    Same chain, thresholds and ISBN prior; the texts that reach the detector are judged in one
    batch (:func:`detect_languages`), which is what makes it fast.
    """
    count = len(titles)
    decided = [
        _chain_decision(
            record_codes[i] if record_codes else (),
            titles[i],
            subtitles[i] if subtitles else None,
            summaries[i] if summaries else None,
            from_marc,
        )
        for i in range(count)
    ]
    waiting = [i for i, d in enumerate(decided) if isinstance(d, str)]
    detected = detect_languages(
        [str(decided[i]) for i in waiting],
        languages,
        backend=backend,
        priors=[isbn_languages[i] for i in waiting] if isbn_languages else None,
    )
    guesses = [d if isinstance(d, LanguageGuess) else PENDING for d in decided]
    for i, guess in zip(waiting, detected, strict=True):
        guesses[i] = guess
    return guesses


def resolve_deferred_languages(
    titles: Sequence[str | None],
    subtitles: Sequence[str | None],
    summaries: Sequence[str | None],
    isbn_languages: Sequence[str | None],
    *,
    languages: Sequence[str] = PROJECT_LANGUAGES,
    backend: str | None = None,
) -> list[LanguageGuess]:
    """The detector's guesses for records that :func:`resolve_language` left :data:`PENDING`
    (``defer_detector``), in one batch; the i-th guess is for the i-th record.

    A pending record has no usable code and its text passed the script rules (that is what
    pending means), so only the detector's part of the chain runs: the same text (title proper,
    subtitle, summary), threshold and ISBN prior as :func:`resolve_language`, hence the same
    guess, without computing the script rules a second time.
    """
    langs = _check_languages(languages)
    backend = backend or DEFAULT_BACKEND
    texts = [
        _detector_input(_chain_text(_chain_head(title, subtitle), summary))
        for title, subtitle, summary in zip(titles, subtitles, summaries, strict=True)
    ]
    return _detector_guesses(
        texts, isbn_languages, langs, backend=backend, threshold=_threshold(None, backend)
    )


def _chain_decision(
    record_codes: Sequence[str],
    title: str | None,
    subtitle: str | None,
    summary: str | None,
    from_marc: bool,
) -> LanguageGuess | str:
    """Steps 1-2 of the chain (record codes, Arabic script of title + subtitle): their guess,
    or the text (title proper, subtitle, summary) that :func:`detect_language` must judge."""
    code = _first_record_code(record_codes)
    if code is not None:
        return _code_guess(code, from_marc)
    head = _chain_head(title, subtitle)
    profile = script_profile(head)
    if profile.dominant == "arabic":
        share = round(profile.arabic / profile.letters, 3)
        return LanguageGuess(_arabic_script_code(profile), share, "script")
    return _chain_text(head, summary)


def _chain_head(title: str | None, subtitle: str | None) -> str:
    """Title proper and subtitle: the text whose script step 2 of the chain reads."""
    return " ".join(part for part in (title_proper(title or ""), subtitle) if part)


def _chain_text(head: str, summary: str | None) -> str:
    """Head and summary: the text the detector judges (a summary helps a title that is only
    a name)."""
    return " ".join(part for part in (head, summary) if part)
