"""Sync bundles: round trip, idempotent re-import, conflicts, and hostile files that change nothing."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from desktop_app.exchange import bundles
from desktop_app.services import Workspace
from tests.conftest import EXAMPLES


@pytest.fixture
def commune(tmp_path):
    ws = Workspace(tmp_path / "xa", who="xã")
    ws.set_unit("21073", scheme="truoc-2025")
    ws.import_document(json.loads((EXAMPLES / "cao-diem-dvctt.json").read_text(encoding="utf-8")))
    yield ws
    ws.close()


@pytest.fixture
def province(tmp_path):
    ws = Workspace(tmp_path / "tinh", who="tỉnh")
    yield ws
    ws.close()


def _enrol(receiver, sender, tmp_path) -> None:
    from tests.test_bundle_trust import _enrol as enrol

    enrol(receiver, sender, tmp_path)


def _dump(ws) -> list[str]:
    con = sqlite3.connect(ws.store.path)
    try:
        return [line for line in con.iterdump() if "settings" not in line]
    finally:
        con.close()


def test_export_import_gives_identical_reports_and_reimport_is_a_no_op(commune, province, tmp_path):
    path = tmp_path / "goi.zip"
    bundles.export_bundle(commune, path)
    summary = bundles.import_bundles(province, [path])
    assert len(summary.new) == 1 and not summary.rejected
    mine = commune.store.list_reports(with_values=True)[0]
    theirs = province.store.find_report(uid=mine.uid)
    assert theirs.values == mine.values and theirs.document == mine.document and theirs.period == mine.period
    before = _dump(province)
    again = bundles.import_bundles(province, [path])
    assert again.already_imported == ["goi.zip"] and not again.new and _dump(province) == before


def _rezipped(source: Path, target: Path) -> Path:
    """The same members in another order and compression: what an archiver or mail gateway may do."""
    with zipfile.ZipFile(source) as archive:
        members = [(name, archive.read(name)) for name in archive.namelist()]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for name, data in reversed(members):
            archive.writestr(name, data)
    assert target.read_bytes() != source.read_bytes()
    return target


@pytest.mark.parametrize("rezipped_first", [False, True], ids=["original-first", "rezipped-first"])
def test_a_genuine_bundle_rezipped_is_the_same_bundle_not_a_forgery(commune, province, tmp_path, rezipped_first):
    """It was refused as «đã được nhận trước đây với nội dung khác … bị sửa hoặc giả»: a bundle
    was known by its file's bytes, which re-zipping changes, not by its signed content."""
    original = tmp_path / "goi.zip"
    bundles.export_bundle(commune, original)
    copy = _rezipped(original, tmp_path / "goi-nen-lai.zip")
    first, second = (copy, original) if rezipped_first else (original, copy)
    assert len(bundles.import_bundles(province, [first]).new) == 1
    before = _dump(province)
    again = bundles.import_bundles(province, [second])
    assert again.already_imported == [second.name] and not again.rejected and not again.new
    assert _dump(province) == before


@pytest.mark.sqlite_only
def test_a_bundle_recorded_by_its_file_digest_is_still_known(commune, province, tmp_path):
    """Databases written before bundles were known by their manifest hold the file's digest."""
    from desktop_app.exchange.bundle_reader import open_bundle

    path = tmp_path / "goi.zip"
    bundles.export_bundle(commune, path)
    bundles.import_bundles(province, [path])
    opened = open_bundle(path)
    con = sqlite3.connect(province.store.path)
    with con:
        con.execute("UPDATE imported_bundles SET digest = ? WHERE digest = ?", (opened.file_digest, opened.digest))
    con.close()
    before = _dump(province)
    again = bundles.import_bundles(province, [path])
    assert again.already_imported == ["goi.zip"] and not again.rejected and _dump(province) == before


def test_newer_revision_replaces_and_conflicts_keep_both(commune, province, tmp_path):
    rid = commune.store.list_reports()[0].id
    bundles.export_bundle(commune, tmp_path / "1.zip")
    bundles.import_bundles(province, [tmp_path / "1.zip"])
    uid = commune.store.get_report(rid).uid
    commune.set_values(rid, {"rut_ho_so": 4})
    bundles.export_bundle(commune, tmp_path / "2.zip")
    assert len(bundles.import_bundles(province, [tmp_path / "2.zip"]).updated) == 1
    local = province.store.find_report(uid=uid)
    assert local.values["rut_ho_so"] == 4
    # an older bundle arriving late changes nothing
    assert len(bundles.import_bundles(province, [tmp_path / "1.zip"]).already_imported) == 1
    # edited on both sides: a conflict, both versions kept
    province.set_values(local.id, {"rut_ho_so": 6})
    commune.set_values(rid, {"rut_ho_so": 5})
    bundles.export_bundle(commune, tmp_path / "3.zip")
    summary = bundles.import_bundles(province, [tmp_path / "3.zip"])
    assert len(summary.conflicts) == 1
    [conflict] = province.conflicts()
    assert conflict.incoming.report.values["rut_ho_so"] == 5 and province.report(local.id)[0].values["rut_ho_so"] == 6
    province.resolve_conflict(conflict.id, "incoming")
    assert province.report(local.id)[0].values["rut_ho_so"] == 5 and province.conflicts() == []
    # and the other way: keep local
    province.set_values(local.id, {"rut_ho_so": 7})
    commune.set_values(rid, {"rut_ho_so": 8})
    bundles.export_bundle(commune, tmp_path / "4.zip")
    bundles.import_bundles(province, [tmp_path / "4.zip"])
    [conflict] = province.conflicts()
    province.resolve_conflict(conflict.id, "local")
    assert province.report(local.id)[0].values["rut_ho_so"] == 7


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path, members: dict[str, bytes], extra: list[zipfile.ZipInfo] | None = None, extra_data=b"") -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for info in extra or []:
            archive.writestr(info, extra_data)


def _resign(members: dict[str, bytes], key=None, **changes) -> dict[str, bytes]:
    """Hashes fixed up and, with ``key``, the manifest signed again: what a sender that owns a
    real key (any commune) can do to a bundle."""
    manifest = json.loads(members["manifest.json"])
    manifest.update(changes)
    manifest["members"] = {n: hashlib.sha256(d).hexdigest() for n, d in members.items()
                           if n not in ("manifest.json", "manifest.sig")}
    members["manifest.json"] = json.dumps(manifest).encode()
    if key is not None:
        manifest["signer"] = {"public_key": key.public_key, "fingerprint": key.fingerprint}
        members["manifest.json"] = json.dumps(manifest).encode()
        members["manifest.sig"] = key.sign(members["manifest.json"]).encode()
    return members


def _hostile(kind: str, good, target, key=None):
    members = _members(good)
    manifest = json.loads(members["manifest.json"])
    report_name = manifest["reports"][0]["member"]
    if kind == "non-zip":
        target.write_text("đây không phải gói", encoding="utf-8")
    elif kind == "truncated":
        target.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    elif kind == "bit-flipped":
        data = bytearray(good.read_bytes())
        data[len(data) // 3] ^= 0x40
        target.write_bytes(bytes(data))
    elif kind == "wrong-hash":
        doc = json.loads(members[report_name])
        doc["values"]["rut_ho_so"] = 99
        members[report_name] = json.dumps(doc).encode()
        _write(target, members)
    elif kind == "forged-manifest":
        doc = json.loads(members[report_name])
        doc["values"]["rut_ho_so"] = 99
        members[report_name] = json.dumps(doc).encode()
        _write(target, _resign(members, key))  # hashes fixed up, but the content hash no longer matches
    elif kind in ("traversal", "absolute"):
        members["../../evil.txt" if kind == "traversal" else "/tmp/evil.txt"] = b"x"
        _write(target, _resign(members, key))
    elif kind == "symlink":
        info = zipfile.ZipInfo("reports/link")
        info.external_attr = (0o120777 << 16)
        _write(target, members, [info], b"/etc/passwd")
    elif kind == "oversized":
        members["reports/big.bin"] = b"\0" * (bundles.MAX_MEMBER_BYTES + 1)
        _write(target, _resign(members, key))
    elif kind == "zip-bomb":
        members["reports/bom.bin"] = b"\0" * (8 * 1024 * 1024)
        _write(target, _resign(members, key))
    elif kind == "unknown-version":
        manifest["format_version"] = 99
        members["manifest.json"] = json.dumps(manifest).encode()
        _write(target, members)
    elif kind == "unknown-template":
        doc = json.loads(members[report_name])
        doc["template"] = "mau-khong-co"
        doc["content_hash"] = bundles.content_hash(doc)
        members[report_name] = json.dumps(doc).encode()
        manifest["reports"][0]["content_hash"] = doc["content_hash"]
        manifest["reports"][0]["template"] = "mau-khong-co"
        members["manifest.json"] = json.dumps(manifest).encode()
        _write(target, _resign(members, key))


HOSTILE = ["non-zip", "truncated", "bit-flipped", "wrong-hash", "forged-manifest", "traversal", "absolute",
           "symlink", "oversized", "zip-bomb", "unknown-version", "unknown-template"]


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_files_are_rejected_and_change_nothing(commune, province, tmp_path, kind):
    good = tmp_path / "good.zip"
    bundles.export_bundle(commune, good)
    bad = tmp_path / f"{kind}.zip"
    _hostile(kind, good, bad, commune.signing_key())
    before = _dump(province)
    summary = bundles.import_bundles(province, [bad])
    assert len(summary.rejected) == 1 and not summary.new, summary.lines()
    assert summary.rejected[0] and "«" in summary.rejected[0]
    assert _dump(province) == before


def test_cli_bundle_and_conflicts(commune, tmp_path, capsys):
    from desktop_app.cli import main

    out = tmp_path / "goi.zip"
    assert main(["--data-dir", str(commune.data_dir), "bundle", "export", "--out", str(out)]) == 0
    assert main(["--data-dir", str(tmp_path / "tinh2"), "bundle", "verify", str(out)]) == 0
    assert main(["--data-dir", str(tmp_path / "tinh2"), "bundle", "import", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Mới: 1" in text
    (tmp_path / "rac.zip").write_text("rác", encoding="utf-8")
    assert main(["--data-dir", str(tmp_path / "tinh2"), "bundle", "verify", str(tmp_path / "rac.zip")]) == 1
    assert main(["--data-dir", str(tmp_path / "tinh2"), "conflicts", "list"]) == 0
    assert "Không có xung đột" in capsys.readouterr().out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_mutations_never_crash_nor_partially_import(commune, province, tmp_path, data):
    good = tmp_path / "good.zip"
    if not good.exists():
        bundles.export_bundle(commune, good)
    raw = bytearray(good.read_bytes())
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    bad = tmp_path / "mutant.zip"
    bad.write_bytes(bytes(raw))
    before = province.store.list_reports(with_values=True)
    summary = bundles.import_bundles(province, [bad])
    after = province.store.list_reports(with_values=True)
    if summary.rejected:
        assert [r.values for r in after] == [r.values for r in before]
    else:  # a mutation that happened to leave a valid bundle imports whole
        for record in after:
            assert record.values == commune.store.list_reports(with_values=True)[0].values


def test_split_parts_shuffled_duplicated_and_across_days(commune, tmp_path):
    from desktop_app.exchange.bundle_parts import parse_size

    import random

    manifest = bundles.export_bundle(commune, tmp_path / "goi.zip", split_size=parse_size("1KB"))
    parts = [Path(p) for p in manifest["parts"]]
    assert len(parts) >= 3 and all(p.exists() for p in parts)
    order = parts + parts[:2]                       # some parts twice
    random.Random(5).shuffle(order)
    held_back = order.pop(order.index(parts[1]))    # part 2 arrives another day
    while parts[1] in order:
        order.remove(parts[1])
    receiver_dir = tmp_path / "tinh"
    first = Workspace(receiver_dir)
    summary = bundles.import_bundles(first, order)
    assert not summary.new and summary.waiting and "còn thiếu phần 2" in summary.waiting[0]
    assert summary.waiting[0].startswith("«goi, Xã Bình Phước»")  # whose parts, in the person's words
    first.close()
    later = Workspace(receiver_dir)                  # the kept parts survive a restart
    summary = bundles.import_bundles(later, [held_back])
    assert len(summary.new) == 1, summary.lines()
    uid = commune.store.list_reports()[0].uid
    assert later.store.find_report(uid=uid).values == commune.store.list_reports(with_values=True)[0].values
    assert not list((receiver_dir / "parts").glob("*/*.bin"))  # cleaned up once imported
    again = bundles.import_bundles(later, parts)
    assert not again.new and len(again.already_imported) == len(parts)
    later.close()


def test_a_damaged_part_is_rejected(commune, tmp_path, province):
    manifest = bundles.export_bundle(commune, tmp_path / "goi.zip", split_size=1024)
    part = Path(manifest["parts"][0])
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0xFF
    part.write_bytes(bytes(data))
    summary = bundles.import_bundles(province, [part])
    assert summary.rejected and not summary.new


def test_parse_size():
    from desktop_app.exchange.bundle_parts import parse_size
    from desktop_app.errors import UserError

    assert parse_size("200KB") == 200 * 1024 and parse_size("1MB") == 1024**2 and parse_size("1,5MB") == 1572864
    for bad in ("abc", "10", "-1MB"):
        with pytest.raises(UserError):
            parse_size(bad)


def test_the_province_sends_a_new_report_type(tmp_path, commune, capsys):
    from desktop_app.cli import main
    from tests.test_expressions_and_templates import MINIMAL

    template = tmp_path / "thu-nghiem.yaml"
    template.write_text(MINIMAL, encoding="utf-8")
    province_dir, out = tmp_path / "tinh-gui", tmp_path / "mau-moi.zip"
    assert main(["--data-dir", str(province_dir), "unit", "set", "--code", "51", "--legacy"]) == 0
    assert main(["--data-dir", str(province_dir), "bundle", "export", "--out", str(out), "--template", str(template)]) == 0
    enrolment = tmp_path / "dang-ky-tinh.json"
    assert main(["--data-dir", str(province_dir), "keys", "export-enrolment", str(enrolment)]) == 0
    assert main(["--data-dir", str(commune.data_dir), "senders", "register", str(enrolment)]) == 0
    assert main(["--data-dir", str(commune.data_dir), "bundle", "import", str(out)]) == 0
    assert "mẫu báo cáo mới" in capsys.readouterr().out
    again = Workspace(commune.data_dir)
    try:
        assert again.template("thu-nghiem").version == "1.0"
        assert again.new_report("thu-nghiem", "2024-Q1")  # usable at once
    finally:
        again.close()


def test_a_bundle_with_a_broken_template_changes_nothing(commune, province, tmp_path):
    good = tmp_path / "goi.zip"
    bundles.export_bundle(commune, good, with_templates=True)
    members = _members(good)
    name = next(n for n in members if n.startswith("templates/"))
    members[name] = members[name].replace(b"kind: integer", b"kind: so_nguyen")
    bad = tmp_path / "mau-hong.zip"
    _write(bad, _resign(members, commune.signing_key()))
    before = _dump(province)
    summary = bundles.import_bundles(province, [bad])
    assert summary.rejected and "mẫu" in summary.rejected[0]
    assert _dump(province) == before and not (province.data_dir / "templates").exists()


def test_two_computers_of_one_commune_take_turns_without_false_conflicts(commune, tmp_path):
    """A sends to B; B edits and sends back; A (unchanged) takes it; A edits and sends; B takes it.
    Only when both edit between two exchanges is it a conflict."""
    report_id = commune.reports()[0].id
    other = Workspace(tmp_path / "may2", who="máy 2")
    try:
        other.set_unit("21073", scheme="truoc-2025")
        _enrol(other, commune, tmp_path)  # a second computer of one's own unit is registered, never guessed
        _enrol(commune, other, tmp_path)

        def send(source, target, name):
            bundles.export_bundle(source, tmp_path / name)
            return bundles.import_bundles(target, [tmp_path / name])

        assert len(send(commune, other, "1.zip").new) == 1
        theirs = other.reports()[0].id
        other.set_values(theirs, {"rut_ho_so": 7})
        assert len(send(other, commune, "2.zip").updated) == 1           # A had not changed: B's edit wins
        assert commune.report(report_id)[0].values["rut_ho_so"] == 7
        commune.set_values(report_id, {"rut_ho_so": 8})
        assert len(send(commune, other, "3.zip").updated) == 1           # B had not changed since: A's edit wins
        assert other.report(theirs)[0].values["rut_ho_so"] == 8
        commune.set_values(report_id, {"rut_ho_so": 9})                  # now both edit
        other.set_values(theirs, {"rut_ho_so": 10})
        summary = send(other, commune, "4.zip")
        assert len(summary.conflicts) == 1 and commune.report(report_id)[0].values["rut_ho_so"] == 9
        assert len(send(commune, other, "5.zip").conflicts) == 1         # and the same seen from B
    finally:
        other.close()


@pytest.mark.parametrize("local_rev, local_base, incoming_rev, incoming_base, expected", [
    (5, None, 7, 5, "update"),     # we made it (rev 5), they edited from 5
    (6, None, 7, 5, "conflict"),   # we edited too
    (7, 5, 7, 5, "conflict"),      # both grew from 5 to the same number, with different content
    (9, 9, 9, 9, "same"),          # they send back what they took from us
    (3, 3, 5, None, "update"),     # a sender without ancestry: the older rule
    (4, 3, 5, None, "conflict"),
    (3, 3, 2, None, "same"),
    (3, 1, 4, 3, "update"),        # edited here since we took 1, but their 4 grew from our 3: they saw it
    (6, 6, 8, 4, "update"),        # not edited since we took 6 in: their newer version replaces it
])
def test_decide_from_revisions(local_rev, local_base, incoming_rev, incoming_base, expected):
    assert bundles.decide(local_rev, local_base, False, incoming_rev, incoming_base) == expected


def test_the_version_kept_in_a_conflict_wins_when_sent_back(commune, tmp_path):
    """Keeping our version must not make the other side take our next bundles for echoes."""
    report_id = commune.reports()[0].id
    other = Workspace(tmp_path / "may2", who="máy 2")
    try:
        other.set_unit("21073", scheme="truoc-2025")
        _enrol(other, commune, tmp_path)
        _enrol(commune, other, tmp_path)
        bundles.export_bundle(commune, tmp_path / "1.zip")
        bundles.import_bundles(other, [tmp_path / "1.zip"])
        theirs = other.reports()[0].id
        other.set_values(theirs, {"rut_ho_so": 3})
        other.set_values(theirs, {"rut_ho_so": 4})
        commune.set_values(report_id, {"rut_ho_so": 2})
        bundles.export_bundle(other, tmp_path / "2.zip")
        assert len(bundles.import_bundles(commune, [tmp_path / "2.zip"]).conflicts) == 1
        [conflict] = commune.conflicts()
        commune.resolve_conflict(conflict.id, "local")
        bundles.export_bundle(commune, tmp_path / "3.zip")
        assert len(bundles.import_bundles(other, [tmp_path / "3.zip"]).updated) == 1
        assert other.report(theirs)[0].values["rut_ho_so"] == 2
        commune.set_values(report_id, {"rut_ho_so": 5})                 # and later edits still travel
        bundles.export_bundle(commune, tmp_path / "4.zip")
        assert len(bundles.import_bundles(other, [tmp_path / "4.zip"]).updated) == 1
        assert other.report(theirs)[0].values["rut_ho_so"] == 5
    finally:
        other.close()


def test_import_reports_progress_for_every_bundle(commune, province, tmp_path):
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"{i}.zip")
        bundles.export_bundle(commune, paths[-1])
        commune.set_values(commune.reports()[0].id, {"rut_ho_so": i + 10})
    seen: list[tuple[int, int]] = []
    bundles.import_bundles(province, paths, lambda done, total: seen.append((done, total)))
    assert seen == [(i, 6) for i in range(1, 7)]


def test_cli_says_clearly_what_is_wrong(commune, tmp_path, capsys):
    from desktop_app.exchange.bundle_parts import parse_size
    from desktop_app.cli import main

    commune.close()
    data = ["--data-dir", str(tmp_path / "xa")]
    manifest = bundles.export_bundle(Workspace(tmp_path / "xa"), tmp_path / "goi.zip", split_size=parse_size("1KB"))
    assert main(data + ["bundle", "verify", manifest["parts"][0]]) == 0
    assert "phần 1/" in capsys.readouterr().out
    folder = tmp_path / "usb"
    folder.mkdir()
    for args, expected in (
        (["bundle", "export", "--out", str(folder)], "là một thư mục"),
        (["bundle", "export", "--out", str(tmp_path / "khong-co" / "goi.zip")], "không có"),
        (["bundle", "export", "--out", str(tmp_path / "g.zip"), "--template", str(tmp_path / "mau.yaml")],
         "Không tìm thấy tệp mẫu"),
        (["aggregate", "--template", "ntm-tieu-chi-8", "--period", "2023-9M", "--xlsx",
          str(tmp_path / "khong-co" / "th.xlsx")], "không có"),
    ):
        code = main(data + args)
        out = capsys.readouterr()
        assert code == 2 and expected in out.err and "Traceback" not in out.err + out.out, (args, out)
    assert main(data + ["bundle", "verify", str(folder)]) == 1
    assert "là một thư mục" in capsys.readouterr().out


def test_a_folder_stands_for_the_bundles_inside_it(commune, province, tmp_path):
    folder = tmp_path / "usb"
    folder.mkdir()
    bundles.export_bundle(commune, folder / "goi.zip")
    summary = bundles.import_bundles(province, [folder])
    assert len(summary.new) == 1 and not summary.rejected
