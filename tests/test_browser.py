"""The dashboard in a real browser: `streamlit run app.py` on 127.0.0.1 and Debian's Chromium
driven by Playwright (``playwright install`` cannot download browsers here, DESIGN.md).

Every page is opened in French and in Arabic; the test checks its title, that no exception is
shown, that Arabic pages are laid out right to left, and saves a screenshot of each under
``out/screenshots/`` (the CI keeps them as artefacts). Arabic glyphs need ``fonts-noto-core``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fundplanner import i18n, project

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "out" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: url path of each page and the message key of its title (app.py's PAGES).
PAGES = [
    ("", None),  # the overview, the default page: the project's name as its title
    ("profiles", "ui.profiles.title"),
    ("catalogues", "ui.catalogues.title"),
    ("selection", "ui.selection.title"),
    ("shipping", "ui.shipping.title"),
    ("budget", "ui.budget.title"),
    ("record", "ui.record.title"),
    ("exports", "ui.exports.title"),
]
LOAD_TIMEOUT_MS = 60_000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="/usr/bin/chromium is absent: install Debian's chromium (and fonts-noto-core); "
        ".ci/run does it (.ci/system-packages.sh)",
    ),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(url: str, server: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"streamlit did not answer on {url} within {seconds} s")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`streamlit run app.py` on a free port, on a planned copy of the demo."""
    path = tmp_path_factory.mktemp("browser") / "alram.fundplan"
    project.init_project(path, demo=True, user="browser-test")
    project.plan_project(path, user="browser-test")
    port = free_port()
    env = {
        **os.environ,
        "FUNDPLANNER_PROJECT": str(path),
        "FUNDPLANNER_AUTH": "none",
        "FUNDPLANNER_LANG": "fr",
    }
    log = (tmp_path_factory.getbasetemp() / "streamlit.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-FR")
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def expected_title(key: str | None, lang: str) -> str:
    if key is None:
        return "Bibliothèque de quartier d'Al Ram"
    return i18n.t(key, lang)


def wait_for_page(tab: Any, title: str) -> None:
    """The page's title is drawn and Streamlit has finished running the script."""
    tab.get_by_role("heading", name=title).first.wait_for(timeout=LOAD_TIMEOUT_MS)
    tab.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]')"
        " && !document.querySelector('[data-testid=\"stSkeleton\"]')",
        timeout=LOAD_TIMEOUT_MS,
    )


def check_page(tab: Any, lang: str, url_path: str, title: str) -> None:
    wait_for_page(tab, title)
    # the navigation is in the page's language (Arabic letters for Arabic)
    nav = i18n.t(f"ui.nav.{url_path.split('-')[0] or 'overview'}", lang)
    tab.locator('[data-testid="stSidebarNav"]').get_by_text(nav).first.wait_for()
    assert tab.locator('[data-testid="stException"]').count() == 0, f"{url_path}: exception"
    tab.wait_for_function(
        "(wanted) => getComputedStyle(document.querySelector('[data-testid=\"stMain\"]'))"
        ".direction === wanted",
        arg=i18n.direction(lang),
        timeout=LOAD_TIMEOUT_MS,
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = url_path or "overview"
    tab.screenshot(path=str(SCREENSHOTS / f"{lang}-{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_every_page_in_the_browser(server: str, page: Any, lang: str) -> None:
    for url_path, key in PAGES:
        page.goto(f"{server}/{url_path}?lang={lang}")
        check_page(page, lang, url_path, expected_title(key, lang))


def test_switching_to_arabic_in_the_sidebar(server: str, page: Any) -> None:
    page.goto(f"{server}/")
    wait_for_page(page, expected_title(None, "fr"))
    page.get_by_text("Titres candidats").first.wait_for(timeout=LOAD_TIMEOUT_MS)
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="العربية").click()
    page.get_by_text("العناوين المرشّحة").first.wait_for(timeout=LOAD_TIMEOUT_MS)
    check_page(page, "ar", "overview-switched", expected_title(None, "ar"))
    # the navigation speaks Arabic too, and the choice holds on another page
    page.get_by_role("link", name=i18n.t("ui.nav.selection", "ar")).click()
    check_page(page, "ar", "selection-switched", i18n.t("ui.selection.title", "ar"))


def test_the_demo_plan_is_on_the_selection_page(server: str, page: Any) -> None:
    page.goto(f"{server}/selection")
    wait_for_page(page, i18n.t("ui.selection.title", "fr"))
    for heading in ("ui.selection.selected", "ui.selection.gaps"):
        name = i18n.t(heading, "fr")
        page.get_by_role("heading", name=name, exact=True).wait_for(timeout=LOAD_TIMEOUT_MS)
    # the selection's table (a canvas grid) is drawn
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=LOAD_TIMEOUT_MS)
