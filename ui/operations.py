"""One way for the window to change data: operations on one serial worker, announced once.

Anki's pattern: every mutation is an operation; it runs through :func:`run` (long ones on a
single worker thread, so two never touch the workspace at the same time) or :func:`run_now`
(short ones, on the GUI thread, after any running one has finished); each is one line in the
support log; errors take one path (a Vietnamese dialog); and when it succeeds its
:class:`Changes` is announced by ``hub().did_execute``, to which every view subscribes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from desktop_app.domain.changes import Changes
from desktop_app.support.logs import operation

Work = Callable[[Callable[[int, int], None]], Any]
NOTHING = Changes()  # an operation that changes no view (an export, a check)
ChangesOf = Changes | Callable[[Any], Changes]


class OperationHub(QObject):
    """Announces what each operation changed: ``did_execute(changes, origin)``."""

    did_execute = Signal(object, object)

    def __init__(self):
        super().__init__()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one worker: operations never overlap

    def announce(self, changes: Changes, origin: object | None = None) -> None:
        if changes:
            self.did_execute.emit(changes, origin)


_HUB: OperationHub | None = None


def hub() -> OperationHub:
    global _HUB
    if _HUB is None:
        _HUB = OperationHub()
    return _HUB


_RUNNING: set[_Task] = set()


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(int, int)


class _Task(QRunnable):
    def __init__(self, name: str, work: Work):
        super().__init__()
        self.name, self.work = name, work
        self.signals = _Signals()

    def run(self) -> None:
        try:
            with operation(self.name):  # one log line: name, duration, outcome (never values)
                result = self.work(lambda done, total: self.signals.progress.emit(done, total))
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread to show
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)


def _changes_of(changes: ChangesOf, result: Any) -> Changes:
    return changes(result) if callable(changes) else changes


def _failed(parent: QWidget | None, on_failed: Callable[[Exception], None] | None, error: Exception) -> None:
    if on_failed is not None:
        on_failed(error)
        return
    from ui.common import show_error

    show_error(parent, error)


def run(parent: QWidget | None, title: str, work: Work, on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[Exception], None] | None = None, *, changes: ChangesOf = NOTHING,
        origin: object | None = None, name: str | None = None) -> QProgressDialog:
    """``work(report_progress)`` on the serial worker with a progress dialog; the callbacks and
    the announcement of ``changes`` (or ``changes(result)``) run on the GUI thread."""
    dialog = QProgressDialog(title, "", 0, 0, parent)
    dialog.setWindowTitle("Đang xử lý")
    dialog.setCancelButton(None)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(300)
    task = _Task(name or title, work)

    def progress(done: int, total: int) -> None:
        dialog.setMaximum(total)
        dialog.setValue(done)

    def finished(result: Any) -> None:
        _RUNNING.discard(task)
        dialog.close()
        hub().announce(_changes_of(changes, result), origin)
        if on_done is not None:
            on_done(result)

    def failed(error: Exception) -> None:
        _RUNNING.discard(task)
        dialog.close()
        _failed(parent, on_failed, error)

    task.signals.progress.connect(progress)
    task.signals.done.connect(finished)
    task.signals.failed.connect(failed)
    _RUNNING.add(task)  # kept (with its signals) until its result has been handed over
    hub().pool.start(task)
    return dialog


def run_now(parent: QWidget | None, name: str, work: Callable[[], Any], *, changes: ChangesOf = NOTHING,
            origin: object | None = None) -> tuple[bool, Any]:
    """A short operation on the GUI thread (after any running one): (succeeded, result)."""
    hub().pool.waitForDone()
    try:
        with operation(name):
            result = work()
    except Exception as exc:  # noqa: BLE001 - one error path for every operation
        _failed(parent, None, exc)
        return False, None
    hub().announce(_changes_of(changes, result), origin)
    return True, result


def wait_idle() -> None:
    """Let a running operation finish (closing the window, tests)."""
    hub().pool.waitForDone()
