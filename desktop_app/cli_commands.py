"""The CLI's subcommands: one handler each, chosen by name (``dispatch``).

Each handler prints Vietnamese text and returns the exit code; what the workspace refuses
arrives as a UserError, which ``desktop_app.cli`` turns into a message and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.domain import roles
from desktop_app.errors import UserError

if TYPE_CHECKING:  # the window starts through this module's parent: its imports stay light
    from desktop_app.domain.validation import ValidationResult

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2  # success, validation errors found, bad usage or input


def _read_json(path: str) -> Any:
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise UserError(f"Không tìm thấy tệp «{path}».") from None
    except OSError as exc:
        raise UserError(f"Không đọc được tệp «{path}»: {exc.strerror}.") from None
    if len(raw) > 50_000_000:
        raise UserError(f"Tệp «{path}» quá lớn.")
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise UserError(f"Tệp «{path}» không phải văn bản UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"Tệp «{path}» không đúng định dạng JSON (dòng {exc.lineno}, cột {exc.colno}).") from None


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _print_issues(result: ValidationResult) -> None:
    errors, warnings = result.errors, result.warnings
    if not errors and not warnings:
        print("Không có lỗi hay cảnh báo.")
        return
    if errors:
        print(f"Lỗi ({len(errors)}) — phải sửa trước khi hoàn tất:")
        for issue in errors:
            print(f"  ✗ [{issue.section_id}] {issue.message}")
    if warnings:
        print(f"Cảnh báo ({len(warnings)}) — nên xem lại:")
        for issue in warnings:
            print(f"  ! [{issue.section_id}] {issue.message}")


def _aggregate(ws, args: argparse.Namespace) -> int:
    from desktop_app.office import consolidation
    from desktop_app.documents.consolidated import write_consolidated_docx, write_consolidated_xlsx

    if args.missing and Path(args.missing).suffix.lower() not in (".xlsx", ".csv"):  # before anything is written
        raise UserError("Danh sách đơn vị chưa gửi được ghi ra tệp .xlsx hoặc .csv; hãy đặt tên tệp có đuôi đó.")
    cons = consolidation.gather(ws, args.template, args.period)
    print(f"{cons.template.display_title} — {cons.period.label}")
    print(cons.coverage_sentence())
    for sub in cons.drafts:
        print(f"  ! {sub.unit_name}: báo cáo chưa hoàn tất")
    for sub in cons.outside:
        print(f"  ! {sub.unit_name}: không thuộc danh sách đơn vị của nơi nhận, không cộng vào tổng")
    for sub in cons.submissions:
        if sub.unsigned:
            print(f"  ! {sub.unit_name}: báo cáo nhận từ gói chưa ký (không chứng minh được ai gửi)")
    for note in cons.notes:
        print(f"  ! {note}")
    if cons.submissions:
        print("Số liệu tổng hợp:")
        for ind in consolidation.indicators(cons.template):
            text = ind.text(ind.value(cons))
            if text and ind.numeric:
                print(f"  {ind.label}: {text}")
    if args.docx:
        print(f"Đã ghi báo cáo tổng hợp: {write_consolidated_docx(cons, args.docx)}")
    if args.xlsx:
        print(f"Đã ghi bảng tổng hợp: {write_consolidated_xlsx(cons, args.xlsx)}")
    if args.missing:
        from desktop_app.documents.missing_list import write_missing_list

        receipts = ws.receipts(args.template, args.period)
        path = write_missing_list(receipts, args.missing)
        print(f"Đã ghi danh sách {len(receipts.missing)} đơn vị chưa gửi: {path}")
    return EXIT_OK


def _senders(ws, args: argparse.Namespace) -> int:
    from desktop_app.exchange.bundle_import import ALLOW_UNSIGNED, KEY_CHANGED

    if args.action == "register":
        key, outcome = ws.register_sender(args.file, replace=args.replace, alongside=args.also)
        said = {"added": "Đã đăng ký khóa", "already": "Khóa này đã được đăng ký trước đây",
                "replaced": "Đã thay khóa cũ bằng khóa"}[outcome]
        print(f"{said} của {key['unit_name']} ({key['unit_code']}), dấu khóa {key['fingerprint']}. "
              "Hãy đối chiếu dấu khóa với đơn vị qua điện thoại.")
        return EXIT_OK
    if args.action == "accept":
        summary = ws.accept_held(args.id, keep_old=args.keep_old)
        print("Đã nhận thêm khóa (khóa cũ vẫn dùng) và nhập gói:" if args.keep_old
              else "Đã nhận khóa mới (khóa cũ thôi dùng) và nhập gói:")
        for line in summary.lines():
            print(line)
        return EXIT_INVALID if summary.needs_attention else EXIT_OK
    if args.action == "reject":
        ws.reject_held(args.id)
        print("Đã từ chối gói và khóa đã ký nó; các gói sau ký bằng khóa này cho đơn vị đó sẽ bị từ chối.")
        return EXIT_OK
    if args.action == "allow-unsigned":
        ws.set_setting(ALLOW_UNSIGNED, args.choice == "yes")
        print("Từ nay nhận cả gói chưa ký (báo cáo được đánh dấu «chưa ký»)." if args.choice == "yes"
              else "Từ nay từ chối gói chưa ký.")
        return EXIT_OK
    states = {"trusted": "tin cậy", "retired": "thôi dùng", "rejected": "đã từ chối"}
    hows = {"first-bundle": "gói đầu tiên", "enrolment": "tệp đăng ký", "accepted-change": "nhận khóa mới",
            "decision": "quyết định"}
    keys = ws.senders()
    if not keys:
        print("Chưa đăng ký khóa của đơn vị nào.")
    for k in keys:
        print(f"{k.unit_code}\t{k.unit_name}\t{k.fingerprint}\t{states.get(k.status, k.status)}\t"
              f"{hows.get(k.how, k.how)}")
    held = ws.held_bundles()
    if held:
        print(f"Gói đang giữ lại chờ quyết định ({KEY_CHANGED}):")
    for h in held:
        print(f"  {h.id}\t{h.unit_name} ({h.unit_code})\t{h.file_name}\tdấu khóa {h.fingerprint}")
    return EXIT_OK


def _require_object(data: Any) -> dict:
    if not isinstance(data, dict):
        raise UserError("Tệp giá trị phải là một đối tượng JSON {\"mã_trường\": giá trị, …}.")
    return data


def _templates(ws, args: argparse.Namespace) -> int:
    if args.action == "install":
        done = ws.install_template(args.file)
        t = done.template
        if done.already:
            print(f"Mẫu «{t.id}» phiên bản {t.version} đã được cài với đúng nội dung này ({done.path.name}); "
                  "không thay đổi gì.")
        else:
            print(f"Đã cài mẫu «{t.id}» phiên bản {t.version} — {t.title} (tệp {done.path}).")
        return EXIT_OK
    for info in ws.template_types():
        print(f"{info.id}\t{info.title}")
        print(f"\tTỉnh ban hành: {info.province}")
        for basis in info.legal_basis:
            print(f"\tCăn cứ: {basis}")
        for v in info.versions:
            print(f"\tPhiên bản {v.version}: hiệu lực {v.effective}; {v.where}")
    for problem in ws.templates.problems:
        print(f"Bỏ qua mẫu lỗi: {problem}", file=sys.stderr)
    return EXIT_OK


def _backup(ws, args: argparse.Namespace) -> int:
    if ws.store.server_url is not None:  # a shared PostgreSQL store: the server's tools back it up
        from db.server import backup_explanation

        print(backup_explanation(ws.store.server_url))
        return EXIT_OK
    if args.action == "create":
        print(f"Đã sao lưu: {ws.backup('thu-cong')}")
    elif args.action == "list":
        found = ws.backups()
        if not found:
            print("Chưa có bản sao lưu nào.")
        for b in found:
            print(f"{b.made_at:%d/%m/%Y %H:%M:%S}\t{b.reason_label}\t{b.path}")
    else:
        safety = ws.restore_backup(args.file)
        kept = f" Dữ liệu trước đó được giữ ở {safety}." if safety else ""
        print("Đã khôi phục dữ liệu từ bản sao lưu." + kept)
    return EXIT_OK


def _bundle(ws, args: argparse.Namespace) -> int:
    from desktop_app.exchange import bundles

    if args.action == "export":
        from desktop_app.exchange.bundle_parts import parse_size

        size = parse_size(args.split_size) if args.split_size else None
        manifest = bundles.export_bundle(ws, args.out, args.report, split_size=size,
                                         template_files=[Path(t) for t in args.template or []],
                                         with_templates=args.with_templates)
        where = f"{len(manifest['parts'])} phần" if size else args.out
        print(f"Đã đóng gói {len(manifest['reports'])} báo cáo vào {where} (mã gói {manifest['bundle_id']}).")
        for part in manifest.get("parts", []):
            print(f"  {part}")
        return EXIT_OK
    if args.action == "verify":
        bad = 0
        from desktop_app.exchange.bundle_parts import read_part

        for file in args.files:
            try:
                part = read_part(Path(file))
                if part is not None:
                    print(f"✓ {file}: phần {part.index}/{part.count} của {part.name}, không hỏng. "
                          "Nhận đủ các phần bằng «baocaoxa bundle import» (theo thứ tự bất kỳ).")
                    continue
                found = bundles.read_bundle(file, ws.templates)
                signer = (f"ký bởi {found.source_label}, dấu khóa {found.signer.fingerprint}" if found.signer
                          else "CHƯA KÝ (định dạng cũ)")
                print(f"✓ {file}: hợp lệ, {len(found.reports)} báo cáo, mã gói {found.bundle_id}, {signer}.")
            except (bundles.BundleError, UserError) as exc:
                bad += 1
                print(f"✗ {file}: {exc.message}")
        return EXIT_INVALID if bad else EXIT_OK
    summary = bundles.import_bundles(ws, args.files, allow_unsigned=True if args.allow_unsigned else None)
    for line in summary.lines():
        print(line)
    return EXIT_INVALID if summary.needs_attention else EXIT_OK


def _keys(ws, args: argparse.Namespace) -> int:
    key = ws.signing_key()
    if args.action == "show":
        print(f"Dấu khóa của máy này: {key.fingerprint}")
        print(f"Khóa công khai: {key.public_key}")
        return EXIT_OK
    doc = ws.export_enrolment(args.file)
    print(f"Đã ghi tệp đăng ký khóa {args.file} cho {doc['unit_name']} ({doc['unit_code']}), dấu khóa "
          f"{doc['fingerprint']}. Gửi tệp này cho cơ quan cấp trên và đọc dấu khóa cho họ qua điện thoại.")
    return EXIT_OK



def _conflicts(ws, args: argparse.Namespace) -> int:
    if args.action == "resolve":
        ws.resolve_conflict(args.id, args.keep)
        print("Đã xử lý xung đột.")
        return EXIT_OK
    found = ws.conflict_list()
    if not found:
        print("Không có xung đột nào.")
    for c in found:
        deleted = " (báo cáo trên máy này đã bị xóa)" if c.deleted else ""
        print(f"{c.id}\t{c.unit_name} — {c.title} — {c.period_label}{deleted}; nhận lúc "
              f"{c.received_at:%d/%m/%Y %H:%M}")
        for _section, label, ours, theirs in ws.conflict_differences(c.id)[:25]:
            print(f"\t  {label}: trên máy này = {ours}; bản nhận được = {theirs}")
    return EXIT_OK



def database_setting(data_dir, args: argparse.Namespace) -> int:
    """``database show|set|clear|staff``: which store this data folder uses (the URL is never printed
    with its password). ``set`` connects first, so a wrong address is said now, not at next start."""
    from db import server
    from db.store import DB_FILENAME
    from desktop_app import actions

    if args.action == "show":
        url = getattr(args, "database", None) or server.configured_url(data_dir)
        print(f"Cơ sở dữ liệu dùng chung: {server.shown(url)}" if url
              else f"Tệp SQLite của thư mục dữ liệu: {data_dir / DB_FILENAME}")
        return EXIT_OK
    if args.action == "staff":
        return _staff_name(data_dir, args.name)
    if args.action == "clear":
        actions.use_database(data_dir, None)
        print(f"Từ nay dùng tệp SQLite của thư mục dữ liệu {data_dir} (dữ liệu trên máy chủ vẫn giữ nguyên).")
        return EXIT_OK
    actions.use_database(data_dir, args.url)
    print(f"Đã kết nối. Từ nay thư mục dữ liệu này dùng cơ sở dữ liệu dùng chung {server.shown(args.url)}.")
    return EXIT_OK


def _staff_name(data_dir, name: str | None) -> int:
    from desktop_app.workspace import staff

    if name is None:
        chosen = staff.saved_name(data_dir)
        print(f"Nhật ký ghi tên cán bộ: {chosen}" if chosen
              else f"Chưa chọn tên cán bộ; nhật ký ghi tên người dùng của máy: {staff.os_user() or '(không rõ)'}")
        return EXIT_OK
    saved = staff.save_name(data_dir, name)
    print(f"Từ nay nhật ký ghi tên «{saved}» cho việc làm trên máy này (--staff vẫn thay được cho một lần chạy)."
          if saved else "Từ nay nhật ký ghi tên người dùng của máy.")
    return EXIT_OK


def _check_db(ws, args: argparse.Namespace) -> int:
    findings = ws.check(repair=args.repair)
    if not findings:
        print("Cơ sở dữ liệu tốt: không phát hiện lỗi.")
        return EXIT_OK
    for finding in findings:
        print(f"- {finding}")
    return EXIT_INVALID


def _unit(ws, args: argparse.Namespace) -> int:
    if args.action == "show":
        profile = ws.profile()
        if profile is None:
            print("Chưa khai báo đơn vị. Dùng: baocaoxa unit set --code MÃ")
            return EXIT_OK
        _print_json(profile.to_json())
        return EXIT_OK
    from desktop_app.domain import units

    villages = [v for v in args.villages.split(";")] if args.villages is not None else None
    body = args.department
    if args.role == roles.DEPARTMENT and not body:
        body = roles.SCIENCE_DEPARTMENT
    elif args.role != roles.DEPARTMENT and body:
        raise UserError("«--department» chỉ dùng cùng «--role department».")
    profile = ws.set_unit(args.code, scheme=units.LEGACY if args.legacy else units.CURRENT,
                          villages=villages, signer_name=args.signer, signer_title=args.signer_title,
                          role=args.role, body_name=body)
    who = f"{profile.body_name} — " if profile.body_name else ""
    print(f"Đã lưu đơn vị: {who}{profile.name} ({profile.code}), {profile.province_name}; vai trò: "
          f"{roles.ROLE_LABELS[roles.role_of(profile)]}")
    return EXIT_OK


def _report_new(ws, args: argparse.Namespace) -> int:
    print(ws.new_report(args.template, args.period, args.template_version))
    return EXIT_OK


def _report_list(ws, args: argparse.Namespace) -> int:
    summaries = ws.reports()
    if args.json:
        _print_json([{
            "id": s.id, "template": s.template_id, "title": s.template_title, "period": s.period.spec,
            "period_label": s.period_label, "status": s.status, "completeness": round(s.completeness, 4),
            "errors": s.errors, "updated_at": s.updated_at.isoformat(), "unit": s.unit_name,
        } for s in summaries])
    elif not summaries:
        print("Chưa có báo cáo nào.")
    else:
        for s in summaries:
            print(f"{s.id}\t{s.template_title}\t{s.period_label}\t{s.status_label}\t"
                  f"{round(s.completeness * 100)}%\t{s.updated_at:%d/%m/%Y %H:%M}")
    return EXIT_OK


def _report_set(ws, args: argparse.Namespace) -> int:
    result = ws.set_values(args.id, _require_object(_read_json(args.values)))
    print("Đã lưu.")
    _print_issues(result)
    return EXIT_OK


def _report_show(ws, args: argparse.Namespace) -> int:
    if args.json:
        _print_json(ws.report(args.id)[0].to_json())
    else:
        from desktop_app.documents.content import DocumentBuilder

        record, template = ws.report(args.id)
        print(DocumentBuilder(template, ws.validator(template)).build(record).plain_text())
    return EXIT_OK


def _report_import_json(ws, args: argparse.Namespace) -> int:
    report_id, created = ws.import_document(_read_json(args.file), replace=args.replace)
    print(report_id)
    if not created:
        print(f"Báo cáo số {report_id} (đã có trên máy này) nay mang đúng nội dung của tệp.", file=sys.stderr)
    return EXIT_OK


def _report_validate(ws, args: argparse.Namespace) -> int:
    result = ws.validate(args.id)
    _print_issues(result)
    return EXIT_INVALID if result.errors else EXIT_OK


def _report_finalise(ws, args: argparse.Namespace) -> int:
    ws.refuse_if_received(args.id)  # a received report: refused before its errors are listed
    result = ws.validate(args.id)
    if result.errors:
        print("Chưa hoàn tất được: báo cáo còn lỗi cần sửa.")
        _print_issues(result)
        return EXIT_INVALID
    ws.finalise(args.id)
    print("Đã hoàn tất báo cáo.")
    return EXIT_OK


def _report_reopen(ws, args: argparse.Namespace) -> int:
    ws.reopen(args.id, args.reason)
    print("Đã mở lại báo cáo để sửa.")
    return EXIT_OK


def _report_delete(ws, args: argparse.Namespace) -> int:
    ws.delete_report(args.id)
    print("Đã xóa báo cáo (có thể khôi phục bằng «baocaoxa report restore».")
    return EXIT_OK


def _report_export(ws, args: argparse.Namespace) -> int:
    from desktop_app.documents import export

    if not args.docx and not args.xlsx and not args.pdf:
        raise UserError("Cần ghi rõ --docx TỆP, --pdf TỆP và/hoặc --xlsx TỆP.")
    if args.docx:
        print(f"Đã xuất {export.export_docx(ws, args.id, args.docx)}")
    if args.pdf:
        print(f"Đã xuất {export.export_pdf(ws, args.id, args.pdf)}")
    if args.xlsx:
        print(f"Đã xuất {export.export_xlsx(ws, args.id, args.xlsx)}")
    return EXIT_OK


def _report_import_xlsx(ws, args: argparse.Namespace) -> int:
    from desktop_app.documents import export

    changed = export.import_xlsx(ws, args.id, args.file)
    print(f"Đã nạp số liệu từ Excel: {changed} trường thay đổi.")
    _print_issues(ws.validate(args.id))
    return EXIT_OK


def _report_restore(ws, args: argparse.Namespace) -> int:
    ws.restore_report(args.id)
    print("Đã khôi phục báo cáo.")
    return EXIT_OK


REPORT_ACTIONS = {
    "new": _report_new,
    "list": _report_list,
    "set": _report_set,
    "show": _report_show,
    "import-json": _report_import_json,
    "validate": _report_validate,
    "finalise": _report_finalise,
    "reopen": _report_reopen,
    "delete": _report_delete,
    "export": _report_export,
    "import-xlsx": _report_import_xlsx,
    "restore": _report_restore,
}


def _report(ws, args: argparse.Namespace) -> int:
    return REPORT_ACTIONS[args.action](ws, args)


HANDLERS = {
    "templates": _templates,
    "backup": _backup,
    "bundle": _bundle,
    "keys": _keys,
    "senders": _senders,
    "conflicts": _conflicts,
    "aggregate": _aggregate,
    "check-db": _check_db,
    "unit": _unit,
    "report": _report,
}


def dispatch(ws, args: argparse.Namespace) -> int:
    return HANDLERS[args.command](ws, args)
