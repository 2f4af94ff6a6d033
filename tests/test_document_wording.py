"""Text produced from values reads like a person wrote it (issue 15 item 4).

On the four examples and on each with 0 in every numeric field and the optional fields
empty: no "00 ", no "trên 0", no value missing before punctuation ("đạt tỷ lệ ."), no
word doubled, no "và … và", every paragraph ending with punctuation.
"""

from __future__ import annotations

import json
import re

import pytest

from desktop_app.documents.content import DocumentBuilder, Heading, Paragraph, Table
from desktop_app.domain.entities import Report
from desktop_app.domain.markup import plain
from desktop_app.templating.doctext import Typed, f_list, f_qualified, render_text
from desktop_app.templating.textjoin import mend_joins
from tests.conftest import EXAMPLES, example_paths
from tests.zero_reports import zero_document

NAMES = [p.name for p in example_paths()]


def _body(workspace, name: str, zero: bool):
    rid, _ = workspace.import_document(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))
    _record, template = workspace.report(rid)
    builder = DocumentBuilder(template, workspace.validator(template))
    content = builder.build(zero_document(name, template) if zero else workspace.report(rid)[0])
    texts = [plain(item.written if isinstance(item, Paragraph) else item.text)
             for item in content.body if not isinstance(item, Table)]
    return content, texts


def _typed_texts(value) -> list[str]:
    """Every text a person typed in the report (a word doubled inside one is theirs to fix)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _typed_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _typed_texts(v)]
    return []


def _doubled_across_a_join(text: str, typed: list[str]):
    for match in re.finditer(r"\b(\w+(?: \w+)?) \1\b", text, re.IGNORECASE):
        if not any(match.group(0).lower() in t.lower() for t in typed):
            return match
    return None


@pytest.mark.parametrize("zero", [False, True], ids=["example", "zero"])
@pytest.mark.parametrize("name", NAMES)
def test_sentences_read_right(workspace, name, zero):
    content, texts = _body(workspace, name, zero)
    typed = _typed_texts(json.loads((EXAMPLES / name).read_text(encoding="utf-8"))["values"])
    problems = []
    for text in texts + [content.summary]:
        checks = {
            "00 ": re.search(r"(?<![\d.,/])00(?=[ /])(?! phút)", text),  # "07 giờ 00 phút" is a time
            "trên 0": re.search(r"\b(trên|hơn|gần|khoảng) 0(?![\d,.]*[1-9])", text, re.IGNORECASE),
            "value missing": re.search(r"\b(tỷ lệ|đạt|là|có|gồm|với) [.,;)]", text),
            "doubled word": _doubled_across_a_join(text, typed),
            "và … và": re.search(r"\bvà [^.;:,()]{1,40} và [^.;:,()]{1,40} và\b", text),
            "loose space": re.search(r" [,;:]| \.(?!\.)|\s{2,}", text),
        }
        problems += [(kind, text[:160]) for kind, found in checks.items() if found]
    assert not problems, problems


@pytest.mark.parametrize("zero", [False, True], ids=["example", "zero"])
@pytest.mark.parametrize("name", NAMES)
def test_paragraphs_end_with_punctuation(workspace, name, zero):
    content, _texts = _body(workspace, name, zero)
    unfinished = [item.text for item in content.body if isinstance(item, Paragraph)
                  and not plain(item.text).rstrip().endswith((".", ":", ";", "!", "?", ")", "…", "./."))]
    assert not unfinished, unfinished


def test_fixed_text_after_typed_text_gets_its_full_stop():
    text = render_text("a) Mạng: {{ nhan_xet }} Hiện mạng lưới đáp ứng {{ ty_le }}%.",
                       {"nhan_xet": Typed("Đã phủ sóng 100% các thôn"), "ty_le": 100})
    assert text == "a) Mạng: Đã phủ sóng 100% các thôn. Hiện mạng lưới đáp ứng 100%."
    # a typed text that ends its own sentence gets no second full stop
    assert render_text("Giờ mở cửa: {{ g }}.", {"g": Typed("Sáng 7 giờ.")}) == "Giờ mở cửa: Sáng 7 giờ."
    # a name after a typed value is not a new sentence
    assert render_text("Của {{ co_quan }} Quảng Ngãi.", {"co_quan": Typed("Sở Khoa học và Công nghệ tỉnh")}) \
        == "Của Sở Khoa học và Công nghệ tỉnh Quảng Ngãi."
    # values the template computed are not typed text: nothing is mended inside fixed text
    assert render_text("{{ x }} Hiện có", {"x": "các thôn"}) == "các thôn Hiện có"


def test_words_doubled_across_a_join_are_written_once():
    assert render_text("Tập huấn cho cán bộ {{ ai }}.", {"ai": Typed("Cán bộ xã, thôn")}) \
        == "Tập huấn cho cán bộ xã, thôn."
    assert render_text("{{ ai }} thành viên.", {"ai": Typed("35 thành viên")}) == "35 thành viên."
    assert mend_joins("Phổ Thuận, Phổ Thuận") == "Phổ Thuận, Phổ Thuận"  # no join: left alone


def test_vietnamese_list_joining():
    assert f_list(["A", "B", "C"]) == "A, B và C"
    assert f_list(["A", None, "", "C"]) == "A và C"
    assert f_list(["A"]) == "A" and f_list([]) == ""
    assert render_text("Có {{ [a, b, c] | liet_ke }}.", {"a": "VNPT", "b": "Viettel", "c": None}) == "Có VNPT và Viettel."


def test_qualifier_is_the_persons_and_never_before_nought():
    assert f_qualified("2.000", "trên") == "trên 2.000"
    assert f_qualified("2.000", None) == "2.000"
    assert f_qualified("0", "trên") == "0" and f_qualified("0%", "hơn") == "0%"
    assert f_qualified("hơn 4,3 tỷ đồng", "gần") == "gần 4,3 tỷ đồng"  # the person's word wins
    assert render_text("Hiện có {{ x | so | uoc(q) }} thuê bao.", {"x": 2000, "q": "trên"}) == "Hiện có trên 2.000 thuê bao."


ZERO_TEMPLATE = """\
format: 1
id: thu-so-khong
version: "1.0"
title: "Mẫu thử số 0"
effective_from: 2024-01-01
unit_levels: [xa]
period_kinds: [quarter]
document:
  summary: "Báo cáo {{ ky_bao_cao }}"
sections:
  - id: chung
    title: "Chung"
    fields:
      - {id: so_tram, kind: integer, label: "Số trạm"}
      - {id: so_to, kind: integer, label: "Số tổ"}
      - {id: so_loa, kind: integer, label: "Số loa"}
    body:
      - text: "Có {{ so_tram | so2 }} trạm BTS."
        zero: "Chưa có trạm BTS{% if so_loa %} nhưng có {{ so_loa | so }} loa{% endif %}."
      - text: "Có {{ so_to | so2 }} tổ."
        zero: omit
      - text: "Có {{ so_loa | so }} loa."
      - text: "Có {{ so_to | so }} tổ với {{ so_loa | so }} loa."
        zero: omit
"""


def _zero_template(text: str = ZERO_TEMPLATE):
    from desktop_app.templating.loader import parse_template_text

    return parse_template_text(text, "thu.yaml")


def test_ntm_example_reads_the_seeds_qualifiers(workspace):
    _content_, texts = _body(workspace, "ntm-tieu-chi-8.json", False)
    text = "\n".join(texts)
    for phrase in ("tổng số tiền hơn 4,3 tỷ đồng", "tổng số tiền hơn 6,2 triệu đồng", "4.308 lượt với gần 103 triệu đồng",
                   "Hiện có trên 2.000 thuê bao internet cáp quang."):
        assert phrase in text, phrase


def test_zero_reads_as_the_template_says():
    template, problems = _zero_template()
    assert not problems, problems
    builder = DocumentBuilder(template)
    report = {"template": "thu-so-khong", "period": "2024-Q1", "unit": {"name": "Xã Ba Tơ", "kind": "Xã"}, "values": {}}

    def body(values):
        return [item.text for item in builder.build(Report.from_json({**report, "values": values})).body]

    assert body({"so_tram": 0, "so_to": 0, "so_loa": 0}) == ["Chưa có trạm BTS.", "Có 0 loa."]
    # one number of several at 0 is a fact, not "nothing to report": the sentence stays
    assert body({"so_tram": 0, "so_to": 0, "so_loa": 3}) == [
        "Chưa có trạm BTS nhưng có 3 loa.", "Có 3 loa.", "Có 0 tổ với 3 loa."]
    assert body({"so_tram": 4, "so_to": 2, "so_loa": 3}) == [
        "Có 04 trạm BTS.", "Có 02 tổ.", "Có 3 loa.", "Có 2 tổ với 3 loa."]
    assert body({}) == []  # empty values still leave the sentences out


def test_zero_text_is_checked_like_any_sentence():
    broken = ZERO_TEMPLATE.replace('zero: "Chưa có trạm BTS', 'zero: "Chưa có {{ khong_co }} trạm BTS')
    template, problems = _zero_template(broken)
    assert template is None and any("khong_co" in p.message and "zero" in p.where for p in problems), problems


def test_one_date_style_per_document():
    source = ZERO_TEMPLATE.replace('''      - {id: so_tram, kind: integer, label: "Số trạm"}''', '''      - {id: so_tram, kind: integer, label: "Số trạm"}
      - {id: tu_ngay_x, kind: date, label: "Từ ngày"}
      - {id: den_ngay_x, kind: date, label: "Đến ngày"}
      - {id: ke_hoach, kind: docref, label: "Kế hoạch"}''').replace('''    body:
''', '''    body:
      - text: "Từ {{ tu_ngay_x | ngay }} đến ngày {{ den_ngay_x | ngay_ngan }}, theo {{ ke_hoach | vanban }}."
''')
    values = {"tu_ngay_x": "2023-06-07", "den_ngay_x": "2023-12-05",
              "ke_hoach": {"number": "66/KH-UBND", "date": "2023-08-03"}}
    report = {"template": "thu-so-khong", "period": "2024-Q1", "unit": {"name": "Xã Ba Tơ", "kind": "Xã"},
              "values": values}
    for style, written in (("short", "Từ 7/6/2023 đến ngày 5/12/2023, theo Kế hoạch số 66/KH-UBND ngày 3/8/2023."),
                           ("padded", "Từ 07/06/2023 đến ngày 05/12/2023, theo Kế hoạch số 66/KH-UBND ngày 03/08/2023.")):
        text = source if style == "short" else source.replace("document:\n", "document:\n  date_style: padded\n")
        template, problems = _zero_template(text)
        assert not problems, problems
        body = DocumentBuilder(template).build(Report.from_json(report)).body
        assert body[0].text == written
    # outside a document each filter keeps its own style
    assert render_text("{{ d | ngay }} {{ d | ngay_ngan }}", {"d": "2023-06-07"}) == "07/06/2023 7/6/2023"


@pytest.mark.parametrize("zero", [False, True], ids=["example", "zero"])
@pytest.mark.parametrize("name", NAMES)
def test_no_item_heading_is_left_with_nothing_under_it(workspace, name, zero):
    content, _texts = _body(workspace, name, zero)
    body = content.body
    empty = [item.text for item, after in zip(body, body[1:] + [None])
             if isinstance(item, Heading) and item.level >= 3
             and (after is None or (isinstance(after, Heading) and after.level <= item.level))]
    assert not empty, empty
