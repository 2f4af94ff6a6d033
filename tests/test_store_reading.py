"""What a consolidation reads from the store: every value, one string object per repeated text (issue 16)."""

from __future__ import annotations

from desktop_app.domain.periods import parse_period
from desktop_app.exchange import bundles
from tests.test_office_at_scale import TEMPLATE, office_bundles


def test_reports_of_period_share_field_ids_and_repeated_texts(store_backend, workspace, tmp_path):
    summary = bundles.import_bundles(workspace, office_bundles(tmp_path / "goi", 4, 0))
    assert len(summary.new) == 4
    reports = workspace.store.reports_of_period(TEMPLATE, [parse_period("2025")])
    assert len(reports) == 4
    for report in reports:  # the same values as the report read on its own
        alone = workspace.store.get_report(report.id)
        assert report.values == {k: v for k, v in alone.values.items() if v is not None}
    first, second = reports[0].values, reports[1].values
    common = [k for k in first if k in second]
    assert common and all(next(k2 for k2 in second if k2 == k) is k for k in common)  # one object per field id
    texts = [k for k in common if isinstance(first[k], str) and first[k] == second[k]]
    assert texts and all(first[k] is second[k] for k in texts)  # a text every unit sent: held once
