"""The four seed reports, transcribed as examples, load, validate clean and read like the seeds."""

from __future__ import annotations

import json

import pytest

from desktop_app.documents.content import DocumentBuilder
from tests.conftest import EXAMPLES, example_paths

# Figures exactly as each seed writes them (vi-VN formatting, padding, percentages).
SEED_FIGURES = {
    "cao-diem-dvctt.json": [  # seed 004
        "Số:", "Bình Phước, ngày 25 tháng 9 năm 2023", "168/KH-UBND", "25/8/2023",
        "314 hồ sơ", "trực tiếp 70 hồ sơ", "trực tuyến 219 hồ sơ", "chuyển qua 25 hồ sơ",
        "giải quyết xong 293 hồ sơ", "trước hạn 288 hồ sơ (đạt 98,3%)", "quá hạn 05 hồ sơ",
        "là 18 hồ sơ", "rút 03 hồ sơ", "là 302 hồ sơ, đạt tỷ lệ 97,42%", "là 244 hồ sơ, đạt tỷ lệ 83,56%",
        "906/QĐ-UBND", "14/6/2023", "51 thủ tục", "một phần là 44 thủ tục", "toàn trình: 07 thủ tục",
        "10/51 thủ tục", "là 09 thủ tục", "toàn trình: 01 thủ tục", "218/218 hồ sơ", "đạt tỷ lệ 100%",
        "205/205 hồ sơ", "13/13 hồ sơ", "09/09 hồ sơ", "01/01 hồ sơ", "189 lượt", "2.318.000đ",
        "19/19 học viên", "35 thành viên", "05 công chức", "TM. ỦY BAN NHÂN DÂN", "Ngô Văn Vương",
    ],
    "ntm-tieu-chi-8.json": [  # seed 000
        "03/QĐ-BCĐ", "07/6/2023", "1841/STTTT-BCVT&CNTT", "25/9/2023", "8 giờ/ngày", "30 ki lô gam",
        "02 ki lô gam", "50m²", "01 kệ sách", "02 lần/ngày", "04 trạm BTS", "2.000 thuê bao", "7/7",
        "27 cụm loa", "54 loa", "50W", "28/28", "2.856", "99%", "430/460", "93,48%", "99 Tổ",
        "615 thành viên", "15 thành viên", "3381/QĐ-UBND", "07/10/2022", "15 Tổ", "134 thành viên", "83 Tổ",
        "466 thành viên", "16 điểm cầu", "650 người", "100 cán bộ", "580 người", "1885/KH-UBND", "22.040",
        "19.852", "19.643", "98,95%", "209 hồ sơ", "1,05%", "1.075", "1.113", "32.909", "32.301", "31.516",
        "97,57%", "785", "2,43%", "148", "52,87%", "80,86%", "97,99%", "10.778", "25.682", "41,97%",
        "5.647", "6.008", "93,99%", "2.045 lượt", "4,3 tỷ đồng", "291 lượt", "6,2 triệu đồng", "4.308 lượt",
        "103 triệu đồng", "67,07%", "42,19%", "55,36%", "30%", "12 tháng", "XÃ PHỔ THUẬN",
        "https://xaphothuan.quangngai.gov.vn", "Võ Thanh Hùng", "KT. CHỦ TỊCH",
    ],
    "quan-ly-tttt-6-thang.json": [  # seed 001
        "820/STTTT", "17/6/2022", "3306/KH-UBND", "14/11/2019", "1946/KH-UBND", "840/QĐ-UBND", "1224/KH-UBND",
        "40%", "09 thủ tục hành chính", "06 thủ tục hành chính", "1.528 hồ sơ", "80%", "60%", "30%", "15/15",
        "364 camera", "17 camera", "347 camera", "1,5 tỷ đồng", "128 chứng thư số", "32 chứng thư số",
        "96 chứng thư số", "16 chuyên mục", "524 tin", "8.817 văn bản", "39.435", "21.003", "1.315",
        "20.653/21.003", "98,33%", "19.739/20.653", "95,57%", "914/20.653", "4,43%", "350/21.003", "1,67%",
        "295 hồ sơ", "55 hồ sơ", "18.432", "17.153/18.432", "93,06%", "16.819/17.153", "98,05%",
        "334/17.153", "1,95%", "1.279/18.432", "6,94%", "1.204 hồ sơ", "75 hồ sơ", "15 điểm phục vụ",
        "02 bưu cục", "13 bưu điện", "64 đại lý", "151 trạm BTS", "6,1 tỷ đồng", "4,5 tỷ đồng",
        "130 triệu đồng", "722/KH-UBND", "419 cụm loa", "68%", "95 cụm loa", "83 thôn", "Quý III/2022",
        "Võ Thanh Hùng", "KT. CHỦ TỊCH",
    ],
    "chuyen-doi-so-quy.json": [  # seed 002
        "quý I năm 2024", "219/KH-UBND", "20/12/2023", "19/19 Ban Chỉ đạo", "tỷ lệ 100%",
        "03 Kế hoạch", "01 Quyết định", "02 Công văn", "38/KH-UBND", "18/KH-UBND", "44/KH-UBND",
        "392/UBND", "386/UBND", "80%", "99,17%", "99,44%", "88,62%", "90,05%", "(75%)",
        "278/278", "77/77", "423/489", "86,5%", "48/48", "144/QĐ-STTTT", "21/11/2022",
        "4679/QĐ-UBND", "28/12/2022", "25/QĐ-UBND", "168 phần mềm", "quý II năm 2024",
        "https://bato.quangngai.gov.vn", "Lữ Đình Tích", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
    ],
}


def _import(cli, path):
    code, out, err = cli("report", "import-json", str(path))
    assert code == 0, err
    return out.strip()


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_example_validates_clean_and_round_trips(cli, path, tmp_path):
    rid = _import(cli, path)
    code, out, _ = cli("report", "validate", rid)
    assert code == 0, out
    original = json.loads(path.read_text(encoding="utf-8"))
    shown = json.loads(cli("report", "show", rid, "--json")[1])
    for key in ("template", "template_version", "period", "unit", "document", "values"):
        assert shown[key] == original[key], key
    # importing what `show` printed changes nothing: same report, same values
    echoed = tmp_path / "show.json"
    echoed.write_text(json.dumps(shown, ensure_ascii=False), encoding="utf-8")
    again = cli("report", "import-json", str(echoed))[1].strip()
    assert again == rid
    assert json.loads(cli("report", "show", rid, "--json")[1])["values"] == original["values"]


@pytest.mark.parametrize("name", sorted(SEED_FIGURES))
def test_document_text_carries_every_seed_figure(workspace, name):
    rid, _ = workspace.import_document(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))
    record, template = workspace.report(rid)
    text = DocumentBuilder(template, workspace.validator(template)).build(workspace.report(rid)[0]).plain_text()
    missing = [figure for figure in SEED_FIGURES[name] if figure not in text]
    assert not missing, missing
    assert "None" not in text and "{{" not in text


def test_every_example_has_seed_figures_listed():
    assert {p.name for p in example_paths()} == set(SEED_FIGURES)
