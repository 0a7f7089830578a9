"""The dashboard's shell side (Streamlit): shared page helpers, cached reads, charts, login.

``fundplanner`` never imports Streamlit; this package does, and the pages (``pages/``) call
``fundplanner`` through it or directly. See ``pages/README.md``.
"""
