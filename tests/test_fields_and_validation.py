"""Each field kind and rule kind, and incremental re-validation on a 300-field report."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from desktop_app.templating.loader import parse_template_text
from desktop_app.domain.validation import ERROR, WARNING, Validator
from desktop_app.domain.values import ValueProblem, coerce, format_value, parse_input

ALL_KINDS = textwrap.dedent("""\
    format: 1
    id: moi-kieu
    version: "1"
    title: "Mọi kiểu trường"
    effective_from: 2024-01-01
    unit_levels: [xa]
    period_kinds: [year]
    document: {summary: "x"}
    sections:
      - id: s1
        title: "Phần 1"
        fields:
          - {id: so_nguyen, kind: integer, label: "Số nguyên", min: 0, max: 1000, required: true}
          - {id: thap_phan, kind: decimal, label: "Thập phân", decimals: 2}
          - {id: tien, kind: amount, label: "Số tiền", unit: "đồng"}
          - {id: ty_le, kind: ratio, label: "Tỷ lệ"}
          - {id: phan_tram, kind: percentage, label: "Phần trăm"}
          - {id: co_khong, kind: yesno, label: "Có/không"}
          - {id: lua_chon, kind: choice, label: "Đánh giá", options: ["Đạt", "Chưa đạt", "Đang triển khai"]}
          - {id: ngan, kind: text, label: "Văn bản ngắn"}
          - {id: dai, kind: long_text, label: "Văn bản dài"}
          - {id: ngay, kind: date, label: "Ngày"}
          - {id: vb, kind: docref, label: "Văn bản"}
          - id: thon
            kind: table
            label: "Loa theo thôn"
            prefill: villages
            columns:
              - {id: ten, kind: text, label: "Thôn", required: true}
              - {id: cum_loa, kind: integer, label: "Cụm loa", min: 0, total: true}
              - {id: loa, kind: integer, label: "Loa", min: 0, total: true}
              - {id: loa_moi_cum, kind: computed, label: "Loa/cụm", expr: "loa / cum_loa"}
          - {id: so_thon, kind: integer, label: "Số thôn"}
          - {id: to_cns, kind: integer, label: "Số tổ"}
          - {id: thanh_vien, kind: integer, label: "Thành viên"}
          - {id: dung_han, kind: integer, label: "Đúng hạn"}
          - {id: tre_han, kind: integer, label: "Trễ hạn"}
          - {id: da_giai_quyet, kind: integer, label: "Đã giải quyết"}
          - {id: ty_le_dung_han, kind: computed, label: "Tỷ lệ đúng hạn", expr: "pct(dung_han, da_giai_quyet)", display: percent}
        rules:
          - {check: "dung_han + tre_han == da_giai_quyet", message: "Đúng hạn + trễ hạn phải bằng đã giải quyết."}
          - {check: "rows(thon) <= so_thon", message: "Số dòng thôn không được vượt số thôn.", fields: [thon]}
          - {check: "thanh_vien >= to_cns", message: "Số thành viên phải ít nhất bằng số tổ."}
          - {check: "not (phan_tram == 100 and not empty(dai))", severity: warning,
             message: "Tỷ lệ 100% nhưng lại ghi tồn tại: kiểm tra lại.", fields: [phan_tram]}
    """)


@pytest.fixture(scope="module")
def template():
    t, problems = parse_template_text(ALL_KINDS, "moi-kieu.yaml")
    assert problems == []
    return t


@pytest.fixture(scope="module")
def validator(template):
    return Validator(template)


@pytest.mark.parametrize("field_id,raw,stored", [
    ("so_nguyen", "1.234", 1234),
    ("so_nguyen", 12, 12),
    ("thap_phan", "1.234,5", 1234.5),
    ("tien", "2.318.000đ", 2318000),
    ("ty_le", {"num": "302", "den": 310}, {"num": 302, "den": 310}),
    ("phan_tram", "98,95", 98.95),
    ("co_khong", "Có", True),
    ("co_khong", False, False),
    ("lua_chon", "Đạt", "Đạt"),
    ("ngan", "  Tho\u0302\u0301n ", "Thốn"),  # NFD input is stored NFC and trimmed
    ("dai", "Dòng 1\r\nDòng 2", "Dòng 1\nDòng 2"),
    ("ngay", "7/6/2023", "2023-06-07"),
    ("vb", {"number": "66/KH-UBND", "date": "31/8/2023", "issuer": "UBND xã"},
     {"number": "66/KH-UBND", "date": "2023-08-31", "issuer": "UBND xã", "summary": None}),
    ("thon", [{"ten": "Thôn 1", "cum_loa": "3", "loa": 6}], [{"ten": "Thôn 1", "cum_loa": 3, "loa": 6}]),
    ("so_nguyen", "", None),
])
def test_coerce_each_kind(template, field_id, raw, stored):
    assert coerce(template.field(field_id), raw) == stored


@pytest.mark.parametrize("field_id,raw", [
    ("so_nguyen", "1,5"), ("so_nguyen", "mười"), ("so_nguyen", True), ("tien", 1.5),
    ("ty_le", [1, 2]), ("ty_le", {"num": 1, "den": 2, "x": 3}), ("co_khong", "có lẽ"),
    ("ngay", "30/02/2024"), ("vb", "66/KH-UBND"), ("thon", {"ten": "x"}),
    ("thon", [{"khong_co": 1}]), ("dai", 5), ("ty_le_dung_han", 5),
])
def test_coerce_rejects_wrong_shapes_in_vietnamese(template, field_id, raw):
    with pytest.raises(ValueProblem) as info:
        coerce(template.field(field_id), raw)
    assert "«" in str(info.value)  # names the field


def test_ui_text_round_trip(template):
    for field_id, text in [("so_nguyen", "22.040"), ("thap_phan", "1.234,50"), ("ty_le", None), ("ngay", "07/06/2023")]:
        f = template.field(field_id)
        if text is not None:
            assert format_value(f, parse_input(f, text)) == text


def _issues(result, field_id):
    return [(i.severity, i.code) for i in result.for_field(field_id)]


def test_type_range_and_required(validator):
    r = validator.validate({"so_nguyen": 5000, "phan_tram": 120, "ty_le": {"num": 5, "den": 3},
                            "lua_chon": "Tốt", "vb": {"number": "66", "date": None, "issuer": None, "summary": None}})
    assert (ERROR, "range") in _issues(r, "so_nguyen")
    assert (ERROR, "range") in _issues(r, "phan_tram")
    assert any("tử số" in i.message for i in r.for_field("ty_le"))
    assert (ERROR, "type") in _issues(r, "lua_chon")
    assert (ERROR, "format") in _issues(r, "vb")
    r = validator.validate({})
    assert (ERROR, "required") in _issues(r, "so_nguyen")


def test_table_cells_checked_with_row_and_column(validator):
    r = validator.validate({"so_nguyen": 1, "thon": [{"ten": "Thôn 1", "cum_loa": -1, "loa": 2}, {"cum_loa": 1}]})
    cells = {(i.row, i.column, i.code) for i in r.for_field("thon")}
    assert (1, "cum_loa", "range") in cells and (2, "ten", "required") in cells


def test_cross_field_rules(validator):
    ok = validator.validate({"so_nguyen": 1, "dung_han": 19643, "tre_han": 209, "da_giai_quyet": 19852})
    assert not [i for i in ok.issues if i.code == "rule"]
    assert ok.computed["ty_le_dung_han"] == pytest.approx(98.9472, abs=1e-3)
    bad = validator.validate({"so_nguyen": 1, "dung_han": 1, "tre_han": 1, "da_giai_quyet": 3,
                              "to_cns": 10, "thanh_vien": 5, "so_thon": 1,
                              "thon": [{"ten": "A"}, {"ten": "B"}]})
    messages = [i.message for i in bad.errors]
    assert "Đúng hạn + trễ hạn phải bằng đã giải quyết." in messages
    assert "Số thành viên phải ít nhất bằng số tổ." in messages
    assert "Số dòng thôn không được vượt số thôn." in messages


def test_rule_waits_until_its_fields_are_filled(validator):
    r = validator.validate({"so_nguyen": 1, "dung_han": 1})
    assert not [i for i in r.issues if i.code == "rule"]


def test_warning_does_not_count_as_error(validator):
    r = validator.validate({"so_nguyen": 1, "phan_tram": 100, "dai": "Còn thiếu máy tính"})
    assert [(i.severity, i.field_id) for i in r.warnings] == [(WARNING, "phan_tram")]
    assert not r.errors


def test_outlier_warning_against_previous_period(validator):
    r = validator.validate({"so_nguyen": 900}, {"previous": {"so_nguyen": 100}})
    assert [i.code for i in r.warnings] == ["outlier"]
    assert not validator.validate({"so_nguyen": 110}, {"previous": {"so_nguyen": 100}}).warnings


def test_table_totals_and_computed_columns(validator):
    rows = [{"ten": "Thôn 1", "cum_loa": 3, "loa": 6}, {"ten": "Thôn 2", "cum_loa": 4, "loa": 8}]
    assert validator.column_totals("thon", rows) == {"cum_loa": 7, "loa": 14}
    assert validator.table_rows_with_computed("thon", rows)[0]["loa_moi_cum"] == 2


def test_completeness(validator, template):
    statuses = validator.section_status({"so_nguyen": 3}, validator.validate({"so_nguyen": 3}))
    assert statuses[0].completeness == 1.0  # the only required field is filled


# --- incremental re-validation is exactly full validation -------------------------------

def _big_template(n_groups: int = 60):
    """300 fields: per group four inputs and one computed, with a rule each."""
    lines = ["format: 1", "id: lon", 'version: "1"', 'title: "Lớn"', "effective_from: 2024-01-01",
             "unit_levels: [xa]", "period_kinds: [year]", 'document: {summary: "x"}', "sections:"]
    for s in range(6):
        lines += [f"  - id: p{s}", f'    title: "Phần {s}"', "    fields:"]
        rules = []
        for g in range(s * n_groups // 6, (s + 1) * n_groups // 6):
            for k in "abcd":
                lines.append(f'      - {{id: {k}{g}, kind: integer, label: "{k}{g}", min: 0}}')
            prev = f" + t{g - 1}" if g % 10 else ""
            lines.append(f'      - {{id: t{g}, kind: computed, label: "t{g}", expr: "a{g} + b{g}{prev}"}}')
            rules.append(f'      - {{check: "c{g} + d{g} <= t{g}", message: "Nhóm {g} sai."}}')
        lines += ["    rules:", *rules]
    template, problems = parse_template_text("\n".join(lines) + "\n", "lon.yaml")
    assert problems == []
    return template


BIG = _big_template()
BIG_VALIDATOR = Validator(BIG)
INPUT_IDS = [f.id for f in BIG.all_fields() if f.kind.value != "computed"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(INPUT_IDS), st.one_of(st.none(), st.integers(-5, 50))),
                      min_size=1, max_size=25))
def test_incremental_equals_full(edits):
    assert len(BIG.all_fields()) == 300
    values: dict = {}
    result = BIG_VALIDATOR.validate(values)
    for field_id, value in edits:
        if value is None:
            values.pop(field_id, None)
        else:
            values[field_id] = value
        result = BIG_VALIDATOR.revalidate(result, values, field_id)
    full = BIG_VALIDATOR.validate(values)
    assert result.computed == full.computed
    assert sorted(map(repr, result.issues)) == sorted(map(repr, full.issues))
