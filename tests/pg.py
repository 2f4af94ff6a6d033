"""A throwaway PostgreSQL server for the tests: ``BAOCAOXA_TEST_PG`` (set by ./test.sh, which
starts one with tools/pg_cluster.sh) names it; each test gets schemas of its own."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from sqlalchemy import make_url

URL_ENV = "BAOCAOXA_TEST_PG"
SKIP_REASON = ("no PostgreSQL server for the tests: BAOCAOXA_TEST_PG is not set (./test.sh starts a throwaway "
               "one; or run: tools/pg_cluster.sh start DIR and export the URL it prints)")


def server_url() -> str | None:
    return os.environ.get(URL_ENV) or None


def admin_connection(database: str | None = None):
    """A psycopg connection (autocommit) to the test server, for making and dropping things."""
    import psycopg

    url = make_url(server_url() or "")
    params = {"dbname": database or url.database or "postgres", "user": url.username or None,
              "host": url.host or url.query.get("host"), "port": url.port, "password": url.password}
    return psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True)


def with_search_path(url: str, schema: str) -> str:
    return make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}) \
        .render_as_string(hide_password=False)


class Schemas:
    """One fresh schema per data folder a test opens (a sender and a receiver are two installations)."""

    def __init__(self) -> None:
        self.by_folder: dict[Path, str] = {}

    def url_for(self, data_dir: Path) -> str:
        key = Path(data_dir).resolve()
        if key not in self.by_folder:
            schema = f"t_{uuid.uuid4().hex[:16]}"
            with admin_connection() as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            self.by_folder[key] = schema
        return with_search_path(server_url() or "", self.by_folder[key])

    def drop_all(self) -> None:
        if not self.by_folder:
            return
        with admin_connection() as conn:
            for schema in self.by_folder.values():
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        self.by_folder.clear()


def fresh_database() -> str:
    """A new empty database on the test server; its URL (drop it with :func:`drop_database`)."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    with admin_connection() as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return make_url(server_url() or "").set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    name = make_url(url).database
    with admin_connection() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
