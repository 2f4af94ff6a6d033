"""Elements python-docx builds once and the writer copies: runs, paragraph properties, table rows.

python-docx sets a run's font one property at a time, each a schema-ordered insert with its
own lookups (about 0.25 ms a run), and a table row cell by cell; a consolidated report of
3,321 communes has tens of thousands of runs in a table as long. The first element of each
kind is built the ordinary way; every later one is a deep copy of it (lxml copies in C), so
the document's XML is the same element for element (tests/test_docx_fast.py compares).
"""

from __future__ import annotations

from copy import deepcopy
from typing import Callable, Generic, Hashable, TypeVar

from docx.oxml.ns import qn
from lxml import etree

E = TypeVar("E", bound=etree._Element)

W_T = qn("w:t")
W_BR = qn("w:br")
XML_SPACE = qn("xml:space")


class Prototypes(Generic[E]):
    """``build(*key)`` once per key; afterwards a deep copy of what it built."""

    def __init__(self, build: Callable[..., E]) -> None:
        self._build = build
        self._made: dict[Hashable, E] = {}

    def copy(self, key: tuple) -> E:
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = self._build(*key)
        return deepcopy(made)


def set_run_text(r, text: str) -> None:
    """What python-docx's ``run.text = text`` writes, for a run that holds only its ``w:rPr``.

    Plain text is one ``w:t`` (space-preserving when it starts or ends with white space, as
    python-docx marks it); a tab or carriage return goes through python-docx itself."""
    if "\t" in text or "\r" in text or "\n" in text:
        r.text = text
        return
    t = etree.SubElement(r, W_T)
    t.text = text
    if len(text.strip()) < len(text):
        t.set(XML_SPACE, "preserve")


def add_break(r) -> None:
    """A line break at the end of the run (python-docx's ``run.add_break()``)."""
    etree.SubElement(r, W_BR)
