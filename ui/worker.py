"""Run long operations off the GUI thread with a progress dialog; the window never freezes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(int, int)


class _Task(QRunnable):
    def __init__(self, work: Callable[[Callable[[int, int], None]], Any]):
        super().__init__()
        self.work = work
        self.signals = _Signals()

    def run(self) -> None:
        try:
            result = self.work(lambda done, total: self.signals.progress.emit(done, total))
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread to show
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


def run_in_background(parent: QWidget, title: str, work: Callable[[Callable[[int, int], None]], Any],
                      on_done: Callable[[Any], None], on_failed: Callable[[Exception], None]) -> QProgressDialog:
    """``work(report_progress)`` runs on a worker thread; the callbacks run on the GUI thread."""
    dialog = QProgressDialog(title, "", 0, 0, parent)
    dialog.setWindowTitle("Đang xử lý")
    dialog.setCancelButton(None)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    task = _Task(work)

    def progress(done: int, total: int) -> None:
        dialog.setMaximum(total)
        dialog.setValue(done)

    def finished(result: Any) -> None:
        dialog.close()
        on_done(result)

    def failed(error: Exception) -> None:
        dialog.close()
        on_failed(error)

    task.signals.progress.connect(progress)
    task.signals.done.connect(finished)
    task.signals.failed.connect(failed)
    dialog._task = task  # keep the signals alive as long as the dialog
    QThreadPool.globalInstance().start(task)
    return dialog
