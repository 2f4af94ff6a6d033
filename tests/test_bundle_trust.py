"""Authenticity, written as an adversary would: forged senders, uid takeover, bundle-id
pre-emption, a changed key, templates carried by a commune, unsigned bundles.

Every attack is made by someone who owns a real key (any commune can sign), and each test
checks that the receiving office's database dump is unchanged where it must be."""

from __future__ import annotations

import copy
import json
import sqlite3
import zipfile

import pytest

from desktop_app.exchange import bundles
from desktop_app.cli import main
from desktop_app.services import Workspace
from desktop_app.exchange.signing import SigningKey, new_seed
from tests.conftest import EXAMPLES
from tests.test_bundles import _members, _resign, _write

EXAMPLE = json.loads((EXAMPLES / "cao-diem-dvctt.json").read_text(encoding="utf-8"))
VOLATILE = ("settings", "held_bundles", "imported_bundles", "sender_keys")


def _dump(ws, skip=("settings",)) -> list[str]:
    con = sqlite3.connect(ws.store.path)
    try:
        return [line for line in con.iterdump() if not any(f'"{t}"' in line or f" {t} " in line for t in skip)]
    finally:
        con.close()


def _commune(tmp_path, name: str, code: str) -> Workspace:
    ws = Workspace(tmp_path / name, who=name)
    ws.set_unit(code, scheme="truoc-2025")
    doc = copy.deepcopy(EXAMPLE)
    doc["unit"] = ws.profile().to_json()
    ws.import_document(doc)
    return ws


@pytest.fixture
def a(tmp_path):
    ws = _commune(tmp_path, "xa-a", "21073")  # Xã Bình Phước
    yield ws
    ws.close()


@pytest.fixture
def b(tmp_path):
    ws = _commune(tmp_path, "xa-b", "21064")  # Xã Bình An, same district
    yield ws
    ws.close()


@pytest.fixture
def office(tmp_path):
    ws = Workspace(tmp_path / "tinh", who="tỉnh")
    ws.set_unit("51", scheme="truoc-2025")  # Tỉnh Quảng Ngãi
    yield ws
    ws.close()


def _enrol(receiver, sender, tmp_path) -> None:
    """``receiver`` registers ``sender``'s key from its enrolment file (as for the office above, or a
    second computer of the receiver's own unit: neither is ever trusted on first contact)."""
    enrolment = tmp_path / f"dang-ky-{sender.data_dir.name}.json"
    sender.export_enrolment(enrolment)
    receiver.register_sender(enrolment, alongside=True)


def _export(ws, path, **kwargs):
    bundles.export_bundle(ws, path, **kwargs)
    return path


def _craft(good, target, key, edit=None, **manifest_changes):
    """Rewrite the first report of a bundle (``edit(doc)``), fix every hash, sign with ``key``."""
    members = _members(good)
    manifest = json.loads(members["manifest.json"])
    entry = manifest["reports"][0]
    doc = json.loads(members[entry["member"]])
    if edit:
        edit(doc)
    try:
        doc["content_hash"] = bundles.content_hash(doc)
    except UnicodeEncodeError:  # a lone surrogate: the attacker writes any hash
        doc["content_hash"] = "0" * 64
    del members[entry["member"]]
    entry.update(uid=doc["uid"], revision=doc["revision"], content_hash=doc["content_hash"],
                 member=f"reports/{doc['uid']}.json")
    members[entry["member"]] = json.dumps(doc).encode()
    manifest.update(manifest_changes)
    members["manifest.json"] = json.dumps(manifest).encode()
    _write(target, _resign(members, key, **manifest_changes))
    return target


def test_every_bundle_is_signed_and_a_first_sender_is_registered_with_its_fingerprint(a, office, tmp_path):
    path = _export(a, tmp_path / "a.zip")
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert "manifest.sig" in archive.namelist()
    assert manifest["format_version"] == 2 and manifest["signer"]["fingerprint"] == a.signing_key().fingerprint
    assert "signing" not in json.dumps(manifest) and a.setting("signing_seed") not in path.read_bytes().decode("latin-1")
    summary = office.import_bundles([path])
    assert len(summary.new) == 1 and not summary.rejected
    assert any(a.signing_key().fingerprint in line for line in summary.new_senders)
    assert any("đơn vị gửi mới" in line and a.signing_key().fingerprint in line for line in summary.lines())
    [key] = office.senders()
    assert (key.unit_code, key.fingerprint, key.status, key.how) == ("21073", a.signing_key().fingerprint,
                                                                     "trusted", "first-bundle")


@pytest.mark.sqlite_only
def test_the_key_is_made_at_first_start_kept_across_starts_and_in_backups(tmp_path):
    first = Workspace(tmp_path / "may")
    fingerprint = first.signing_key().fingerprint
    backup = first.backup()
    first.close()
    again = Workspace(tmp_path / "may")
    assert again.signing_key().fingerprint == fingerprint
    again.close()
    con = sqlite3.connect(backup)
    try:
        assert con.execute("SELECT value FROM settings WHERE key='signing_seed'").fetchone()
    finally:
        con.close()


def test_a_tampered_signature_or_manifest_is_refused(a, office, tmp_path):
    good = _export(a, tmp_path / "a.zip")
    members = _members(good)
    manifest = json.loads(members["manifest.json"])
    manifest["source_name"] = "Xã Giả"
    members["manifest.json"] = json.dumps(manifest).encode()  # signature no longer matches
    _write(tmp_path / "sua.zip", members)
    other = SigningKey(new_seed())
    members = _members(good)
    manifest = json.loads(members["manifest.json"])
    manifest["signer"]["public_key"] = other.public_key  # someone else's key, old fingerprint and signature
    members["manifest.json"] = json.dumps(manifest).encode()
    _write(tmp_path / "khoa.zip", members)
    before = _dump(office)
    summary = office.import_bundles([tmp_path / "sua.zip", tmp_path / "khoa.zip"])
    assert len(summary.rejected) == 2 and all("chữ ký" in r for r in summary.rejected), summary.rejected
    assert _dump(office) == before and office.senders() == []


def test_forged_sender_a_report_in_another_communes_name_is_refused(a, b, office, tmp_path):
    office.import_bundles([_export(b, tmp_path / "b.zip")])
    genuine = office.store.list_reports(with_values=True)
    good = _export(a, tmp_path / "a.zip")

    def in_b_name(doc):
        doc["unit"] = b.profile().to_json()
        doc["status"], doc["revision"] = "final", 10**12
        doc["values"]["rut_ho_so"] = 999

    forged = _craft(good, tmp_path / "gia.zip", a.signing_key(), in_b_name)
    before = _dump(office)
    summary = office.import_bundles([forged])
    assert len(summary.rejected) == 1 and "chính mình" in summary.rejected[0]
    assert _dump(office) == before
    # the same, with the manifest claiming to come from B: B's registered key did not sign it
    forged = _craft(good, tmp_path / "gia2.zip", a.signing_key(), in_b_name, source_unit="21064",
                    source_name="Xã Bình An")
    before = _dump(office, VOLATILE)
    summary = office.import_bundles([forged])
    assert not summary.new and not summary.updated and len(summary.held) == 1
    assert "khóa khác: máy mới hay giả mạo?" in "\n".join(summary.lines())
    assert _dump(office, VOLATILE) == before
    assert [r.values for r in office.store.list_reports(with_values=True)] == [r.values for r in genuine]


def test_uid_takeover_a_known_uid_is_only_updated_by_its_own_unit(a, b, office, tmp_path):
    office.import_bundles([_export(b, tmp_path / "b.zip")])
    [victim] = office.store.list_reports(with_values=True)

    def take_over(doc):
        doc["uid"], doc["revision"], doc["base_revision"] = victim.uid, victim.revision + 1, victim.revision
        doc["values"]["rut_ho_so"] = 12345

    attack = _craft(_export(a, tmp_path / "a.zip"), tmp_path / "chiem.zip", a.signing_key(), take_over)
    before = _dump(office)
    summary = office.import_bundles([attack])
    assert len(summary.rejected) == 1 and "21064" in summary.rejected[0]
    assert _dump(office) == before
    after = office.store.find_report(uid=victim.uid)
    assert after.unit == victim.unit and after.values == victim.values and after.unit_code == "21064"


def test_an_update_never_changes_the_stored_reports_unit(b, office, tmp_path):
    office.import_bundles([_export(b, tmp_path / "1.zip")])
    [stored] = office.store.list_reports()
    rid = b.reports()[0].id
    b.store.update_report(rid, unit=b.profile().with_changes(name="Ủy ban Tỉnh (giả)", villages=["Thôn Mới"]))
    b.set_values(rid, {"rut_ho_so": 17})
    summary = office.import_bundles([_export(b, tmp_path / "2.zip")])
    assert len(summary.updated) == 1 and "giả" not in summary.updated[0]
    after = office.store.find_report(uid=stored.uid)
    assert after.unit.name == stored.unit.name == "Xã Bình An" and after.unit.villages == ("Thôn Mới",)


def test_bundle_id_pre_emption_does_not_block_the_genuine_bundle(a, b, office, tmp_path):
    genuine = _export(b, tmp_path / "b.zip")
    with zipfile.ZipFile(genuine) as archive:
        stolen_id = json.loads(archive.read("manifest.json"))["bundle_id"]
    squatter = _craft(_export(a, tmp_path / "a.zip"), tmp_path / "chiem-ma.zip", a.signing_key(),
                      bundle_id=stolen_id)
    assert len(office.import_bundles([squatter]).new) == 1
    summary = office.import_bundles([genuine])
    assert len(summary.new) == 1 and not summary.already_imported, summary.lines()
    assert any("mã gói trùng" in n for n in summary.notes)
    assert {r.unit_code for r in office.store.list_reports()} == {"21073", "21064"}


def test_a_known_bundle_id_with_other_content_from_the_same_unit_is_flagged(a, office, tmp_path):
    first = _export(a, tmp_path / "1.zip")
    office.import_bundles([first])
    with zipfile.ZipFile(first) as archive:
        same_id = json.loads(archive.read("manifest.json"))["bundle_id"]

    def changed(doc):
        doc["revision"] += 5
        doc["values"]["rut_ho_so"] = 77

    again = _craft(first, tmp_path / "doi-noi-dung.zip", a.signing_key(), changed, bundle_id=same_id)
    before = _dump(office)
    summary = office.import_bundles([again])
    assert not summary.already_imported and len(summary.rejected) == 1
    assert "nội dung khác" in summary.rejected[0]
    assert _dump(office) == before
    assert office.import_bundles([first]).already_imported == ["1.zip"]  # the very same file: unchanged


def test_key_change_is_held_until_a_decision_then_accept_or_reject(a, office, tmp_path, capsys):
    office.import_bundles([_export(a, tmp_path / "1.zip")])
    old = a.signing_key().fingerprint
    new_machine = _commune(tmp_path, "xa-a-may-moi", "21073")
    try:
        [rid] = [r.id for r in new_machine.reports()]
        new_machine.set_values(rid, {"rut_ho_so": 4})
        held_file = _export(new_machine, tmp_path / "2.zip")
        new_fp = new_machine.signing_key().fingerprint
    finally:
        new_machine.close()
    before = _dump(office, VOLATILE)
    summary = office.import_bundles([held_file])
    text = "\n".join(summary.lines())
    assert len(summary.held) == 1 and not summary.new and not summary.rejected
    assert "khóa khác: máy mới hay giả mạo?" in text and old in text and new_fp in text
    assert _dump(office, VOLATILE) == before  # nothing applied
    [held] = office.held_bundles()
    assert (office.data_dir / "held" / held.kept_as).exists()
    assert office.import_bundles([held_file]).held  # still held, once
    assert len(office.held_bundles()) == 1
    data = ["--data-dir", str(office.data_dir)]
    assert main(data + ["senders", "list"]) == 0
    out = capsys.readouterr().out
    assert old in out and new_fp in out and "giữ lại" in out
    assert main(data + ["senders", "accept", str(held.id)]) == 0
    assert "Mới: 1" in capsys.readouterr().out  # a new report: the new machine made its own
    states = {k.fingerprint: k.status for k in office.senders()}
    assert states == {old: "retired", new_fp: "trusted"} and office.held_bundles() == []
    # the old machine now counts as "another key" in turn; rejecting it refuses it for good
    a.set_values(a.reports()[0].id, {"rut_ho_so": 9})
    summary = office.import_bundles([_export(a, tmp_path / "3.zip")])
    assert len(summary.held) == 1
    [held] = office.held_bundles()
    before = _dump(office, VOLATILE)
    assert main(data + ["senders", "reject", str(held.id)]) == 0
    a.set_values(a.reports()[0].id, {"rut_ho_so": 10})
    summary = office.import_bundles([_export(a, tmp_path / "4.zip")])
    assert len(summary.rejected) == 1 and "từ chối" in summary.rejected[0] and not summary.held
    assert _dump(office, VOLATILE) == before


def test_enrolment_registers_a_key_in_advance(a, office, tmp_path, capsys):
    enrol = tmp_path / "dang-ky.json"
    assert main(["--data-dir", str(a.data_dir), "keys", "export-enrolment", str(enrol)]) == 0
    assert a.signing_key().fingerprint in capsys.readouterr().out
    assert main(["--data-dir", str(a.data_dir), "keys", "show"]) == 0
    assert a.signing_key().fingerprint in capsys.readouterr().out
    tampered = json.loads(enrol.read_text(encoding="utf-8"))
    tampered["unit_code"] = "21064"
    (tmp_path / "sua.json").write_text(json.dumps(tampered), encoding="utf-8")
    data = ["--data-dir", str(office.data_dir)]
    assert main(data + ["senders", "register", str(tmp_path / "sua.json")]) == 2
    assert "chữ ký" in capsys.readouterr().err
    assert main(data + ["senders", "register", str(enrol)]) == 0
    assert a.signing_key().fingerprint in capsys.readouterr().out
    summary = office.import_bundles([_export(a, tmp_path / "a.zip")])
    assert len(summary.new) == 1 and not summary.new_senders  # known already: no first contact
    stranger = _commune(tmp_path, "ke-gia", "21073")
    try:
        stranger.set_values(stranger.reports()[0].id, {"rut_ho_so": 1})
        assert office.import_bundles([_export(stranger, tmp_path / "gia.zip")]).held
    finally:
        stranger.close()


def test_templates_carried_by_a_commune_are_ignored_at_the_office(a, office, tmp_path):
    from tests.test_expressions_and_templates import MINIMAL

    new_type = tmp_path / "thu-nghiem.yaml"
    new_type.write_text(MINIMAL, encoding="utf-8")
    hijack = (office.templates.sources[("ntm-tieu-chi-8", "2023.1")].read_text(encoding="utf-8")
              .replace('version: "2023.1"', 'version: "2099.1"', 1))
    (tmp_path / "ntm-2099.yaml").write_text(hijack, encoding="utf-8")
    path = _export(a, tmp_path / "a.zip", report_ids=[a.reports()[0].id],
                   template_files=[new_type, tmp_path / "ntm-2099.yaml"])
    summary = office.import_bundles([path])
    assert len(summary.new) == 1 and not summary.templates
    assert sum("bỏ qua mẫu" in n for n in summary.notes) == 2
    assert not (office.data_dir / "templates").exists()
    assert ("ntm-tieu-chi-8", "2099.1") not in office.templates.sources
    assert office.template("ntm-tieu-chi-8").version != "2099.1"


def test_a_report_that_needs_a_template_only_a_commune_carried_is_refused(a, office, tmp_path):
    from tests.test_expressions_and_templates import MINIMAL

    new_type = tmp_path / "thu-nghiem.yaml"
    new_type.write_text(MINIMAL, encoding="utf-8")
    (a.data_dir / "templates").mkdir()
    (a.data_dir / "templates" / "thu-nghiem-1.0.yaml").write_text(MINIMAL, encoding="utf-8")
    a.templates.reload()
    a.new_report("thu-nghiem", "2024-Q1")
    path = _export(a, tmp_path / "a.zip", with_templates=True)
    before = _dump(office)
    summary = office.import_bundles([path])
    assert len(summary.rejected) == 1 and "thu-nghiem" in summary.rejected[0]
    assert _dump(office) == before


def test_same_id_and_version_with_other_content_is_refused_even_from_above(a, office, tmp_path):
    source = office.templates.sources[("cao-diem-dvctt", EXAMPLE["template_version"])].read_text(encoding="utf-8")
    altered = tmp_path / "cao-diem-sua.yaml"
    altered.write_text(source.replace("title:", "title: 'Tiêm câu' #", 1), encoding="utf-8")
    path = _export(office, tmp_path / "tinh.zip", template_files=[altered])
    _enrol(a, office, tmp_path)
    before = _dump(a)
    summary = a.import_bundles([path])
    assert len(summary.rejected) == 1 and "cùng mã và phiên bản" in summary.rejected[0]
    assert _dump(a) == before
    identical = tmp_path / "cao-diem.yaml"
    identical.write_text(source, encoding="utf-8")
    summary = a.import_bundles([_export(office, tmp_path / "tinh2.zip", template_files=[identical])])
    assert not summary.rejected and not summary.templates


def test_a_commune_takes_templates_only_from_the_office_above(a, b, office, tmp_path):
    from tests.test_expressions_and_templates import MINIMAL

    new_type = tmp_path / "thu-nghiem.yaml"
    new_type.write_text(MINIMAL, encoding="utf-8")
    from_neighbour = _export(b, tmp_path / "b.zip", template_files=[new_type])
    summary = a.import_bundles([from_neighbour])
    assert not summary.templates and any("cấp trên" in n for n in summary.notes)
    with pytest.raises(Exception):
        a.template("thu-nghiem")
    from_above = _export(office, tmp_path / "tinh.zip", template_files=[new_type])
    _enrol(a, office, tmp_path)
    summary = a.import_bundles([from_above])
    assert summary.templates and a.template("thu-nghiem").version == "1.0"
    assert any(k.unit_code == "51" for k in a.senders())


def test_unsigned_bundles_are_refused_unless_allowed_then_marked(a, office, tmp_path, capsys):
    doc = a.report(a.reports()[0].id)[0].to_json()
    data, _ = bundles.pack_bundle([doc], source_unit="21073", source_name="Xã Bình Phước", origin=a.origin)
    old = tmp_path / "cu.zip"
    old.write_bytes(data)
    before = _dump(office)
    summary = office.import_bundles([old])
    assert len(summary.rejected) == 1 and "chưa ký" in summary.rejected[0]
    assert _dump(office) == before
    code = main(["--data-dir", str(office.data_dir), "bundle", "import", "--allow-unsigned", str(old)])
    out = capsys.readouterr().out
    assert code == 0 and "Mới: 1" in out and "(chưa ký)" in out
    [record] = office.store.list_reports()
    assert record.unsigned and record.signed_by is None
    assert "chưa ký" in next(s for s in office.reports() if s.id == record.id).status_label
    cons = office.consolidate("cao-diem-dvctt", record.period)
    assert any("chưa ký" in text for _code, _name, text, _at in cons.status_rows())
    # a signed version replaces it and the mark goes
    a.set_values(a.reports()[0].id, {"rut_ho_so": 2})
    assert len(office.import_bundles([_export(a, tmp_path / "ky.zip")]).updated) == 1
    assert not office.store.list_reports()[0].unsigned


def test_the_setting_lets_unsigned_bundles_in(a, office, tmp_path, capsys):
    doc = a.report(a.reports()[0].id)[0].to_json()
    data, _ = bundles.pack_bundle([doc], source_unit="21073", source_name="Xã Bình Phước", origin=a.origin)
    (tmp_path / "cu.zip").write_bytes(data)
    assert main(["--data-dir", str(office.data_dir), "senders", "allow-unsigned", "yes"]) == 0
    capsys.readouterr()
    again = Workspace(office.data_dir)
    try:
        summary = again.import_bundles([tmp_path / "cu.zip"])
        assert len(summary.new) == 1 and summary.unsigned
    finally:
        again.close()


@pytest.mark.sqlite_only
def test_bundles_imported_before_the_upgrade_are_still_known(a, tmp_path):
    """Schema 0002 knew bundles by id only: after the upgrade the same old file is still "already imported"."""
    import shutil

    from db.store import DB_FILENAME
    from tests.conftest import ROOT

    doc = a.report(a.reports()[0].id)[0].to_json()
    doc["unit"] = {**doc["unit"], "code": "21064"}
    data, manifest = bundles.pack_bundle([doc], source_unit="21064", source_name="Xã Bình An", origin="cu")
    (tmp_path / "cu.zip").write_bytes(data)
    folder = tmp_path / "nang-cap"
    folder.mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "db" / "schema-0002.sqlite3", folder / DB_FILENAME)
    con = sqlite3.connect(folder / DB_FILENAME)
    con.execute("INSERT INTO imported_bundles (bundle_id, imported_at, source_unit, summary) VALUES (?, ?, ?, ?)",
                (manifest["bundle_id"], "2026-11-30 08:00:00", "21064", '{"new": 1}'))
    con.commit()
    con.close()
    ws = Workspace(folder)
    try:
        assert ws.store.bundle_id_sources(manifest["bundle_id"]) == [("21064", None)]
        before = _dump(ws)
        summary = ws.import_bundles([tmp_path / "cu.zip"], allow_unsigned=True)
        assert summary.already_imported == ["cu.zip"] and not summary.new and not summary.rejected
        assert _dump(ws) == before
    finally:
        ws.close()


def test_a_second_computer_of_a_unit_can_be_trusted_beside_the_first(a, office, tmp_path, capsys):
    office.import_bundles([_export(a, tmp_path / "1.zip")])
    second = _commune(tmp_path, "xa-a-may-2", "21073")
    try:
        office.import_bundles([_export(second, tmp_path / "2.zip")])
        [held] = office.held_bundles()
        assert main(["--data-dir", str(office.data_dir), "senders", "accept", str(held.id), "--keep-old"]) == 0
        assert {k.status for k in office.senders()} == {"trusted"} and len(office.senders()) == 2
        second.set_values(second.reports()[0].id, {"rut_ho_so": 40})
        a.set_values(a.reports()[0].id, {"rut_ho_so": 41})
        summary = office.import_bundles([_export(second, tmp_path / "3.zip"), _export(a, tmp_path / "4.zip")])
        assert not summary.held and len(summary.updated) == 2, summary.lines()
    finally:
        second.close()


@pytest.mark.sqlite_only
def test_the_schema_0003_fixture_keeps_its_registry_through_upgrades(tmp_path):
    """The fixture of schema 0003 holds a registered key and a bundle known by digest: later
    migrations must keep both (a lost registry would make every commune a "new sender")."""
    import shutil

    from db.store import DB_FILENAME, Store
    from tests.conftest import ROOT

    folder = tmp_path / "cu"
    folder.mkdir()
    shutil.copy(ROOT / "tests" / "fixtures" / "db" / "schema-0003.sqlite3", folder / DB_FILENAME)
    store = Store(folder)
    try:
        [key] = store.sender_keys()
        assert (key.unit_code, key.fingerprint, key.status) == ("21064", "ABCD-EFGH-IJKL-MNOP", "trusted")
        assert store.bundle_imported("ab" * 32)
        assert store.bundle_id_sources("0123456789abcdef0123456789abcdef") == [("21064", "ab" * 32)]
    finally:
        store.close()
