"""Smoke test of a built package (any OS): ``python packaging/smoke.py dist/baocaoxa``.

The same checks as tests/test_packaging.py, without building: the self-test offscreen,
``templates list``, every example imported and exported to .docx and .xlsx, a signed bundle
made and verified, a support bundle, and the support log naming each command. Used by the
Windows workflow (.github/workflows/windows.yml). Exit code 0 when every check passes.

A windowed Windows build may have no standard output, so outcomes are read from exit codes
and the support log; printed text is checked only when there is some.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(folder: str) -> int:
    app = Path(folder) / ("baocaoxa.exe" if os.name == "nt" else "baocaoxa")
    if not app.is_file():
        print(f"no packaged app at {app}", file=sys.stderr)
        return 2
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONIOENCODING="utf-8")
    env.pop("BAOCAOXA_DATA_DIR", None)
    failures: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="baocaoxa-smoke-"))

    def run(data: Path | None, *args: str, expect: int = 0, timeout: int = 300) -> str:
        command = [str(app), *(["--data-dir", str(data)] if data else []), *args]
        done = subprocess.run(command, capture_output=True, timeout=timeout, env=env)
        out = done.stdout.decode("utf-8", "replace")
        label = " ".join(args)
        print(f"[{'ok' if done.returncode == expect else 'FAIL'}] {label} (exit {done.returncode})")
        if done.returncode != expect:
            failures.append(f"{label}: exit {done.returncode}\n{out}\n{done.stderr.decode('utf-8', 'replace')}")
        if data is not None:
            log = data / "logs" / "baocaoxa.log"
            name = " ".join(a for a in args if not a.startswith("-"))[:40]
            if not log.is_file() or f"op cli {args[0]}" not in log.read_text(encoding="utf-8"):
                failures.append(f"{label}: the support log {log} does not name the command ({name})")
        return out

    run(None, "--selftest", timeout=600)
    listed = run(work / "d0", "templates", "list")
    if listed and "ntm-tieu-chi-8" not in listed:
        failures.append("templates list does not list ntm-tieu-chi-8")
    for index, example in enumerate(sorted((ROOT / "resources" / "examples").glob("*.json")), start=1):
        data = work / f"d{index}"
        run(data, "report", "import-json", str(example))  # a fresh folder: the report is number 1
        run(data, "report", "export", "1", "--docx", str(work / f"{example.stem}.docx"),
            "--xlsx", str(work / f"{example.stem}.xlsx"))
        for suffix in (".docx", ".xlsx"):
            target = work / f"{example.stem}{suffix}"
            if not target.is_file() or not zipfile.is_zipfile(target):
                failures.append(f"{target.name} was not written")
    signed = work / "signed"
    run(signed, "unit", "set", "--code", "21073", "--legacy")
    run(signed, "report", "import-json", str(ROOT / "resources" / "examples" / "cao-diem-dvctt.json"))
    run(signed, "bundle", "export", "--out", str(work / "g.zip"))
    run(signed, "bundle", "verify", str(work / "g.zip"))
    run(signed, "support-bundle", str(work / "ho-tro.zip"))
    if not zipfile.is_zipfile(work / "ho-tro.zip"):
        failures.append("the support bundle was not written")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    print("smoke test: " + ("passed" if not failures else f"{len(failures)} failure(s)"))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "dist" / "baocaoxa")))
