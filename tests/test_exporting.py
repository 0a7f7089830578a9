"""Exports for people (fundplanner.exporting.safe / .tables) and the export registry."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from fundplanner import exporting
from fundplanner.errors import UsageError
from fundplanner.exporting import ExportError, ExportFormat
from fundplanner.exporting.safe import needs_escape, safe_frame, safe_text
from fundplanner.exporting.tables import (
    ACQUISITION_COLUMNS,
    acquisition_lists,
    acquisition_summary,
    currency_totals,
    read_xlsx_sheet,
    sum_row,
    text_direction,
    write_acquisitions,
    write_budget,
    write_csv,
    write_packing,
    write_xlsx,
)

ARABIC_TITLE = "رجال في الشمس"
ARABIC_AUTHOR = "كنفاني، غسان"

#: (cell text, what a safe CSV cell holds): OWASP triggers and their disguises.
INJECTION_CASES = [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+SUM(A1)", "'+SUM(A1)"),
    ("-2+3", "'-2+3"),
    ("@cmd", "'@cmd"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    (" =1+1", "' =1+1"),  # leading space
    ("\u200f=1+1", "'\u200f=1+1"),  # right-to-left mark first
    ("\ufeff@SUM(1)", "'\ufeff@SUM(1)"),  # byte-order mark first
    ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals sign
    ("Le Petit Prince", "Le Petit Prince"),
    (ARABIC_TITLE, ARABIC_TITLE),
    ("e-mail = courriel", "e-mail = courriel"),
    ("'=already quoted", "'=already quoted"),
    ("", ""),
]

INJECTION_TITLES = [text for text, _ in INJECTION_CASES if text]


@pytest.mark.parametrize(("text", "expected"), INJECTION_CASES)
def test_safe_text_escapes_formula_triggers(text: str, expected: str) -> None:
    assert safe_text(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, ""), (float("nan"), ""), (pd.NA, ""), (12, "12"), (-2.5, "-2.5"), (b"=x", "'=x")],
)
def test_safe_text_of_other_values(value: Any, expected: str) -> None:
    assert safe_text(value) == expected


@given(st.text(max_size=30))
def test_safe_text_never_leaves_a_formula_and_keeps_the_text(text: str) -> None:
    safe = safe_text(text)
    assert not needs_escape(safe)
    assert safe in (text, "'" + text)


def test_safe_frame_escapes_text_and_leaves_numbers_alone() -> None:
    frame = pd.DataFrame(
        {
            "title": ["=cmd()", "Ok"],
            "price": [-2.5, 3.0],  # a negative price is a number, not a formula
            "mixed": [-7, "-7+1"],  # object column: the number stays a number
            "year": pd.array([2019, None], dtype="Int64"),
        }
    )
    safe = safe_frame(frame)
    assert safe["title"].tolist() == ["'=cmd()", "Ok"]
    assert safe["price"].tolist() == [-2.5, 3.0] and safe["price"].dtype == frame["price"].dtype
    assert safe["mixed"].tolist() == [-7, "'-7+1"]
    assert safe["year"].dtype == "Int64"
    assert frame["title"].tolist() == ["=cmd()", "Ok"]  # the input is not modified


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        (ARABIC_TITLE, "rtl"),
        ("Le Petit Prince", "ltr"),
        ("2019 " + ARABIC_TITLE, "rtl"),  # digits are weak: the first letter decides
        ("Le Prophète " + ARABIC_TITLE, "ltr"),
        ("9782070360024", None),
    ],
)
def test_text_direction_is_that_of_the_first_strong_character(
    text: str, direction: str | None
) -> None:
    assert text_direction(text) == direction


# ---------------------------------------------------------------------------------------
# CSV


def _csv_rows(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark for Excel
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


def test_csv_escapes_injections_and_keeps_negative_prices_numeric(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"title": INJECTION_TITLES, "price": [-2.5] + [1.0] * (len(INJECTION_TITLES) - 1)}
    )
    path = write_csv(frame, tmp_path / "list.csv")
    rows = _csv_rows(path)
    assert rows[0] == ["title", "price"]
    expected = {text: safe for text, safe in INJECTION_CASES}
    assert [row[0] for row in rows[1:]] == [expected[text] for text in INJECTION_TITLES]
    assert rows[1][1] == "-2.5"  # not "'-2.5"
    back = pd.read_csv(path, encoding="utf-8-sig")
    assert back["price"].tolist()[0] == -2.5


def test_csv_keeps_arabic_and_writes_french_excel_separators(tmp_path: Path) -> None:
    frame = pd.DataFrame({"title": [ARABIC_TITLE], "price_eur": [12.5]})
    path = write_csv(frame, tmp_path / "fr.csv", sep=";", decimal=",")
    text = path.read_bytes().decode("utf-8-sig")
    assert text == f"title;price_eur\r\n{ARABIC_TITLE};12,5\r\n"


# ---------------------------------------------------------------------------------------
# XLSX


def _cells(path: Path) -> list[Any]:
    workbook = load_workbook(path)
    return [cell for ws in workbook for row in ws.iter_rows() for cell in row]


def test_xlsx_writes_user_strings_as_text_never_formulas(tmp_path: Path) -> None:
    frame = pd.DataFrame({"title": INJECTION_TITLES, "price": [-2.5] * len(INJECTION_TITLES)})
    path = write_xlsx({"List": frame}, tmp_path / "list.xlsx", totals=False)
    cells = _cells(path)
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    ws = load_workbook(path)["List"]
    titles = [ws.cell(row=n, column=1) for n in range(2, len(INJECTION_TITLES) + 2)]
    assert [c.value for c in titles] == INJECTION_TITLES  # exact text, no quote added
    assert [c.quotePrefix for c in titles] == [needs_escape(t) for t in INJECTION_TITLES]
    price = ws.cell(row=2, column=2)
    assert (price.value, price.data_type) == (-2.5, "n")
    back = pd.read_excel(path, sheet_name="List")
    assert back["title"].tolist() == INJECTION_TITLES


def test_xlsx_header_is_frozen_and_totals_sum_only_summable_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "line": ["Training", "Books", "Shipping"],
            "amount_eur": [1200.0, 15000.5, -300.0],
            "year": [2025, 2025, 2026],
            "exchange_rate": [1.0, 1.0, 0.27],
            "share": [7.5, 92.5, 0.0],
        }
    )
    path = write_xlsx({"Lines": frame}, tmp_path / "budget.xlsx", title="Budget Al Ram")
    ws = load_workbook(path)["Lines"]
    assert ws["A1"].value == "Budget Al Ram" and ws.freeze_panes == "A3"
    assert ws["B3"].number_format == '#,##0.00 "€"'
    rows, totals = read_xlsx_sheet(path, "Lines", title=True)
    pd.testing.assert_frame_equal(rows, frame, check_dtype=False)
    assert totals["line"].tolist() == ["Total"]
    assert totals["amount_eur"].tolist() == [15900.5]
    assert totals["share"].tolist() == [100.0]
    assert totals[["year", "exchange_rate"]].isna().all(axis=None)


def test_sum_row_is_empty_without_summable_columns() -> None:
    assert sum_row(pd.DataFrame({"candidate_id": [1, 2], "title": ["a", "b"]})).empty


def test_sheet_titles_are_made_valid_and_unique(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1]})
    names = ["Librairie: Beyrouth/Amman?", "x" * 40, "X" * 40, "'quoted'"]
    path = write_xlsx(dict.fromkeys(names, frame), tmp_path / "names.xlsx")
    titles = load_workbook(path).sheetnames
    assert titles == ["Librairie_ Beyrouth_Amman_", "x" * 31, "X" * 27 + " (2)", "quoted"]


def test_empty_workbook_still_opens(tmp_path: Path) -> None:
    path = write_xlsx({}, tmp_path / "empty.xlsx")
    assert load_workbook(path).sheetnames == ["Empty"]


def test_arabic_cells_read_right_to_left_and_arabic_sheets_turn(tmp_path: Path) -> None:
    arabic = pd.DataFrame(
        {"title": [ARABIC_TITLE, "موسم الهجرة إلى الشمال"], "language": ["ara", "ara"]}
    )
    french = pd.DataFrame({"title": ["L'étranger", ARABIC_TITLE], "language": ["fre", "ara"]})
    path = write_xlsx({"ar": arabic, "fr": french}, tmp_path / "rtl.xlsx", totals=False)
    workbook = load_workbook(path)
    assert workbook["ar"].sheet_view.rightToLeft is True
    assert not workbook["fr"].sheet_view.rightToLeft
    arabic_cell, latin_cell = workbook["fr"]["A3"], workbook["fr"]["A2"]
    assert (arabic_cell.alignment.readingOrder, arabic_cell.alignment.horizontal) == (2, "right")
    assert latin_cell.alignment.readingOrder != 2


# ---------------------------------------------------------------------------------------
# Acquisition lists


def _selection() -> pd.DataFrame:
    rows = [
        # candidate_id, title, authors, source, partner, price, currency, price_eur, copies
        (1, ARABIC_TITLE, ARABIC_AUTHOR, "Librairie Amman", "", 7.0, "JOD", 9.1, 2),
        (2, "موسم الهجرة إلى الشمال", "صالح، الطيب", "Librairie Amman", "", 5.5, "JOD", 7.15, 1),
        (
            3,
            "Le Petit Prince",
            "Saint-Exupéry, Antoine de",
            "Biblionef",
            "Biblionef",
            0.0,
            "EUR",
            0.0,
            3,
        ),
        (4, '=HYPERLINK("http://x","y")', "+SUM(A1)", "Decitre", "Aulnay", -2.5, "EUR", -2.5, 1),
        (5, "Atlas du monde", "", "Decitre", "Aulnay", 25.0, "USD", 23.0, 1),
        (6, "Sans prix", "Anonyme", "Decitre", "Aulnay", None, "EUR", None, 2),
    ]
    names = ["candidate_id", "title", "authors", "source", "partner", "price", "currency"]
    frame = pd.DataFrame(rows, columns=[*names, "price_eur", "copies"])
    frame["isbn13"] = ["9789953890876", "9789953683218", "9782070612758", "", "", ""]
    frame["year"] = pd.array([2013, 2010, 2007, None, 2020, None], dtype="Int64")
    frame["language"] = ["ara", "ara", "fre", "fre", "fre", "fre"]
    frame["publisher"] = ["مؤسسة الأبحاث العربية", "دار العودة", "Gallimard", "X", "Y", "Z"]
    frame["acquisition"] = ["local_purchase"] * 2 + ["donation"] + ["purchase"] * 3
    frame["catalogue"] = ["amman.xlsx"] * 2 + ["biblionef.mrc"] + ["decitre.csv"] * 3
    return frame


def test_acquisition_lists_group_by_supplier_and_compute_lines() -> None:
    lists = acquisition_lists(_selection(), by="supplier")
    assert list(lists) == ["Biblionef", "Decitre", "Librairie Amman"]
    amman = lists["Librairie Amman"]
    assert list(amman.columns) == list(ACQUISITION_COLUMNS)
    assert amman["title"].tolist() == [ARABIC_TITLE, "موسم الهجرة إلى الشمال"]
    assert amman["line_total"].tolist() == [14.0, 5.5]
    assert amman["line_total_eur"].tolist() == [18.2, 7.15]


def test_acquisition_lists_group_by_partner_with_unknown_group() -> None:
    lists = acquisition_lists(_selection(), by="partner")
    assert list(lists) == ["(no partner)", "Aulnay", "Biblionef"]
    assert lists["(no partner)"]["candidate_id"].tolist() == [1, 2]


def test_totals_are_per_currency_and_count_unpriced_lines() -> None:
    decitre = acquisition_lists(_selection())["Decitre"]
    totals = currency_totals(decitre)
    assert totals.to_dict("records") == [
        {
            "currency": "EUR",
            "lines": 2,
            "copies": 3,
            "line_total": -2.5,
            "line_total_eur": -2.5,
            "unpriced_lines": 1,
        },
        {
            "currency": "USD",
            "lines": 1,
            "copies": 1,
            "line_total": 25.0,
            "line_total_eur": 23.0,
            "unpriced_lines": 0,
        },
    ]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain values: empty text and missing values are None, numbers are floats."""

    def plain(value: Any) -> Any:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return None
        if isinstance(value, str):
            return value or None
        return float(value)

    return [{str(k): plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def test_acquisitions_xlsx_read_back_gives_the_same_rows_and_totals(tmp_path: Path) -> None:
    selection = _selection()
    path = write_acquisitions(selection, tmp_path / "acq.xlsx", by="supplier")
    lists = acquisition_lists(selection, by="supplier")
    assert load_workbook(path).sheetnames == ["Summary", *lists]
    assert not [c.coordinate for c in _cells(path) if c.data_type == "f"]
    for name, lines in lists.items():
        rows, totals = read_xlsx_sheet(path, name)
        assert _records(rows) == _records(lines)
        want = currency_totals(lines)
        assert totals["currency"].tolist() == want["currency"].tolist()
        assert totals["copies"].tolist() == want["copies"].tolist()
        assert totals["line_total"].tolist() == pytest.approx(want["line_total"].tolist())
        assert totals["line_total_eur"].tolist() == want["line_total_eur"].tolist()
    summary, grand = read_xlsx_sheet(path, "Summary")
    expected_summary = acquisition_summary(lists, by="supplier")
    assert summary["supplier"].tolist() == expected_summary["supplier"].tolist()
    assert summary["line_total"].tolist() == expected_summary["line_total"].tolist()
    assert grand["supplier"].tolist() == ["Total EUR", "Total JOD", "Total USD"]
    assert grand["line_total"].tolist() == [-2.5, 19.5, 25.0]


def test_acquisitions_csv_is_one_file_with_group_and_total_rows(tmp_path: Path) -> None:
    path = write_acquisitions(_selection(), tmp_path / "acq.csv", by="partner", format="csv")
    rows = _csv_rows(path)
    assert rows[0] == ["partner", "row_type", *ACQUISITION_COLUMNS]
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [(r["partner"], r["row_type"]) for r in body] == [
        ("(no partner)", "item"),
        ("(no partner)", "item"),
        ("(no partner)", "total"),
        ("Aulnay", "item"),
        ("Aulnay", "item"),
        ("Aulnay", "item"),
        ("Aulnay", "total"),
        ("Aulnay", "total"),
        ("Biblionef", "item"),
        ("Biblionef", "total"),
    ]
    assert body[0]["title"] == ARABIC_TITLE and body[0]["year"] == "2013"
    assert body[2]["title"] == "Total JOD" and body[2]["line_total"] == "19.5"
    injected = next(r for r in body if r["candidate_id"] == "4")
    assert injected["title"] == '\'=HYPERLINK("http://x","y")'
    assert injected["authors"] == "'+SUM(A1)"
    assert injected["unit_price"] == "-2.5"
    assert body[6]["title"] == "Total EUR (1 line without a price)"


def test_acquisitions_of_an_empty_selection(tmp_path: Path) -> None:
    empty = _selection().iloc[0:0]
    assert acquisition_lists(empty) == {}
    path = write_acquisitions(empty, tmp_path / "empty.xlsx")
    assert load_workbook(path).sheetnames == ["Summary"]
    assert _csv_rows(write_acquisitions(empty, tmp_path / "e.csv", format="csv"))[1:] == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"by": "publisher"}, "grouped by 'supplier' or 'partner'"),
        ({"format": "pdf"}, "'csv' or 'xlsx'"),
    ],
)
def test_acquisitions_reject_bad_options(
    tmp_path: Path, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        write_acquisitions(_selection(), tmp_path / "x", **options)


# ---------------------------------------------------------------------------------------
# Packing lists and the budget workbook


def _packing() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "origin": ["FR", "FR", "FR", "JO"],
            "carton_no": [2, 1, 1, 1],
            "item_id": [13, 11, 12, 21],
            "title": ["Le Petit Prince", "=cmd|' /C calc'!A0", "L'étranger", ARABIC_TITLE],
            "copies": [3, 1, 2, 5],
            "kg": [0.9, 0.35, 0.7, 2.05],
            "zone": ["children", "adults", "adults", "adults"],
        }
    )


CUSTOMS = {
    "consignor": "Ville d'Aulnay-sous-Bois",
    "consignee": "Municipality of Al Ram",
    "statement": "Donation of books, no commercial value (HS 4901)",
    "declared_value_eur": 0,
    "note": '=HYPERLINK("http://x","y")',
    "documents": ["Packing list", "Donation letter"],
    "contact": {"name": "Service des relations internationales", "phone": "+33 1 48 79 63 63"},
    "lines": [
        {"origin_country": "FR", "hs_code": "4901", "copies": 6, "gross_kg": 2.1},
        {"origin_country": "JO", "hs_code": "4901", "copies": 5, "gross_kg": 2.2},
    ],
}


def test_packing_xlsx_has_declaration_packing_and_cartons(tmp_path: Path) -> None:
    path = write_packing(_packing(), CUSTOMS, tmp_path / "packing.xlsx")
    assert load_workbook(path).sheetnames == [
        "Declaration",
        "Declaration lines",
        "Packing list",
        "Cartons",
    ]
    assert not [c.coordinate for c in _cells(path) if c.data_type == "f"]
    declaration = pd.read_excel(path, sheet_name="Declaration")
    fields = dict(zip(declaration["field"], declaration["value"], strict=True))
    assert fields["consignee"] == "Municipality of Al Ram"
    assert fields["note"] == CUSTOMS["note"]  # text cell, exact
    assert (fields["cartons"], fields["items"], fields["copies"]) == (3, 4, 11)
    assert fields["gross_weight_kg"] == 4.0
    assert fields["documents"] == "Packing list; Donation letter"
    assert fields["contact.phone"] == "+33 1 48 79 63 63"  # text, not a formula
    assert "lines" not in fields
    lines, line_totals = read_xlsx_sheet(path, "Declaration lines")
    assert lines["origin_country"].tolist() == ["FR", "JO"]
    assert lines["hs_code"].tolist() == ["4901", "4901"]  # a code stays text
    assert line_totals["copies"].tolist() == [11]
    assert line_totals["gross_kg"].tolist() == pytest.approx([4.3])
    rows, totals = read_xlsx_sheet(path, "Packing list")
    assert list(zip(rows["origin"], rows["carton_no"], rows["item_id"], strict=True)) == [
        ("FR", 1, 11),
        ("FR", 1, 12),
        ("FR", 2, 13),
        ("JO", 1, 21),
    ]
    assert (totals["origin"].tolist(), totals["copies"].tolist()) == (["Total"], [11])
    assert totals["kg"].tolist() == pytest.approx([4.0])
    assert math.isnan(totals["carton_no"].tolist()[0])
    cartons, carton_totals = read_xlsx_sheet(path, "Cartons")
    assert cartons[["items", "copies"]].values.tolist() == [[2, 3], [1, 3], [1, 5]]
    assert carton_totals["items"].tolist() == [4]


def test_packing_csv_is_declaration_then_table(tmp_path: Path) -> None:
    path = write_packing(_packing(), CUSTOMS, tmp_path / "packing.csv", format="csv")
    rows = _csv_rows(path)
    blanks = [n for n, row in enumerate(rows) if row == []]
    assert len(blanks) == 2  # declaration | its "lines" table | the packing table
    header = dict(rows[: blanks[0]])
    assert header["note"] == '\'=HYPERLINK("http://x","y")'
    assert header["contact.phone"] == "'+33 1 48 79 63 63"
    assert header["declared_value_eur"] == "0" and header["gross_weight_kg"] == "4.0"
    assert rows[blanks[0] + 1 : blanks[1]] == [
        ["lines"],
        ["origin_country", "hs_code", "copies", "gross_kg"],
        ["FR", "4901", "6", "2.1"],
        ["JO", "4901", "5", "2.2"],
    ]
    table = rows[blanks[1] + 1 :]
    assert table[0] == list(_packing().columns)
    assert [row[3] for row in table[1:]] == [
        "'=cmd|' /C calc'!A0",
        "L'étranger",
        "Le Petit Prince",
        ARABIC_TITLE,
    ]


def test_packing_without_its_columns_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="lacks the column"):
        write_packing(_packing().drop(columns=["kg"]), {}, tmp_path / "p.xlsx")


def test_budget_workbook_has_one_formatted_sheet_per_view(tmp_path: Path) -> None:
    views = {
        "Lines by kind": pd.DataFrame(
            {"kind": ["training", "collection"], "amount_eur": [8000.0, 25000.0]}
        ),
        "Funding sources": pd.DataFrame(
            {"source": ["MEAE", "Aulnay"], "amount_eur": [16500.0, 16500.0], "share": [50, 50]}
        ),
        "Balance": pd.DataFrame({"item": ["balance"], "amount_eur": [0.0]}),
    }
    path = write_budget(views, tmp_path / "budget.xlsx")
    workbook = load_workbook(path)
    assert workbook.sheetnames == list(views)
    for name, view in views.items():
        rows, totals = read_xlsx_sheet(path, name)
        pd.testing.assert_frame_equal(rows, view, check_dtype=False)
        assert totals["amount_eur"].tolist() == [view["amount_eur"].sum()]
        assert workbook[name].freeze_panes == "A2"
    assert workbook["Funding sources"]["C5"].value == 100  # row 4 separates the totals


def test_budget_workbook_with_localised_headers(tmp_path: Path) -> None:
    """Headers in French or Arabic: the currency a header states, a currency column found by
    its values, an explicit money column, a view without totals, an Arabic sheet."""
    lines = pd.DataFrame(
        {
            "Libellé": ["Formation", "Livres"],
            "Prévu": [1200.0, 830.0],
            "Devise": ["EUR", "JOD"],
            "Montant (EUR)": [1200.0, 1004.3],
            "Année": pd.array([2025, 2026], dtype="Int64"),
        }
    )
    balance = pd.DataFrame({"البند": ["المصاريف", "الموارد", "الرصيد"], "المبلغ": [5.0, 7.0, 2.0]})
    path = write_budget(
        {"Lignes": lines, "الرصيد": balance},
        tmp_path / "budget.xlsx",
        totals={"Lignes": True, "الرصيد": False},
        number_formats={"Prévu": "money"},
    )
    workbook = load_workbook(path)
    ws = workbook["Lignes"]
    assert [ws["B2"].number_format, ws["B3"].number_format] == ['#,##0.00 "€"', '#,##0.00 "JOD"']
    assert ws["D2"].number_format == '#,##0.00 "€"' and ws["E2"].number_format == "0"
    assert ws["D5"].value == pytest.approx(2204.3)  # totals row under the empty row 4
    assert not ws.sheet_view.rightToLeft
    arabic = workbook["الرصيد"]
    assert arabic.sheet_view.rightToLeft is True  # Arabic headers and labels
    assert arabic.max_row == 4  # header + three rows, no totals
    forced = write_budget({"L": lines}, tmp_path / "rtl.xlsx", right_to_left=True)
    assert load_workbook(forced)["L"].sheet_view.rightToLeft is True


# ---------------------------------------------------------------------------------------
# Registry and errors


def test_registry_lists_the_built_in_formats() -> None:
    names = [fmt.name for fmt in exporting.formats()]
    assert names == [
        "acquisitions-xlsx",
        "acquisitions-csv",
        "marc21",
        "marcxml",
        "unimarc",
        "unimarcxml",
        "packing-xlsx",
        "packing-csv",
        "budget-xlsx",
    ]
    assert {fmt.input for fmt in exporting.formats()} == {"selection", "packing", "budget"}


def test_export_dispatches_to_the_writer(tmp_path: Path) -> None:
    path = exporting.export("acquisitions-csv", _selection(), tmp_path / "a.csv", by="partner")
    assert _csv_rows(path)[0][0] == "partner"
    packing = exporting.export(
        "packing-csv", _packing(), tmp_path / "p.csv", customs={"consignor": "Aulnay"}
    )
    assert _csv_rows(packing)[0] == ["consignor", "Aulnay"]


def test_registry_rejects_unknown_and_duplicate_formats(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown export kind 'pdf'; choose one of: acq"):
        exporting.export("pdf", None, tmp_path / "x.pdf")
    fmt = ExportFormat("marc21", "selection", ".mrc", "again", lambda data, path: path)
    with pytest.raises(UsageError, match="already registered"):
        exporting.register(fmt)


def test_a_new_format_can_be_registered_and_replaced(tmp_path: Path) -> None:
    first = ExportFormat("test-echo", "project", ".txt", "echo", lambda data, path: data)
    second = ExportFormat("test-echo", "project", ".txt", "echo", lambda data, path: path)
    try:
        exporting.register(first)
        assert exporting.export("test-echo", "hello", tmp_path / "e.txt") == "hello"
        exporting.register(second, replace=True)
        assert exporting.export("test-echo", "hello", tmp_path / "e.txt") == tmp_path / "e.txt"
    finally:
        exporting._FORMATS.pop("test-echo", None)


@pytest.mark.parametrize("kind", ["acquisitions-csv", "acquisitions-xlsx"])
def test_unwritable_path_is_an_export_error(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "missing-folder" / "list"
    with pytest.raises(ExportError, match="cannot write the file"):
        exporting.export(kind, _selection(), target)
