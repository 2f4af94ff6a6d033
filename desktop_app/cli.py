"""``baocaoxa`` command line. Without a subcommand it starts the desktop app.

Exit codes: 0 success, 1 validation errors found, 2 bad usage or bad input.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from desktop_app import __version__, paths, units
from desktop_app.errors import UserError
from desktop_app.support import logs
from desktop_app.templating.loader import load_template
from desktop_app.validation import ValidationResult

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse with Vietnamese usage errors (its own messages are English)."""

    def format_usage(self) -> str:
        return super().format_usage().replace("usage:", "Cách dùng:")

    def format_help(self) -> str:
        return (super().format_help().replace("usage:", "Cách dùng:")
                .replace("positional arguments:", "tham số:").replace("options:", "tùy chọn:")
                .replace("show this help message and exit", "xem hướng dẫn này")
                .replace("show program's version number and exit", "xem phiên bản"))

    def error(self, message: str) -> None:  # noqa: D401 - argparse API
        self.print_usage(sys.stderr)
        translated = (message.replace("the following arguments are required", "thiếu tham số bắt buộc")
                      .replace("unrecognized arguments", "tham số không hiểu được")
                      .replace("invalid choice", "lựa chọn không hợp lệ")
                      .replace("argument", "tham số").replace("expected one argument", "cần một giá trị")
                      .replace("invalid int value", "không phải số nguyên")
                      .replace("choose from", "chọn một trong"))
        print(f"Lỗi lệnh: {translated}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)  # only lends its arguments to the others
    common.add_argument("--data-dir", default=argparse.SUPPRESS, metavar="THƯ_MỤC",
                        help="thư mục dữ liệu (mặc định: biến BAOCAOXA_DATA_DIR hoặc thư mục của người dùng)")
    parser = _Parser(prog="baocaoxa", description="BaoCaoXa — báo cáo CNTT và chuyển đổi số cấp xã, không cần mạng.",
                     parents=[common])
    parser.add_argument("--version", action="version", version=f"BaoCaoXa {__version__}")
    parser.add_argument("--selftest", action="store_true", help="tự kiểm tra giao diện rồi thoát")
    sub = parser.add_subparsers(dest="command", metavar="LỆNH", parser_class=_Parser)

    templates = sub.add_parser("templates", help="mẫu báo cáo", parents=[common])
    tsub = templates.add_subparsers(dest="action", metavar="VIỆC", required=True, parser_class=_Parser)
    tsub.add_parser("list", help="liệt kê mẫu báo cáo", parents=[common])
    check = tsub.add_parser("check", help="kiểm tra một tệp mẫu", parents=[common])
    check.add_argument("file", metavar="TỆP")

    unit = sub.add_parser("unit", help="đơn vị báo cáo", parents=[common])
    usub = unit.add_subparsers(dest="action", metavar="VIỆC", required=True, parser_class=_Parser)
    usub.add_parser("show", help="xem đơn vị", parents=[common])
    uset = usub.add_parser("set", help="khai báo đơn vị theo mã chính thức", parents=[common])
    uset.add_argument("--code", required=True, metavar="MÃ", help="mã đơn vị hành chính (xã 5 số, huyện 3 số)")
    uset.add_argument("--legacy", action="store_true", help="dùng danh mục trước 01/7/2025 (có cấp huyện)")
    uset.add_argument("--villages", metavar="DANH_SÁCH", help="các thôn, tổ dân phố, ngăn cách bằng dấu ;")
    uset.add_argument("--signer", metavar="TÊN", help="họ tên người ký")
    uset.add_argument("--signer-title", metavar="CHỨC_VỤ", help="chức vụ người ký, ví dụ CHỦ TỊCH")

    backup = sub.add_parser("backup", help="sao lưu và khôi phục dữ liệu", parents=[common])
    bsub = backup.add_subparsers(dest="action", metavar="VIỆC", required=True, parser_class=_Parser)
    bsub.add_parser("create", help="tạo bản sao lưu ngay", parents=[common])
    bsub.add_parser("list", help="liệt kê các bản sao lưu", parents=[common])
    brestore = bsub.add_parser("restore", help="khôi phục từ một bản sao lưu (sao lưu hiện trạng trước)",
                               parents=[common])
    brestore.add_argument("file", metavar="TỆP")
    bundle = sub.add_parser("bundle", help="gói báo cáo để gửi và nhận (USB, thư điện tử)", parents=[common])
    bnsub = bundle.add_subparsers(dest="action", metavar="VIỆC", required=True, parser_class=_Parser)
    bexport = bnsub.add_parser("export", help="đóng gói báo cáo của đơn vị", parents=[common])
    bexport.add_argument("--out", required=True, metavar="TỆP")
    bexport.add_argument("--report", type=int, action="append", metavar="SỐ", help="chỉ các báo cáo này (lặp lại được)")
    bexport.add_argument("--template", action="append", metavar="TỆP_MẪU",
                         help="gửi kèm tệp mẫu báo cáo (lặp lại được)")
    bexport.add_argument("--with-templates", action="store_true", help="gửi kèm mẫu của các báo cáo trong gói")
    bexport.add_argument("--split-size", metavar="CỠ",
                         help="chia thành nhiều phần, mỗi phần tối đa CỠ (ví dụ 200KB, 1MB)")
    bimport = bnsub.add_parser("import", help="nhận một hay nhiều gói", parents=[common])
    bimport.add_argument("files", nargs="+", metavar="TỆP")
    bimport.add_argument("--allow-unsigned", action="store_true",
                         help="lần này nhận cả gói chưa ký (định dạng 1, BaoCaoXa cũ); báo cáo được đánh dấu «chưa ký»")
    keys = sub.add_parser("keys", help="khóa ký của máy này", parents=[common])
    ksub = keys.add_subparsers(dest="action", metavar="VIỆC", required=True, parser_class=_Parser)
    ksub.add_parser("show", help="xem dấu khóa của máy này (để đọc cho nơi nhận qua điện thoại)", parents=[common])
    kexport = ksub.add_parser("export-enrolment", help="ghi tệp đăng ký khóa để gửi cơ quan cấp trên",
                              parents=[common])
    kexport.add_argument("file", metavar="TỆP")
    senders = sub.add_parser("senders", help="các đơn vị gửi và khóa của họ (nơi nhận)", parents=[common])
    ssub = senders.add_subparsers(dest="action", metavar="VIỆC", required=True, parser_class=_Parser)
    ssub.add_parser("list", help="liệt kê khóa đã đăng ký và các gói đang giữ lại", parents=[common])
    sregister = ssub.add_parser("register", help="đăng ký trước khóa của một đơn vị từ tệp đăng ký", parents=[common])
    sregister.add_argument("file", metavar="TỆP")
    sregister.add_argument("--replace", action="store_true", help="thay khóa cũ của đơn vị (máy mới)")
    sregister.add_argument("--also", action="store_true", help="thêm khóa, giữ cả khóa cũ (máy thứ hai của đơn vị)")
    saccept = ssub.add_parser("accept", help="nhận khóa mới của một gói đang giữ lại, rồi nhập gói", parents=[common])
    saccept.add_argument("id", type=int, metavar="SỐ")
    saccept.add_argument("--keep-old", action="store_true",
                         help="giữ cả khóa cũ (máy thứ hai của cùng đơn vị), không thay khóa")
    sreject = ssub.add_parser("reject", help="từ chối một gói đang giữ lại và khóa của nó", parents=[common])
    sreject.add_argument("id", type=int, metavar="SỐ")
    sallow = ssub.add_parser("allow-unsigned", help="có nhận gói chưa ký (định dạng 1) hay không", parents=[common])
    sallow.add_argument("choice", choices=["yes", "no"])
    bverify = bnsub.add_parser("verify", help="kiểm tra gói mà không nhập", parents=[common])
    bverify.add_argument("files", nargs="+", metavar="TỆP")
    conflicts = sub.add_parser("conflicts", help="xung đột giữa hai bản của một báo cáo", parents=[common])
    csub = conflicts.add_subparsers(dest="action", metavar="VIỆC", required=True, parser_class=_Parser)
    csub.add_parser("list", help="liệt kê xung đột chưa xử lý", parents=[common])
    cresolve = csub.add_parser("resolve", help="xử lý một xung đột", parents=[common])
    cresolve.add_argument("id", type=int, metavar="SỐ")
    cresolve.add_argument("--keep", required=True, choices=["local", "incoming"])
    aggregate = sub.add_parser("aggregate", help="tổng hợp báo cáo nhận được từ các đơn vị", parents=[common])
    aggregate.add_argument("--template", required=True, metavar="MẪU")
    aggregate.add_argument("--period", required=True, metavar="KỲ")
    aggregate.add_argument("--docx", metavar="TỆP", help="ghi báo cáo tổng hợp (.docx)")
    aggregate.add_argument("--xlsx", metavar="TỆP", help="ghi bảng tổng hợp, mỗi đơn vị một dòng (.xlsx)")
    checkdb = sub.add_parser("check-db", help="kiểm tra cơ sở dữ liệu", parents=[common])
    checkdb.add_argument("--repair", action="store_true", help="sửa những lỗi sửa được an toàn (sau khi sao lưu)")
    support = sub.add_parser("support-bundle", help="tạo gói hỗ trợ: nhật ký và kết quả kiểm tra, không có số liệu "
                             "báo cáo", parents=[common])
    support.add_argument("file", metavar="TỆP.zip")

    report = sub.add_parser("report", help="báo cáo", parents=[common])
    rsub = report.add_subparsers(dest="action", metavar="VIỆC", required=True, parser_class=_Parser)
    rnew = rsub.add_parser("new", help="tạo báo cáo mới, in ra số hiệu", parents=[common])
    rnew.add_argument("--template", required=True, metavar="MẪU")
    rnew.add_argument("--period", required=True, metavar="KỲ",
                      help="2023, 2023-H1, 2023-9M, 2024-Q1, 2023-09, 2023-08-24..2023-09-24")
    rnew.add_argument("--template-version", metavar="PHIÊN_BẢN")
    rlist = rsub.add_parser("list", help="liệt kê báo cáo", parents=[common])
    rlist.add_argument("--json", action="store_true")
    rset = rsub.add_parser("set", help="ghi giá trị từ tệp JSON", parents=[common])
    rset.add_argument("id", type=int, metavar="SỐ")
    rset.add_argument("--values", required=True, metavar="TỆP.json")
    rshow = rsub.add_parser("show", help="xem báo cáo", parents=[common])
    rshow.add_argument("id", type=int, metavar="SỐ")
    rshow.add_argument("--json", action="store_true", help="in tài liệu JSON của báo cáo")
    rimport = rsub.add_parser("import-json", help="nhập báo cáo từ tệp JSON", parents=[common])
    rimport.add_argument("file", metavar="TỆP.json")
    rvalidate = rsub.add_parser("validate", help="kiểm tra báo cáo", parents=[common])
    rvalidate.add_argument("id", type=int, metavar="SỐ")
    rfinal = rsub.add_parser("finalise", help="hoàn tất báo cáo (khi không còn lỗi)", parents=[common])
    rfinal.add_argument("id", type=int, metavar="SỐ")
    rreopen = rsub.add_parser("reopen", help="mở lại báo cáo đã hoàn tất", parents=[common])
    rreopen.add_argument("id", type=int, metavar="SỐ")
    rreopen.add_argument("--reason", required=True, metavar="LÝ_DO")
    rdelete = rsub.add_parser("delete", help="xóa báo cáo (khôi phục được)", parents=[common])
    rdelete.add_argument("id", type=int, metavar="SỐ")
    rexport = rsub.add_parser("export", help="xuất báo cáo ra Word (.docx) và/hoặc Excel (.xlsx)", parents=[common])
    rexport.add_argument("id", type=int, metavar="SỐ")
    rexport.add_argument("--docx", metavar="TỆP.docx")
    rexport.add_argument("--xlsx", metavar="TỆP.xlsx")
    rimpx = rsub.add_parser("import-xlsx", help="nạp số liệu từ tệp Excel cùng mẫu", parents=[common])
    rimpx.add_argument("id", type=int, metavar="SỐ")
    rimpx.add_argument("file", metavar="TỆP.xlsx")
    rrestore = rsub.add_parser("restore", help="khôi phục báo cáo đã xóa", parents=[common])
    rrestore.add_argument("id", type=int, metavar="SỐ")
    return parser


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
    from desktop_app import consolidation
    from desktop_app.documents.consolidated import write_consolidated_docx, write_consolidated_xlsx

    cons = consolidation.gather(ws, args.template, args.period)
    print(f"{cons.template.short_title or cons.template.title} — {cons.period.label}")
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
    return EXIT_OK


def _senders(ws, args: argparse.Namespace) -> int:
    from desktop_app.bundle_import import ALLOW_UNSIGNED, KEY_CHANGED

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


def _workspace(args: argparse.Namespace):
    from desktop_app.services import Workspace

    ws = Workspace(getattr(args, "data_dir", None))
    logs.log_startup(ws.startup_facts())
    return ws


def _support_bundle(args: argparse.Namespace) -> int:
    """Works when the data cannot be opened too: that is when support is needed most."""
    from desktop_app.support.bundle import write_support_bundle

    try:
        ws = _workspace(args)
    except UserError as exc:
        path = write_support_bundle(args.file, paths.data_dir(getattr(args, "data_dir", None)), None,
                                    problem=exc.message)
    else:
        try:
            path = ws.write_support_bundle(args.file)
        finally:
            ws.close()
    print(f"Đã ghi gói hỗ trợ: {path}. Gói chỉ có nhật ký và kết quả kiểm tra, không có số liệu báo cáo; "
          "hãy gửi tệp này cho cán bộ hỗ trợ.")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    if args.command == "templates" and args.action == "check":
        template, problems = load_template(Path(args.file))
        for problem in problems:
            print(problem)
        if problems:
            print(f"Mẫu có {len(problems)} vấn đề cần sửa.", file=sys.stderr)
            return EXIT_INVALID
        print(f"Mẫu hợp lệ: {template.id} phiên bản {template.version} — {template.title}")
        return EXIT_OK

    if args.command == "backup" and args.action == "restore":
        return _restore_even_if_damaged(args)
    if args.command == "support-bundle":
        return _support_bundle(args)
    ws = _workspace(args)
    try:
        return _dispatch(ws, args)
    finally:
        ws.close()


def _dispatch(ws, args: argparse.Namespace) -> int:
    if args.command == "templates":  # list
        for t in ws.templates.all():
            print(f"{t.id}\t{t.version}\t{t.title}")
        for problem in ws.templates.problems:
            print(f"Bỏ qua mẫu lỗi: {problem}", file=sys.stderr)
        return EXIT_OK

    if args.command == "backup":
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

    if args.command == "bundle":
        from desktop_app import bundles

        if args.action == "export":
            from desktop_app.bundle_parts import parse_size

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
            from desktop_app.bundle_parts import read_part

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

    if args.command == "keys":
        key = ws.signing_key()
        if args.action == "show":
            print(f"Dấu khóa của máy này: {key.fingerprint}")
            print(f"Khóa công khai: {key.public_key}")
            return EXIT_OK
        doc = ws.export_enrolment(args.file)
        print(f"Đã ghi tệp đăng ký khóa {args.file} cho {doc['unit_name']} ({doc['unit_code']}), dấu khóa "
              f"{doc['fingerprint']}. Gửi tệp này cho cơ quan cấp trên và đọc dấu khóa cho họ qua điện thoại.")
        return EXIT_OK

    if args.command == "senders":
        return _senders(ws, args)

    if args.command == "conflicts":
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

    if args.command == "aggregate":
        return _aggregate(ws, args)

    if args.command == "check-db":
        findings = ws.check(repair=args.repair)
        if not findings:
            print("Cơ sở dữ liệu tốt: không phát hiện lỗi.")
            return EXIT_OK
        for finding in findings:
            print(f"- {finding}")
        return EXIT_INVALID

    if args.command == "unit":
        if args.action == "show":
            profile = ws.profile()
            if profile is None:
                print("Chưa khai báo đơn vị. Dùng: baocaoxa unit set --code MÃ")
                return EXIT_OK
            _print_json(profile)
            return EXIT_OK
        villages = [v for v in args.villages.split(";")] if args.villages is not None else None
        profile = ws.set_unit(args.code, scheme=units.LEGACY if args.legacy else units.CURRENT,
                              villages=villages, signer_name=args.signer, signer_title=args.signer_title)
        print(f"Đã lưu đơn vị: {profile['name']} ({profile['code']}), {profile['province_name']}")
        return EXIT_OK

    # report …
    action = args.action
    if action == "new":
        print(ws.new_report(args.template, args.period, args.template_version))
    elif action == "list":
        summaries = ws.reports()
        if args.json:
            _print_json([{
                "id": s.id, "template": s.template_id, "title": s.template_title, "period": s.period,
                "period_label": s.period_label, "status": s.status, "completeness": round(s.completeness, 4),
                "errors": s.errors, "updated_at": s.updated_at.isoformat(), "unit": s.unit_name,
            } for s in summaries])
        elif not summaries:
            print("Chưa có báo cáo nào.")
        else:
            for s in summaries:
                print(f"{s.id}\t{s.template_title}\t{s.period_label}\t{s.status_label}\t"
                      f"{round(s.completeness * 100)}%\t{s.updated_at:%d/%m/%Y %H:%M}")
    elif action == "set":
        result = ws.set_values(args.id, _require_object(_read_json(args.values)))
        print("Đã lưu.")
        _print_issues(result)
    elif action == "show":
        if args.json:
            _print_json(ws.document(args.id).to_json())
        else:
            from desktop_app.documents.content import DocumentBuilder

            record, template = ws.report(args.id)
            print(DocumentBuilder(template, ws.validator(template)).build(ws.document(args.id).to_json()).plain_text())
    elif action == "import-json":
        report_id, _created = ws.import_document(_read_json(args.file))
        print(report_id)
    elif action == "validate":
        result = ws.validate(args.id)
        _print_issues(result)
        return EXIT_INVALID if result.errors else EXIT_OK
    elif action == "finalise":
        result = ws.validate(args.id)
        if result.errors:
            print("Chưa hoàn tất được: báo cáo còn lỗi cần sửa.")
            _print_issues(result)
            return EXIT_INVALID
        ws.finalise(args.id)
        print("Đã hoàn tất báo cáo.")
    elif action == "reopen":
        ws.reopen(args.id, args.reason)
        print("Đã mở lại báo cáo để sửa.")
    elif action == "delete":
        ws.delete_report(args.id)
        print("Đã xóa báo cáo (có thể khôi phục bằng «baocaoxa report restore».")
    elif action == "export":
        from desktop_app.documents import export

        if not args.docx and not args.xlsx:
            raise UserError("Cần ghi rõ --docx TỆP và/hoặc --xlsx TỆP.")
        if args.docx:
            print(f"Đã xuất {export.export_docx(ws, args.id, args.docx)}")
        if args.xlsx:
            print(f"Đã xuất {export.export_xlsx(ws, args.id, args.xlsx)}")
    elif action == "import-xlsx":
        from desktop_app.documents import export

        changed = export.import_xlsx(ws, args.id, args.file)
        print(f"Đã nạp số liệu từ Excel: {changed} trường thay đổi.")
        _print_issues(ws.validate(args.id))
    elif action == "restore":
        ws.restore_report(args.id)
        print("Đã khôi phục báo cáo.")
    return EXIT_OK


def _restore_even_if_damaged(args: argparse.Namespace) -> int:
    """Restore must work precisely when the database is too damaged to open."""
    from desktop_app import paths
    from desktop_app.instance import InstanceLock
    from desktop_app.services import DamagedDatabase, Workspace

    lock = InstanceLock(paths.data_dir(getattr(args, "data_dir", None)))
    if not lock.acquire():
        raise UserError("BaoCaoXa đang mở với thư mục dữ liệu này. Hãy đóng cửa sổ chương trình rồi khôi phục.")
    try:
        return _restore_locked(args, Workspace, DamagedDatabase, paths)
    finally:
        lock.release()


def _restore_locked(args, Workspace, DamagedDatabase, paths) -> int:  # noqa: N803 - passed-in classes
    try:
        ws = Workspace(getattr(args, "data_dir", None))
    except DamagedDatabase:
        from desktop_app.recovery import replace_damaged_database

        kept = replace_damaged_database(paths.data_dir(getattr(args, "data_dir", None)), Path(args.file))
        print(f"Đã khôi phục dữ liệu từ bản sao lưu. Tệp hỏng được giữ lại ở {kept}.")
        return EXIT_OK
    try:
        return _dispatch(ws, args)
    finally:
        ws.close()


def _require_object(data: Any) -> dict:
    if not isinstance(data, dict):
        raise UserError("Tệp giá trị phải là một đối tượng JSON {\"mã_trường\": giá trị, …}.")
    return data


def _start_gui(args: argparse.Namespace) -> int:
    # Late-bound on purpose: the core never imports Qt, so the GUI is loaded by name.
    gui = importlib.import_module("ui.app")
    return gui.main(data_dir=getattr(args, "data_dir", None), selftest=args.selftest)


class _TerminalSafe:
    """A stream whose text has escape sequences and control characters removed: what a
    bundle, a name or a file says can never drive the terminal."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        from desktop_app.text import terminal_safe

        return self._stream.write(terminal_safe(text))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _TerminalSafe(sys.stdout), _TerminalSafe(sys.stderr)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = saved


def _command_name(args: argparse.Namespace) -> str:
    """``cli report set``, ``cli gui``, ``cli gui --selftest``: the operation's name in the log."""
    if args.command is None:
        return "cli gui --selftest" if args.selftest else "cli gui"
    action = getattr(args, "action", None)
    return f"cli {args.command}" + (f" {action}" if action else "")


def _argv_data_dir(argv: list[str]) -> str | None:
    for index, arg in enumerate(argv):
        if arg == "--data-dir" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--data-dir="):
            return arg.split("=", 1)[1]
    return None


def _log_usage_error(argv: list[str] | None, code: int) -> None:
    """A command line argparse refused: logged by its command words only (never the arguments)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    words = [a for a in argv if a in _COMMAND_WORDS][:2]
    try:
        logs.setup(paths.data_dir(_argv_data_dir(argv)))
        logs.log.info("op %s %s", " ".join(["cli", *words]), logs.kv(outcome="refused", exit=code, error="usage"))
    finally:
        logs.close()


_COMMAND_WORDS: set[str] = set()


def _main(argv: list[str] | None) -> int:
    parser = _build_parser()
    if not _COMMAND_WORDS:
        for action in parser._subparsers._group_actions if parser._subparsers else []:  # noqa: SLF001
            choices: dict[str, Any] = action.choices  # type: ignore[assignment]  # a subparsers action
            for name, sub in choices.items():
                _COMMAND_WORDS.add(name)
                for sub_action in sub._subparsers._group_actions if sub._subparsers else []:  # noqa: SLF001
                    _COMMAND_WORDS.update(sub_action.choices)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors: return argparse's code
        code = exc.code if isinstance(exc.code, int) else EXIT_USAGE
        if code:
            _log_usage_error(argv, code)
        return code
    logs.setup(paths.data_dir(getattr(args, "data_dir", None)))
    try:
        number = getattr(args, "id", None)
        with logs.operation(_command_name(args), number if args.command == "report" else None) as op:
            if number is not None and args.command != "report":
                op.extra["id"] = number  # a conflict's or a held bundle's number
            code = _guarded(args, op)
            op.extra["exit"] = code
            if code != EXIT_OK and op.outcome == "ok":
                op.outcome = "refused"  # the command said no: errors in a report, a bundle refused…
            return code
    finally:
        logs.close()


def _guarded(args: argparse.Namespace, op: logs.Operation) -> int:
    try:
        if args.command is None:
            return _start_gui(args)
        return _run(args)
    except UserError as exc:
        op.outcome, op.extra["error"] = "refused", type(exc).__name__
        print(f"Lỗi: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        op.outcome = "interrupted"
        return 130
    except Exception as exc:  # noqa: BLE001 - a person gets a sentence, not a traceback
        op.outcome, op.extra["error"] = "error", type(exc).__name__
        logs.log_exception(f"unexpected error in {_command_name(args)}", exc)
        where = logs.current_path()
        print(f"Lỗi không mong muốn: {type(exc).__name__}: {exc}. Dữ liệu đã lưu không bị ảnh hưởng; "
              "hãy gửi thông báo này cho cán bộ hỗ trợ"
              + (f" (chi tiết trong nhật ký {where}; lệnh «baocaoxa support-bundle TỆP.zip» tạo gói hỗ trợ)."
                 if where else "."), file=sys.stderr)
        return EXIT_USAGE
