"""Errors the person can cause; every message is Vietnamese and says what to do."""


class UserError(Exception):
    """Bad input or a bad file: nothing was changed. CLI exit code 2."""

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or []

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  - {d}" for d in self.details)])


class ReportLocked(UserError):
    """The report is finalised: reopen it (with a reason) before editing."""


class ReportExists(UserError):
    """An import would replace a report already here: done only when asked (``--replace``)."""

    def __init__(self, what: str, report_id: int):
        super().__init__(f"Đã có {what}. Nhập tệp này sẽ thay toàn bộ nội dung báo cáo đó nên chưa nhập gì. "
                         "Muốn thay thì nhập lại với «--replace».")
        self.what = what  # «báo cáo «…» năm 2025 của Xã … (số 3)»
        self.report_id = report_id
