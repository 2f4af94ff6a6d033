"""The consolidation's quick paths give what the plain ones give (issue 16 item 3).

A sheet column reads each unit through ``Indicator.unit_reader`` (its branches taken once)
instead of ``Indicator.value``; reports of another template version are read through one
``_OlderValues`` per consolidation, a repeated plain value read once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from desktop_app.domain.entities import Report, UnitProfile
from desktop_app.domain.periods import parse_period
from desktop_app.domain.values import ValueProblem, coerce
from desktop_app.office import consolidation
from desktop_app.office.consolidation import consolidate, indicators
from tests.conftest import EXAMPLES


def _variants(record: Report, count: int) -> list[Report]:
    """The example report sent by ``count`` units, each leaving out a different share of its values."""
    out = []
    keys = sorted(record.values)
    for index in range(count):
        values = {k: record.values[k] for n, k in enumerate(keys) if (n + index) % (index + 2)}
        unit = UnitProfile(code=f"{21000 + index}", name=f"Xã Thử {index:02d}", level="xa")
        out.append(dataclasses.replace(record, id=index + 1, unit=unit, unit_code=unit.code, values=values,
                                       updated_at=dt.datetime(2025, 12, 1, 8)))
    return out


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_a_columns_unit_reader_gives_what_value_gives(workspace, example):
    rid, _ = workspace.import_document(json.loads((EXAMPLES / example).read_text(encoding="utf-8")))
    record, template = workspace.report(rid)
    cons = consolidate(template, record.period, _variants(record, 7), None)
    columns = indicators(template)
    assert columns and len(cons.submissions) == 7
    read = 0
    for ind in columns:
        reader = ind.unit_reader()
        for sub in cons.submissions:
            assert reader(sub) == ind.value(sub), (example, ind.key, sub.unit_name)
            read += reader(sub) is not None
    assert read  # the examples do fill the columns


def _old_record(index: int, values: dict) -> Report:
    return Report(template_id="ntm-tieu-chi-8", template_version="2020.1", period=parse_period("2023-9M"),
                  unit=UnitProfile(code=f"{21000 + index}", name=f"Xã {21000 + index}"), values=values,
                  id=index + 1, status="final", updated_at=dt.datetime(2023, 10, 1, 8))


def test_older_version_values_read_once_are_what_coerce_reads(workspace):
    template = workspace.template("ntm-tieu-chi-8")
    fields = {f.id: f for f in template.all_fields()}
    shared = {"so_thon": 5, "gio_mo_cua": "  Sáng 7 giờ  ", "so_thon_co_loa": "nhiều", "truong_bo_di": 3,
              "ty_le_dap_ung_nhu_cau_vt": 87.5}
    records = [_old_record(i, {**shared, "so_thon": 5 + i % 2}) for i in range(6)]
    cons = consolidate(template, parse_period("2023-9M"), records, None)
    for sub in cons.submissions:
        expected = {}
        for key, raw in records[0].values.items():
            if key in fields:
                try:
                    expected[key] = coerce(fields[key], raw)
                except ValueProblem:
                    pass
        expected["so_thon"] = coerce(fields["so_thon"], 5 + int(sub.unit_code) % 2)
        assert sub.values == {k: v for k, v in expected.items() if v is not None}
    refused = [n for n in cons.notes if "phiên bản 2020.1" in n]
    assert len(refused) == 6 and all(fields["so_thon_co_loa"].label in n for n in refused)  # every time


def test_the_older_values_memory_is_bounded(workspace, monkeypatch):
    template = workspace.template("ntm-tieu-chi-8")
    monkeypatch.setattr(consolidation._OlderValues, "LIMIT", 3)
    older = consolidation._OlderValues(template)
    so_thon = older.fields["so_thon"]
    assert [older.read(so_thon, n) for n in range(10)] == list(range(10))
    assert len(older._read) == 3
    assert older.read(so_thon, 1.0) == 1 and older.read(so_thon, "7") == 7
    with pytest.raises(ValueProblem):
        older.read(so_thon, True)  # a yes/no is not a number, though True == 1
