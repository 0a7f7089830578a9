"""The fundplanner dashboard: `streamlit run app.py` (or `make run`).

Sets the language (right to left for Arabic), the user and the project — the Al Ram demo is
created at out/alram.fundplan, or at $FUNDPLANNER_PROJECT, on first start — then runs the
chosen page of ``pages/`` with ``st.navigation``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the ui package beside this file, however Streamlit was started
    sys.path.insert(0, str(HERE))

from ui import common  # noqa: E402

#: (file, message key of the title, url path, icon); the first page is the default.
PAGES = (
    ("views/overview.py", "nav.overview", "overview", ":material/dashboard:"),
    ("views/profiles.py", "nav.profiles", "profiles", ":material/tune:"),
    ("views/catalogues.py", "nav.catalogues", "catalogues", ":material/upload_file:"),
    ("views/selection.py", "nav.selection", "selection", ":material/library_books:"),
    ("views/shipping.py", "nav.shipping", "shipping", ":material/local_shipping:"),
    ("views/budget.py", "nav.budget", "budget", ":material/euro:"),
    ("views/record.py", "nav.record", "record", ":material/groups:"),
    ("views/exports.py", "nav.exports", "exports", ":material/download:"),
)

st.set_page_config(page_title="fundplanner", page_icon=":material/menu_book:", layout="wide")

context = common.setup()
navigation = st.navigation(
    [
        st.Page(
            HERE / file,
            title=common.tr(key),
            url_path=None if number == 0 else url,  # the default page is the site's root
            icon=icon,
            default=number == 0,
        )
        for number, (file, key, url, icon) in enumerate(PAGES)
    ]
)
if context is not None:
    navigation.run()
