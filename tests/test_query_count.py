"""Validating a report reads a bounded number of rows, however many reports are stored (issue 13:
``previous_report`` lazy-loaded every other report's values, ~50 queries with 48 reports)."""

from __future__ import annotations

from desktop_app.services import Workspace
from tests.conftest import statements_sent


def test_validation_query_count_does_not_grow_with_stored_reports(data_dir):
    ws = Workspace(data_dir)
    ws.set_unit("21073", scheme="truoc-2025")
    for index in range(48):  # 48 earlier reports of the same unit and template, with values
        rid = ws.new_report("cao-diem-dvctt", f"{2019 + index // 12}-{index % 12 + 1:02d}")
        ws.set_values(rid, {"rut_ho_so": index})
    latest = ws.new_report("cao-diem-dvctt", "2023-10")
    with statements_sent(ws.store) as statements:
        result = ws.validate(latest)
    assert result is not None
    queries = [s for s in statements if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]  # not reads
    assert len(queries) <= 10, queries
    assert ws.previous_values(ws.report(latest)[0]) == {"rut_ho_so": 47}  # 2022-12, the latest earlier one
    ws.close()
