"""The field-kind registry: every kind has a complete spec, and the rest of the app asks it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import get_args

import pytest

from desktop_app.domain.fieldkinds import KINDS, Consolidation, KindSpec, kind_labels, kind_spec, kinds_where
from desktop_app.templating.model import Column, Field, FieldKind

ROOT = Path(__file__).resolve().parents[1]
WIDGET_NAMES = {"number", "choice", "ratio", "date", "text", "long_text", "docref", "computed", "table"}


@pytest.mark.parametrize("kind", list(FieldKind))
def test_every_kind_has_a_complete_spec(kind: FieldKind) -> None:
    spec = kind_spec(kind)
    assert isinstance(spec, KindSpec) and spec.kind is kind
    required = [f.name for f in dataclasses.fields(KindSpec)
                if f.default is dataclasses.MISSING and f.name != "number_format"]  # None: General
    for name in required:
        assert getattr(spec, name) is not None, f"{kind.value}: {name} missing"
    assert spec.label.strip()
    assert callable(spec.parse) and callable(spec.check) and callable(spec.format) and callable(spec.cell)
    assert spec.widget in WIDGET_NAMES
    assert spec.consolidation in get_args(Consolidation)
    assert spec.number_format is None or isinstance(spec.number_format, str) or callable(spec.number_format)
    for part in spec.parts:
        assert part.kind in KINDS and not kind_spec(part.kind).parts, "a part is a simple value"
        assert part.label.strip()
    if spec.numeric:
        assert spec.number_valued and spec.column
    if spec.needs_options:
        assert spec.choices is not None


def test_the_registry_covers_exactly_the_kinds() -> None:
    assert set(KINDS) == set(FieldKind)
    assert set(kind_labels()) == {k.value for k in FieldKind}


def test_the_kind_sets_read_from_the_registry() -> None:
    """The sets once re-spelled in seven places."""
    numeric = {FieldKind.INTEGER, FieldKind.DECIMAL, FieldKind.AMOUNT, FieldKind.PERCENTAGE}
    assert kinds_where(lambda s: s.numeric) == numeric
    assert kinds_where(lambda s: s.number_valued) == numeric | {FieldKind.COMPUTED}
    summable = {FieldKind.INTEGER, FieldKind.DECIMAL, FieldKind.AMOUNT, FieldKind.RATIO}
    assert kinds_where(lambda s: s.summable) == summable
    assert kinds_where(lambda s: s.column) == numeric | {
        FieldKind.YESNO, FieldKind.CHOICE, FieldKind.TEXT, FieldKind.LONG_TEXT, FieldKind.DATE, FieldKind.COMPUTED}
    assert kinds_where(lambda s: s.outlier_warning) == {FieldKind.INTEGER, FieldKind.DECIMAL, FieldKind.AMOUNT}
    assert kinds_where(lambda s: s.previous_shown) == numeric | {FieldKind.RATIO}


def test_specs_read_check_and_write_values() -> None:
    amount = Field(id="a", kind=FieldKind.AMOUNT, label="Số tiền")
    assert kind_spec(FieldKind.AMOUNT).parse(amount, "2.318.000") == 2318000
    assert kind_spec(FieldKind.AMOUNT).check(amount, -1) == [("«Số tiền» không được nhỏ hơn 0.", "range")]
    assert kind_spec(FieldKind.AMOUNT).format(amount, 2318000, None) == "2.318.000"
    pct = Column(id="p", kind=FieldKind.PERCENTAGE, label="Tỷ lệ")
    assert kind_spec(FieldKind.PERCENTAGE).check(pct, 101)[0][1] == "range"
    assert kind_spec(FieldKind.PERCENTAGE).spreadsheet_format(pct) == '0.00"%"'
    dec = Field(id="d", kind=FieldKind.DECIMAL, label="Diện tích", decimals=3)
    assert kind_spec(FieldKind.DECIMAL).spreadsheet_format(dec) == "#,##0.000"
    assert kind_spec(FieldKind.YESNO).cell(True) == "Có"
    assert [p.key for p in kind_spec(FieldKind.DOCREF).parts] == ["number", "date", "issuer", "summary"]


def test_no_kind_chains_left_in_the_refactored_modules() -> None:
    """Per-kind decisions go through the registry; only structural checks (a table has rows, a
    computed value is derived, a ratio also has its percentage) name a kind there."""
    allowed = re.compile(r"FieldKind\.(TABLE|COMPUTED|RATIO|TEXT|INTEGER)\b")
    for path in ["desktop_app/domain/values.py", "desktop_app/domain/validation.py", "desktop_app/documents/content.py",
                 "desktop_app/documents/xlsx.py", "desktop_app/templating/loader.py", "desktop_app/office/consolidation.py"]:
        text = (ROOT / path).read_text(encoding="utf-8")
        names = re.findall(r"FieldKind\.[A-Z_]+", text)
        stray = [n for n in names if not allowed.fullmatch(n)]
        assert not stray, f"{path}: {stray}"
        assert "in (FieldKind." not in text and "NUMERIC_KINDS" not in text, path


def test_every_widget_name_has_a_widget() -> None:
    pytest.importorskip("PySide6.QtWidgets")
    from ui.fields import WIDGETS

    names = {kind_spec(k).widget for k in FieldKind}
    assert names - {"table"} <= set(WIDGETS), names - set(WIDGETS)
