"""Storage layer: SQLAlchemy 2 ORM models, the async database handle and Alembic migrations."""

from .database import Database, to_async_url
from .orm import Activity, Base, BlockMeta, Edge, Favorite, Project, ProjectMember, Run, RunArtifact, RunBlock

__all__ = [
    "Activity", "Base", "BlockMeta", "Database", "Edge", "Favorite", "Project", "ProjectMember", "Run", "RunArtifact", "RunBlock",
    "to_async_url",
]
