"""A horizontal bar chart of one indicator, one bar per unit, drawn with QPainter.

Hand-drawn rather than QtCharts: a province has around a hundred communes and the country
3,321, so the chart is a tall scrollable list of bars with vi-VN labels, which QtCharts'
category axes do not do well; it also keeps QtCharts out of the package.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QWidget

BAR_HEIGHT = 20
GAP = 4
MARGIN = 8
BAR_COLOUR = QColor("#3b78c4")
TOTAL_COLOUR = QColor("#1f4f8a")
EMPTY_TEXT = "(chưa có số liệu)"


class BarChart(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.bars: list[tuple[str, float | None, str]] = []  # (unit name, value, value text)
        self.setObjectName("bar_chart")

    def set_bars(self, bars: list[tuple[str, float | None, str]]) -> None:
        self.bars = bars
        self.updateGeometry()
        self.resize(self.width(), self.sizeHint().height())
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(600, max(1, len(self.bars)) * (BAR_HEIGHT + GAP) + 2 * MARGIN)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(300, self.sizeHint().height())

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = QFontMetrics(self.font())
        if not self.bars:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, EMPTY_TEXT)
            return
        name_width = min(max(metrics.horizontalAdvance(name) for name, _, _ in self.bars) + 12, self.width() // 3)
        value_width = max(metrics.horizontalAdvance(text) for _, _, text in self.bars) + 12
        span = max(self.width() - name_width - value_width - 2 * MARGIN, 10)
        values = [v for _, v, _ in self.bars if v is not None]
        top = max([abs(v) for v in values] + [0]) or 1
        visible = event.rect()  # only the bars Qt asks for (those scrolled into view) are painted
        for index, (name, value, text) in enumerate(self.bars):
            y = MARGIN + index * (BAR_HEIGHT + GAP)
            if y + BAR_HEIGHT < visible.top() or y > visible.bottom():
                continue
            painter.setPen(self.palette().windowText().color())
            name_rect = QRectF(MARGIN, y, name_width - 8, BAR_HEIGHT)
            painter.drawText(name_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(name, Qt.TextElideMode.ElideRight, int(name_rect.width())))
            length = 0.0 if value is None else span * abs(value) / top
            painter.fillRect(QRectF(MARGIN + name_width, y + 2, length, BAR_HEIGHT - 4), BAR_COLOUR)
            painter.drawText(QRectF(MARGIN + name_width + length + 6, y, value_width, BAR_HEIGHT),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text or "—")
        painter.end()
