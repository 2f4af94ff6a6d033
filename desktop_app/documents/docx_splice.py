"""Long tables' body rows kept as WordprocessingML text until the document is saved.

A table of 3,321 communes is some 200,000 XML elements: held as an lxml tree that is about
90 MB, ten times the text it serialises to. Its rows are written as text instead, from the
serialised prototypes python-docx built (:mod:`docx_prototypes`), and the table holds a
marker comment where they go; the document part puts the text in place of each marker
when it is saved, so the file has the same XML (tests/test_docx_fast.py compares).
"""

from __future__ import annotations

import re
from typing import cast

from docx.document import Document as DocxDocument
from docx.parts.document import DocumentPart
from lxml import etree

_MARKER = "baocaoxa-rows-{}"
_MARKERS = re.compile(rb"<!--baocaoxa-rows-(\d+)-->")
_NAMESPACE_DECLARATIONS = re.compile(r' xmlns(?::\w+)?="[^"]*"')
# Characters XML 1.0 cannot carry: such text goes through lxml, which refuses it as before.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class SplicedDocumentPart(DocumentPart):
    """The main document part, its marker comments replaced by their rows' text when saved."""

    rows_text: list[str]

    @property
    def blob(self) -> bytes:
        xml = super().blob
        pieces = _MARKERS.split(xml)  # text, marker number, text, …
        for index in range(1, len(pieces), 2):
            pieces[index] = self.rows_text[int(pieces[index])].encode("utf-8")
        return b"".join(pieces)


def fragment(element: etree._Element) -> str:
    """``element`` serialised as it reads inside the document: without its namespace declarations."""
    text = etree.tostring(element, encoding="unicode")
    end = text.index(">")
    return _NAMESPACE_DECLARATIONS.sub("", text[:end]) + text[end:]


def plain_text(text: str) -> bool:
    """Text that goes into one ``w:t`` as it is (no tab, carriage return, or character XML refuses)."""
    return "\t" not in text and "\r" not in text and not _NOT_XML.search(text)


def append_rows(doc: DocxDocument, tbl: etree._Element, text: str) -> None:
    """``text`` (rows) at the end of the table ``tbl``, put in when the document is saved."""
    part = doc.part
    if not isinstance(part, SplicedDocumentPart):
        part.__class__ = SplicedDocumentPart  # the same part, saved through SplicedDocumentPart.blob
        cast(SplicedDocumentPart, part).rows_text = []
    spliced = cast(SplicedDocumentPart, part)
    tbl.append(etree.Comment(_MARKER.format(len(spliced.rows_text))))
    spliced.rows_text.append(text)
