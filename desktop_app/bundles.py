"""Sync bundles: one zip file that carries reports from a commune to the compiling office.

Format (docs/bundles.md): ``manifest.json`` (format version, app version, bundle id,
source unit, creation time, templates, the reports with their revisions and content
hashes, and a SHA-256 for every member) and ``reports/<uid>.json`` in the report JSON
form. Reading checks everything — limits, member names, hashes, JSON, templates —
before anything is extracted or stored; import then applies in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import stat
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from desktop_app import __version__
from desktop_app.atomic import write_bytes_atomic
from db.engine import StoreError
from desktop_app.errors import UserError
from desktop_app.reportdoc import ReportDocumentError, parse_document
from desktop_app.templating.loader import parse_template_text


class _WithExtra:
    """The installed templates plus those a bundle brings (for checking its reports)."""

    def __init__(self, base):
        self.base, self.extra = base, {}

    def get(self, template_id, version=None):
        if version is not None and (template_id, version) in self.extra:
            return self.extra[(template_id, version)]
        return self.base.get(template_id, version)

FORMAT = "baocaoxa.bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_BUNDLE_BYTES = 100 * 1024 * 1024
MAX_MEMBERS = 5000
MAX_MEMBER_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 300 * 1024 * 1024
MAX_RATIO = 100  # uncompressed / compressed: beyond this a member is treated as a zip bomb


class BundleError(UserError):
    """The file is not a bundle we can trust; the database was not touched."""


def content_hash(doc: dict[str, Any]) -> str:
    """SHA-256 of what a report says (not of when or where it was edited)."""
    canonical = {k: doc.get(k) for k in ("template", "template_version", "period", "document", "values")}
    canonical["unit_code"] = (doc.get("unit") or {}).get("code")
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- writing ---------------------------------------------------------------------------

def build_bundle(ws, report_ids: list[int] | None = None, template_files: list[Path] | None = None,
                 with_templates: bool = False) -> tuple[bytes, dict[str, Any]]:
    """Reports (all of the unit's by default) and, optionally, template files to hand out."""
    profile = ws.profile()
    if report_ids is None and template_files:
        report_ids = []
    elif report_ids is None:
        if profile is None:
            raise UserError("Chưa khai báo đơn vị: không biết gửi báo cáo của đơn vị nào.")
        # Everything made or typed here (a report imported from a JSON file included), never
        # what other units sent us.
        report_ids = [r.id for r in ws.store.list_reports() if not ws.is_received(r, profile["code"])]
    if not report_ids and not template_files:
        raise UserError("Không có báo cáo nào để gửi.")
    docs = []
    for report_id in report_ids:
        doc = ws.document(report_id).to_json()
        # The revision this version grew from (set when it came in a bundle): lets the receiver
        # tell "edited there only" from "edited on both sides".
        doc["base_revision"] = ws.store.get_report(report_id).sync_base
        docs.append(doc)
    templates = {(doc["template"], doc["template_version"]) for doc in docs}
    files = list(template_files or [])
    if with_templates:
        files += [ws.templates.sources[key] for key in sorted(templates) if key in ws.templates.sources]
    template_texts = []
    for file in files:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UserError(f"Không tìm thấy tệp mẫu «{file}».") from None
        except IsADirectoryError:
            raise UserError(f"«{file}» là một thư mục, không phải tệp mẫu.") from None
        except UnicodeDecodeError:
            raise UserError(f"Tệp mẫu «{Path(file).name}» phải được lưu với mã UTF-8.") from None
        except OSError as exc:
            raise UserError(f"Không đọc được tệp mẫu «{file}»: {exc.strerror}.") from None
        template, problems = parse_template_text(text, Path(file).name)
        if template is None:
            raise UserError(f"Mẫu «{Path(file).name}» có lỗi, không đóng gói được:", [str(p) for p in problems])
        template_texts.append((template, text))
    source = (profile or {}).get("code") or next(((d.get("unit") or {}).get("code") for d in docs), None)
    return pack_bundle(docs, source_unit=source,
                       source_name=(profile or {}).get("name"), origin=ws.origin, templates=template_texts)


def pack_bundle(docs: list[dict[str, Any]], *, source_unit: str | None, source_name: str | None, origin: str,
                templates: list[tuple[Any, str]] = ()) -> tuple[bytes, dict[str, Any]]:
    """The bundle file for report documents (``report show --json`` form, with uid, revision, origin)."""
    members: dict[str, bytes] = {}
    entries, used = [], set()
    for doc in docs:
        doc = dict(doc, content_hash=content_hash(doc))
        name = f"reports/{doc['uid']}.json"
        members[name] = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
        entries.append({"uid": doc["uid"], "template": doc["template"], "template_version": doc["template_version"],
                        "period": doc["period"], "revision": doc["revision"], "origin": doc["origin"],
                        "content_hash": doc["content_hash"], "member": name})
        used.add((doc["template"], doc["template_version"]))
    carried_templates = []
    for template, text in templates:
        name = f"templates/{template.id}-{template.version}.yaml"
        members[name] = text.encode("utf-8")
        carried_templates.append({"id": template.id, "version": template.version, "member": name})
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "app_version": __version__,
        "bundle_id": uuid.uuid4().hex, "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "source_unit": source_unit, "source_name": source_name,
        "origin": origin, "templates": [{"id": t, "version": v} for t, v in sorted(used)],
        "reports": entries, "carried_templates": carried_templates,
        "members": {name: _sha256(data) for name, data in members.items()},
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue(), manifest


def export_bundle(ws, target: str | Path, report_ids: list[int] | None = None,
                  split_size: int | None = None, template_files: list[Path] | None = None,
                  with_templates: bool = False) -> dict[str, Any]:
    """Write the bundle; with ``split_size`` (bytes) write numbered self-checking parts instead."""
    data, manifest = build_bundle(ws, report_ids, template_files, with_templates)
    if split_size:
        from desktop_app.bundle_parts import split, write_parts

        label = f"{Path(target).stem}" + (f", {manifest['source_name']}" if manifest.get("source_name") else "")
        parts = split(data, manifest["bundle_id"], split_size, label)
        manifest["parts"] = [str(p) for p in write_parts(Path(target), parts)]
    else:
        write_bytes_atomic(target, data)
    return manifest


# --- reading (verify everything first) ---------------------------------------------------

@dataclass
class Bundle:
    name: str
    manifest: dict[str, Any]
    reports: list[dict[str, Any]] = field(default_factory=list)
    templates: list[tuple[Any, str]] = field(default_factory=list)  # (Template, source text)

    @property
    def bundle_id(self) -> str:
        return self.manifest["bundle_id"]


def _safe_member_name(name: str) -> bool:
    if not name or name.startswith(("/", "\\")) or "\\" in name or ":" in name:
        return False
    parts = PurePosixPath(name).parts
    return ".." not in parts and "." not in parts and all(parts)


def read_bundle(path: str | Path, templates) -> Bundle:
    """Open and verify a bundle completely; raise BundleError with a Vietnamese reason."""
    path = Path(path)
    label = f"Tệp «{path.name}»"
    if path.is_dir():
        raise BundleError(f"«{path}» là một thư mục, không phải tệp gói. Hãy chọn các tệp .zip trong thư mục đó.")
    try:
        size = path.stat().st_size
    except OSError:
        raise BundleError(f"Không tìm thấy hoặc không đọc được {label.lower()}.") from None
    if size > MAX_BUNDLE_BYTES:
        raise BundleError(f"{label} quá lớn ({size // (1024 * 1024)} MB) để là một gói báo cáo.")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BundleError(f"Không đọc được {label.lower()}: {exc.strerror}.") from None
    if not zipfile.is_zipfile(io.BytesIO(raw)):
        raise BundleError(f"{label} không phải gói báo cáo BaoCaoXa (không phải tệp zip, hoặc bị cắt cụt).")
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, zlib.error, NotImplementedError, RuntimeError) as exc:
        raise BundleError(f"{label} bị hỏng: {exc}.") from None
    if len(infos) > MAX_MEMBERS:
        raise BundleError(f"{label} có quá nhiều tệp bên trong ({len(infos)}).")
    total = 0
    for info in infos:
        if not _safe_member_name(info.filename):
            raise BundleError(f"{label} chứa đường dẫn không an toàn «{info.filename}» (bị từ chối).")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise BundleError(f"{label} chứa liên kết «{info.filename}» (bị từ chối).")
        if info.file_size > MAX_MEMBER_BYTES:
            raise BundleError(f"{label}: tệp «{info.filename}» bên trong quá lớn.")
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1024 * 1024:
            raise BundleError(f"{label}: tệp «{info.filename}» nén bất thường (nghi «bom zip»), bị từ chối.")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise BundleError(f"{label}: tổng dung lượng giải nén quá lớn.")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise BundleError(f"{label} có hai tệp trùng tên bên trong (bị từ chối).")

    def read(name: str) -> bytes:
        try:
            return archive.read(name)
        except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, zlib.error, NotImplementedError,
                RuntimeError) as exc:  # CRC and deflate errors, unknown compression, encryption
            raise BundleError(f"{label} bị hỏng ở tệp «{name}»: {exc}.") from None

    if MANIFEST not in names:
        raise BundleError(f"{label} thiếu bản kê «{MANIFEST}».")
    try:
        manifest = json.loads(read(MANIFEST).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BundleError(f"{label}: bản kê không đọc được.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError(f"{label} không phải gói báo cáo BaoCaoXa.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BundleError(f"{label} dùng định dạng gói phiên bản {manifest.get('format_version')!r}, chương trình này "
                          f"chỉ đọc được phiên bản {FORMAT_VERSION}. Hãy cập nhật BaoCaoXa.")
    listed = manifest.get("members")
    entries = manifest.get("reports")
    if not isinstance(listed, dict) or not isinstance(entries, list) or not isinstance(manifest.get("bundle_id"), str):
        raise BundleError(f"{label}: bản kê thiếu thông tin bắt buộc.")
    if set(listed) != set(names) - {MANIFEST}:
        raise BundleError(f"{label}: các tệp bên trong không khớp với bản kê (có tệp lạ hoặc thiếu tệp).")
    contents: dict[str, bytes] = {}
    for name, expected in listed.items():
        data = read(name)
        if _sha256(data) != expected:
            raise BundleError(f"{label}: tệp «{name}» không khớp mã kiểm tra SHA-256 (bị sửa hoặc hỏng).")
        contents[name] = data
    bundle = Bundle(path.name, manifest)
    known = _WithExtra(templates)
    for entry in manifest.get("carried_templates") or []:
        if not isinstance(entry, dict) or entry.get("member") not in contents:
            raise BundleError(f"{label}: bản kê ghi một mẫu báo cáo không có trong gói.")
        try:
            text = contents[entry["member"]].decode("utf-8")
        except UnicodeDecodeError:
            raise BundleError(f"{label}: mẫu «{entry['member']}» không đọc được.") from None
        template, problems = parse_template_text(text, entry["member"])
        if template is None:
            raise BundleError(f"{label}: mẫu «{entry['member']}» có lỗi: {problems[0]}")
        bundle.templates.append((template, text))
        known.extra[template.key] = template
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("member") not in contents:
            raise BundleError(f"{label}: bản kê ghi một báo cáo không có trong gói.")
        try:
            doc = json.loads(contents[entry["member"]].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BundleError(f"{label}: báo cáo «{entry['member']}» không đọc được.") from None
        if not isinstance(doc, dict) or doc.get("uid") != entry.get("uid") or doc.get("revision") != entry.get("revision"):
            raise BundleError(f"{label}: bản kê không khớp với báo cáo «{entry['member']}» (bản kê bị sửa?).")
        if content_hash(doc) != entry.get("content_hash") or doc.get("content_hash") != entry.get("content_hash"):
            raise BundleError(f"{label}: nội dung báo cáo «{entry['member']}» không khớp bản kê.")
        if not _revision_ok(doc.get("revision")) or not (doc.get("base_revision") is None
                                                          or _revision_ok(doc["base_revision"])):
            raise BundleError(f"{label}: số lần sửa của báo cáo «{entry['member']}» không hợp lệ.")
        try:
            parsed, _template = parse_document(doc, known)
        except ReportDocumentError as exc:
            raise BundleError(f"{label}: báo cáo «{entry['member']}» không dùng được: {'; '.join(exc.problems[:3])}") from None
        # Kept checked and normalised (NFC, stored value forms): import applies exactly this.
        bundle.reports.append({**doc, **parsed.to_json(), "revision": doc["revision"], "uid": doc["uid"]})
    return bundle


# --- importing ---------------------------------------------------------------------------

@dataclass
class ImportSummary:
    new: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    already_imported: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # bundles still missing parts

    def lines(self) -> list[str]:
        out = [f"Mới: {len(self.new)}; cập nhật: {len(self.updated)}; không đổi: {len(self.unchanged)}; "
               f"xung đột: {len(self.conflicts)}; bị từ chối: {len(self.rejected)}."]
        # What needs the person's attention comes first.
        out += [f"  ✗ từ chối: {x}" for x in self.rejected]
        out += [f"  … chờ đủ phần: {x}" for x in self.waiting]
        out += [f"  ! xung đột (giữ cả hai bản): {x}" for x in self.conflicts]
        out += [f"  + mẫu báo cáo mới: {x}" for x in self.templates]
        out += [f"  + mới: {x}" for x in self.new] + [f"  ~ cập nhật: {x}" for x in self.updated]
        out += [f"  = không đổi: {x}" for x in self.unchanged]
        out += [f"  = đã nhập trước đây, không thay đổi gì: {x}" for x in self.already_imported]
        return out


def _label(ws, doc: dict[str, Any]) -> str:
    from desktop_app.periods import parse_period

    unit = (doc.get("unit") or {}).get("name") or (doc.get("unit") or {}).get("code")
    try:
        template = ws.templates.get(doc["template"], doc.get("template_version"))
        title = template.short_title or template.title
    except LookupError:
        title = doc.get("template")
    return f"{unit} — {title} — {parse_period(doc['period']).label}"


def import_bundles(ws, paths: list[str | Path], progress: Callable[[int, int], None] | None = None) -> ImportSummary:
    """Verify every file, then apply each good bundle in one transaction.

    ``progress(done, total)`` is called as bundles are applied (the UI's progress bar)."""
    from desktop_app.bundle_parts import PartStore, read_part

    summary = ImportSummary()
    good: list[Bundle] = []
    parts = PartStore(ws.data_dir)
    touched: set[str] = set()
    whole: list[Path] = []
    for path in _expand_folders(paths):
        try:
            part = read_part(path)
        except UserError as exc:
            summary.rejected.append(exc.message)
            continue
        if part is None:
            whole.append(path)
        elif ws.store.bundle_imported(part.bundle_id):
            summary.already_imported.append(path.name)
        else:
            parts.keep(part)  # kept in the data folder: the rest may come another day
            touched.add(part.bundle_id)
    for bundle_id in sorted(touched):
        missing, count = parts.missing(bundle_id)
        if missing:
            summary.waiting.append(f"{parts.name(bundle_id)}: đã có {count - len(missing)}/{count} phần, còn thiếu "
                                   f"phần {', '.join(str(i) for i in missing)}")
            continue
        try:
            whole.append(parts.assemble(bundle_id))
        except UserError as exc:
            summary.rejected.append(exc.message)
    steps = 2 * len(whole)  # each bundle is verified, then applied
    for index, path in enumerate(whole, start=1):
        if progress:
            progress(index, steps)
        try:
            good.append(read_bundle(path, ws.templates))
        except BundleError as exc:
            summary.rejected.append(exc.message)
    backed_up = False
    applied_now: set[str] = set()
    for index, bundle in enumerate(good, start=1):
        if progress:
            progress(steps - len(good) + index, steps)
        if bundle.bundle_id in applied_now:
            summary.already_imported.append(f"{bundle.name} (trùng với một tệp khác trong lần nhận này)")
            continue
        if ws.store.bundle_imported(bundle.bundle_id):
            summary.already_imported.append(bundle.name)
            continue
        applied_now.add(bundle.bundle_id)
        _install_templates(ws, bundle, summary)
        plan = _plan(ws, bundle)
        if not backed_up:  # one backup per import, however many bundles it brings
            ws._backup_before_import()
            backed_up = True
        try:
            applied = ws.store.apply_bundle(bundle.bundle_id, bundle.manifest.get("source_unit") or "", plan,
                                            who=ws.who)
        except StoreError as exc:
            summary.rejected.append(f"{bundle.name}: {exc}")
            continue
        if not applied:
            summary.already_imported.append(bundle.name)
            continue
        if bundle.bundle_id in touched:
            parts.forget(bundle.bundle_id)
        for kind, doc, _local in plan:
            getattr(summary, {"new": "new", "update": "updated", "same": "unchanged", "conflict": "conflicts"}[kind]) \
                .append(_label(ws, doc))
    return summary


def _expand_folders(paths: list[str | Path]) -> list[Path]:
    """A folder dropped or named stands for the bundle files (.zip) directly inside it."""
    out: list[Path] = []
    for path in map(Path, paths):
        out += sorted(path.glob("*.zip")) if path.is_dir() else [path]
    return out


def _install_templates(ws, bundle: Bundle, summary: ImportSummary) -> None:
    """New report types from the province: written to the data folder's templates, then loaded."""
    added = False
    for template, text in bundle.templates:
        if template.key in ws.templates.sources:
            continue
        folder = ws.data_dir / "templates"
        folder.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(folder / f"{template.id}-{template.version}.yaml", text.encode("utf-8"))
        summary.templates.append(f"{template.title} (phiên bản {template.version})")
        added = True
    if added:
        ws.templates.reload()


def _revision_ok(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


def decide(local_revision: int, local_sync_base: int | None, same_content: bool, incoming_revision: int,
           incoming_base: int | None) -> str:
    """update/same/conflict for an incoming version of a report we already have.

    ``local_sync_base`` is the revision we last took in from a bundle (None: made here and
    never received); ``incoming_base`` is the revision the sender's version grew from (None:
    an older bundle, or made there from scratch). One side changed → the newer version wins;
    both changed since their common ancestor → conflict, both kept."""
    if same_content:
        return "same"
    if incoming_base is not None and incoming_revision <= incoming_base:
        return "same"  # they changed nothing since the version they took in
    if local_sync_base is not None and local_revision <= local_sync_base:
        # not edited here since we last took a version in: a newer one simply replaces it
        return "update" if incoming_revision > local_revision else "same"
    if incoming_base is not None:
        # edited here (or made here): fine only if their version already grew from ours
        return "update" if local_revision <= incoming_base else "conflict"
    base = local_sync_base if local_sync_base is not None else local_revision
    if incoming_revision <= base:
        return "same"  # older than what we have
    return "update" if local_revision == base else "conflict"


def _plan(ws, bundle: Bundle) -> list[tuple[str, dict[str, Any], Any]]:
    plan = []
    for doc in bundle.reports:  # checked and normalised by read_bundle
        local = ws.store.find_report(uid=doc["uid"])
        if local is None:
            plan.append(("new", doc, None))
            continue
        same = content_hash(ws.document(local.id).to_json()) == doc["content_hash"]
        plan.append((decide(local.revision, local.sync_base, same, doc["revision"], doc.get("base_revision")),
                     doc, local))
    return plan
