"""Altair charts of the dashboard. Each takes a small frame whose labels are already in the
reader's language, and the axis titles; none reads the project itself."""

from __future__ import annotations

import altair as alt
import pandas as pd


def coverage_heatmap(
    frame: pd.DataFrame, *, audience: str, category: str, language: str, covered: str
) -> alt.FacetChart:
    """Share of each cell's target that the plan covers: category (rows) × audience (columns),
    one panel per language (columns audience_label, category_label, language_label, coverage,
    target, selected), in the frame's order."""
    base = alt.Chart(frame).mark_rect(stroke="white")
    order = {name: list(dict.fromkeys(frame[name])) for name in frame.columns}
    return (
        base.encode(
            x=alt.X(
                "audience_label:N",
                title=audience,
                sort=order["audience_label"],
                axis=alt.Axis(labelAngle=-35, labelLimit=120, labelOverlap=False),
            ),
            y=alt.Y(
                "category_label:N",
                title=category,
                sort=order["category_label"],
                axis=alt.Axis(labelLimit=260, labelOverlap=False),
            ),
            color=alt.Color(
                "coverage:Q",
                title=covered,
                scale=alt.Scale(domain=[0, 1], scheme="redyellowgreen"),
            ),
            tooltip=[
                alt.Tooltip("audience_label:N", title=audience),
                alt.Tooltip("category_label:N", title=category),
                alt.Tooltip("language_label:N", title=language),
                alt.Tooltip("target:Q"),
                alt.Tooltip("selected:Q"),
                alt.Tooltip("coverage:Q", title=covered, format=".0%"),
            ],
        )
        .properties(width=alt.Step(40), height=alt.Step(16))
        .facet(column=alt.Column("language_label:N", title=language, sort=order["language_label"]))
    )


def grouped_bars(
    frame: pd.DataFrame, *, category: str, series: str, value: str, title_x: str, title_y: str
) -> alt.Chart:
    """Bars of ``value`` per ``category``, one bar per ``series`` side by side."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{category}:N", title=title_x, sort=None),
            xOffset=alt.XOffset(f"{series}:N", sort=None),
            y=alt.Y(f"{value}:Q", title=title_y),
            color=alt.Color(f"{series}:N", title=None, sort=None),
            tooltip=[f"{category}:N", f"{series}:N", alt.Tooltip(f"{value}:Q", format=",.0f")],
        )
        .properties(height=260)
    )


def stacked_bars(
    frame: pd.DataFrame, *, side: str, part: str, value: str, title_y: str
) -> alt.Chart:
    """One bar per ``side`` (uses, sources) stacked by ``part`` (kind of use or of source)."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{side}:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(f"{value}:Q", title=title_y, stack="zero"),
            color=alt.Color(f"{part}:N", title=None),
            tooltip=[f"{side}:N", f"{part}:N", alt.Tooltip(f"{value}:Q", format=",.0f")],
        )
        .properties(height=300)
    )


def timeline(frame: pd.DataFrame, *, title: str) -> alt.Chart:
    """A Gantt chart: one bar per row from ``start`` to ``end`` (dates), labelled ``label``,
    coloured by ``group``; a row without an end is one day long."""
    data = frame.copy()
    data["start"] = pd.to_datetime(data["start"])
    data["end"] = pd.to_datetime(data["end"]).fillna(data["start"]) + pd.Timedelta(days=1)
    return (
        alt.Chart(data.dropna(subset=["start"]))
        .mark_bar(cornerRadius=3)
        .encode(
            x=alt.X("start:T", title=title),
            x2="end:T",
            y=alt.Y("label:N", title=None, sort=None),
            color=alt.Color("group:N", title=None),
            tooltip=["label:N", "group:N", "start:T", "end:T"],
        )
        .properties(height=max(120, 36 * len(data)))
    )


def milestones(frame: pd.DataFrame, *, title: str) -> alt.Chart:
    """The agreement's steps on a time axis (``date``), coloured by ``status``, labelled."""
    data = frame.copy()
    data["date"] = pd.to_datetime(data["date"])
    data = data.dropna(subset=["date"])
    points = (
        alt.Chart(data)
        .mark_point(filled=True, size=160)
        .encode(
            x=alt.X("date:T", title=title),
            y=alt.Y("label:N", title=None, sort=None),
            color=alt.Color("status:N", title=None),
            tooltip=["label:N", "status:N", "date:T"],
        )
    )
    return points.properties(height=max(120, 40 * len(data)))
