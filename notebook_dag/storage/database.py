"""The async database handle: engine, sessions and start-up migrations.

Every query runs through SQLAlchemy's asyncio extension (aiosqlite for SQLite,
asyncpg for PostgreSQL), so no database call blocks the Jupyter server's event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from ..dag_cache import Changes

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def to_async_url(url: str) -> str:
    """Return ``url`` with an asyncio driver (``sqlite://`` → ``sqlite+aiosqlite://``).

    URLs that already name a driver are returned unchanged.
    """
    parsed = make_url(url)
    if "+" in parsed.drivername:
        return url
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ValueError(f"unsupported database URL scheme: {parsed.drivername!r}")
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


def _json_dumps(value: object) -> str:
    """JSON columns keep non-ASCII text as it is (not ``\\u`` escapes), so searches
    over their text (project tags) find it."""
    return json.dumps(value, ensure_ascii=False)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - driver callback
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # WAL with synchronous=NORMAL: no fsync per commit, still corruption-safe
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _lock_id(key: str) -> int:
    """A stable signed 64-bit number for ``key`` (PostgreSQL advisory lock ids)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


class Database:
    """One async engine and its session factory.

    ``url`` is any SQLAlchemy URL (``sqlite:///path.db``, ``postgresql://...``); a
    synchronous driver name is swapped for its asyncio counterpart.

    Several Jupyter servers may share one database (JupyterHub's single-user servers on
    one PostgreSQL database): what must not interleave between them is serialised with
    :meth:`lock`.
    """

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = to_async_url(url)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self._file: Path | None = None
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            self._file = Path(parsed.database).expanduser()
            self._file.parent.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, asyncio.Lock] = {}
        #: what this process changed, per project (see :class:`notebook_dag.dag_cache.Changes`)
        self.changes = Changes()
        connect_args = {"timeout": 30} if self.is_sqlite else {}
        self.engine: AsyncEngine = create_async_engine(
            self.url, echo=echo, connect_args=connect_args, pool_pre_ping=not self.is_sqlite,
            json_serializer=_json_dumps,
        )
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    def insert(self, entity: Any) -> Any:
        """An ``INSERT`` into ``entity`` (an ORM class or table) in this database's own
        dialect, so that it can say what a unique-key conflict does:
        ``.on_conflict_do_nothing(index_elements=[...])`` or
        ``.on_conflict_do_update(index_elements=[...], set_={...})`` (``INSERT ... ON
        CONFLICT``, atomic against concurrent writers on SQLite and PostgreSQL alike).
        Run it with ``session.execute``. Raises :class:`NotImplementedError` for any other
        database."""
        dialect = self.engine.dialect.name
        if dialect == "postgresql":
            return postgresql.insert(entity)
        if dialect == "sqlite":
            return sqlite.insert(entity)
        raise NotImplementedError(f"INSERT ... ON CONFLICT is not supported on {dialect!r} databases")

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session inside a transaction: committed on success, rolled back on error."""
        async with self.sessionmaker() as session:
            async with session.begin():
                yield session

    @asynccontextmanager
    async def lock(self, key: str) -> AsyncIterator[None]:
        """Hold the exclusive lock named ``key`` across every process on this database.

        PostgreSQL: a transaction-level advisory lock on a connection of its own, held
        until the block ends. SQLite: an ``flock`` on a file in ``<database>.locks/``
        beside the database file.
        Within one process an asyncio lock comes first, so waiting never blocks the loop
        for a lock this process holds itself."""
        local = self._locks.setdefault(key, asyncio.Lock())
        async with local:
            if not self.is_sqlite:
                async with self.engine.connect() as conn:
                    async with conn.begin():
                        await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _lock_id(key)})
                        yield
                return
            if self._file is None:  # an in-memory database belongs to this process alone
                yield
                return
            locks = self._file.with_name(self._file.name + ".locks")
            locks.mkdir(exist_ok=True)
            fd = await _flock(locks / f"{_lock_id(key) & 0xFFFFFFFFFFFFFFFF:016x}")
            try:
                yield
            finally:
                if fd >= 0:
                    os.close(fd)

    async def migrate(self) -> None:
        """Apply every Alembic migration up to all ``heads`` (idempotent). Each feature
        (runs, datasets, AI records) may keep its own branch of migrations off ``0001``.
        Servers starting together on one database migrate one after the other."""

        def upgrade(connection: Connection) -> None:
            cfg = Config()
            cfg.set_main_option("script_location", os.fspath(MIGRATIONS_DIR))
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "heads")

        async with self.lock("notebook_dag:migrate"):
            async with self.engine.begin() as conn:
                await conn.run_sync(upgrade)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


async def _flock(path: Path) -> int:
    """Wait until this process holds an exclusive ``flock`` on ``path`` (created when
    missing); returns the open descriptor, which releases it when closed. Polls
    without blocking, so a cancelled waiter leaves nothing behind."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: one process per SQLite file
        return -1
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                await asyncio.sleep(0.01)
    except BaseException:
        os.close(fd)
        raise
