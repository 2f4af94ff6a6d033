"""Hostile templates, tried as an adversary would: each payload must be refused with a
Vietnamese reason in at most 5 s and 200 MiB, through the loader (``templates check``, the
start-up registry) and through rendering. Each case runs in a child process whose peak
memory it reports itself (a regression is also capped by RLIMIT_AS so it cannot hurt
the machine)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

MAX_SECONDS = 5.0
MAX_MIB = 200
GUARD_BYTES = 2 * 1024 ** 3  # a child that regresses dies at 2 GiB instead of swapping

BASE = textwrap.dedent("""\
    format: 1
    id: doc-hai
    version: "1.0"
    title: "Mẫu thử độc hại"
    effective_from: 2024-01-01
    unit_levels: [xa]
    period_kinds: [quarter]
    document:
      summary: "Báo cáo {{ ky_bao_cao }}"
    sections:
      - id: chung
        title: "Chung"
        fields:
          - {id: ten, kind: text, label: "Tên"}
          - {id: so_lan, kind: integer, label: "Số lần", min: 0}
          - {id: tinh, kind: computed, label: "Tính", expr: EXPR}
        body:
          - text: BODY
    """)


def template_text(body: str = "Có {{ so_lan | so }}.", expr: str = "so_lan + 1") -> str:
    quote = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'  # noqa: E731
    return BASE.replace("EXPR", quote(expr)).replace("BODY", quote(body))


def _guard() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (GUARD_BYTES, GUARD_BYTES))


def run_measured(args: list[str], cwd: Path | None = None, env: dict | None = None):
    """(exit code, stdout, stderr, seconds) of a child process."""
    started = time.monotonic()
    proc = subprocess.Popen(args, cwd=cwd or ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})}, preexec_fn=_guard, text=True)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"still running after 60 s: {args}")
    return proc.returncode, out, err, time.monotonic() - started


# The child reports its own peak resident memory last: VmHWM of its own address space. (Not
# ru_maxrss: Linux carries that across exec, so a child forked from a large test process would
# report the parent's size; RUSAGE_CHILDREN would be the maximum over every child ever run.)
# It also reports the CPU seconds it used: the bound is on the work an input costs, which a
# loaded machine (other test workers) does not inflate the way it inflates wall-clock time.
PEAK_SNIPPET = ("import atexit, re, sys, time; atexit.register(lambda: print('PEAK_KIB', re.search(r'VmHWM:\\s+(\\d+)', "
                "open('/proc/self/status').read()).group(1), 'CPU_S', time.process_time(), file=sys.stderr))")


def run_python(code: str, cwd: Path | None = None, env: dict | None = None):
    code, out, err, seconds = run_measured([sys.executable, "-c", PEAK_SNIPPET + "\n" + code], cwd, env)
    peak = [line.split() for line in err.splitlines() if line.startswith("PEAK_KIB")]
    assert peak, err
    cpu_seconds = float(peak[-1][3])
    return code, out, err, cpu_seconds, int(peak[-1][1]) / 1024


def run_cli(*args: str, env: dict | None = None):
    return run_python(f"import sys; from desktop_app.cli import main; sys.exit(main({list(args)!r}))", env=env)


def assert_bounded(seconds: float, mib: float) -> None:
    assert seconds <= MAX_SECONDS, f"took {seconds:.1f} s of CPU"
    assert mib <= MAX_MIB, f"peak {mib:.0f} MiB"


BILLION_LAUGHS = textwrap.dedent("""\
    a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
    e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
    f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
    g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
    h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
    i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
    """)

# name -> (file text, a part of the expected Vietnamese reason)
LOADER_PAYLOADS = {
    "power-in-document-text": (template_text("{{ 9 ** (9 ** 9) }}"), "lũy thừa"),
    "repeat-in-document-text": (template_text("{{ 'a' * 200000000 }}"), "phép nhân tạo ra chuỗi"),
    "repeat-in-expression": (template_text(expr="'a' * 200000000"), "quá lớn"),
    "printf-width-in-expression": (template_text(expr="'%0999999999d' % 1"), "«%» với chữ"),
    "printf-width-in-document-text": (template_text("{{ '%0999999999d' % 1 }}"), "«%» với chữ"),
    "huge-range": (template_text("{% for i in range(10 ** 9) %}x{% endfor %}"), "gọi hàm"),
    "method-call-padding": (template_text("{{ ten.ljust(1000000000) }}"), "gọi hàm"),
    "doubling-set": (template_text("{% set s = 'ab' %}" + "{% set s = s ~ s %}" * 60 + "{{ s }}"), "phép nối"),
    "nested-constant-loops": (template_text("{% for a in [1,2,3,4,5,6,7,8,9,10] %}" * 9 + "{% endfor %}" * 9),
                              "vòng lặp"),
    "macro-recursion": (template_text("{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}"), "macro"),
    "deeply-nested-blocks": (template_text("{% if so_lan %}" * 200 + "x" + "{% endif %}" * 200), "lồng nhau quá sâu"),
    "deeply-nested-expression": (template_text("{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}"), "lồng nhau quá sâu"),
    "billion-laughs": (BILLION_LAUGHS, "neo và bí danh"),
    "many-nodes": ("a:\n" + "- 0\n" * 200_000, "quá nhiều mục"),
    "many-sentences": (template_text().replace("\n    body:\n", "\n    body:\n" + "".join(
        f'      - text: "Câu {i}: {{{{ so_lan | so }}}}."\n' for i in range(3000))), "quá giới hạn 2.000 câu"),
    "dense-sentences": (template_text().replace("\n    body:\n", "\n    body:\n" + "".join(
        f'      - text: "{i}{"{{so_lan+so_lan*so_lan-so_lan}}" * 120}"\n' for i in range(60))),
        "quá giới hạn 2.000 câu, 100.000 ký tự"),
    "dense-expressions": (template_text().replace("\n    fields:\n", "\n    rules:\n" + "".join(
        f'      - {{check: "{"(so_lan*2+1)-" * 58}so_lan > {i}", message: "Sai"}}\n' for i in range(500))
        + "\n    fields:\n"), "biểu thức của mẫu dài tổng cộng"),
    "deep-nesting": ("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200)) + "  " * 200 + "x: 1\n",
                     "lồng nhau quá sâu"),
}


@pytest.mark.parametrize("name", sorted(LOADER_PAYLOADS))
def test_templates_check_refuses_hostile_file_quickly(name, tmp_path):
    text, reason = LOADER_PAYLOADS[name]
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err, seconds, mib = run_cli("templates", "check", str(path))
    assert code == 1, (out, err)
    assert reason in out, out
    assert "Mẫu có" in err
    assert_bounded(seconds, mib)


def test_oversized_template_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "lon.yaml"
    with path.open("wb") as handle:  # sparse: 3 GB by stat, nothing on disk
        handle.truncate(3 * 1024 ** 3)
    code, out, err, seconds, mib = run_cli("templates", "check", str(path))
    assert code == 1 and "tệp mẫu quá lớn" in out
    assert_bounded(seconds, mib)


def test_hostile_template_in_data_folder_is_skipped_at_start_up(tmp_path):
    data = tmp_path / "data"
    (data / "templates").mkdir(parents=True)
    (data / "templates" / "doc.yaml").write_text(template_text(expr="'a' * 200000000"), encoding="utf-8")
    (data / "templates" / "cuoi.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    code, out, err, seconds, mib = run_cli("--data-dir", str(data), "templates", "list")
    assert code == 0 and "cao-diem-dvctt" in out
    assert err.count("Bỏ qua mẫu lỗi") == 2 and "neo và bí danh" in err and "quá lớn" in err
    assert_bounded(seconds, mib)


def test_a_template_at_the_limits_is_still_checked_in_bounded_time(tmp_path):
    """The costliest template the limits let through: 25 sentences of 3,900 characters full of
    arithmetic (100,000 characters in all) and 100 rules of 470 characters."""
    sentence = "{{so_lan+so_lan*so_lan-so_lan}}" * 125
    rule = "(so_lan*2+1)-" * 36 + "so_lan > 0"
    text = template_text().replace("\n    body:\n", "\n    body:\n" + "".join(
        f'      - text: "{i}{sentence}"\n' for i in range(25))).replace("\n    fields:\n", "\n    rules:\n" + "".join(
            f'      - {{check: "{rule}", message: "Sai"}}\n' for _ in range(100)) + "\n    fields:\n")
    path = tmp_path / "gioi-han.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err, seconds, mib = run_cli("templates", "check", str(path))
    assert code == 0, out
    assert seconds <= 2 * MAX_SECONDS, f"took {seconds:.1f} s"  # about 2 s alone; the machine is shared
    assert mib <= MAX_MIB


def test_the_bounds_do_not_refuse_ordinary_text():
    from desktop_app.templating.loader import parse_template_text

    text = template_text("{% set s = ten ~ '' %}{% for c in [1, 2, 3] %}{{ c }}{% endfor %} {{ 2 ** 10 }} "
                         "{{ 'ab' * 3 }} {{ so_lan | so(2) }}", expr="value_or(so_lan, 0) * 2 + 'x' * 0")
    template, problems = parse_template_text(text, "mau.yaml")
    assert problems == [] and template is not None


# --- rendering: a template that passes the check, with hostile values ----------------------

RENDER_SCRIPT = textwrap.dedent("""\
    import json, sys
    from desktop_app.errors import UserError
    from desktop_app.services import Workspace
    from desktop_app.documents.export import export_docx
    ws = Workspace(sys.argv[1], who="kiểm thử")
    ws.set_unit("21073", scheme="truoc-2025", villages=["Thôn 1"])
    report = ws.new_report("doc-hai", "2024-Q1")
    ws.set_values(report, json.loads(sys.argv[2]))
    try:
        export_docx(ws, report, sys.argv[3])
    except UserError as exc:
        print("REFUSED", exc)
    else:
        print("WRITTEN")
    """)

RENDER_PAYLOADS = {
    "value-times-count": ("{{ ten * so_lan }}", {"ten": "abc", "so_lan": 200_000_000}, "phép nhân"),
    "power-of-a-value": ("{{ so_lan ** (9 ** 9) }}", {"ten": "x", "so_lan": 7}, "lũy thừa"),
    "doubling-a-value": ("{% set s = ten %}" + "{% set s = s ~ s %}" * 40 + "{{ s }}",
                         {"ten": "abcdefgh", "so_lan": 1}, "phép nối"),
    "loops-over-a-value": ("{% for a in ten %}{% for b in ten %}{% for c in ten %}{% endfor %}"
                           "{% endfor %}{% endfor %}", {"ten": "x" * 200, "so_lan": 1}, "vòng lặp"),
    "output-of-a-loop": ("{% for a in ten %}{% for b in ten %}{{ ten }}{% endfor %}{% endfor %}",
                         {"ten": "y" * 90, "so_lan": 1}, "quá nhiều chữ"),
}


SENTENCE_OF_160K = "{% for a in ten %}{{ ten }}{% endfor %}"  # with a 400-character value
RENDER_PAYLOADS["many-full-sentences"] = (
    [SENTENCE_OF_160K] * 80, {"ten": "z" * 400, "so_lan": 1}, "10.000.000 ký tự mỗi văn bản")


@pytest.mark.slow  # each payload renders in a child process against a time bound
@pytest.mark.parametrize("name", sorted(RENDER_PAYLOADS))
def test_rendering_refuses_hostile_values_quickly(name, tmp_path):
    import json

    body, values, reason = RENDER_PAYLOADS[name]
    sentences = body if isinstance(body, list) else [body]
    text = template_text(sentences[0]).replace("\n    body:\n", "\n    body:\n" + "".join(
        f'      - text: "{i}{s}"\n' for i, s in enumerate(sentences[1:])))
    data = tmp_path / "data"
    (data / "templates").mkdir(parents=True)
    (data / "templates" / "doc.yaml").write_text(text, encoding="utf-8")
    script = tmp_path / "render.py"
    script.write_text(RENDER_SCRIPT, encoding="utf-8")
    target = tmp_path / "out.docx"
    code, out, err, seconds, mib = run_python(
        f"import runpy, sys; sys.argv = ['render', {str(data)!r}, {json.dumps(values)!r}, {str(target)!r}]; "
        f"runpy.run_path({str(script)!r}, run_name='__main__')")
    assert code == 0, err
    assert "REFUSED" in out and reason in out, out
    assert not target.exists()
    assert_bounded(seconds, mib)


def test_expression_evaluation_keeps_simpleeval_guards():
    import ast

    import simpleeval

    from desktop_app.templating import expressions
    from desktop_app.templating.expressions import check_expression

    assert expressions._OPERATORS[ast.Add] is simpleeval.safe_add
    assert expressions._OPERATORS[ast.Mult] is simpleeval.safe_mult
    expr = check_expression("ten * so_lan", {"ten", "so_lan"})
    started = time.monotonic()
    with pytest.raises(simpleeval.IterableTooLong):
        expr.evaluate({"ten": "a", "so_lan": 200_000_000})
    assert time.monotonic() - started < 1
    assert expr.evaluate({"ten": "ab", "so_lan": 3}) == "ababab"
