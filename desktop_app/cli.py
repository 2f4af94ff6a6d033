"""``baocaoxa`` command line. Without a subcommand it starts the desktop app.

Exit codes: 0 success, 1 validation errors found, 2 bad usage or bad input.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from typing import Any

from desktop_app import __version__, paths
from desktop_app import cli_commands as commands
from desktop_app.cli_commands import EXIT_INVALID, EXIT_OK, EXIT_USAGE
from desktop_app.errors import UserError
from desktop_app.support import logs


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
    common.add_argument("--database", default=argparse.SUPPRESS, metavar="postgresql://…",
                        help="cơ sở dữ liệu PostgreSQL dùng chung của cơ quan (mặc định: tệp SQLite trong thư mục "
                             "dữ liệu, hoặc địa chỉ ghi bằng lệnh «database set»)")
    common.add_argument("--staff", default=argparse.SUPPRESS, metavar="TÊN",
                        help="tên cán bộ ghi vào nhật ký thay đổi (mặc định: tên người dùng của máy)")
    parser = _Parser(prog="baocaoxa", description="BaoCaoXa — báo cáo CNTT và chuyển đổi số cấp xã, không cần mạng.",
                     parents=[common])
    parser.add_argument("--version", action="version", version=f"BaoCaoXa {__version__}")
    parser.add_argument("--selftest", action="store_true", help="tự kiểm tra giao diện rồi thoát")
    sub = parser.add_subparsers(dest="command", metavar="LỆNH", parser_class=_Parser)

    templates = sub.add_parser("templates", help="mẫu báo cáo", parents=[common])
    tsub = templates.add_subparsers(dest="action", metavar="VIỆC", required=True, parser_class=_Parser)
    tsub.add_parser("list", help="liệt kê các loại báo cáo đã cài: phiên bản, căn cứ, tỉnh ban hành, hiệu lực",
                    parents=[common])
    tinstall = tsub.add_parser("install", help="kiểm tra rồi cài một tệp mẫu vào thư mục dữ liệu", parents=[common])
    tinstall.add_argument("file", metavar="TỆP")
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
    uset.add_argument("--role", choices=["commune", "province", "department"],
                      help="vai trò: commune (xã, phường lập báo cáo), province (UBND tỉnh nhận và tổng hợp), "
                           "department (sở, ngành của tỉnh nhận và tổng hợp; mã đơn vị là mã tỉnh)")
    uset.add_argument("--department", metavar="TÊN", help="tên sở, ngành khi --role department "
                      "(mặc định: Sở Khoa học và Công nghệ)")

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
    aggregate.add_argument("--missing", metavar="TỆP", help="ghi danh sách đơn vị chưa gửi (.xlsx hoặc .csv)")
    database = sub.add_parser("database", help="cơ sở dữ liệu dùng chung (PostgreSQL) của thư mục dữ liệu này",
                              parents=[common])
    dsub = database.add_subparsers(dest="action", metavar="VIỆC", required=True, parser_class=_Parser)
    dsub.add_parser("show", help="xem máy này đang dùng cơ sở dữ liệu nào", parents=[common])
    dset = dsub.add_parser("set", help="dùng cơ sở dữ liệu PostgreSQL này từ nay (kiểm tra kết nối trước)",
                           parents=[common])
    dset.add_argument("url", metavar="postgresql://…")
    dsub.add_parser("clear", help="trở lại tệp SQLite của thư mục dữ liệu", parents=[common])
    dstaff = dsub.add_parser("staff", help="tên cán bộ làm việc trên máy này, ghi vào nhật ký thay đổi "
                             "(không có tên: xem tên đang ghi; \"\": trở lại tên người dùng của máy)", parents=[common])
    dstaff.add_argument("name", nargs="?", metavar="TÊN")
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
    rimport.add_argument("--replace", action="store_true",
                         help="thay toàn bộ nội dung báo cáo đã có cùng đơn vị, mẫu và kỳ")
    rvalidate = rsub.add_parser("validate", help="kiểm tra báo cáo", parents=[common])
    rvalidate.add_argument("id", type=int, metavar="SỐ")
    rfinal = rsub.add_parser("finalise", help="hoàn tất báo cáo (khi không còn lỗi)", parents=[common])
    rfinal.add_argument("id", type=int, metavar="SỐ")
    rreopen = rsub.add_parser("reopen", help="mở lại báo cáo đã hoàn tất", parents=[common])
    rreopen.add_argument("id", type=int, metavar="SỐ")
    rreopen.add_argument("--reason", required=True, metavar="LÝ_DO")
    rdelete = rsub.add_parser("delete", help="xóa báo cáo (khôi phục được)", parents=[common])
    rdelete.add_argument("id", type=int, metavar="SỐ")
    rexport = rsub.add_parser("export", help="xuất báo cáo ra Word (.docx), PDF và/hoặc Excel (.xlsx)",
                              parents=[common])
    rexport.add_argument("id", type=int, metavar="SỐ")
    rexport.add_argument("--docx", metavar="TỆP.docx")
    rexport.add_argument("--pdf", metavar="TỆP.pdf",
                         help="tệp PDF, tạo bằng Microsoft Word (trên Windows) hoặc LibreOffice có trên máy")
    rexport.add_argument("--xlsx", metavar="TỆP.xlsx")
    rimpx = rsub.add_parser("import-xlsx", help="nạp số liệu từ tệp Excel cùng mẫu", parents=[common])
    rimpx.add_argument("id", type=int, metavar="SỐ")
    rimpx.add_argument("file", metavar="TỆP.xlsx")
    rrestore = rsub.add_parser("restore", help="khôi phục báo cáo đã xóa", parents=[common])
    rrestore.add_argument("id", type=int, metavar="SỐ")
    return parser


def _workspace(args: argparse.Namespace):
    from desktop_app.services import Workspace

    ws = Workspace(getattr(args, "data_dir", None), who=getattr(args, "staff", None),
                   database=getattr(args, "database", None))
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
        from desktop_app.templating.loader import load_template

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
    if args.command == "database":
        return commands.database_setting(paths.data_dir(getattr(args, "data_dir", None)), args)
    ws = _workspace(args)
    try:
        return commands.dispatch(ws, args)
    finally:
        ws.close()


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
        ws = Workspace(getattr(args, "data_dir", None), who=getattr(args, "staff", None),
                       database=getattr(args, "database", None))
    except DamagedDatabase:
        from desktop_app.recovery import replace_damaged_database

        kept = replace_damaged_database(paths.data_dir(getattr(args, "data_dir", None)), Path(args.file))
        print(f"Đã khôi phục dữ liệu từ bản sao lưu. Tệp hỏng được giữ lại ở {kept}.")
        return EXIT_OK
    try:
        return commands.dispatch(ws, args)
    finally:
        ws.close()


def _start_gui(args: argparse.Namespace) -> int:
    # Late-bound on purpose: the core never imports Qt, so the GUI is loaded by name.
    gui = importlib.import_module("ui.app")
    return gui.main(data_dir=getattr(args, "data_dir", None), selftest=args.selftest,
                    database=getattr(args, "database", None), staff=getattr(args, "staff", None))


class _TerminalSafe:
    """A stream whose text has escape sequences and control characters removed: what a
    bundle, a name or a file says can never drive the terminal."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        from desktop_app.domain.text import terminal_safe

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
