"""Reading a bundle: everything is checked before anything is stored.

:func:`open_bundle` checks the file alone (limits, member names, the manifest's schema,
the signature of format 2, every SHA-256, each report's schema, that every report is the
sending unit's own); :func:`check_reports` then checks the reports against the templates
the receiver accepts. Both raise :class:`BundleError` with a Vietnamese reason.
"""

from __future__ import annotations

import hashlib
import io
import json
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from desktop_app.exchange import signing
from desktop_app.exchange.bundle_schema import Manifest, ReportDoc, SchemaError, check, load_json
from desktop_app.errors import UserError
from desktop_app.domain.entities import IncomingReport
from desktop_app.domain.reportdoc import ReportDocumentError, parse_document
from desktop_app.templating.loader import parse_template_text
from desktop_app.domain.text import one_line, terminal_safe

FORMAT = "baocaoxa.bundle"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
MAX_BUNDLE_BYTES = 100 * 1024 * 1024
MAX_MEMBERS = 5000
MAX_MEMBER_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 300 * 1024 * 1024
MAX_RATIO = 100  # uncompressed / compressed: beyond this a member is treated as a zip bomb


MAX_REASON = 1000  # characters: a reason quotes names and errors from the file, never all of them


class BundleError(UserError):
    """The file is not a bundle we can trust; the database was not touched.

    The reason is cut to MAX_REASON characters: it may quote a member name, a JSON key or a
    parser's error, which a hostile file can make megabytes long (summary, window, terminal)."""

    def __init__(self, message: str, details: list[str] | None = None):
        if len(message) > MAX_REASON:
            message = message[:MAX_REASON - 1] + "…"
        super().__init__(message, details)


def content_hash(doc: dict[str, Any]) -> str:
    """SHA-256 of what a report says (not of when or where it was edited)."""
    canonical = {k: doc.get(k) for k in ("template", "template_version", "period", "document", "values")}
    canonical["unit_code"] = (doc.get("unit") or {}).get("code")
    return hashlib.sha256(json.dumps(canonical, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class WithExtra:
    """The installed templates plus those accepted from a bundle (for checking its reports)."""

    def __init__(self, base, extra=()):
        self.base = base
        self.extra = {template.key: template for template in extra}

    def get(self, template_id, version=None):
        if version is not None and (template_id, version) in self.extra:
            return self.extra[(template_id, version)]
        return self.base.get(template_id, version)


@dataclass
class Bundle:
    name: str
    manifest: dict[str, Any]
    # What "already imported" means: SHA-256 of the manifest, which names every member by its own
    # SHA-256 (and nothing else may be in the file), so a genuine bundle copied through a tool
    # that re-zips it is still the same bundle. ``file_digest`` (the whole file) is how bundles
    # were known before; it still recognises those.
    digest: str = ""
    file_digest: str = ""
    signer: Any = None  # bundle_schema.Signer, None for an unsigned (format 1) bundle
    raw_reports: list[dict[str, Any]] = field(default_factory=list)  # schema-checked documents
    reports: list[IncomingReport] = field(default_factory=list)  # checked against templates, typed
    templates: list[tuple[Any, str]] = field(default_factory=list)  # (Template, source text)
    # checked against the installed templates ahead of the import's decisions (bundle_checks):
    # ``reports`` is filled, or ``precheck_error`` says why not
    prechecked: bool = False
    precheck_error: BundleError | None = None
    named: bool = False  # the reports' units carry their official names already (bundle_import.official_unit)

    @property
    def bundle_id(self) -> str:
        return self.manifest["bundle_id"]

    @property
    def source_unit(self) -> str:
        return self.manifest.get("source_unit") or ""

    @property
    def source_label(self) -> str:
        name = one_line(self.manifest.get("source_name") or "")
        return f"{name} ({self.source_unit})" if name else self.source_unit

    @property
    def unsigned(self) -> bool:
        return self.signer is None


def _safe_member_name(name: str) -> bool:
    if not name or name.startswith(("/", "\\")) or "\\" in name or ":" in name:
        return False
    parts = PurePosixPath(name).parts
    return ".." not in parts and "." not in parts and all(parts)


def _read_file(path: Path, label: str) -> bytes:
    if path.is_dir():
        raise BundleError(f"«{path}» là một thư mục, không phải tệp gói. Hãy chọn các tệp .zip trong thư mục đó.")
    try:
        size = path.stat().st_size  # from the filesystem: a huge (or sparse) file is never read
    except OSError:
        raise BundleError(f"Không tìm thấy hoặc không đọc được {label.lower()}.") from None
    if size > MAX_BUNDLE_BYTES:
        raise BundleError(f"{label} quá lớn ({size // (1024 * 1024)} MB) để là một gói báo cáo.")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BundleError(f"Không đọc được {label.lower()}: {exc.strerror}.") from None


def _checked_archive(raw: bytes, label: str) -> tuple[zipfile.ZipFile, list[str]]:
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
        shown = terminal_safe(info.filename)[:120]
        if not _safe_member_name(info.filename):
            raise BundleError(f"{label} chứa đường dẫn không an toàn «{shown}» (bị từ chối).")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise BundleError(f"{label} chứa liên kết «{shown}» (bị từ chối).")
        if info.file_size > MAX_MEMBER_BYTES:
            raise BundleError(f"{label}: tệp «{shown}» bên trong quá lớn.")
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1024 * 1024:
            raise BundleError(f"{label}: tệp «{shown}» nén bất thường (nghi «bom zip»), bị từ chối.")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise BundleError(f"{label}: tổng dung lượng giải nén quá lớn.")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise BundleError(f"{label} có hai tệp trùng tên bên trong (bị từ chối).")
    return archive, names


def _member_reader(archive: zipfile.ZipFile, label: str):
    def read(name: str) -> bytes:
        try:
            with archive.open(name) as member:
                data = member.read(MAX_MEMBER_BYTES + 1)  # never more than the limit, whatever the header says
        except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, zlib.error, NotImplementedError,
                RuntimeError) as exc:  # CRC and deflate errors, unknown compression, encryption
            raise BundleError(f"{label} bị hỏng ở tệp «{name}»: {exc}.") from None
        if len(data) > MAX_MEMBER_BYTES:
            raise BundleError(f"{label}: tệp «{name}» bên trong quá lớn.")
        return data
    return read


def _manifest(raw: bytes, label: str) -> Manifest:
    try:
        loose = load_json(raw)
    except SchemaError:
        raise BundleError(f"{label}: bản kê không đọc được.") from None
    if not isinstance(loose, dict) or loose.get("format") != FORMAT:
        raise BundleError(f"{label} không phải gói báo cáo BaoCaoXa.")
    if loose.get("format_version") not in READABLE_VERSIONS:
        shown = terminal_safe(repr(loose.get("format_version")))[:40]
        raise BundleError(f"{label} dùng định dạng gói phiên bản {shown}, chương trình này chỉ đọc được phiên bản "
                          f"{', '.join(map(str, READABLE_VERSIONS))}. Hãy cập nhật BaoCaoXa.")
    try:
        return check(Manifest, loose)
    except SchemaError as exc:
        raise BundleError(f"{label}: bản kê không hợp lệ — {exc}.") from None


def signed_sender(path: str | Path, *, verify: bool = True) -> tuple[str, str] | None:
    """(source unit, public key) of a file whose manifest signature checks, read cheaply (the
    manifest and its signature only); None for anything else: the full check decides later.
    With ``verify=False`` what the manifest claims, signature unchecked (a first sorting pass)."""
    try:
        if Path(path).stat().st_size > MAX_BUNDLE_BYTES:
            return None
        with zipfile.ZipFile(path) as archive:
            return claimed_sender(archive, verify=verify)
    except Exception:  # noqa: BLE001 - any unreadable file: open_bundle says why, later
        return None


def claimed_sender(archive: zipfile.ZipFile, *, verify: bool = True) -> tuple[str, str] | None:
    """:func:`signed_sender` of an archive already open (a file no larger than a bundle may be)."""
    try:
        with archive.open(MANIFEST) as member:
            manifest_bytes = member.read(MAX_MEMBER_BYTES + 1)
        with archive.open(SIGNATURE) as member:
            signature = member.read(1024).decode("ascii", errors="replace").strip()
        loose = load_json(manifest_bytes)
        unit, public_key = loose.get("source_unit"), (loose.get("signer") or {}).get("public_key")
        if len(manifest_bytes) > MAX_MEMBER_BYTES or not isinstance(unit, str) or \
                not signing.valid_public_key(public_key) or \
                (verify and not signing.verify(public_key, signature, manifest_bytes)):
            return None
        return unit, public_key
    except Exception:  # noqa: BLE001 - any unreadable file: open_bundle says why, later
        return None


def open_bundle(path: str | Path) -> Bundle:
    """Check a bundle file on its own (no template, no database); raise BundleError."""
    path = Path(path)
    label = f"Tệp «{terminal_safe(path.name)}»"
    raw = _read_file(path, label)
    archive, names = _checked_archive(raw, label)
    read = _member_reader(archive, label)
    if MANIFEST not in names:
        raise BundleError(f"{label} thiếu bản kê «{MANIFEST}».")
    manifest_bytes = read(MANIFEST)
    manifest = _manifest(manifest_bytes, label)
    signer = None
    if manifest.format_version >= 2:
        if manifest.signer is None or not manifest.source_unit or SIGNATURE not in names:
            raise BundleError(f"{label}: gói định dạng 2 phải có chữ ký, khóa công khai và mã đơn vị gửi.")
        signature = read(SIGNATURE).decode("ascii", errors="replace").strip()
        if signing.fingerprint(manifest.signer.public_key) != manifest.signer.fingerprint or \
                not signing.verify(manifest.signer.public_key, signature, manifest_bytes):
            raise BundleError(f"{label}: chữ ký không hợp lệ — bản kê đã bị sửa sau khi ký, hoặc gói bị giả.")
        signer = manifest.signer
    expected_members = set(names) - {MANIFEST, SIGNATURE if signer else MANIFEST}
    if set(manifest.members) != expected_members:
        raise BundleError(f"{label}: các tệp bên trong không khớp với bản kê (có tệp lạ hoặc thiếu tệp).")
    contents: dict[str, bytes] = {}
    for name, expected in manifest.members.items():
        data = read(name)
        if _sha256(data) != expected:
            raise BundleError(f"{label}: tệp «{name}» không khớp mã kiểm tra SHA-256 (bị sửa hoặc hỏng).")
        contents[name] = data
    bundle = Bundle(path.name, manifest.model_dump(), digest=_sha256(manifest_bytes), file_digest=_sha256(raw),
                    signer=signer)
    _read_templates(bundle, manifest, contents, label)
    _read_reports(bundle, manifest, contents, label)
    return bundle


def _read_templates(bundle: Bundle, manifest: Manifest, contents: dict[str, bytes], label: str) -> None:
    for entry in manifest.carried_templates:
        if entry.member not in contents:
            raise BundleError(f"{label}: bản kê ghi một mẫu báo cáo không có trong gói.")
        try:
            text = contents[entry.member].decode("utf-8")
        except UnicodeDecodeError:
            raise BundleError(f"{label}: mẫu «{entry.member}» không đọc được.") from None
        template, problems = parse_template_text(text, entry.member)
        if template is None:
            raise BundleError(f"{label}: mẫu «{entry.member}» có lỗi: {problems[0]}")
        if (template.id, template.version) != (entry.id, entry.version):
            raise BundleError(f"{label}: mẫu «{entry.member}» không khớp bản kê (mã hoặc phiên bản khác).")
        bundle.templates.append((template, text))


def _read_reports(bundle: Bundle, manifest: Manifest, contents: dict[str, bytes], label: str) -> None:
    units = set()
    uids = [entry.uid for entry in manifest.reports]
    if len(set(uids)) != len(uids):
        # two versions of one report in one bundle: the second would be decided against the first
        raise BundleError(f"{label}: bản kê ghi một báo cáo hai lần (trùng mã báo cáo), gói không được nhập.")
    for entry in manifest.reports:
        if entry.member not in contents:
            raise BundleError(f"{label}: bản kê ghi một báo cáo không có trong gói.")
        try:
            doc = load_json(contents[entry.member])
            check(ReportDoc, doc)  # the document itself is kept as sent: its content hash is of that
        except SchemaError as exc:
            raise BundleError(f"{label}: báo cáo «{entry.member}» không hợp lệ — {exc}.") from None
        if (doc["uid"], doc["revision"], doc["template"], doc["template_version"], doc["period"]) != (
                entry.uid, entry.revision, entry.template, entry.template_version, entry.period):
            raise BundleError(f"{label}: bản kê không khớp với báo cáo «{entry.member}» (bản kê bị sửa?).")
        if content_hash(doc) != entry.content_hash or doc["content_hash"] != entry.content_hash:
            raise BundleError(f"{label}: nội dung báo cáo «{entry.member}» không khớp bản kê.")
        units.add(doc["unit"]["code"])
        bundle.raw_reports.append(doc)
    source = manifest.source_unit
    if source is None and len(units) == 1 and manifest.format_version == 1:
        bundle.manifest["source_unit"] = source = next(iter(units))
    foreign = sorted(units - {source})
    if foreign:
        # A sender speaks only for itself: a report in another unit's name refuses the bundle.
        raise BundleError(f"{label}: gói của đơn vị {bundle.source_label or '(không rõ)'} mang báo cáo của đơn vị "
                          f"khác ({', '.join(foreign)}). Mỗi đơn vị chỉ được gửi báo cáo của chính mình.")


def check_reports(bundle: Bundle, templates) -> Bundle:
    """Each report against the templates the receiver accepts (installed plus those it takes in)."""
    label = f"Tệp «{terminal_safe(bundle.name)}»"
    bundle.reports = []
    for doc in bundle.raw_reports:
        try:
            parsed, _template = parse_document(doc, templates)
        except ReportDocumentError as exc:
            raise BundleError(f"{label}: báo cáo «{doc['uid']}» không dùng được: "
                              f"{'; '.join(exc.problems[:3])}") from None
        except UserError as exc:  # text that cannot be stored
            raise BundleError(f"{label}: báo cáo «{doc['uid']}»: {exc.message}") from None
        # Kept checked and normalised (clean text, stored value forms): import applies exactly this.
        parsed.uid, parsed.revision = doc["uid"], doc["revision"]
        bundle.reports.append(IncomingReport(parsed, doc["content_hash"], doc.get("base_revision")))
    return bundle


def read_bundle(path: str | Path, templates) -> Bundle:
    """Open and verify completely, the carried templates counting (``bundle verify``)."""
    bundle = open_bundle(path)
    return check_reports(bundle, WithExtra(templates, [t for t, _text in bundle.templates]))
