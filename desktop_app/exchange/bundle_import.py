"""Importing bundles: who sent it, what of it to trust, and applying it atomically.

Each file of a batch succeeds or fails on its own (one bad file never blocks the others).
For each bundle: the file is checked whole (:mod:`bundle_reader`); the signing key is
checked against the registry of the unit's keys (a first bundle registers its sender, a
bundle signed by another key is held aside for a decision, an unsigned one is refused
unless the office allows them); carried templates are taken only from the office above;
the reports are checked against the templates accepted; then every decision (new, update,
unchanged, conflict) is taken and applied inside one write transaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import shutil
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from collections.abc import Set as AbstractSet
from typing import Any, Callable

from db.bulk_apply import BundleWrite
from db.engine import StoreError
from db.store import GroupLost
from desktop_app.atomic import write_bytes_atomic
from desktop_app.support.logs import log
from desktop_app.exchange.bundle_checks import CheckedChunks
from desktop_app.exchange.bundle_reader import Bundle, BundleError, WithExtra, check_reports, content_hash, open_bundle
from desktop_app.domain.entities import IncomingReport, Report, UnitProfile
from desktop_app.errors import UserError
from desktop_app.domain.text import one_line, terminal_safe

ERROR_LOG = "loi-nhap-goi.log"  # in the data folder: what an unexpected error in one file was

ALLOW_UNSIGNED = "allow_unsigned_bundles"  # setting: format-1 (unsigned) bundles are let in, marked "chưa ký"
UNSIGNED_MARK = "chưa ký"
KEY_CHANGED = "khóa khác: máy mới hay giả mạo?"
MAX_HELD_BYTES = 2 * 1024 * 1024 * 1024  # every bundle held aside, in the data folder's held/
GROUP_BUNDLES = 250  # bundles per commit of a bulk import (each one still all or nothing)
CHUNK_BUNDLES = 100  # bundles checked, then applied together: what is held in memory at once
CHUNK_BYTES = 2 * 1024 * 1024  # ... and at most this much of their files (a file bigger is a chunk alone)


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
    held: list[str] = field(default_factory=list)  # another key for a known unit: kept, not applied
    new_senders: list[str] = field(default_factory=list)  # first contact: fingerprint to confirm
    unsigned: list[str] = field(default_factory=list)  # reports taken in from unsigned bundles
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"Mới: {len(self.new)}; cập nhật: {len(self.updated)}; không đổi: {len(self.unchanged)}; "
               f"xung đột: {len(self.conflicts)}; bị từ chối: {len(self.rejected)}"
               + (f"; giữ lại chờ quyết định: {len(self.held)}" if self.held else "") + "."]
        # What needs the person's attention comes first.
        out += [f"  ✗ từ chối: {x}" for x in self.rejected]
        out += [f"  ⚠ giữ lại chờ quyết định: {x}" for x in self.held]
        out += [f"  … chờ đủ phần: {x}" for x in self.waiting]
        out += [f"  ! xung đột (giữ cả hai bản): {x}" for x in self.conflicts]
        out += [f"  ★ đơn vị gửi mới: {x}" for x in self.new_senders]
        out += [f"  ! {UNSIGNED_MARK}: {x}" for x in self.unsigned]
        out += [f"  ! {x}" for x in self.notes]
        out += [f"  + mẫu báo cáo mới: {x}" for x in self.templates]
        out += [f"  + mới: {x}" for x in self.new] + [f"  ~ cập nhật: {x}" for x in self.updated]
        out += [f"  = không đổi: {x}" for x in self.unchanged]
        out += [f"  = đã nhập trước đây, không thay đổi gì: {x}" for x in self.already_imported]
        return out

    @property
    def needs_attention(self) -> bool:
        return bool(self.rejected or self.held)


def _label(ws, report: Report) -> str:
    unit = one_line(report.unit.name) or report.unit.code
    return terminal_safe(f"{unit} — {ws._title_of(report)} — {report.period.label}")


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
        # not edited here since we last took a version in: a newer one simply replaces it; the
        # same revision with other content (a sender that restored a backup) is a conflict
        if incoming_revision == local_revision:
            return "conflict"
        return "update" if incoming_revision > local_revision else "same"
    if incoming_base is not None:
        # edited here (or made here): fine only if their version already grew from ours
        return "update" if local_revision <= incoming_base else "conflict"
    if local_sync_base is None:
        return "conflict"  # made here, and theirs says nothing of ours: never a silent overwrite
    if incoming_revision <= local_sync_base:
        return "same"  # older than what we have
    return "conflict"  # edited here since the version we took in, and theirs is newer


def _decider(ws) -> Callable:
    """The decision for one report, called by the store inside the write transaction."""
    def decide_one(local: Report | None, incoming: IncomingReport) -> str:
        if local is None:
            return "new"
        # a draft finalised since (status is not part of the content hash) is news, not "unchanged"
        same = (content_hash({**local.to_json(), "unit": {"code": local.unit_code}}) == incoming.content_hash
                and local.status == (incoming.report.status or local.status))
        kind = decide(local.revision, local.sync_base, same, incoming.report.revision, incoming.base_revision)
        if local.deleted_at is not None and kind == "update":
            return "conflict"  # deleted here, sent again: the person chooses (restore it, or keep it deleted)
        return kind
    return decide_one


# --- what a unit is called --------------------------------------------------------------------

_OFFICIAL = ("name", "short_name", "kind", "level", "province_code", "province_name", "district_code",
             "district_name")


def official_unit(unit: UnitProfile, cache: dict) -> UnitProfile:
    """The sender's unit with its names from the official list when its code is there: a signed
    sender speaks for its own figures, not for what its unit is called (a commune naming itself
    after another would otherwise appear under that name in the consolidation)."""
    from desktop_app.domain import units

    scheme = unit.scheme or None
    key = (unit.code, scheme)
    if key not in cache:
        cache[key] = None
        tries = [scheme] if scheme in (units.CURRENT, units.LEGACY) else [units.CURRENT, units.LEGACY]
        for name in tries:
            try:
                cache[key] = units.find(unit.code, name).as_profile()
                break
            except units.UnitNotFound:
                continue
    found = cache[key]
    if found is None:
        return unit
    return unit.with_changes(**{k: getattr(found, k) for k in _OFFICIAL}, scheme=found.scheme)


def _with_official_names(bundle: Bundle, cache: dict) -> None:
    """The bundle's checked reports with their units' official names (pure: a worker may do it)."""
    bundle.reports = [replace(item, report=replace(item.report, unit=official_unit(item.report.unit, cache)))
                      for item in bundle.reports]
    bundle.named = True


# --- whom to trust -------------------------------------------------------------------------

def units_above(ws) -> set[str]:
    """The offices this installation reports to (the province; the district before July 2025)."""
    profile = ws.profile() or UnitProfile()
    return {c for c in (profile.province_code, profile.district_code) if c} - {profile.code}


def _sender_verdict(ws, bundle: Bundle, allow_unsigned: bool, profile: UnitProfile, contested: AbstractSet[str],
                    *, registry, above: AbstractSet[str]) -> tuple[str, str]:
    """ok | new | held, with why a held bundle is held (shown to the person); raises BundleError.

    ``registry`` answers sender_keys / sender_keys_by_public_key (the chunk's :class:`_Known`);
    ``above``: units_above(ws)."""
    name = terminal_safe(bundle.name)
    if bundle.unsigned:
        if not allow_unsigned:
            raise BundleError(
                f"Tệp «{name}» là gói chưa ký (định dạng 1, từ phiên bản BaoCaoXa cũ): không chứng minh được ai "
                "đã gửi nên không nhập. Đề nghị đơn vị gửi cập nhật BaoCaoXa và gửi lại; nếu vẫn cần nhận, bật "
                "«nhận gói chưa ký» (lệnh «baocaoxa senders allow-unsigned yes» hoặc «bundle import "
                "--allow-unsigned»).")
        signs = any(k.status == "trusted" for k in registry.sender_keys(bundle.source_unit))
        if signs or bundle.source_unit == profile.code:
            # allowing old versions must not let an unsigned file bypass a unit's registered key
            raise BundleError(
                f"Tệp «{name}» là gói chưa ký nhưng nhận là của đơn vị {bundle.source_label}, "
                f"{'là chính đơn vị này' if not signs else 'đơn vị đã gửi gói có chữ ký'}: không nhập. Gói của đơn "
                "vị này phải có chữ ký của khóa đã đăng ký.")
        return "ok", ""
    public_key, fp = bundle.signer.public_key, bundle.signer.fingerprint
    own_code = profile.code or None
    if public_key == ws.signing_key().public_key:
        if bundle.source_unit == own_code:
            return "ok", ""  # our own bundle coming back
        return "held", f"gói ký bằng khóa của chính máy này ({fp}) nhưng nhận là của đơn vị {bundle.source_unit}"
    keys = registry.sender_keys(bundle.source_unit)
    same = next((k for k in keys if k.public_key == public_key), None)
    if same is not None and same.status == "trusted":
        return "ok", ""
    if same is not None and same.status == "rejected":
        raise BundleError(f"Tệp «{name}»: khóa ký (dấu khóa {same.fingerprint}) đã bị từ chối cho đơn vị "
                          f"{bundle.source_label}; gói không được nhập.")
    elsewhere = sorted({k.unit_code for k in registry.sender_keys_by_public_key(public_key)} - {bundle.source_unit})
    if elsewhere:
        # One installation speaks for one unit: a known key claiming another unit is a person's decision.
        return "held", (f"{KEY_CHANGED} Khóa ký {fp} đã đăng ký cho đơn vị {', '.join(elsewhere)}, không phải cho "
                        f"đơn vị {bundle.source_unit}")
    trusted = [k for k in keys if k.status == "trusted"]
    if keys:
        registered = trusted[0] if trusted else same or keys[-1]
        return "held", f"{KEY_CHANGED} Đã đăng ký khóa {registered.fingerprint}, gói này ký bằng khóa {fp}"
    if bundle.source_unit == own_code or bundle.source_unit in above:
        # Our own unit and the offices above are never learnt from whoever comes first: a sibling
        # commune could otherwise pose as the province (and hand out templates) or as ourselves.
        whose = "chính đơn vị này" if bundle.source_unit == own_code else "cơ quan cấp trên"
        return "held", (f"chưa có khóa nào đăng ký cho {whose} ({bundle.source_unit}): khóa của {whose} không được tin "
                        f"chỉ vì gói đến đầu tiên. Dấu khóa của gói: {fp}")
    if bundle.source_unit in contested:
        # Two keys claim one new unit in one batch: whichever file comes first must not win.
        return "held", (f"{KEY_CHANGED} Trong lần nhận này có gói của hai khóa khác nhau cùng nhận là đơn vị mới "
                        f"{bundle.source_unit}: không khóa nào được tin tự động. Dấu khóa của gói này: {fp}")
    return "new", ""


def contested_first_contacts(ws, paths: list[Path], claimed: dict) -> set[str]:
    """Units with no registered key that two different keys claim within one batch.

    ``claimed``: what the files' manifests claim (unchecked), read while taking the parts; a file
    assembled from parts is read here."""
    from desktop_app.exchange.bundle_reader import signed_sender

    claims: dict[str, dict[str, list[Path]]] = {}  # unit → claimed key → files
    for path in paths:
        found = claimed[path] if path in claimed else signed_sender(path, verify=False)
        if found is not None:
            claims.setdefault(found[0], {}).setdefault(found[1], []).append(path)
    contested = set()
    for unit, keys in claims.items():
        if len(keys) > 1:  # only then do the signatures matter: a forged file claims nothing
            genuine = {key for key, files in keys.items() if any(signed_sender(p) is not None for p in files)}
            if len(genuine) > 1 and not ws.store.sender_keys(unit):
                contested.add(unit)
    return contested


def _templates_to_accept(ws, bundle: Bundle, verdict: str, summary: ImportSummary, *,
                         above: AbstractSet[str]) -> list[tuple[Any, str]]:
    """Carried templates: taken only from the office above, and never one that differs from an
    installed template of the same id and version."""
    name = terminal_safe(bundle.name)
    accepted: list[tuple[Any, str]] = []
    if not bundle.templates:
        return accepted
    from_above = not bundle.unsigned and bundle.source_unit in above
    for template, text in bundle.templates:
        installed = ws.templates.sources.get(template.key)
        if installed is not None:
            try:
                same = Path(installed).read_text(encoding="utf-8") == text
            except OSError:
                same = False
            if not same:
                raise BundleError(
                    f"Tệp «{name}» mang mẫu «{template.id}» phiên bản {template.version} khác với mẫu cùng mã và "
                    "phiên bản đã cài ở đây: một phiên bản mẫu không bao giờ được thay nội dung. Gói không được nhập.")
            continue
        if from_above:
            accepted.append((template, text))
        else:
            summary.notes.append(
                f"{name}: bỏ qua mẫu «{terminal_safe(template.id)}» phiên bản {terminal_safe(template.version)} gửi "
                "kèm — chỉ nhận mẫu báo cáo có chữ ký của cơ quan cấp trên.")
    return accepted


def _install_templates(ws, templates: list[tuple[Any, str]], summary: ImportSummary) -> None:
    """New report types from the office above: written to the data folder's templates, then loaded."""
    if not templates:
        return
    folder = ws.data_dir / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    for template, text in templates:
        write_bytes_atomic(folder / f"{template.id}-{template.version}.yaml", text.encode("utf-8"))
        summary.templates.append(terminal_safe(f"{template.title} (phiên bản {template.version})"))
    ws.templates.reload()


def _hold(ws, bundle: Bundle, path: Path, why: str, summary: ImportSummary) -> None:
    folder = ws.data_dir / "held"
    folder.mkdir(parents=True, exist_ok=True)
    kept_as = f"{bundle.digest}.zip"
    if not (folder / kept_as).exists():
        # any key can sign, so held copies are bounded: a stick of signed files must not fill the disk
        if sum(p.stat().st_size for p in folder.glob("*.zip")) + path.stat().st_size > MAX_HELD_BYTES:
            raise BundleError(f"Tệp «{terminal_safe(bundle.name)}» ({bundle.source_label}): {why}. Nhưng đã có quá "
                              "nhiều gói đang giữ lại chờ quyết định nên tệp này không được giữ; hãy quyết định các "
                              "gói đang chờ («baocaoxa senders list») rồi nhận lại tệp này.")
        shutil.copyfile(path, folder / kept_as)
    unit_name = one_line(bundle.manifest.get("source_name") or "")[:200]
    ws.store.hold_bundle(digest=bundle.digest, bundle_id=bundle.bundle_id, file_name=path.name[:255],
                         kept_as=kept_as, unit_code=bundle.source_unit, unit_name=unit_name,
                         public_key=bundle.signer.public_key, fingerprint=bundle.signer.fingerprint)
    held = next((h for h in ws.store.held_bundles() if h.digest == bundle.digest), None)
    if held is None:  # this very file was held before and has been decided on since
        raise BundleError(f"Tệp «{terminal_safe(bundle.name)}» đã được giữ lại và quyết định trước đây; "
                          "không nhập lại.")
    summary.held.append(
        f"{terminal_safe(bundle.name)} — {bundle.source_label}: {why}. Gọi điện cho đơn vị để đối chiếu dấu khóa, rồi "
        f"chọn «baocaoxa senders accept {held.id}» (nhận khóa này) hoặc «baocaoxa senders reject {held.id}» (từ "
        "chối); gói được giữ lại, chưa nhập.")


# --- the batch -------------------------------------------------------------------------------

@dataclass
class _Batch:
    ws: Any
    summary: ImportSummary
    allow_unsigned: bool
    backed_up: bool = False
    applied_now: set = field(default_factory=set)
    profile: UnitProfile = field(default_factory=UnitProfile)
    contested: set = field(default_factory=set)  # new units claimed by two keys in this batch
    above: set = field(default_factory=set)  # units_above(ws), read once
    names: dict = field(default_factory=dict)  # official unit names, looked up once per unit
    announced: set = field(default_factory=set)  # (unit, public key) of the first-contact senders shown
    templates_changed: bool = False  # new report types installed during this import


def import_bundles(ws, paths: list[str | Path], progress: Callable[[int, int], None] | None = None, *,
                   allow_unsigned: bool | None = None) -> ImportSummary:
    """Verify and apply each file on its own; ``progress(done, total)`` moves the UI's bar.

    ``allow_unsigned`` (default: the ``allow_unsigned_bundles`` setting) lets format-1 bundles in.
    The files are taken CHUNK_BUNDLES at a time: each is checked on its own, then the chunk's
    good bundles are applied together (Store.apply_bundles), each still all or nothing."""
    from desktop_app.exchange.bundle_parts import PartStore

    summary = ImportSummary()
    if allow_unsigned is None:
        allow_unsigned = bool(ws.setting(ALLOW_UNSIGNED, False))
    batch = _Batch(ws, summary, allow_unsigned, profile=ws.profile() or UnitProfile())
    batch.above = units_above(ws)
    parts = PartStore(ws.data_dir)
    whole: list[tuple[Path, str | None]] = []  # (file, key of the parts it was assembled from)
    touched: list[str] = []
    claims: dict[Path, tuple[str, str] | None] = {}  # what each whole file's manifest claims, unchecked
    for path in _expand_folders(paths):
        # each lambda runs at once, inside _guarded, so binding the loop variable late is safe
        _guarded(ws, path.name, summary,
                 lambda: _take_part(ws, parts, path, whole, touched, summary, claims))  # noqa: B023
    for key in touched:
        _guarded(ws, parts.name(key), summary, lambda: _assemble(parts, key, whole, summary))  # noqa: B023
    steps = 2 * len(whole)  # each bundle is verified, then applied
    # chunks of at most CHUNK_BUNDLES that add up to a group: a commit every GROUP_BUNDLES or so
    per_group = -(-max(1, GROUP_BUNDLES) // max(1, CHUNK_BUNDLES))
    size = -(-max(1, GROUP_BUNDLES) // per_group)
    chunks = _chunks(whole, size)
    # many files: worker processes check the next chunks while this one is applied
    checked = CheckedChunks([[path for path, _key in chunk] for chunk in chunks], ws.templates, open_bundle, _opened,
                            functools.partial(_with_official_names, cache={}))
    try:
        batch.contested = contested_first_contacts(ws, [path for path, _key in whole], claims)
        # Few commits for many bundles, each bundle still all or nothing (see Store.grouped).
        with ws.store.grouped(size=GROUP_BUNDLES):
            start = 0
            for chunk, opened in zip(chunks, checked):
                if progress:
                    for offset in range(len(chunk)):
                        progress(2 * start + offset + 1, steps)
                _import_chunk(batch, [path for path, _key in chunk], opened)
                for _path, part_key in chunk:
                    if part_key is not None:
                        # whole, and taken in, held or refused: its kept parts go once that is committed
                        ws.store.after_commit(lambda key=part_key: _forget_parts(parts, key))
                if progress:  # the chunk's bundles are applied (or refused): the other half of their steps
                    for offset in range(len(chunk)):
                        progress(2 * start + len(chunk) + offset + 1, steps)
                start += len(chunk)
                del opened  # not held while the next chunk is opened
    except StoreError as exc:
        summary.rejected.append(terminal_safe(
            f"{exc} Các gói nhận sau lần ghi thành công cuối cùng chưa được lưu; hãy nhận lại các tệp này "
            "(những gói đã lưu sẽ được bỏ qua)."))
    finally:
        checked.close()
    return summary


def _forget_parts(parts, key: str) -> None:
    """Remove a bundle's kept parts once it is committed; a part left behind (locked by another
    program, no permission) only waits there: its bundle is known, so it changes nothing."""
    try:
        parts.forget(key)
    except OSError as exc:
        log.warning("kept parts of a committed bundle not removed: %s", type(exc).__name__)


def _chunks(whole: list[tuple[Path, str | None]], size: int) -> list[list[tuple[Path, str | None]]]:
    """At most ``size`` files and CHUNK_BYTES of them a chunk: bundles of many reports (up to the
    bundle limits) are not all held at once."""
    chunks: list[list[tuple[Path, str | None]]] = []
    current: list[tuple[Path, str | None]] = []
    held = 0
    for item in whole:
        try:
            length = item[0].stat().st_size
        except OSError:
            length = 0  # gone or unreadable: said in its turn
        if current and (len(current) >= size or held + length > CHUNK_BYTES):
            chunks.append(current)
            current, held = [], 0
        current.append(item)
        held += length
    if current:
        chunks.append(current)
    return chunks


def _opened(path: Path) -> Bundle | BaseException:
    """The file checked on its own (no database), or why not: raised again in its turn."""
    try:
        return open_bundle(path)
    except Exception as exc:  # noqa: BLE001 - reported by _guarded when this file's turn comes
        return exc


def _log_unexpected(ws, name: str) -> str:
    """The traceback, appended to the data folder's error log (a person sees a sentence)."""
    path = ws.data_dir / ERROR_LOG
    try:
        with open(path, "a", encoding="utf-8", errors="replace") as log:
            log.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')} {name!r}\n{traceback.format_exc()}\n")
    except OSError:
        return ""
    return f" Chi tiết cho cán bộ hỗ trợ: {path}."


def _guarded(ws, name: str, summary: ImportSummary, work: Callable[[], Any]) -> Any:
    """One file's work: its own failure becomes its own "rejected", whatever went wrong."""
    try:
        return work()
    except GroupLost:
        raise  # not this file's failure: the import stops (see import_bundles)
    except UserError as exc:
        summary.rejected.append(terminal_safe(exc.message))
    except StoreError as exc:
        summary.rejected.append(terminal_safe(f"{name}: {exc}"))
    except Exception as exc:  # noqa: BLE001 - an unexpected error in one file never stops the batch
        where = _log_unexpected(ws, name)
        summary.rejected.append(terminal_safe(f"Tệp «{name}»: lỗi không mong muốn khi đọc ({type(exc).__name__}); "
                                              f"tệp này không được nhập, các tệp khác không bị ảnh hưởng.{where}"))
    return "rejected"


def _take_part(ws, parts, path: Path, whole: list, touched: list, summary: ImportSummary, claims: dict) -> None:
    """A part is kept until its bundle is whole; any other file joins ``whole`` (with, in
    ``claims``, the sender its manifest claims: read while the file is open anyway)."""
    from desktop_app.exchange.bundle_parts import read_part
    from desktop_app.exchange.bundle_reader import claimed_sender

    def claim(archive) -> None:
        claims[path] = claimed_sender(archive, verify=False)

    part = read_part(path, claim)
    if part is None:
        whole.append((path, None))
    elif ws.store.bundle_id_sources(part.bundle_id) or ws.store.bundle_imported(part.bundle_sha256):
        # its bundle was applied (bundles are known by their manifest now, by their file before):
        # a part changes nothing once its bundle is in, whoever claims to have sent it
        summary.already_imported.append(terminal_safe(path.name))
    else:
        key = parts.keep(part)  # kept in the data folder: the rest may come another day
        if key not in touched:
            touched.append(key)


def _assemble(parts, key: str, whole: list, summary: ImportSummary) -> None:
    missing, count = parts.missing(key)
    if missing:
        summary.waiting.append(f"{parts.name(key)}: đã có {count - len(missing)}/{count} phần, còn thiếu "
                               f"phần {', '.join(str(i) for i in missing)}")
        return
    whole.append((parts.assemble(key), key))


@dataclass
class _Ready:
    """A bundle checked and decided on, waiting to be applied with the rest of its chunk."""

    path: Path
    bundle: Bundle
    templates: list[tuple[Any, str]]
    write: BundleWrite


class _Known:
    """What the store knows of a chunk's bundles, read in a few queries inside the group's
    transaction (the registry the checks read), plus what the bundles decided before in this
    chunk will write. A bundle whose sender decision would depend on a first-contact key
    decided before it in the chunk (not written yet: its bundle may still be refused when
    applied) is decided only after that one is applied (see :meth:`depends_on_pending`)."""

    def __init__(self, store, bundles: list[Bundle]):
        self.imported = store.imported_digests([d for b in bundles for d in (b.digest, b.file_digest)])
        self.sources = store.bundle_id_sources_of([b.bundle_id for b in bundles])
        self._by_unit, self._by_key = store.sender_keys_of(
            [b.source_unit for b in bundles], [b.signer.public_key for b in bundles if not b.unsigned])
        self._pending_digests: set[str] = set()
        self._pending_ids: set[str] = set()
        self._pending_units: set[str] = set()  # units with a first-contact key decided before, not written yet
        self._pending_public_keys: set[str] = set()

    def overlaps(self, bundle: Bundle) -> bool:
        """Another bundle of this chunk, still to be written, is this file or claims its id."""
        return bundle.bundle_id in self._pending_ids or bool(
            {bundle.digest, bundle.file_digest} & self._pending_digests)

    def depends_on_pending(self, bundle: Bundle) -> bool:
        """Its unit or its key was first met earlier in this chunk: decide it against the store
        once that bundle is applied (or refused), never against a key that may not be written."""
        return bundle.source_unit in self._pending_units or (
            not bundle.unsigned and bundle.signer.public_key in self._pending_public_keys)

    def sender_keys(self, unit_code: str):
        return list(self._by_unit.get(unit_code, []))

    def sender_keys_by_public_key(self, public_key: str):
        return list(self._by_key.get(public_key, []))

    def stage(self, bundle: Bundle, new_key: dict[str, str] | None) -> None:
        self._pending_digests.update((bundle.digest, bundle.file_digest))
        self._pending_ids.add(bundle.bundle_id)
        if new_key is not None:
            self._pending_units.add(new_key["unit_code"])
            self._pending_public_keys.add(new_key["public_key"])


def _import_chunk(batch: _Batch, paths: list[Path], opened: list[Bundle | BaseException]) -> None:
    """Decide on each file in turn (its failure its own), then apply the good ones together."""
    ws = batch.ws

    def known_for(rest: list[Bundle | BaseException]) -> _Known:
        return _Known(ws.store, [b for b in rest if isinstance(b, Bundle)])

    known = known_for(opened)
    ready: list[_Ready] = []
    for index, (path, item) in enumerate(zip(paths, opened)):
        if isinstance(item, Bundle) and (known.overlaps(item) or known.depends_on_pending(item)):
            # the same file twice, two files with one id, or a sender first met just before:
            # decided against what the bundles before it wrote
            _flush(batch, ready)
            known = known_for(opened[index:])
        _guarded(ws, path.name, batch.summary, lambda: _prepare(batch, known, path, item, ready))  # noqa: B023
        if ready and ready[-1].templates:
            # new report types: installed (by applying it) before the next file's reports are checked
            _flush(batch, ready)
            known = known_for(opened[index + 1:])
    _flush(batch, ready)


def _prepare(batch: _Batch, known: _Known, path: Path, opened: Bundle | BaseException, ready: list[_Ready]) -> str:
    """Every check of one bundle, with what the store knows (``known``); ready to apply, or not."""
    ws, summary = batch.ws, batch.summary
    if isinstance(opened, BaseException):
        raise opened
    bundle = opened
    name = terminal_safe(bundle.name)
    if bundle.digest in known.imported or bundle.file_digest in known.imported:
        summary.already_imported.append(name)
        return "already"
    if bundle.digest in batch.applied_now:
        summary.already_imported.append(f"{name} (trùng với một tệp khác trong lần nhận này)")
        return "already"
    verdict, why = _sender_verdict(ws, bundle, batch.allow_unsigned, batch.profile, batch.contested,
                                   registry=known, above=batch.above)
    if verdict == "held":
        _hold(ws, bundle, path, why, summary)
        return "held"
    for source, digest in known.sources.get(bundle.bundle_id, []):
        if digest in (bundle.digest, bundle.file_digest):  # this bundle, applied meanwhile by another PC
            summary.already_imported.append(name)
            return "already"
        if source == bundle.source_unit and digest is None:
            # applied before bundles were known by their digest (schema 0002): the id is all we have
            summary.already_imported.append(name)
            return "already"
        if source == bundle.source_unit:
            raise BundleError(f"Tệp «{name}»: mã gói {bundle.bundle_id[:8]}… của {bundle.source_label} đã được nhận "
                              "trước đây với nội dung khác. Một gói không bao giờ đổi nội dung: tệp này bị sửa hoặc "
                              "giả, không được nhập.")
        summary.notes.append(f"{name}: mã gói trùng với một gói đã nhận của đơn vị {terminal_safe(source)} (có thể "
                             "là gói giả chiếm mã); gói này vẫn được kiểm tra và nhập riêng.")
    templates = _templates_to_accept(ws, bundle, verdict, summary, above=batch.above)
    if bundle.prechecked and (bundle.precheck_error is None or not batch.templates_changed):
        if bundle.precheck_error is not None:  # checked ahead against the same templates
            raise bundle.precheck_error
    else:
        check_reports(bundle, WithExtra(ws.templates, [t for t, _text in templates]))
    signed_by = None if bundle.unsigned else bundle.signer.fingerprint
    if not bundle.named:
        _with_official_names(bundle, batch.names)
    docs = [replace(item, report=replace(item.report, signed_by=signed_by, unsigned=bundle.unsigned))
            for item in bundle.reports]
    new_key = None
    if verdict == "new":
        new_key = {"unit_code": bundle.source_unit,
                   "unit_name": one_line(bundle.manifest.get("source_name") or "")[:200],
                   "public_key": bundle.signer.public_key, "fingerprint": bundle.signer.fingerprint}
    known.stage(bundle, new_key)
    ready.append(_Ready(path, bundle, templates, BundleWrite(bundle.bundle_id, bundle.digest, bundle.source_unit,
                                                             docs, signed_by=signed_by, new_key=new_key)))
    return "ready"


def _flush(batch: _Batch, ready: list[_Ready]) -> None:
    """Apply the bundles decided on: together when they can be, else one by one."""
    ws, summary = batch.ws, batch.summary
    while ready and not batch.backed_up:  # one backup per import, however many bundles it brings
        if _guarded(ws, ready[0].path.name, summary, ws._backup_before_import) == "rejected":
            ready.pop(0)
        else:
            batch.backed_up = True
    if not ready:
        return
    decide = _decider(ws)
    plans = ws.store.apply_bundles([r.write for r in ready], decide, who=ws.who)
    for index, item in enumerate(ready):
        if plans is not None:
            plan = plans[index]
            _guarded(ws, item.path.name, summary, lambda: _finish(batch, item, plan))  # noqa: B023 - run at once
        else:  # the chunk could not go in as one: each bundle on its own says what is wrong with it
            _guarded(ws, item.path.name, summary, lambda: _finish(batch, item, ws.store.apply_bundle(  # noqa: B023
                item.write.bundle_id, item.write.digest, item.write.source_unit, item.write.incoming,  # noqa: B023
                decide, who=ws.who, signed_by=item.write.signed_by, new_key=item.write.new_key)))  # noqa: B023
    ready.clear()


def _finish(batch: _Batch, item: _Ready, plan: list[tuple[str, Report]] | None) -> str:
    ws, summary, bundle = batch.ws, batch.summary, item.bundle
    name = terminal_safe(bundle.name)
    if plan is None:
        summary.already_imported.append(name)
        return "already"
    batch.applied_now.add(bundle.digest)
    _install_templates(ws, item.templates, summary)
    batch.templates_changed = batch.templates_changed or bool(item.templates)
    new_key = item.write.new_key
    if new_key is not None and (new_key["unit_code"], new_key["public_key"]) not in batch.announced:
        batch.announced.add((new_key["unit_code"], new_key["public_key"]))
        summary.new_senders.append(f"{bundle.source_label}, dấu khóa {bundle.signer.fingerprint} — hãy gọi điện "
                                   "cho đơn vị để đối chiếu dấu khóa này.")
    for kind, report in plan:
        label = _label(ws, report)
        getattr(summary, {"new": "new", "update": "updated", "same": "unchanged", "conflict": "conflicts"}[kind]) \
            .append(f"{label} ({UNSIGNED_MARK})" if bundle.unsigned else label)
        if bundle.unsigned and kind in ("new", "update"):
            summary.unsigned.append(label)
    return "applied"


def _expand_folders(paths: list[str | Path]) -> list[Path]:
    """A folder dropped or named stands for the bundle files (.zip) directly inside it."""
    out: list[Path] = []
    for path in map(Path, paths):
        out += sorted(path.glob("*.zip")) if path.is_dir() else [path]
    return out
