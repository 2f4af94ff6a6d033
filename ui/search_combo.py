"""A drop-down found by typing a few letters of the name, with or without diacritics.

Qt's own type-to-find matches the start of the item, and every province starts with «Tỉnh» or
«Thành phố»: typing «quang» found nothing. Here the typed letters (folded: no diacritics, no
case) match the start of the name without its kind, then anywhere in it.
"""

from __future__ import annotations

import re
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from desktop_app.domain.text import fold

_KIND = re.compile(r"^(tinh|thanh pho|huyen|thi xa|quan)\s+")
RESET_SECONDS = 1.2  # a pause this long starts a new search, as in a file manager


class SearchableComboBox(QComboBox):
    def __init__(self):
        super().__init__()
        self._typed = ""
        self._last = 0.0
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        text = event.text()
        if not text or not text.isprintable() or event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier:
            super().keyPressEvent(event)
            return
        now = time.monotonic()
        self._typed = (self._typed if now - self._last < RESET_SECONDS else "") + fold(text)
        self._last = now
        index = self.find_index(self._typed)
        if index >= 0:
            self.setCurrentIndex(index)
        event.accept()

    def find_index(self, typed: str) -> int:
        names = [fold(self.itemText(i)) for i in range(self.count())]
        bare = [_KIND.sub("", n) for n in names]
        for candidates in (bare, names):
            for i, name in enumerate(candidates):
                if name.startswith(typed):
                    return i
        return next((i for i, name in enumerate(names) if typed in name), -1)
