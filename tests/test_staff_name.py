"""The staff member this PC's audit entries name: chosen once per PC, overridden by --staff."""

from __future__ import annotations

import getpass

import pytest

from desktop_app.errors import UserError
from desktop_app.workspace import staff
from tests.conftest import EXAMPLES


def _names(data_dir) -> set[str]:
    from desktop_app.services import Workspace

    ws = Workspace(data_dir)
    try:
        return {entry.who for entry in ws.store.audit()}
    finally:
        ws.close()


def test_a_name_chosen_on_this_pc_is_recorded_and_forgotten_on_request(cli, data_dir):
    code, out, _ = cli("database", "staff", "  Nguyễn   Thị  Hoa ")
    assert code == 0 and "«Nguyễn Thị Hoa»" in out
    code, _out, err = cli("report", "import-json", str(EXAMPLES / "cao-diem-dvctt.json"))
    assert code == 0, err
    assert _names(data_dir) == {"Nguyễn Thị Hoa"}
    code, out, _ = cli("database", "staff")
    assert "Nguyễn Thị Hoa" in out
    code, out, _ = cli("database", "staff", "")
    assert code == 0 and not (data_dir / staff.STAFF_FILE).exists()
    code, out, _ = cli("database", "staff")
    assert getpass.getuser() in out


def test_staff_on_the_command_line_overrides_the_chosen_name(cli, data_dir):
    staff.save_name(data_dir, "Nguyễn Thị Hoa")
    code, _out, err = cli("--staff", "Trần Văn Bình", "report", "import-json", str(EXAMPLES / "cao-diem-dvctt.json"))
    assert code == 0, err
    assert _names(data_dir) == {"Trần Văn Bình"}


def test_without_a_chosen_name_the_os_user_is_recorded(cli, data_dir):
    code, _out, err = cli("report", "import-json", str(EXAMPLES / "cao-diem-dvctt.json"))
    assert code == 0, err
    assert _names(data_dir) == {getpass.getuser()}


@pytest.mark.parametrize("name, reason", [("a\x07b", "không in được"), ("x" * 129, "dài quá")])
def test_a_bad_name_is_refused_and_nothing_is_written(data_dir, name, reason):
    with pytest.raises(UserError, match=reason):
        staff.save_name(data_dir, name)
    assert not (data_dir / staff.STAFF_FILE).exists()


def test_a_hand_edited_file_with_junk_falls_back_to_the_os_user(data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / staff.STAFF_FILE).write_bytes(b"\xff\xfe\x00junk")
    assert staff.recorded_name(data_dir, None) == staff.os_user()


def test_the_name_is_nfc(data_dir):
    decomposed = "Nguye\u0302\u0303n"  # «Nguyễn» typed with combining marks
    assert staff.save_name(data_dir, decomposed) == "Nguyễn"
    assert staff.saved_name(data_dir) == "Nguyễn"
