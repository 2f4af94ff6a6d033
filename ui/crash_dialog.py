"""When something goes wrong in the window: the log gets the traceback, the person gets a
sentence in Vietnamese, and the window stays open.

:func:`install` routes ``sys.excepthook`` (exceptions in slots and event handlers land there
in PySide6, which then carries on), ``threading.excepthook`` and Qt's own messages
(``qInstallMessageHandler``) to the support log. The dialog is shown from the event loop,
never from inside the hook, and only one at a time: a fault that repeats (a paint handler)
adds to its count instead of opening a dialog per repaint.
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QtMsgType, QUrl, Signal, qInstallMessageHandler
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desktop_app.support import logs
from ui.common import ask_save_path, info, show_error

QT_LEVELS = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
             QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
             QtMsgType.QtFatalMsg: logging.CRITICAL}
QT_REPEATS = 20  # the same Qt message is logged this many times, then only counted


def plain_words(exc: BaseException) -> str:
    """What happened, as a person reads it (the technical detail is in the log)."""
    if isinstance(exc, MemoryError):
        return "Máy tính không đủ bộ nhớ để làm tiếp việc vừa rồi. Hãy đóng bớt các chương trình khác."
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "Ổ đĩa đã đầy nên không ghi được. Hãy xóa bớt tệp để giải phóng ổ đĩa."
    if isinstance(exc, PermissionError):
        return "Chương trình không có quyền đọc hoặc ghi một tệp cần dùng (tệp đang mở ở chương trình khác?)."
    if isinstance(exc, OSError):
        return "Không đọc hoặc ghi được một tệp (USB bị rút, ổ đĩa lỗi hoặc tệp đang bị chương trình khác dùng)."
    if type(exc).__module__.startswith(("db.sql", "sqlalchemy", "sqlite3", "psycopg")):
        return "Không đọc hoặc ghi được cơ sở dữ liệu (ổ đĩa đầy, tệp bị khóa hoặc hỏng)."
    return "Chương trình gặp một lỗi bên trong khi làm việc vừa rồi. Đây là lỗi của phần mềm, không phải do bạn."


class _Bridge(QObject):
    """Carries a fault from any thread to the GUI thread, always through the event loop."""

    fault = Signal(object, str)


class CrashReporter:
    def __init__(self, support: Callable[[QWidget | None], object] | None):
        self.support = support
        self.dialog: QMessageBox | None = None
        self.repeats = 0
        self.bridge = _Bridge()
        self.bridge.fault.connect(self._show, Qt.ConnectionType.QueuedConnection)
        self._qt_seen: dict[str, int] = {}
        self._previous = (sys.excepthook, threading.excepthook)

    # --- hooks (any thread) -----------------------------------------------------------
    def excepthook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._previous[0](exc_type, exc, tb)
            return
        exc = exc if exc is not None else exc_type()
        if exc.__traceback__ is None:
            exc = exc.with_traceback(tb)
        logs.log_exception(f"uncaught exception in thread {threading.current_thread().name}", exc,
                           logging.CRITICAL)
        logs.flush()
        self._echo(self._previous[0], exc_type, exc, tb)
        self.bridge.fault.emit(exc, threading.current_thread().name)

    @staticmethod
    def _echo(hook, *args) -> None:
        """A console (a developer, a test) still sees the traceback; a windowed build has none."""
        if sys.stderr is not None:
            try:
                hook(*args)
            except Exception:  # noqa: BLE001 - the log has it already
                pass

    def thread_excepthook(self, hook_args) -> None:
        if hook_args.exc_type is SystemExit:
            return
        thread = hook_args.thread.name if hook_args.thread is not None else "?"
        exc = hook_args.exc_value if hook_args.exc_value is not None else hook_args.exc_type()
        logs.log_exception(f"uncaught exception in thread {thread}", exc, logging.CRITICAL)
        logs.flush()
        self._echo(self._previous[1], hook_args)
        self.bridge.fault.emit(exc, thread)

    def qt_message(self, kind, context, message: str) -> None:
        level = QT_LEVELS.get(kind, logging.WARNING)
        seen = self._qt_seen.get(message, 0) + 1
        if len(self._qt_seen) < 1000 or message in self._qt_seen:
            self._qt_seen[message] = seen
        if seen > QT_REPEATS and level < logging.CRITICAL:
            return
        category = getattr(context, "category", None)
        where = f" ({category})" if category and category != "default" else ""
        logs.log.log(level, "qt%s: %s%s", where, logs.redact(message, 500),
                     " (further repeats not logged)" if seen == QT_REPEATS else "")
        if level >= logging.CRITICAL:
            logs.flush()  # Qt aborts right after a fatal message

    # --- the dialog (GUI thread) ---------------------------------------------------------
    def _show(self, exc: BaseException, thread: str) -> None:
        if self.dialog is not None:
            self.repeats += 1
            self.dialog.setInformativeText(self._details(exc) + f"\n\nLỗi này hoặc lỗi khác đã xảy ra thêm "
                                           f"{self.repeats} lần.")
            return
        self.repeats = 0
        parent = QApplication.activeWindow()
        box = QMessageBox(QMessageBox.Icon.Critical, "BaoCaoXa gặp lỗi", "", QMessageBox.StandardButton.NoButton,
                          parent)
        box.setObjectName("crash_dialog")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(plain_words(exc) + "\n\nNhững gì bạn đã nhập trước đó vẫn được lưu. Bạn có thể làm việc "
                    "tiếp; nếu lỗi lặp lại, hãy bấm «Tạo gói hỗ trợ…» và gửi tệp đó cho cán bộ hỗ trợ.")
        box.setInformativeText(self._details(exc))
        support = box.addButton("Tạo gói hỗ trợ…", QMessageBox.ButtonRole.ActionRole)
        support.setObjectName("crash_support_bundle")
        folder = box.addButton("Mở thư mục nhật ký", QMessageBox.ButtonRole.ActionRole)
        folder.setObjectName("crash_open_logs")
        go_on = box.addButton("Làm việc tiếp", QMessageBox.ButtonRole.AcceptRole)
        go_on.setObjectName("crash_continue")
        box.setDefaultButton(go_on)
        box.setWindowModality(Qt.WindowModality.ApplicationModal)

        def clicked(button) -> None:
            self.dialog = None
            if button is support and self.support is not None:
                self.support(parent)
            elif button is folder and logs.current_path() is not None:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(logs.current_path().parent)))

        box.buttonClicked.connect(clicked)
        box.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = box
        box.open()  # not exec(): the hook's caller (a slot, a paint event) has long returned

    @staticmethod
    def _details(exc: BaseException) -> str:
        where = logs.current_path()
        log_line = f"Nhật ký: {where}" if where else "Không ghi được nhật ký (thư mục dữ liệu chỉ cho đọc)."
        return f"Loại lỗi: {type(exc).__name__} (chi tiết đã ghi vào nhật ký).\n{log_line}"


_reporter: CrashReporter | None = None


def install(support: Callable[[QWidget | None], object] | None = None) -> CrashReporter:
    """Route uncaught exceptions and Qt's messages to the log, with the dialog. ``support(parent)``
    makes a support bundle (the dialog's «Tạo gói hỗ trợ…»)."""
    global _reporter
    reporter = CrashReporter(support)
    sys.excepthook = reporter.excepthook
    threading.excepthook = reporter.thread_excepthook
    qInstallMessageHandler(reporter.qt_message)
    _reporter = reporter
    return reporter


def uninstall() -> None:
    global _reporter
    if _reporter is not None:
        sys.excepthook, threading.excepthook = _reporter._previous  # noqa: SLF001
        qInstallMessageHandler(None)
        _reporter = None


def save_support_bundle(parent: QWidget | None, workspace) -> Path | None:
    """Ask where, then write the support bundle (logs, check, start-up facts; no report data)."""
    start = workspace.setting("last_folder") or str(Path.home())
    name = f"baocaoxa-ho-tro-{dt.datetime.now():%Y%m%d-%H%M}.zip"
    path = ask_save_path(parent, "Tạo gói hỗ trợ", str(Path(start) / name), "Gói hỗ trợ (*.zip)", ".zip")
    if not path:
        return None
    try:
        written = workspace.write_support_bundle(path)
    except Exception as exc:  # noqa: BLE001 - the bundle is made when things are already going wrong
        show_error(parent, exc, "Không tạo được gói hỗ trợ")
        return None
    info(parent, "Đã tạo gói hỗ trợ", f"Đã ghi gói hỗ trợ:\n{written}\n\nGói chỉ có nhật ký và kết quả kiểm tra cơ sở "
         "dữ liệu, không có số liệu báo cáo. Hãy gửi tệp này cho cán bộ hỗ trợ (thư điện tử, Zalo, USB).")
    return written
