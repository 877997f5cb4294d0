"""Storage layer: SQLAlchemy 2 ORM models, the async database handle and Alembic migrations."""

from .database import Database, to_async_url
from .orm import Base, BlockMeta, Edge, Project, Run, RunBlock

__all__ = ["Base", "BlockMeta", "Database", "Edge", "Project", "Run", "RunBlock", "to_async_url"]
