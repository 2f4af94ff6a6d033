"""Word styles in the Nghị định 30 look, so the clerk's Word works as Word should.

Body text, Heading 1–4 (the numbered headings: "I. …", "1. …", "a) …") and two list
styles ("- …", "+ …" as real bullets) are restyled from python-docx's template: Times New
Roman everywhere (no theme fonts or colours), Vietnamese as the language of every style
(the spelling checker then reads Vietnamese), widow/orphan control, and headings kept
with what follows them. Paragraphs then carry only a style, so changing a style in Word
changes every paragraph of its kind.
"""

from __future__ import annotations

from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt
from docx.styles.style import ParagraphStyle

from desktop_app.documents.ooxml import LANGUAGE, place_property, set_fonts, set_language, set_property

FONT = "Times New Roman"
BODY_PT = 14
FIRST_LINE_INDENT = Cm(1.0)
BODY_STYLE = "Body Text"
HEADING_STYLES = {1: "Heading 1", 2: "Heading 2", 3: "Heading 3", 4: "Heading 4"}
LIST_STYLES = {"-": "List Bullet", "+": "List Bullet 2"}
LIST_NUMBERING_ID = 90  # our own bullet definition, apart from the template's numbering


def _plain_run_style(style, size: float, bold: bool | None = None, italic: bool | None = None) -> None:
    rpr = style.element.get_or_add_rPr()
    for tag in ("w:color", "w:rFonts", "w:bCs", "w:iCs"):  # theme colours and fonts would win over ours
        for old in rpr.findall(qn(tag)):
            rpr.remove(old)
    set_fonts(rpr, FONT)
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = italic
    set_language(rpr)


def _body_paragraph(style: ParagraphStyle, before: float = 0, after: float = 6) -> None:
    fmt = style.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.first_line_indent = FIRST_LINE_INDENT
    fmt.left_indent = Cm(0)
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing_rule = WD_LINE_SPACING.MULTIPLE
    fmt.line_spacing = 1.15
    fmt.widow_control = True


def _defaults(doc: Document) -> None:
    """Document defaults: Times New Roman 14 pt in Vietnamese (what any unstyled run falls back to)."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for old in rpr.findall(qn("w:rFonts")):
        rpr.remove(old)
    set_fonts(rpr, FONT)
    set_language(rpr)
    settings = doc.settings.element
    for lang in settings.findall(qn("w:themeFontLang")):
        lang.set(qn("w:val"), LANGUAGE)
        lang.attrib.pop(qn("w:eastAsia"), None)


def _normal(doc: Document) -> None:
    normal = doc.styles["Normal"]
    _plain_run_style(normal, BODY_PT)
    normal.paragraph_format.widow_control = True
    normal.paragraph_format.space_after = Pt(0)


def _headings(doc: Document) -> None:
    for level, name in HEADING_STYLES.items():
        bold, italic = level <= 2, level >= 3  # "I."/"1." bold, "a)" items italic
        for style_name in (name, f"{name} Char"):
            _plain_run_style(doc.styles[style_name], BODY_PT, bold=bold, italic=italic)
        style = doc.styles[name]
        _body_paragraph(style, before=6, after=6)
        style.paragraph_format.keep_with_next = True  # never alone at the foot of a page
        style.paragraph_format.keep_together = True


def _bullets(doc: Document) -> None:
    """``-`` and ``+`` items: the marker at the first-line indent, wrapped lines at the margin."""
    numbering = doc.part.numbering_part.element
    levels = "".join(
        f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="bullet"/><w:suff w:val="space"/>'
        f'<w:lvlText w:val="{marker}"/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:ind w:left="0" w:firstLine="{int(FIRST_LINE_INDENT.twips)}"/></w:pPr>'
        f'<w:rPr><w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}" w:cs="{FONT}"/></w:rPr></w:lvl>'
        for level, marker in enumerate(LIST_STYLES))
    abstract = parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{LIST_NUMBERING_ID}">'
        f'<w:multiLevelType w:val="multilevel"/>{levels}</w:abstractNum>')
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)  # every abstractNum comes before the first num
    else:
        numbering.append(abstract)
    num = parse_xml(f'<w:num {nsdecls("w")} w:numId="{LIST_NUMBERING_ID}">'
                    f'<w:abstractNumId w:val="{LIST_NUMBERING_ID}"/></w:num>')
    numbering.append(num)
    for level, name in enumerate(LIST_STYLES.values()):
        style = doc.styles[name]
        _plain_run_style(style, BODY_PT)
        _body_paragraph(style)
        ppr = style.element.get_or_add_pPr()
        for old in ppr.findall(qn("w:numPr")):
            ppr.remove(old)
        num_pr = OxmlElement("w:numPr")
        ilvl = OxmlElement("w:ilvl")
        ilvl.set(qn("w:val"), str(level))
        num_id = OxmlElement("w:numId")
        num_id.set(qn("w:val"), str(LIST_NUMBERING_ID))
        num_pr.extend([ilvl, num_id])
        place_property(ppr, num_pr)
        set_property(ppr, "w:ind", left="0", firstLine=str(int(FIRST_LINE_INDENT.twips)))
        for old in ppr.findall(qn("w:contextualSpacing")):  # items spaced like the body text
            ppr.remove(old)


def _other_styles_in_vietnamese(doc: Document) -> None:
    """Every other style (tables, captions…) in Vietnamese too, so no part is spell-checked as English."""
    for style in doc.styles:
        element = style.element
        if element.get(qn("w:type")) in ("paragraph", "character", "table"):
            set_language(element.get_or_add_rPr())


def _drop_styles_with_effects(doc: Document) -> None:
    """Word 2010's shadow copy of the template's English styles: Word rebuilds it from styles.xml."""
    part = doc.part
    for rel_id, rel in list(part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            part.drop_rel(rel_id)


def apply_styles(doc: Document) -> None:
    _drop_styles_with_effects(doc)
    _defaults(doc)
    _normal(doc)
    _plain_run_style(doc.styles[BODY_STYLE], BODY_PT)
    _body_paragraph(doc.styles[BODY_STYLE])
    doc.styles[BODY_STYLE].font.bold = None
    _headings(doc)
    _bullets(doc)
    _other_styles_in_vietnamese(doc)
