"""Deduplication: work keys (same edition, or same work in one language) and work groups.

DESIGN.md, "The canonical candidate table": ``work_key`` is the dedupe cluster (same ISBN, or same
normalised title + author), and translations of one work share a ``work_group``. The planner caps
copies per ``work_key`` across sources, so two donors offering the same book do not both ship.

Matching keys
-------------
* :func:`fold_arabic` folds the spelling variants of Arabic script that catalogues disagree on
  (Unicode 15 chapter 9.2 "Arabic": harakat U+064B–U+065F, superscript alef U+0670, Quranic
  annotation marks U+0610–U+061A and U+06D6–U+06ED, tatweel U+0640; the hamza/madda alef forms;
  taa marbuta; alef maqsura; Arabic-Indic and Persian digits; Persian kaf and yeh). This is the
  usual "light" normalisation of Arabic information retrieval (Larkey, Ballesteros & Connell,
  SIGIR 2002). The hamza carriers ``ؤ`` and ``ئ`` fold to the bare letters ``و`` and ``ي``:
  vendors often drop the hamza, and both spellings name the same word. The lone hamza ``ء`` is
  kept.
* :func:`normalise_title` keys a title proper (MARC 245 $a, UNIMARC 200 $a).
* :func:`author_key` keys the first author's surname (MARC 100/700 $a, UNIMARC 700/701 $a).

Both have list versions (:func:`normalise_titles`, :func:`author_keys`) that do the per-character
work once over all the texts joined together (``unicodedata.normalize``, ``re.sub`` and
``str.replace`` in C); the one-value functions call them and cache the result.

Clusters
--------
:func:`assign_work_keys` links records that share an ``isbn13`` or share (title key, author key,
language); clusters are the connected components of those links, so they are transitive. Keys
are readable and depend only on the cluster's content, never on row order:

* ``isbn:<smallest ISBN-13 in the cluster>``;
* else ``ta:<title key>|<author key>|<language>``;
* else (no ISBN and no title) ``row:<source>|<record_id>``: the record stands alone.

Work groups link translations to their originals through the uniform title (MARC 240/130 $a,
UNIMARC 500 $a) and the original language (MARC 041 $h, UNIMARC 101 $c); see
:func:`assign_work_keys` for the rules and their limits.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fundplanner.model import LIST_SEPARATOR

# --------------------------------------------------------------------------- Arabic folding

#: Code point ranges removed by :func:`fold_arabic` (Unicode 15, Arabic block U+0600–U+06FF).
ARABIC_REMOVED_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0610, 0x061A, "Quranic honorifics and small high letters"),
    (0x064B, 0x065F, "harakat: tanwin, fatha, damma, kasra, shadda, sukun, hamza/madda marks"),
    (0x0670, 0x0670, "superscript alef"),
    (0x06D6, 0x06DC, "Quranic annotation: small high ligatures"),
    (0x06DF, 0x06E8, "Quranic annotation: small high/low marks"),
    (0x06EA, 0x06ED, "Quranic annotation: empty centre stops, small low meem"),
    (0x0640, 0x0640, "tatweel (kashida)"),
)

#: Letter foldings of :func:`fold_arabic`: variant → plain letter.
ARABIC_LETTER_FOLDS: Mapping[str, str] = {
    "\u0622": "\u0627",  # آ alef with madda above → ا
    "\u0623": "\u0627",  # أ alef with hamza above → ا
    "\u0625": "\u0627",  # إ alef with hamza below → ا
    "\u0671": "\u0627",  # ٱ alef wasla → ا
    "\u0672": "\u0627",  # ٲ alef with wavy hamza above → ا
    "\u0673": "\u0627",  # ٳ alef with wavy hamza below → ا
    "\u0624": "\u0648",  # ؤ waw with hamza above → و (hamza carrier)
    "\u0626": "\u064a",  # ئ yeh with hamza above → ي (hamza carrier)
    "\u0629": "\u0647",  # ة teh marbuta → ه
    "\u0649": "\u064a",  # ى alef maksura → ي
    "\u06a9": "\u0643",  # ک keheh (Persian kaf) → ك
    "\u06cc": "\u064a",  # ی Farsi yeh → ي
    "\u06c0": "\u0647",  # ۀ heh with yeh above → ه
}

#: Arabic-Indic (U+0660–0669) and extended Arabic-Indic / Persian (U+06F0–06F9) digits.
ARABIC_DIGIT_FOLDS: Mapping[str, str] = {
    **{chr(0x0660 + d): str(d) for d in range(10)},
    **{chr(0x06F0 + d): str(d) for d in range(10)},
}


def _arabic_fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    for start, end, _why in ARABIC_REMOVED_RANGES:
        table.update(dict.fromkeys(range(start, end + 1)))
    for variant, plain in {**ARABIC_LETTER_FOLDS, **ARABIC_DIGIT_FOLDS}.items():
        table[ord(variant)] = plain
    return table


_ARABIC_FOLD = _arabic_fold_table()


def fold_arabic(text: str) -> str:
    """Fold Arabic-script spelling variants so that catalogue spellings compare equal.

    Removes harakat, Quranic marks and tatweel; folds أ إ آ ٱ → ا, ؤ → و, ئ → ي, ة → ه,
    ى → ي, Persian ک ی → ك ي; turns Arabic-Indic and Persian digits into ASCII digits. Other
    characters (Latin text included) are returned unchanged.
    """
    return text.translate(_ARABIC_FOLD)


# --------------------------------------------------------------------------- key text

#: Latin letters that NFKD does not decompose (they carry no combining mark), in lower case
#: because keys are casefolded first.
LATIN_LETTER_FOLDS: Mapping[str, str] = {
    "ø": "o",
    "đ": "d",
    "ł": "l",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
    "ı": "i",
    "ð": "d",
}


def _char_class(codes: Sequence[int]) -> str:
    """A regex character class body for a sorted list of code points, as ranges."""
    parts: list[str] = []
    start = previous = codes[0]
    for code in [*codes[1:], -2]:
        if code != previous + 1:
            parts.append(
                re.escape(chr(start)) + ("-" + re.escape(chr(previous)) if previous > start else "")
            )
            start = code
        previous = code
    return "".join(parts)


def _dropped_codes() -> list[int]:
    """Combining marks (Mn, Me), format characters (Cf: bidi marks, ZWNJ) of the BMP, and the
    Arabic marks and tatweel of :data:`ARABIC_REMOVED_RANGES`."""
    codes = {c for c in range(0x10000) if unicodedata.category(chr(c)) in ("Mn", "Me", "Cf")}
    for start, end, _why in ARABIC_REMOVED_RANGES:
        codes.update(range(start, end + 1))
    codes.discard(ord("\n"))
    return sorted(codes)


def _separator_codes() -> list[int]:
    """Punctuation (P*), symbols (S*), control characters and "_" of the BMP that are not
    whitespace: they become spaces. Whitespace is left to ``str.split``."""
    codes = {
        c
        for c in range(0x10000)
        if unicodedata.category(chr(c))[0] in "PSZC" and unicodedata.category(chr(c)) != "Cf"
    }
    codes = {c for c in codes if not chr(c).isspace() and not 0xD800 <= c <= 0xDFFF}
    codes.add(ord("_"))
    return sorted(codes)


@functools.cache
def _key_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(dropped characters, separator characters), compiled on first use (about 30 ms)."""
    dropped = re.compile(f"[{_char_class(_dropped_codes())}]+")
    separators = re.compile(f"[{_char_class(_separator_codes())}]+")
    return dropped, separators


_LETTER_FOLDS: tuple[tuple[str, str], ...] = tuple(
    {**ARABIC_LETTER_FOLDS, **ARABIC_DIGIT_FOLDS, **LATIN_LETTER_FOLDS}.items()
)


def _key_texts(texts: Sequence[str]) -> list[str]:
    """Matching text for each of ``texts``: NFKD, casefold, marks and format characters dropped
    (Latin accents, harakat), Arabic and Latin letters folded, non-letters → space, whitespace
    collapsed. The texts are processed joined by newlines, so each step runs once in C."""
    if not texts:
        return []
    joined = "\n".join(text.replace("\n", " ") for text in texts)
    dropped, separators = _key_patterns()
    joined = unicodedata.normalize("NFKD", joined).casefold()
    joined = dropped.sub("", joined)
    for variant, plain in _LETTER_FOLDS:
        if variant in joined:
            joined = joined.replace(variant, plain)
    joined = separators.sub(" ", joined)
    lines = joined.split("\n")
    if len(lines) != len(texts):  # pragma: no cover - a text held a character NFKD makes "\n"
        return [" ".join(_key_texts([text])[0].split()) for text in texts]
    return [" ".join(line.split()) for line in lines]


# --------------------------------------------------------------------------- title keys

#: Leading articles dropped from a title key (French, English). Only one is dropped.
LEADING_ARTICLES: tuple[str, ...] = ("le", "la", "les", "un", "une", "des", "the", "a", "an")
#: French elided article, with any apostrophe (U+0027, U+2019, U+02BC).
ELIDED_ARTICLE = "l"
APOSTROPHES = "'\u2019\u02bc"
#: Arabic definite article, dropped from the first word only when the word is longer than
#: 3 letters, so that short words keep their letters.
ARABIC_ARTICLE = "\u0627\u0644"
ARABIC_ARTICLE_MIN_WORD = 4
#: Words that start with the letters "ال" where they are not a removable article: الله, اللهم.
ARABIC_ARTICLE_EXCEPTIONS: frozenset[str] = frozenset(
    {"\u0627\u0644\u0644\u0647", "\u0627\u0644\u0644\u0647\u0645"}
)

_ARTICLE_RE = re.compile(
    rf"\W*(?:{ELIDED_ARTICLE}[{APOSTROPHES}]\s*"
    rf"|(?:{'|'.join(LEADING_ARTICLES)})[^\w{APOSTROPHES}]+)(?=\w)"
)
#: An article moved to the end, as filing forms do: "Misérables (Les)", "Étranger (L')",
#: "Hobbit, The".
_POSTPOSED_ARTICLE_RE = re.compile(
    rf"(?:\s*\((?:{ELIDED_ARTICLE}[{APOSTROPHES}]|{'|'.join(LEADING_ARTICLES)})\)"
    rf"|,\s*(?:{ELIDED_ARTICLE}[{APOSTROPHES}]|{'|'.join(LEADING_ARTICLES)}))\s*$"
)
#: ISBD separators after the title proper: ":" other title information, " = " parallel title,
#: " / " statement of responsibility (ISBD consolidated edition 2011, area 1).
_SUBTITLE_RE = re.compile(r":|\s=\s|\s/\s")
_WORD_RE = re.compile(r"\w")


def _title_head(title: str) -> str:
    """The title proper, casefolded, with the subtitle and one leading article removed.

    The article is matched before accents are stripped, so "À la recherche…" keeps "a la"."""
    if ":" in title or "=" in title or "/" in title:
        cut = _SUBTITLE_RE.search(title)
        if cut is not None and _WORD_RE.search(title, 0, cut.start()):
            title = title[: cut.start()]
    folded = title.casefold()
    article = _ARTICLE_RE.match(folded)  # requires a word after it: never empties the title
    if article:
        return folded[article.end() :]
    if folded.endswith((")", *LEADING_ARTICLES)):
        postposed = _POSTPOSED_ARTICLE_RE.search(folded)
        if postposed and _WORD_RE.search(folded, 0, postposed.start()):
            return folded[: postposed.start()]
    return folded


def _drop_arabic_article(key: str) -> str:
    """Drop "ال" from the first word when the word has more than 3 letters ("الايام" → "ايام")."""
    if not key.startswith(ARABIC_ARTICLE):
        return key
    first, _, rest = key.partition(" ")
    if len(first) < ARABIC_ARTICLE_MIN_WORD or first in ARABIC_ARTICLE_EXCEPTIONS:
        return key
    return f"{first[len(ARABIC_ARTICLE) :]} {rest}" if rest else first[len(ARABIC_ARTICLE) :]


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def normalise_titles(titles: Sequence[str | None]) -> list[str]:
    """:func:`normalise_title` of each title, computed in one batch."""
    heads = [_title_head(t) if isinstance(t, str) and t else "" for t in titles]
    keys = _key_texts(heads)
    return [_drop_arabic_article(k) if k.startswith(ARABIC_ARTICLE) else k for k in keys]


@functools.lru_cache(maxsize=1 << 16)
def _normalise_title_cached(title: str) -> str:
    return normalise_titles([title])[0]


def normalise_title(title: str | None) -> str:
    """The matching key of a title proper (MARC 245 $a, UNIMARC 200 $a); "" when there is none.

    Casefolded; Latin accents stripped (NFKD); Arabic folded (:func:`fold_arabic`); punctuation,
    ISBD marks and symbols removed; whitespace collapsed. One leading article is dropped (le,
    la, les, l', un, une, des, the, a, an: "L'Étranger" → "etranger", "The Hobbit" → "hobbit";
    "À la recherche…" keeps "la" because "à" is not an article; an article moved to the end
    by a filing form goes too: "Misérables (Les)", "Hobbit, The"), and "ال" is dropped from the
    first word when that word is longer than 3 letters ("الأمير الصغير" → "امير الصغير").
    The subtitle is not part of the key: text after ISBD ":" (other title information),
    " = " (parallel title) or " / " (statement of responsibility) is cut off, as spreadsheets
    often put them in the title cell.
    """
    if not _is_text(title):
        return ""
    assert isinstance(title, str)
    return _normalise_title_cached(title)


# --------------------------------------------------------------------------- author keys

#: Romanised Arabic article at the start of a surname: "al-Hakim", "el-Saadawi".
ROMANISED_ARTICLES: tuple[str, ...] = ("al", "el")
#: Name suffixes that are never the surname (natural-order names: "Martin Luther King Jr.").
NAME_SUFFIXES: frozenset[str] = frozenset({"jr", "sr", "ii", "iii", "iv", "fils", "pere"})

_BRACKETED_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_DIGITS_RE = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]+")
_NAME_COMMAS = ",\u060c"  # "," and the Arabic comma "،"
_LIST_SEPARATOR_RE = re.compile(re.escape(LIST_SEPARATOR.strip()))
_SUFFIX_RE = re.compile(r"^(?:" + "|".join(NAME_SUFFIXES) + r")\W*$", re.IGNORECASE)


def _surname_word(authors: str) -> str:
    """The first author's surname word, as written.

    The first name of the " ; "-joined list, without bracketed dates or roles and digits. In
    the inverted form (MARC 100 $a "Surname, Forenames", UNIMARC 700 $a), the surname is what
    precedes the first comma (Latin or Arabic); in the natural form ("Antoine de
    Saint-Exupéry", "نجيب محفوظ") it is the last word, skipping suffixes such as "Jr.". Of the
    surname, the last space-separated word is kept (hyphenated surnames are one word).
    """
    first = next((part for part in _LIST_SEPARATOR_RE.split(authors) if part.strip()), "")
    name = _DIGITS_RE.sub(" ", _BRACKETED_RE.sub(" ", first))
    for comma in _NAME_COMMAS:
        before = name.split(comma, 1)[0]
        if comma in name and before.strip():
            return before.split()[-1]
    words = name.split()
    while len(words) > 1 and _SUFFIX_RE.match(words[-1]):
        words.pop()
    return words[-1] if words else ""


def _author_key_from_text(key: str) -> str:
    words = key.split()
    while len(words) > 1 and words[0] in ROMANISED_ARTICLES:
        words = words[1:]  # "al-Hakim" → "hakim"
    return _drop_arabic_article(" ".join(words))


def author_keys(authors: Sequence[str | None]) -> list[str]:
    """:func:`author_key` of each authors cell, computed in one batch."""
    surnames = [_surname_word(a) if isinstance(a, str) and a else "" for a in authors]
    return [_author_key_from_text(key) for key in _key_texts(surnames)]


@functools.lru_cache(maxsize=1 << 16)
def _author_key_cached(authors: str) -> str:
    return author_keys([authors])[0]


def author_key(authors: str | None) -> str:
    """The matching key of the first author's surname; "" when there is no author.

    ``authors`` is the canonical " ; "-joined list (MARC 100/700 $a, UNIMARC 700/701 $a $b).
    Rule: take the first author; ignore bracketed dates/roles and digits; the surname is what
    precedes the first comma of an inverted name, else the last word of a natural-order name;
    keep the last space-separated word of that surname (a hyphenated surname is one word); key
    it like a title; drop a leading romanised "al-"/"el-" and the Arabic "ال". So both orders
    give one key: "Saint-Exupéry, Antoine de" and "Antoine de Saint-Exupéry" → "saint
    exupery"; "La Fontaine, Jean de" and "Jean de La Fontaine" → "fontaine"; "Hakim, Tawfiq
    al-" and "Tawfiq al-Hakim" → "hakim"; "توفيق الحكيم" and "الحكيم، توفيق" → "حكيم".

    Limits: a surname of several unhyphenated words keeps only its last one ("García Márquez"
    → "marquez"), which makes the key a little less selective; a name written in Arabic script
    never matches its romanisation ("نجيب محفوظ" ≠ "Mahfouz, Naguib").
    """
    if not _is_text(authors):
        return ""
    assert isinstance(authors, str)
    return _author_key_cached(authors)


# --------------------------------------------------------------------------- components

Links = tuple[np.ndarray, np.ndarray]


def _components(n_nodes: int, link_sets: Sequence[Links]) -> np.ndarray:
    """Connected components of ``n_nodes`` nodes joined through hubs.

    Each link set is (nodes, hubs): the node ``nodes[k]`` touches the hub ``hubs[k]`` (hub ids
    are small integers, one namespace per set), and all the nodes on one hub are linked. Min-label
    propagation with pointer jumping, vectorised with numpy; returns one component id per node.
    """
    label = np.arange(n_nodes, dtype=np.int64)
    while True:
        previous = label.copy()
        for nodes, hubs in link_sets:
            if len(nodes) == 0:
                continue
            hub_min = np.full(int(hubs.max()) + 1, n_nodes, dtype=np.int64)
            np.minimum.at(hub_min, hubs, label[nodes])
            np.minimum.at(label, nodes, hub_min[hubs])
        while True:  # a node's label is a node of its component: follow it to the smallest
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        if np.array_equal(label, previous):
            return label


def _hub_links(keys: Sequence[str | None]) -> Links:
    """Link set joining the rows that share a non-null key."""
    codes, _uniques = pd.factorize(np.asarray(keys, dtype=object), use_na_sentinel=True)
    rows = np.flatnonzero(codes >= 0)
    return rows, codes[rows].astype(np.int64)


def _shared_key_links(*columns: Sequence[str | None]) -> Links:
    """Link set joining the rows that share a non-null key in any of ``columns`` (one
    namespace: a key of one column links to the same key in another)."""
    rows = [row for column in columns for row, key in enumerate(column) if key is not None]
    keys = [key for column in columns for key in column if key is not None]
    codes, _uniques = pd.factorize(np.asarray(keys, dtype=object))
    return np.asarray(rows, dtype=np.int64), codes.astype(np.int64)


def _smallest_per_component(
    component: np.ndarray, *columns: Sequence[str | None]
) -> list[list[str | None]]:
    """For each column and each row, the smallest non-null value of that column among the rows
    of the row's component. A row alone in its component keeps its own value, so only the rows
    of shared components are compared."""
    sizes = np.bincount(component, minlength=len(component))
    shared_rows = np.flatnonzero(sizes[component] > 1)
    shared = list(zip(shared_rows.tolist(), component[shared_rows].tolist(), strict=True))
    results = []
    for values in columns:
        smallest: dict[int, str] = {}
        for row, comp in shared:
            value = values[row]
            if value is not None and (comp not in smallest or value < smallest[comp]):
                smallest[comp] = value
        result = list(values)
        for row, comp in shared:
            result[row] = smallest.get(comp)
        results.append(result)
    return results


# --------------------------------------------------------------------------- work keys

UNKNOWN_LANGUAGE = "und"
#: The columns this module fills (ignored when a row's content is digested).
WORK_COLUMNS: tuple[str, ...] = ("work_key", "work_group")
#: A cross-script match (rule 3 of :func:`assign_work_keys`) needs a uniform title key of at
#: least this many words, so that one-word titles ("Germinal", "Contes") never link on title alone.
CROSS_SCRIPT_MIN_WORDS = 2


def _text_column(frame: pd.DataFrame, name: str) -> list[str]:
    """Column ``name`` as plain strings ("" for missing values or an absent column). Not
    stripped: the key functions ignore outer whitespace, and codes are stripped where read."""
    if name not in frame:
        return [""] * len(frame)
    column = frame[name]
    if column.dtype != "string":
        column = column.astype("string")
    values: list[str] = column.fillna("").tolist()
    return values


def _mapped(values: list[str], batch_function: Callable[[list[str]], list[str]]) -> list[str]:
    """``batch_function`` applied once per distinct value (titles repeat across sources)."""
    distinct = list(dict.fromkeys(values))
    results = dict(zip(distinct, batch_function(distinct), strict=True))
    return [results[v] for v in values]


def _standalone_labels(frame: pd.DataFrame, rows: list[int]) -> dict[int, str]:
    """``source|record_id`` for the rows that have neither ISBN nor title; a label that repeats
    gets "#" and a digest of the row's content, so that it is unique without depending on
    row order."""
    sources = _text_column(frame, "source")
    ids = _text_column(frame, "record_id")
    labels = {row: f"{sources[row]}|{ids[row]}" for row in rows}
    counts: dict[str, int] = {}
    for label in labels.values():
        counts[label] = counts.get(label, 0) + 1
    columns = [_text_column(frame, c) for c in frame.columns if c not in WORK_COLUMNS]
    for row, label in labels.items():
        if counts[label] > 1:
            content = "\x1f".join(column[row] for column in columns)
            labels[row] = f"{label}#{hashlib.sha1(content.encode('utf-8')).hexdigest()[:10]}"
    return labels


@dataclass(frozen=True)
class WorkKeyInputs:
    """The matching keys of each row of a candidate table, in row order.

    They depend on one row each (not on the language, which the parent of a parallel ingest
    may still change), so each ingest worker computes them for its own rows
    (:func:`row_keys`) and :func:`assign_work_keys` only links the clusters.
    """

    #: :func:`normalise_title` of ``title`` (MARC 245 $a, UNIMARC 200 $a).
    titles: list[str]
    #: :func:`author_key` of ``authors`` (MARC 100/700 $a, UNIMARC 700/701 $a).
    authors: list[str]
    #: :func:`normalise_title` of ``uniform_title`` (MARC 240/130 $a, UNIMARC 500 $a).
    uniform_titles: list[str]

    def __len__(self) -> int:
        return len(self.titles)

    @classmethod
    def joined(cls, parts: Sequence[WorkKeyInputs]) -> WorkKeyInputs:
        """The keys of the tables of ``parts`` put one after the other (``pd.concat``)."""
        return cls(
            titles=[key for part in parts for key in part.titles],
            authors=[key for part in parts for key in part.authors],
            uniform_titles=[key for part in parts for key in part.uniform_titles],
        )


def row_keys(frame: pd.DataFrame) -> WorkKeyInputs:
    """The matching keys of each row of ``frame`` (a candidate table), each distinct text
    keyed once (:func:`normalise_titles`, :func:`author_keys`)."""
    return WorkKeyInputs(
        titles=_mapped(_text_column(frame, "title"), normalise_titles),
        authors=_mapped(_text_column(frame, "authors"), author_keys),
        uniform_titles=_mapped(_text_column(frame, "uniform_title"), normalise_titles),
    )


def assign_work_keys(frame: pd.DataFrame, keys: WorkKeyInputs | None = None) -> pd.DataFrame:
    """A copy of the candidate table with ``work_key`` and ``work_group`` filled.

    ``keys`` are the rows' matching keys when they were computed already (:func:`row_keys`:
    a parallel ingest computes them in its workers); by default they are computed here.

    **work_key** (same edition, or same work in the same language): records are linked when they
    share an ``isbn13``, or share (:func:`normalise_title` of ``title``, :func:`author_key` of
    ``authors``, ``language``) with a non-empty title key; clusters are transitive. The key is
    ``isbn:<smallest ISBN-13>``, else ``ta:<title key>|<author key>|<language>``, else
    ``row:<source>|<record_id>`` for a record with neither ISBN nor title. A missing language
    counts as ``und``.

    **work_group** (translations of one work): a translation is a record whose
    ``original_language`` (MARC 041 $h, UNIMARC 101 $c) is set and differs from ``language``,
    and whose ``uniform_title`` (MARC 240/130 $a, UNIMARC 500 $a) gives the original title. Its
    cluster joins

    1. the clusters holding a record whose (title key, author key, language) equals (uniform
       title key, the translation's author key, its original language): the original;
    2. the other translations with the same (uniform title key, author key, original
       language), even when no original is in the table;
    3. cross-script fallback: when the translation's author key and the original's are in
       different scripts (an Arabic edition credits "أنطوان دو سانت إكزوبيري", the French one
       "Saint-Exupéry"), the records in the original language with that title key, provided
       exactly one author key carries that title in that language and the title key has at least
       :data:`CROSS_SCRIPT_MIN_WORDS` words. Names are not transliterated, so a one-word title
       ("Germinal") or a title two authors share stays unlinked across scripts.

    The group is named after the smallest work_key of its records in an original language its
    translations name (else of its non-translation records, else of all), so it reads as the
    original edition; a work with no translation keeps its work_key as its work_group.
    """
    out = frame.copy(deep=False)  # copy-on-write: the caller's frame is never modified
    n_rows = len(out)
    if n_rows == 0:
        out["work_key"] = pd.Series(dtype="string")
        out["work_group"] = pd.Series(dtype="string")
        return out
    if keys is None:
        keys = row_keys(out)
    elif len(keys) != n_rows:
        raise ValueError(f"{len(keys)} rows of work key inputs for a table of {n_rows} rows")

    languages = [lang.strip() or UNKNOWN_LANGUAGE for lang in _text_column(out, "language")]
    ta_keys: list[str | None] = [
        f"{t}|{a}|{lang}" if t else None
        for t, a, lang in zip(keys.titles, keys.authors, languages, strict=True)
    ]
    work_keys = _work_keys(out, ta_keys)
    out["work_key"] = pd.Series(work_keys, index=out.index, dtype="string")
    out["work_group"] = pd.Series(
        _work_groups(out, keys, languages, ta_keys, work_keys), index=out.index, dtype="string"
    )
    return out


def _work_keys(frame: pd.DataFrame, ta_keys: list[str | None]) -> list[str]:
    """Each row's work_key: clusters linked by ISBN-13 or by (title, author, language) key."""
    n_rows = len(frame)
    isbns: list[str | None] = [
        i.replace("-", "").strip() or None for i in _text_column(frame, "isbn13")
    ]
    clusters = _components(n_rows, [_hub_links(isbns), _hub_links(ta_keys)])
    smallest_isbn, smallest_ta = _smallest_per_component(clusters, isbns, ta_keys)
    standalone = [r for r in range(n_rows) if smallest_isbn[r] is None and smallest_ta[r] is None]
    labels = _standalone_labels(frame, standalone) if standalone else {}
    return [
        f"isbn:{isbn}" if isbn else f"ta:{ta}" if ta else f"row:{labels[row]}"
        for row, (isbn, ta) in enumerate(zip(smallest_isbn, smallest_ta, strict=True))
    ]


def _work_groups(
    frame: pd.DataFrame,
    keys: WorkKeyInputs,
    languages: list[str],
    ta_keys: list[str | None],
    work_keys: list[str],
) -> list[str]:
    """Each row's work_group (rules 1-3 of :func:`assign_work_keys`).

    Without a translation in the table every group is one work_key (only translations link
    work_keys), so the work_keys are returned as they are.
    """
    n_rows = len(frame)
    uniform = keys.uniform_titles
    if not any(uniform):  # a translation needs a uniform title
        return list(work_keys)
    originals = [lang.strip() for lang in _text_column(frame, "original_language")]
    translated = [
        bool(orig) and orig != lang and bool(u)
        for orig, lang, u in zip(originals, languages, uniform, strict=True)
    ]
    if not any(translated):
        return list(work_keys)
    original_identity = [
        f"{u}|{a}|{orig}" if is_t else None
        for u, a, orig, is_t in zip(uniform, keys.authors, originals, translated, strict=True)
    ]
    cross_identity = _cross_script_identities(
        keys.titles, keys.authors, languages, uniform, originals, translated
    )
    shared = _shared_key_links(ta_keys, original_identity, cross_identity)
    groups = _components(n_rows, [_hub_links(work_keys), shared])
    return _group_names(groups, work_keys, languages, originals, translated)


def _group_names(
    groups: np.ndarray,
    work_keys: list[str],
    languages: list[str],
    originals: list[str],
    translated: list[bool],
) -> list[str]:
    """Each row's group name: the smallest work_key of the group's records in an original
    language named by its translations, else of its non-translation records, else of all."""
    group_ids = groups.tolist()
    original_languages: dict[int, set[str]] = {}
    for group, original, is_t in zip(group_ids, originals, translated, strict=True):
        if is_t:
            original_languages.setdefault(group, set()).add(original)
    in_original_language = [
        key if not is_t and lang in original_languages.get(group, ()) else None
        for key, lang, group, is_t in zip(work_keys, languages, group_ids, translated, strict=True)
    ]
    untranslated = [None if is_t else key for key, is_t in zip(work_keys, translated, strict=True)]
    first, second, third = _smallest_per_component(
        groups, in_original_language, untranslated, work_keys
    )
    return [a or b or c or "" for a, b, c in zip(first, second, third, strict=True)]


def _script(key: str) -> str:
    """ "arab" when the key's first letter is Arabic, "latn" when it is Latin, else ""."""
    for char in key:
        if "\u0600" <= char <= "\u06ff":
            return "arab"
        if char.isascii() and char.isalpha():
            return "latn"
    return ""


def _cross_script_identities(
    titles: list[str],
    authors: list[str],
    languages: list[str],
    uniform: list[str],
    originals: list[str],
    translated: list[bool],
) -> list[str | None]:
    """Rule 3 of :func:`assign_work_keys`: for each translation whose author key is in another
    script than the only author key that carries its uniform title in the original language,
    the identity of that original work; None elsewhere."""
    identities: list[str | None] = [None] * len(titles)
    if not any(translated):
        return identities
    wanted = {(uniform[r], originals[r]) for r, is_t in enumerate(translated) if is_t}
    authors_of: dict[tuple[str, str], set[str]] = {}
    for title, author, lang, is_t in zip(titles, authors, languages, translated, strict=True):
        if not is_t and (title, lang) in wanted:
            authors_of.setdefault((title, lang), set()).add(author)
    for row, is_t in enumerate(translated):
        if not is_t or len(uniform[row].split()) < CROSS_SCRIPT_MIN_WORDS:
            continue
        candidates = authors_of.get((uniform[row], originals[row]), set())
        if len(candidates) != 1:
            continue
        (candidate,) = candidates
        if {_script(authors[row]), _script(candidate)} == {"arab", "latn"}:
            identities[row] = f"{uniform[row]}|{candidate}|{originals[row]}"
    return identities


__all__ = [
    "WorkKeyInputs",
    "assign_work_keys",
    "author_key",
    "author_keys",
    "fold_arabic",
    "normalise_title",
    "normalise_titles",
    "row_keys",
]
