"""Write the generated fixture of the field-map / MARCXML tests (the others are hand-written).

Run from the repository root: ``python tests/data/build_fixtures_fieldmap.py``.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent


def billion_laughs(levels: int = 10) -> str:
    """The classic entity-expansion attack: 10 levels of 10 references (10**9 "lol")."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!DOCTYPE collection [",
        ' <!ENTITY lol0 "lol">',
    ]
    for level in range(1, levels):
        lines.append(f' <!ENTITY lol{level} "' + f"&lol{level - 1};" * 10 + '">')
    lines += [
        "]>",
        '<collection xmlns="http://www.loc.gov/MARC21/slim">',
        "  <record>",
        "    <leader>00300nam a2200109 a 4500</leader>",
        '    <controlfield tag="001">laughs-1</controlfield>',
        f'    <datafield tag="245" ind1="0" ind2="0"><subfield code="a">Laughs&lol{levels - 1};'
        "</subfield></datafield>",
        "  </record>",
        "</collection>",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    (HERE / "marcxml_billion_laughs.xml").write_text(billion_laughs(), encoding="utf-8")


if __name__ == "__main__":
    main()
