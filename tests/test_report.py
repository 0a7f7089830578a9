"""The steering-committee report: HTML (escaped, translated, RTL) and PDF (exporting/report.py)."""

from __future__ import annotations

import datetime as dt
import html
import re
import tomllib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from fundplanner import i18n
from fundplanner.budget import budget_view
from fundplanner.exporting import report
from fundplanner.exporting.report import ProjectHeader, ReportData, render_html, render_pdf

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo" / "project.toml"
EVIL = "<script>alert('x')</script>"
SECTIONS = (
    "summary",
    "partners",
    "coverage",
    "gaps",
    "budget",
    "shipping",
    "training",
    "milestones",
)
ARABIC_PARTNER = "مكتبة رام الله للكتاب"

NO_PDF = report.pdf_unavailable_reason()
needs_pdf = pytest.mark.skipif(NO_PDF is not None, reason=f"cannot make PDFs here: {NO_PDF}")


def demo_data(evil: str = "") -> ReportData:
    """The Al Ram demo record, with ``evil`` appended to every kind of user text."""
    with DEMO.open("rb") as handle:
        demo = tomllib.load(handle)
    partners = [
        {**p, "name": p["name"] + evil, "role": p.get("role", "") + evil} for p in demo["partners"]
    ]
    lines = [{**row, "label": row["label"] + evil} for row in demo["budget"]]
    funding = [{**row, "name": row["name"] + evil} for row in demo["funding"]]
    training = [{**row, "subject": row["subject"] + evil} for row in demo["training"]]
    rows = [
        (audience, category, language, target, selected)
        for audience, category in (
            ("early", "picture_books"),
            ("children", "fiction"),
            ("adults", "nonfiction_3xx"),
        )
        for language, target, selected in (("ara", 300, 280), ("fre", 80, 80), ("eng", 80, 60))
    ]
    coverage = pd.DataFrame(
        rows, columns=["audience", "category", "language", "target", "selected"]
    )
    short = coverage["target"] - coverage["selected"]
    gaps = coverage.assign(shortfall=short, cause="budget", cost_to_close_eur=short * 11.5)
    shipping = pd.DataFrame(
        [
            {
                "origin": "FR" + evil,
                "mode": "sea_groupage",
                "copies": 1200,
                "cartons": 60,
                "kg": 540.2,
                "cost_eur": 2100.5,
            },
            {
                "origin": "GB",
                "mode": "air",
                "copies": 400,
                "cartons": 20,
                "kg": 180.0,
                "cost_eur": 900.0,
            },
        ]
    )
    milestones: list[dict[str, Any]] = [
        {
            "step": "draft_with_partners",
            "status": "done",
            "date": dt.date(2026, 11, 30),
            "document_ref": "v3" + evil,
        },
        {
            "step": "council_vote",
            "status": "planned",
            "date": dt.date(2027, 2, 12),
            "notes": "Feb." + evil,
        },
        {"step": "prefecture_legality_check", "status": "planned"},
    ]
    view = budget_view(
        lines,
        funding,
        training=training,
        plan={"purchases_eur": 16250.4, "processing_eur": 9000.0, "copies": 3000},
        shipping={"by_origin": shipping.to_dict("records")},
    )
    project = demo["project"]
    header = ProjectHeader(
        name=project["name"] + evil,
        date=dt.date(2026, 12, 1),
        partner_town=project["partner_town"],
        library=project["library"] + evil,
        opening_date=project["opening_date"],
    )
    return ReportData(header, coverage, gaps, view, shipping, training, milestones, partners)


class _Text(HTMLParser):
    """The visible text of a document (not the style element)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.parts.append(data)


def visible_text(document: str) -> str:
    parser = _Text()
    parser.feed(document)
    return " ".join(parser.parts)


@pytest.fixture(scope="module")
def data() -> ReportData:
    return demo_data()


# ------------------------------------------------------------------------------ HTML


def test_user_data_is_escaped_everywhere() -> None:
    """Partner names and roles, labels, funders, training subjects, milestone references and
    notes, shipping origins and the project header all carry a script: none survives."""
    for lang in i18n.LANGUAGES:
        document = render_html(demo_data(EVIL), lang)
        assert "<script" not in document.lower()
        assert document.count("</style>") == 1
        escaped = html.escape(EVIL)  # &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;
        found = document.count(escaped) + document.count(escaped.replace("&#x27;", "&#39;"))
        # header ×2 (+ title), 8 partners × (name, role), 6 lines, 3 sources, 3 modules,
        # 2 milestone texts, 1 origin (shipping section, its budget line and the warnings)
        assert found >= 2 + 16 + 6 + 3 + 3 + 2 + 1


@pytest.mark.parametrize(
    ("lang", "opening"),
    [
        ("fr", '<html lang="fr" dir="ltr">'),
        ("en", '<html lang="en" dir="ltr">'),
        ("ar", '<html lang="ar" dir="rtl">'),
    ],
)
def test_language_and_direction(data: ReportData, lang: str, opening: str) -> None:
    document = render_html(data, lang)
    assert opening in document
    assert i18n.t("report.title", lang) in document


def test_arabic_report_asks_for_an_arabic_font(data: ReportData) -> None:
    document = render_html(data, "ar")
    fonts = re.search(r"html \{ font-family: ([^;]+);", document)
    assert fonts is not None
    assert fonts.group(1).startswith('"Noto Naskh Arabic", "Noto Sans Arabic"')
    assert '"DejaVu Sans"' in fonts.group(1)  # the fallback without fonts-noto-core


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_section_is_there_in_order(data: ReportData, lang: str) -> None:
    document = render_html(data, lang)
    ids = re.findall(r'<section id="(\w+)">', document)
    assert tuple(ids) == SECTIONS
    positions = [
        document.index(f"<h2>{i18n.t(f'report.section.{s}', lang)}</h2>") for s in SECTIONS
    ]
    assert positions == sorted(positions)


#: Codes the demo data uses that can be no word of its free text (which says "internship",
#: "collection policy"…): each must be shown by its name from the catalogue.
CODES = (
    "draft_with_partners",
    "prefecture_legality_check",
    "sea_groupage",
    "ministry_call",
    "in_kind",
    "on_site",
    "local_authority",
    "donor_association",
    "picture_books",
    "nonfiction_3xx",
)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_codes_are_shown_by_their_names(data: ReportData, lang: str) -> None:
    text = visible_text(render_html(data, lang))
    shown = [code for code in CODES if re.search(rf"\b{code}\b", text)]
    assert shown == []
    for key in ("milestone.step.council_vote", "gap.cause.budget", "budget.kind.processing"):
        assert i18n.t(key, lang) in text


@pytest.mark.parametrize(
    ("lang", "figures"),
    [
        ("fr", ["58\u202f751\u00a0€", "280 / 300", "15 septembre 2027", "91,3\u00a0%"]),
        ("en", ["€58,751", "280 / 300", "15 September 2027", "91.3%"]),
        ("ar", ["٥٨٬٧٥١ €", "٢٨٠ / ٣٠٠", "١٥ أيلول ٢٠٢٧", "٩١٫٣٪"]),
    ],
)
def test_numbers_and_dates_read_the_language_s_way(
    data: ReportData, lang: str, figures: list[str]
) -> None:
    text = visible_text(render_html(data, lang))
    for figure in figures:
        assert figure in text


def test_coverage_matrix_marks_short_cells_and_totals(data: ReportData) -> None:
    document = render_html(data, "en")
    section = document[
        document.index('<section id="coverage">') : document.index('<section id="gaps">')
    ]
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", section)
    assert headers == ["Audience", "Category", "Arabic", "French", "English", "Total"]
    assert section.count('class="num short"') == 6 + 3 + 2 + 1  # cells, rows, columns, total
    assert '<tr class="total">' in section
    assert "1,260 / 1,380" in section


def test_gaps_list_only_short_cells_with_their_cause(data: ReportData) -> None:
    document = render_html(data, "fr")
    section = document[
        document.index('<section id="gaps">') : document.index('<section id="budget">')
    ]
    assert section.count("<tr>") - 1 == 6  # header row + 6 short cells (fre reaches its target)
    assert "budget épuisé" in section


def test_budget_section_shows_estimates_apart_and_warnings(data: ReportData) -> None:
    document = render_html(data, "en")
    section = document[
        document.index('<section id="budget">') : document.index('<section id="shipping">')
    ]
    assert section.count('<tr class="muted">') == 4  # estimates replaced by computed lines
    assert "Committed sources alone fall short" in section
    assert "definition" in section  # the rate table's source for EUR
    assert "1 January 2026" in section  # and its date


def test_a_source_over_its_cap_is_marked(data: ReportData) -> None:
    assert data.budget is not None
    funding = [{"name": "Fund", "kind": "ministry_call", "amount": 50000, "cap_share": 0.5}]
    view = budget_view([{"kind": "other", "label": "Monitoring", "planned": 60000}], funding)
    document = render_html(ReportData(data.header, budget=view), "fr")
    assert document.count('<tr class="alert">') == 1
    assert "au-delà de son plafond de 50,0\u00a0%" in visible_text(document)


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_an_empty_project_still_renders(lang: str) -> None:
    document = render_html(ReportData(ProjectHeader("P", dt.date(2027, 1, 1))), lang)
    text = visible_text(document)
    assert text.count(i18n.t("report.note.empty", lang)) == len(SECTIONS) - 1
    assert i18n.t("report.note.no_gaps", lang) in text


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("Ville d'Aulnay", "ltr"),
        (ARABIC_PARTNER + " (demo)", "rtl"),
        ("(demo) " + ARABIC_PARTNER, "ltr"),  # the first strong character decides
        ("2025-2027", ""),
        ("", ""),
        ("שלום", "rtl"),
    ],
)
def test_text_direction(text: str, direction: str) -> None:
    assert report.text_direction(text) == direction


def test_cells_against_the_page_direction_get_their_own(data: ReportData) -> None:
    arabic = render_html(data, "ar")
    french = render_html(data, "fr")
    assert '<td dir="ltr">Ville d&#39;Aulnay-sous-Bois</td>' in arabic
    assert f'<td dir="rtl">{ARABIC_PARTNER} (demo)</td>' in french
    assert f"<td>{ARABIC_PARTNER} (demo)</td>" in arabic


def test_unknown_language_is_refused(data: ReportData) -> None:
    with pytest.raises(report.FundplannerError, match="fr, en, ar"):
        render_html(data, "de")


# ------------------------------------------------------------------------------ PDF


@pytest.fixture(scope="module")
def pdfs(data: ReportData, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("reports")
    return {
        lang: render_pdf(render_html(data, lang), folder / f"{lang}.pdf") for lang in ("ar", "fr")
    }


def pages_text(path: Path) -> list[str]:
    pypdf = pytest.importorskip("pypdf", reason="the PDF tests read text with pypdf (dev extra)")
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def string_bytes(item: bytes | str) -> bytes:
    """The bytes of a PDF string operand (pypdf gives bytes, or text keeping its bytes)."""
    raw = getattr(item, "original_bytes", item)
    return raw if isinstance(raw, bytes) else raw.encode("latin-1")


def drawn_lines(path: Path) -> list[str]:
    """Each line of text *as drawn*, left to right, then reversed glyph by glyph: what a
    right-to-left reader reads. Independent of any extractor's bidi guesses: glyphs are read
    from the content stream (font, position, glyph ids) and named through the fonts'
    ToUnicode maps; a ligature keeps its letters in order."""
    pypdf = pytest.importorskip("pypdf", reason="the PDF tests read PDFs with pypdf (dev extra)")
    reader = pypdf.PdfReader(path)
    lines = []
    for page in reader.pages:
        fonts = {
            name: to_unicode(ref.get_object()) for name, ref in page["/Resources"]["/Font"].items()
        }
        runs: dict[float, list[tuple[float, list[str]]]] = {}
        glyph_names: dict[int, str] = {}
        x = y = 0.0
        operations = pypdf.generic.ContentStream(page.get_contents(), reader).operations
        for operands, operator in operations:
            if operator == b"Tf":
                glyph_names = fonts.get(operands[0], {})
            elif operator == b"Tm":
                x, y = float(operands[4]), round(float(operands[5]), 1)
            elif operator in (b"TJ", b"Tj"):
                items = operands[0] if operator == b"TJ" else [operands[0]]
                codes = b"".join(string_bytes(i) for i in items if isinstance(i, bytes | str))
                glyphs = [
                    glyph_names.get(int.from_bytes(codes[k : k + 2], "big"), "\ufffd")
                    for k in range(0, len(codes), 2)  # Identity-H: two bytes a glyph id
                ]
                runs.setdefault(y, []).append((x, glyphs))
        for _, line in sorted(runs.items()):
            visual = [g for _, glyphs in sorted(line, key=lambda r: r[0]) for g in glyphs]
            lines.append("".join(reversed(visual)))
    return lines


@needs_pdf
@pytest.mark.parametrize(
    ("lang", "strings"),
    [
        (
            "ar",
            [
                "تقرير إلى اللجنة التوجيهية",
                "الميزانية",
                "مراحل الاتفاقية",
                "تصويت المجلس البلدي",
                ARABIC_PARTNER,
            ],
        ),
        ("fr", [ARABIC_PARTNER]),
    ],
)
def test_pdf_draws_arabic_right_to_left(
    pdfs: dict[str, Path], lang: str, strings: list[str]
) -> None:
    lines = drawn_lines(pdfs[lang])
    for string in strings:
        assert any(string in line for line in lines), f"{string!r} not drawn right to left"


@needs_pdf
def test_the_drawing_order_check_catches_text_drawn_left_to_right(tmp_path: Path) -> None:
    """Control: Arabic letters placed left to right in logical order (a renderer without the
    bidi algorithm) fail the check above — though pypdf's text extraction still reads them
    in logical order, which is why that alone proves nothing about the drawing."""
    title = i18n.t("report.title", "ar")
    boxes = "".join(f'<span style="display: inline-block">{c}</span>' for c in title)
    pdf = render_pdf(f"<html><body><p>{boxes}</p></body></html>", tmp_path / "ltr.pdf")
    letters = title.replace(" ", "")  # spaces between inline blocks collapse
    drawn = "".join(drawn_lines(pdf))
    assert letters[::-1] in drawn  # the check sees them, drawn left to right …
    assert not any(title in line or letters in line for line in drawn_lines(pdf))  # … and fails
    assert letters in pages_text(pdf)[0].replace(" ", "")  # extraction alone would pass


@needs_pdf
@pytest.mark.parametrize(
    ("lang", "strings"),
    [
        (
            "ar",
            ["تقرير إلى اللجنة التوجيهية", "الميزانية", "مراحل الاتفاقية", ARABIC_PARTNER],
        ),
        ("fr", ["Rapport au comité de pilotage", "Étapes de la convention", ARABIC_PARTNER]),
    ],
)
def test_pdf_text_extracts_in_logical_order(
    pdfs: dict[str, Path], lang: str, strings: list[str]
) -> None:
    """What copy-paste and search give (pypdf's extraction)."""
    text = "\n".join(pages_text(pdfs[lang]))
    for string in strings:
        assert string in text
        if re.search(r"[\u0600-\u06ff]", string):
            assert string[::-1] not in text


@needs_pdf
@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_pdf_sections_start_on_their_own_page(pdfs: dict[str, Path], lang: str) -> None:
    pages = pages_text(pdfs[lang])
    titles = [i18n.t(f"report.section.{s}", lang) for s in SECTIONS]
    assert titles[0] in pages[0]
    first_lines = [page.strip().splitlines()[0].strip() for page in pages[1:]]
    assert [line for line in first_lines if line in titles] == titles[1:]


def to_unicode(font: Any) -> dict[int, str]:
    """Glyph id → text, from a font's ToUnicode CMap (bfchar and bfrange entries)."""
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    out: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for low, high, dst in re.findall(
            r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
        ):
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                out[code] = chr(int(dst, 16) + offset)
    return out


def arabic_glyphs(path: Path) -> Iterator[tuple[str, str, int]]:
    """(letter, font, glyph id) of every glyph the PDF draws for a single Arabic letter."""
    pypdf = pytest.importorskip("pypdf", reason="the PDF tests read fonts with pypdf (dev extra)")
    seen = set()
    for page in pypdf.PdfReader(path).pages:
        for name, ref in page["/Resources"]["/Font"].items():
            font = ref.get_object()
            if "/ToUnicode" not in font or (str(font["/BaseFont"]), name) in seen:
                continue
            seen.add((str(font["/BaseFont"]), name))
            for gid, text in to_unicode(font).items():
                if len(text) == 1 and "\u0621" <= text <= "\u064a":
                    yield text, str(font["/BaseFont"]), gid


@needs_pdf
def test_pdf_arabic_is_shaped_with_real_glyphs(pdfs: dict[str, Path]) -> None:
    """Shaped Arabic draws a letter with different glyphs by its place in the word (initial,
    medial, final, isolated); unshaped text would use one glyph per letter. Glyph 0 (.notdef,
    a box) would mean the font has no Arabic."""
    forms: dict[str, set[tuple[str, int]]] = {}
    for letter, font, gid in arabic_glyphs(pdfs["ar"]):
        assert gid != 0, f"{letter!r} drawn as .notdef in {font}"
        forms.setdefault(letter, set()).add((font, gid))
    assert len(forms) >= 20
    multiform = [letter for letter, glyphs in forms.items() if len({g for _, g in glyphs}) >= 2]
    assert len(multiform) >= 5, forms


@needs_pdf
@pytest.mark.parametrize(("lang", "right_half"), [("ar", True), ("fr", False)])
def test_pdf_title_sits_at_the_start_of_the_line(
    pdfs: dict[str, Path], lang: str, right_half: bool
) -> None:
    """Right-to-left layout: the Arabic title starts in the right half of the page."""
    pypdf = pytest.importorskip("pypdf", reason="the PDF tests read text with pypdf (dev extra)")
    page = pypdf.PdfReader(pdfs[lang]).pages[0]
    title = i18n.t("report.title", lang)
    found: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        if text.strip() == title:
            found.append(tm[4] * cm[0] + tm[5] * cm[2] + cm[4])

    page.extract_text(visitor_text=visit)
    assert found, f"title not found on page 1 of the {lang} PDF"
    assert (found[0] > float(page.mediabox.width) / 2) is right_half


@needs_pdf
def test_pdf_fetches_nothing(tmp_path: Path) -> None:
    """An image a document names by URL is refused, not read (the report embeds everything)."""
    pillow = pytest.importorskip("PIL.Image", reason="Pillow comes with WeasyPrint")
    image = tmp_path / "secret.png"
    pillow.new("RGB", (4, 4), "red").save(image)
    document = f'<html><body><p>x</p><img src="{image.as_uri()}"></body></html>'
    pdf = render_pdf(document, tmp_path / "out.pdf")
    assert b"/Image" not in pdf.read_bytes()
    weasyprint = pytest.importorskip("weasyprint")
    fetched = weasyprint.HTML(string=document).write_pdf()  # the default fetcher reads it
    assert b"/Image" in fetched


@needs_pdf
def test_an_unwritable_pdf_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(report.ReportError, match=r"cannot write the PDF.*folder exists"):
        render_pdf("<p>x</p>", tmp_path / "no such folder" / "report.pdf")
