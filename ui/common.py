"""What every dashboard page shares: the language, the project, the user, errors and notices.

``app.py`` calls :func:`setup` once per run (before ``st.navigation`` runs the page); a page
then reads the run's :class:`Context` with :func:`current`. Strings come from the message
catalogues (``fundplanner/i18n``, table ``[ui]``) through :func:`tr`; nothing here renders user
data as HTML: the only HTML is the constant right-to-left style block of :data:`RTL_CSS`.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from fundplanner import i18n, project, store, workspace
from fundplanner.errors import FundplannerError
from ui import auth

APP_DIR = Path(__file__).resolve().parents[1]
PROJECT_VARIABLE = "FUNDPLANNER_PROJECT"
LANG_VARIABLE = "FUNDPLANNER_LANG"
DEFAULT_PROJECT = APP_DIR / "out" / "alram.fundplan"
DEFAULT_LANG = "fr"

LANG_KEY = "_lang"
PICKER_KEY = "language_picker"
PROJECT_KEY = "project_path"
CONTEXT_KEY = "_context"
FLASH_KEY = "_flash"

#: Right to left for the page body and the sidebar when Arabic is chosen; charts keep their
#: own layout (Vega draws labels on a canvas, which a right-to-left container misaligns). A
#: constant: no user data ever goes into HTML.
RTL_CSS = """<style>
[data-testid="stMain"], [data-testid="stSidebar"], [data-testid="stSidebarNav"] {
  direction: rtl;
  text-align: right;
}
[data-testid="stMain"] [data-testid="stMarkdownContainer"] { text-align: right; }
[data-testid="stVegaLiteChart"] { direction: ltr; }
</style>"""

_demo_lock = threading.Lock()


@dataclass(frozen=True)
class Context:
    """One run of the dashboard: the project it shows, its data version, who looks, in which
    language."""

    path: str
    lang: str
    version: int
    user: str
    role: str

    @property
    def can_edit(self) -> bool:
        return auth.allows(self.role, "editor")

    @property
    def is_admin(self) -> bool:
        return auth.allows(self.role, "admin")


# ------------------------------------------------------------------------------ language


_language: contextvars.ContextVar[str | None] = contextvars.ContextVar("language", default=None)


def lang() -> str:
    """The language of this session (session state, else ``?lang=``, else the default)."""
    fixed = _language.get()
    if fixed is not None:
        return fixed
    chosen = st.session_state.get(LANG_KEY)
    if chosen in i18n.LANGUAGES:
        return str(chosen)
    asked = st.query_params.get("lang")
    if asked in i18n.LANGUAGES:
        return str(asked)
    default = os.environ.get(LANG_VARIABLE, DEFAULT_LANG)
    return default if default in i18n.LANGUAGES else DEFAULT_LANG


def formatting(render: Callable[[Any], str]) -> Callable[[Any], str]:
    """A widget's ``format_func`` that speaks the run's language: Streamlit (and AppTest) may
    call it outside the script run, where the session's language cannot be read."""
    language = lang()

    def format_option(option: Any) -> str:
        token = _language.set(language)
        try:
            return render(option)
        finally:
            _language.reset(token)

    return format_option


def tr(key: str, **params: object) -> str:
    """The dashboard message ``ui.<key>`` in the session's language."""
    return i18n.t(f"ui.{key}", lang(), **params)


def col(key: str, **params: object) -> str:
    """A column header shared with the reports and exports (``column.<key>``)."""
    return i18n.t(f"column.{key}", lang(), **params)


def label(prefix: str, code: object) -> str:
    """A code's name in the session's language (``label("audience", "teens")``), or the code."""
    return i18n.label(prefix, code, lang())


def empty() -> str:
    """What an empty cell shows."""
    return i18n.t("common.none", lang())


def yes_no(flag: object) -> str:
    return i18n.t("common.yes" if flag else "common.no", lang())


def number(value: Any, decimals: int = 0) -> str:
    return i18n.format_number(value, lang(), decimals)


def money(value: Any, currency: str = "EUR") -> str:
    return i18n.format_money(value, currency, lang())


def percent(share: Any) -> str:
    return i18n.format_percent(share, lang())


def figure(where: Any, name: str, value: str, caption: str) -> None:
    """A metric whose small line under the value is a caption ("62 % of the target"), not a
    change since last time: no arrow, no colour."""
    where.metric(name, value, caption, delta_color="off", delta_arrow="off")


def shipping_figures(summary: dict[str, Any]) -> None:
    """The four headline figures of a shipping plan (``ShippingPlan.summary()``), in a row:
    cost, cartons, gross weight, copies bought locally."""
    cols = st.columns(4)
    cols[0].metric(tr("shipping.cost"), money(summary["total_cost_eur"]))
    cols[1].metric(tr("shipping.cartons"), number(summary["cartons"]))
    cols[2].metric(tr("shipping.weight"), number(summary["gross_kg"]))
    cols[3].metric(tr("shipping.local"), number(summary["local_copies"]))


def date(value: Any) -> str:
    return i18n.format_date(value, lang())


def language_name(code: object) -> str:
    """A MARC language code's name (``ara`` → Arabic), or the code."""
    return label("ui.language", code)


def choose_language() -> str:
    """The sidebar's language picker; Arabic turns the page right to left."""
    current = lang()
    chosen = st.sidebar.selectbox(
        i18n.t("ui.app.language_picker", current),
        i18n.LANGUAGES,
        index=i18n.LANGUAGES.index(current),
        format_func=lambda code: i18n.t("meta.name", code),
        key=PICKER_KEY,
    )
    st.session_state[LANG_KEY] = chosen
    if i18n.direction(chosen) == "rtl":
        st.html(RTL_CSS)
    return str(chosen)


# ------------------------------------------------------------------------------ text


_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]<>#|~$])")


def md(text: object) -> str:
    """User text made inert for Streamlit's markdown (no emphasis, links or HTML)."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", str(text))


# ------------------------------------------------------------------------------ notices


def flash(kind: str, text: str) -> None:
    """A notice to show at the top of the next run (after ``st.rerun``)."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, text))


def show_flash() -> None:
    for kind, text in st.session_state.pop(FLASH_KEY, []):
        shown = {"success": st.success, "warning": st.warning, "error": st.error}
        shown.get(kind, st.info)(text)


def error_hint(exc: BaseException) -> str:
    """What the dashboard adds to a domain error's own message."""
    if isinstance(exc, store.StaleWrite):
        return tr("error.stale")
    if isinstance(exc, store.ProjectNotFound):
        return tr("error.no_project")
    return tr("error.fix")


def show_error(exc: FundplannerError) -> None:
    """A domain error as a readable message: what went wrong, and what to do (no traceback)."""
    st.error(f"**{tr('error.title')}** {md(exc)}\n\n{error_hint(exc)}")


@contextlib.contextmanager
def guarded() -> Iterator[None]:
    """Run a block; a domain error (FundplannerError) becomes an ``st.error`` and the rest of
    the block is skipped."""
    try:
        yield
    except FundplannerError as exc:
        show_error(exc)


@contextlib.contextmanager
def timed(running: str) -> Iterator[Any]:
    """A status box for long work that says how long it took when it is done."""
    start = time.perf_counter()
    with st.status(running, expanded=False) as box:
        try:
            yield box
        except FundplannerError:
            box.update(label=tr("app.failed"), state="error")
            raise
        box.update(
            label=tr("app.done_in", seconds=number(time.perf_counter() - start, 1)),
            state="complete",
        )


# ------------------------------------------------------------------------------ project


def default_project() -> str:
    return os.environ.get(PROJECT_VARIABLE) or str(DEFAULT_PROJECT)


def project_path() -> str:
    """The project this session shows: the one an admin opened, else $FUNDPLANNER_PROJECT,
    else out/alram.fundplan."""
    return str(st.session_state.get(PROJECT_KEY) or default_project())


def ensure_demo(path: str) -> bool:
    """Create the Al Ram demo project at ``path`` and plan its base scenario, when the file
    does not exist yet (first start); True when it was created."""
    if "://" in path or Path(path).exists():
        return False
    with _demo_lock:
        if Path(path).exists():
            return False
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with st.spinner(tr("app.creating_demo")):
            project.init_project(path, demo=True)
            project.plan_project(path)
    return True


def project_picker(ctx_role: str) -> None:
    """Admins may open another project (a .fundplan file or a database URL)."""
    if not auth.allows(ctx_role, "admin"):
        return
    with st.sidebar.expander(tr("app.open_project")):
        typed = st.text_input(tr("app.project_path"), value=project_path(), key="_project_input")
        if st.button(tr("app.open"), key="_project_open") and typed != project_path():
            if "://" not in typed and not Path(typed).exists():
                st.error(tr("app.no_such_project", path=md(typed)))
            else:
                st.session_state[PROJECT_KEY] = typed
                st.rerun()


def setup() -> Context | None:
    """The run's language, user, project and data version; None (after an ``st.error``) when
    the project cannot be opened. Stores the context for :func:`current`."""
    chosen = choose_language()
    identity = auth.identify(chosen)
    path = project_path()
    try:
        ensure_demo(path)
        version = workspace.data_version(path)
    except FundplannerError as exc:
        show_error(exc)
        return None
    context = Context(path, chosen, version, identity.user, identity.role)
    st.session_state[CONTEXT_KEY] = context
    project_picker(identity.role)
    auth.sidebar(identity, chosen)
    show_flash()
    return context


def current() -> Context:
    """The context :func:`setup` stored for this run (pages call this first)."""
    context = st.session_state.get(CONTEXT_KEY)
    if not isinstance(context, Context):
        st.error(tr("app.start_from_app"))
        st.stop()
    return context


def refresh(context: Context) -> Context:
    """The context with the data version read again (after a save in this run)."""
    fresh = Context(
        context.path,
        context.lang,
        workspace.data_version(context.path),
        context.user,
        context.role,
    )
    st.session_state[CONTEXT_KEY] = fresh
    return fresh


def need_editor(context: Context) -> bool:
    """Whether the user may change the project; says so when not."""
    if not context.can_edit:
        st.info(tr("auth.read_only"))
    return context.can_edit
