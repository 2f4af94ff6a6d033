"""Made-up communes' reports for the consolidation and large-export tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from desktop_app.domain import units
from desktop_app.domain.entities import Report, UnitProfile
from desktop_app.domain.periods import parse_period


def commune_reports(template, count: int, values_of: Callable[[int], dict[str, Any]]) -> list[Report]:
    """``count`` reports of ``template`` for 2025, one per made-up commune of one district
    (every fifth a draft), with ``values_of(index)`` as their values."""
    district = units.communes("51", units.LEGACY, district_code="534")[0].district_code
    records = []
    for index in range(count):
        profile = UnitProfile(code=f"{21000 + index}", name=f"Xã Thử {index:03d}", level="xa", scheme=units.LEGACY,
                              province_code="51", district_code=district)
        records.append(Report(template_id=template.id, template_version=template.version, period=parse_period("2025"),
                              unit=profile, values=values_of(index), id=index + 1,
                              status="final" if index % 5 else "draft",
                              updated_at=dt.datetime(2025, 12, 1, 8, index % 60)))
    return records
