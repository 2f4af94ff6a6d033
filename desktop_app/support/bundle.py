"""The support bundle: a zip a commune sends to support when something went wrong.

It holds the logs, the database check and the start-up facts — never report data: no
values, no database file, no sync bundle, no audit log, no signer or village names. The
check is run in its private form (a value that does not read is named, not quoted).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app import __version__
from desktop_app.atomic import write_atomic
from desktop_app.support import logs

if TYPE_CHECKING:
    from desktop_app.services import Workspace

README = """Gói hỗ trợ BaoCaoXa

Gói này chỉ có thông tin kỹ thuật để cán bộ hỗ trợ tìm lỗi:
- thong-tin.json: phiên bản chương trình, hệ điều hành, Python, Qt, thư mục dữ liệu, phiên bản lược đồ
  cơ sở dữ liệu, số mẫu báo cáo và các mẫu lỗi, số báo cáo, dung lượng còn trống;
- kiem-tra-co-so-du-lieu.txt: kết quả «Kiểm tra cơ sở dữ liệu» (như lệnh baocaoxa check-db);
- tep-du-lieu.txt: tên và cỡ các tệp trong thư mục dữ liệu (không có nội dung);
- logs/: nhật ký hoạt động (tên thao tác, số báo cáo, thời gian, kết quả, lỗi).

Gói KHÔNG có số liệu báo cáo: không có giá trị đã nhập, không có tệp cơ sở dữ liệu, không có bản sao
lưu, không có gói dữ liệu gửi đi hay nhận về, không có tên người ký hay tên thôn.
"""


def startup_facts(ws: Workspace | None = None, data_dir: Path | None = None) -> dict[str, str]:
    """Version, OS, Python, data folder, schema revision and template problems (the GUI adds Qt)."""
    facts: dict[str, Any] = {
        "version": __version__,
        "os": logs.os_description(),
        "python": sys.version.split()[0],
        "frozen": "yes" if getattr(sys, "frozen", False) else "no",
        "data": str(ws.data_dir if ws is not None else data_dir),
    }
    if ws is not None:
        try:
            facts["schema"] = ws.store.schema_revision() or "none"
        except Exception as exc:  # noqa: BLE001 - a fact we could not read is said so
            facts["schema"] = f"unreadable ({type(exc).__name__})"
        facts["store"] = ws.store.location  # a shared database's URL without its password
        facts["templates"] = len(ws.templates.all())
        facts["template_problems"] = len(ws.templates.problems)
    return {k: str(v) for k, v in facts.items()}


def _folder_listing(data_dir: Path) -> str:
    """Names and sizes only; the held bundles' and parts' file names are left out (they name units)."""
    lines = []
    if not data_dir.is_dir():
        return f"(không có thư mục {data_dir})\n"
    for path in sorted(data_dir.rglob("*")):
        rel = path.relative_to(data_dir)
        if rel.parts[0] in ("held", "parts") and len(rel.parts) > 1:
            continue
        try:
            size = path.stat().st_size if path.is_file() else None
        except OSError:
            size = None
        lines.append(f"{rel.as_posix()}{'/' if path.is_dir() else ''}\t{'' if size is None else size}")
    return "\n".join(lines) + "\n"


def _details(ws: Workspace | None, data_dir: Path, problem: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {"made_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                               **startup_facts(ws, data_dir), **logs.startup_facts()}
    details["data"] = str(data_dir)
    try:
        usage = shutil.disk_usage(data_dir)
        details["disk_free_mib"] = usage.free // (1024 * 1024)
    except OSError:
        pass
    if problem:
        details["open_problem"] = problem
    if ws is not None:
        profile = ws.profile()
        details["unit"] = {} if profile is None else {
            "code": profile.code, "name": profile.name, "scheme": profile.scheme, "level": profile.level}
        reports = ws.store.list_reports(include_deleted=True)
        details["reports"] = len(reports)
        details["reports_deleted"] = sum(1 for r in reports if r.deleted_at is not None)
        details["template_problem_list"] = [str(p) for p in ws.templates.problems][:50]
        details["backups"] = [{"file": b.path.name, "bytes": b.path.stat().st_size}
                              for b in ws.backups()[:30] if b.path.exists()]
        details["open_conflicts"] = len(ws.conflicts())
    return details


def _check_text(ws: Workspace | None, problem: str | None) -> str:
    if ws is None:
        return f"Không mở được cơ sở dữ liệu: {problem}\n"
    try:
        findings = ws.check(private=True)
    except Exception as exc:  # noqa: BLE001 - the bundle is made precisely when things are broken
        return f"Không kiểm tra được cơ sở dữ liệu: {logs.describe_exception(exc)}\n"
    if not findings:
        return "Cơ sở dữ liệu tốt: không phát hiện lỗi.\n"
    return "".join(f"- {finding}\n" for finding in findings)


def write_support_bundle(target: str | os.PathLike, data_dir: str | os.PathLike, ws: Workspace | None = None, *,
                         problem: str | None = None, extra: dict[str, str] | None = None) -> Path:
    """Write the zip atomically to ``target``. ``ws`` is None when the data could not be opened
    (``problem`` says why): the logs and the facts are still worth sending then."""
    data_dir = Path(data_dir)
    logs.flush()
    details = _details(ws, data_dir, problem)
    details.update(extra or {})
    members: list[tuple[str, bytes]] = [
        ("README.txt", README.encode("utf-8")),
        ("thong-tin.json", json.dumps(details, ensure_ascii=False, indent=2).encode("utf-8")),
        ("kiem-tra-co-so-du-lieu.txt", _check_text(ws, problem).encode("utf-8")),
        ("tep-du-lieu.txt", _folder_listing(data_dir).encode("utf-8")),
    ]
    folder = logs.log_dir(data_dir)
    if folder.is_dir():
        for log_file in sorted(folder.glob(logs.LOG_FILE + "*")):
            try:
                members.append((f"logs/{log_file.name}", log_file.read_bytes()))
            except OSError:
                continue
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return write_atomic(target, lambda handle: handle.write(buffer.getvalue()))
