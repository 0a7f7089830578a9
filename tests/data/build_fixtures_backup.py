"""Build tests/data/backup_revision_0001_al_ram.zip: a small backup of a project whose schema is at
Alembic revision 0001, as fundplanner 0.1.0 writes it (archive format version 1).

It is committed so that a later fundplanner is tested against an archive an earlier one wrote:
`tests/test_backup.py` restores it (schema created at 0001, rows loaded, upgraded to head).

Run from the repository root: .venv/bin/python tests/data/build_fixtures_backup.py
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd

from fundplanner import backup, store
from fundplanner.model import CANDIDATE_SCHEMA

OUT = Path(__file__).resolve().parent / "backup_revision_0001_al_ram.zip"
USER = "amal"


def build(out: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = store.engine(Path(folder) / "old.fundplan", must_exist=False)
        with engine.begin() as conn:
            store.upgrade(conn, "0001")
            store.insert_row(
                conn,
                "project",
                {
                    "name": "مكتبة الرام العامة",
                    "partner_town": "Aulnay-sous-Bois",
                    "opening_date": dt.date(2027, 9, 1),
                    "settings": {"languages": ["ara", "fre", "eng"], "note": "تجربة"},
                },
                user=USER,
            )
            partner = store.insert_row(
                conn,
                "partner",
                {"name": "Médiathèque d'Aulnay", "kind": "library", "country": "FR"},
                user=USER,
            )
            store.insert_row(
                conn,
                "budget_line",
                {"kind": "collection", "label": "شراء الكتب", "planned": 12500.5},
                user=USER,
            )
            titles = pd.DataFrame(
                {
                    "title": ["ألف ليلة وليلة", "Le Petit Prince"],
                    "language": ["ara", "fre"],
                    "year": [1998, None],
                    "price": [7.5, None],
                }
            )
            titles = titles.reindex(columns=list(CANDIDATE_SCHEMA)).astype(CANDIDATE_SCHEMA)
            store.import_catalogue(
                conn,
                file_name="aulnay_dons.csv",
                checksum="0" * 63 + "1",
                size_bytes=123,
                format="csv",
                titles=titles,
                problems=[],
                records_read=2,
                partner_id=partner,
                user=USER,
            )
        with engine.begin() as conn:
            backup.backup(conn, out, user=USER, overwrite=True)
        engine.dispose()


if __name__ == "__main__":
    build(OUT)
    print(f"{OUT} ({OUT.stat().st_size} bytes)")
