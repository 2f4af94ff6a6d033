"""The store's connections: SQL text straight to the driver (sqlite3, or psycopg for a shared
PostgreSQL store), with the few things the store needs around it.

Why not SQLAlchemy here: importing it with its ORM costs a commune's PC about a quarter of a
second and ~48 MiB at every start, more than the rest of opening a report; the store's
queries are few and plain. SQLAlchemy stays for what it does best and is not needed at a
normal start: the Alembic migrations (:func:`db.engine.migrate`) and parsing a server URL.

- SQL is written once for both databases, with ``:name`` or ``?`` parameters (rewritten to
  psycopg's ``%(name)s`` / ``%s``); the few differences are attributes of :class:`Database`
  (``for_update``, ``values_object``).
- Transactions are explicit: :meth:`Connection.transaction` issues ``BEGIN IMMEDIATE`` on
  SQLite (the write lock up front, so two writers never deadlock on an upgrade), ``BEGIN``
  on PostgreSQL, and a savepoint when one is already open.
- Values cross as the SQLAlchemy-made files always stored them, so old files read the same:
  JSON as its text (``ensure_ascii=False``), a time on SQLite as ``YYYY-MM-DD HH:MM:SS.ffffff``.
- A driver's error comes out as :class:`DatabaseError` (``IntegrityError``,
  ``OperationalError``) with the driver's own in ``orig``: callers need not know the driver.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

# One encoder for every value written (json.dumps with options builds a new one per call).
json_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy's DateTime wrote: existing files keep sorting
IDLE_CONNECTIONS = 4


class DatabaseError(Exception):
    """A database error; ``orig`` is the driver's exception (sqlite3 or psycopg)."""

    def __init__(self, orig: BaseException):
        super().__init__(str(orig))
        self.orig = orig

    @property
    def sqlstate(self) -> str | None:
        return getattr(self.orig, "sqlstate", None)


class IntegrityError(DatabaseError):
    """A constraint refused the write (a unique key taken meanwhile, a missing report…)."""


class OperationalError(DatabaseError):
    """The database could not do it now: locked, full, gone, a serialisation failure…"""


def wrapped_error(exc: BaseException) -> DatabaseError:
    """The driver's ``exc`` as this module's error of its kind."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "IntegrityError" in names:
        return IntegrityError(exc)
    if "OperationalError" in names:
        return OperationalError(exc)
    return DatabaseError(exc)


def _is_driver_error(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) or type(exc).__module__.startswith("psycopg")


@contextmanager
def _driver_errors() -> Iterator[None]:
    """A driver's exception raised inside comes out as this module's :class:`DatabaseError`."""
    try:
        yield
    except Exception as exc:
        if _is_driver_error(exc):
            raise wrapped_error(exc) from exc
        raise


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def _pyformat(sql: str) -> str:
    """``:name`` → ``%(name)s`` and ``?`` → ``%s`` (psycopg); the store's SQL has no ``%``,
    ``?`` or ``:`` in its literals."""
    return _NAMED.sub(r"%(\1)s", sql).replace("?", "%s")


def placeholders(count: int) -> str:
    """``?, ?, ?`` for an IN list or a row of ``count`` values."""
    return ", ".join("?" * count)


def in_chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """``items`` in slices of ``size``: SQLite caps the parameters of one statement."""
    return [items[i:i + size] for i in range(0, len(items), size)]


def loads(text: str | float | None) -> Any:
    """A JSON column as Python (NULL and JSON null are both None). SQLite gives a number back as
    a number: a column declared JSON has numeric affinity, so the text ``5`` was stored as 5."""
    if text is None or type(text) is not str:
        return text
    return json.loads(text)


def utcnow() -> dt.datetime:
    """Now, in UTC without a zone: how every time is stored."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def read_time(value: Any) -> dt.datetime | None:
    """A time column as a datetime (SQLite keeps text)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(value)


class Connection:
    """One driver connection, checked out of a :class:`Database` for one piece of work."""

    def __init__(self, raw: Any, database: Database):
        self.raw, self.database = raw, database
        self.depth = 0  # open transaction (1) and savepoints within it (2…)

    # --- statements -----------------------------------------------------------------------
    def _cursor(self, sql: str, params: Any, many: bool = False) -> Any:
        database = self.database
        with _driver_errors():  # a listener may raise a driver's error too (tests do)
            for listener in database.listeners:
                listener(sql)
            if not database.is_sqlite:
                sql = database.translated(sql)
            if many:
                cursor = self.raw.cursor()
                cursor.executemany(sql, params)
                return cursor
            if params is None and database.is_sqlite:
                params = ()
            return self.raw.execute(sql, params)  # psycopg: without parameters, a % is just a %

    def rows(self, sql: str, params: Any = None) -> list[tuple]:
        cursor = self._cursor(sql, params)
        with _driver_errors():
            return cursor.fetchall()

    def first(self, sql: str, params: Any = None) -> tuple | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: Any = None) -> Any:
        row = self.first(sql, params)
        return None if row is None else row[0]

    def run(self, sql: str, params: Any = None) -> int:
        """A statement without rows; how many rows it changed."""
        return self._cursor(sql, params).rowcount

    def many(self, sql: str, rows: Iterable[Any]) -> None:
        rows = list(rows)
        if rows:
            self._cursor(sql, rows, many=True)

    # --- transactions ---------------------------------------------------------------------
    def begin(self, snapshot: bool = False) -> None:
        """``snapshot``: a read-only transaction whose statements see one state of the data."""
        self.run(self.database.begin_sql(snapshot))
        self.depth = 1

    def commit(self) -> None:
        try:
            self.run("COMMIT")
        except DatabaseError:
            self.rollback()
            raise
        self.depth = 0

    def rollback(self) -> None:
        self.depth = 0
        try:
            self.run("ROLLBACK")
        except DatabaseError:
            pass  # nothing open any more (a failed COMMIT on SQLite may have ended it already)

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction, all or nothing: committed when the block ends, rolled back when it
        raises. Inside one already open, a savepoint of it."""
        if self.depth == 0:
            self.begin()
            try:
                yield self
            except BaseException:
                self.rollback()
                raise
            self.commit()
            return
        name = f"sp{self.depth}"
        self.run(f"SAVEPOINT {name}")
        self.depth += 1
        try:
            yield self
        except BaseException:
            self.depth -= 1
            if not self.in_transaction():  # the database ended the whole transaction (SQLite on a full disk)
                self.depth = 0
                raise
            # what the block wrote goes; the transaction around it stays usable (on PostgreSQL too,
            # after a failed statement)
            self.run(f"ROLLBACK TO SAVEPOINT {name}")
            self.run(f"RELEASE SAVEPOINT {name}")
            raise
        self.depth -= 1
        self.run(f"RELEASE SAVEPOINT {name}")

    def in_transaction(self) -> bool:
        """What the driver says: a transaction is open (an aborted one on PostgreSQL included)."""
        if self.database.is_sqlite:
            return bool(self.raw.in_transaction)
        return self.raw.info.transaction_status.name != "IDLE"

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """Several reads that see one state of the data (inside a transaction: that one's)."""
        if self.depth > 0:
            yield self
            return
        self.begin(snapshot=True)
        try:
            yield self
        finally:
            self.rollback()


class Database:
    """The connections of one store, pooled: a few idle ones are kept for the next piece of work
    (the window's thread and the operations thread each take their own)."""

    def __init__(self, dialect: str, connect: Callable[[], Any]):
        self.dialect = dialect
        self._connect = connect
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._translated: dict[str, str] = {}
        self.listeners: list[Callable[[str], None]] = []  # each statement's SQL, before it runs (tests)
        self.for_update = " FOR UPDATE" if dialect != "sqlite" else ""  # SQLite's write lock covers it

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def begin_sql(self, snapshot: bool) -> str:
        if self.is_sqlite:
            return "BEGIN" if snapshot else "BEGIN IMMEDIATE"
        return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if snapshot else "BEGIN"

    def translated(self, sql: str) -> str:
        found = self._translated.get(sql)
        if found is None:
            found = self._translated[sql] = _pyformat(sql)
        return found

    def values_object(self) -> str:
        """One JSON object per report, field id → value, as text, built by the database."""
        if self.is_sqlite:
            return "json_group_object(field_id, json(value))"
        return "CAST(json_object_agg(field_id, value) AS TEXT)"

    # --- values as stored -----------------------------------------------------------------
    def stamp(self, when: dt.datetime | None) -> Any:
        """A time as its column holds it."""
        if when is None or not self.is_sqlite:
            return when
        return when.strftime(_SQLITE_TIME)


    # --- connections ----------------------------------------------------------------------
    @contextmanager
    def connection(self) -> Iterator[Connection]:
        raw = self._checkout()
        connection = Connection(raw, self)
        try:
            yield connection
        except BaseException:
            if connection.depth:
                connection.rollback()
            self._checkin(raw)
            raise
        if connection.depth:  # a caller left a transaction open: it is not anyone else's to finish
            connection.rollback()
        self._checkin(raw)

    def _checkout(self) -> Any:
        while True:
            with self._lock:
                if not self._idle:
                    break
                raw = self._idle.pop()
            if self._usable(raw):  # checked outside the lock: a slow network holds up no other thread
                return raw
            _close_quietly(raw)
        with _driver_errors():
            return self._connect()

    def _usable(self, raw: Any) -> bool:
        """A pooled server connection is checked before each use (as SQLAlchemy's pre-ping did): after
        a server restart or a network blip the work gets a fresh connection, not an error."""
        if self.is_sqlite:
            return True
        if raw.closed or raw.broken:
            return False
        try:
            raw.execute("SELECT 1")
            return True
        except Exception:  # noqa: BLE001 - any failure of the ping means: do not use it
            return False

    def _checkin(self, raw: Any) -> None:
        if self.is_sqlite:  # a ROLLBACK that failed leaves a transaction no one else may inherit
            broken = raw.in_transaction
        else:
            broken = raw.closed or raw.broken or raw.info.transaction_status.name != "IDLE"
        with self._lock:
            if not broken and len(self._idle) < IDLE_CONNECTIONS:
                self._idle.append(raw)
                return
        _close_quietly(raw)

    def dispose(self) -> None:
        """Close the idle connections (those in use close when given back)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for raw in idle:
            _close_quietly(raw)


def _close_quietly(raw: Any) -> None:
    try:
        raw.close()
    except Exception:  # noqa: BLE001 - closing a dead connection may fail; it is gone either way
        pass


def sqlite_database(uri: str, *, read_only: bool = False) -> Database:
    """The commune's file (``uri``: a ``file:`` URI, see :func:`db.engine.file_uri`): WAL with
    synchronous=FULL, so a committed edit survives a power cut; foreign keys on."""

    def connect() -> sqlite3.Connection:
        raw = sqlite3.connect(f"{uri}?mode={'ro' if read_only else 'rwc'}", uri=True, timeout=10,
                              isolation_level=None, check_same_thread=False)
        raw.execute("PRAGMA foreign_keys=ON")
        if not read_only:
            raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute("PRAGMA busy_timeout=10000")
        return raw

    return Database("sqlite", connect)


def server_database(connect_kwargs: dict[str, Any]) -> Database:
    """A shared PostgreSQL store through psycopg: autocommit (transactions are explicit), JSON
    columns read as their text, as from SQLite."""

    def connect() -> Any:
        import psycopg
        from psycopg.types.string import TextLoader

        raw = psycopg.connect(**connect_kwargs, autocommit=True)
        raw.adapters.register_loader("json", TextLoader)
        raw.adapters.register_loader("jsonb", TextLoader)
        return raw

    return Database("postgresql", connect)
