from pathlib import Path

from desktop_app import paths


def test_data_dir_precedence(tmp_path, monkeypatch):
    monkeypatch.setenv(paths.DATA_DIR_ENV, str(tmp_path / "tu-bien"))
    assert paths.data_dir(tmp_path / "tu-tham-so") == (tmp_path / "tu-tham-so").resolve()
    assert paths.data_dir() == (tmp_path / "tu-bien").resolve()
    monkeypatch.delenv(paths.DATA_DIR_ENV)
    assert paths.data_dir().name == "BaoCaoXa"  # the platform's user data folder


def test_resources_found():
    assert paths.resource("templates").is_dir()
    assert paths.resource("units", "don-vi-hanh-chinh-truoc-2025.json").is_file()
    assert isinstance(paths.resource_root(), Path)
