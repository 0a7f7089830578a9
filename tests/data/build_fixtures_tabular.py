"""Build the table fixtures (tests/data/table_*): one small file per edge case.

Run from the repository root: ``.venv/bin/python tests/data/build_fixtures_tabular.py``.
The output is deterministic (fixed workbook timestamps), so re-running changes nothing.
Every text here is invented for the tests.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
FIXED_TIME = dt.datetime(2024, 1, 1, 12, 0, 0)


def write_text(name: str, text: str, encoding: str, *, bom: bytes = b"") -> None:
    (HERE / name).write_bytes(bom + text.encode(encoding))


def csv_fixtures() -> None:
    arabic = (
        "العنوان,المؤلف,الناشر,سنة النشر,ردمك,السعر,العملة,الفئة العمرية\r\n"
        "الطفل الذي غرق في القمر,غسان كنفاني,دار الآداب,2015,9789953891231,12,JOD,أطفال\r\n"
        "قصص من فلسطين,سحر خليفة؛ إبراهيم نصر الله,المؤسسة العربية للدراسات والنشر,2018,"
        "9789953123455,8.5,JOD,كبار\r\n"
        "كتاب الطبخ,فاطمة قاسم,دار الفكر,2020,9789957001124,5,USD,كبار\r\n"
    )
    write_text("table_cp1256_arabic.csv", arabic, "cp1256")
    # ISO-8859-6 has no Persian letters and no "؛": a plain Arabic list with the Arabic comma.
    iso = (
        "العنوان,المؤلف,الناشر,السنة,اللغة\r\n"
        "الأيام,طه حسين,دار المعارف,1929,عربي\r\n"
        '"رجال في الشمس","غسان كنفاني، مقدمة",دار الطليعة,1963,عربي\r\n'
        "موسم الهجرة إلى الشمال,الطيب صالح,دار العودة,1966,عربي\r\n"
    )
    write_text("table_iso8859_6_arabic.csv", iso, "iso8859-6")
    french = (
        "Titre;Auteur(s);Éditeur;Année;ISBN;Prix TTC;Devise;Public;Catégorie\r\n"
        "Guerre et paix, tome 1;Tolstoï, Léon;Gallimard;2002;978-2-07-040850-4;12,50;EUR;"
        "Adultes;Roman\r\n"
        "Le Petit Prince;Saint-Exupéry, Antoine de;Gallimard Jeunesse;1999;2070612759;"
        "8,90;EUR;Jeunesse;Conte\r\n"
        "L'Étranger;Camus, Albert;Folio;1972;9782070360024;6,60;EUR;Adultes;Roman\r\n"
        "Où est passé l'été ?;Hélène Dupré / Noël Bâtard;École des loisirs;2010;;9,00;EUR;"
        "Jeunesse;Album\r\n"
    )
    write_text("table_cp1252_french_semicolon.csv", french, "cp1252")
    english = (
        "Title,Author(s),Publisher,Year,ISBN13,Price,Currency,Language\r\n"
        'The Hobbit,"Tolkien, J. R. R.",HarperCollins,2012,9780261102217,8.99,GBP,English\r\n'
        "Café society,Jane Doe; John Roe,Penguin,2019,9780141036144,10.50,GBP,en\r\n"
    )
    write_text("table_utf8_bom.csv", english, "utf-8", bom=b"\xef\xbb\xbf")
    # Excel's "Unicode Text": UTF-16 LE with a BOM, tab-separated.
    utf16 = (
        "Titre\tAuteur\tLangue\tISBN\r\n"
        "Le Prophète\tKhalil Gibran\tFrançais\t9782070393688\r\n"
        "النبي\tجبران خليل جبران\tالعربية\t9789953881232\r\n"
    )
    write_text("table_utf16le_bom.csv", utf16, "utf-16-le", bom=b"\xff\xfe")
    tsv = (
        "ID\tTitle\tAuthor\tPublisher\tPages\tAudience\n"
        "B-001\tMatilda\tRoald Dahl\tPuffin\t240\tChildren\n"
        "B-002\tWonder\tR. J. Palacio\tCorgi\t320\tTeens\n"
    )
    write_text("table_tab_separated.tsv", tsv, "utf-8")
    leading = (
        "N° notice,Titre,ISBN,Exemplaires\n"
        "000123,Les Misérables,2-07-036822-X,2\n"
        "000124,Candide,080442957X; 0-8044-2957-X,1\n"
        "000125,Deux livres,9782070408504 9782070360024,3\n"
        "000126,Un ISBN avec espaces,978 2 07 040850 4,1\n"
    )
    write_text("table_isbn10_x_leading_zeros.csv", leading, "utf-8")
    header3 = (
        "Librairie Al-Quds — liste de prix 2024;;;;\n"
        "Prix en dinars jordaniens, franco de port;;;;\n"
        "Titre;Auteur;Éditeur;Prix;Qté\n"
        "Le Livre de la jungle;Rudyard Kipling;Hachette;7,5;3\n"
        "Contes d'Andersen;Hans Christian Andersen;Gründ;9;2\n"
    )
    write_text("table_header_row3_title_line.csv", header3, "utf-8")
    variants = (
        "العُنْوَان:,المؤلِّفون,دار النشر,سنة النشر,الرقم الدولي,السعر (دينار),الفئة العمريّة,"
        "عمود غير معروف\n"
        "ألف ليلة وليلة,مجهول,دار صادر,2005,9789953130019,15,كبار,س\n"
        "كليلة ودمنة,ابن المقفع,دار الشروق,2010,9789770912348,6,أطفال,ص\n"
    )
    write_text("table_arabic_headers_variants.csv", variants, "utf-8")
    mapped = (
        "Nom du livre,Écrit par,EAN,ISBN 10,Titre de la série,Remarque\n"
        "Le Horla,Guy de Maupassant,9782070360024,,Folio,bon état\n"
        "Bel-Ami,Guy de Maupassant,,2070403371,Folio,\n"
    )
    write_text("table_mapping_override.csv", mapped, "utf-8")
    (HERE / "table_mapping_override.toml").write_text(
        '# Map a file whose title column is "Nom du livre" and give every row a currency.\n'
        "[columns]\n"
        'title = "Nom du livre"\n'
        'authors = "Écrit par"\n'
        'isbns = ["EAN", "ISBN 10"]\n'
        "[defaults]\n"
        'currency = "JOD"\n'
        'acquisition = "purchase"\n'
        "[options]\n"
        'delimiter = ","\n',
        encoding="utf-8",
    )
    (HERE / "table_mapping_bad_header.toml").write_text(
        '# Names a header the file does not have ("Book name").\n[columns]\ntitle = "Book name"\n',
        encoding="utf-8",
    )
    (HERE / "table_mapping_unknown_key.toml").write_text(
        '# "titel" is not a field fundplanner reads.\n[columns]\ntitel = "Nom du livre"\n',
        encoding="utf-8",
    )
    no_title = "Auteur,Éditeur,ISBN\nVictor Hugo,Gallimard,9782070408504\n"
    write_text("table_missing_title_column.csv", no_title, "utf-8")
    empty_title = (
        "Titre,Auteur,ISBN\n"
        "Germinal,Émile Zola,9782070360024\n"
        "Nana,Émile Zola,\n"
        "\n"
        ",Émile Zola,9782253004226\n"
        "La Bête humaine,Émile Zola,\n"
    )
    write_text("table_empty_title_row5.csv", empty_title, "utf-8")
    multiline = (
        "Titre,Résumé,Auteur\n"
        '"Le Petit Prince","Un aviateur, tombé en panne dans le désert,\n'
        "rencontre un petit prince venu d'une autre planète.\n"
        '""Dessine-moi un mouton""","Saint-Exupéry, Antoine de"\n'
        'Vol de nuit,Un pilote de l\'Aéropostale.,"Saint-Exupéry, Antoine de"\n'
    )
    write_text("table_multiline_quoted_cell.csv", multiline, "utf-8")
    units = (
        "Titre,Poids (g),Hauteur (cm),Prix (€),Pages\n"
        "Les Fables,350,24,12.5,320\n"
        "Le Cid,lourd,18 x 11 cm,4,120\n"
    )
    write_text("table_weight_grams_units.csv", units, "utf-8")
    # Not text at all: C0 controls and bytes no candidate code page makes sense of.
    (HERE / "table_binary_not_text.csv").write_bytes(
        b"Titre,Auteur\n\x01\x02\x03\x04\x05\x06\x07\x81\x8d\xdb\xde\x00\x10\x11\x12\x13\n"
    )


def _workbook() -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.properties.created = FIXED_TIME
    book.properties.modified = FIXED_TIME
    return book


def _save(book: openpyxl.Workbook, name: str, patch: dict[str, bytes] | None = None) -> None:
    """Save ``book``; ``patch`` replaces archive members (hand-written XML) in the zip."""
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if patch and info.filename in patch:
                data = patch[info.filename]
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" at save
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T12:00:00Z", data
                )
            info.date_time = (2024, 1, 1, 12, 0, 0)
            target.writestr(info, data)
    (HERE / name).write_bytes(out.getvalue())


def xlsx_fixtures() -> None:
    book = _workbook()
    sheet = book.active
    sheet.title = "Prices"
    sheet.append(["Title", "Author", "ISBN", "Price", "Currency", "Qty"])
    sheet.append(["Palestinian Embroidery", "Widad Kawar", "9781859642139", 45.0, "USD", 2])
    sheet.append(["Mornings in Jenin", "Susan Abulhawa", "9781408809570", 9.75, "JOD", 1])
    sheet.append(["The Prophet", "Kahlil Gibran", "9780394404288", 12, "USD", 3])
    _save(book, "table_prices_usd_jod.xlsx")

    book = _workbook()
    sheet = book.active
    sheet.append(["Titre", "ISBN", "Année", "Pages", "Identifiant"])
    sheet.append(["L'Étranger", 9782070360024, dt.datetime(1972, 1, 1), 186, 42])
    sheet.append(["Leading zero ISBN-10", 123456789, dt.datetime(2001, 6, 30), 90.0, 43])
    sheet["B3"].number_format = "0000000000"
    sheet.append(["Text ISBN-10 with X", "080442957X", 1999, 310, 44])
    sheet.append(["Float ISBN", 9782070408504, 2005, 12.5, 45])
    buffer = io.BytesIO()
    book.save(buffer)
    xml = zipfile.ZipFile(buffer).read("xl/worksheets/sheet1.xml").decode()
    # Some writers store a number in scientific notation; it is read back as a float.
    xml = xml.replace("<v>9782070408504</v>", "<v>9.782070408504E+12</v>")
    _save(book, "table_numeric_isbn.xlsx", {"xl/worksheets/sheet1.xml": xml.encode()})

    book = _workbook()
    sheet = book.active
    sheet.append(["Titre", "Base", "TVA", "Prix TTC"])  # Base and TVA are not known headers
    sheet.append(["Avec résultat", 10, 0.055, "=B2*(1+C2)"])
    sheet.append(["Sans résultat", 20, 0.055, "=B3*(1+C3)"])
    sheet.append(['="Titre "&"calculé"', 5, 0, 5])
    buffer = io.BytesIO()
    book.save(buffer)
    xml = zipfile.ZipFile(buffer).read("xl/worksheets/sheet1.xml").decode()
    # openpyxl cannot save formula results; write the cached values Excel would have saved
    # for D2 and A4, and leave D3 without one.
    xml = xml.replace("<f>B2*(1+C2)</f><v></v>", "<f>B2*(1+C2)</f><v>10.55</v>")
    xml = re.sub(
        r'<c r="A4"><f>(.*?)</f><v></v></c>',
        r'<c r="A4" t="str"><f>\1</f><v>Titre calculé</v></c>',
        xml,
    )
    _save(
        book, "table_formula_cached_and_uncached.xlsx", {"xl/worksheets/sheet1.xml": xml.encode()}
    )

    book = _workbook()
    sheet = book.active
    sheet.title = "قائمة"
    sheet.sheet_view.rightToLeft = True
    sheet.append(["مكتبة الرام — قائمة الكتب المقترحة"])
    sheet.merge_cells("A1:E1")
    sheet.append([])
    sheet.append(["العنوان", "المؤلف", "الناشر", "السعر", "العملة"])
    sheet.append(["زمن الخيول البيضاء", "إبراهيم نصر الله", "الدار العربية للعلوم", 10, "JOD"])
    sheet.append(["طيور الحذر", "إبراهيم نصر الله", None, 8, "JOD"])
    sheet.append(["الحب في المنفى", "بهاء طاهر", "دار الشروق", 7, "USD"])
    sheet.merge_cells("C4:C5")  # one publisher cell over two rows
    sheet.append([])
    sheet.append([])
    _save(book, "table_merged_title_rtl.xlsx")

    book = _workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["Envoi du 12 mars: deux listes, voir onglets."])
    liste = book.create_sheet("Liste")
    liste.append(["Titre", "Auteur", "Prix"])
    liste.append(["Bonjour tristesse", "Françoise Sagan", 6.1])
    autres = book.create_sheet("Autres")
    autres.append(["Title", "Author", "Price"])
    autres.append(["Dune", "Frank Herbert", 9.99])
    _save(book, "table_two_sheets.xlsx")

    book = _workbook()
    book.active.append(["Titre", "Auteur"])
    book.active.append(["Texte", "Auteur"])
    _save(
        book,
        "table_corrupt_xml.xlsx",
        {"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row r='1'><c r='A1' t='s'>"},
    )


if __name__ == "__main__":
    csv_fixtures()
    xlsx_fixtures()
    for path in sorted(HERE.glob("table_*")):
        print(f"{path.stat().st_size:6d}  {path.name}")
