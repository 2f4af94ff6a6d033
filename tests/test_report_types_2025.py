"""Report types for the two-level government from 1 July 2025: new template versions beside the
seed-era ones, the version a new report takes, the default type offered, commune wording."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from desktop_app.documents.export import document_content
from desktop_app.domain import units
from desktop_app.services import Workspace
from desktop_app.templating.registry import TemplateRegistry
from tests.conftest import EXAMPLES, TEMPLATES

# The seeds' own places, which must never reach a sentence of another unit's report.
SEED_PLACES = ("Đức Phổ", "Bình Sơn", "Ba Tơ", "Phổ Thuận", "Bình Phước", "thị xã", "huyện")
DISTRICT_ONLY = ("Cách gọi cấp huyện", "Một cửa các xã trực thuộc", "các xã trực thuộc", "mức độ 3", "mức độ 4")
NEW_VERSIONS = {"ntm-tieu-chi-8": "2025.1", "chuyen-doi-so-quy": "2025.1", "quan-ly-tttt-6-thang": "2025.1"}


@pytest.fixture(scope="module")
def registry():
    return TemplateRegistry([TEMPLATES])


def test_new_versions_sit_beside_the_seed_era_ones(registry):
    assert not registry.problems
    for template_id, version in NEW_VERSIONS.items():
        versions = [t.version for t in registry.all() if t.id == template_id]
        assert version in versions and len(versions) >= 2
        assert registry.get(template_id).version == version  # the newest


@pytest.mark.parametrize("template_id, version", NEW_VERSIONS.items())
def test_commune_versions_have_no_district_fields_or_old_bodies(registry, template_id, version):
    t = registry.get(template_id, version)
    assert [lv.value for lv in t.unit_levels] == ["xa"] and t.effective_from == dt.date(2025, 7, 1)
    labels = " ".join(f.label + " " + (f.help or "") for f in t.all_fields())
    for words in DISTRICT_ONLY:
        assert words not in labels
    recipients = " ".join(t.document.recipients)
    assert "Sở Khoa học và Công nghệ" in recipients and "UBND tỉnh" in recipients
    assert "Thông tin và Truyền thông" not in recipients and "thị xã" not in recipients


def test_ntm_2025_counts_online_services_as_toan_trinh_and_mot_phan(registry):
    t = registry.get("ntm-tieu-chi-8", "2025.1")
    ids = {f.id for f in t.all_fields()}
    assert {"ntt_toan_trinh", "ntt_mot_phan"} <= ids
    assert not ids & {"ntt_muc_3", "ntt_muc_4", "cap_huyen", "cap_xa_truc_thuoc", "xa_danh_gia", "hs_xa_tiep_nhan"}
    assert t.field("so_thon").prefill == "village_count"


VALUES_2025 = {
    "qd_giao_nhiem_vu": {"number": "15/QĐ-UBND", "date": "2025-07-15", "issuer": "UBND tỉnh Quảng Ngãi",
                         "summary": "về giao chỉ tiêu chuyển đổi số năm 2025"},
    "so_diem_phuc_vu_bc": 2, "so_thon_co_dich_vu_vt": 3, "ty_le_dap_ung_nhu_cau_vt": 100,
    "so_thon_co_loa": 3, "so_cum_loa": 6, "so_loa": 12, "so_tram_bts": 4,
    "may_tinh_cbcc": {"num": 30, "den": 32},
    "to_cong_nghe_so": [{"dia_ban": "xã", "so_to": 1, "so_thanh_vien": 12},
                        {"dia_ban": "thôn, tổ dân phố", "so_to": 3, "so_thanh_vien": 27}],
    "hs_tiep_nhan": 120, "hs_da_giai_quyet": 118, "hs_dung_han": 118, "hs_tre_han": 0, "hs_dang_giai_quyet": 2,
    "ntt_toan_trinh": {"num": 45, "den": 60}, "ntt_mot_phan": {"num": 20, "den": 40},
    "tt_phi_luot": 35, "tt_phi_tien": 1750000, "so_hoa_ho_so": 92.5, "so_hoa_ket_qua": 88,
}


def test_a_commune_report_for_2025_uses_its_own_name_and_prefills_villages(tmp_path):
    commune = next(u for u in units.communes("51") if u.name.startswith("Xã "))
    ws = Workspace(tmp_path / "xa")
    try:
        ws.set_unit(commune.code, villages=["Thôn 1", "Thôn 2", "Thôn 3"])
        report_id = ws.new_report("ntm-tieu-chi-8", "2025")
        record, template = ws.report(report_id)
        assert template.version == "2025.1"
        assert record.values["so_thon"] == 3  # from the unit profile
        assert ws.set_values(report_id, VALUES_2025).errors == []
        text = document_content(ws, report_id).plain_text()
        body = text[text.index("BÁO CÁO"):text.index("Nơi nhận:")]
        for place in SEED_PLACES:
            assert place not in body, place
        assert f"({commune.name.upper()})" in body
        assert f"{commune.name} có 3/3 thôn, tổ dân phố có hệ thống loa truyền thanh hoạt động" in body
        assert "dịch vụ công trực tuyến toàn trình: đã tiếp nhận 45/60 hồ sơ trực tuyến, đạt tỷ lệ 75%" in body
        assert "dịch vụ công trực tuyến một phần: đã tiếp nhận 20/40 hồ sơ trực tuyến, đạt tỷ lệ 50%" in body
        assert "bình quân 65%" in body
        assert f"Tại Trung tâm Phục vụ hành chính công {commune.name[0].lower()}{commune.name[1:]}" in body
        assert "Sở Khoa học và Công nghệ" in text[text.index("Nơi nhận:"):]
        assert not re.search(r"\{\{|\}\}|None", text)
    finally:
        ws.close()


def test_last_periods_report_keeps_its_version_and_a_2023_period_gets_the_2023_version(tmp_path):
    ws = Workspace(tmp_path / "xa")
    try:
        ws.set_unit("21448", scheme=units.LEGACY)
        old = ws.new_report("ntm-tieu-chi-8", "2023-9M")
        assert ws.report(old)[1].version == "2023.1"  # the 2025 version is not in effect in 2023
        new = ws.new_report("ntm-tieu-chi-8", "2025")
        assert ws.report(new)[1].version == "2025.1"
        assert ws.report(old)[1].version == "2023.1"  # still opened with its own version
    finally:
        ws.close()


def test_the_examples_still_name_their_seed_era_versions():
    import json

    for path in EXAMPLES.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["template_version"] in ("2022.1", "2023.1", "2024.1"), path.name


def test_the_default_type_offered_to_a_commune_is_the_2025_commune_report(registry):
    offered = registry.offered("xa", dt.date(2025, 9, 1))
    assert (offered[0].id, offered[0].version) == ("ntm-tieu-chi-8", "2025.1")
    # The 2023 campaign (no longer the first thing offered) is still there.
    assert "cao-diem-dvctt" in [t.id for t in offered[1:]]
    # Before July 2025 the 2025 version is not in effect: the list offers what applied then.
    early = registry.offered("xa", dt.date(2024, 3, 1))
    assert ("ntm-tieu-chi-8", "2025.1") not in [(t.id, t.version) for t in early]
    # A date no version is in effect on: the newest version, as for the whole list's other types.
    before_all = registry.offered("xa", dt.date(2000, 1, 1))
    versions = {t.id: t.version for t in before_all}
    assert versions["ntm-tieu-chi-8"] == max((t.version for t in registry.all() if t.id == "ntm-tieu-chi-8"),
                                             key=lambda v: tuple(int(x) for x in v.split(".")))


def test_new_report_dialog_starts_on_the_suggested_type(qtbot, tmp_path):
    from ui.dialogs import NewReportDialog

    ws = Workspace(tmp_path / "xa")
    try:
        ws.set_unit(next(u for u in units.communes("51") if u.name.startswith("Xã ")).code)
        dialog = NewReportDialog(ws)
        qtbot.addWidget(dialog)
        assert dialog.template_box.currentData() == "ntm-tieu-chi-8"
        assert "phiên bản 2025.1" in dialog.description.text()
    finally:
        ws.close()


@pytest.mark.parametrize("template_id", list(NEW_VERSIONS))
def test_the_seed_examples_values_read_in_the_2025_version_without_seed_places(tmp_path, template_id):
    """Last period's example (a district's, on the seed-era version) carried into the 2025 version:
    whatever still fits is kept, and the document speaks of the commune itself."""
    import json

    example = json.loads((EXAMPLES / f"{template_id}.json").read_text(encoding="utf-8"))
    commune = next(u for u in units.communes("51") if u.name.startswith("Xã "))
    ws = Workspace(tmp_path / "xa")
    try:
        ws.set_unit(commune.code, villages=["Thôn 1", "Thôn 2"])
        report_id = ws.new_report(template_id, "2025-Q3" if template_id == "chuyen-doi-so-quy" else "2025")
        _record, template = ws.report(report_id)
        fields = {f.id for f in template.all_fields() if f.kind.value != "computed"}
        kept = {k: v for k, v in example["values"].items() if k in fields}
        assert len(kept) > len(fields) // 2
        problems = ws.set_values(report_id, kept)
        assert not [e for e in problems.errors if e.code == "type"]
        text = document_content(ws, report_id).plain_text()
        head, body = text[:text.index("BÁO CÁO")], text[text.index("BÁO CÁO"):text.index("Nơi nhận:")]
        assert commune.name.upper() in head
        assert "None" not in body and "{{" not in body
        assert "Sở Khoa học và Công nghệ" in text[text.index("Nơi nhận:"):]
    finally:
        ws.close()


@pytest.mark.parametrize("template_id, version", NEW_VERSIONS.items())
def test_the_templates_own_words_never_name_the_seeds_places(registry, template_id, version):
    t = registry.get(template_id, version)
    blocks = [*t.document.opening, *t.document.closing, *(b for sec in t.sections for b in sec.body)]
    words = [t.title, t.document.summary, *t.document.recipients,
             *(b.heading or b.text or "" for b in blocks),
             *(f"{f.label} {f.help or ''} {f.placeholder or ''}" for f in t.all_fields()),
             *(f"{c.label} {c.help or ''}" for f in t.all_fields() for c in f.columns or [])]
    for place in ("thị xã", "huyện", "Đức Phổ", "Ba Tơ", "Bình Sơn", "Phổ Thuận", "Quảng Ngãi"):
        assert not [w for w in words if place in w], place
