"""Consolidation at the receiving office, with totals checked by hand.

Three communes of Thị xã Đức Phổ (list before 2025) send the NTM criterion 8 report for
9 months of 2023 by bundle; a commune of another district sends one by mistake.
"""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from openpyxl import load_workbook

from desktop_app.exchange import bundles

from desktop_app.domain import units
from desktop_app.domain.entities import DocumentHeader, Report, UnitProfile
from desktop_app.domain.periods import parse_period
from desktop_app.cli import main as cli
from desktop_app.office.consolidation import consolidate, gather, indicators
from desktop_app.documents.consolidated import consolidated_content, write_consolidated_docx, write_consolidated_xlsx
from desktop_app.errors import UserError
from desktop_app.services import Workspace
from tests.conftest import EXAMPLES

EXAMPLE = json.loads((EXAMPLES / "ntm-tieu-chi-8.json").read_text(encoding="utf-8"))
DUC_PHO = units.communes("51", units.LEGACY, district_code="534")
BA_TO = units.communes("51", units.LEGACY, district_code="535")
QUANG_NGAI = units.communes("51")

# Per commune: villages, villages with loudspeakers, computers (num/den), digital teams rows,
# files resolved / on time, a percentage, the 8.1 verdict, a shortcoming, finalised or not.
COMMUNES = [
    dict(unit=DUC_PHO[0], so_thon=7, so_thon_co_loa=7, may_tinh=(28, 28),
         to=[("Xã", 1, 15), ("Thôn", 5, 30)], hs=(100, 90), pct=100, danh_gia="Đạt",
         ton_tai="Thiếu máy tính.", final=True, loa=[("Thôn 1", 2, 4), ("Thôn 2", 3, 6)]),
    dict(unit=DUC_PHO[1], so_thon=5, so_thon_co_loa=3, may_tinh=(10, 20),
         to=[("Xã", 1, 10)], hs=(50, 45), pct=50, danh_gia="Chưa đạt",
         ton_tai="Cán bộ kiêm nhiệm.", final=True, loa=[("Thôn A", 1, 2)]),
    dict(unit=DUC_PHO[2], so_thon=3, so_thon_co_loa=0, may_tinh=(2, 2),
         to=[], hs=(0, 0), pct=0, danh_gia="Đạt", ton_tai=None, final=False, loa=[]),
]


def _commune_report(spec: dict) -> dict:
    doc = copy.deepcopy(EXAMPLE)
    unit = spec["unit"]
    doc["unit"] = {**unit.as_profile().to_json(), "villages": []}
    values = doc["values"]
    values.update({
        "so_thon": spec["so_thon"], "so_thon_co_loa": spec["so_thon_co_loa"],
        "may_tinh_cbcc": {"num": spec["may_tinh"][0], "den": spec["may_tinh"][1]},
        "to_cong_nghe_so": [{"dia_ban": d, "so_to": t, "so_thanh_vien": m, "quyet_dinh": None}
                            for d, t, m in spec["to"]] or None,
        "hs_da_giai_quyet": spec["hs"][0], "hs_dung_han": spec["hs"][1],
        "hs_tre_han": spec["hs"][0] - spec["hs"][1], "hs_tiep_nhan": spec["hs"][0],
        "hs_dang_giai_quyet": 0, "hs_rut_lai": 0, "so_to_duoc_tap_huan": None,
        "ty_le_dap_ung_nhu_cau_vt": spec["pct"], "danh_gia_8_1": spec["danh_gia"],
        "ton_tai_han_che": spec["ton_tai"], "xa_danh_gia": unit.short_name,
        "loa_theo_thon": [{"ten_thon": n, "cum_loa": c, "loa": l, "hoat_dong": None}
                          for n, c, l in spec["loa"]] or None,
    })
    if spec["loa"]:
        values["so_cum_loa"] = sum(c for _, c, _ in spec["loa"])
        values["so_loa"] = sum(l for _, _, l in spec["loa"])
    return doc


def _send(tmp_path, spec: dict, name: str):
    """A commune's own machine: set up, enter the report, export a bundle."""
    ws = Workspace(tmp_path / name, who="xa")
    try:
        ws.set_unit(spec["unit"].code, scheme=units.LEGACY)
        report_id, _ = ws.import_document(_commune_report(spec))
        if spec["final"]:
            result = ws.finalise(report_id)
            assert not result.errors, [e.message for e in result.errors]
        path = tmp_path / f"{name}.zip"
        bundles.export_bundle(ws, path)
        return path
    finally:
        ws.close()


@pytest.fixture
def district(tmp_path):
    paths = [_send(tmp_path, spec, f"xa{i}") for i, spec in enumerate(COMMUNES)]
    outsider = dict(COMMUNES[0], unit=BA_TO[0])
    paths.append(_send(tmp_path, outsider, "ngoai"))
    ws = Workspace(tmp_path / "huyen", who="huyen")
    ws.set_unit("534", scheme=units.LEGACY)
    summary = bundles.import_bundles(ws, paths)
    assert len(summary.new) == 4 and not summary.rejected
    yield ws
    ws.close()


def test_totals_are_summed_and_ratios_recomputed_from_sums(district):
    cons = gather(district, "ntm-tieu-chi-8", "2023-9M")
    assert [s.unit_name for s in cons.submissions] == [DUC_PHO[0].name, DUC_PHO[1].name, DUC_PHO[2].name]
    assert len(cons.submissions) == 3 and len(cons.expected) == len(DUC_PHO)
    assert {u.code for u in cons.missing} == {u.code for u in DUC_PHO[3:]}
    assert [s.unit_code for s in cons.outside] == [BA_TO[0].code]
    assert [s.unit_code for s in cons.drafts] == [DUC_PHO[2].code]
    totals, computed = cons.totals, cons.computed
    assert totals["so_thon"] == 15 and totals["so_thon_co_loa"] == 10
    # 10/15 villages, not the mean of 100%, 60% and 0%.
    assert computed["ty_le_thon_co_loa"] == pytest.approx(66.6667, abs=1e-3)
    # 40 of 50 computers: 80%, not the mean of 100%, 50% and 100%.
    assert totals["may_tinh_cbcc"] == {"num": 40, "den": 50}
    ratio = next(i for i in indicators(cons.template) if i.key == "may_tinh_cbcc.pct")
    assert ratio.value(cons) == pytest.approx(80.0)
    assert computed["tong_so_to"] == 7 and computed["tong_thanh_vien_to"] == 55
    assert computed["hs_ty_le_dung_han"] == pytest.approx(135 / 150 * 100)
    assert "ty_le_dap_ung_nhu_cau_vt" not in totals  # a percentage is never averaged
    assert "danh_gia_8_1" not in totals  # the units disagree
    verdict = next(i for i in indicators(cons.template) if i.key == "danh_gia_8_1")
    assert verdict.value(cons) == "Đạt: 2/3; Chưa đạt: 1/3"
    assert totals["ton_tai_han_che"] == (f"{DUC_PHO[0].name}: Thiếu máy tính.\n"
                                         f"{DUC_PHO[1].name}: Cán bộ kiêm nhiệm.")
    # A text every unit wrote is written once, as it is.
    assert totals["noi_chap_nhan_thu"] == EXAMPLE["values"]["noi_chap_nhan_thu"]
    # One summed row per unit in a table with totals.
    rows = totals["to_cong_nghe_so"]
    assert [(r["so_to"], r["so_thanh_vien"]) for r in rows] == [(6, 45), (1, 10)]


def test_consolidated_document_carries_totals_in_its_sentences(district):
    cons = gather(district, "ntm-tieu-chi-8", "2023-9M")
    text = consolidated_content(cons).plain_text()
    assert "ỦY BAN NHÂN DÂN\nTHỊ XÃ ĐỨC PHỔ" in text
    assert "có 07 Tổ Công nghệ số cộng đồng, gồm 55 thành viên" in text
    assert f"3/{len(DUC_PHO)} đơn vị (trong đó 1 báo cáo chưa hoàn tất)" in text
    assert DUC_PHO[3].name in text and BA_TO[0].name not in text
    assert "10/15 thôn" in text and "66,67%" in text
    assert "Thiếu máy tính." in text and "Cán bộ kiêm nhiệm." in text
    # The per-row sentences of a summed table become one line per unit with its sums.
    assert f"+ {DUC_PHO[0].name}: Số tổ: 6; Số thành viên: 45." in text
    assert f"+ {DUC_PHO[1].name}: Số tổ: 1; Số thành viên: 10." in text
    loudspeakers = next(item for item in consolidated_content(cons).body
                        if getattr(item, "headers", None) and "Đơn vị" in item.headers)
    assert loudspeakers.headers[:2] == ["TT", "Đơn vị"] and len(loudspeakers.headers) == 4
    assert [[c.text for c in row] for row in loudspeakers.rows] == [
        ["1", DUC_PHO[0].name, "5", "10"], ["2", DUC_PHO[1].name, "1", "2"]]
    assert [c.text for c in loudspeakers.totals] == ["", "Tổng cộng", "6", "12"]


def test_consolidated_xlsx_has_one_row_per_unit_and_a_totals_row(district, tmp_path):
    cons = gather(district, "ntm-tieu-chi-8", "2023-9M")
    path = write_consolidated_xlsx(cons, tmp_path / "tong-hop.xlsx")
    book = load_workbook(path, read_only=True)
    rows = list(book["Tổng hợp"].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r[0] == "TT")  # below the title block
    header = rows[at]
    body = rows[at + 1:]
    assert len(body) == 4 and body[-1][2] == "Tổng cộng"
    col = header.index("Tổng số thôn của xã")
    assert [r[col] for r in body] == [7, 5, 3, 15]
    pct = header.index("Cán bộ, công chức được trang bị máy tính / tổng số cán bộ, công chức xã (%)")
    assert [r[pct] for r in body] == [1, 0.5, 1, 0.8]  # fractions shown as percentages
    teams = header.index("Tổ công nghệ số cộng đồng theo cấp: Số thành viên")
    assert [r[teams] for r in body] == [45, 10, 0, 55]
    status = list(book["Tình hình gửi báo cáo"].iter_rows(values_only=True))
    status = status[next(i for i, r in enumerate(status) if r[0] == "TT") + 1:]
    texts = [r[3] for r in status if len(r) > 3 and r[3]]
    assert texts.count("Chưa gửi") == len(DUC_PHO) - 3
    assert any(t.startswith("Không thuộc danh sách đơn vị") for t in texts)


def test_cli_aggregate_writes_both_files(district, tmp_path, capsys):
    district.close()
    docx, xlsx = tmp_path / "th.docx", tmp_path / "th.xlsx"
    code = cli(["aggregate", "--data-dir", str(tmp_path / "huyen"), "--template", "ntm-tieu-chi-8",
                "--period", "2023-9M", "--docx", str(docx), "--xlsx", str(xlsx)])
    out = capsys.readouterr().out
    assert code == 0 and docx.stat().st_size > 10_000 and xlsx.stat().st_size > 5_000
    assert f"3/{len(DUC_PHO)} đơn vị" in out and "không thuộc danh sách đơn vị của nơi nhận" in out
    assert "Tổng số Tổ công nghệ số cộng đồng: 7" in out and "Tổng số thôn của xã: 15" in out
    assert cli(["aggregate", "--data-dir", str(tmp_path / "huyen"), "--template", "ntm-tieu-chi-8",
                "--period", "2023-13"]) == 2


def test_nothing_received_yet_lists_every_unit_as_missing(tmp_path):
    ws = Workspace(tmp_path / "tinh")
    try:
        ws.set_unit("51")
        cons = gather(ws, "ntm-tieu-chi-8", "2025")
        assert not cons.submissions and len(cons.missing) == len(units.communes("51"))
        assert cons.totals == {}
        write_consolidated_docx(cons, tmp_path / "trong.docx")
        with pytest.raises(UserError):
            gather(ws, "khong-co-mau", "2025")
    finally:
        ws.close()


def _Rec(id, values, *, status="final", revision=1, hour=8, code="21073", version="2023.1") -> Report:  # noqa: N802
    import datetime as dt

    return Report(template_id="ntm-tieu-chi-8", template_version=version, period=parse_period("2023-9M"),
                  unit=UnitProfile(code=code, name=f"Xã {code}"), values=values, id=id, status=status,
                  revision=revision, updated_at=dt.datetime(2023, 10, 1, hour))


def test_same_unit_twice_keeps_the_final_then_the_later_revision(ntm_template):
    # A draft imported later (a later updated_at) does not beat the finalised report.
    cons = consolidate(ntm_template, parse_period("2023-9M"), [_Rec(1, {"so_thon": 4}, revision=9, hour=8),
                                                 _Rec(2, {"so_thon": 6}, status="draft", revision=1, hour=9)], None)
    assert cons.totals["so_thon"] == 4 and "lần sửa 9" in cons.notes[0]
    cons = consolidate(ntm_template, parse_period("2023-9M"), [_Rec(1, {"so_thon": 4}, revision=3),
                                                 _Rec(2, {"so_thon": 6}, revision=5)], None)
    assert cons.totals["so_thon"] == 6


def test_a_ratio_counts_only_units_that_gave_both_parts(ntm_template):
    both = _Rec(1, {"so_thon": 10, "so_thon_co_loa": 10}, code="21073")
    villages_only = _Rec(2, {"so_thon": 10}, code="21076")
    cons = consolidate(ntm_template, parse_period("2023-9M"), [both, villages_only], None)
    assert cons.totals["so_thon"] == 20  # the count itself covers every unit
    assert cons.computed["ty_le_thon_co_loa"] == pytest.approx(100.0)  # 10/10, not 10/20


def test_an_older_template_version_is_read_field_by_field(ntm_template):
    old = _Rec(1, {"so_thon": 5, "gio_mo_cua": 7, "truong_bo_di": 3, "so_thon_co_loa": "nhiều"},
               code="21073", version="2020.1")
    new = _Rec(2, {"so_thon": 6, "gio_mo_cua": "Sáng 7 giờ"}, code="21076")
    cons = consolidate(ntm_template, parse_period("2023-9M"), [old, new], None)
    assert cons.totals["so_thon"] == 11
    assert cons.totals["gio_mo_cua"] == "7; Sáng 7 giờ"  # a number read as text: still readable
    assert any("phiên bản 2020.1" in n and "bỏ qua" in n for n in cons.notes)


def test_one_period_written_two_ways_is_one_consolidation(tmp_path):
    ws = Workspace(tmp_path / "tinh")
    try:
        ws.set_unit("51")
        template = ws.template("cao-diem-dvctt")
        for code, spec, count in ((QUANG_NGAI[0], "2025-09", 5), (QUANG_NGAI[1], "2025-09-01..2025-09-30", 7)):
            ws.store.create_report(unit=code.as_profile(), template_id=template.id,
                                   template_version=template.version, period=parse_period(spec), document=DocumentHeader(),
                                   values={"tiep_nhan_truc_tiep": count}, origin="xa")
        [entry] = ws.received()
        assert entry.units == 2
        cons = gather(ws, "cao-diem-dvctt", "2025-09-01..2025-09-30")
        assert len(cons.submissions) == 2 and cons.totals["tiep_nhan_truc_tiep"] == 12
    finally:
        ws.close()


def test_gather_needs_a_unit_and_a_period_kind_the_template_uses(tmp_path):
    ws = Workspace(tmp_path / "w")
    try:
        with pytest.raises(UserError, match="Chưa khai báo đơn vị"):
            gather(ws, "ntm-tieu-chi-8", "2025")
        ws.set_unit("51")
        with pytest.raises(UserError, match="không dùng kỳ báo cáo"):
            gather(ws, "quan-ly-tttt-6-thang", "2025-Q1")
    finally:
        ws.close()


def _Record(index: int, unit, values: dict) -> Report:  # noqa: N802
    import datetime as dt

    return Report(template_id="ntm-tieu-chi-8", template_version="2023.1", period=parse_period("2025"),
                  unit=unit.as_profile(), values=values, id=index, status="final",
                  updated_at=dt.datetime(2025, 12, 1))


_unit_values = st.fixed_dictionaries({
    "so_thon": st.integers(0, 60),
    "may_tinh_cbcc": st.none() | st.fixed_dictionaries({"num": st.integers(0, 80), "den": st.integers(1, 80)}),
    "tt_phi_tien": st.none() | st.integers(0, 10**10),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_unit_values, min_size=1, max_size=12), st.randoms())
def test_property_totals_are_sums_and_order_does_not_matter(ntm_template, per_unit, rng):
    records = [_Record(i, DUC_PHO[i], {k: v for k, v in values.items() if v is not None})
               for i, values in enumerate(per_unit)]
    cons = consolidate(ntm_template, parse_period("2025"), records, None)
    shuffled = list(records)
    rng.shuffle(shuffled)
    assert consolidate(ntm_template, parse_period("2025"), shuffled, None).totals == cons.totals
    assert cons.totals["so_thon"] == sum(v["so_thon"] for v in per_unit)
    ratios = [v["may_tinh_cbcc"] for v in per_unit if v["may_tinh_cbcc"]]
    if ratios:
        num, den = sum(r["num"] for r in ratios), sum(r["den"] for r in ratios)
        assert cons.totals["may_tinh_cbcc"] == {"num": num, "den": den}
        pct = next(i for i in indicators(ntm_template) if i.key == "may_tinh_cbcc.pct")
        assert pct.value(cons) == pytest.approx(num / den * 100)
    else:
        assert "may_tinh_cbcc" not in cons.totals
    amounts = [v["tt_phi_tien"] for v in per_unit if v["tt_phi_tien"] is not None]
    assert cons.totals.get("tt_phi_tien") == (sum(amounts) if amounts else None)


def test_texts_shared_by_some_units_name_them(ntm_template):
    records = [_Rec(i, {"ton_tai_han_che": "Thiếu máy tính." if i < 12 else "Mạng yếu."}, code=f"{21000 + i}")
               for i in range(14)]
    cons = consolidate(ntm_template, parse_period("2023-9M"), records, None)
    first, second = cons.totals["ton_tai_han_che"].split("\n")
    assert first.endswith("và 9 đơn vị khác: Thiếu máy tính.") and first.startswith("Xã 21000, Xã 21001, Xã 21002")
    assert second == "Xã 21012, Xã 21013: Mạng yếu."
