"""Which database the tests run on, and throwaway PostgreSQL databases.

``NOTEBOOK_DAG_TEST_DB`` (or ``pytest --db``) is ``sqlite`` (default) or ``postgresql``.
``NOTEBOOK_DAG_TEST_PG_URL`` names a PostgreSQL server the tests may create databases on
(``postgresql://user@127.0.0.1:PORT/db``, a role allowed to ``CREATE DATABASE``);
``scripts/run-tests.sh`` starts one with ``scripts/pg-test-cluster.sh``. Each test gets
its own database ``test_<hex>``, dropped afterwards, so tests stay independent.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from typing import Any

from sqlalchemy.engine import make_url

ENV_BACKEND = "NOTEBOOK_DAG_TEST_DB"
ENV_PG_URL = "NOTEBOOK_DAG_TEST_PG_URL"
BACKENDS = ("sqlite", "postgresql")


def server_url() -> str | None:
    """The PostgreSQL server the tests may use, or None."""
    return os.environ.get(ENV_PG_URL) or None


def _run(coro_factory: Any) -> Any:
    """Run a coroutine to completion on a fresh loop in a thread (callable from sync
    fixtures and from inside a running loop alike)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro_factory())
        except BaseException as e:  # noqa: BLE001 - re-raised below
            box["error"] = e

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _dsn(url: str) -> str:
    """A plain ``postgresql://`` DSN for asyncpg (drops any ``+driver``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_dsn(server_url() or ""))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_database(prefix: str = "test") -> str:
    """Create an empty database on the test server; returns its ``postgresql://`` URL."""
    base = server_url()
    if base is None:
        raise RuntimeError(f"{ENV_PG_URL} is not set: no PostgreSQL server to create a test database on")
    name = f"{prefix}_{uuid.uuid4().hex[:16]}"
    _run(lambda: _admin(f'CREATE DATABASE "{name}"'))
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop a database made by :func:`create_database`, closing its connections first."""
    name = make_url(url).database
    _run(lambda: _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def fetch(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows of one query on the database at ``url`` (SQLite or PostgreSQL); parameters
    are written ``?`` for both. Quote identifiers that are keywords (``"user"``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        import sqlite3

        with sqlite3.connect(parsed.database) as con:
            return [tuple(r) for r in con.execute(sql, args)]
    parts = sql.split("?")
    numbered = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))

    async def go() -> list[tuple[Any, ...]]:
        import asyncpg

        conn = await asyncpg.connect(_dsn(url))
        try:
            return [tuple(r) for r in await conn.fetch(numbered, *args)]
        finally:
            await conn.close()

    return _run(go)
