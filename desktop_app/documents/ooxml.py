"""Small WordprocessingML helpers that keep property elements in the OOXML schema order.

Word validates the order of the children of ``w:pPr``, ``w:rPr``, ``w:tblPr``, ``w:tcPr``,
``w:trPr`` and ``w:sectPr`` more strictly than LibreOffice. python-docx's element classes
know that order (their ``_tag_seq``, deleted once the class is built, so it is copied
below); :func:`set_property` inserts before the first child that the schema puts after the
new one, replacing an element of the same name.
"""

from __future__ import annotations

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement

LANGUAGE = "vi-VN"

# The children of each property element in schema order (from python-docx 1.x, ECMA-376 Part 1).
_SEQUENCES: dict[str, tuple[str, ...]] = {
    "w:pPr": (
        "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
        "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku",
        "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
        "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
        "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
        "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
    ),
    "w:rPr": (
        "w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps", "w:strike",
        "w:dstrike", "w:outline", "w:shadow", "w:emboss", "w:imprint", "w:noProof", "w:snapToGrid",
        "w:vanish", "w:webHidden", "w:color", "w:spacing", "w:w", "w:kern", "w:position", "w:sz", "w:szCs",
        "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign", "w:rtl", "w:cs",
        "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath",
    ),
    "w:tblPr": (
        "w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
        "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd",
        "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange",
    ),
    "w:tcPr": (
        "w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders", "w:shd", "w:noWrap",
        "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark", "w:headers", "w:cellIns",
        "w:cellDel", "w:cellMerge", "w:tcPrChange",
    ),
    "w:trPr": (
        "w:cnfStyle", "w:divId", "w:gridBefore", "w:gridAfter", "w:wBefore", "w:wAfter", "w:cantSplit",
        "w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden", "w:ins", "w:del", "w:trPrChange",
    ),
    "w:sectPr": (
        "w:headerReference", "w:footerReference", "w:footnotePr", "w:endnotePr", "w:type", "w:pgSz",
        "w:pgMar", "w:paperSrc", "w:pgBorders", "w:lnNumType", "w:pgNumType", "w:cols", "w:formProt",
        "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi", "w:rtlGutter", "w:docGrid",
        "w:printerSettings", "w:sectPrChange",
    ),
}


def _successors(parent: BaseOxmlElement, tag: str) -> tuple[str, ...]:
    local = parent.tag.split("}", 1)[1]
    sequence = _SEQUENCES.get(f"w:{local}", ())
    if tag not in sequence:
        raise ValueError(f"{tag} is not a known child of {parent.tag}")
    return sequence[sequence.index(tag) + 1:]


def set_property(parent: BaseOxmlElement, tag: str, **attributes: str) -> BaseOxmlElement:
    """``<tag …attributes/>`` as the only ``tag`` child of ``parent``, at its schema place."""
    for old in parent.findall(qn(tag)):
        parent.remove(old)
    element = OxmlElement(tag)
    for key, value in attributes.items():
        element.set(qn(f"w:{key}"), value)
    parent.insert_element_before(element, *_successors(parent, tag))
    return element


def place_property(parent: BaseOxmlElement, element: BaseOxmlElement) -> BaseOxmlElement:
    """A built element (with children, e.g. ``w:pBdr``) put at its schema place, replacing its namesake."""
    tag = element.tag
    for old in parent.findall(tag):
        parent.remove(old)
    prefixed = "w:" + tag.split("}", 1)[1]
    parent.insert_element_before(element, *_successors(parent, prefixed))
    return element


def border(side: str = "top", size_eighths: int = 6, space_pt: int = 1) -> BaseOxmlElement:
    """A single black line on one ``side`` of a paragraph (``w:pBdr``)."""
    borders = OxmlElement("w:pBdr")
    line = OxmlElement(f"w:{side}")
    for key, value in (("val", "single"), ("sz", str(size_eighths)), ("space", str(space_pt)), ("color", "000000")):
        line.set(qn(f"w:{key}"), value)
    borders.append(line)
    return borders


def set_language(rpr: BaseOxmlElement) -> None:
    """Vietnamese for the spelling checker and hyphenation, on a run's or a style's ``w:rPr``."""
    set_property(rpr, "w:lang", val=LANGUAGE, eastAsia=LANGUAGE, bidi="ar-SA")


def set_fonts(rpr: BaseOxmlElement, font: str) -> None:
    """One font for every script, without the theme fonts that would override it."""
    set_property(rpr, "w:rFonts", ascii=font, hAnsi=font, eastAsia=font, cs=font)
