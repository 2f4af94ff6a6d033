"""Counting answers in expressions (count, count_rows), list literals, the expression limit,
and the loader's checks of declared table rows."""

from __future__ import annotations

import pytest

from desktop_app.templating.expressions import MAX_EXPRESSION_LENGTH, ExpressionError, check_expression
from desktop_app.templating.loader import parse_template_text

TABLE = [{"ma": "1.1", "nhom": "I", "danh_gia": "Đạt"}, {"ma": "1.2", "nhom": "I", "danh_gia": "Chưa đạt"},
         {"ma": "2.1", "nhom": "II", "danh_gia": "Đạt"}, {"ma": "2.2", "nhom": "II", "danh_gia": None}, {}]


def test_count_over_a_list_of_fields():
    e = check_expression("count([a, b, c, d], 'Đạt')", {"a", "b", "c", "d"})
    assert e.evaluate({"a": "Đạt", "b": "Chưa đạt", "c": None, "d": "Đạt"}) == 2
    assert e.required_names == frozenset()  # an empty field is simply not counted
    either = check_expression("count([a, b, c], ['Đạt', 'Đang triển khai'])", {"a", "b", "c"})
    assert either.evaluate({"a": "Đạt", "b": "Đang triển khai", "c": "Chưa đạt"}) == 2
    yes = check_expression("count([a, b, c], True)", {"a", "b", "c"})
    assert yes.evaluate({"a": True, "b": 1, "c": False}) == 1  # the number 1 is not a «Có»


def test_count_rows_with_several_conditions():
    names = {"t"}
    assert check_expression("count_rows(t, 'danh_gia', 'Đạt')", names).evaluate({"t": TABLE}) == 2
    assert check_expression("count_rows(t, 'danh_gia', 'Đạt', 'nhom', 'II')", names).evaluate({"t": TABLE}) == 1
    assert check_expression("count_rows(t, 'nhom', 'I')", names).evaluate({"t": TABLE}) == 2
    assert check_expression("count_rows(t, 'nhom', ['I', 'II'])", names).evaluate({"t": TABLE}) == 4
    assert check_expression("count_rows(t, 'danh_gia', 'Đạt')", names).evaluate({"t": None}) == 0
    assert check_expression("count_rows(t, 'nhom', 'I')", names).columns == (("t", "nhom"),)


def test_membership_in_a_written_list_now_evaluates():
    # Documented since the first version; simpleeval alone refused list literals at evaluation.
    e = check_expression("muc_do in ['Tốt', 'Khá']", {"muc_do"})
    assert e.evaluate({"muc_do": "Khá"}) is True and e.evaluate({"muc_do": "Yếu"}) is False


@pytest.mark.parametrize("source, message", [
    ("count(a, 'Đạt')", "danh sách trường trong ngoặc vuông"),
    ("count([a], 'Đạt', 1)", "count cần hai phần"),
    ("count_rows(t, 'x')", "count_rows cần bảng"),
    ("count_rows(t, 'a', 1, 'b', 2, 'c', 3, 'd', 4, 'e', 5)", "1 đến 4 cặp"),
    ("count_rows(t, a, 'Đạt')", "phải là chữ trong nháy đơn"),
    ("count([" + ", ".join(["a"] * 201) + "], 'Đạt')", "tối đa 200 phần tử"),
    ("a + " * (MAX_EXPRESSION_LENGTH // 4) + "a", f"dài quá {MAX_EXPRESSION_LENGTH} ký tự"),
    ("count([a], 'x' * 200000000)", "quá lớn"),
])
def test_counting_refuses_bad_or_hostile_shapes(source, message):
    with pytest.raises(ExpressionError, match=message):
        check_expression(source, {"a", "t"})


def test_a_real_formula_fits_the_limit():
    # The sum of comparisons a province wrote for 30 indicators (485 characters at 30, now also at 60).
    fields = [f"ct_{i}" for i in range(60)]
    source = " + ".join(f"({f} == 'Đạt')" for f in fields)
    assert 500 < len(source) <= MAX_EXPRESSION_LENGTH
    e = check_expression(source, set(fields))
    assert e.evaluate({f: "Đạt" for f in fields}) == 60


BASE = """format: 1
id: thu
version: "1"
title: "Thử"
effective_from: 2025-07-01
unit_levels: [xa]
period_kinds: [year]
document:
  summary: "Thử"
sections:
  - id: a
    title: "A"
    fields:
      - id: chi_tieu
        kind: table
        label: "Chỉ tiêu"
        columns:
          - {id: ma, kind: text, label: "Mã"}
          - {id: so, kind: integer, label: "Số", min: 0}
          - {id: tinh, kind: computed, label: "Tính", expr: "so + 1"}
          - {id: danh_gia, kind: choice, label: "Đánh giá", options: ["Đạt", "Chưa đạt"]}
"""


def _problems(extra: str) -> list[str]:
    template, problems = parse_template_text(BASE + extra, "thu.yaml")
    return [f"{p.where}: {p.message}" for p in problems]


def test_declared_rows_are_checked():
    assert _problems('        rows:\n          - {ma: "1"}\n          - {ma: "2", danh_gia: "Đạt"}\n') == []
    problems = _problems(
        '        rows:\n'
        '          - {ma: "1", khong_co: 1}\n'
        '          - {ma: "2", danh_gia: "Tốt"}\n'
        '          - {ma: "3", tinh: 4}\n'
        '          - {ma: "", so: -1}\n'
        '        max_rows: 10\n'
        '      - {id: dem, kind: computed, label: "Đếm", expr: "count_rows(chi_tieu, \'danhgia\', \'Đạt\')"}\n')
    assert any("dòng 1 › khong_co: bảng «chi_tieu» không có cột «khong_co»" in p for p in problems)
    assert any("dòng 2 › danh_gia" in p and "«Tốt» không nằm trong các lựa chọn" in p for p in problems)
    assert any("dòng 3 › tinh" in p and "được tính tự động" in p for p in problems)
    assert any("dòng 4 › ma" in p and "không được để trống" in p for p in problems)
    assert any("dòng 4 › so" in p and "không được nhỏ hơn 0" in p for p in problems)
    assert any("không dùng «prefill», «min_rows», «max_rows»" in p for p in problems)
    assert any("bảng «chi_tieu» không có cột «danhgia»" in p for p in problems)


def test_rows_only_on_tables():
    problems = _problems('      - {id: x, kind: integer, label: "X", rows: [{ma: "1"}]}\n')
    assert any("chỉ bảng (table) mới có" in p and "«rows»" in p for p in problems)
