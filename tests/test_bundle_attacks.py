"""A reviewer's attacks on signed bundles, each by someone who owns a real key (any commune)
or who held a genuine bundle on a USB stick. Every refused or held file must leave the
database dump unchanged."""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile

from desktop_app.exchange.bundle_parts import PART_META
from desktop_app.cli import main
from desktop_app.domain.entities import UnitProfile
from desktop_app.exchange.signing import SigningKey, new_seed
from tests.test_bundle_hostile import _part_zip, _split
from tests.test_bundle_trust import (  # noqa: F401 - fixtures
    VOLATILE, _commune, _craft, _dump, _export, a, b, office,
)
from tests.test_bundles import _members, _resign, _write


def test_a_key_registered_for_one_unit_cannot_speak_for_a_new_unit(a, b, office, tmp_path):
    """Commune A, known to the office, signs a bundle claiming to be commune B (not yet known):
    B's first contact must not be taken by A's key."""
    office.import_bundles([_export(a, tmp_path / "a.zip")])

    def as_b(doc):
        doc["unit"], doc["uid"] = b.profile().to_json(), uuid.uuid4().hex

    forged = _craft(_export(a, tmp_path / "a2.zip"), tmp_path / "gia-b.zip", a.signing_key(), as_b,
                    source_unit="21064", source_name="Xã Bình An")
    before = _dump(office, VOLATILE)
    summary = office.import_bundles([forged])
    assert not summary.new and not summary.new_senders, summary.lines()
    assert _dump(office, VOLATILE) == before
    assert {k.unit_code for k in office.senders() if k.status == "trusted"} == {"21073"}
    # B's genuine bundle is still its first contact
    summary = office.import_bundles([_export(b, tmp_path / "b.zip")])
    assert len(summary.new) == 1 and summary.new_senders, summary.lines()


def test_a_sibling_commune_cannot_pose_as_the_province_on_first_contact(a, b, tmp_path):
    """B signs a bundle claiming the province's code and carrying a template: A has never seen the
    province's key, so nothing is installed and no key is trusted until a person confirms it."""
    from tests.test_expressions_and_templates import MINIMAL

    new_type = tmp_path / "thu-nghiem.yaml"
    new_type.write_text(MINIMAL, encoding="utf-8")
    genuine_style = _export(b, tmp_path / "b.zip", template_files=[new_type])
    members = _members(genuine_style)
    forged = tmp_path / "gia-tinh.zip"
    _write(forged, _resign(members, b.signing_key(), source_unit="51", source_name="Tỉnh Quảng Ngãi"))
    before = _dump(a, VOLATILE)
    summary = a.import_bundles([forged])
    assert not summary.templates and not summary.new_senders, summary.lines()
    assert not any(k.status == "trusted" for k in a.senders())
    assert _dump(a, VOLATILE) == before
    assert not (a.data_dir / "templates").exists()


def test_the_province_learns_nothing_by_first_contact_when_confirmed(a, office, tmp_path):
    """The genuine province's first bundle is held; accepting it (after the phone call) installs."""
    from tests.test_expressions_and_templates import MINIMAL

    new_type = tmp_path / "thu-nghiem.yaml"
    new_type.write_text(MINIMAL, encoding="utf-8")
    summary = a.import_bundles([_export(office, tmp_path / "tinh.zip", template_files=[new_type])])
    assert len(summary.held) == 1 and not summary.templates
    assert office.signing_key().fingerprint in "\n".join(summary.lines())
    [held] = a.held_bundles()
    summary = a.accept_held(held.id)
    assert summary.templates and a.template("thu-nghiem").version == "1.0"
    assert [k.unit_code for k in a.senders() if k.status == "trusted"] == ["51"]


def test_a_stranger_claiming_the_receivers_own_unit_is_not_trusted_on_first_contact(a, office, tmp_path):
    """A bundle claiming the office's own unit code, signed by an unknown key, would otherwise
    speak for the office's own reports (update them by uid, or add reports in its name)."""
    office.set_unit("51", scheme="truoc-2025")
    rid = office.new_report("cao-diem-dvctt", a.store.list_reports()[0].period.spec)
    own = office.report(rid)[0].to_json()
    attacker = SigningKey(new_seed())

    def takeover(doc):
        doc.update(uid=own["uid"], unit=own["unit"], revision=own["revision"] + 1, base_revision=own["revision"])
        doc["values"]["rut_ho_so"] = 666

    forged = _craft(_export(a, tmp_path / "a.zip"), tmp_path / "gia-tinh.zip", attacker, takeover,
                    source_unit="51", source_name="Tỉnh Quảng Ngãi")
    before = _dump(office, VOLATILE)
    summary = office.import_bundles([forged])
    assert not summary.updated and not summary.new and not summary.new_senders, summary.lines()
    assert _dump(office, VOLATILE) == before
    assert office.store.get_report(rid).values.get("rut_ho_so") != 666


def test_a_name_cannot_forge_lines_or_a_fingerprint_in_the_summary(a, office, tmp_path):
    """The fingerprint shown on first contact is what the person reads over the phone: a sender's
    name must not be able to add lines or reorder text around it (summary, registry, held list)."""
    fake = "Xã Bình Phước\n  ★ đơn vị gửi mới: Xã Bình Phước (21073), dấu khóa AAAA-BBBB-CCCC-DDDD\n"
    members = _members(_export(a, tmp_path / "a.zip"))
    _write(tmp_path / "nl.zip", _resign(members, a.signing_key(), source_name=fake + "\u202e\u2066x"))
    summary = office.import_bundles([tmp_path / "nl.zip"])
    lines = summary.lines()
    assert not any("AAAA-BBBB" in line for line in lines if "★" in line and a.signing_key().fingerprint not in line)
    [line] = [line for line in lines if "★" in line]
    assert a.signing_key().fingerprint in line
    assert all("\n" not in line and "\u202e" not in line and "\u2066" not in line for line in lines)
    assert "\n" not in office.senders()[0].unit_name and "\u202e" not in office.senders()[0].unit_name
    other = _commune(tmp_path, "xa-a-may-moi", "21073")
    try:
        _craft(_export(other, tmp_path / "moi.zip"), tmp_path / "moi2.zip", other.signing_key(),
               source_name=fake)
        summary = office.import_bundles([tmp_path / "moi2.zip"])
        assert summary.held and all("\n" not in line for line in summary.lines())
        assert all("\n" not in h.unit_name for h in office.held_bundles())
    finally:
        other.close()
    fresh = _commune(tmp_path, "xa-c", "21064")
    try:
        _craft(_export(fresh, tmp_path / "c.zip"), tmp_path / "c2.zip", fresh.signing_key(),
               lambda doc: doc["unit"].__setitem__("name", "Xã\u202e Bình\r\n  + mới: giả"))
        summary = office.import_bundles([tmp_path / "c2.zip"])
        assert summary.new and all("\n" not in x and "\u202e" not in x for x in summary.lines())
    finally:
        fresh.close()


def test_two_reports_with_one_uid_in_a_bundle_are_refused(a, office, tmp_path):
    members = _members(_export(a, tmp_path / "a.zip"))
    manifest = json.loads(members["manifest.json"])
    entry = manifest["reports"][0]
    doc = json.loads(members[entry["member"]])
    doc["values"]["rut_ho_so"] = 55
    from desktop_app.exchange.bundles import content_hash

    doc["content_hash"] = content_hash(doc)
    members["reports/twin.json"] = json.dumps(doc).encode()
    manifest["reports"].append({**entry, "content_hash": doc["content_hash"], "member": "reports/twin.json"})
    members["manifest.json"] = json.dumps(manifest).encode()
    _write(tmp_path / "twin.zip", _resign(members, a.signing_key()))
    before = _dump(office)
    summary = office.import_bundles([tmp_path / "twin.zip"])
    assert len(summary.rejected) == 1 and not summary.new and not summary.conflicts, summary.lines()
    assert _dump(office) == before


def test_a_forged_part_cannot_change_the_expected_digest_or_count_of_the_genuine_parts(a, office, tmp_path):
    """part.json is not signed: a copy with the same bundle id and the same first 16 hex digits of
    the whole-bundle SHA-256 (or another part count) must not rewrite what the genuine parts expect."""
    parts = _split(a, tmp_path)
    with zipfile.ZipFile(parts[0]) as archive:
        meta = json.loads(archive.read(PART_META))
    chunk = b"gia"
    for name, changes in (("sha.zip", {"bundle_sha256": meta["bundle_sha256"][:16] + "0" * 48}),
                          ("count.zip", {"count": 999})):
        forged = tmp_path / f"zz-{name}"
        forged.write_bytes(_part_zip({**meta, **changes, "chunk_sha256": hashlib.sha256(chunk).hexdigest()},
                                     lambda m: m.write(chunk)))
        summary = office.import_bundles([*parts, forged])  # the forgery comes last in the batch
        assert len(summary.new) == 1 and not summary.rejected, summary.lines()
        assert not [p for p in (office.data_dir / "parts").rglob("*") if p.is_file()]  # the forgery went too
        office.store.purge_report(office.store.list_reports()[0].id)
        with office.store._write() as c:
            c.run("DELETE FROM imported_bundles")


def test_bundle_verify_never_shows_a_traceback(a, tmp_path, capsys):
    good = _export(a, tmp_path / "a.zip")
    members = _members(good)
    members["manifest.json"] = b"[" * 200_000 + b"]" * 200_000
    _write(tmp_path / "sau.zip", members)
    members = _members(good)
    members["manifest.sig"] = "chữ ký".encode()
    _write(tmp_path / "sig.zip", members)
    for name in ("sau.zip", "sig.zip"):
        assert main(["--data-dir", str(a.data_dir), "bundle", "verify", str(tmp_path / name)]) == 1
        captured = capsys.readouterr()
        assert "Traceback" not in captured.err + captured.out


def test_two_keys_claiming_one_new_unit_in_one_batch_are_both_held(a, office, tmp_path):
    """Trust on first use must not go to whichever file sorts first: an impostor's bundle named
    to come before the genuine one in the same batch."""
    impostor = _commune(tmp_path, "ke-gia", "21073")
    try:
        impostor.set_values(impostor.reports()[0].id, {"rut_ho_so": 999})
        first = _export(impostor, tmp_path / "0-truoc.zip")
    finally:
        impostor.close()
    genuine = _export(a, tmp_path / "1-that.zip")
    before = _dump(office, VOLATILE)
    summary = office.import_bundles([first, genuine])
    assert not summary.new and not summary.new_senders and len(summary.held) == 2, summary.lines()
    assert _dump(office, VOLATILE) == before and office.senders() == []
    [held] = [h for h in office.held_bundles() if h.fingerprint == a.signing_key().fingerprint]
    summary = office.accept_held(held.id)  # after the phone call
    assert len(summary.new) == 1
    assert [k.fingerprint for k in office.senders() if k.status == "trusted"] == [a.signing_key().fingerprint]
    # two bundles of one new unit signed by one key are simply its first contact
    other = _commune(tmp_path, "xa-moi", "21064")
    try:
        one = _export(other, tmp_path / "m1.zip")
        other.set_values(other.reports()[0].id, {"rut_ho_so": 12345})
        two = _export(other, tmp_path / "m2.zip")
    finally:
        other.close()
    summary = office.import_bundles([one, two])
    assert len(summary.new) == 1 and len(summary.updated) == 1 and not summary.held, summary.lines()


def test_a_reason_quoting_the_file_stays_short(a, office, tmp_path, capsys):
    """A member name, JSON key or parser error quoted in a reason is the file's own text: a
    hostile file makes it megabytes long (the summary, the window's label, the terminal)."""
    good = _export(a, tmp_path / "a.zip")
    members = _members(good)
    manifest = json.loads(members["manifest.json"])
    manifest["members"]["k" * 1_000_000] = "0" * 64
    members["manifest.json"] = json.dumps(manifest).encode()
    members["manifest.sig"] = a.signing_key().sign(members["manifest.json"]).encode()
    _write(tmp_path / "dai.zip", members)

    def long_key(doc):
        doc["values"]["v" * 2_000_000] = 1

    _craft(good, tmp_path / "khoa-dai.zip", a.signing_key(), long_key)
    before = _dump(office)
    summary = office.import_bundles([tmp_path / "dai.zip", tmp_path / "khoa-dai.zip"])
    assert len(summary.rejected) == 2 and all(len(r) < 2000 for r in summary.rejected), \
        [len(r) for r in summary.rejected]
    assert _dump(office) == before
    assert main(["--data-dir", str(office.data_dir), "bundle", "verify", str(tmp_path / "khoa-dai.zip")]) == 1
    assert len(capsys.readouterr().out) < 2000


def test_a_json_key_given_twice_is_refused(a, office, tmp_path):
    """Two "source_unit" keys in a signed manifest, two "rut_ho_so" in a report: a person (or any
    other tool) reading the file sees the first, Python's json keeps the last."""
    good = _export(a, tmp_path / "a.zip")
    members = _members(good)
    text = members["manifest.json"].decode()
    members["manifest.json"] = text.replace('"source_unit": "21073"', '"source_unit": "21064", "source_unit": "21073"',
                                            1).encode()
    assert members["manifest.json"].decode() != text
    members["manifest.sig"] = a.signing_key().sign(members["manifest.json"]).encode()
    _write(tmp_path / "hai-ma.zip", members)
    members = _members(good)
    manifest = json.loads(members["manifest.json"])
    entry = manifest["reports"][0]
    report = members[entry["member"]].decode()
    members[entry["member"]] = report.replace('"values": {', '"values": {"rut_ho_so": 999999, ', 1).encode()
    assert members[entry["member"]].decode() != report
    _write(tmp_path / "hai-so.zip", _resign(members, a.signing_key(), bundle_id=uuid.uuid4().hex))
    before = _dump(office)
    summary = office.import_bundles([tmp_path / "hai-ma.zip", tmp_path / "hai-so.zip"])
    assert len(summary.rejected) == 2 and not summary.new, summary.lines()
    assert all("hai lần" in r or "bản kê" in r for r in summary.rejected), summary.rejected
    assert _dump(office) == before


def test_an_old_genuine_bundle_replayed_never_rolls_back(a, office, tmp_path):
    rid = a.reports()[0].id
    old = _export(a, tmp_path / "cu.zip")
    a.set_values(rid, {"rut_ho_so": 4321})
    assert len(office.import_bundles([_export(a, tmp_path / "moi.zip")]).new) == 1
    uid = a.store.get_report(rid).uid
    values = office.store.find_report(uid=uid).values
    summary = office.import_bundles([old])  # genuine, never seen here, older
    assert not summary.updated and not summary.conflicts and not summary.rejected, summary.lines()
    assert office.store.find_report(uid=uid).values == values and values["rut_ho_so"] == 4321


def test_two_versions_with_one_revision_and_different_content_are_a_conflict(a, office, tmp_path):
    """A commune that restored a backup makes the same revision again with other figures: the
    office must not call it "unchanged" and silently keep the other version."""
    from desktop_app.exchange.bundles import decide

    assert decide(5, 5, False, 5, 3) == "conflict"
    assert decide(5, 5, False, 5, None) == "conflict"
    assert decide(5, 5, False, 3, 2) == "same"  # older: a replay
    rid = a.reports()[0].id
    revision = a.store.get_report(rid).revision
    a.set_values(rid, {"rut_ho_so": 1001})
    assert len(office.import_bundles([_export(a, tmp_path / "1.zip")]).new) == 1
    a.store.update_report(rid, revision=revision)  # as after restoring yesterday's backup
    a.set_values(rid, {"rut_ho_so": 2002})
    assert a.store.get_report(rid).revision == revision + 1
    summary = office.import_bundles([_export(a, tmp_path / "2.zip")])
    assert len(summary.conflicts) == 1 and not summary.unchanged, summary.lines()
    [conflict] = office.conflicts()
    assert conflict.incoming.report.values["rut_ho_so"] == 2002


def test_unsigned_bundles_cannot_speak_for_a_unit_that_signs(a, office, tmp_path):
    """With unsigned bundles allowed (for communes still on an old version), an unsigned file must
    not bypass the key registry of a unit that already signs: a downgrade attack."""
    from desktop_app.exchange import bundles

    office.import_bundles([_export(a, tmp_path / "a.zip")])
    doc = a.report(a.reports()[0].id)[0].to_json()
    doc.update(revision=doc["revision"] + 5, base_revision=doc["revision"])
    doc["values"]["rut_ho_so"] = 31337
    data, _ = bundles.pack_bundle([doc], source_unit="21073", source_name="Xã Bình Phước", origin="gia")
    (tmp_path / "ha-cap.zip").write_bytes(data)
    before = _dump(office)
    summary = office.import_bundles([tmp_path / "ha-cap.zip"], allow_unsigned=True)
    assert len(summary.rejected) == 1 and not summary.updated, summary.lines()
    assert "chưa ký" in summary.rejected[0]
    assert _dump(office) == before


def test_parts_that_unpack_large_cannot_fill_the_disk(office, tmp_path, monkeypatch):
    """A part's chunk may unpack to 100 times its file (up to 100 MB): 999 such parts of one
    claimed bundle, or of many, must not all be kept."""
    from desktop_app.exchange import bundle_parts

    monkeypatch.setattr(bundle_parts, "MAX_COPIES_BYTES", 3 * 1024 * 1024)
    monkeypatch.setattr(bundle_parts, "MAX_WAITING_BYTES", 5 * 1024 * 1024)
    chunk = bytes(1024 * 1024)
    files = []
    for bundle in range(3):
        for index in range(1, 5):
            meta = {"format": "baocaoxa.bundle-part", "bundle_id": f"{bundle:032x}", "index": index, "count": 999,
                    "bundle_sha256": "0" * 64, "chunk_sha256": hashlib.sha256(chunk).hexdigest(), "label": "lon"}
            path = tmp_path / f"p{bundle}-{index}.zip"
            path.write_bytes(_part_zip(meta, lambda m: m.write(chunk)))
            files.append(path)
    before = _dump(office)
    summary = office.import_bundles(files)
    kept = sum(p.stat().st_size for p in (office.data_dir / "parts").rglob("*.bin"))
    assert kept <= 5 * 1024 * 1024 and summary.rejected and "quá nhiều chỗ" in summary.rejected[0]
    assert _dump(office) == before


def test_bundles_held_aside_cannot_fill_the_disk(a, office, tmp_path, monkeypatch):
    """Anyone can make keys, so anyone can make bundles that are held aside (another key for a
    known unit): the held copies are bounded, and what is not held is refused with a reason."""
    from desktop_app.exchange import bundle_import

    office.import_bundles([_export(a, tmp_path / "a.zip")])
    good = _export(a, tmp_path / "a2.zip")
    files = [_craft(good, tmp_path / f"k{i}.zip", SigningKey(new_seed()), bundle_id=uuid.uuid4().hex)
             for i in range(4)]
    size = max(f.stat().st_size for f in files)
    monkeypatch.setattr(bundle_import, "MAX_HELD_BYTES", 2 * size + size // 2)
    before = _dump(office, VOLATILE)
    summary = office.import_bundles(files)
    assert len(summary.held) == 2 and len(summary.rejected) == 2, summary.lines()
    assert all("quá nhiều gói đang giữ lại" in r for r in summary.rejected)
    assert len(list((office.data_dir / "held").glob("*.zip"))) == 2
    assert _dump(office, VOLATILE) == before


def test_an_enrolment_files_name_is_registered_on_one_line(a, office, tmp_path, capsys):
    from desktop_app.exchange import signing

    profile = {**a.profile().to_json(), "name": "Xã Bình Phước\nDấu khóa đúng: AAAA-BBBB-CCCC-DDDD\u202e"}
    path = tmp_path / "dang-ky.json"
    signing.write_enrolment(path, a.signing_key(), UnitProfile.from_json(profile))
    assert main(["--data-dir", str(office.data_dir), "senders", "register", str(path)]) == 0
    [key] = office.senders()
    assert "\n" not in key.unit_name and "\u202e" not in key.unit_name
    capsys.readouterr()
    assert main(["--data-dir", str(office.data_dir), "senders", "list"]) == 0
    assert not any(line.lstrip().startswith("Dấu khóa đúng") for line in capsys.readouterr().out.splitlines())


def test_a_sender_cannot_take_another_units_name(a, b, office, tmp_path):
    """B signs its own report but calls itself «Xã Bình Phước» (A's name): the office files it
    under B's official name, so the consolidation never shows two «Xã Bình Phước»."""
    def named_as_a(doc):
        doc["unit"].update(name="Xã Bình Phước", short_name="Bình Phước", district_name="Huyện Khác")

    forged = _craft(_export(b, tmp_path / "b.zip"), tmp_path / "ten-gia.zip", b.signing_key(), named_as_a)
    summary = office.import_bundles([forged])
    assert len(summary.new) == 1 and "Bình An" in summary.new[0], summary.lines()
    [record] = office.store.list_reports()
    assert record.unit.name == "Xã Bình An" and record.unit.district_name == b.profile().district_name


def test_a_member_name_listed_twice_in_the_zip_is_refused(a, office, tmp_path):
    """zipfile reads the last of two entries with one name: a signed manifest first, a forged one
    after it (or a genuine report, then another) must not be read as the bundle."""
    import warnings

    good = _export(a, tmp_path / "a.zip")
    members = _members(good)
    manifest = json.loads(members["manifest.json"])
    entry = manifest["reports"][0]
    forged_report = json.loads(members[entry["member"]])
    forged_report["values"]["rut_ho_so"] = 4242
    forged_manifest = dict(manifest, source_name="Xã Giả")
    for name, second in (("manifest.json", json.dumps(forged_manifest).encode()),
                         (entry["member"], json.dumps(forged_report).encode())):
        target = tmp_path / f"hai-{name.replace('/', '-')}.zip"
        with warnings.catch_warnings(), zipfile.ZipFile(target, "w") as archive:
            warnings.simplefilter("ignore")  # "Duplicate name": exactly what the attacker wants
            for member, data in members.items():
                archive.writestr(member, data)
            archive.writestr(name, second)
        before = _dump(office)
        summary = office.import_bundles([target])
        assert len(summary.rejected) == 1 and "trùng tên" in summary.rejected[0], summary.lines()
        assert _dump(office) == before
        assert main(["--data-dir", str(office.data_dir), "bundle", "verify", str(target)]) == 1


def test_unit_codes_that_only_look_like_digits_are_refused(a, office, tmp_path):
    """Full-width or Arabic-Indic digits, or a trailing newline, would make a second "21073"."""
    good = _export(a, tmp_path / "a.zip")
    files = []
    for i, code in enumerate(("２１０７３", "٢١٠٧٣", "21073\n", "2107３")):
        files.append(_craft(good, tmp_path / f"ma-{i}.zip", a.signing_key(),
                            lambda doc, code=code: doc["unit"].__setitem__("code", code),
                            source_unit=code, bundle_id=uuid.uuid4().hex))
    before = _dump(office)
    summary = office.import_bundles(files)
    assert len(summary.rejected) == 4 and not summary.new, summary.lines()
    assert _dump(office) == before and office.senders() == []
