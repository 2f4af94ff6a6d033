"""What the receiving office has received for one report type and period: the units that sent
(final or draft), those that have NOT sent (from the official list of the office's area), and
those that sent something odd (a unit outside the area, an older template version)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from desktop_app.domain import units
from desktop_app.domain.entities import Report, UnitProfile
from desktop_app.domain.periods import Period
from desktop_app.domain.text import vi_sort_key
from desktop_app.domain.vnformat import local_time
from desktop_app.office.consolidation import (
    counts_for, covered_units, expected_units, legacy_senders, preferred_report, version_key,
)

FINAL, DRAFT = "final", "draft"


@dataclass(frozen=True)
class Sent:
    report_id: int
    unit_code: str
    unit_name: str
    status: str  # final | draft
    template_version: str
    updated_at: dt.datetime

    @property
    def status_text(self) -> str:
        return "Đã hoàn tất" if self.status == FINAL else "Đang soạn (chưa hoàn tất)"


@dataclass(frozen=True)
class Odd:
    sent: Sent
    why: str  # «không thuộc tỉnh Quảng Ngãi», «dùng mẫu phiên bản 2023.1 (mới nhất: 2025.1)»


@dataclass
class Receipts:
    template_id: str
    title: str
    period: Period
    area: str  # «tỉnh Quảng Ngãi»
    latest_version: str
    expected: list[units.AdminUnit]
    sent: list[Sent] = field(default_factory=list)  # units of the area, one (the latest) report each
    missing: list[units.AdminUnit] = field(default_factory=list)
    odd: list[Odd] = field(default_factory=list)

    @property
    def finals(self) -> list[Sent]:
        return [s for s in self.sent if s.status == FINAL]

    @property
    def drafts(self) -> list[Sent]:
        return [s for s in self.sent if s.status != FINAL]

    def summary(self) -> str:
        total = f"/{len(self.expected)}" if self.expected else ""
        text = (f"Đã nhận báo cáo của {len(self.sent)}{total} đơn vị ({len(self.finals)} đã hoàn tất, "
                f"{len(self.drafts)} đang soạn)")
        if self.expected:
            text += f"; {len(self.missing)} đơn vị chưa gửi"
        if self.odd:
            text += f"; {len(self.odd)} báo cáo cần xem lại"
        return text + "."


def receipts(template_id: str, title: str, period: Period, reports: list[Report],
             receiver: UnitProfile) -> Receipts:
    """``reports``: records (unit_code, unit, status, template_version, updated_at, revision) of
    that template and period, the receiver's own left out here."""
    expected = expected_units(receiver)
    expected_codes = {u.code for u in expected}
    latest: dict[str, Any] = {}
    for record in reports:
        if record.unit_code == receiver.code:
            continue
        other = latest.get(record.unit_code)
        latest[record.unit_code] = record if other is None else preferred_report(other, record)
    versions = sorted({r.template_version for r in latest.values()}, key=version_key)
    newest = versions[-1] if versions else ""
    kind, short = units.split_kind(receiver.name)
    area = f"{kind.lower()} {short}".strip()  # mid-sentence: «tỉnh Quảng Ngãi»
    out = Receipts(template_id, title, period, area, newest, expected)
    for record in latest.values():
        unit = record.unit
        sent = Sent(record.id, record.unit_code, unit.name or record.unit_code, record.status,
                    record.template_version, local_time(record.updated_at))
        if not counts_for(receiver, expected_codes, record):
            out.odd.append(Odd(sent, f"không thuộc {area or 'địa bàn của đơn vị nhận'}: không tính vào tổng hợp"))
            continue
        out.sent.append(sent)
        if record.template_version != newest:
            out.odd.append(Odd(sent, f"dùng mẫu phiên bản {record.template_version}, cũ hơn phiên bản {newest} "
                                     "các đơn vị khác dùng"))
    submitted = covered_units(expected, out.sent, legacy_senders(receiver, latest.values()))
    out.missing = [u for u in expected if u.code not in submitted]
    out.sent.sort(key=lambda s: vi_sort_key(s.unit_name))
    out.odd.sort(key=lambda o: vi_sort_key(o.sent.unit_name))
    return out
