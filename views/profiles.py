"""Profiles and premises: the library's audiences, categories and language split, its zones
and furniture; the targets per cell and the shelf capacity are recomputed as you type, and
saved only when you say so."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from fundplanner import premises as premises_module
from fundplanner import profiles, targets, workspace
from fundplanner.classify import CATEGORIES, UNCLASSIFIED
from fundplanner.errors import FundplannerError
from fundplanner.model import PROJECT_LANGUAGES
from ui import common, data, documents, records
from ui.common import col, label, md, tr

context = common.current()
path, version = context.path, context.version
NONCE = "profiles_nonce"


def pick(kind: str, found: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any], int | None]:
    """The document to edit: the project's only one, or the one chosen; a new one from the
    generic template (profile) or empty (premises) when the project has none."""
    if not found:
        if kind == "profile":
            template = profiles.load_profile(profiles.GENERIC_PROFILE).to_mapping()
            return str(template["name"]), template, None
        return tr("profiles.new_premises"), {"name": tr("profiles.new_premises"), "zones": {}}, None
    names = list(found)
    name = names[0]
    if len(names) > 1:
        name = st.selectbox(tr(f"profiles.choose_{kind}"), names, key=f"choose_{kind}")
    row = found[name]
    return held(kind, name, dict(row["data"]), int(row["version"]))


def held(
    kind: str, name: str, stored: dict[str, Any], saved: int
) -> tuple[str, dict[str, Any], int]:
    """The document as it was when the editing started, kept until it is saved or discarded:
    someone else's save meanwhile does not wipe the edits in progress (saving them is then
    refused as a stale write, with the other person's name)."""
    key = f"_document:{kind}"
    kept = st.session_state.get(key)
    if kept is None or kept[0] != name:
        kept = (name, stored, saved)
        st.session_state[key] = kept
    if kept[2] != saved:
        st.warning(tr("profiles.newer_saved"))
    return kept[0], dict(kept[1]), int(kept[2])


def category_choices(document: dict[str, Any], audience: str) -> list[str]:
    """The categories a profile may name (the non-fiction group and every category the
    catalogues know), and any other the document already has (kept, so that it shows)."""
    known = [profiles.NONFICTION_GROUP, *(c for c in CATEGORIES if c != UNCLASSIFIED)]
    present = documents.categories_frame(document, audience)["category"].dropna()
    return [*known, *(str(c) for c in present if c not in known)]


def forget_documents(*kinds: str) -> None:
    """Read the documents again from the project on the next run."""
    for kind in kinds:
        st.session_state.pop(f"_document:{kind}", None)


def editor(frame: pd.DataFrame, key: str, **options: Any) -> pd.DataFrame:
    """A table of the document in an editor (read-only for viewers)."""
    options.setdefault("disabled", False)
    if not context.can_edit:
        options["disabled"] = True
    options.setdefault("placeholder", common.empty())
    return pd.DataFrame(st.data_editor(frame, key=key, hide_index=True, **options))


with common.guarded():
    st.title(tr("profiles.title"))
    st.caption(tr("profiles.intro"))
    nonce = int(st.session_state.get(NONCE, 0))
    profile_tab, premises_tab = st.tabs([tr("profiles.profile_tab"), tr("profiles.premises_tab")])

    with profile_tab:
        name, stored, profile_version = pick("profile", data.documents(path, "profile", version))
        base = f"{name}:{profile_version}:{nonce}"
        draft = dict(stored)
        figures = [k for k in ("official", "de_facto") if k in (stored.get("population") or {})]
        if figures:
            served = (stored.get("population") or {}).get("served", figures[0])
            chosen = st.radio(
                tr("profiles.population"),
                figures,
                index=figures.index(served) if served in figures else 0,
                format_func=common.formatting(
                    lambda f: tr(
                        f"profiles.population_{f}",
                        count=common.number((stored.get("population") or {}).get(f)),
                    )
                ),
                horizontal=True,
                key=f"served:{base}",
                disabled=not context.can_edit,
            )
            draft = documents.with_population(draft, str(chosen))
        st.markdown(f"**{tr('profiles.language_split')}**")
        split = documents.languages(stored)
        cells = st.columns(len(PROJECT_LANGUAGES))
        shares = {
            code: cells[i].number_input(
                common.language_name(code),
                min_value=0.0,
                max_value=100.0,
                value=float(split[code]),
                step=1.0,
                key=f"split:{code}:{base}",
                disabled=not context.can_edit,
            )
            for i, code in enumerate(PROJECT_LANGUAGES)
        }
        draft = documents.with_languages(draft, shares)
        st.markdown(f"**{tr('profiles.audiences')}**")
        st.caption(tr("profiles.audiences_help"))
        audiences = editor(
            documents.audiences_frame(stored),
            f"audiences:{base}",
            disabled=["audience"] if context.can_edit else True,
            column_config={
                "audience": st.column_config.TextColumn(col("audience")),
                "label": st.column_config.TextColumn(col("label")),
                "share": st.column_config.NumberColumn(tr("profiles.share"), min_value=0),
                "priority": st.column_config.NumberColumn(tr("profiles.priority"), min_value=0),
                **{
                    code: st.column_config.NumberColumn(common.language_name(code), min_value=0)
                    for code in PROJECT_LANGUAGES
                },
            },
        )
        draft = documents.with_audiences(draft, audiences)
        names = documents.names(stored, "audiences")
        if names:
            st.markdown(f"**{tr('profiles.categories')}**")
            for tab, audience in zip(
                st.tabs([label("audience", a) for a in names]), names, strict=True
            ):
                with tab:
                    edited = editor(
                        documents.categories_frame(stored, audience),
                        f"categories:{audience}:{base}",
                        num_rows="dynamic",
                        column_config={
                            "category": records.code_column(
                                col("category"),
                                "category",
                                category_choices(stored, audience),
                            ),
                            "share": st.column_config.NumberColumn(
                                tr("profiles.share"), min_value=0
                            ),
                        },
                    )
                    draft = documents.with_categories(draft, audience, edited)

    with premises_tab:
        pname, pstored, premises_version = pick(
            "premises", data.documents(path, "premises", version)
        )
        pbase = f"{pname}:{premises_version}:{nonce}"
        zones = editor(
            documents.zones_frame(pstored),
            f"zones:{pbase}",
            num_rows="dynamic",
            column_config={
                "zone": st.column_config.TextColumn(tr("profiles.zone")),
                "label": st.column_config.TextColumn(col("label")),
                "audiences": st.column_config.TextColumn(tr("profiles.zone_audiences")),
                "categories": st.column_config.TextColumn(tr("profiles.zone_categories")),
                "fill_ratio": st.column_config.NumberColumn(
                    tr("profiles.fill_ratio"), min_value=0.0, max_value=1.0, step=0.05
                ),
            },
        )
        pdraft = documents.with_zones(pstored, zones)
        zone_names = documents.names(pdraft, "zones")
        if zone_names:
            st.markdown(f"**{tr('profiles.furniture')}**")
            st.caption(tr("profiles.furniture_help"))
            for tab, zone in zip(st.tabs(zone_names), zone_names, strict=True):
                with tab:
                    edited = editor(
                        documents.furniture_frame(pstored, zone),
                        f"furniture:{zone}:{pbase}",
                        num_rows="dynamic",
                        column_config={
                            "label": st.column_config.TextColumn(col("label")),
                            "bays": st.column_config.NumberColumn(tr("profiles.bays"), min_value=0),
                            "faces": st.column_config.NumberColumn(
                                tr("profiles.faces"), min_value=1, max_value=2
                            ),
                            "shelves": st.column_config.NumberColumn(
                                tr("profiles.shelves"), min_value=1
                            ),
                            "shelf_cm": st.column_config.NumberColumn(
                                tr("profiles.shelf_cm"), min_value=0
                            ),
                            "bins": st.column_config.NumberColumn(tr("profiles.bins"), min_value=0),
                            "holds": st.column_config.TextColumn(tr("profiles.holds")),
                        },
                    )
                    pdraft = documents.with_furniture(pdraft, zone, edited)

    st.header(tr("profiles.results"))
    result: targets.TargetResult | None
    try:
        profile = profiles.load_profile(draft, source=f"profile {name!r}")
        premises = (
            premises_module.load_premises(pdraft, source=f"premises {pname!r}")
            if pdraft.get("zones")
            else None
        )
        result = targets.compute_targets(profile, premises)
    except FundplannerError as exc:
        common.show_error(exc)
        result = None

    if result is not None:
        for problem in result.problems:
            (st.error if problem.severity.value == "error" else st.warning)(md(problem.message))
        if result.size is not None:
            cols = st.columns(3)
            cols[0].metric(tr("profiles.size"), common.number(result.size.opening_stock))
            cols[1].metric(tr("profiles.served"), common.number(result.size.served_population))
            cols[2].metric(
                tr("profiles.planned"), common.number(int(result.targets["target"].sum()))
            )
        if not result.targets.empty:
            table = result.targets.pivot_table(
                index="audience", columns="language", values="target", aggfunc="sum", sort=False
            ).fillna(0)
            table.index = [label("audience", a) for a in table.index]
            table.columns = [common.language_name(c) for c in table.columns]
            st.subheader(tr("profiles.targets"))
            st.dataframe(table.astype(int))
        if not result.capacity.empty:
            st.subheader(tr("profiles.capacity"))
            capacity = result.capacity
            st.dataframe(
                pd.DataFrame(
                    {
                        tr("profiles.zone"): capacity["zone"],
                        col("label"): capacity["label"],
                        tr("profiles.capacity_items"): capacity["capacity_items"].round(0),
                        tr("profiles.uncapped"): capacity["uncapped"],
                        col("target"): capacity["target"],
                    }
                ),
                hide_index=True,
            )

    if context.can_edit:
        left, middle, right = st.columns(3)
        if left.button(tr("profiles.save_profile"), type="primary", key="save_profile"):
            workspace.save_document(
                path, "profile", name, draft, expected_version=profile_version, user=context.user
            )
            common.flash("success", tr("profiles.saved", name=md(name)))
            forget_documents("profile")
            st.rerun()
        if middle.button(tr("profiles.save_premises"), key="save_premises"):
            workspace.save_document(
                path,
                "premises",
                pname,
                pdraft,
                expected_version=premises_version,
                user=context.user,
            )
            common.flash("success", tr("profiles.saved", name=md(pname)))
            forget_documents("premises")
            st.rerun()
        if right.button(tr("profiles.reset"), key="reset_documents"):
            st.session_state[NONCE] = nonce + 1
            forget_documents("profile", "premises")
            st.rerun()
    else:
        common.need_editor(context)
