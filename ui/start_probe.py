"""The benchmark's view of the real start (``BAOCAOXA_START_PROBE``, see benchmarks/_children.py):
when the first window was painted, and when a report was open in it, painted.

Once the window is filled, the probe opens the selected report (the list's first: the last
edited) as a person pressing Enter would, waits for the editor's paint, prints both figures
(seconds, one a line) and closes the window. The variable holds a ``time.perf_counter()``
reading, the origin of the figures (the benchmark's spawn of the process); a value that is
not a number counts from the start of ``ui.app.main``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ui.first_paint import after_first_paint

if TYPE_CHECKING:
    from ui.main_window import MainWindow

ENV = "BAOCAOXA_START_PROBE"


class StartProbe:
    def __init__(self, origin: float):
        self.origin = origin
        self.first_paint: float | None = None

    @classmethod
    def from_environment(cls, started: float) -> StartProbe | None:
        value = os.environ.get(ENV)
        if value is None:
            return None
        try:
            return cls(float(value))
        except ValueError:
            return cls(started)

    def window_painted(self) -> None:
        self.first_paint = time.perf_counter() - self.origin

    def window_filled(self, window: MainWindow, finish: Callable[[int], None]) -> None:
        if window.selected_id() is None:
            print("start probe: no report to open in this data folder", file=sys.stderr)
            finish(1)
            return
        window.open_selected()
        editor = window.editor
        if editor is None:
            print("start probe: the report did not open", file=sys.stderr)
            finish(1)
            return
        after_first_paint(editor, lambda: self._report_painted(finish))

    def _report_painted(self, finish: Callable[[int], None]) -> None:
        report_open = time.perf_counter() - self.origin
        print(f"{self.first_paint:.4f}\n{report_open:.4f}", flush=True)
        finish(0)
