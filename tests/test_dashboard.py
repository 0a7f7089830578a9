"""The dashboard (app.py, views/, ui/) under Streamlit's AppTest, on copies of the Al Ram demo.

Every page renders without an exception in every language; the main interactions change what
the page shows (upload a file, change a share, pin and exclude, run a plan, switch language);
a domain error becomes a readable message, never a traceback; viewers cannot edit.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from fundplanner import i18n, profiles, project, targets, workspace
from fundplanner import premises as premises_module
from ui import auth, documents

REPO = Path(__file__).resolve().parents[1]
APP = REPO / "app.py"
VIEWS = sorted(p.name for p in (REPO / "views").glob("*.py"))
TIMEOUT = 120  # seconds for one run: a plan with its MILP polish runs inside some
ARABIC = re.compile(r"[\u0621-\u064a]")


def copy_project(source: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
    return target


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo as the dashboard creates it on first start (FUNDPLANNER_PROJECT names a file
    that does not exist yet): created, imported and planned once for the module."""
    path = tmp_path_factory.mktemp("first-start") / "alram.fundplan"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FUNDPLANNER_PROJECT", str(path))
        patch.setenv("FUNDPLANNER_AUTH", "none")
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.message for e in at.exception]
    assert path.exists()
    assert [r["scenario"] for r in project.scenario_table(path)] == ["base"]
    return path


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the planned demo, opened by the dashboard without a login."""
    path = copy_project(demo_template, tmp_path / "alram.fundplan")
    monkeypatch.setenv("FUNDPLANNER_PROJECT", str(path))
    monkeypatch.setenv("FUNDPLANNER_AUTH", "none")
    monkeypatch.delenv("FUNDPLANNER_LANG", raising=False)
    return path


@pytest.fixture
def app(demo: Path) -> Iterator[AppTest]:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    yield at


def page(at: AppTest, view: str) -> AppTest:
    return at.switch_page(f"views/{view}").run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def texts(at: AppTest) -> str:
    """Every text the page shows (titles, headers, markdown, metrics, captions, alerts)."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)


def read_only(at: AppTest) -> list[Any]:
    """The tables shown (st.dataframe), not the editors."""
    return [d for d in at.dataframe if d.editing_mode == "read_only"]


def set_language(at: AppTest, lang: str) -> AppTest:
    return at.sidebar.selectbox(key="language_picker").set_value(lang).run()


def plan_version(at: AppTest) -> int:
    """The version of the base plan's row (the selection editor's key)."""
    rows = workspace.table_rows(str(at.session_state["_context"].path), "plan")
    return int(next(r["version"] for r in rows if r["scenario"] == "base"))


def version(at: AppTest) -> int:
    return int(at.session_state["_context"].version)


# ------------------------------------------------------------------------------ every page


def message_keys_in_the_code() -> list[str]:
    """Every literal message key of the dashboard's code (tr("…"), i18n.t("ui.…"))."""
    keys: set[str] = set()
    for file in [APP, *(REPO / "ui").glob("*.py"), *(REPO / "views").glob("*.py")]:
        text = file.read_text(encoding="utf-8")
        keys |= {f"ui.{k}" for k in re.findall(r'\btr\(\s*"([a-z_.]+)"', text)}
        keys |= set(re.findall(r'i18n\.t\(\s*"(ui\.[a-z_.]+)"', text))
        keys |= {f"column.{k}" for k in re.findall(r'\bcol\(\s*"([a-z_]+)"', text)}
        keys |= {
            f"ui.{k}"
            for _, k, _, _ in re.findall(
                r'\("(views/\w+\.py)", "([a-z_.]+)", "(\w+)", "([^"]+)"\)', text
            )
        }
    return sorted(keys)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_message_the_dashboard_names_exists(lang: str) -> None:
    keys = message_keys_in_the_code()
    assert len(keys) > 150
    assert [key for key in keys if not i18n.has(key, lang)] == []


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_page_renders_on_the_demo(app: AppTest, lang: str) -> None:
    set_language(app, lang)
    for view in VIEWS:
        page(app, view)
        assert_clean(app)
        assert app.title, f"{view}: no title"
        if lang == "ar":
            assert ARABIC.search(texts(app)), f"{view}: no Arabic text"


def test_the_overview_shows_the_plan_and_its_charts(app: AppTest) -> None:
    assert_clean(app)
    labels = {m.label: m.value for m in app.metric}
    assert labels["Titres candidats"].replace("\u202f", "") == "1697"
    assert labels["Objectif du fonds (exemplaires)"].replace("\u202f", "") == "7907"
    assert len(app.get("vega_lite_chart")) >= 2  # the coverage heatmap, the languages


def test_switching_to_arabic_turns_the_page(app: AppTest) -> None:
    french = texts(app)
    set_language(app, "ar")
    assert_clean(app)
    assert app.session_state["_lang"] == "ar"
    arabic = texts(app)
    assert "العناوين المرشّحة" in arabic and "Titres candidats" in french
    assert "١٬٦٩٧" in arabic  # Arabic-Indic digits
    page(app, "profiles.py")
    assert app.title[0].value == i18n.t("ui.profiles.title", "ar")  # the choice persists


def test_a_language_can_be_asked_in_the_address(demo: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["lang"] = "en"
    at.run()
    assert "Candidate titles" in texts(at)


# ------------------------------------------------------------------------------ interactions


def test_running_a_plan_adds_a_scenario(app: AppTest) -> None:
    page(app, "selection.py")
    assert_clean(app)
    app.text_input[0].set_value("tight")  # the scenario name, first field of the form
    budget = next(n for n in app.number_input if n.label.startswith("Budget"))
    budget.set_value(3000.0)
    app.button[0].click()  # the form's submit button comes first
    app.run()
    assert_clean(app)
    assert any("tight" in s.value and "planifié" in s.value for s in app.success)
    assert app.selectbox(key="selection_scenario").value == "tight"
    assert "tight" in [
        r["scenario"] for r in project.scenario_table(app.session_state["_context"].path)
    ]
    compared = app.dataframe[-1].value
    assert list(compared.columns) == ["base", "tight"]


def test_pin_and_exclude_then_plan_again(app: AppTest) -> None:
    page(app, "selection.py")
    key = f"selection_editor:base:{plan_version(app)}"
    shown = app.data_editor[0].value
    excluded, pinned = int(shown["candidate_id"].iloc[0]), int(shown["candidate_id"].iloc[1])
    app.session_state[key] = {
        "edited_rows": {0: {"excluded": True}, 1: {"pinned": True}},
        "added_rows": [],
        "deleted_rows": [],
    }
    app.run()
    app.button(key="apply_pins").click().run()
    assert_clean(app)
    assert any("1 épinglé" in s.value for s in app.success)
    after = {int(row["candidate_id"]): row for row in app.data_editor[0].value.to_dict("records")}
    assert after[excluded]["excluded"] and after[excluded]["copies"] == 0
    assert after[pinned]["pinned"] and after[pinned]["copies"] >= 1


def test_conflicting_flags_are_refused(app: AppTest) -> None:
    page(app, "selection.py")
    key = f"selection_editor:base:{plan_version(app)}"
    app.session_state[key] = {
        "edited_rows": {0: {"excluded": True, "pinned": True}},
        "added_rows": [],
        "deleted_rows": [],
    }
    app.run()
    app.button(key="apply_pins").click().run()
    assert any("choisissez" in w.value for w in app.warning)


def test_search_finds_a_title_to_pin(app: AppTest) -> None:
    page(app, "selection.py")
    app.text_input(key="search:base").input("Petit").run()
    assert_clean(app)
    assert len(app.data_editor) == 2
    found = app.data_editor[1].value
    assert not found.empty and found["title"].str.contains("Petit", case=False).all()


#: A small vendor list in CSV, as a librarian would upload it.
UPLOAD = (
    "Titre;Auteur;ISBN;Prix;Devise;Langue\n"
    "Le Petit Prince (édition de poche);Antoine de Saint-Exupéry;;7,20;EUR;fre\n"
    "Kalila wa Dimna;Ibn al-Muqaffa;;5,00;EUR;ara\n"
    ";sans titre;;3,00;EUR;fre\n"
).encode()


def test_upload_preview_and_import(app: AppTest) -> None:
    page(app, "catalogues.py")
    before = len(app.dataframe[0].value)
    app.file_uploader(key="uploads").upload("libraire.csv", UPLOAD, "text/csv").run()
    assert_clean(app)
    preview = {m.label: m.value for m in app.metric}
    assert (preview["Notices lues"], preview["Retenues"], preview["Rejetées"]) == ("3", "2", "1")
    app.button(key="do_import").click().run()
    assert_clean(app)
    assert any("libraire.csv" in s.value for s in app.success)
    assert len(app.dataframe[0].value) == before + 1


def test_the_column_mapping_changes_what_is_read(app: AppTest) -> None:
    page(app, "catalogues.py")
    odd = b"Nom du livre;Auteur\nKalila wa Dimna;Ibn al-Muqaffa\n"
    app.file_uploader(key="uploads").upload("odd.csv", odd, "text/csv").run()
    assert {m.label: m.value for m in app.metric}["Retenues"] == "0"
    app.session_state["mapping:odd.csv"] = {
        "edited_rows": {1: {"key": "title"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    plan = app.data_editor(key="mapping:odd.csv").value
    assert plan["header"].tolist()[1] == "Nom du livre"
    app.run()
    assert_clean(app)
    assert {m.label: m.value for m in app.metric}["Retenues"] == "1"


def test_a_second_import_of_a_file_is_a_readable_error(app: AppTest) -> None:
    page(app, "catalogues.py")
    content = (project.DEMO_DIR / "english_donor.csv").read_bytes()  # imported by the demo
    app.file_uploader(key="uploads").upload("english_donor.csv", content, "text/csv").run()
    app.button(key="do_import").click().run()
    assert not app.exception
    assert any("already imported" in e.value for e in app.error)
    assert any("rien n'a été modifié" in e.value for e in app.error)


def test_problems_of_a_catalogue_can_be_downloaded(app: AppTest) -> None:
    page(app, "catalogues.py")
    assert_clean(app)
    assert app.get("download_button")


def test_changing_a_share_updates_the_targets(app: AppTest) -> None:
    page(app, "profiles.py")
    first = read_only(app)[0].value.copy()
    arabic, french, _english = (n for n in app.number_input if n.key and n.key.startswith("split:"))
    arabic.set_value(40.0)
    french.set_value(40.0)
    app.run()
    assert_clean(app)
    changed = read_only(app)[0].value
    assert not changed.equals(first)
    assert changed["Arabe"].sum() < first["Arabe"].sum()
    assert changed["Français"].sum() > first["Français"].sum()


def test_shares_that_do_not_sum_to_100_are_explained(app: AppTest) -> None:
    page(app, "profiles.py")
    next(n for n in app.number_input if n.key and n.key.startswith("split:ara")).set_value(90.0)
    app.run()
    assert not app.exception
    assert any("100" in e.value for e in app.error)


def test_saving_the_profile(app: AppTest) -> None:
    page(app, "profiles.py")
    next(n for n in app.number_input if n.key and n.key.startswith("split:ara")).set_value(50.0)
    next(n for n in app.number_input if n.key and n.key.startswith("split:fre")).set_value(30.0)
    app.run()
    app.button(key="save_profile").click().run()
    assert_clean(app)
    saved = workspace.documents(str(app.session_state["_context"].path), "profile")
    assert next(iter(saved.values()))["data"]["languages"]["ara"] == 50


def test_a_profile_saved_meanwhile_is_not_overwritten(app: AppTest) -> None:
    page(app, "profiles.py")
    path = str(app.session_state["_context"].path)
    name, row = next(iter(workspace.documents(path, "profile").items()))
    workspace.save_document(  # someone else saves the profile meanwhile
        path, "profile", name, {**row["data"], "description": "theirs"}, user="karim"
    )
    app.run()
    assert any("plus récente" in w.value for w in app.warning)
    app.button(key="save_profile").click().run()
    assert not app.exception
    assert any("karim" in e.value for e in app.error)
    assert workspace.documents(path, "profile")[name]["data"]["description"] == "theirs"


def test_editing_the_record(app: AppTest) -> None:
    page(app, "record.py")
    key = f"record:partner:{version(app)}"
    app.session_state[key] = {
        "edited_rows": {0: {"city": "Bobigny"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    app.run()
    app.button(key="save:partner").click().run()
    assert_clean(app)
    partners = workspace.table_rows(str(app.session_state["_context"].path), "partner")
    assert partners[0]["city"] == "Bobigny"


def test_a_save_after_someone_elses_is_refused_with_their_name(app: AppTest) -> None:
    page(app, "record.py")
    key = f"record:partner:{version(app)}"
    app.session_state[key] = {
        "edited_rows": {0: {"city": "Bobigny"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    app.run()
    path = str(app.session_state["_context"].path)
    first = workspace.table_rows(path, "partner")[0]
    workspace.apply_edits(  # another librarian saves the same partner meanwhile
        path,
        "partner",
        workspace.RowEdits(updates=((first["id"], first["version"], {"city": "Sevran"}),)),
        user="karim",
    )
    app.run()  # the edit in progress survives the other save
    app.button(key="save:partner").click().run()
    assert not app.exception
    assert any("karim" in e.value and "city" in e.value for e in app.error)
    assert workspace.table_rows(path, "partner")[0]["city"] == "Sevran"


def test_a_milestone_out_of_order_is_a_readable_error(app: AppTest) -> None:
    page(app, "record.py")
    key = f"record:milestone:{version(app)}"
    app.session_state[key] = {
        "edited_rows": {5: {"status": "done"}},  # the last step, before the others
        "added_rows": [],
        "deleted_rows": [],
    }
    app.run()
    app.button(key="save:milestone").click().run()
    assert not app.exception
    assert any("legal order" in e.value for e in app.error)


def test_an_export_becomes_a_download(app: AppTest) -> None:
    page(app, "exports.py")
    app.button(key="prepare:acquisitions").click().run()
    assert_clean(app)
    assert any(b.key == "download:acquisitions" for b in app.get("download_button"))


@pytest.mark.parametrize("kind", list(project.EXPORT_KINDS))
def test_every_export_kind_is_a_download_or_a_readable_message(app: AppTest, kind: str) -> None:
    page(app, "exports.py")
    app.button(key=f"prepare:{kind}").click().run()
    assert not app.exception, [e.message for e in app.exception]
    downloads = [b for b in app.get("download_button") if b.key == f"download:{kind}"]
    assert downloads or app.error  # an export the core does not write yet says so


def test_a_file_that_is_not_a_project_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "notes.fundplan"
    empty.write_bytes(b"")
    monkeypatch.setenv("FUNDPLANNER_PROJECT", str(empty))
    monkeypatch.setenv("FUNDPLANNER_AUTH", "none")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("fundplanner init" in e.value for e in at.error)


# ------------------------------------------------------------------------------ login and roles


def secrets(role: str) -> dict[str, object]:
    return {
        "fundplanner": {
            "auth": "password",
            "users": {"lina": {"password": auth.hash_password("sesame"), "role": role}},
        }
    }


def login(demo: Path, monkeypatch: pytest.MonkeyPatch, role: str, password: str) -> AppTest:
    monkeypatch.delenv("FUNDPLANNER_AUTH", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets = secrets(role)
    at.run()
    assert at.title[0].value == "Connexion" and not at.metric
    at.text_input[0].input("lina")
    at.text_input[1].input(password)
    at.button[0].click().run()
    return at


def test_a_wrong_password_is_refused(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = login(demo, monkeypatch, "editor", "guess")
    assert any("mot de passe" in e.value for e in at.error)
    assert not at.metric


def test_a_viewer_reads_but_cannot_edit(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = login(demo, monkeypatch, "viewer", "sesame")
    assert_clean(at)
    assert at.metric  # the overview
    page(at, "record.py")
    assert not [b for b in at.button if b.key and b.key.startswith("save:")]
    page(at, "catalogues.py")
    assert any("lecteur" in i.value for i in at.info)
    assert not [u for u in at.file_uploader]


def test_an_editor_edits(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = login(demo, monkeypatch, "editor", "sesame")
    page(at, "record.py")
    assert [b for b in at.button if b.key == "save:partner"]
    assert "lina" in " ".join(str(c.value) for c in at.sidebar.caption)


def test_single_sign_on_roles_by_address(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FUNDPLANNER_AUTH", raising=False)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets = {"fundplanner": {"auth": "oidc", "roles": {"nadia@example.org": "editor"}}}
    at.user = {"is_logged_in": False}
    at.run()
    assert at.title[0].value == "Connexion" and not at.metric  # the sign-in button only
    at.user = {"is_logged_in": True, "email": "nadia@example.org"}
    page(at, "record.py")
    assert_clean(at)
    assert [b for b in at.button if b.key == "save:partner"]
    at.user = {"is_logged_in": True, "email": "someone@example.org"}
    page(at, "record.py")
    assert not [b for b in at.button if b.key and b.key.startswith("save:")]  # a viewer


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        ("viewer", "viewer", True),
        ("viewer", "editor", False),
        ("editor", "editor", True),
        ("editor", "admin", False),
        ("admin", "editor", True),
        ("intruder", "viewer", False),
    ],
)
def test_roles(role: str, needed: str, allowed: bool) -> None:
    assert auth.allows(role, needed) is allowed


@pytest.mark.parametrize(
    ("stored", "password", "expected"),
    [
        (auth.hash_password("sesame", salt=b"0123456789abcdef"), "sesame", True),
        (auth.hash_password("sesame", salt=b"0123456789abcdef"), "Sesame", False),
        ("sesame", "sesame", False),  # a password written in clear is never accepted
        ("scrypt$16384$8$1$zz$00", "x", False),  # damaged hash
        ("", "", False),
    ],
)
def test_passwords(stored: str, password: str, expected: bool) -> None:
    assert auth.check_password(password, stored) is expected


# ------------------------------------------------------------------------------ documents


def test_profile_tables_round_trip() -> None:
    document = profiles.load_profile(project.DEMO_PROFILE).to_mapping()
    rebuilt = documents.with_audiences(document, documents.audiences_frame(document))
    for audience in documents.names(document, "audiences"):
        rebuilt = documents.with_categories(
            rebuilt, audience, documents.categories_frame(document, audience)
        )
    assert profiles.load_profile(rebuilt) == profiles.load_profile(document)


def test_premises_tables_round_trip() -> None:
    document = premises_module.load_premises(project.DEMO_PREMISES).to_mapping()
    rebuilt = documents.with_zones(document, documents.zones_frame(document))
    for zone in documents.names(document, "zones"):
        rebuilt = documents.with_furniture(rebuilt, zone, documents.furniture_frame(document, zone))
    assert premises_module.load_premises(rebuilt) == premises_module.load_premises(document)


def test_edited_tables_change_the_documents() -> None:
    document = profiles.load_profile(project.DEMO_PROFILE).to_mapping()
    frame = documents.audiences_frame(document)
    frame.loc[frame["audience"] == "teens", ["share", "ara", "fre", "eng"]] = [12, 50, 25, 25]
    changed = documents.with_audiences(document, frame)
    assert changed["audiences"]["teens"]["share"] == 12
    assert changed["audiences"]["teens"]["languages"] == {"ara": 50, "fre": 25, "eng": 25}
    categories = pd.DataFrame({"category": ["fiction", "comics", ""], "share": [70, 30, 5]})
    changed = documents.with_categories(changed, "teens", categories)
    assert changed["audiences"]["teens"]["categories"] == {"fiction": 70, "comics": 30}
    assert document["audiences"]["teens"]["share"] == 10  # the original is left as it was


def test_edited_furniture_changes_the_capacity() -> None:
    profile = profiles.load_profile(project.DEMO_PROFILE)
    document = premises_module.load_premises(project.DEMO_PREMISES).to_mapping()
    frame = documents.furniture_frame(document, "teens")
    frame.loc[0, "bays"] = 8
    bigger = documents.with_furniture(document, "teens", frame)
    assert document["zones"]["teens"]["furniture"][0]["bays"] == 4  # left as it was

    def teens_capacity(premises: dict[str, object]) -> float:
        result = targets.compute_targets(profile, premises_module.load_premises(premises))
        capacity = result.capacity
        return float(capacity.loc[capacity["zone"] == "teens", "capacity_items"].iloc[0])

    assert teens_capacity(bigger) == pytest.approx(2 * teens_capacity(document), rel=1e-3)
