"""The CLI contract that other issues and checks depend on."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import EXAMPLES, ROOT


def _unit(cli):
    assert cli("unit", "set", "--code", "21073", "--legacy", "--villages", "Thôn An Điềm;Thôn Phước Hòa",
               "--signer", "Ngô Văn Vương", "--signer-title", "CHỦ TỊCH")[0] == 0


def test_unit_show_and_set(cli):
    code, out, _ = cli("unit", "show")
    assert code == 0 and "Chưa khai báo" in out
    _unit(cli)
    code, out, _ = cli("unit", "show")
    profile = json.loads(out)
    assert profile["name"] == "Xã Bình Phước" and profile["district_name"] == "Huyện Bình Sơn"
    assert profile["villages"] == ["Thôn An Điềm", "Thôn Phước Hòa"]
    code, _, err = cli("unit", "set", "--code", "99999")
    assert code == 2 and "Không tìm thấy" in err


def test_report_lifecycle(cli, tmp_path):
    _unit(cli)
    code, out, _ = cli("report", "new", "--template", "cao-diem-dvctt", "--period", "2023-08-24..2023-09-24")
    assert code == 0 and out.strip().isdigit()  # prints only the id
    rid = out.strip()

    values = tmp_path / "v.json"
    values.write_text(json.dumps({"tiep_nhan_truc_tiep": "70", "tiep_nhan_truc_tuyen": 219,
                                  "so_hoa_thanh_phan": {"num": 302, "den": 310}}), encoding="utf-8")
    code, out, _ = cli("report", "set", rid, "--values", str(values))
    assert code == 0 and "Đã lưu" in out and "Lỗi" in out  # summary lists what is still missing

    code, out, _ = cli("report", "validate", rid)
    assert code == 1 and "Chưa nhập" in out

    code, out, _ = cli("report", "show", rid, "--json")
    doc = json.loads(out)
    assert doc["template"] == "cao-diem-dvctt" and doc["period"] == "2023-08-24..2023-09-24"
    assert doc["values"]["tiep_nhan_truc_tiep"] == 70
    assert doc["unit"]["code"] == "21073" and doc["document"]["signer"] == "Ngô Văn Vương"

    code, out, _ = cli("report", "list", "--json")
    listed = json.loads(out)
    assert listed[0]["id"] == int(rid) and 0 < listed[0]["completeness"] < 1
    assert listed[0]["period_label"] == "từ ngày 24/8/2023 đến ngày 24/9/2023"

    code, out, _ = cli("report", "finalise", rid)
    assert code == 1 and "còn lỗi" in out


def test_bad_values_file_writes_nothing(cli, tmp_path):
    _unit(cli)
    rid = cli("report", "new", "--template", "cao-diem-dvctt", "--period", "2023-09")[1].strip()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"tiep_nhan_truc_tiep": 5, "tiep_nhan_truc_tuyen": "nhiều", "khong_co": 1}),
                   encoding="utf-8")
    code, _, err = cli("report", "set", rid, "--values", str(bad))
    assert code == 2 and "tiep_nhan_truc_tuyen" not in err and "«Hồ sơ tiếp nhận trực tuyến»" in err
    assert "khong_co" in err
    doc = json.loads(cli("report", "show", rid, "--json")[1])
    assert "tiep_nhan_truc_tiep" not in doc["values"]  # all or nothing

    for content, reason in [(b"{not json", "JSON"), (b"\xff\xfe", "UTF-8"), (b"[1, 2]", "đối tượng")]:
        bad.write_bytes(content)
        code, _, err = cli("report", "set", rid, "--values", str(bad))
        assert code == 2 and reason in err
    code, _, err = cli("report", "set", rid, "--values", str(tmp_path / "khong-co.json"))
    assert code == 2 and "Không tìm thấy tệp" in err


def test_usage_errors_exit_2_in_vietnamese(cli):
    code, _, err = cli("report", "new", "--template", "cao-diem-dvctt")
    assert code == 2 and "thiếu tham số" in err
    code, _, err = cli("report", "new", "--template", "khong-co", "--period", "2023")
    assert code == 2 and "Không có mẫu báo cáo" in err
    code, _, err = cli("report", "new", "--template", "cao-diem-dvctt", "--period", "2023-Q9")
    assert code == 2 and "Không hiểu kỳ báo cáo" in err
    code, _, err = cli("report", "validate", "12345")
    assert code == 2 and "Không có báo cáo số 12345" in err


def test_finalise_locks_until_reopened_with_reason(cli, tmp_path):
    _unit(cli)
    rid = cli("report", "import-json", str(EXAMPLES / "cao-diem-dvctt.json"))[1].strip()
    assert cli("report", "finalise", rid)[0] == 0
    values = tmp_path / "v.json"
    values.write_text('{"rut_ho_so": 4}', encoding="utf-8")
    code, _, err = cli("report", "set", rid, "--values", str(values))
    assert code == 2 and "đã hoàn tất" in err
    assert cli("report", "reopen", rid, "--reason", "Sửa số hồ sơ rút")[0] == 0
    assert cli("report", "set", rid, "--values", str(values))[0] == 0


def test_delete_is_recoverable(cli):
    _unit(cli)
    rid = cli("report", "new", "--template", "cao-diem-dvctt", "--period", "2023-09")[1].strip()
    assert cli("report", "delete", rid)[0] == 0
    assert json.loads(cli("report", "list", "--json")[1]) == []
    assert cli("report", "restore", rid)[0] == 0
    assert len(json.loads(cli("report", "list", "--json")[1])) == 1


def test_python_m_and_console_script_are_the_same_program(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "desktop_app", "--data-dir", str(tmp_path), "templates", "list"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "cao-diem-dvctt" in proc.stdout
