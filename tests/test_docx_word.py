"""Word-native structure and the Nghị định 30 details of the exported .docx (issue 15 items 1–3).

Checked on the four examples and on each of them with 0 in every numeric field and the
optional fields empty (tests/zero_reports.py).
"""

from __future__ import annotations

import ast
import datetime as dt
import inspect
import io
import json
import re
import zipfile

import pytest
from docx import Document
from docx.oxml.section import CT_SectPr
from docx.oxml.table import CT_TblPr, CT_TcPr, CT_TrPr
from docx.oxml.text.font import CT_RPr
from docx.oxml.text.parfmt import CT_PPr
from lxml import etree

from desktop_app.documents.content import DocumentBuilder, DocumentContent, Heading, Paragraph, number_line
from desktop_app.documents.docx_writer import TEXT_WIDTH_CM, docx_bytes
from desktop_app.domain.vnformat import format_place_date
from tests.conftest import EXAMPLES, example_paths
from tests.zero_reports import zero_document

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NAMES = [p.name for p in example_paths()]
MOMENT = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.timezone.utc)


def _content(workspace, name: str, zero: bool = False) -> DocumentContent:
    rid, _ = workspace.import_document(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))
    _record, template = workspace.report(rid)
    builder = DocumentBuilder(template, workspace.validator(template))
    return builder.build(zero_document(name, template) if zero else workspace.report(rid)[0])


@pytest.fixture(params=[(n, z) for n in NAMES for z in (False, True)],
                ids=[f"{n[:-5]}{'-zero' if z else ''}" for n in NAMES for z in (False, True)])
def exported(request, workspace):
    name, zero = request.param
    content = _content(workspace, name, zero)
    return content, docx_bytes(content, MOMENT)


# --- Nghị định 30 details -------------------------------------------------------------------

def test_date_line_pads_days_below_ten_and_january_february():
    assert format_place_date("Ba Tơ", dt.date(2024, 2, 3)) == "Ba Tơ, ngày 03 tháng 02 năm 2024"
    assert format_place_date("Ba Tơ", dt.date(2024, 1, 9)) == "Ba Tơ, ngày 09 tháng 01 năm 2024"
    # The decree pads the months 1 and 2 only (a 1 could be put in front of them); the seeds agree.
    assert format_place_date("Ba Tơ", dt.date(2023, 9, 25)) == "Ba Tơ, ngày 25 tháng 9 năm 2023"
    assert format_place_date("Ba Tơ", dt.date(2023, 12, 1)) == "Ba Tơ, ngày 01 tháng 12 năm 2023"


def test_document_number_below_ten_has_a_leading_zero():
    assert number_line("3") == "Số: 03/BC-UBND"
    assert number_line("7/BC-UBND") == "Số: 07/BC-UBND"
    assert number_line("10/BC-UBND") == "Số: 10/BC-UBND"
    assert number_line("255") == "Số: 255/BC-UBND"
    assert number_line(None).startswith("Số:") and "/BC-UBND" in number_line(None)


def _qt_width_cm(text: str, size_pt: float, bold: bool) -> float:
    """The line's width measured independently, by Qt with Liberation Serif (Times New Roman's metrics)."""
    from PySide6.QtGui import QFont, QFontMetricsF
    from PySide6.QtWidgets import QApplication

    # a QApplication (not a bare QGuiApplication): later tests in this process build widgets on it
    QApplication.instance() or QApplication([])
    font = QFont("Liberation Serif")
    font.setPixelSize(1000)
    font.setBold(bold)
    return QFontMetricsF(font).horizontalAdvance(text) / 1000 * size_pt / 72 * 2.54


def _longest_line_cm(text: str, size_pt: float, bold: bool, column_cm: float) -> float:
    """The widest line of ``text`` wrapped at spaces into ``column_cm`` (as the word processor does)."""
    lines, current = [], ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and _qt_width_cm(candidate, size_pt, bold) > column_cm:
            lines.append(current)
            current = word
        else:
            current = candidate
    return max(_qt_width_cm(line, size_pt, bold) for line in [*lines, current])


def _rule_width_cm(paragraph, column_cm: float) -> float:
    pf = paragraph.paragraph_format
    return column_cm - (pf.left_indent or 0) / 360000 - (pf.right_indent or 0) / 360000


def _ruled(paragraphs):
    return [p for p in paragraphs if p._p.pPr is not None and p._p.pPr.find(f"{W}pBdr") is not None]


@pytest.mark.parametrize("issuer", ["XÃ BA", "XÃ BÌNH PHƯỚC", "THỊ XÃ ĐỨC PHỔ", "PHƯỜNG TRƯƠNG QUANG TRỌNG"])
def test_rule_under_issuer_is_a_third_to_a_half_of_its_line(issuer):
    content = DocumentContent("ỦY BAN NHÂN DÂN", issuer, "Số: 01/BC-UBND", "Ba Tơ, ngày 01 tháng 3 năm 2024",
                              "BÁO CÁO", "Kết quả chuyển đổi số quý I năm 2024", [Paragraph("Nội dung.")])
    doc = Document(io.BytesIO(docx_bytes(content)))
    left = doc.tables[0].cell(0, 0)
    column_cm = doc.tables[0].columns[0].width / 360000
    (rule,) = _ruled(left.paragraphs)
    ratio = _rule_width_cm(rule, column_cm) / _longest_line_cm(issuer, 13, True, column_cm)
    assert 1 / 3 <= ratio <= 1 / 2, ratio


@pytest.mark.parametrize("summary", ["Kết quả quý I", "Kết quả thực hiện chỉ tiêu, nhiệm vụ được giao tại Quyết "
                                     "định số 03/QĐ-BCĐ ngày 07/6/2023 về Năm dữ liệu số 2023 trên địa bàn xã"])
def test_rule_under_summary_is_a_third_to_a_half_of_its_line_with_space_above(summary):
    content = DocumentContent("ỦY BAN NHÂN DÂN", "XÃ BA TƠ", "Số: 01/BC-UBND", "Ba Tơ, ngày 01 tháng 3 năm 2024",
                              "BÁO CÁO", summary, [Paragraph("Nội dung.")])
    doc = Document(io.BytesIO(docx_bytes(content)))
    texts = [p.text for p in doc.paragraphs]
    rule = doc.paragraphs[texts.index(summary) + 1]
    assert _ruled([rule]) == [rule]
    line_cm = _longest_line_cm(summary, 14, True, TEXT_WIDTH_CM)
    assert 1 / 3 <= _rule_width_cm(rule, TEXT_WIDTH_CM) / line_cm <= 1 / 2
    assert rule.paragraph_format.space_before.pt >= 4  # the rule does not touch the summary


def test_motto_rule_is_as_long_as_the_motto():
    content = DocumentContent("ỦY BAN NHÂN DÂN", "XÃ BA TƠ", "Số: 01/BC-UBND", "Ba Tơ, ngày 01 tháng 3 năm 2024",
                              "BÁO CÁO", "Kết quả", [Paragraph("Nội dung.")])
    doc = Document(io.BytesIO(docx_bytes(content)))
    right = doc.tables[0].cell(0, 1)
    (rule,) = _ruled(right.paragraphs)
    motto = _qt_width_cm("Độc lập - Tự do - Hạnh phúc", 14, True)
    assert abs(_rule_width_cm(rule, doc.tables[0].columns[1].width / 360000) - motto) < 0.15


# --- Word structure ---------------------------------------------------------------------------

def _xml_parts(data: bytes) -> dict[str, etree._Element]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: etree.fromstring(archive.read(name)) for name in archive.namelist()
                if name.endswith(".xml") and name.startswith(("word/", "docProps/"))}


def _tag_sequence(cls) -> list[str]:
    """The child order python-docx's element class declares (its ``_tag_seq``, read from its source)."""
    tree = ast.parse(inspect.getsource(cls).lstrip())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_tag_seq":
            return [W + tag.split(":")[1] for tag in ast.literal_eval(node.value)]
    raise AssertionError(cls)


SEQUENCES = {W + "pPr": _tag_sequence(CT_PPr), W + "rPr": _tag_sequence(CT_RPr),
             W + "tblPr": _tag_sequence(CT_TblPr), W + "tcPr": _tag_sequence(CT_TcPr),
             W + "trPr": _tag_sequence(CT_TrPr),
             W + "sectPr": [W + "headerReference", W + "footerReference"] + _tag_sequence(CT_SectPr)}
# The run properties of a paragraph mark may also record tracked changes first (CT_ParaRPr).
PARAGRAPH_MARK_FIRST = [W + "ins", W + "del", W + "moveFrom", W + "moveTo"]


def test_every_property_element_is_in_schema_order(exported):
    _content_, data = exported
    checked = 0
    for part, root in _xml_parts(data).items():
        for element in root.iter(*SEQUENCES):
            sequence = SEQUENCES[element.tag]
            if element.tag == W + "rPr" and element.getparent().tag == W + "pPr":
                sequence = PARAGRAPH_MARK_FIRST + sequence
            children = [child.tag for child in element if isinstance(child.tag, str)]
            unknown = [c for c in children if c not in sequence]
            assert not unknown, (part, element.tag, unknown)
            positions = [sequence.index(c) for c in children]
            if element.tag != W + "trPr":  # CT_TrPrBase is a choice: any order, but no repeats
                assert positions == sorted(positions), (part, element.tag, children)
            assert len(set(children)) == len(children) or element.tag == W + "sectPr", (part, children)
            checked += 1
    assert checked > 50


def test_headings_use_heading_styles_kept_with_next(exported):
    content, data = exported
    doc = Document(io.BytesIO(data))
    headings = [item for item in content.body if isinstance(item, Heading)]
    assert headings
    styled = {p.text: p.style for p in doc.paragraphs if p.style.name.startswith("Heading")}
    for heading in headings:
        style = styled[heading.text]
        assert style.name == f"Heading {heading.level}"
        assert style.paragraph_format.keep_with_next and style.paragraph_format.keep_together
        assert style.font.name == "Times New Roman" and style.font.color.rgb is None  # no theme colour
        assert style.element.rPr.rFonts.get(f"{W}asciiTheme") is None
    assert {s.font.size.pt for s in doc.styles if s.name.startswith("Heading ") and s.name[-1] in "1234"} == {14}


def test_lists_are_list_paragraphs_not_typed_dashes(exported):
    content, data = exported
    doc = Document(io.BytesIO(data))
    items = [p for p in content.body if isinstance(p, Paragraph) and p.bullet]
    assert items, "every example has - or + items"
    listed = {p.text: p.style.name for p in doc.paragraphs if p.style.name.startswith("List Bullet")}
    for item in items:
        assert listed[item.text] == {"-": "List Bullet", "+": "List Bullet 2"}[item.bullet]
    assert not [p.text for p in doc.paragraphs if re.match(r"^[-+] ", p.text)]  # no typed markers left
    numbering = doc.part.numbering_part.element
    markers = numbering.xpath('.//w:abstractNum[@w:abstractNumId="90"]//w:lvlText/@w:val')
    assert markers == ["-", "+"]


def test_language_is_vietnamese_everywhere(exported):
    _content_, data = exported
    parts = _xml_parts(data)
    languages = {el.get(W + "val") for root in parts.values() for el in root.iter(W + "lang")}
    assert languages == {"vi-VN"}
    document = parts["word/document.xml"]
    runs = [r for r in document.iter(W + "r") if "".join(r.itertext()).strip()]
    assert runs and all(r.find(f"{W}rPr/{W}lang") is not None for r in runs)
    defaults = parts["word/styles.xml"].find(f"{W}docDefaults/{W}rPrDefault/{W}rPr/{W}lang")
    assert defaults.get(W + "val") == "vi-VN"
    assert all(s.find(f"{W}rPr/{W}lang") is not None for s in parts["word/styles.xml"].iter(W + "style")
               if s.get(W + "type") != "numbering")


def test_core_and_app_properties_come_from_the_report(exported):
    content, data = exported
    props = Document(io.BytesIO(data)).core_properties
    assert props.title == content.summary
    assert props.author == content.author and content.author.startswith("Ủy ban nhân dân ")
    assert props.created == props.modified == MOMENT
    assert "python-docx" not in (props.comments + props.author + props.last_modified_by)
    app = _xml_parts(data)["docProps/app.xml"]
    ns = "{http://schemas.openxmlformats.org/officeDocument/2006/extended-properties}"
    assert app.find(f"{ns}Application").text == "BaoCaoXa"
    assert re.fullmatch(r"\d\d\.\d{4}", app.find(f"{ns}AppVersion").text)


# --- Pagination -------------------------------------------------------------------------------

def test_pagination_keeps_things_together(exported):
    _content_, data = exported
    doc = Document(io.BytesIO(data))
    assert doc.styles["Normal"].paragraph_format.widow_control
    assert doc.styles["Body Text"].paragraph_format.widow_control
    for table in doc.tables:
        for row in table.rows:
            assert row._tr.trPr is not None and row._tr.trPr.find(f"{W}cantSplit") is not None
    for table in doc.tables[1:-1]:
        assert table.rows[0]._tr.trPr.find(f"{W}tblHeader") is not None
    body = doc.element.body
    signature = body.findall(f"{W}tbl")[-1]
    before = signature.getprevious()
    assert before.tag == W + "p"
    ppr = before.find(f"{W}pPr")
    assert ppr.find(f"{W}keepNext") is not None and ppr.find(f"{W}keepLines") is not None
    short = [p for p in doc.paragraphs if p.style.name == "Body Text" and 0 < len(p.text) < 120]
    assert short and all(p.paragraph_format.keep_together for p in short)


def test_emphasis_markup_becomes_bold_and_italic_runs():
    content = DocumentContent("ỦY BAN NHÂN DÂN", "XÃ BA TƠ", "Số: 01/BC-UBND", "Ba Tơ, ngày 01 tháng 3 năm 2024",
                              "BÁO CÁO", "Kết quả", [Paragraph("Thực hiện *Quyết định số 25/QĐ-UBND* với **100%** hồ sơ, 5* sao.")])
    doc = Document(io.BytesIO(docx_bytes(content)))
    (paragraph,) = [p for p in doc.paragraphs if p.text.startswith("Thực hiện")]
    assert paragraph.text == "Thực hiện Quyết định số 25/QĐ-UBND với 100% hồ sơ, 5* sao."
    runs = {r.text: (r.bold, r.italic) for r in paragraph.runs}
    assert runs["Quyết định số 25/QĐ-UBND"] == (None, True)
    assert runs["100%"] == (True, None)
    assert runs[" hồ sơ, 5* sao."] == (None, None)
    assert "*" not in content.plain_text().replace("5*", "")


def test_item_titles_look_alike_whether_heading_or_sentence(workspace):
    """In NTM 8.1 a)–c) are headings (italic) and d) a sentence: its item title is italic too."""
    doc = Document(io.BytesIO(docx_bytes(_content(workspace, "ntm-tieu-chi-8.json"))))
    headings = [p for p in doc.paragraphs if p.style.name == "Heading 3" and p.text.startswith("c) Đối với bưu cục")]
    assert headings and headings[0].style.font.italic
    (item,) = [p for p in doc.paragraphs if p.text.startswith("d) Đối với thùng thư")]
    assert item.runs[0].text == "d) Đối với thùng thư công cộng độc lập có tần suất thu gom:" and item.runs[0].italic
    assert not item.runs[-1].italic and item.runs[-1].text.strip().endswith("lần/ngày.")
