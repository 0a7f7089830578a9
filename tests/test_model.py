"""The canonical table built from row dicts: one column at a time, as :func:`conform` types it."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fundplanner.model import (
    CANDIDATE_COLUMNS,
    CANDIDATE_SCHEMA,
    conform,
    empty_candidates,
    to_candidate_frame,
)

#: What a reader or a caller may put in a row: text (with Arabic and NUL), numbers, numeric
#: text, NaN, booleans, nothing.
CELLS = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    st.sampled_from(["12", "3.5", " 7 ", "abc", "", "كتاب", "\x00x"]),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=False, width=32),
    st.booleans(),
)
ROWS = st.lists(
    st.dictionaries(st.sampled_from(CANDIDATE_COLUMNS), CELLS, max_size=8), min_size=1, max_size=6
)


def _by_conform(rows: list[dict[str, object]]) -> pd.DataFrame:
    """The reference: each column's cells as they are (object dtype: pandas' records
    constructor would turn the whole numbers of a column with a gap into floats, "12" into
    "12.0"), typed by :func:`conform`."""
    cells = {
        name: pd.Series([row.get(name) for row in rows], dtype=object) for name in CANDIDATE_COLUMNS
    }
    return conform(pd.DataFrame(cells))


def _outcome(build, rows):  # type: ignore[no-untyped-def]
    try:
        return build(rows), None
    except (TypeError, ValueError) as exc:
        return None, type(exc)


@settings(max_examples=300, deadline=None)
@given(ROWS)
def test_rows_become_the_table_that_conform_makes(rows: list[dict[str, object]]) -> None:
    """Whatever the cells, the column-wise build gives the table :func:`conform` makes of
    them, or refuses the same rows with the same kind of error (a fraction in a whole-number
    column)."""
    ours, our_error = _outcome(to_candidate_frame, rows)
    reference, reference_error = _outcome(_by_conform, rows)
    assert our_error == reference_error
    if ours is not None:
        pd.testing.assert_frame_equal(ours, reference)


@pytest.mark.parametrize(
    ("column", "cells", "expected"),
    [
        (
            "title",
            ["Le Petit Prince", None, "الأمير الصغير"],
            ["Le Petit Prince", None, "الأمير الصغير"],
        ),
        ("record_id", [12, None], ["12", None]),  # a number in a text column: its text, not "12.0"
        ("title", [math.nan, "x"], [None, "x"]),  # NaN (an empty spreadsheet cell) is missing
        ("year", [1998, None], [1998, None]),
        ("year", ["2004", "s.d."], [2004, None]),  # numeric text read, other text missing
        ("price", [12.5, None, 3], [12.5, None, 3.0]),
    ],
)
def test_columns_are_typed_by_the_schema(column: str, cells: list, expected: list) -> None:
    frame = to_candidate_frame([{column: cell} for cell in cells])
    assert list(frame.columns) == list(CANDIDATE_COLUMNS)
    assert str(frame[column].dtype) == CANDIDATE_SCHEMA[column]
    assert [None if value is pd.NA else value for value in frame[column].tolist()] == expected


def test_a_fraction_in_a_whole_number_column_is_refused() -> None:
    with pytest.raises(TypeError):
        to_candidate_frame([{"pages": 12.5}])


def test_no_rows_give_the_empty_table() -> None:
    pd.testing.assert_frame_equal(to_candidate_frame([]), empty_candidates())


@pytest.mark.parametrize(
    ("rows", "column", "expected"),
    [
        # same number of keys, other keys: nothing is read from the wrong column
        ([{"title": "a", "year": 1990}, {"title": "b", "pages": 3}], "year", [1990, None]),
        ([{"title": "a", "year": 1990}, {"title": "b", "pages": 3}], "pages", [None, 3]),
        ([{"title": "a"}, {"title": "b", "year": 2001}], "year", [None, 2001]),  # other sizes
        ([{"title": "a"}, {"title": "b"}], "title", ["a", "b"]),  # one key each
        ([{}, {}], "title", [None, None]),
    ],
)
def test_rows_with_other_keys_keep_their_columns(rows: list, column: str, expected: list) -> None:
    frame = to_candidate_frame(rows)
    assert [None if value is pd.NA else value for value in frame[column].tolist()] == expected
