"""Roles: who an installation speaks for, and how its documents are headed and signed."""

from __future__ import annotations

import json

import pytest
from docx import Document

from desktop_app.domain import roles
from desktop_app.errors import UserError
from desktop_app.services import Workspace
from tests.conftest import EXAMPLES


def test_role_of_a_profile_saved_before_roles_comes_from_its_level():
    assert roles.role_of({"level": "xa"}) == roles.COMMUNE
    assert roles.role_of({"level": "tinh"}) == roles.PROVINCE
    assert roles.role_of({"level": "huyen"}) == roles.DISTRICT
    assert roles.role_of({"level": "tinh", "role": "department"}) == roles.DEPARTMENT
    assert roles.role_of(None) == roles.COMMUNE and not roles.is_receiving(None)


def test_headers_follow_nghi_dinh_30():
    province = {"role": "province", "kind": "Tỉnh", "short_name": "Quảng Ngãi", "name": "Tỉnh Quảng Ngãi"}
    assert roles.issuer(province) == roles.Issuer("ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI", True, "UBND")
    department = dict(province, role="department", body_name="Sở Khoa học và Công nghệ")
    assert roles.issuer(department) == roles.Issuer("UBND TỈNH QUẢNG NGÃI", "SỞ KHOA HỌC VÀ CÔNG NGHỆ", False, "SKHCN")
    city = {"role": "department", "kind": "Thành phố", "short_name": "Huế", "body_name": "Sở Tài chính"}
    assert roles.issuer(city) == roles.Issuer("UBND THÀNH PHỐ HUẾ", "SỞ TÀI CHÍNH", False, "STC")
    commune = {"kind": "Phường", "short_name": "Cẩm Thành", "level": "xa"}
    assert roles.issuer(commune).name == "PHƯỜNG CẨM THÀNH"


def test_signing_forms():
    department, committee = {"role": "department"}, {"role": "province"}
    assert roles.signer_titles(department) == ["GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    assert roles.signing_authority(department, "PHÓ GIÁM ĐỐC") == "KT. GIÁM ĐỐC"
    assert roles.signing_authority(department, "Giám đốc") == ""  # the director signs in his own right
    assert roles.signing_authority(committee, "PHÓ CHỦ TỊCH") == "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH"
    assert roles.signing_authority(committee, "CHỦ TỊCH") == "TM. ỦY BAN NHÂN DÂN"
    assert roles.signing_authority(committee, "CHÁNH VĂN PHÒNG") is None


@pytest.mark.parametrize("role, code, body, message", [
    ("department", "51", "", "Hãy ghi tên sở, ngành"),
    ("department", "51", "Công ty ABC", "không giống tên một sở, ngành"),
    ("department", "21034", "Sở Nội vụ", "cần chọn một tỉnh"),
    ("province", "21034", None, "cần chọn một tỉnh"),
    ("commune", "51", None, "cần chọn một xã"),
])
def test_set_unit_refuses_a_role_that_does_not_fit(workspace, role, code, body, message):
    with pytest.raises(UserError, match=message):
        workspace.set_unit(code, role=role, body_name=body)
    assert workspace.profile() is None


def test_set_unit_keeps_the_role_while_the_unit_stays(workspace):
    workspace.set_unit("51", role="department", body_name="  sở   nội vụ ", signer_title="GIÁM ĐỐC")
    assert (workspace.profile().role, workspace.profile().body_name) == ("department", "Sở nội vụ")
    workspace.set_unit("51", signer_name="Lê Thị C")  # the signer changes; the role stays
    assert (workspace.profile().role, workspace.profile().body_name) == ("department", "Sở nội vụ")
    workspace.set_unit("21073", scheme="truoc-2025")  # another unit: its own role
    assert (workspace.profile().role, workspace.profile().body_name) == ("commune", "")


def test_cli_unit_set_role(cli):
    code, out, err = cli("unit", "set", "--code", "51", "--role", "department", "--signer-title", "PHÓ GIÁM ĐỐC")
    assert code == 0, err
    assert "Đã lưu đơn vị: Sở Khoa học và Công nghệ — Tỉnh Quảng Ngãi (51)" in out
    assert json.loads(cli("unit", "show")[1])["role"] == "department"
    code, _out, err = cli("unit", "set", "--code", "51", "--department", "Sở Nội vụ")
    assert code == 2 and "«--role department»" in err


def _commune_bundle(tmp_path, code: str):
    ws = Workspace(tmp_path / code)
    ws.set_unit(code)
    doc = json.loads((EXAMPLES / "ntm-tieu-chi-8.json").read_text(encoding="utf-8"))
    doc.update(period="2025", unit={"code": code})
    doc.pop("uid", None)
    ws.import_document(doc)
    ws.export_bundle(tmp_path / f"{code}.zip")
    ws.close()
    return tmp_path / f"{code}.zip"


def test_consolidated_report_of_the_provincial_committee(tmp_path):
    """It came out «ỦY BAN NHÂN DÂN PHƯỜNG …»: the window could only set an office up as a commune
    or ward, and the header is the profile's. Now the header and the signing follow the role."""
    from desktop_app.documents.consolidated import consolidated_content, write_consolidated_docx
    from desktop_app.domain import units

    bundles = [_commune_bundle(tmp_path, u.code) for u in units.communes("51")[:2]]
    ws = Workspace(tmp_path / "tinh")
    ws.set_unit("51", role="province", signer_name="Nguyễn Văn A", signer_title="PHÓ CHỦ TỊCH")
    ws.import_bundles(bundles)
    cons = ws.consolidate("ntm-tieu-chi-8", "2025")
    content = consolidated_content(cons)
    assert (content.issuer_upper, content.issuer_name, content.issuer_upper_bold) == (
        "ỦY BAN NHÂN DÂN", "TỈNH QUẢNG NGÃI", True)
    assert content.signing_authority == "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH"
    doc = Document(str(write_consolidated_docx(cons, tmp_path / "tong-hop.docx")))
    assert doc.tables[0].cell(0, 0).paragraphs[0].text == "ỦY BAN NHÂN DÂN\nTỈNH QUẢNG NGÃI"
    assert all(r.bold for r in doc.tables[0].cell(0, 0).paragraphs[0].runs if r.text.strip())
    assert doc.tables[-1].cell(0, 1).paragraphs[0].text == "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"
    ws.close()


def test_a_departments_document_names_the_department_as_its_author(tmp_path):
    """The file's author is the issuing body: the department, not the committee above it."""
    from desktop_app.documents.consolidated import write_consolidated_docx
    from desktop_app.domain import units

    from tests.test_report_types_2025 import VALUES_2025

    bundles = []
    for unit in units.communes("51")[:2]:
        commune = Workspace(tmp_path / unit.code)
        commune.set_unit(unit.code, villages=["Thôn 1", "Thôn 2", "Thôn 3"])
        report_id = commune.new_report("ntm-tieu-chi-8", "2025")
        assert commune.set_values(report_id, VALUES_2025).errors == []
        commune.export_bundle(tmp_path / f"{unit.code}.zip")
        bundles.append(tmp_path / f"{unit.code}.zip")
        commune.close()
    ws = Workspace(tmp_path / "so")
    ws.set_unit("51", role="department", body_name="Sở Khoa học và Công nghệ",
                signer_name="Trần Thị B", signer_title="PHÓ GIÁM ĐỐC")
    ws.import_bundles(bundles)
    cons = ws.consolidate("ntm-tieu-chi-8", "2025")
    assert cons.template.version == "2025.1"
    doc = Document(str(write_consolidated_docx(cons, tmp_path / "th.docx")))
    assert doc.core_properties.author == "Sở Khoa học và Công nghệ"
    # the sentences and «Nơi nhận» speak for the department too, not for a commune's committee
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for row in t.rows for c in row.cells)
    assert "Sở Khoa học và Công nghệ báo cáo kết quả" in text and "Sở Khoa học và Công nghệ kính báo cáo" in text
    assert "UBND tỉnh Quảng Ngãi báo cáo" not in text
    assert "Bộ Khoa học và Công nghệ (b/c)" in text and "UBND tỉnh Quảng Ngãi (b/c)" in text
    assert "HĐND xã" not in text and "UBND xã" not in text.split("Nơi nhận")[-1]
    ws.close()


def test_receipts_keep_the_final_report_of_a_unit_that_sent_twice(tmp_path):
    from desktop_app.domain import units

    code = units.communes("51")[0].code
    first = _commune_bundle(tmp_path, code)
    ws = Workspace(tmp_path / "tinh")
    ws.set_unit("51")
    ws.import_bundles([first])
    rec = ws.receipts("ntm-tieu-chi-8", "2025-01-01..2025-12-31")  # the same period written another way
    assert [(s.unit_code, s.status) for s in rec.sent] == [(code, "draft")]
    assert len(rec.missing) == len(units.communes("51")) - 1 and not rec.odd
    ws.close()


def test_a_communes_bundle_carries_its_unit_as_before_roles(tmp_path):
    """Older receivers refuse unknown keys in a bundle: a commune's unit carries no role."""
    import zipfile

    from desktop_app.domain import units

    code = units.communes("51")[0].code
    commune = Workspace(tmp_path / "xa")
    commune.set_unit(code)
    assert commune.profile().role == "commune"
    commune.new_report("cao-diem-dvctt", "2025-09")
    commune.export_bundle(tmp_path / "xa.zip")
    with zipfile.ZipFile(tmp_path / "xa.zip") as z:
        member = next(n for n in z.namelist() if n.startswith("reports/"))
        unit = json.loads(z.read(member))["unit"]
    assert "role" not in unit and "body_name" not in unit and unit["code"] == code
    province = Workspace(tmp_path / "tinh")
    province.set_unit("51")
    assert len(province.import_bundles([tmp_path / "xa.zip"]).new) == 1
    commune.close()
    province.close()


def test_a_departments_own_report_is_headed_as_the_department_and_keeps_it(tmp_path):
    from desktop_app.documents.content import DocumentBuilder
    from desktop_app.exchange import bundles

    office = Workspace(tmp_path / "so")
    office.set_unit("51", role="department", body_name="Sở Khoa học và Công nghệ")
    rid = office.new_report("cao-diem-dvctt", "2025-09")
    record, template = office.report(rid)
    content = DocumentBuilder(template).build(record)
    assert (content.issuer_upper, content.issuer_name) == ("UBND TỈNH QUẢNG NGÃI", "SỞ KHOA HỌC VÀ CÔNG NGHỆ")
    assert content.number_line == "Số:        /BC-SKHCN"
    # its JSON document and its bundle keep the department
    other = Workspace(tmp_path / "khac")
    other.set_unit("51")
    copied, _ = other.import_document(office.report(rid)[0].to_json())
    assert other.store.get_report(copied).unit.body_name == "Sở Khoa học và Công nghệ"
    office.export_bundle(tmp_path / "so.zip")
    found = bundles.read_bundle(tmp_path / "so.zip", office.templates)
    assert found.reports[0].report.unit.role == "department" and found.raw_reports[0]["unit"]["role"] == "department"
    office.close()
    other.close()


def test_cli_aggregate_writes_the_missing_list(tmp_path, data_dir, cli):
    from desktop_app.domain import units

    communes = units.communes("51")
    bundles = [_commune_bundle(tmp_path, u.code) for u in communes[:2]]
    ws = Workspace(data_dir)
    ws.set_unit("51", role="department", body_name="Sở Khoa học và Công nghệ")
    ws.import_bundles(bundles)
    ws.close()
    target = tmp_path / "chua-gui.csv"
    code, out, err = cli("aggregate", "--template", "ntm-tieu-chi-8", "--period", "2025", "--missing", str(target))
    assert code == 0, err
    assert f"Đã ghi danh sách {len(communes) - 2} đơn vị chưa gửi" in out
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("TT,Mã đơn vị,Tên đơn vị") and len(lines) == len(communes) - 2 + 1
    code, _out, err = cli("aggregate", "--template", "ntm-tieu-chi-8", "--period", "2025", "--missing",
                          str(tmp_path / "x.txt"))
    assert code == 2 and ".xlsx hoặc .csv" in err
