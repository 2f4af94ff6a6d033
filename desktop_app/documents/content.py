"""Turn a report (template + values) into document content: headings, paragraphs, tables.

This is the single place where a template's ``body`` blocks are interpreted; the .docx
writer and the plain-text preview only lay out what it produces. A sentence whose
values are empty is left out entirely, so no dangling words reach the document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import AbstractSet, Any

from jinja2 import nodes

from desktop_app.domain import roles
from desktop_app.domain.entities import Report, UnitProfile
from desktop_app.domain.markup import plain
from desktop_app.errors import UserError
from desktop_app.domain.fieldkinds import document_text, kind_spec
from desktop_app.templating.doctext import (
    DocTextError, Typed, date_style, document_budget, environment, render_text,
)
from desktop_app.templating.expressions import check_expression
from desktop_app.templating.model import ZERO_OMIT, Block, FieldKind, Template
from desktop_app.domain.validation import ValidationResult, Validator, evaluation_context
from desktop_app.domain.values import SOURCE_KEY, is_empty
from desktop_app.domain.vnformat import format_place_date


@dataclass
class Heading:
    text: str
    level: int


@dataclass
class Paragraph:
    text: str
    bullet: str = ""  # "-" or "+": a list item, its marker taken off the text

    @property
    def written(self) -> str:
        """The paragraph as typed text (plain-text preview): the marker back in front."""
        return f"{self.bullet} {self.text}" if self.bullet else self.text


_BULLETS = ("- ", "+ ")


def paragraph(text: str) -> Paragraph:
    """A body paragraph; ``- …`` and ``+ …`` become list items (Word's list styles)."""
    if text.startswith(_BULLETS) and text[2:].strip():
        return Paragraph(text[2:].lstrip(), text[0])
    return Paragraph(text)


@dataclass
class TableCell:
    text: str
    numeric: bool = False


@dataclass
class TableGroup:
    """A group row ("I", "Dự án đã được thực hiện đầu tư") written before ``rows[start]``."""

    start: int
    number: str
    title: str


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[TableCell]]
    totals: list[TableCell] | None = None
    widths: list[float] | None = None
    groups: list[TableGroup] = field(default_factory=list)

    def lines(self) -> list[list[str]]:
        """Header, group and data rows and totals as text, in the order they print."""
        out = [list(self.headers)]
        starts = {g.start: g for g in self.groups}
        for index, row in enumerate(self.rows):
            if index in starts:
                out.append([starts[index].number, starts[index].title])
            out.append([c.text for c in row])
        if self.totals:
            out.append([c.text for c in self.totals])
        return out


_ROMAN = (("X", 10), ("IX", 9), ("V", 5), ("IV", 4), ("I", 1))


def roman(number: int) -> str:
    """Group numbers as the decree's documents write them: I, II, III, IV…"""
    out = ""
    for letters, value in _ROMAN:
        while number >= value:
            out += letters
            number -= value
    return out


@dataclass
class DocumentContent:
    issuer_upper: str  # "ỦY BAN NHÂN DÂN" line 1 (a department: its governing body, "UBND TỈNH QUẢNG NGÃI")
    issuer_name: str  # "XÃ BÌNH PHƯỚC"
    number_line: str  # "Số: 255/BC-UBND"
    place_date: str
    title: str  # "BÁO CÁO"
    summary: str
    body: list[Heading | Paragraph | Table] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    signing_authority: str = ""
    signer_title: str = ""
    signer_name: str = ""
    issuer_upper_bold: bool = True  # False when line 1 is the governing body above the issuer
    author: str = ""  # the issuing body as a name ("Ủy ban nhân dân xã Bình Phước"): the file's author

    def plain_text(self) -> str:
        """A readable text rendering (CLI preview, tests)."""
        lines = [self.issuer_upper, self.issuer_name, self.number_line, "",
                 "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", self.place_date, "",
                 self.title, self.summary, ""]
        for item in self.body:
            if isinstance(item, Table):
                lines += ["\t".join(cells) for cells in item.lines()]
            elif isinstance(item, Paragraph):
                lines.append(plain(item.written))
            else:
                lines.append(plain(item.text))
            lines.append("")
        lines.append("Nơi nhận:")
        lines += [f"- {r};" if not r.endswith((".", ";")) else f"- {r}" for r in self.recipients]
        lines += ["", self.signing_authority, self.signer_title, "", self.signer_name]
        return "\n".join(lines)


def _needed_names(source: str) -> frozenset[str]:
    """Names read outside ``{% if %}`` guards: if one is empty the sentence is dropped."""
    return _needed_cached(source)


@lru_cache(maxsize=4096)
def _needed_cached(source: str) -> frozenset[str]:
    tree = environment().parse(source)
    needed: set[str] = set()

    def visit(node: nodes.Node) -> None:
        if isinstance(node, nodes.If):
            return
        if isinstance(node, nodes.Name) and node.ctx == "load":
            needed.add(node.name)
        for child in node.iter_child_nodes():
            visit(child)

    visit(tree)
    return frozenset(needed)


def _typed(kind: FieldKind, value: Any) -> Any:
    """Text a person typed, marked so its joins with the template's words are mended."""
    return Typed(value) if isinstance(value, str) and kind_spec(kind).textual else value


def is_zero(value: Any) -> bool:
    """Nought: the number 0, or a ratio counting nothing (0/…)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value == 0
    if isinstance(value, dict) and "num" in value:
        return value.get("num") == 0
    return False


def finish_lines(lines: list[str]) -> list[str]:
    """Typed lines, each a paragraph, ended as the decree's paragraphs are.

    A line that ends without punctuation gets a full stop, or a colon when list items
    (``+ …`` under ``- …``, or ``- …`` under a plain line) follow it.
    """
    out = []
    for index, line in enumerate(lines):
        if line[-1:].isalnum() or line[-1:] in ")%\"”":
            following = lines[index + 1] if index + 1 < len(lines) else ""
            leads = (following.startswith("+ ") and not line.startswith("+ ")) or (
                following.startswith("- ") and not line.startswith(("- ", "+ ")))
            line += ":" if leads else "."
        out.append(line)
    return out


def _is_count(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
        isinstance(value, dict) and "num" in value)


def unit_context(unit: UnitProfile) -> dict[str, Any]:
    """Names for the unit: ``don_vi.ten`` (Xã Bình Phước), ``ten_thuong``, ``ten_hoa``, ``ten_ngan``."""
    name = unit.name
    kind = unit.kind
    short = unit.short_name or name
    lower = f"{kind.lower()} {short}".strip() if kind else name
    province = unit.province_name
    district = unit.district_name or ""
    return {
        "ten": name, "ten_ngan": short, "ten_thuong": lower, "ten_hoa": lower.upper(),
        "co_quan": roles.issuing_body(unit, lower),
        "loai": kind, "loai_thuong": kind.lower(), "ma": unit.code,
        "tinh": province, "tinh_thuong": _lower_kind(province),
        "huyen": district, "huyen_thuong": _lower_kind(district),
    }


def _lower_kind(name: str) -> str:
    """``Tỉnh Quảng Ngãi`` → ``tỉnh Quảng Ngãi`` (mid-sentence form)."""
    from desktop_app.domain.units import split_kind

    kind, short = split_kind(name)
    return f"{kind.lower()} {short}" if kind else name


def _cell_text(col, value: Any) -> str:
    """A column's ``display`` wins (e.g. amounts as ``6,1 tỷ đồng``), else the kind's format."""
    return document_text(col, value)


def number_line(number: str | None, issuer_code: str = "UBND") -> str:
    """``Số: 255/BC-UBND``; left open for the clerk to fill in when not yet numbered.

    Nghị định 30/2020: a number below 10 is written with a leading zero (``Số: 03/BC-UBND``).
    """
    if not number:
        return f"Số:        /BC-{issuer_code}"
    number = number.strip()
    serial, slash, symbol = number.partition("/")
    if serial.isdigit() and int(serial) < 10:
        serial = f"{int(serial):02d}"
    return f"Số: {serial}/{symbol}" if slash else f"Số: {serial}/BC-{issuer_code}"


class DocumentTextError(UserError):
    """A template's document text could not be rendered; the message names the section and field."""


class DocumentBuilder:
    def __init__(self, template: Template, validator: Validator | None = None):
        self.template = template
        self.validator = validator or Validator(template)
        self.fields = {f.id: f for f in template.all_fields()}

    def context(self, report: Report, result: ValidationResult) -> dict[str, Any]:
        values = dict(report.values)
        for fid, f in self.fields.items():
            values.setdefault(fid, None)
            if f.kind == FieldKind.TABLE and values[fid]:
                kinds = {c.id: c.kind for c in f.columns or []}
                values[fid] = [{k: _typed(kinds[k], v) if k in kinds else v for k, v in row.items()}
                               for row in self.validator.table_rows_with_computed(fid, values[fid])]
            else:
                values[fid] = _typed(f.kind, values[fid])
        values.update(result.computed)
        period, unit, doc = report.period, report.unit, report.document
        values.update({
            "don_vi": unit_context(unit),
            "ky_bao_cao": period.label,
            "ky_sau": period.next().label,
            "nam": period.year,
            "tu_ngay": period.start.isoformat(),
            "den_ngay": period.end.isoformat(),
            "so_thon_don_vi": len(unit.villages) or None,
            "van_ban": {"so": doc.number, "ngay": doc.date.isoformat() if doc.date else None},
            "tong_hop": None,  # set by build() for a consolidated document
        })
        return values

    def _skip(self, block: Block, source: str | None, ctx: dict[str, Any]) -> bool:
        if block.when:
            expr = check_expression(block.when, set(self.fields) | {"so_thon_don_vi"})
            try:
                if not expr.evaluate(ctx):
                    return True
            except Exception:  # noqa: BLE001 - an unjudgeable condition hides the sentence
                return True
        if block.always or source is None:
            return False
        return any(is_empty(ctx.get(n)) for n in _needed_names(source) if n in self.fields)

    def _zero(self, source: str, ctx: dict[str, Any], names: AbstractSet[str] = frozenset()) -> bool:
        """Are all the numbers the sentence needs (outside ``{% if %}``) nought? Then it has nothing to report.

        All, not any: "0 hồ sơ chuyển qua" beside 314 received is a fact worth writing.
        """
        known = set(self.fields) | set(names)
        numbers = [ctx.get(n) for n in _needed_names(source) if n in known and _is_count(ctx.get(n))]
        return bool(numbers) and all(is_zero(v) for v in numbers)

    def _sentence(self, block: Block, source: str, ctx: dict[str, Any], names: AbstractSet[str] = frozenset(),
                  ) -> str:
        """The block's text, or what the template says it reads as when a number in it is 0."""
        if block.zero is not None and self._zero(source, ctx, names):
            return "" if block.zero == ZERO_OMIT else render_text(block.zero, ctx)
        return render_text(source, ctx)

    def _part(self, where: str, blocks: list[Block], ctx: dict[str, Any]) -> list[Heading | Paragraph | Table]:
        """The blocks of one part; a text the template cannot render names its place in Vietnamese."""
        out: list[Heading | Paragraph | Table] = []
        for block in blocks:
            try:
                out += self.blocks([block], ctx)
            except Exception as exc:  # noqa: BLE001 - a template text failing: say where, not a traceback
                source = block.each or block.table or block.paragraphs
                about = f", trường «{self.fields[source].label}»" if source in self.fields else ""
                raise DocumentTextError(
                    f"Không viết được văn bản ở {where}{about}: mẫu báo cáo có đoạn văn không dùng được "
                    f"({type(exc).__name__}: {exc}). Hãy báo cho người soạn mẫu «{self.template.id}».") from exc
        return out

    def _row_names(self, table_id: str, row: dict[str, Any]) -> dict[str, Any]:
        """A table row for its sentence: every column named, an empty optional cell as None."""
        f = self.fields.get(table_id)
        columns = (f.columns or []) if f else []
        return {**{c.id: None for c in columns}, **row}

    def blocks(self, blocks: list[Block], ctx: dict[str, Any]) -> list[Heading | Paragraph | Table]:
        out: list[Heading | Paragraph | Table] = []
        for block in blocks:
            kind = block.kind
            if kind == "heading":
                if not self._skip(block, block.heading, ctx):
                    heading = self._sentence(block, block.heading, ctx)
                    if heading:
                        out.append(Heading(heading, block.level))
            elif kind == "text":
                if not self._skip(block, block.text, ctx):
                    text = self._sentence(block, block.text, ctx)
                    if text.strip("-+ "):  # a list marker alone is nothing to write
                        out.append(paragraph(text))
            elif kind == "paragraphs":
                if self._skip(block, None, ctx):
                    continue
                text = ctx.get(block.paragraphs) or ""
                lines = [line.strip() for line in str(text).split("\n") if line.strip()]
                out += [paragraph((block.prefix or "") + line) for line in finish_lines(lines)]
            elif kind == "each":
                if self._skip(block, None, ctx):
                    continue
                rows = ctx.get(block.each) or []
                if self._summed_by_unit(block.each, rows):
                    marker = block.text[:2] if block.text.startswith(("+ ", "- ")) else ""
                    out += [paragraph((block.prefix or "") + marker + self._unit_line(block.each, row))
                            for row in rows]
                    continue
                needed = _needed_names(block.text)
                index = 0
                for row in rows:
                    if is_empty(row) or any(is_empty(row.get(n)) for n in needed if n in row):
                        continue
                    names = self._row_names(block.each, row)
                    row_ctx = {**ctx, **names, "stt": index + 1}
                    text = self._sentence(block, block.text, row_ctx, names.keys())
                    if not text:
                        continue
                    index += 1  # stt numbers the rows actually written
                    unit = f"{row[SOURCE_KEY]}: " if row.get(SOURCE_KEY) else ""
                    out.append(paragraph((block.prefix or "") + unit + text))
            elif kind == "table":
                if self._skip(block, None, ctx) or not ctx.get(block.table):
                    continue
                out.append(self._table(block, ctx))
        return out

    def _summed_by_unit(self, table_id: str, rows: list[dict[str, Any]]) -> bool:
        """A consolidated table with totals holds one summed row per unit (see consolidation)."""
        f = self.fields[table_id]
        return any(SOURCE_KEY in r for r in rows) and any(c.total for c in f.columns or [])

    def _unit_line(self, table_id: str, row: dict[str, Any]) -> str:
        """``Xã Phổ An: Số tổ: 06; Số thành viên: 45`` — a unit's sums, for a per-row sentence."""
        f = self.fields[table_id]
        parts = [f"{c.label}: {_cell_text(c, row.get(c.id))}" for c in f.columns or []
                 if c.total and row.get(c.id) is not None]
        return f"{row[SOURCE_KEY]}: {'; '.join(parts)}."

    def _grouped(self, block: Block, rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[TableGroup]]:
        """Rows in group order (the choice column's options, then rows with no group) and their group rows."""
        column = next(c for c in self.fields[block.table].columns or [] if c.id == block.group_by)
        options = list(column.options or [])
        titles = block.group_titles or {}
        ordered: list[dict[str, Any]] = []
        groups: list[TableGroup] = []
        for option in options + [None]:
            members = [r for r in rows if (r.get(column.id) if r.get(column.id) in options else None) == option]
            if not members:
                continue
            if option is not None:
                groups.append(TableGroup(len(ordered), roman(len(groups) + 1), titles.get(option, option)))
            ordered += members
        return ordered, groups

    def _table(self, block: Block, ctx: dict[str, Any]) -> Table:
        f = self.fields[block.table]
        columns = [c for c in f.columns or [] if (not block.columns or c.id in block.columns)
                   and c.id != block.group_by]
        rows_raw = [r for r in ctx.get(block.table) or [] if not is_empty(r)]
        groups: list[TableGroup] = []
        if block.group_by and not any(SOURCE_KEY in r for r in rows_raw):
            rows_raw, groups = self._grouped(block, rows_raw)
        # A consolidated table names each row's unit; with totals it holds one summed row per unit.
        by_unit = any(SOURCE_KEY in r for r in rows_raw)
        if self._summed_by_unit(block.table, rows_raw):
            columns = [c for c in columns if c.total]
        rows = []
        starts = {g.start for g in groups}
        index = 0
        for position, row in enumerate(rows_raw):
            index = 1 if position in starts else index + 1  # numbered afresh in each group
            cells = [TableCell(str(index), True)]
            if by_unit:
                cells.append(TableCell(str(row.get(SOURCE_KEY) or ""), False))
            for col in columns:
                value = row.get(col.id)
                text = _cell_text(col, value)
                cells.append(TableCell(text, kind_spec(col.kind).number_valued))
            rows.append(cells)
        totals = None
        if any(c.total for c in columns):
            sums = self.validator.column_totals(block.table, rows_raw)
            labelled = not columns[0].total  # "Tổng cộng" under the first column, else "Cộng" under TT
            totals = [TableCell("" if labelled else "Cộng", False)]
            if by_unit:
                totals = [TableCell("", False), TableCell("Tổng cộng", False)]
                labelled = False
            for i, col in enumerate(columns):
                if col.total:
                    totals.append(TableCell(_cell_text(col, sums.get(col.id)), True))
                else:
                    totals.append(TableCell("Tổng cộng" if labelled and i == 0 else "", False))
        headers = ["TT"] + (["Đơn vị"] if by_unit else []) + [c.label for c in columns]
        widths = [6.0] + ([30.0] if by_unit else []) + [c.width or 0 for c in columns]
        return Table(f.label, headers, rows, totals, widths if any(c.width for c in columns) else None, groups)

    def build(self, report: Report, result: ValidationResult | None = None,
              preface: list[Paragraph] | None = None,
              consolidation: dict[str, Any] | None = None) -> DocumentContent:
        """The document of one report (a stored one, or a consolidation's synthetic one).
        ``preface``: paragraphs written after the opening (a consolidation's coverage);
        ``consolidation``: what its sentences may read as ``tong_hop`` (counts per answer).

        Every sentence of the document shares one budget of characters and loop turns; a
        template that asks for more is refused with a Vietnamese message (UserError).
        """
        if not isinstance(report, Report):
            raise TypeError(f"DocumentBuilder.build takes a Report, not {type(report).__name__}")
        if report.template_id != self.template.id:
            raise ValueError(f"report of template {report.template_id!r} given to the builder of {self.template.id!r}")
        try:
            with document_budget(), date_style(self.template.document.date_style):
                return self._build(report, result, preface, consolidation)
        except DocTextError as exc:  # a limit reached, or text the loader could not judge
            raise UserError(f"Không tạo được văn bản theo mẫu «{self.template.id}»: {exc}.") from exc

    def _build(self, report: Report, result: ValidationResult | None,
               preface: list[Paragraph] | None, consolidation: dict[str, Any] | None = None) -> DocumentContent:
        result = result or self.validator.validate(report.values, evaluation_context(report.unit))
        ctx = self.context(report, result)
        ctx["tong_hop"] = consolidation  # a consolidated document's counts per answer; None otherwise
        unit, doc = report.unit, report.document
        spec = self.template.document
        body: list[Heading | Paragraph | Table] = self._part("phần mở đầu", spec.opening, ctx) + list(preface or [])
        for section in self.template.sections:
            body += self._part(f"phần «{section.title}»", section.body, ctx)
        body += self._part("phần kết", spec.closing, ctx)
        uctx = ctx["don_vi"]
        issuer = roles.issuer(unit)  # the unit's role decides the header (a department: two bodies)
        return DocumentContent(
            issuer_upper=issuer.governing,
            issuer_name=issuer.name,
            issuer_upper_bold=issuer.governing_bold,
            number_line=number_line(doc.number, issuer.abbreviation),
            place_date=format_place_date(doc.place or uctx["ten_ngan"], doc.date, ctx["nam"]),
            title="BÁO CÁO",
            summary=render_text(spec.summary, ctx),
            body=body,
            recipients=list(doc.recipients or spec.recipients),
            signing_authority=doc.signing_authority or spec.signing.authority,
            signer_title=doc.signer_title or unit.signer_title or spec.signing.title,
            signer_name=doc.signer or unit.signer_name,
            # the issuing body: a department itself, not the committee above it
            author=(unit.body_name if roles.role_of(unit) == roles.DEPARTMENT and unit.body_name
                    else f"Ủy ban nhân dân {uctx['ten_thuong']}"),
        )
