"""Template loading: every mistake reported with its line; hostile content refused."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from desktop_app.templating.doctext import render_text
from desktop_app.templating.expressions import ExpressionError, check_expression
from desktop_app.templating.loader import load_template, parse_template_text
from desktop_app.templating.registry import TemplateRegistry
from tests.conftest import TEMPLATES

MINIMAL = textwrap.dedent("""\
    format: 1
    id: thu-nghiem
    version: "1.0"
    title: "Báo cáo thử nghiệm"
    effective_from: 2024-01-01
    unit_levels: [xa]
    period_kinds: [quarter]
    document:
      summary: "Báo cáo thử nghiệm {{ ky_bao_cao }}"
    sections:
      - id: chung
        title: "Chung"
        fields:
          - {id: a, kind: integer, label: "Số A", min: 0}
          - {id: b, kind: integer, label: "Số B"}
          - {id: tong, kind: computed, label: "Tổng", expr: "a + b"}
        rules:
          - {check: "a >= b", message: "A phải lớn hơn hoặc bằng B."}
        body:
          - text: "Có {{ a | so }} và {{ b | so }}, tổng {{ tong | so }}."
    """)


def test_minimal_template_loads():
    template, problems = parse_template_text(MINIMAL, "mau.yaml")
    assert problems == [] and template.id == "thu-nghiem"


def test_bundled_templates_all_load_clean():
    registry = TemplateRegistry([TEMPLATES])
    assert registry.problems == []
    ids = {t.id for t in registry.all()}
    assert "cao-diem-dvctt" in ids


def test_broken_template_reports_every_mistake_with_line():
    broken = textwrap.dedent("""\
        format: 1
        id: Sai Ma
        version: "1.0"
        title: "Mẫu hỏng"
        effective_from: 2024-01-01
        unit_levels: [xa]
        period_kinds: [quarter, fortnight]
        document:
          summary: "x"
        sections:
          - id: chung
            title: "Chung"
            fields:
              - {id: a, kind: integr, label: "Số A"}
              - {id: b, kind: choice, label: "Chọn"}
              - {id: c, kind: integer, label: "C", colour: red}
        """)
    template, problems = parse_template_text(broken, "hong.yaml")
    assert template is None
    by_line = {p.line: p.message for p in problems}
    assert 2 in by_line and "mã mẫu hợp lệ" in by_line[2]       # bad id
    assert 7 in by_line and "fortnight" in by_line[7]              # unknown period kind
    assert 14 in by_line and "integr" in by_line[14]               # unknown field kind
    assert 16 in by_line and "không có trong định dạng" in by_line[16]  # unknown key
    assert all(p.file == "hong.yaml" for p in problems)


def test_semantic_mistakes_each_reported():
    text = MINIMAL.replace('expr: "a + b"', 'expr: "a + zz"').replace(
        '{check: "a >= b"', '{check: "a.__class__ == b"').replace(
        "{{ a | so }} và", "{{ a | lamtron }} và") + (
        '  - id: chung\n'
        '    title: "Trùng"\n'
        '    fields:\n'
        '      - {id: a, kind: choice, label: "Trùng mã"}\n')
    template, problems = parse_template_text(text, "mau.yaml")
    messages = " | ".join(p.message for p in problems)
    assert template is None
    assert "zz" in messages                      # unknown name in a computed value
    assert "dấu chấm" in messages                # attribute access refused
    assert "lamtron" in messages                 # unknown document filter
    assert "mã phần «chung» bị trùng" in messages
    assert "mã trường «a» bị trùng" in messages
    assert "options" in messages                 # choice without options
    assert all(p.line for p in problems)


def test_yaml_syntax_error_and_duplicate_keys(tmp_path):
    bad = tmp_path / "cuphap.yaml"
    bad.write_text("format: 1\nid: [unclosed\n", encoding="utf-8")
    template, problems = load_template(bad)
    assert template is None and problems[0].line and "YAML" in problems[0].message
    dup = MINIMAL.replace('title: "Báo cáo thử nghiệm"', 'title: "A"\ntitle: "B"')
    _, problems = parse_template_text(dup, "dup.yaml")
    assert any("hai lần" in p.message and p.line == 5 for p in problems)


def test_unreadable_files_do_not_crash(tmp_path):
    (tmp_path / "nhiphan.yaml").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "rong.yaml").write_text("", encoding="utf-8")
    (tmp_path / "danhsach.yaml").write_text("- 1\n- 2\n", encoding="utf-8")
    registry = TemplateRegistry([tmp_path])
    assert registry.all() == [] and len(registry.problems) == 3


def test_computed_cycle_detected():
    text = MINIMAL.replace('{id: tong, kind: computed, label: "Tổng", expr: "a + b"}',
                           '{id: tong, kind: computed, label: "Tổng", expr: "a + vong"}\n'
                           '      - {id: vong, kind: computed, label: "Vòng", expr: "tong + 1"}')
    _, problems = parse_template_text(text, "mau.yaml")
    assert any("vòng tròn" in p.message for p in problems)


@pytest.mark.parametrize("source", [
    "a.__class__", "__import__('os').system('ls')", "a ** 99999999", "9 ** 9 ** 9", "a[0]",
    "(lambda: 1)()", "[x for x in range(10**9)]", "open('/etc/passwd')", "getattr(a, 'x')",
    "a if True else b.__dict__", "eval('1')", "{'k': 1}", "a is None", "(a := 3)", "f'{a}'",
    "1" * 600, "10 ** 20", "99999999999999999999",
])
def test_hostile_expressions_rejected(source):
    with pytest.raises(ExpressionError):
        check_expression(source, {"a", "b"})


def test_allowed_expressions_evaluate():
    e = check_expression("pct(num(r), den(r)) >= 50 and rows(t) <= 2 and total(t, 'x') == 3", {"r", "t"})
    assert e.evaluate({"r": {"num": 3, "den": 4}, "t": [{"x": 1}, {"x": 2}]}) is True
    assert e.required_names == {"r"}  # the table is only read through empty-tolerant functions


def test_document_text_sandbox_blocks_internals():
    from jinja2.exceptions import SecurityError, UndefinedError

    from desktop_app.templating.doctext import DocTextError

    for source in ("{{ a.__class__.__mro__ }}", "{{ a.mro() }}", "{{ ''.__class__ }}"):
        with pytest.raises((SecurityError, UndefinedError, DocTextError)):
            render_text(source, {"a": 1})


def test_document_text_filters():
    ctx = {"n": 22040, "r": {"num": 302, "den": 310}, "tien": 2318000, "d": "2023-06-07"}
    text = render_text("{{ n | so }} {{ r | phantram }} {{ r | phanso }} {{ tien | tien }} {{ d | ngay_ngan }}", ctx)
    assert text == "22.040 97,42% 302/310 2.318.000đ 7/6/2023"


def test_templates_check_cli(cli, tmp_path):
    good = tmp_path / "tot.yaml"
    good.write_text(MINIMAL, encoding="utf-8")
    code, out, _ = cli("templates", "check", str(good))
    assert code == 0 and "hợp lệ" in out
    bad = tmp_path / "hong.yaml"
    bad.write_text(MINIMAL.replace("kind: integer", "kind: so_nguyen"), encoding="utf-8")
    code, out, err = cli("templates", "check", str(bad))
    assert code == 1 and "hong.yaml, dòng" in out and "so_nguyen" in out


def test_templates_list_cli(cli):
    code, out, _ = cli("templates", "list")
    assert code == 0 and "cao-diem-dvctt\tCao điểm 30 ngày dịch vụ công trực tuyến\n" in out
    assert "\tPhiên bản 2023.1: hiệu lực từ 24/08/2023; có sẵn trong chương trình\n" in out


def test_broken_template_in_data_folder_is_skipped_not_fatal(cli, data_dir):
    (data_dir / "templates").mkdir(parents=True)
    (data_dir / "templates" / "hong.yaml").write_text("format: 1\nid: x\n", encoding="utf-8")
    code, out, err = cli("templates", "list")
    assert code == 0 and "cao-diem-dvctt" in out and "Bỏ qua mẫu lỗi" in err


def test_author_traps_are_caught():
    reserved = MINIMAL.replace("{id: b, kind: integer", "{id: nam, kind: integer").replace("a >= b", "a >= nam") \
        .replace("{{ b | so }}", "{{ a | so }}").replace('expr: "a + b"', 'expr: "a + nam"')
    _, problems = parse_template_text(reserved, "mau.yaml")
    assert any("dành sẵn" in p.message for p in problems)
    no_text_column = MINIMAL.replace(
        '{id: b, kind: integer, label: "Số B"}',
        '{id: b, kind: integer, label: "Số B"}\n      - {id: bang, kind: table, label: "Bảng", prefill: villages, '
        'columns: [{id: so, kind: integer, label: "Số"}]}')
    _, problems = parse_template_text(no_text_column, "mau.yaml")
    assert any("cột kiểu text" in p.message for p in problems)


def test_duplicate_template_version_reported(tmp_path):
    (tmp_path / "a.yaml").write_text(MINIMAL, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(MINIMAL, encoding="utf-8")
    registry = TemplateRegistry([tmp_path])
    assert len(registry.all()) == 1 and any("trùng mã" in p.message for p in registry.problems)


def test_empty_values_never_print_none_and_filters_never_raise():
    assert render_text("Số: {{ x }}/BC", {"x": None}) == "Số: /BC"
    assert render_text("{{ t | so }} {{ t | phantram }} {{ t | so2 }}", {"t": "chữ"}) == "chữ chữ chữ"


def test_an_expression_reused_from_several_threads_reads_each_threads_own_values():
    """The evaluator is kept per thread: the editor and the worker share one template."""
    import pickle
    import threading

    from desktop_app.templating.expressions import check_expression

    expr = check_expression("a * 2 + b", ["a", "b"])
    results: dict[int, list] = {}
    barrier = threading.Barrier(4)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = [expr.evaluate({"a": index, "b": step}) for step in range(2000)]

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, values in results.items():
        assert values == [index * 2 + step for step in range(2000)]
    copy = pickle.loads(pickle.dumps(expr))  # templates are copied whole (worker processes, caches)
    assert copy.evaluate({"a": 1, "b": 1}) == 3 and copy.source == expr.source
