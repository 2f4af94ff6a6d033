"""Hostile files at the receiving office: wrong JSON types and characters, a batch with one
bad file, the plan/apply race, deleted reports sent again, and part bombs.

Each attack is signed with a real key (any commune has one), so only the checks behind
the signature stand between it and the database."""

from __future__ import annotations

import io
import json
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from desktop_app.exchange import bundle_import, bundles
from desktop_app.exchange.bundle_parts import PART_CHUNK, PART_META
from desktop_app.cli import main
from tests.test_bundle_trust import _craft, _dump, _export, a, b, office  # noqa: F401 - fixtures

JSON_ATTACKS = {
    "uid-is-a-list": lambda d: d.__setitem__("uid", ["x"]),
    "unit-name-is-a-dict": lambda d: d["unit"].__setitem__("name", {"a": 1}),
    "document-number-is-an-int": lambda d: d["document"].__setitem__("number", 17),
    "revision-is-a-bool": lambda d: d.__setitem__("revision", True),
    "status-unknown": lambda d: d.__setitem__("status", "approved"),
    "huge-integer": lambda d: d["values"].__setitem__("rut_ho_so", int("9" * 4500)),
    "lone-surrogate": lambda d: d["document"].__setitem__("place", "\ud800"),
    "name-too-long": lambda d: d["unit"].__setitem__("name", "X" * 5000),
    "values-not-a-group": lambda d: d.__setitem__("values", [1, 2]),
    "unknown-key": lambda d: d.__setitem__("admin", True),
}


def _raw_edit(good: Path, target: Path, key, mutate) -> Path:
    """Like _craft, but writes the report's JSON text itself (for what json.dumps cannot make)."""
    import sys

    sys.set_int_max_str_digits(0)  # the attacker's own machine may have no limit
    try:
        return _craft(good, target, key, mutate)
    finally:
        sys.set_int_max_str_digits(4300)


@pytest.mark.parametrize("kind", sorted(JSON_ATTACKS))
def test_wrong_json_types_and_bad_values_are_refused_before_anything_changes(a, office, tmp_path, kind):
    bad = _raw_edit(_export(a, tmp_path / "a.zip"), tmp_path / f"{kind}.zip", a.signing_key(), JSON_ATTACKS[kind])
    before = _dump(office)
    summary = office.import_bundles([bad])
    assert len(summary.rejected) == 1 and not summary.new, summary.lines()
    assert "không mong muốn" not in summary.rejected[0] and f"{kind}.zip" in summary.rejected[0]
    assert _dump(office) == before


def test_control_characters_are_cleaned_on_every_path_into_the_store(a, office, tmp_path):
    hostile = "Thôn\x01 Một\ufffe\x1b[2J\u009b31m\r\nxong\tok"

    def dirty(doc):
        doc["document"]["place"] = hostile
        doc["unit"]["villages"] = [hostile]
        doc["values"]["uu_diem"] = hostile

    path = _craft(_export(a, tmp_path / "a.zip"), tmp_path / "ban.zip", a.signing_key(), dirty)
    summary = office.import_bundles([path])
    assert len(summary.new) == 1, summary.lines()
    [record] = office.store.list_reports(with_values=True)
    clean = "Thôn Một[2J31m\nxong\tok"
    assert record.document.place == clean and record.unit.villages == (clean,)
    assert record.values["uu_diem"] == clean
    # typing / CLI / JSON import on the commune's own machine: the same cleaning
    rid = a.reports()[0].id
    a.set_values(rid, {"uu_diem": "gõ\x07 vào\x00"})
    assert a.report(rid)[0].values["uu_diem"] == "gõ vào"
    a.set_document(rid, place="nơi\x08 ký")
    assert a.report(rid)[0].document.place == "nơi ký"
    from desktop_app.errors import UserError

    with pytest.raises(UserError):
        a.set_values(rid, {"uu_diem": "nửa\ud800cặp"})
    assert a.report(rid)[0].values["uu_diem"] == "gõ vào"


def test_terminal_output_strips_escape_sequences(a, office, tmp_path, capsys):
    def named(doc):
        doc["document"]["place"] = "x"

    path = _craft(_export(a, tmp_path / "a.zip"), tmp_path / "a.zip", a.signing_key(), named,
                  source_name="Xã \x1b]0;bi-chiem\x07Bình\x1b[2J Phước")
    evil = tmp_path / "goi\x1b[31m-do.zip"
    evil.write_bytes(b"not a zip")
    code = main(["--data-dir", str(office.data_dir), "bundle", "import", str(path), str(evil)])
    out = capsys.readouterr()
    assert code == 1 and "\x1b" not in out.out + out.err and "Mới: 1" in out.out
    assert "bị từ chối: 1" in out.out


def test_one_bad_file_never_blocks_the_good_ones(a, b, office, tmp_path, monkeypatch):
    good_a, good_b = _export(a, tmp_path / "a.zip"), _export(b, tmp_path / "b.zip")
    junk = tmp_path / "rac.zip"
    junk.write_bytes(b"PK\x03\x04 cut short")
    crash = tmp_path / "loi.zip"
    crash.write_bytes(good_a.read_bytes())
    original = bundle_import.open_bundle

    def flaky(path):
        if Path(path).name == "loi.zip":
            raise RuntimeError("boom")  # an unexpected error in one file only
        return original(path)

    monkeypatch.setattr(bundle_import, "open_bundle", flaky)
    summary = office.import_bundles([junk, good_a, crash, good_b])
    assert len(summary.new) == 2 and len(summary.rejected) == 2, summary.lines()
    assert any("rac.zip" in r for r in summary.rejected) and any("loi.zip" in r for r in summary.rejected)
    assert {r.unit_code for r in office.store.list_reports()} == {"21073", "21064"}
    assert "RuntimeError: boom" in (office.data_dir / bundle_import.ERROR_LOG).read_text(encoding="utf-8")
    monkeypatch.undo()
    code = main(["--data-dir", str(office.data_dir), "bundle", "import", str(junk), str(good_a)])
    assert code == 1  # the exit code says a file was refused


def test_an_edit_committed_between_planning_and_applying_becomes_a_conflict(b, office, tmp_path, monkeypatch):
    office.import_bundles([_export(b, tmp_path / "1.zip")])
    [stored] = office.store.list_reports()
    b.set_values(b.reports()[0].id, {"rut_ho_so": 21})
    second = _export(b, tmp_path / "2.zip")
    real_backup = office._backup_before_import

    def edit_meanwhile():  # runs after the bundle was verified, before it is applied
        real_backup()
        office.store.set_values(stored.id, {"rut_ho_so": 99}, who="người khác")

    monkeypatch.setattr(office, "_backup_before_import", edit_meanwhile)
    summary = office.import_bundles([second])
    assert len(summary.conflicts) == 1 and not summary.updated
    assert office.store.get_report(stored.id).values["rut_ho_so"] == 99
    assert office.conflicts()[0].incoming.report.values["rut_ho_so"] == 21


def test_no_base_revision_and_local_edits_is_a_conflict():
    assert bundles.decide(5, None, False, 7, None) == "conflict"
    assert bundles.decide(5, None, False, 3, None) == "conflict"


def test_a_bundle_without_base_revision_never_replaces_an_unsent_edit(a, tmp_path):
    rid = a.reports()[0].id
    uid = a.store.get_report(rid).uid
    a.set_values(rid, {"rut_ho_so": 5})

    def no_ancestry(doc):
        doc.pop("base_revision", None)
        doc["revision"] = 1000
        doc["values"]["rut_ho_so"] = 6

    path = _craft(_export(a, tmp_path / "a.zip"), tmp_path / "cu.zip", a.signing_key(), no_ancestry)
    summary = a.import_bundles([path])
    assert len(summary.conflicts) == 1 and a.store.find_report(uid=uid).values["rut_ho_so"] == 5


def test_a_report_deleted_here_and_sent_again_is_a_conflict_not_an_error(b, office, tmp_path):
    office.import_bundles([_export(b, tmp_path / "1.zip")])
    [stored] = office.store.list_reports()
    office.delete_report(stored.id)
    b.set_values(b.reports()[0].id, {"rut_ho_so": 31})
    summary = office.import_bundles([_export(b, tmp_path / "2.zip")])
    assert not summary.rejected and len(summary.conflicts) == 1, summary.lines()
    assert office.conflict_list()[0].deleted
    office.resolve_conflict(office.conflicts()[0].id, "incoming")
    restored = office.store.get_report(stored.id)
    assert restored.deleted_at is None and restored.values["rut_ho_so"] == 31


# --- parts -----------------------------------------------------------------------------

def _part_zip(meta: dict, chunk_writer) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(PART_META, json.dumps(meta))
        with archive.open(PART_CHUNK, "w", force_zip64=True) as member:
            chunk_writer(member)
    return buffer.getvalue()


def _measured(work):
    """(result, CPU seconds, peak traced bytes): CPU time, so other test workers do not count."""
    tracemalloc.start()
    start = time.process_time()
    try:
        result = work()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return result, time.process_time() - start, peak


@pytest.mark.slow  # builds a hostile part and measures memory
def test_a_part_whose_chunk_unpacks_to_a_gibibyte_is_refused_without_unpacking(office, tmp_path):
    zeros = bytes(1024 * 1024)

    def gigabyte(member):
        for _ in range(1024):
            member.write(zeros)

    meta = {"format": "baocaoxa.bundle-part", "bundle_id": "a" * 32, "index": 1, "count": 1,
            "bundle_sha256": "0" * 64, "chunk_sha256": "0" * 64, "label": "bom"}
    bomb = tmp_path / "bom.phan-001-tren-001.zip"
    bomb.write_bytes(_part_zip(meta, gigabyte))
    assert bomb.stat().st_size < 10 * 1024 * 1024
    before = _dump(office)
    summary, seconds, peak = _measured(lambda: office.import_bundles([bomb]))
    assert len(summary.rejected) == 1 and "bom zip" in summary.rejected[0]
    assert seconds < 5 and peak < 200 * 1024 * 1024
    assert _dump(office) == before and not list((office.data_dir / "parts").glob("**/*.bin"))
    code = main(["--data-dir", str(office.data_dir), "bundle", "verify", str(bomb)])
    assert code == 1


def test_a_sparse_huge_part_file_is_refused_without_reading_it(office, tmp_path):
    sparse = tmp_path / "lon.phan-001-tren-002.zip"
    with open(sparse, "wb") as handle:
        handle.write(b"PK\x03\x04")
        handle.truncate(3 * 1024**3)  # 3 GiB, almost nothing on disk
    before = _dump(office)
    summary, seconds, peak = _measured(lambda: office.import_bundles([sparse]))
    assert len(summary.rejected) == 1 and "quá lớn" in summary.rejected[0]
    assert seconds < 5 and peak < 50 * 1024 * 1024
    assert _dump(office) == before


def _split(ws, tmp_path, name="goi.zip"):
    manifest = bundles.export_bundle(ws, tmp_path / name, split_size=1024)
    return [Path(p) for p in manifest["parts"]]


def test_a_forged_part_that_arrives_first_is_replaced_by_the_next_copy(a, office, tmp_path):
    parts = _split(a, tmp_path)
    assert len(parts) >= 3
    with zipfile.ZipFile(parts[0]) as archive:
        meta = json.loads(archive.read(PART_META))
    forged_chunk = b"gia mao" * 100
    import hashlib

    meta["chunk_sha256"] = hashlib.sha256(forged_chunk).hexdigest()
    forged = tmp_path / "gia.phan-001.zip"
    forged.write_bytes(_part_zip(meta, lambda m: m.write(forged_chunk)))
    before = _dump(office)
    summary = office.import_bundles([forged, *parts[1:]])
    assert len(summary.rejected) == 1 and "ghép lại không khớp" in summary.rejected[0]
    assert _dump(office) == before
    summary = office.import_bundles([parts[0]])  # the genuine copy arrives later
    assert len(summary.new) == 1, summary.lines()
    assert not [p for p in (office.data_dir / "parts").rglob("*") if p.is_file()]  # no leftovers


def test_a_forged_part_claiming_another_whole_bundle_never_poisons_the_genuine_one(a, office, tmp_path):
    parts = _split(a, tmp_path)
    with zipfile.ZipFile(parts[0]) as archive:
        meta = json.loads(archive.read(PART_META))
    chunk = b"x" * 50
    import hashlib

    meta.update(chunk_sha256=hashlib.sha256(chunk).hexdigest(), bundle_sha256="f" * 64, count=1)
    forged = tmp_path / "gia.zip"
    forged.write_bytes(_part_zip(meta, lambda m: m.write(chunk)))
    summary = office.import_bundles([forged, *parts])
    assert len(summary.new) == 1 and len(summary.rejected) == 1, summary.lines()
    assert not [p for p in (office.data_dir / "parts").rglob("*") if p.is_file()]


def test_a_json_report_file_with_a_bad_uid_is_refused(a):
    from desktop_app.errors import UserError

    doc = a.report(a.reports()[0].id)[0].to_json()
    for bad in (["x"], "../../x", "A" * 40):
        with pytest.raises(UserError):
            a.import_document({**doc, "uid": bad})


def test_a_json_report_of_a_deleted_report_says_so_instead_of_failing(a):
    from desktop_app.errors import UserError

    rid = a.reports()[0].id
    doc = a.report(rid)[0].to_json()
    a.delete_report(rid)
    with pytest.raises(UserError, match="đã bị xóa"):
        a.import_document(doc)


def test_kept_parts_that_cannot_be_removed_after_the_commit_lose_nothing(a, office, tmp_path, monkeypatch):
    """The parts of a bundle taken in are removed after the commit: a part that another program
    holds open stays where it is, and the import still says what it took in (no traceback)."""
    from desktop_app.exchange import bundle_parts

    parts = _split(a, tmp_path)

    def locked(self, key):
        raise PermissionError(13, "used by another program")

    monkeypatch.setattr(bundle_parts.PartStore, "forget", locked)
    summary = office.import_bundles(parts)
    assert len(summary.new) >= 1 and not summary.rejected, summary.lines()
    monkeypatch.undo()
    again = office.import_bundles(parts)  # the leftover parts: their bundle is known
    assert not again.new and not again.rejected, again.lines()
