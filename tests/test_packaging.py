"""The packaged one-folder app builds, runs its self-test and a CLI command (CI builds it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    not os.environ.get("CI") and not os.environ.get("BAOCAOXA_BUILD_TEST"),
    reason="builds the PyInstaller package (about a minute): runs in CI or with BAOCAOXA_BUILD_TEST=1")]


def test_build_and_run_the_package(tmp_path, capsys):
    dist, work = tmp_path / "dist", tmp_path / "build"
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN", "--distpath",
         str(dist), "--workpath", str(work), str(ROOT / "packaging" / "baocaoxa.spec")],
        cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert build.returncode == 0, build.stderr[-3000:]
    app = dist / "baocaoxa" / ("baocaoxa.exe" if os.name == "nt" else "baocaoxa")
    # PyInstaller links the Qt libraries into the top folder: count each file once
    size = sum(p.stat().st_size for p in (dist / "baocaoxa").rglob("*") if p.is_file() and not p.is_symlink())
    with capsys.disabled():  # shown in the CI log
        print(f"\nPackage size: {size / 1024 / 1024:.1f} MiB")
    # 145 MiB before signed bundles; cryptography's binding adds 14 MiB, psycopg's binary wheel (its libpq
    # with its own OpenSSL, for the province office's PostgreSQL store) 11 MiB
    assert size < 175 * 1024 * 1024
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("BAOCAOXA_DATA_DIR", None)
    selftest = subprocess.run([str(app), "--selftest"], capture_output=True, text=True, timeout=300, env=env)
    assert selftest.returncode == 0, selftest.stdout + selftest.stderr
    listed = subprocess.run([str(app), "--data-dir", str(tmp_path / "data"), "templates", "list"],
                            capture_output=True, text=True, timeout=120, env=env)
    assert listed.returncode == 0 and "ntm-tieu-chi-8" in listed.stdout
    data = tmp_path / "data2"
    imported = subprocess.run([str(app), "--data-dir", str(data), "report", "import-json",
                               str(ROOT / "resources" / "examples" / "ntm-tieu-chi-8.json")],
                              capture_output=True, text=True, timeout=120, env=env)
    assert imported.returncode == 0, imported.stderr
    exported = subprocess.run([str(app), "--data-dir", str(data), "report", "export", imported.stdout.strip(),
                               "--docx", str(tmp_path / "a.docx"), "--xlsx", str(tmp_path / "a.xlsx")],
                              capture_output=True, text=True, timeout=120, env=env)
    assert exported.returncode == 0, exported.stderr
    # the signing library is in the package: a signed bundle is made and verified by the app itself
    example = str(ROOT / "resources" / "examples" / "cao-diem-dvctt.json")
    for args in (["unit", "set", "--code", "21073", "--legacy"], ["report", "import-json", example],
                 ["bundle", "export", "--out", str(tmp_path / "g.zip")], ["bundle", "verify", str(tmp_path / "g.zip")],
                 ["keys", "show"]):
        done = subprocess.run([str(app), "--data-dir", str(tmp_path / "data3"), *args], capture_output=True,
                              text=True, timeout=120, env=env)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    assert "dấu khóa" in done.stdout.lower()
    server = os.environ.get("BAOCAOXA_TEST_PG")
    if server:  # the PostgreSQL driver is in the package: the app opens a shared database
        from tests import pg

        url = pg.fresh_database()
        try:
            shared = subprocess.run([str(app), "--data-dir", str(tmp_path / "data4"), "--database", url, "report",
                                     "import-json", example], capture_output=True, text=True, timeout=120, env=env)
            assert shared.returncode == 0, shared.stderr
        finally:
            pg.drop_database(url)
    shutil.rmtree(work, ignore_errors=True)
