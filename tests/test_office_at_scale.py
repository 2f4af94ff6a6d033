"""The receiving office at scale: bulk imports committed in groups (killed mid-way and run
again), and several installations importing into one PostgreSQL database at once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from tests import pg
from tests.conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.slow  # child processes and kills: ./test.sh and CI run them, the quick lane does not

TEMPLATE = "ntm-tieu-chi-8"


def _doc(unit, rng: random.Random, uid: str, revision: int, base: int | None, note: str) -> dict:
    from desktop_app.domain.reportdoc import REPORT_FORMAT

    example = json.loads((EXAMPLES / f"{TEMPLATE}.json").read_text(encoding="utf-8"))
    values = {k: (rng.randint(0, 2 * v + 10) if isinstance(v, int) and not isinstance(v, bool) else v)
              for k, v in example["values"].items()}
    values["xa_danh_gia"] = f"{unit.short_name} {note}".strip()
    doc = {"format": REPORT_FORMAT, "template": example["template"], "template_version": example["template_version"],
           "period": "2025", "unit": unit.as_profile().to_json(), "document": {}, "values": values, "uid": uid,
           "revision": revision, "origin": f"xa-{unit.code}", "status": "final"}
    if base is not None:
        doc["base_revision"] = base
    return doc


def office_bundles(folder: Path, communes: int, edited_twice: int) -> list[Path]:
    """One signed bundle per commune (revision 1); for the first ``edited_twice`` communes also
    two different revision-2 bundles grown from revision 1 (the same figures, another remark):
    whichever comes second is a conflict, and the totals do not depend on which."""
    from desktop_app.domain import units
    from desktop_app.exchange import bundles
    from desktop_app.exchange.signing import SigningKey, new_seed

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, unit in enumerate(units.all_communes()[:communes]):
        key, uid = SigningKey(new_seed()), str(uuid.uuid4())
        versions = [(1, None, "")]
        if index < edited_twice:
            versions += [(2, 1, "(máy A)"), (2, 1, "(máy B)")]
        for number, (revision, base, note) in enumerate(versions):
            doc = _doc(unit, random.Random(index), uid, revision, base, note)  # same seed: same figures
            data, _ = bundles.pack_bundle([doc], source_unit=unit.code, source_name=unit.name,
                                          origin=f"xa-{unit.code}", key=key)
            paths.append(folder / f"{unit.code}-{number}.zip")
            paths[-1].write_bytes(data)
    return paths


def _totals(ws) -> dict:
    from desktop_app.domain.entities import UnitProfile
    from desktop_app.domain.periods import parse_period
    from desktop_app.office import consolidation

    year = parse_period("2025")
    reports = ws.store.reports_of_period(TEMPLATE, [year])
    receiver = UnitProfile(code="00", name="Cả nước", level="tw")
    template = ws.templates.get(TEMPLATE, reports[0].template_version)  # the version they were written in
    return consolidation.consolidate(template, year, reports, receiver).totals


# --- bulk import in groups, killed mid-way -----------------------------------------------------

BULK_IMPORT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from desktop_app.exchange import bundle_import
    from desktop_app.services import Workspace
    bundle_import.GROUP_BUNDLES = int(sys.argv[3])  # small groups: several commits before the kill
    ws = Workspace(sys.argv[1])
    print("READY", flush=True)
    ws.import_bundles(sorted(Path(sys.argv[2]).glob("*.zip")))
    print("DONE", flush=True)
""")


def test_a_bulk_import_killed_mid_way_leaves_every_bundle_whole_or_absent_and_a_rerun_completes_it(tmp_path):
    from desktop_app.services import Workspace

    paths = office_bundles(tmp_path / "goi", communes=60, edited_twice=0)
    from desktop_app.exchange.bundle_reader import open_bundle

    expected = {}
    for path in paths:
        doc = open_bundle(path).raw_reports[0]
        expected[doc["uid"]] = doc["values"]
    folder = tmp_path / "tinh"
    rng = random.Random(16)
    present_counts = []
    for _kill in range(3):
        proc = subprocess.Popen([sys.executable, "-c", BULK_IMPORT, str(folder), str(tmp_path / "goi"), "7"],
                                cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "READY"
        time.sleep(0.2 + rng.random() * 0.8)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)
        ws = Workspace(folder)
        try:
            assert ws.store.integrity_check() == ["ok"]
            reports = ws.store.list_reports(with_values=True)
            for record in reports:  # each bundle all or nothing: a report is there with every value
                assert record.values == {k: v for k, v in expected[record.uid].items() if v is not None}
            with ws.store.db.connection() as conn:
                applied = conn.scalar("SELECT count(*) FROM imported_bundles")
                audited = conn.scalar(
                    "SELECT count(*) FROM audit_log WHERE action='bundle-new'")
            assert applied == len(reports) == audited  # no bundle marked applied without its report
            present_counts.append(len(reports))
        finally:
            ws.close()
    ws = Workspace(folder)
    try:
        summary = ws.import_bundles(paths)  # the re-run completes it
        assert not summary.rejected
        assert len(summary.already_imported) == present_counts[-1]
        assert len(summary.new) == len(paths) - present_counts[-1]
        records = ws.store.list_reports(with_values=True)
        assert sorted(r.uid for r in records) == sorted(expected)
    finally:
        ws.close()


def test_one_failing_bundle_in_a_group_takes_nothing_of_the_others_with_it(workspace, tmp_path, store_backend):
    """A savepoint per bundle: a bundle refused inside an open group is rolled back alone."""
    paths = office_bundles(tmp_path / "goi", communes=3, edited_twice=0)
    store = workspace.store
    decide_calls = []

    def decide(local, item):
        decide_calls.append(item.report.uid)
        if len(decide_calls) == 2:
            raise RuntimeError("the second bundle breaks mid-way")
        return "new"

    from desktop_app.exchange.bundle_reader import check_reports, open_bundle

    with store.grouped(size=100):
        for index, path in enumerate(paths):
            bundle = check_reports(open_bundle(path), workspace.templates)
            try:
                store.apply_bundle(bundle.bundle_id, bundle.digest, bundle.source_unit, bundle.reports, decide)
            except RuntimeError:
                assert index == 1
        assert len(store.list_reports()) == 2  # read inside the group: the group's own writes
    assert len(store.list_reports()) == 2
    assert not store.bundle_imported(open_bundle(paths[1]).digest)  # its claim went with it


# --- several installations, one PostgreSQL database ------------------------------------------

IMPORTER = textwrap.dedent("""
    import json, random, sys
    from pathlib import Path
    from desktop_app.exchange import bundle_import
    from desktop_app.services import Workspace
    data, url, staff, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    # small chunks and groups: the three interleave (one bulk chunk of many files could otherwise be
    # all one installation's before the others begin, however fast the import has become)
    bundle_import.CHUNK_BUNDLES, bundle_import.GROUP_BUNDLES = 2, 2
    files = sorted(Path(sys.argv[5]).glob("*.zip"))
    random.Random(seed).shuffle(files)
    ws = Workspace(data, who=staff, database=url)
    print("READY", flush=True)
    sys.stdin.readline()  # all start together
    summary = ws.import_bundles(files)
    print(json.dumps({"new": len(summary.new), "updated": len(summary.updated), "conflicts": len(summary.conflicts),
                      "unchanged": len(summary.unchanged), "already": len(summary.already_imported),
                      "rejected": summary.rejected}), flush=True)
""")


def test_three_installations_importing_overlapping_bundles_at_once_apply_each_exactly_once(tmp_path):
    if not pg.server_url():
        pytest.skip(pg.SKIP_REASON)
    from desktop_app.services import Workspace

    communes, edited_twice = 24, 6
    paths = office_bundles(tmp_path / "goi", communes=communes, edited_twice=edited_twice)
    url = pg.fresh_database()
    try:
        Workspace(tmp_path / "may-0", database=url).close()  # the schema, as the first PC makes it
        children = [subprocess.Popen([sys.executable, "-c", IMPORTER, str(tmp_path / f"may-{i}"), url,
                                      f"Cán bộ {i}", str(i), str(tmp_path / "goi")],
                                     cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                    for i in (1, 2, 3)]
        for child in children:
            assert child.stdout.readline().strip() == "READY"
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        results = []
        for child in children:
            out, _ = child.communicate(timeout=300)
            assert child.returncode == 0
            results.append(json.loads(out.strip().splitlines()[-1]))
        assert all(not r["rejected"] for r in results), [r["rejected"] for r in results]
        # every file applied by exactly one of them; the others found it already there
        assert sum(r["new"] + r["updated"] + r["conflicts"] + r["unchanged"] for r in results) == len(paths)
        assert all(r["already"] + r["new"] + r["updated"] + r["conflicts"] + r["unchanged"] == len(paths)
                   for r in results)

        shared = Workspace(tmp_path / "may-0", database=url)
        try:
            with shared.store.db.connection() as conn:
                digests = conn.rows("SELECT digest, count(*) FROM imported_bundles GROUP BY digest")
                staff = {row[0] for row in conn.rows("SELECT DISTINCT who FROM audit_log WHERE action LIKE 'bundle-%'")}
            assert len(digests) == len(paths) and all(count == 1 for _digest, count in digests)
            assert len(shared.store.list_reports()) == communes
            assert len(shared.conflicts()) == edited_twice  # the second of each pair of edits, both kept
            assert staff <= {"Cán bộ 1", "Cán bộ 2", "Cán bộ 3"} and len(staff) >= 2
            shared_totals = _totals(shared)
        finally:
            shared.close()
    finally:
        pg.drop_database(url)

    alone = Workspace(tmp_path / "mot-may")  # the same files, one process, SQLite
    try:
        summary = alone.import_bundles(paths)
        assert len(summary.conflicts) == edited_twice
        alone_totals = _totals(alone)
        # the remark (máy A / máy B) is the one thing that depends on which edit came first
        remark = "xa_danh_gia"
        assert alone_totals.pop(remark).replace("(máy B)", "(máy A)") == \
            shared_totals.pop(remark).replace("(máy B)", "(máy A)")
        assert alone_totals == shared_totals
    finally:
        alone.close()


def test_a_file_another_pc_applied_a_moment_ago_is_already_imported_not_a_changed_bundle(workspace, tmp_path,
                                                                                      monkeypatch):
    """Between this PC's «imported before?» and its bundle-id check, another PC of the shared
    store commits the very same file: that is «already imported», never «changed content»."""
    [path] = office_bundles(tmp_path / "goi", communes=1, edited_twice=0)
    assert workspace.import_bundles([path]).new  # "the other PC"
    monkeypatch.setattr(workspace.store, "bundle_imported", lambda digest: False)  # checked just before it landed
    summary = workspace.import_bundles([path])
    assert not summary.rejected and len(summary.already_imported) == 1
