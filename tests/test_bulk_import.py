"""A bulk import applies a chunk of bundles with few statements and checks files in worker
processes, and ends exactly where applying the same files one by one ends (issue 16, item 3)."""

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

from desktop_app.exchange import bundle_checks, bundle_import, bundles
from desktop_app.services import Workspace
from tests.conftest import statements_sent
from tests.test_office_at_scale import _doc, office_bundles


def _state(ws) -> dict:
    """Everything an import writes, without ids and times (which differ run to run)."""
    with ws.store.db.connection() as conn:
        uid_of = dict(conn.rows("SELECT id, uid FROM reports"))
        audit = [(who, uid_of.get(report_id), action, field_id, json.dumps(old), json.dumps(new), note)
                 for who, report_id, action, field_id, old, new, note in conn.rows(
                     "SELECT who, report_id, action, field_id, old, new, note FROM audit_log ORDER BY id")]
        imported = conn.rows("SELECT bundle_id, digest, source_unit, signed_by, summary "
                                        "FROM imported_bundles ORDER BY id")
        keys = conn.rows("SELECT unit_code, unit_name, public_key, fingerprint, status, how "
                                    "FROM sender_keys ORDER BY id")
        conflicts = conn.rows("SELECT bundle_id, incoming FROM conflicts ORDER BY id")
    reports = sorted((r.uid, r.unit_code, r.unit.to_json(), r.template_id, r.template_version, r.period.spec,
                      r.status, r.document.to_json(), r.revision, r.origin, r.sync_base, r.signed_by, r.unsigned,
                      json.dumps(r.values, sort_keys=True)) for r in ws.store.list_reports(with_values=True))
    return {"reports": reports, "audit": audit, "imported": [tuple(map(str, row)) for row in imported],
            "keys": [tuple(row) for row in keys], "conflicts": [(b, json.dumps(i, sort_keys=True))
                                                              for b, i in conflicts]}


def workers_forced_and_traced(monkeypatch) -> list[int]:
    """Worker processes however busy the machine is; the returned list fills with the process
    id that checked each bundle the importer decides on."""
    monkeypatch.setattr(bundle_checks, "_spare_core", lambda: True)
    checked_in: list[int] = []
    real_prepare, real_check = bundle_import._prepare, bundle_checks._check_one

    def spy(batch, known, path, opened, ready):
        if isinstance(opened, bundle_import.Bundle):
            checked_in.append(getattr(opened, "checked_in", os.getpid()))
        return real_prepare(batch, known, path, opened, ready)

    def marked(path):
        result = real_check(path)
        if isinstance(result, bundle_import.Bundle):
            result.checked_in = os.getpid()  # type: ignore[attr-defined] - travels back with the bundle
        return result

    monkeypatch.setattr(bundle_import, "_prepare", spy)
    monkeypatch.setattr(bundle_checks, "_check_one", marked)
    return checked_in


def _import_counting(ws, paths) -> tuple[list[str], int]:
    with statements_sent(ws.store) as statements:
        summary = ws.import_bundles(paths)
    return summary.lines(), len(statements)


def test_a_chunk_applied_together_ends_where_one_by_one_ends_with_far_fewer_statements(tmp_path, store_backend,
                                                                                      monkeypatch):
    # new reports, and for three communes two different edits of revision 1 (an update, then a
    # conflict) right after it in the same chunk: the run of new bundles is broken by bundles
    # that need the stored report, which must see what the bundles before them wrote
    paths = sorted(office_bundles(tmp_path / "goi", communes=30, edited_twice=3))  # the three versions side by side
    monkeypatch.setattr(bundle_import, "CHUNK_BUNDLES", 16)
    together = Workspace(tmp_path / "cung-luc", who="cán bộ")
    one_by_one = Workspace(tmp_path / "tung-goi", who="cán bộ")
    try:
        lines, statements = _import_counting(together, paths)
        monkeypatch.setattr(type(one_by_one.store), "apply_bundles", lambda *args, **kwargs: None)
        alone_lines, alone_statements = _import_counting(one_by_one, paths)
        assert lines == alone_lines
        assert "Mới: 30; cập nhật: 3; không đổi: 0; xung đột: 3; bị từ chối: 0." == lines[0]
        assert _state(together) == _state(one_by_one)
        # a third fewer at least (SQLite: 153 against 393; PostgreSQL: 196 against 388): each commune
        # whose later versions follow its first-contact bundle waits for that one to be applied
        assert statements * 3 < alone_statements * 2, (statements, alone_statements)
    finally:
        together.close()
        one_by_one.close()


def test_a_bundle_refused_inside_a_chunk_takes_nothing_of_the_others_with_it(tmp_path, store_backend):
    """A bundle whose report is stored for another unit fails the chunk's single run: the chunk
    is then applied one by one, the bad bundle refused with its reason, the others taken in."""
    from desktop_app.domain import units
    from desktop_app.exchange.signing import SigningKey, new_seed

    communes = units.all_communes()[:6]
    folder = tmp_path / "goi"
    folder.mkdir()
    paths, uids = [], []
    for index, unit in enumerate(communes[:5]):
        uids.append(str(uuid.uuid4()))
        data, _ = bundles.pack_bundle([_doc(unit, random.Random(index), uids[-1], 1, None, "")],
                                      source_unit=unit.code, source_name=unit.name, origin=f"xa-{unit.code}",
                                      key=SigningKey(new_seed()))
        paths.append(folder / f"{index}.zip")
        paths[-1].write_bytes(data)
    office = Workspace(tmp_path / "tinh")
    try:
        assert office.import_bundles(paths[:1]).new
        # another commune claims the report already stored for the first one
        thief = communes[5]
        data, _ = bundles.pack_bundle([_doc(thief, random.Random(9), uids[0], 7, None, "")],
                                      source_unit=thief.code, source_name=thief.name, origin="x",
                                      key=SigningKey(new_seed()))
        (folder / "2a.zip").write_bytes(data)
        batch = paths[1:3] + [folder / "2a.zip"] + paths[3:]
        summary = office.import_bundles(batch)
        assert len(summary.new) == 4 and len(summary.rejected) == 1, summary.lines()
        assert "2a.zip" in summary.rejected[0] and "chỉ được gửi báo cáo của chính mình" in summary.rejected[0]
        assert sorted(r.uid for r in office.store.list_reports()) == sorted(uids)
        assert thief.code not in {k.unit_code for k in office.store.sender_keys()}  # its key went with it
    finally:
        office.close()


def test_many_files_are_checked_in_worker_processes_with_the_same_outcome(tmp_path, monkeypatch):
    if not bundle_checks._can_fork():
        pytest.skip("worker processes are forked: POSIX only")
    paths = office_bundles(tmp_path / "goi", communes=14, edited_twice=1)
    junk = tmp_path / "goi" / "rac.zip"
    junk.write_bytes(b"PK\x03\x04 cut short")
    tampered = tmp_path / "goi" / "sua.zip"
    raw = bytearray(paths[3].read_bytes())
    raw[raw.index(b"manifest.json") + 40] ^= 1  # inside the signed manifest's bytes
    tampered.write_bytes(bytes(raw))
    files = sorted(tmp_path.joinpath("goi").glob("*.zip"))
    monkeypatch.setattr(bundle_import, "CHUNK_BUNDLES", 4)

    here = Workspace(tmp_path / "mot-tien-trinh")
    try:
        expected = here.import_bundles(files).lines()
        expected_state = _state(here)
    finally:
        here.close()

    monkeypatch.setattr(bundle_checks, "POOL_MIN_FILES", 5)
    checked_in = workers_forced_and_traced(monkeypatch)
    pooled = Workspace(tmp_path / "nhieu-tien-trinh")
    try:
        assert pooled.import_bundles(files).lines() == expected
        assert _state(pooled) == expected_state
    finally:
        pooled.close()
    assert checked_in and os.getpid() not in checked_in  # every file was checked by a worker
    assert any("rac.zip" in line for line in expected) and any("sua.zip" in line for line in expected)


def _workers_for(tmp_path, monkeypatch, communes: int) -> list[Path]:
    """Bundles of ``communes`` communes, checked three a chunk by forked workers, however busy the machine is."""
    if not bundle_checks._can_fork():
        pytest.skip("worker processes are forked: POSIX only")
    paths = office_bundles(tmp_path / "goi", communes=communes, edited_twice=0)
    monkeypatch.setattr(bundle_import, "CHUNK_BUNDLES", 3)
    monkeypatch.setattr(bundle_checks, "POOL_MIN_FILES", 5)
    monkeypatch.setattr(bundle_checks, "_spare_core", lambda: True)
    return paths


def test_a_worker_that_dies_leaves_its_files_to_the_importer(tmp_path, monkeypatch):
    paths = _workers_for(tmp_path, monkeypatch, communes=12)
    real_check = bundle_checks._check_one
    importer = os.getpid()

    def dies_on_the_fourth(path):  # looked up in the worker (forked with this patch)
        if path == paths[3] and os.getpid() != importer:
            os._exit(3)  # killed mid-import (out of memory, a person ending it)
        return real_check(path)

    monkeypatch.setattr(bundle_checks, "_check_one", dies_on_the_fourth)
    office = Workspace(tmp_path / "tinh")
    try:
        summary = office.import_bundles(paths)
        assert len(summary.new) == 12 and not summary.rejected, summary.lines()
    finally:
        office.close()


KILLED_IMPORT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from desktop_app.exchange import bundle_checks, bundle_import
    from desktop_app.services import Workspace
    bundle_import.GROUP_BUNDLES, bundle_import.CHUNK_BUNDLES, bundle_checks.POOL_MIN_FILES = 20, 10, 5
    bundle_checks._spare_core = lambda: True  # workers however busy the machine is
    ws = Workspace(sys.argv[1])
    print("READY", flush=True)
    ws.import_bundles(sorted(Path(sys.argv[2]).glob("*.zip")))
    print("DONE", flush=True)
""")


@pytest.mark.slow
def test_an_import_killed_with_its_workers_running_leaves_whole_bundles_and_no_worker_behind(tmp_path):
    if not bundle_checks._can_fork() or not Path("/proc/self/stat").exists():
        pytest.skip("forked workers, found through /proc")
    from tests.conftest import ROOT

    paths = office_bundles(tmp_path / "goi", communes=150, edited_twice=0)
    folder = tmp_path / "tinh"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_IMPORT, str(folder), str(tmp_path / "goi")], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "READY"
    workers: set[int] = set()
    deadline = time.monotonic() + 30
    while not workers and time.monotonic() < deadline:
        workers = _children(proc.pid)
        time.sleep(0.02)
    assert workers, "the import started no worker"
    time.sleep(0.3)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=10)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() and _state_of(pid) != "Z" for pid in workers):
        assert time.monotonic() < deadline, "a worker outlived the killed import"
        time.sleep(0.1)
    ws = Workspace(folder)
    try:
        assert ws.store.integrity_check() == ["ok"]
        with ws.store.db.connection() as conn:
            applied = conn.scalar("SELECT count(*) FROM imported_bundles")
            values = conn.scalar("SELECT count(DISTINCT report_id) FROM report_values")
        assert applied == len(ws.store.list_reports()) == values  # no bundle applied without its report
        summary = ws.import_bundles(paths)  # the re-run completes it
        assert not summary.rejected and len(summary.new) + len(summary.already_imported) == len(paths)
        assert len(summary.already_imported) == applied
    finally:
        ws.close()


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _state_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_a_worker_that_hangs_is_stopped_and_its_files_checked_by_the_importer(tmp_path, monkeypatch):
    paths = _workers_for(tmp_path, monkeypatch, communes=9)
    monkeypatch.setattr(bundle_checks, "CHUNK_SECONDS", 2)
    real_check = bundle_checks._check_one
    importer = os.getpid()

    def hangs_on_the_fourth(path):  # looked up in the worker (forked with this patch)
        if path == paths[3] and os.getpid() != importer:
            time.sleep(3600)  # stuck (a lock held by another thread when the worker was forked)
        return real_check(path)

    monkeypatch.setattr(bundle_checks, "_check_one", hangs_on_the_fourth)
    office = Workspace(tmp_path / "tinh")
    try:
        started = time.monotonic()
        summary = office.import_bundles(paths)
        assert len(summary.new) == 9 and not summary.rejected, summary.lines()
        assert 2 <= time.monotonic() - started < 60  # waited for the stuck chunk, then went on
    finally:
        office.close()


def test_no_workers_when_the_cores_are_busy(tmp_path, monkeypatch):
    paths = office_bundles(tmp_path / "goi", communes=6, edited_twice=0)
    monkeypatch.setattr(bundle_import, "CHUNK_BUNDLES", 3)
    monkeypatch.setattr(bundle_checks, "POOL_MIN_FILES", 5)
    monkeypatch.setattr(os, "getloadavg", lambda: (64.0, 64.0, 64.0))
    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", None)  # any attempt at a pool fails
    office = Workspace(tmp_path / "tinh")
    try:
        assert len(office.import_bundles(paths).new) == 6
    finally:
        office.close()


def test_the_json_text_of_a_value_is_what_the_store_writes():
    from db.bulk_apply import json_text
    from db.sql import json_dumps

    values = ["", "Xã Na Sơn", "e\u0301", "a\"b\\c\n\t\x01\u2028", "\ud7ff", 0, -5, 10**15, True, False, None, 1.5,
              -0.0, 1e300, [1, "a", None], {"num": 1, "den": None}, [{"a": "b", "c": [True]}]]
    for value in values:
        assert json_text(value) == json_dumps(value), value


def _pack(unit, key, uid: str | None = None, seed: int = 0) -> bytes:
    from tests.test_office_at_scale import _doc

    return bundles.pack_bundle([_doc(unit, random.Random(seed), uid or str(uuid.uuid4()), 1, None, "")],
                               source_unit=unit.code, source_name=unit.name, origin=f"xa-{unit.code}", key=key)[0]


@pytest.mark.parametrize("second", ["same key, another unit", "unsigned, same unit"])
def test_a_first_contact_key_refused_when_applied_decides_nothing_after_it(tmp_path, second):
    """A bundle refused only when applied (its report is another unit's) registers no key: a
    later bundle of the same chunk with that key or of that unit is decided as if it came
    alone, not held or refused against a key that was never written."""
    from desktop_app.domain import units
    from desktop_app.exchange.signing import SigningKey, new_seed

    owner, thief, other = units.all_communes()[:3]
    key, stolen_uid = SigningKey(new_seed()), str(uuid.uuid4())
    folder = tmp_path / "goi"
    folder.mkdir()
    (folder / "0-chu.zip").write_bytes(_pack(owner, SigningKey(new_seed()), stolen_uid))
    (folder / "1-chiem.zip").write_bytes(_pack(thief, key, stolen_uid, seed=1))
    if second == "same key, another unit":
        (folder / "2-sau.zip").write_bytes(_pack(other, key, seed=2))
        expected_sender = other.code
    else:
        doc = _doc_unsigned(thief)
        (folder / "2-sau.zip").write_bytes(bundles.pack_bundle([doc], source_unit=thief.code, source_name=thief.name,
                                                                origin="x", key=None)[0])
        expected_sender = None

    def run(where: Path, together: bool):
        ws = Workspace(where)
        try:
            ws.import_bundles([folder / "0-chu.zip"])
            later = [folder / "1-chiem.zip", folder / "2-sau.zip"]
            summaries = [ws.import_bundles(later, allow_unsigned=True)] if together else \
                [ws.import_bundles([p], allow_unsigned=True) for p in later]
            return [line for s in summaries for line in s.lines()[1:]], _state(ws), ws.store.sender_keys()
        finally:
            ws.close()

    alone_lines, alone_state, alone_keys = run(tmp_path / "tung-goi", together=False)
    lines, state, keys = run(tmp_path / "cung-luc", together=True)
    assert state == alone_state
    assert sorted(lines) == sorted(alone_lines)
    assert {k.unit_code for k in keys} == {k.unit_code for k in alone_keys}
    assert thief.code not in {k.unit_code for k in keys}
    assert len(state["reports"]) == 2  # the owner's report and the one bundle after the refused one
    if expected_sender:
        assert expected_sender in {k.unit_code for k in keys}


def _doc_unsigned(unit) -> dict:
    from tests.test_office_at_scale import _doc

    return _doc(unit, random.Random(3), str(uuid.uuid4()), 1, None, "")


def test_a_chunk_holds_at_most_chunk_bytes_of_files(tmp_path, monkeypatch):
    """Bundles of many reports are not all opened at once: a chunk is bounded by its files'
    bytes as well as their number (a file above the bound is a chunk alone)."""
    files = []
    for index, size in enumerate([10, 10, 10, 50, 10, 10]):
        path = tmp_path / f"{index}.zip"
        path.write_bytes(b"x" * size)
        files.append((path, None))
    monkeypatch.setattr(bundle_import, "CHUNK_BYTES", 30)
    chunks = bundle_import._chunks(files, size=100)
    assert [[p.name for p, _ in chunk] for chunk in chunks] == [["0.zip", "1.zip", "2.zip"], ["3.zip"],
                                                                ["4.zip", "5.zip"]]
    assert [len(c) for c in bundle_import._chunks(files, size=2)] == [2, 1, 1, 2]


def test_a_chunk_too_big_to_hold_ahead_is_checked_by_the_importer(tmp_path, monkeypatch):
    if not bundle_checks._can_fork():
        pytest.skip("worker processes are forked: POSIX only")
    paths = office_bundles(tmp_path / "goi", communes=8, edited_twice=0)
    monkeypatch.setattr(bundle_checks, "POOL_MIN_FILES", 2)
    monkeypatch.setattr(bundle_checks, "_spare_core", lambda: True)
    monkeypatch.setattr(bundle_checks, "AHEAD_BYTES", paths[0].stat().st_size * 2 + 1)
    here: list[Path] = []

    def local(path):
        here.append(path)
        return bundle_import._opened(path)

    chunks = [paths[:2], paths[2:6], paths[6:]]  # the middle one is too big to be held ahead
    checked = bundle_checks.CheckedChunks(chunks, None, bundle_import.open_bundle, local)
    try:
        results = list(checked)
    finally:
        checked.close()
    assert [len(r) for r in results] == [2, 4, 2]
    assert here == paths[2:6]


def test_a_worker_collects_what_it_makes(tmp_path):
    """Workers freeze what they inherit and keep collecting: a bundle refused by its check is
    a cycle (its error's traceback holds it), and none may pile up over a long import."""
    script = textwrap.dedent(f"""
        import gc, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
        from desktop_app.exchange import bundle_checks
        gc.collect()
        bundle_checks._worker_start()
        class Cycle:
            pass
        for _ in range(1000):
            a = Cycle(); a.me = a
        del a
        gc.collect()
        print(sum(isinstance(o, Cycle) for o in gc.get_objects()), gc.isenabled())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["0", "True"], out.stderr
