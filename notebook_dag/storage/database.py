"""The async database handle: engine, sessions and start-up migrations.

Every query runs through SQLAlchemy's asyncio extension (aiosqlite for SQLite,
asyncpg for PostgreSQL), so no database call blocks the Jupyter server's event loop.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

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


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - driver callback
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    # WAL with synchronous=NORMAL: no fsync per commit, still corruption-safe
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """One async engine and its session factory.

    ``url`` is any SQLAlchemy URL (``sqlite:///path.db``, ``postgresql://...``); a
    synchronous driver name is swapped for its asyncio counterpart.
    """

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = to_async_url(url)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"timeout": 30} if self.is_sqlite else {}
        self.engine: AsyncEngine = create_async_engine(
            self.url, echo=echo, connect_args=connect_args, pool_pre_ping=not self.is_sqlite
        )
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session inside a transaction: committed on success, rolled back on error."""
        async with self.sessionmaker() as session:
            async with session.begin():
                yield session

    async def migrate(self) -> None:
        """Apply every Alembic migration up to all ``heads`` (idempotent). Each feature
        (runs, datasets, AI records) may keep its own branch of migrations off ``0001``."""

        def upgrade(connection: Connection) -> None:
            cfg = Config()
            cfg.set_main_option("script_location", os.fspath(MIGRATIONS_DIR))
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "heads")

        async with self.engine.begin() as conn:
            await conn.run_sync(upgrade)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
