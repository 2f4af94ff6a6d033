"""UI tests never block on a modal box: message boxes are recorded instead of shown."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox


@pytest.fixture(autouse=True)
def message_boxes(monkeypatch):
    shown: list[str] = []

    def fake_exec(box):
        shown.append(f"{box.text()} {box.informativeText()}".strip())
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    return shown
