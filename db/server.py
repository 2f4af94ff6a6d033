"""A shared PostgreSQL store for a receiving office with several staff.

SQLite stays the default (one file, one window). A province office may instead point every
PC at one PostgreSQL database: ``--database postgresql://user@host/baocaoxa`` on the
command line, the ``BAOCAOXA_DATABASE`` environment variable, or the first line of
``co-so-du-lieu.txt`` in the data folder (what the window's setting writes). A password is
best kept in the server's password file (``~/.pgpass`` / ``%APPDATA%\\postgresql\\pgpass.conf``);
one written in the URL works, but it is never shown, logged or put in a support bundle.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from db.engine import StoreError, StoreTooNew, is_newer_schema
from db.sql import Database, DatabaseError, server_database

if TYPE_CHECKING:  # SQLAlchemy's URL parsing is only imported when a server is used
    from sqlalchemy import URL, Engine

SETTING_FILE = "co-so-du-lieu.txt"  # in the data folder: the database URL, first line
ENV = "BAOCAOXA_DATABASE"
_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
CONNECT_SECONDS = 10


class ServerUnavailable(StoreError):
    """The database server cannot be reached or refuses this connection."""


def is_server_url(text: str | None) -> bool:
    return bool(text) and str(text).split(":", 1)[0].lower() in _SCHEMES


def configured_url(data_dir: Path) -> str | None:
    """The database this data folder uses when none is given: the environment, then the
    setting file; None means the folder's own SQLite file."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        try:
            lines = (Path(data_dir) / SETTING_FILE).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
        text = next((line.strip() for line in lines if line.strip() and not line.startswith("#")), "")
    return text or None


def save_setting(data_dir: Path, url: str | None) -> Path:
    """Write (or with None remove) the data folder's database setting."""
    path = Path(data_dir) / SETTING_FILE
    if url is None:
        path.unlink(missing_ok=True)
        return path
    parse(url)  # refuse a bad URL before it is saved
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(url.strip() + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def parse(text: str) -> URL:
    """``postgresql://…`` (any of its spellings) as SQLAlchemy's URL for the psycopg 3 driver."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(text.strip())
    except ArgumentError:
        raise StoreError("Địa chỉ cơ sở dữ liệu không đúng dạng. Dạng đúng: "
                         "postgresql://tên_người_dùng@máy_chủ:5432/tên_cơ_sở_dữ_liệu") from None
    if url.drivername not in _SCHEMES:
        raise StoreError("Chỉ dùng được cơ sở dữ liệu PostgreSQL (postgresql://…), không dùng được "
                         f"«{url.drivername}».")
    if not url.database:
        raise StoreError("Địa chỉ cơ sở dữ liệu thiếu tên cơ sở dữ liệu (phần sau dấu / cuối), ví dụ "
                         "postgresql://canbo@may-chu/baocaoxa")
    return url.set(drivername="postgresql+psycopg")


def shown(url: URL | str) -> str:
    """The URL as it may be shown or logged: the password replaced by ***."""
    from sqlalchemy import URL, make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = url if isinstance(url, URL) else make_url(str(url))
    except ArgumentError:
        return "(địa chỉ không đúng dạng)"
    from urllib.parse import unquote

    text = parsed.set(drivername=parsed.drivername.split("+")[0]).render_as_string(hide_password=True)
    return unquote(text)


def scrub(text: str, url: URL) -> str:
    """``text`` with the URL's password taken out (a driver message might quote a conninfo)."""
    if url.password:
        text = text.replace(str(url.password), "***")
    return re.sub(r"(password\s*=\s*)\S+", r"\1***", text, flags=re.IGNORECASE)


def connect_arguments(url: URL) -> dict[str, Any]:
    """psycopg's keyword arguments for the URL (its query too: host=/socket/dir, options=…)."""
    arguments: dict[str, Any] = url.translate_connect_args(username="user", database="dbname")
    for key, value in url.query.items():
        arguments[key] = value[0] if isinstance(value, tuple) else value
    hosts = url.query.get("host")
    if isinstance(hosts, tuple):  # ?host=a:5432&host=b:5432: libpq's list of servers, tried in turn
        names, ports = zip(*(_host_and_port(h) for h in hosts))
        arguments["host"] = ",".join(names)
        if any(ports):
            arguments["port"] = ",".join(ports)
    arguments.setdefault("connect_timeout", CONNECT_SECONDS)
    arguments.setdefault("application_name", "baocaoxa")
    return arguments


def _host_and_port(text: str) -> tuple[str, str]:
    """``may-chu:5432`` → (may-chu, 5432); a socket folder (``/run/postgresql``) has no port."""
    if not text.startswith("/") and text.count(":") == 1:
        name, port = text.split(":")
        return name, port
    return text, ""


def open_database(url: URL) -> Database:
    """The store's connections to the server (several threads of one window each take one)."""
    return server_database(connect_arguments(url))


def make_server_engine(url: URL, json_serializer) -> Engine:
    """A SQLAlchemy engine on the server, for Alembic's migrations."""
    from sqlalchemy import create_engine

    return create_engine(url, json_serializer=json_serializer, pool_pre_ping=True, pool_size=4,
                         connect_args={"connect_timeout": CONNECT_SECONDS, "application_name": "baocaoxa"})


def unavailable_message(url: URL, exc: Exception) -> str:
    detail = scrub(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0] if str(exc).strip() else "", url)
    lowered = detail.lower()
    where = shown(url)
    if "password" in lowered or "authentication" in lowered:
        cause = ("máy chủ từ chối tên người dùng hoặc mật khẩu. Hãy kiểm tra tên người dùng và mật khẩu "
                 "(trong tệp mật khẩu pgpass của máy này)")
    elif "does not exist" in lowered and "database" in lowered:
        cause = "chưa có cơ sở dữ liệu này trên máy chủ. Người quản trị tạo nó trước (lệnh createdb)"
    elif "timeout" in lowered or "could not connect" in lowered or "connection refused" in lowered \
            or "no such file" in lowered or "translate host name" in lowered:
        cause = "không kết nối được máy chủ (máy chủ tắt, sai tên máy hoặc mạng nội bộ có sự cố)"
    else:
        cause = "máy chủ báo lỗi"
    return (f"Không mở được cơ sở dữ liệu dùng chung {where}: {cause}. Dữ liệu trên máy chủ không bị thay đổi. "
            f"Chi tiết: {detail}")


def check_server(database: Database, url: URL) -> None:
    """Before any write: the server answers, and its schema is not from a newer BaoCaoXa."""
    from db.engine import current_revision, too_new_message

    try:
        revision = current_revision(database)
    except DatabaseError as exc:
        raise ServerUnavailable(unavailable_message(url, exc)) from None
    if is_newer_schema(revision):
        raise StoreTooNew(too_new_message(Path(shown(url)), revision))


def dump_command(url: URL) -> str:
    """The exact pg_dump command line that backs this database up (no password in it)."""
    parts = ["pg_dump", "--format=custom", "--file=baocaoxa-$(date +%Y%m%d).dump"]
    parts += _connection_options(url)
    return " ".join(parts)


def restore_command(url: URL) -> str:
    return " ".join(["pg_restore", "--clean", "--if-exists", "--single-transaction",
                     *_connection_options(url), "TỆP.dump"])


def _connection_options(url: URL) -> list[str]:
    options = []
    host = url.host or url.query.get("host")
    if isinstance(host, tuple):
        host = host[0]
    if host:
        options.append(f"--host={host}")
    if url.port:
        options.append(f"--port={url.port}")
    if url.username:
        options.append(f"--username={url.username}")
    options.append(f"--dbname={url.database}")
    return options


def backup_explanation(url: URL) -> str:
    """What ``backup`` says in PostgreSQL mode: the server's own tools back it up, and how."""
    return (f"Cơ sở dữ liệu dùng chung ({shown(url)}) nằm trên máy chủ PostgreSQL, nên BaoCaoXa không tự sao lưu "
            "nó: việc này do công cụ của máy chủ làm, thường là người quản trị đặt lịch chạy hằng ngày.\n"
            f"  Sao lưu:   {dump_command(url)}\n"
            f"  Khôi phục: {restore_command(url)}\n"
            "Lệnh sao lưu đọc được khi mọi người vẫn đang làm việc (pg_dump chụp một trạng thái nhất quán). "
            "Hãy chép tệp .dump sang ổ đĩa khác hoặc USB cất riêng.")
