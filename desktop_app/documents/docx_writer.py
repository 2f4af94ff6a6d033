"""The official report as a .docx in the Nghị định 30/2020/NĐ-CP layout.

Lays out :class:`DocumentContent` only: A4 portrait, margins 20/20/30/15 mm, Times New
Roman, body 14 pt justified with a first-line indent; the two-column borderless header
(issuing body and number | national title, motto, place and date) with short rules; the
centred title and summary; numbered headings (Heading 1–4), paragraphs (Body Text), lists
(List Bullet) and real tables; "Nơi nhận" and the signature block; page numbers centred
at the top from page 2. Styles, language and properties are in :mod:`docx_styles` and
:mod:`docx_props`; every property element goes in at its schema place (:mod:`ooxml`).
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

from desktop_app.atomic import write_atomic
from desktop_app.documents.content import DocumentContent, Heading, Paragraph, Table
from desktop_app.documents.docx_props import set_properties
from desktop_app.documents.docx_prototypes import Prototypes, add_break, set_run_text
from desktop_app.documents.docx_splice import append_rows, fragment, plain_text
from desktop_app.documents.docx_styles import (
    BODY_PT, BODY_STYLE, FONT, HEADING_STYLES, LIST_STYLES, apply_styles,
)
from desktop_app.domain.markup import plain, spans
from desktop_app.documents.ooxml import border, place_property, set_fonts, set_language, set_property
from desktop_app.documents.textwidth import longest_line_pt, text_width_pt, wrapped_lines

HEADER_PT = 13
NATIONAL_TITLE_PT = 12  # "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" fits its column at 12–13 pt
TABLE_PT = 12
RECIPIENTS_TITLE_PT = 12
RECIPIENTS_PT = 11
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
TEXT_WIDTH_CM = 21.0 - (MARGINS_MM["left"] + MARGINS_MM["right"]) / 10  # 16.5 cm
PT_PER_CM = 72 / 2.54
# Nghị định 30: the rule under the issuing body and under the summary is 1/3 to 1/2 of the
# line above it; the motto's rule is as long as the motto.
SHORT_RULE_RATIO = 0.4
ISSUER_COLUMN_CM = 6.3
SIGNATURE_LEFT_CM = 7.3
KEEP_TOGETHER_LINES = 4  # a paragraph this short is never split over two pages
KEEP_TOGETHER_ROWS = 12  # a table this short stays on one page
CELL_PADDING_TWIPS = {"top": 40, "bottom": 40, "left": 85, "right": 85}  # 0,7 mm / 1,5 mm
HEADER_LINES = 3  # a column header never takes more lines than this (unless the table cannot fit)
W_TC = qn("w:tc")


def _font(run, size: float, bold: bool | None = False, italic: bool | None = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.italic = italic
    rpr = run._element.get_or_add_rPr()
    set_fonts(rpr, FONT)
    set_language(rpr)


def _run_prototype(size: float, bold: bool | None, italic: bool | None):
    """An empty run with its font, language and emphasis, as python-docx writes them."""
    run = DocxParagraph(OxmlElement("w:p"), None).add_run()
    _font(run, size, bold, italic)
    return run._r


_RUNS = Prototypes(_run_prototype)


def _append_lines(p, text: str, size: float, bold: bool | None, italic: bool | None) -> None:
    """Runs for each line of ``text`` at the end of the ``w:p``, joined by line breaks (not new paragraphs)."""
    lines = text.split("\n")
    last = len(lines) - 1
    for i, line in enumerate(lines):
        r = _RUNS.copy((size, bold, italic))
        if line:
            set_run_text(r, line)
        if i < last:
            add_break(r)
        p.append(r)


def _add_lines(paragraph: DocxParagraph, text: str, size: float, bold: bool | None, italic: bool | None,
               ) -> DocxParagraph:
    """Runs for each line of ``text``, joined by line breaks (not new paragraphs)."""
    _append_lines(paragraph._p, text, size, bold, italic)
    return paragraph


def _para(container, text: str = "", size: float = BODY_PT, bold: bool = False, italic: bool = False,
          align=WD_ALIGN_PARAGRAPH.JUSTIFY, after: float = 6, before: float = 0) -> DocxParagraph:
    """A directly formatted paragraph (title, summary, spacing): not part of the body's styles."""
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.space_after = Pt(after)
    fmt.space_before = Pt(before)
    fmt.first_line_indent = Cm(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.MULTIPLE
    fmt.line_spacing = 1.15
    return _add_lines(paragraph, text, size, bold, italic)


def _add_spans(paragraph: DocxParagraph, text: str, size: float) -> None:
    """``**đậm**`` / ``*nghiêng*`` as bold / italic runs; the rest follows the paragraph's style."""
    for span in spans(text):
        _add_lines(paragraph, span.text, size, True if span.bold else None, True if span.italic else None)


def _body_paragraph(doc, end) -> DocxParagraph:
    """``doc.add_paragraph()`` given the body's section properties ``end``, found once for the body
    rather than by a scan of every paragraph before it for each new one (thousands in a consolidation)."""
    if end is None or end.getnext() is not None or end.getparent() is not doc.element.body:
        return doc.add_paragraph()
    p = OxmlElement("w:p")
    end.addprevious(p)
    return DocxParagraph(p, doc._body)


def _styled_ppr_prototype(style_id: str | None, keep_together: bool):
    """A body paragraph's properties: its style (what assigning the style writes), kept together when short."""
    paragraph = DocxParagraph(OxmlElement("w:p"), None)
    paragraph._p.style = style_id
    if keep_together:
        paragraph.paragraph_format.keep_together = True
    return paragraph._p.pPr


_STYLED_PPRS = Prototypes(_styled_ppr_prototype)


def _styled(doc, style_id: str | None, text: str, end=None) -> DocxParagraph:
    """A body paragraph that carries only its style; the runs carry the font, language and emphasis."""
    lines = len(wrapped_lines(plain(text), BODY_PT, TEXT_WIDTH_CM * PT_PER_CM - 28))
    paragraph = _body_paragraph(doc, end)
    paragraph._p.append(_STYLED_PPRS.copy((style_id, lines <= KEEP_TOGETHER_LINES)))
    _add_spans(paragraph, text, BODY_PT)
    return paragraph


def rule_width_cm(text: str, size: float, bold: bool, ratio: float, column_cm: float) -> float:
    """A rule ``ratio`` times as long as the longest line ``text`` takes in a ``column_cm`` wide column."""
    line_pt = longest_line_pt(text, size, column_cm * PT_PER_CM, bold)
    return min(line_pt * ratio / PT_PER_CM, column_cm)


def _rule(container, width_cm: float, column_cm: float, before: float = 0) -> DocxParagraph:
    """A short centred line (under the issuing body, the motto and the summary)."""
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    side = max((column_cm - width_cm) / 2, 0)
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt.left_indent = Cm(side)
    fmt.right_indent = Cm(side)
    fmt.first_line_indent = Cm(0)
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(4)
    fmt.line_spacing = Pt(2)
    place_property(paragraph._p.get_or_add_pPr(), border("top"))
    return paragraph


def _no_borders(table: DocxTable) -> None:
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    place_property(table._tbl.tblPr, borders)


def _cell_margins(table: DocxTable, margins: dict[str, int]) -> None:
    element = OxmlElement("w:tblCellMar")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), str(margins[side]))
        edge.set(qn("w:type"), "dxa")
        element.append(edge)
    place_property(table._tbl.tblPr, element)


def _fixed_widths(table: DocxTable, widths_cm: list[float]) -> None:
    table.autofit = False  # w:tblLayout fixed, once
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)


def _cell_paragraph(cell) -> DocxParagraph:
    """The cell's first (empty) paragraph, to write into without a leading blank line."""
    return cell.paragraphs[0]


def _format_in_cell(fmt, align, after: float, keep_with_next: bool) -> None:
    fmt.alignment = align
    fmt.space_after = Pt(after)
    fmt.space_before = Pt(0)
    fmt.first_line_indent = Cm(0)
    if keep_with_next:
        fmt.keep_with_next = True


def _cell_ppr_prototype(align, after: float, keep_with_next: bool):
    paragraph = DocxParagraph(OxmlElement("w:p"), None)
    _format_in_cell(paragraph.paragraph_format, align, after, keep_with_next)
    return paragraph._p.pPr


_CELL_PPRS = Prototypes(_cell_ppr_prototype)


def _write_in(paragraph: DocxParagraph, text: str, size: float, bold=False, italic=False,
              align=WD_ALIGN_PARAGRAPH.CENTER, after: float = 0) -> DocxParagraph:
    p = paragraph._p
    if p.pPr is None:
        p.insert(0, _CELL_PPRS.copy((align, after, False)))
    else:
        _format_in_cell(paragraph.paragraph_format, align, after, False)
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
    """A borderless two-column table across the text width (header and signature blocks).

    Its cells have no side margins, so a rule centred in a cell is centred under the text.
    """
    right_cm = TEXT_WIDTH_CM - left_cm
    table = doc.add_table(rows=rows, cols=2)
    _no_borders(table)
    _cell_margins(table, {"top": 0, "bottom": 0, "left": 0, "right": 0})
    _fixed_widths(table, [left_cm, right_cm])
    for row in table.rows:  # each block stays on one page
        _row_properties(row)
    return table, left_cm, right_cm


# --- The document header (issuing body | national title), kept in its own functions.

def _issuer(paragraph: DocxParagraph, content: DocumentContent) -> None:
    """The issuing body: a committee's name bold on two lines; a department's governing body
    above it in regular type (Nghị định 30, Phụ lục I)."""
    _write_in(paragraph, content.issuer_upper, HEADER_PT, bold=content.issuer_upper_bold)
    paragraph.runs[-1].add_break()
    _add_lines(paragraph, content.issuer_name, HEADER_PT, True, False)


def _issuer_column(cell, content: DocumentContent, column_cm: float) -> None:
    """The issuing body, and the rule under its last line (1/3–1/2 of that line)."""
    _issuer(_cell_paragraph(cell), content)
    last_line = content.issuer_name.split("\n")[-1]
    _rule(cell, rule_width_cm(last_line, HEADER_PT, True, SHORT_RULE_RATIO, column_cm), column_cm, before=2)


def _national_column(cell, column_cm: float) -> None:
    """The national title and the motto, with a rule as long as the motto."""
    motto = "Độc lập - Tự do - Hạnh phúc"
    _write_in(_cell_paragraph(cell), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", NATIONAL_TITLE_PT, bold=True)
    _write_in(cell.add_paragraph(), motto, HEADER_PT + 1, bold=True)
    _rule(cell, rule_width_cm(motto, HEADER_PT + 1, True, 1.0, column_cm), column_cm, before=2)


def _header(doc, content: DocumentContent) -> None:
    table, left_cm, right_cm = _layout_table(doc, 2, ISSUER_COLUMN_CM)
    _issuer_column(table.cell(0, 0), content, left_cm)
    _national_column(table.cell(0, 1), right_cm)
    _write_in(_cell_paragraph(table.cell(1, 0)), content.number_line, HEADER_PT)
    _write_in(_cell_paragraph(table.cell(1, 1)), content.place_date, HEADER_PT + 1, italic=True)


def _title(doc, content: DocumentContent) -> None:
    """``BÁO CÁO``, the summary, and the summary's rule with clear space above it."""
    _para(doc, content.title, BODY_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, before=18, after=0)
    summary = _para(doc, content.summary, BODY_PT, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    summary.paragraph_format.keep_with_next = True
    _rule(doc, rule_width_cm(content.summary, BODY_PT, True, SHORT_RULE_RATIO, TEXT_WIDTH_CM), TEXT_WIDTH_CM,
          before=6)


# --- Body tables.

def _header_width_pt(header: str) -> float:
    """The narrowest width that sets ``header`` in at most HEADER_LINES lines, no word broken."""
    need = max((text_width_pt(word, TABLE_PT, True) for word in header.split()), default=0.0)
    whole = text_width_pt(header, TABLE_PT, True)
    while need < whole and len(wrapped_lines(header, TABLE_PT, need, True)) > HEADER_LINES:
        need += 2
    return need


def _minimum_widths(item: Table) -> list[float]:
    """Each column wide enough for its header in three lines and its widest number on one line."""
    padding_cm = (CELL_PADDING_TWIPS["left"] + CELL_PADDING_TWIPS["right"]) / 567 + 0.1
    rows = item.rows + ([item.totals] if item.totals else [])
    minimums = []
    for index, header in enumerate(item.headers):
        need = _header_width_pt(header)
        for row in rows:
            if index < len(row) and row[index].numeric:
                need = max(need, text_width_pt(row[index].text, TABLE_PT, row is item.totals))
        minimums.append(need / PT_PER_CM + padding_cm)
    return minimums


def _table_widths(item: Table) -> list[float]:
    """The template's proportions across the text width, no column narrower than its minimum."""
    columns = len(item.headers)
    if item.widths and sum(item.widths):
        total = sum(w or 10 for w in item.widths)
        wanted = [TEXT_WIDTH_CM * (w or 10) / total for w in item.widths]
    else:
        rest = (TEXT_WIDTH_CM - 1.1) / max(columns - 1, 1)
        wanted = [1.1] + [rest] * (columns - 1)
    minimums = _minimum_widths(item)
    if sum(minimums) >= TEXT_WIDTH_CM:  # cannot all fit: share the width by need
        return [TEXT_WIDTH_CM * m / sum(minimums) for m in minimums]
    fixed: dict[int, float] = {}
    while True:  # raise the narrow ones to their minimum, take the room from the others
        free = [i for i in range(columns) if i not in fixed]
        room = TEXT_WIDTH_CM - sum(fixed.values())
        share = sum(wanted[i] for i in free)
        widths = {i: room * wanted[i] / share for i in free}
        short = {i for i, w in widths.items() if w < minimums[i]}
        if not short:
            return [fixed.get(i, widths.get(i, 0.0)) for i in range(columns)]
        fixed.update({i: minimums[i] for i in short})


def _row_properties(row, header: bool = False) -> None:
    """No row splits across a page (w:cantSplit); the header row repeats on each page (w:tblHeader)."""
    properties = row._tr.get_or_add_trPr()
    set_property(properties, "w:cantSplit", val="true")
    if header:
        set_property(properties, "w:tblHeader", val="true")


def _group_row(table: DocxTable, number: str, title: str, widths: list[float]) -> None:
    """``I | Dự án đã được thực hiện đầu tư`` in bold, the title across all columns but the first."""
    row = table.add_row()
    _row_properties(row)
    first, rest = row.cells[0], row.cells[1]
    if len(row.cells) > 2:
        rest = rest.merge(row.cells[-1])
    _write_in(_cell_paragraph(first), number, TABLE_PT, bold=True)
    _write_in(_cell_paragraph(rest), title, TABLE_PT, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    first.width = Cm(widths[0])
    rest.width = Cm(sum(widths[1:]))
    for cell in (first, rest):
        cell.paragraphs[0].paragraph_format.keep_with_next = True  # a group row never ends a page


def _cell_align(index: int, numeric: bool):
    if numeric and index:
        return WD_ALIGN_PARAGRAPH.RIGHT
    return WD_ALIGN_PARAGRAPH.CENTER if index == 0 else WD_ALIGN_PARAGRAPH.LEFT


def _body_row_prototype(table: DocxTable, widths: list[float]):
    """A body row as python-docx adds it (cells of the given widths, each an empty paragraph), taken
    out again: long tables copy it row by row instead of adding and measuring cell by cell."""
    row = table.add_row()
    _row_properties(row)
    for cell, width in zip(row.cells, widths):
        cell.width = Cm(width)
    table._tbl.remove(row._tr)
    return row._tr


class _RowText:
    """Body rows of one table as text (:mod:`docx_splice`): the empty row python-docx made, and
    each cell's paragraph properties and runs, serialised once per kind and filled in."""

    def __init__(self, empty_row) -> None:
        self._open = "<w:tr>" + fragment(empty_row.trPr)
        self._cells = ["<w:tc>" + fragment(tc.tcPr) + "<w:p>" for tc in empty_row.iterchildren(W_TC)]
        self._pprs: dict[tuple, str] = {}
        self._runs: dict[tuple, str] = {}
        self._rows: list[str] = []

    def add(self, row: list, is_total: bool, keep: bool) -> None:
        parts = [self._open]
        for index, (opening, value) in enumerate(zip(self._cells, row)):
            parts += [opening, self._ppr((_cell_align(index, value.numeric), 0, keep))]
            lines = value.text.split("\n")
            last = len(lines) - 1
            for i, line in enumerate(lines):
                parts.append(self._run((TABLE_PT, is_total, False), line, i < last))
            parts.append("</w:p></w:tc>")
        parts.append("</w:tr>")
        self._rows.append("".join(parts))

    def flush(self, doc, table: DocxTable) -> None:
        """The rows so far at the end of the table (before a group row or a short row comes)."""
        if self._rows:
            append_rows(doc, table._tbl, "".join(self._rows))
            self._rows = []

    def _ppr(self, key: tuple) -> str:
        if key not in self._pprs:
            self._pprs[key] = fragment(_CELL_PPRS.copy(key))
        return self._pprs[key]

    def _run(self, key: tuple, line: str, broken: bool) -> str:
        if line and not plain_text(line):  # a tab, a carriage return…: python-docx's own way
            r = _RUNS.copy(key)
            set_run_text(r, line)
            if broken:
                add_break(r)
            return fragment(r)
        if key not in self._runs:
            self._runs[key] = fragment(_RUNS.copy(key))[:-len("</w:r>")]
        text = ""
        if line:
            space = ' xml:space="preserve"' if len(line.strip()) < len(line) else ""
            text = f"<w:t{space}>{escape(line)}</w:t>"
        return self._runs[key] + text + ("<w:br/>" if broken else "") + "</w:r>"


def _short_body_row(table: DocxTable, row: list, widths: list[float], is_total: bool, keep: bool) -> None:
    """A row with fewer values than the table has columns, added cell by cell."""
    docx_row = table.add_row()
    _row_properties(docx_row)
    for index, (cell, value) in enumerate(zip(docx_row.cells, row)):
        paragraph = _write_in(_cell_paragraph(cell), value.text, TABLE_PT, bold=is_total,
                              align=_cell_align(index, value.numeric))
        cell.width = Cm(widths[index])
        if keep:
            paragraph.paragraph_format.keep_with_next = True


def _body_table(doc, item: Table) -> None:
    columns = len(item.headers)
    widths = _table_widths(item)
    table = doc.add_table(rows=1, cols=columns)
    table.style = doc.styles["Table Grid"]
    _cell_margins(table, CELL_PADDING_TWIPS)
    for cell, header in zip(table.rows[0].cells, item.headers):
        paragraph = _cell_paragraph(cell)
        _write_in(paragraph, header, TABLE_PT, bold=True)
        paragraph.paragraph_format.keep_with_next = True  # never alone at the foot of a page
    _row_properties(table.rows[0], header=True)
    body_rows = item.rows + ([item.totals] if item.totals else [])
    keep_whole = len(body_rows) + len(item.groups) <= KEEP_TOGETHER_ROWS
    groups = {group.start: group for group in item.groups}
    rows = _RowText(_body_row_prototype(table, widths))
    for number, row in enumerate(body_rows, start=1):
        if number - 1 in groups:
            rows.flush(doc, table)
            _group_row(table, groups[number - 1].number, groups[number - 1].title, widths)
        is_total = row is item.totals
        keep = keep_whole and number < len(body_rows)  # a short table stays on one page
        if len(row) < columns:  # its last cells keep the table's first, even widths
            rows.flush(doc, table)
            _short_body_row(table, row, widths, is_total, keep)
            continue
        rows.add(row, is_total, keep)
    rows.flush(doc, table)
    for cell, width in zip(table.rows[0].cells, widths):
        cell.width = Cm(width)
    table.autofit = False  # w:tblLayout fixed, once
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for column, width in zip(table.columns, widths):
        column.width = Cm(width)
    _para(doc, "", after=0)  # breathing space after the table


# --- The signature block.

def _signature(doc, content: DocumentContent) -> None:
    if doc.paragraphs:  # the closing line goes to the next page with the signature, never alone
        last = doc.paragraphs[-1].paragraph_format
        last.keep_with_next = True
        last.keep_together = True
    table, _left_cm, _right_cm = _layout_table(doc, 1, SIGNATURE_LEFT_CM)  # one row: never split
    _recipients(table.cell(0, 0), content)
    _signer(table.cell(0, 1), content)


def _recipients(cell, content: DocumentContent) -> None:
    _write_in(_cell_paragraph(cell), "Nơi nhận:", RECIPIENTS_TITLE_PT, bold=True, italic=True,
              align=WD_ALIGN_PARAGRAPH.LEFT)
    recipients = content.recipients
    for index, recipient in enumerate(recipients):
        text = recipient.rstrip(".;")
        text = f"- {text}{'.' if index == len(recipients) - 1 else ';'}"
        _write_in(cell.add_paragraph(), text, RECIPIENTS_PT, align=WD_ALIGN_PARAGRAPH.LEFT)


def _signer(cell, content: DocumentContent) -> None:
    authority = "\n".join(line for line in (content.signing_authority, content.signer_title) if line)
    _write_in(_cell_paragraph(cell), authority.upper(), BODY_PT, bold=True)
    for _ in range(4):  # room for the signature and seal
        _write_in(cell.add_paragraph(), "", BODY_PT)
    _write_in(cell.add_paragraph(), content.signer_name, BODY_PT, bold=True)


# --- The body.

def _body(doc, content: DocumentContent) -> None:
    ids: dict[str, str | None] = {}

    def style_id(name: str) -> str | None:  # looked up once per style, not per paragraph
        if name not in ids:
            ids[name] = doc.part.get_style_id(doc.styles[name], WD_STYLE_TYPE.PARAGRAPH)
        return ids[name]

    end = doc.element.body.sectPr
    for item in content.body:
        if isinstance(item, Heading):
            _styled(doc, style_id(HEADING_STYLES[min(item.level, max(HEADING_STYLES))]), item.text, end)
        elif isinstance(item, Paragraph):
            _styled(doc, style_id(LIST_STYLES.get(item.bullet, BODY_STYLE)), item.text, end)
        elif isinstance(item, Table):
            _body_table(doc, item)


def _page_setup(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    section.header_distance = Mm(10)
    _page_number_header(section)


def build_docx(content: DocumentContent, moment: dt.datetime | None = None):
    """The document; ``moment`` (default: now) is its created and modified time."""
    doc = Document()
    apply_styles(doc)
    _page_setup(doc)
    set_properties(doc, title=content.summary, author=content.author or content.issuer_name,
                   moment=moment or dt.datetime.now(dt.timezone.utc))
    _header(doc, content)
    _title(doc, content)
    _body(doc, content)
    _signature(doc, content)
    return doc


def docx_bytes(content: DocumentContent, moment: dt.datetime | None = None) -> bytes:
    buffer = io.BytesIO()
    build_docx(content, moment).save(buffer)
    return buffer.getvalue()


def write_docx(content: DocumentContent, target: str | Path) -> Path:
    data = docx_bytes(content)  # built fully in memory first: the target is touched only to write
    return write_atomic(target, lambda handle: handle.write(data))
