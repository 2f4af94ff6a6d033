"""The support log: one rotating file in the data folder, ``logs/baocaoxa.log``.

One module sets it up (:func:`setup`); everything else logs through :data:`log` or the
:func:`operation` decorator / context manager. What is logged: the start-up facts, one line
per operation (name, report id, duration, outcome), crashes with their traceback. What is
never logged: values typed, report content, exception messages that could quote them
(:func:`redact` blanks quoted text and numbers in messages).

Cheap on purpose (start-up time): only the standard library, and ``logging.handlers`` is
imported when the file handler is made.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

LOG_DIR = "logs"
LOG_FILE = "baocaoxa.log"
MAX_BYTES = 1024 * 1024
BACKUP_COUNT = 5
LEVEL_ENV = "BAOCAOXA_LOG_LEVEL"  # e.g. DEBUG for Qt's debug messages

log = logging.getLogger("baocaoxa")
log.addHandler(logging.NullHandler())  # a library use without setup() prints nothing

_handler: logging.Handler | None = None
_facts: dict[str, str] = {}
_local = threading.local()
F = TypeVar("F", bound=Callable[..., Any])


def log_dir(data_dir: str | os.PathLike) -> Path:
    return Path(data_dir) / LOG_DIR


def log_path(data_dir: str | os.PathLike) -> Path:
    return log_dir(data_dir) / LOG_FILE


def _make_handler(path: Path) -> logging.Handler:
    from logging.handlers import RotatingFileHandler

    class SafeRotatingFileHandler(RotatingFileHandler):
        """Never breaks the app: a failed write is dropped; a rotation another process blocks
        (Windows keeps an open file from being renamed) is skipped and tried on the next line."""

        def doRollover(self) -> None:  # noqa: N802 - logging API
            try:
                super().doRollover()
            except OSError:
                if self.stream is None:
                    self.stream = self._open()

        def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging API
            pass

    handler = SafeRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8",
                                      delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(process)d %(threadName)s] %(message)s",
                                           datefmt="%Y-%m-%dT%H:%M:%S%z"))
    return handler


def setup(data_dir: str | os.PathLike) -> Path | None:
    """Log to ``DATA/logs/baocaoxa.log`` from now on (replacing an earlier set-up). Returns the
    file, or None when the folder cannot be written (a CD, a write-protected stick): the app
    then runs without a log rather than not at all."""
    global _handler
    path = log_path(data_dir)
    if _handler is not None and getattr(_handler, "baseFilename", None) == str(path.absolute()):
        return path
    close()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(path.parent, os.W_OK):
            return None
        handler = _make_handler(path)
    except OSError:
        return None
    # a library's logging.config call (import-linter's, say) may have disabled existing loggers
    for name, other in list(logging.root.manager.loggerDict.items()):
        if (name == log.name or name.startswith(log.name + ".")) and isinstance(other, logging.Logger):
            other.disabled = False
    level = getattr(logging, os.environ.get(LEVEL_ENV, "INFO").upper(), logging.INFO)
    handler.setLevel(level)
    log.setLevel(min(level, logging.INFO))
    log.addHandler(handler)
    _handler = handler
    return path


def close() -> None:
    """Flush and close the file (the CLI does this after each command: the file is not held open)."""
    global _handler
    if _handler is not None:
        log.removeHandler(_handler)
        _handler.close()
        _handler = None


def current_path() -> Path | None:
    name = getattr(_handler, "baseFilename", None)
    return Path(name) if name else None


# --- what may be written ------------------------------------------------------------------

_QUOTED = re.compile(r"«[^»]*»|“[^”]*”|\"[^\"]*\"|'[^']*'")
_NUMBER = re.compile(r"\d[\d.,]*")


def redact(text: str, limit: int = 300) -> str:
    """A message without what it quotes or counts: values typed show up quoted («hai», 'abc')
    or as numbers in exception messages, so both are blanked."""
    text = _NUMBER.sub("#", _QUOTED.sub("«…»", str(text)))
    return text if len(text) <= limit else text[:limit] + "…"


def _quote(value: Any) -> str:
    text = str(value)
    return f'"{text}"' if (not text or any(c in text for c in ' "=')) else text


def kv(**fields: Any) -> str:
    return " ".join(f"{k}={_quote(v)}" for k, v in fields.items() if v is not None)


def describe_exception(exc: BaseException) -> str:
    """``Type: message`` safe for the log. OS errors keep their errno and system text (never the
    file name); other messages are redacted."""
    name = type(exc).__qualname__
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"{name}: [Errno {exc.errno}] {exc.strerror}"
    orig = getattr(exc, "orig", None)  # SQLAlchemy wraps sqlite3's error: its text is SQLite's own
    if orig is not None and type(orig).__module__ == "sqlite3":
        return f"{name}: {type(orig).__name__}: {redact(orig)}"
    message = str(exc)
    return f"{name}: {redact(message)}" if message else name


def format_exception(exc: BaseException) -> str:
    """The traceback (files, lines, code) with every message passed through :func:`describe_exception`."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(chain) < 10:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts = []
    for index, item in enumerate(reversed(chain)):
        if index:
            parts.append("During handling of the above exception, another exception occurred:")
        parts.append("Traceback (most recent call last):")
        parts += [line.rstrip("\n") for line in traceback.format_tb(item.__traceback__)]
        parts.append(describe_exception(item))
    return "\n".join(parts)


def log_exception(what: str, exc: BaseException, level: int = logging.ERROR) -> None:
    """The exception and its (redacted) traceback, once: an error logged where it failed is not
    logged again where it is shown."""
    if getattr(exc, "_baocaoxa_logged", False):
        return
    try:
        exc._baocaoxa_logged = True  # type: ignore[attr-defined]
    except AttributeError:
        pass  # an exception type with __slots__: logged again if met again
    log.log(level, "%s: %s\n%s", what, describe_exception(exc), format_exception(exc))


# --- start-up ------------------------------------------------------------------------------

def os_description() -> str:
    import platform  # only when a start-up line is written

    return f"{platform.system()} {platform.release()} ({platform.version()}; {platform.machine()})"


def log_startup(facts: dict[str, Any]) -> None:
    """The start-up line; the facts are kept for the support bundle (e.g. the Qt version the GUI adds)."""
    _facts.update({k: str(v) for k, v in facts.items()})
    log.info("start %s", kv(**facts))


def startup_facts() -> dict[str, str]:
    return dict(_facts)


# --- operations -----------------------------------------------------------------------------

class Operation:
    """What one operation reports about itself: the report it concerns, how it ended."""

    def __init__(self, name: str, report_id: Any = None):
        self.name, self.report_id = name, report_id
        self.outcome = "ok"
        self.extra: dict[str, Any] = {}


def _outcome(exc: BaseException) -> str:
    from desktop_app.errors import UserError

    return "refused" if isinstance(exc, UserError) else "error"


@contextmanager
def operation(name: str, report_id: Any = None) -> Iterator[Operation]:
    """Log one line when the block ends: name, report, duration, outcome (ok | refused | error).

    A person's refusal (:class:`UserError`) is ``refused``; anything else is ``error`` and its
    traceback follows. Nested operations name the one they run within."""
    op = Operation(name, report_id)
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    within = stack[-1] if stack else None
    stack.append(name)
    started = time.perf_counter()
    failure: BaseException | None = None
    try:
        yield op
    except BaseException as exc:
        failure = exc
        op.outcome = "interrupted" if isinstance(exc, (KeyboardInterrupt, SystemExit)) else _outcome(exc)
        raise
    finally:
        stack.pop()
        took = round((time.perf_counter() - started) * 1000)
        line = kv(report=op.report_id, duration_ms=took, outcome=op.outcome, within=within, **op.extra)
        if failure is not None and op.outcome == "error":
            log.error("op %s %s error=%s", name, line, _quote(describe_exception(failure)))
            log_exception(f"in {name}", failure)  # the traceback once, at the innermost operation
        elif failure is not None:
            log.info("op %s %s error=%s", name, line, type(failure).__qualname__)
        else:
            log.info("op %s %s", name, line)


def logged(fn: F) -> F:
    """Decorator: the call is one :func:`operation` named after the function. The report id is
    the ``report_id`` argument, or else the id the call returns (a new report)."""
    code = fn.__code__
    names = code.co_varnames[:code.co_argcount]
    position = names.index("report_id") if "report_id" in names else None

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        report_id = kwargs.get("report_id")
        if report_id is None and position is not None and position < len(args):
            report_id = args[position]
        with operation(fn.__name__, report_id) as op:
            result = fn(*args, **kwargs)
            if op.report_id is None:
                first = result[0] if isinstance(result, tuple) and result else result
                if isinstance(first, int) and not isinstance(first, bool):
                    op.report_id = first
            return result

    return wrapper  # type: ignore[return-value]


def flush() -> None:
    if _handler is not None:
        _handler.flush()

