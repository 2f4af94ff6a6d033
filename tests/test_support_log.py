"""Support logging (issue 13, point 2): the log exists after every CLI command and names it,
Workspace operations log a line each, store writes fail with the store's Vietnamese error,
and the support bundle carries no report data."""

from __future__ import annotations

import json
import logging
import sqlite3
import unicodedata
import zipfile
from pathlib import Path

import pytest

from db.engine import StoreError, file_uri
from db.sql import sqlite_database
from desktop_app.errors import UserError
from desktop_app.domain.entities import DocumentHeader, UnitProfile
from desktop_app.domain.periods import parse_period
from tests.conftest import TEMPLATES
from desktop_app.support import logs
from tests.conftest import EXAMPLES, load_example


def log_text(data_dir: Path) -> str:
    logs.flush()
    return (data_dir / "logs" / "baocaoxa.log").read_text(encoding="utf-8")


# --- the log after every CLI command -------------------------------------------------------

def _all_commands() -> set[str]:
    from desktop_app.cli import _build_parser

    parser = _build_parser()
    found = set()
    for action in parser._subparsers._group_actions:  # noqa: SLF001
        for name, sub in action.choices.items():
            if sub._subparsers is None:  # noqa: SLF001
                found.add(name)
                continue
            for sub_action in sub._subparsers._group_actions:  # noqa: SLF001
                found.update(f"{name} {verb}" for verb in sub_action.choices)
    return found


COMMANDS = {
    "templates list": ["templates", "list"],
    "templates check": ["templates", "check", str(Path(__file__).parent.parent / "resources" / "templates"
                                                  / "cao-diem-dvctt.yaml")],
    "templates install": ["templates", "install", str(Path(__file__).parent.parent / "resources" / "templates"
                                                      / "cao-diem-dvctt.yaml")],  # bundled: a no-op
    "unit show": ["unit", "show"],
    "unit set": ["unit", "set", "--code", "21073", "--legacy"],
    "backup create": ["backup", "create"],
    "backup list": ["backup", "list"],
    "backup restore": ["backup", "restore", "khong-co.sqlite3"],
    "bundle export": ["bundle", "export", "--out", "{tmp}/g.zip"],
    "bundle import": ["bundle", "import", "{tmp}/g.zip"],
    "bundle verify": ["bundle", "verify", "{tmp}/g.zip"],
    "keys show": ["keys", "show"],
    "keys export-enrolment": ["keys", "export-enrolment", "{tmp}/k.json"],
    "senders list": ["senders", "list"],
    "senders register": ["senders", "register", "{tmp}/k.json"],
    "senders accept": ["senders", "accept", "7"],
    "senders reject": ["senders", "reject", "7"],
    "senders allow-unsigned": ["senders", "allow-unsigned", "no"],
    "conflicts list": ["conflicts", "list"],
    "conflicts resolve": ["conflicts", "resolve", "7", "--keep", "local"],
    "aggregate": ["aggregate", "--template", "cao-diem-dvctt", "--period", "2023-08-24..2023-09-24"],
    "check-db": ["check-db"],
    "support-bundle": ["support-bundle", "{tmp}/ho-tro.zip"],
    "report new": ["report", "new", "--template", "ntm-tieu-chi-8", "--period", "2024"],
    "report list": ["report", "list"],
    "report set": ["report", "set", "1", "--values", "{tmp}/v.json"],
    "report show": ["report", "show", "1"],
    "report import-json": ["report", "import-json", str(EXAMPLES / "cao-diem-dvctt.json")],
    "report validate": ["report", "validate", "1"],
    "report finalise": ["report", "finalise", "1"],
    "report reopen": ["report", "reopen", "1", "--reason", "sửa"],
    "report delete": ["report", "delete", "2"],
    "report export": ["report", "export", "1", "--docx", "{tmp}/a.docx"],
    "report import-xlsx": ["report", "import-xlsx", "1", "{tmp}/khong-co.xlsx"],
    "report restore": ["report", "restore", "2"],
    "database show": ["database", "show"],
    "database set": ["database", "set", "postgresql://canbo@127.0.0.1:9/khong-co"],  # refused: no server there
    "database clear": ["database", "clear"],
    "database staff": ["database", "staff", "Nguyễn Thị Hoa"],
}


def test_every_cli_command_is_covered_below():
    assert _all_commands() == set(COMMANDS)


def test_the_log_exists_after_any_cli_command_and_names_it(tmp_path, data_dir, cli):
    (tmp_path / "v.json").write_text("{}", encoding="utf-8")
    for name, args in COMMANDS.items():
        log = data_dir / "logs" / "baocaoxa.log"
        log.unlink(missing_ok=True)
        code, _out, _err = cli(*[a.replace("{tmp}", str(tmp_path)) for a in args])
        text = log.read_text(encoding="utf-8")  # the CLI closed the file: everything is on disk
        lines = [line for line in text.splitlines() if f" op cli {name} " in line]
        assert len(lines) == 1, (name, text)
        outcome = "ok" if code == 0 else "refused"
        assert f"outcome={outcome}" in lines[0] and f"exit={code}" in lines[0] and "duration_ms=" in lines[0], lines
        if name.startswith("report ") and len(args) > 2 and args[2].isdigit():
            assert f" report={args[2]} " in lines[0], lines
        elif not name.startswith("report ") and args[-1].isdigit() or name == "conflicts resolve":  # not a report
            assert " report=" not in lines[0] and " id=" in lines[0], lines


def test_cli_logs_start_up_facts_and_a_usage_error(data_dir, cli):
    cli("report", "list")
    text = log_text(data_dir)
    start = next(line for line in text.splitlines() if " start " in line)
    for fact in ("version=", "os=", "python=", f"data={data_dir}", "schema=0004", f"templates={len(list(TEMPLATES.glob('*.yaml')))}",
                 "template_problems=0"):
        assert fact in start, start
    code, _out, _err = cli("report", "bogus", "--secret-value")
    assert code == 2
    last = log_text(data_dir).splitlines()[-1]
    assert "op cli report" in last and "outcome=refused" in last and "secret" not in last


def test_an_unexpected_error_is_logged_with_its_traceback_but_not_its_values(data_dir, cli, monkeypatch):
    from desktop_app.services import Workspace

    typed = "-".join(["ZQX", "Làng", "Mơ"]), 987 * 1000 + 654  # not in the source line the traceback shows

    def boom(self, include_received=True):
        raise ValueError(f"invalid literal for int() with base 10: {typed[0]!r} {typed[1]}")

    monkeypatch.setattr(Workspace, "reports", boom)
    code, _out, err = cli("report", "list")
    assert code == 2 and "không mong muốn" in err and "baocaoxa.log" in err
    text = log_text(data_dir)
    assert "op cli report list" in text and "outcome=error" in text and "Traceback" in text
    assert "in boom" in text and "ValueError" in text
    assert "ZQX" not in text and "987654" not in text


def test_workspace_operations_log_one_line_each_without_values(workspace, data_dir):
    logs.setup(data_dir)
    try:
        workspace.set_unit("21073", scheme="truoc-2025", villages=["Thôn Độc Nhất Vô Nhị"])
        report_id = workspace.new_report("cao-diem-dvctt", "2023-08-24..2023-09-24")
        workspace.set_values(report_id, {"tiep_nhan_truc_tuyen": 424242})
        workspace.set_document(report_id, number="99-ĐỘC-NHẤT/BC")
        with pytest.raises(UserError):
            workspace.reopen(report_id, "")
    finally:
        logs.close()
    text = log_text(data_dir)
    assert "op set_unit " in text
    assert f"op new_report report={report_id} " in text
    assert f"op set_values report={report_id} " in text and f"op set_document report={report_id} " in text
    assert f"op reopen report={report_id} duration_ms=" in text and "outcome=refused error=UserError" in text
    for secret in ("424242", "424.242", "ĐỘC-NHẤT", "Độc Nhất"):
        assert secret not in text


def test_redaction_of_messages():
    assert logs.redact("«hai» không phải là số") == "«…» không phải là số"
    assert "12" not in logs.redact("value 12,5 is wrong")
    exc = OSError(28, "No space left on device", "/media/usb/Báo cáo bí mật.docx")
    assert logs.describe_exception(exc) == "OSError: [Errno 28] No space left on device"


def test_the_log_rotates_and_a_read_only_folder_means_no_log(tmp_path, monkeypatch):
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    path = logs.setup(tmp_path / "d")
    try:
        for i in range(200):
            logs.log.info("line %d %s", i, "x" * 50)
    finally:
        logs.close()
    names = sorted(p.name for p in path.parent.iterdir())
    assert names == ["baocaoxa.log", *(f"baocaoxa.log.{n}" for n in range(1, 6))]
    assert all(p.stat().st_size <= 2100 for p in path.parent.iterdir())
    monkeypatch.setattr(logs.os, "access", lambda *_a: False)
    assert logs.setup(tmp_path / "e") is None
    logs.log.info("nothing breaks")


# --- store writes fail with the store's own error --------------------------------------------

def _store_with_failing_writes(workspace, real_read_only: bool):
    store = workspace.store
    if real_read_only:  # SQLite itself refuses: mode=ro, even for root
        store.db.dispose()
        store.db = sqlite_database(file_uri(store.path), read_only=True)
    else:
        def refuse(statement):
            if not statement.lstrip().upper().startswith(("SELECT", "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK",
                                                          "SAVEPOINT", "RELEASE")):
                raise sqlite3.OperationalError("database or disk is full")

        store.db.listeners.append(refuse)
    return store


WRITES = {
    "set_setting": lambda s, rid: s.set_setting("x", 1),
    "set_profile": lambda s, rid: s.set_profile(UnitProfile(code="21073", name="X")),
    "create_report": lambda s, rid: s.create_report(unit=UnitProfile(code="1"), template_id="t", template_version="1",
                                                    period=parse_period("2024"), document=DocumentHeader()),
    "update_report": lambda s, rid: s.update_report(rid, document=DocumentHeader(number="1")),
    "delete_report": lambda s, rid: s.delete_report(rid),
    "restore_report": lambda s, rid: s.restore_report(rid),
    "set_values": lambda s, rid: s.set_values(rid, {"tiep_nhan_truc_tuyen": 5}),
    "purge_report": lambda s, rid: s.purge_report(rid),
    "register_sender": lambda s, rid: s.register_sender(
        {"unit_code": "1", "unit_name": "X", "public_key": "k", "fingerprint": "f"}, "enrolment"),
    "reject_sender_key": lambda s, rid: s.reject_sender_key(
        {"unit_code": "1", "unit_name": "X", "public_key": "k", "fingerprint": "f"}),
    "hold_bundle": lambda s, rid: s.hold_bundle(digest="d", bundle_id="b", file_name="f", kept_as="k",
                                                unit_code="1", unit_name="X", public_key="k", fingerprint="f"),
}


@pytest.mark.parametrize("real_read_only", [False, True], ids=["disk-full", "read-only"])
@pytest.mark.parametrize("write", sorted(WRITES))
def test_every_store_write_maps_database_errors_to_a_vietnamese_store_error(workspace, write, real_read_only):
    workspace.set_unit("21073", scheme="truoc-2025")
    report_id = workspace.new_report("cao-diem-dvctt", "2023-08-24..2023-09-24")
    store = _store_with_failing_writes(workspace, real_read_only)
    with pytest.raises(StoreError) as caught:
        WRITES[write](store, report_id)
    message = str(caught.value)
    assert message.startswith("Không ghi được vào cơ sở dữ liệu")
    assert ("chỉ cho đọc" if real_read_only else "ổ đĩa đã đầy") in message
    assert unicodedata.is_normalized("NFC", message)


def test_a_failed_document_write_reaches_the_window_as_a_user_error(workspace, data_dir):
    """DocumentPage._save catches UserError: update_report's OperationalError no longer escapes."""
    workspace.set_unit("21073", scheme="truoc-2025")
    report_id = workspace.new_report("cao-diem-dvctt", "2023-08-24..2023-09-24")
    _store_with_failing_writes(workspace, real_read_only=False)
    logs.setup(data_dir)
    try:
        with pytest.raises(UserError, match="ổ đĩa đã đầy"):
            workspace.set_document(report_id, number="12/BC")
    finally:
        logs.close()
    line = next(line for line in log_text(data_dir).splitlines() if "op set_document" in line)
    assert "outcome=error" in line and "StoreError" in line


# --- the support bundle ------------------------------------------------------------------------

SECRETS = ["ZQX-Làng-Mơ-Bí-Mật", "Nguyễn Văn Bíẩn", "31415926", "31.415.926", "Thôn Độc Nhất Vô Nhị",
           "QQX hai mươi", "77/BC-BÍMẬT", "lý do bí mật"]


def _zip_texts(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def test_the_support_bundle_holds_logs_and_the_check_but_no_report_data(tmp_path, data_dir, cli):
    from desktop_app.services import Workspace

    example = load_example("ntm-tieu-chi-8.json")
    example["unit"]["signer_name"] = "Nguyễn Văn Bíẩn"
    example["unit"]["villages"] = ["Thôn Độc Nhất Vô Nhị", "Thôn 2"]
    example["document"]["number"] = "77/BC-BÍMẬT"
    (tmp_path / "r.json").write_text(json.dumps(example, ensure_ascii=False), encoding="utf-8")
    assert cli("unit", "set", "--code", example["unit"]["code"], "--signer", "Nguyễn Văn Bíẩn",
               "--villages", "Thôn Độc Nhất Vô Nhị;Thôn 2", *(["--legacy"] if example["unit"].get("scheme") != "2025"
                                                            else []))[0] == 0
    code, out, err = cli("report", "import-json", str(tmp_path / "r.json"))
    assert code == 0, err
    report_id = int(out.strip())
    ws = Workspace(data_dir, who="kiểm thử")
    record, template = ws.report(report_id)
    text_field = next(f for f in template.all_fields() if f.kind.value in ("text", "long_text"))
    number_field = next(f for f in template.all_fields() if f.kind.value == "integer")
    ws.set_values(report_id, {text_field.id: "ZQX-Làng-Mơ-Bí-Mật", number_field.id: 31415926})
    ws.set_drafts(report_id, {number_field.id: "QQX hai mươi"})  # unreadable text typed
    ws.store.set_values(report_id, {"truong_la": "ZQX-Làng-Mơ-Bí-Mật"})  # a field the template lacks
    ws.store.set_values(report_id, {number_field.id: "ZQX-Làng-Mơ-Bí-Mật"})  # a value that no longer reads
    ws.close()
    cli("report", "validate", str(report_id))
    cli("report", "reopen", str(report_id), "--reason", "lý do bí mật")
    cli("report", "export", str(report_id), "--docx", str(tmp_path / "a.docx"), "--xlsx", str(tmp_path / "a.xlsx"))
    cli("bundle", "export", "--out", str(tmp_path / "g.zip"))
    cli("report", "set", str(report_id), "--values", str(tmp_path / "khong-co.json"))
    code, out, err = cli("support-bundle", str(tmp_path / "ho-tro.zip"))
    assert code == 0 and "không có số liệu báo cáo" in out, err
    raw = (tmp_path / "ho-tro.zip").read_bytes()
    texts = _zip_texts(tmp_path / "ho-tro.zip")
    assert set(texts) >= {"README.txt", "thong-tin.json", "kiem-tra-co-so-du-lieu.txt", "tep-du-lieu.txt",
                          "logs/baocaoxa.log"}
    assert not any(name.endswith((".sqlite3", ".zip", ".docx", ".xlsx", ".json")) and name != "thong-tin.json"
                   for name in texts)
    everything = "\n".join(texts.values())
    for secret in SECRETS:
        for form in (secret, unicodedata.normalize("NFD", secret), secret.upper()):
            assert form not in everything, secret
            assert form.encode("utf-8") not in raw
    assert b"SQLite format 3" not in raw
    # what support needs is there
    facts = json.loads(texts["thong-tin.json"])
    assert facts["schema"] == "0004" and facts["reports"] == 1 and facts["version"]
    check = texts["kiem-tra-co-so-du-lieu.txt"]
    assert f"Báo cáo số {report_id}" in check and f"«{number_field.id}» không hợp lệ" in check
    assert "op cli report export" in texts["logs/baocaoxa.log"]
    assert "op cli report set" in texts["logs/baocaoxa.log"] and "outcome=refused" in texts["logs/baocaoxa.log"]


def test_a_support_bundle_is_made_even_when_the_database_is_damaged(tmp_path, data_dir, cli):
    assert cli("unit", "set", "--code", "21073", "--legacy")[0] == 0
    (data_dir / "baocaoxa.sqlite3").write_bytes(b"\x00" * 8192)
    for side in ("-wal", "-shm"):
        Path(f"{data_dir / 'baocaoxa.sqlite3'}{side}").unlink(missing_ok=True)
    code, _out, err = cli("support-bundle", str(tmp_path / "ho-tro.zip"))
    assert code == 0, err
    texts = _zip_texts(tmp_path / "ho-tro.zip")
    assert texts["kiem-tra-co-so-du-lieu.txt"].startswith("Không mở được cơ sở dữ liệu")
    assert "op cli unit set" in texts["logs/baocaoxa.log"]


def test_logging_setup_is_light():
    """Importing the log module loads no heavy library (start-up time on old PCs)."""
    import subprocess
    import sys

    code = ("import sys; import desktop_app.support.logs as l; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sqlalchemy','PySide6','yaml','jinja2','pydantic','babel','docx','openpyxl','platform')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr


@pytest.fixture(autouse=True)
def _no_handler_left():
    yield
    logs.close()
    assert not [h for h in logging.getLogger("baocaoxa").handlers if not isinstance(h, logging.NullHandler)]
