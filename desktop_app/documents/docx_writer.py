"""The official report as a .docx in the Nghị định 30/2020/NĐ-CP layout.

Lays out :class:`DocumentContent` only: A4 portrait, margins 20/20/30/15 mm, Times New
Roman, body 14 pt justified with a first-line indent; the two-column borderless header
(issuing body and number | national title, motto, place and date) with short rules; the
centred title and summary; numbered headings, paragraphs and real tables; "Nơi nhận" and
the signature block; page numbers centred at the top from page 2. Everything stays an
editable Word paragraph or table.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from desktop_app.atomic import write_atomic
from desktop_app.documents.content import DocumentContent, Heading, Paragraph, Table

FONT = "Times New Roman"
BODY_PT = 14
HEADER_PT = 13
NATIONAL_TITLE_PT = 12  # "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" fits its column at 12–13 pt
TABLE_PT = 12
RECIPIENTS_TITLE_PT = 12
RECIPIENTS_PT = 11
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
TEXT_WIDTH_CM = 21.0 - (MARGINS_MM["left"] + MARGINS_MM["right"]) / 10  # 16.5 cm
FIRST_LINE_INDENT = Cm(1.0)


def _font(run, size: float, bold: bool = False, italic: bool = False) -> None:
    run.font.name = FONT
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def _para(container, text: str = "", size: float = BODY_PT, bold: bool = False, italic: bool = False,
          align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = False, after: float = 6, before: float = 0) -> DocxParagraph:
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.space_after = Pt(after)
    fmt.space_before = Pt(before)
    fmt.line_spacing_rule = WD_LINE_SPACING.MULTIPLE
    fmt.line_spacing = 1.15
    if indent:
        fmt.first_line_indent = FIRST_LINE_INDENT
    return _add_lines(paragraph, text, size, bold, italic)


def _add_lines(paragraph: DocxParagraph, text: str, size: float, bold: bool, italic: bool) -> DocxParagraph:
    """Runs for each line of ``text``, joined by line breaks (not new paragraphs)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        _font(run, size, bold, italic)
        if i < len(lines) - 1:
            run.add_break()
    return paragraph


def _rule(container, width_cm: float, column_cm: float) -> DocxParagraph:
    """A short centred line (the rule under the issuing body, the motto and the summary)."""
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    side = max((column_cm - width_cm) / 2, 0)
    fmt.left_indent = Cm(side)
    fmt.right_indent = Cm(side)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(4)
    fmt.line_spacing = Pt(2)
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        top.set(qn(key), value)
    borders.append(top)
    ppr.append(borders)
    return paragraph


def _no_borders(table: DocxTable) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    tbl_pr.append(borders)


def _fixed_widths(table: DocxTable, widths_cm: list[float]) -> None:
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)


def _cell_paragraph(cell) -> DocxParagraph:
    """The cell's first (empty) paragraph, to write into without a leading blank line."""
    return cell.paragraphs[0]


def _write_in(paragraph: DocxParagraph, text: str, size: float, bold=False, italic=False,
              align=WD_ALIGN_PARAGRAPH.CENTER, after: float = 0) -> DocxParagraph:
    paragraph.paragraph_format.alignment = align
    paragraph.paragraph_format.space_after = Pt(after)
    paragraph.paragraph_format.space_before = Pt(0)
    return _add_lines(paragraph, text, size, bold, italic)


def _page_number_header(section) -> None:
    """Page number centred at the top, from page 2 (the first page's header stays empty)."""
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run()
    _font(run, BODY_PT)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "2"), ("end", None)):
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            placeholder = OxmlElement("w:t")
            placeholder.text = text
            run._r.append(placeholder)


def _layout_table(doc, rows: int, left_cm: float) -> tuple[DocxTable, float, float]:
    """A borderless two-column table across the text width (header and signature blocks)."""
    right_cm = TEXT_WIDTH_CM - left_cm
    table = doc.add_table(rows=rows, cols=2)
    _no_borders(table)
    _fixed_widths(table, [left_cm, right_cm])
    return table, left_cm, right_cm


def _issuer(paragraph: DocxParagraph, content: DocumentContent) -> None:
    """The issuing body: a committee's name bold on two lines; a department's governing body
    above it in regular type (Nghị định 30, Phụ lục I)."""
    _write_in(paragraph, content.issuer_upper, HEADER_PT, bold=content.issuer_upper_bold)
    paragraph.runs[-1].add_break()
    _add_lines(paragraph, content.issuer_name, HEADER_PT, True, False)


def _header(doc, content: DocumentContent) -> None:
    table, left_cm, right_cm = _layout_table(doc, 2, 6.3)
    left, right = table.cell(0, 0), table.cell(0, 1)
    _issuer(_cell_paragraph(left), content)
    _rule(left, 2.2, left_cm)
    _write_in(_cell_paragraph(right), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", NATIONAL_TITLE_PT, bold=True)
    _write_in(right.add_paragraph(), "Độc lập - Tự do - Hạnh phúc", HEADER_PT + 1, bold=True)
    _rule(right, 5.8, right_cm)
    _write_in(_cell_paragraph(table.cell(1, 0)), content.number_line, HEADER_PT)
    _write_in(_cell_paragraph(table.cell(1, 1)), content.place_date, HEADER_PT + 1, italic=True)


def _body_table(doc, item: Table) -> None:
    columns = len(item.headers)
    table = doc.add_table(rows=1, cols=columns)
    table.style = doc.styles["Table Grid"]
    if item.widths and sum(item.widths):
        total = sum(w or 10 for w in item.widths)
        widths = [TEXT_WIDTH_CM * (w or 10) / total for w in item.widths]
    else:
        rest = (TEXT_WIDTH_CM - 1.1) / max(columns - 1, 1)
        widths = [1.1] + [rest] * (columns - 1)
    for cell, header in zip(table.rows[0].cells, item.headers):
        paragraph = _cell_paragraph(cell)
        _write_in(paragraph, header, TABLE_PT, bold=True)
        paragraph.paragraph_format.keep_with_next = True  # never alone at the foot of a page
    _repeat_as_header(table.rows[0])
    for row in item.rows + ([item.totals] if item.totals else []):
        cells = table.add_row().cells
        is_total = row is item.totals
        for index, (cell, value) in enumerate(zip(cells, row)):
            align = WD_ALIGN_PARAGRAPH.RIGHT if value.numeric and index else (
                WD_ALIGN_PARAGRAPH.CENTER if index == 0 else WD_ALIGN_PARAGRAPH.LEFT)
            _write_in(_cell_paragraph(cell), value.text, TABLE_PT, bold=is_total, align=align)
    _fixed_widths(table, widths)
    _para(doc, "", after=0)  # breathing space after the table


def _keep_row_on_one_page(row) -> None:
    """The signature block (recipients, authority, signer) never splits across two pages."""
    cant_split = OxmlElement("w:cantSplit")
    cant_split.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(cant_split)


def _repeat_as_header(row) -> None:
    """The header row repeats on every page a long table runs over (w:tblHeader)."""
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _signature(doc, content: DocumentContent) -> None:
    table, _left_cm, _right_cm = _layout_table(doc, 1, 7.3)
    _keep_row_on_one_page(table.rows[0])
    if doc.paragraphs:
        doc.paragraphs[-1].paragraph_format.keep_with_next = True  # the closing line stays with the signature
    left, right = table.cell(0, 0), table.cell(0, 1)
    _write_in(_cell_paragraph(left), "Nơi nhận:", RECIPIENTS_TITLE_PT, bold=True, italic=True,
              align=WD_ALIGN_PARAGRAPH.LEFT)
    recipients = content.recipients
    for index, recipient in enumerate(recipients):
        text = recipient.rstrip(".;")
        text = f"- {text}{'.' if index == len(recipients) - 1 else ';'}"
        _write_in(left.add_paragraph(), text, RECIPIENTS_PT, align=WD_ALIGN_PARAGRAPH.LEFT)
    authority = "\n".join(line for line in (content.signing_authority, content.signer_title) if line)
    _write_in(_cell_paragraph(right), authority.upper(), BODY_PT, bold=True)
    for _ in range(4):  # room for the signature and seal
        _write_in(right.add_paragraph(), "", BODY_PT)
    _write_in(right.add_paragraph(), content.signer_name, BODY_PT, bold=True)


def build_docx(content: DocumentContent):
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.header_distance = Mm(10)
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    normal.element.get_or_add_rPr()
    _page_number_header(section)
    doc.core_properties.title = f"{content.title} {content.summary}"
    doc.core_properties.author = content.issuer_name

    _header(doc, content)
    _para(doc, content.title, BODY_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, before=18, after=0)
    _para(doc, content.summary, BODY_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _rule(doc, 3.5, TEXT_WIDTH_CM)
    for item in content.body:
        if isinstance(item, Heading):
            _para(doc, item.text, BODY_PT, bold=item.level <= 2, italic=item.level >= 3, indent=True, after=6)
        elif isinstance(item, Paragraph):
            _para(doc, item.text, BODY_PT, indent=True)
        elif isinstance(item, Table):
            _body_table(doc, item)
    _signature(doc, content)
    return doc


def docx_bytes(content: DocumentContent) -> bytes:
    buffer = io.BytesIO()
    build_docx(content).save(buffer)
    return buffer.getvalue()


def write_docx(content: DocumentContent, target: str | Path) -> Path:
    data = docx_bytes(content)  # built fully in memory first: the target is touched only to write
    return write_atomic(target, lambda handle: handle.write(data))
