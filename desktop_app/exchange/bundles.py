"""Sync bundles: one zip file that carries reports from a commune to the compiling office.

Format 2 (docs/bundles.md): ``manifest.json`` (format version, app version, bundle id,
source unit, creation time, templates, the reports with their revisions and content
hashes, a SHA-256 for every member, and the signer's public key and fingerprint),
``manifest.sig`` (the installation's Ed25519 signature of the manifest's exact bytes) and
``reports/<uid>.json`` in the report JSON form. Reading is in :mod:`bundle_reader`,
importing in :mod:`bundle_import`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from desktop_app import __version__
from desktop_app.atomic import write_bytes_atomic
from desktop_app.exchange.bundle_reader import (  # noqa: F401 - the bundle API in one place
    FORMAT, FORMAT_VERSION, MANIFEST, MAX_BUNDLE_BYTES, MAX_MEMBER_BYTES, MAX_MEMBERS, MAX_RATIO, MAX_TOTAL_BYTES,
    SIGNATURE, Bundle, BundleError, content_hash, open_bundle, read_bundle,
)
from desktop_app.errors import UserError
from desktop_app.templating.loader import parse_template_text


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- writing ---------------------------------------------------------------------------

def build_bundle(ws, report_ids: list[int] | None = None, template_files: list[Path] | None = None,
                 with_templates: bool = False) -> tuple[bytes, dict[str, Any]]:
    """Reports (all of the unit's by default) and, optionally, template files to hand out."""
    profile = ws.profile()
    if profile is None:
        raise UserError("Chưa khai báo đơn vị: gói mang tên và chữ ký của đơn vị gửi. Hãy khai báo đơn vị trước.")
    if report_ids is None and template_files:
        report_ids = []
    elif report_ids is None:
        # The unit's own reports: a bundle speaks only for the unit that signs it.
        report_ids = [r.id for r in ws.store.list_reports() if r.unit_code == profile.code]
    if not report_ids and not template_files:
        raise UserError("Không có báo cáo nào để gửi.")
    docs = []
    for report_id in report_ids:
        record = ws.store.get_report(report_id)
        if record is not None and record.unit_code != profile.code:
            raise UserError(f"Báo cáo số {report_id} là của {record.unit.name or record.unit_code}, không phải "
                            "của đơn vị này: mỗi gói chỉ mang báo cáo của chính đơn vị gửi.")
        report = ws._record(report_id)  # refuses a deleted or missing one
        doc = report.to_json()  # the wire form starts here
        doc["unit"] = _portable_unit(doc["unit"])
        # The revision this version grew from (set when it came in a bundle): lets the receiver
        # tell "edited there only" from "edited on both sides".
        doc["base_revision"] = report.sync_base
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
    return pack_bundle(docs, source_unit=profile.code, source_name=profile.name or None, origin=ws.origin,
                       templates=template_texts, key=ws.signing_key())


def _portable_unit(unit: dict[str, Any]) -> dict[str, Any]:
    """A commune's unit as bundles carried it before roles existed: older receivers, whose
    bundle check refuses unknown keys, still read it."""
    return {k: v for k, v in unit.items() if not (k == "role" and v in ("commune", "", None))
            and not (k == "body_name" and not v)}


def pack_bundle(docs: list[dict[str, Any]], *, source_unit: str | None, source_name: str | None, origin: str,
                templates: Sequence[tuple[Any, str]] = (), key=None) -> tuple[bytes, dict[str, Any]]:
    """The bundle file for report documents (``report show --json`` form, with uid, revision, origin).

    With ``key`` (a :class:`desktop_app.exchange.signing.SigningKey`) a signed format-2 bundle; without,
    an unsigned format-1 bundle (what older installations wrote; kept for tests of that)."""
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
        "format": FORMAT, "format_version": FORMAT_VERSION if key is not None else 1, "app_version": __version__,
        "bundle_id": uuid.uuid4().hex, "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "source_unit": source_unit, "source_name": source_name,
        "origin": origin, "templates": [{"id": t, "version": v} for t, v in sorted(used)],
        "reports": entries, "carried_templates": carried_templates,
        "members": {name: _sha256(data) for name, data in members.items()},
    }
    if key is not None:
        manifest["signer"] = {"public_key": key.public_key, "fingerprint": key.fingerprint}
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MANIFEST, manifest_bytes)
        if key is not None:
            archive.writestr(SIGNATURE, key.sign(manifest_bytes))
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue(), manifest


def export_bundle(ws, target: str | Path, report_ids: list[int] | None = None,
                  split_size: int | None = None, template_files: list[Path] | None = None,
                  with_templates: bool = False) -> dict[str, Any]:
    """Write the bundle; with ``split_size`` (bytes) write numbered self-checking parts instead."""
    data, manifest = build_bundle(ws, report_ids, template_files, with_templates)
    if split_size:
        from desktop_app.exchange.bundle_parts import split, write_parts

        label = f"{Path(target).stem}" + (f", {manifest['source_name']}" if manifest.get("source_name") else "")
        parts = split(data, manifest["bundle_id"], split_size, label)
        manifest["parts"] = [str(p) for p in write_parts(Path(target), parts)]
    else:
        write_bytes_atomic(target, data)
    return manifest


def __getattr__(name: str):
    # ImportSummary lives with the import (bundle_import); kept reachable here for callers.
    if name == "ImportSummary":
        from desktop_app.exchange.bundle_import import ImportSummary

        return ImportSummary
    raise AttributeError(name)


def import_bundles(ws, paths, progress=None, *, allow_unsigned: bool | None = None):
    from desktop_app.exchange.bundle_import import import_bundles as run

    return run(ws, paths, progress, allow_unsigned=allow_unsigned)


def decide(*args, **kwargs):
    from desktop_app.exchange.bundle_import import decide as run

    return run(*args, **kwargs)
