"""Installing a template: checked first, a changed id+version refused, the same file a no-op,
hostile files refused with nothing changed; the list shows each type's facts and versions."""

from __future__ import annotations

import pytest

from desktop_app.errors import UserError
from tests.test_expressions_and_templates import MINIMAL
from tests.test_hostile_templates import BILLION_LAUGHS

CHANGED = MINIMAL.replace('label: "Số B"', 'label: "Số B (đã sửa)"')


def _files(ws) -> list[str]:
    folder = ws.data_dir / "templates"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_install_then_same_again_then_changed_is_refused(workspace, tmp_path):
    source = tmp_path / "mau-moi.yaml"
    source.write_text(MINIMAL, encoding="utf-8")
    done = workspace.install_template(source)
    assert not done.already and done.template.key == ("thu-nghiem", "1.0")
    assert workspace.template("thu-nghiem").title == "Báo cáo thử nghiệm"  # usable at once
    assert _files(workspace) == ["thu-nghiem-1.0.yaml"]
    # the same content again (other comments, other spacing): nothing written
    source.write_text("# bản chép lại\n" + MINIMAL + "\n\n", encoding="utf-8")
    again = workspace.install_template(source)
    assert again.already and _files(workspace) == ["thu-nghiem-1.0.yaml"]
    # changed content under the same id and version: refused, telling to raise the version
    source.write_text(CHANGED, encoding="utf-8")
    before = (workspace.data_dir / "templates" / "thu-nghiem-1.0.yaml").read_bytes()
    with pytest.raises(UserError, match=r"tăng số phiên bản \(«version: \"1.1\"»\)"):
        workspace.install_template(source)
    assert (workspace.data_dir / "templates" / "thu-nghiem-1.0.yaml").read_bytes() == before
    assert workspace.template("thu-nghiem").sections[0].fields[1].label == "Số B"
    # with the version raised it installs beside the old one
    source.write_text(CHANGED.replace('version: "1.0"', 'version: "1.1"'), encoding="utf-8")
    workspace.install_template(source)
    assert [t.version for t in workspace.templates.all() if t.id == "thu-nghiem"] == ["1.0", "1.1"]


def test_a_bundled_template_changed_under_its_version_is_refused(workspace, tmp_path):
    from tests.conftest import TEMPLATES

    text = (TEMPLATES / "cao-diem-dvctt.yaml").read_text(encoding="utf-8")
    source = tmp_path / "cao-diem.yaml"
    source.write_text(text.replace("Cao điểm 30 ngày", "Cao điểm 60 ngày", 1), encoding="utf-8")
    with pytest.raises(UserError, match="với nội dung khác"):
        workspace.install_template(source)
    source.write_text(text, encoding="utf-8")
    assert workspace.install_template(source).already
    assert _files(workspace) == []


@pytest.mark.parametrize("name, content, reason", [
    ("loi.yaml", MINIMAL.replace("a + b", "a +"), "vấn đề"),
    ("bom.yaml", BILLION_LAUGHS, "neo và bí danh"),
    ("lon.yaml", "a: " + "x" * 1_100_000, "quá lớn"),
    ("nhi-phan.yaml", b"\xff\xfe\x00format: 1", "UTF-8"),
])
def test_hostile_or_broken_template_is_refused_with_nothing_changed(workspace, tmp_path, name, content, reason):
    source = tmp_path / name
    if isinstance(content, bytes):
        source.write_bytes(content)
    else:
        source.write_text(content, encoding="utf-8")
    before = [t.key for t in workspace.templates.all()]
    with pytest.raises(UserError) as refused:
        workspace.install_template(source)
    assert "chưa cài" in refused.value.message and reason in str(refused.value)
    assert _files(workspace) == [] and [t.key for t in workspace.templates.all()] == before


def test_install_never_overwrites_another_file_of_that_name(workspace, tmp_path):
    folder = workspace.data_dir / "templates"
    folder.mkdir()
    (folder / "thu-nghiem-1.0.yaml").write_text("hỏng: [", encoding="utf-8")  # someone's broken copy
    source = tmp_path / "mau.yaml"
    source.write_text(MINIMAL, encoding="utf-8")
    workspace.install_template(source)
    assert (folder / "thu-nghiem-1.0.yaml").read_text(encoding="utf-8") == "hỏng: ["
    assert workspace.templates.sources[("thu-nghiem", "1.0")].name == "thu-nghiem-1.0-2.yaml"


def test_cli_install_and_list(cli, tmp_path):
    source = tmp_path / "mau.yaml"
    source.write_text(MINIMAL.replace("effective_from: 2024-01-01", 'effective_from: 2024-01-01\n'
                                      'effective_to: 2025-06-30\nprovince: "51"\nlegal_basis:\n'
                                      '  - "Kế hoạch số 1/KH-UBND ngày 02/01/2024"'), encoding="utf-8")
    code, out, err = cli("templates", "install", str(source))
    assert code == 0 and "Đã cài mẫu «thu-nghiem» phiên bản 1.0" in out, err
    code, out, _ = cli("templates", "install", str(source))
    assert code == 0 and "không thay đổi gì" in out
    source.write_text(source.read_text(encoding="utf-8").replace("Số A", "Số A mới"), encoding="utf-8")
    code, out, err = cli("templates", "install", str(source))
    assert code == 2 and "hãy tăng số phiên bản" in err
    bad = tmp_path / "hong.yaml"
    bad.write_text(MINIMAL.replace("kind: integer", "kind: so_nguyen", 1), encoding="utf-8")
    code, out, err = cli("templates", "install", str(bad))
    assert code == 2 and "chưa cài" in err and "hong.yaml, dòng 14" in err and " or " not in err
    code, out, _ = cli("templates", "list")
    block = out[out.index("thu-nghiem\t"):]
    assert "Tỉnh ban hành: Tỉnh Quảng Ngãi (51)" in block
    assert "Căn cứ: Kế hoạch số 1/KH-UBND ngày 02/01/2024" in block
    assert "Phiên bản 1.0: hiệu lực từ 01/01/2024 đến 30/06/2025; đã cài: thu-nghiem-1.0.yaml" in block
    assert "Phiên bản 2023.1: hiệu lực từ 01/01/2023; có sẵn trong chương trình" in out


def test_cli_install_of_a_missing_file_or_a_folder(cli, tmp_path):
    code, _out, err = cli("templates", "install", str(tmp_path / "khong-co.yaml"))
    assert code == 2 and "không tìm thấy tệp" in err and "No such file" not in err
    code, _out, err = cli("templates", "install", str(tmp_path))
    assert code == 2 and "là một thư mục" in err


def test_a_template_is_checked_once_when_installed(workspace, tmp_path, monkeypatch):
    from desktop_app.templating import loader

    runs = []
    real_run = loader._Checker.run
    monkeypatch.setattr(loader._Checker, "run", lambda self, *a, **k: runs.append(1) or real_run(self, *a, **k))
    source = tmp_path / "mot-lan.yaml"
    source.write_text(MINIMAL.replace('version: "1.0"', 'version: "1.7"'), encoding="utf-8")
    workspace.install_template(source)
    assert len(runs) == 1 and workspace.template("thu-nghiem", "1.7").version == "1.7"
