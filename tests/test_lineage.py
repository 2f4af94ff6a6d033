"""The 2025 lineage: a merged commune's previous period from its predecessors' reports, and the
completeness of a province that absorbed another (Kon Tum into Quảng Ngãi)."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from desktop_app.domain import lineage, units
from desktop_app.domain.entities import Report
from desktop_app.domain.periods import parse_period
from desktop_app.office.consolidation import consolidate
from desktop_app.services import Workspace
from desktop_app.templating.registry import TemplateRegistry
from tests.conftest import EXAMPLES, TEMPLATES

EXAMPLE = json.loads((EXAMPLES / "ntm-tieu-chi-8.json").read_text(encoding="utf-8"))
NEW_CODE = "21499"  # Xã Ba Dinh (Quảng Ngãi) since 1 July 2025, formed from the old 21499 and 21500


def test_the_mapping_names_the_predecessors_and_absorbed_provinces():
    assert lineage.source().startswith("vietnamadminunits") and "MIT" in lineage.source()
    preds = lineage.predecessors(NEW_CODE)
    assert sorted((p.unit.code, p.whole) for p in preds) == [("21499", True), ("21500", True)]
    assert all(p.unit.scheme == units.LEGACY and p.unit.province_code == "51" for p in preds)
    assert lineage.absorbed_provinces("51") == ["51", "62"]  # Kon Tum into Quảng Ngãi
    assert NEW_CODE in lineage.successors("21500")
    kon_tum = units.communes("62", units.LEGACY)
    assert kon_tum and all(lineage.successors(c.code) for c in kon_tum[:20])


def _old_report(unit: units.AdminUnit, **values) -> dict:
    doc = copy.deepcopy(EXAMPLE)
    doc["unit"] = unit.as_profile().to_json()
    doc["period"] = "2024"
    doc.pop("uid", None)
    doc["values"].update(values)
    return doc


def test_a_merged_communes_previous_period_from_two_predecessors(tmp_path):
    a, b = (p.unit for p in lineage.predecessors(NEW_CODE))
    ws = Workspace(tmp_path / "xa")
    try:
        ws.set_unit(NEW_CODE)
        # Last year's reports of the two old communes, under their old codes (one shares the new code).
        ws.import_document(_old_report(a, so_thon=7, so_thon_co_loa=7, so_tram_bts=3,
                                       may_tinh_cbcc={"num": 20, "den": 22}, doanh_nghiep_vt="VNPT, Viettel",
                                       ton_tai_han_che="Thiếu máy tính.", gio_phuc_vu_ngay=8))
        ws.import_document(_old_report(b, so_thon=5, so_thon_co_loa=4, so_tram_bts=2,
                                       may_tinh_cbcc={"num": 12, "den": 15}, doanh_nghiep_vt="Viettel",
                                       ton_tai_han_che="Cán bộ kiêm nhiệm.", gio_phuc_vu_ngay=8))
        report_id = ws.new_report("ntm-tieu-chi-8", "2025")
        record, template = ws.report(report_id)
        assert template.version == "2025.1" and ws.previous_report(record) is None  # 21499 before 2025 is not this unit
        combined = ws.previous_from_predecessors(record)
        assert combined is not None and combined.sources == sorted([a.name, b.name])
        previous = ws.previous_values(record)
        assert previous["so_thon"] == 12 and previous["so_thon_co_loa"] == 11 and previous["so_tram_bts"] == 5
        assert previous["may_tinh_cbcc"] == {"num": 32, "den": 37}  # part by part, not an average
        assert previous["gio_phuc_vu_ngay"] == 8  # a level per commune, the same in both: kept, not added
        assert previous["doanh_nghiep_vt"] == f"{a.name}: VNPT, Viettel; {b.name}: Viettel"
        assert previous["ton_tai_han_che"] == f"{a.name}: Thiếu máy tính.\n{b.name}: Cán bộ kiêm nhiệm."
        # The previous period feeds the outlier warning: 3 villages after 12 last year.
        ws.set_values(report_id, {"so_thon": 1})
        warnings = [w.message for w in ws.validate(report_id).warnings if w.field_id == "so_thon"]
        assert any("kỳ trước (12)" in w for w in warnings)
        # The window's edit session sees the same previous period as the checks and the CLI.
        from desktop_app.editing import EditSession

        session = EditSession(ws, report_id)
        assert session.previous_period.spec == "2024" and session.previous_values == previous
    finally:
        ws.close()


def test_only_whole_predecessors_are_added_up():
    registry = TemplateRegistry([TEMPLATES])
    template = registry.get("ntm-tieu-chi-8", "2025.1")
    from desktop_app.domain.lineage import Predecessor
    from desktop_app.office.predecessors import combine

    def Rec(unit, so_thon):  # noqa: N802
        return _report(1, unit, {"so_thon": so_thon}, "2025.1")

    whole, part, absent = (units.find(c, units.LEGACY) for c in ("21499", "21500", "21502"))
    combined = combine(template, parse_period("2024"), [(Predecessor(whole, True), Rec(whole, 7)),
                                          (Predecessor(part, False), Rec(part, 5))], [Predecessor(absent, True)])
    assert combined.values["so_thon"] == 7
    assert any(part.name in n and "một phần" in n for n in combined.notes)
    assert any(absent.name in n and "Chưa có báo cáo" in n for n in combined.notes)


def _report(id: int, unit: units.AdminUnit, values: dict, version: str = "2023.1") -> Report:
    return Report(template_id="ntm-tieu-chi-8", template_version=version, period=parse_period("2025-H1"),
                  unit=unit.as_profile(), values=values, id=id, status="final", revision=1,
                  updated_at=dt.datetime(2025, 6, 30, 8))


def _Rec(id, unit, values) -> Report:  # noqa: N802
    return _report(id, unit, values)


def test_communes_of_an_absorbed_province_are_not_outside_the_area():
    template = TemplateRegistry([TEMPLATES]).get("ntm-tieu-chi-8", "2023.1")
    receiver = units.find("51").as_profile()
    kon_tum = units.communes("62", units.LEGACY)[0]
    elsewhere = units.communes("49", units.LEGACY)[0]  # Quảng Nam: went into Đà Nẵng, not Quảng Ngãi
    cons = consolidate(template, parse_period("2025-H1"), [_Rec(1, kon_tum, {"so_thon": 6}), _Rec(2, elsewhere, {"so_thon": 9})],
                       receiver)
    assert [s.unit_code for s in cons.submissions] == [kon_tum.code]
    assert [s.unit_code for s in cons.outside] == [elsewhere.code]
    assert cons.totals["so_thon"] == 6


def test_a_current_commune_counts_as_sent_when_all_its_predecessors_sent():
    template = TemplateRegistry([TEMPLATES]).get("ntm-tieu-chi-8", "2023.1")
    receiver = units.find("51").as_profile()
    a, b = (p.unit for p in lineage.predecessors(NEW_CODE))
    only_a = consolidate(template, parse_period("2025-H1"), [_Rec(1, a, {"so_thon": 7})], receiver)
    assert NEW_CODE in {u.code for u in only_a.missing}  # Ba Dinh's report still lacks the old 21500
    both = consolidate(template, parse_period("2025-H1"), [_Rec(1, a, {"so_thon": 7}), _Rec(2, b, {"so_thon": 5})], receiver)
    assert NEW_CODE not in {u.code for u in both.missing}
    assert len(both.missing) == len(units.communes("51")) - 1


@pytest.mark.parametrize("code", ["21034", "21496"])
def test_predecessors_are_old_communes_of_the_same_or_an_absorbed_province(code):
    assert all(p.unit.province_code in lineage.absorbed_provinces("51") for p in lineage.predecessors(code))
