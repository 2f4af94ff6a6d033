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
