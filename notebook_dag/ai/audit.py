"""Audit records of AI generations: one row per ``/ai/generate`` or ``/ai/fix`` request
that reached a model (whatever its outcome), in the ``ai_generations`` table.

The table is created by migration ``0003`` (branch ``ai``). Rows are kept when their
project is deleted (no foreign key): an audit trail outlives what it describes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ..errors import NotFound
from ..storage import Database
from ..storage.orm import Base, new_id, utcnow

#: Outcomes of a generation, stored in ``status``.
STATUSES = ("ok", "syntax_error", "cycle", "provider_error", "cancelled")


class AIGeneration(Base):
    """One generation request and what came of it.

    ``kind`` is ``generate`` or ``fix``; ``status`` one of :data:`STATUSES`; token counts
    are those the provider reported (LangChain ``usage_metadata``), None when it reported
    none; ``latency_ms`` is the wall time of every model call of the request together
    (repair round-trip included); ``accepted`` becomes true when the user inserts or
    accepts the code (``block_id`` then names the block it went into). ``anchor_block_id``
    is the block a generation was asked for: the one to insert after, or the one to fix.
    """

    __tablename__ = "ai_generations"
    __table_args__ = (Index("ix_ai_generations_user_created", "user", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(String(32), index=True)
    user: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[str] = mapped_column(Text, default="")
    provider: Mapped[str | None] = mapped_column(String(100), default=None)
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    input_tokens: Mapped[int | None] = mapped_column(Integer, default=None)
    output_tokens: Mapped[int | None] = mapped_column(Integer, default=None)
    total_tokens: Mapped[int | None] = mapped_column(Integer, default=None)
    latency_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[str] = mapped_column(String(20), default="ok")
    error: Mapped[str | None] = mapped_column(Text, default=None)
    repaired: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[list[Any]] = mapped_column(default=list)
    code: Mapped[str] = mapped_column(Text, default="")
    anchor_block_id: Mapped[str | None] = mapped_column(String(64), default=None)
    block_id: Mapped[str | None] = mapped_column(String(64), default=None)
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def generation_dict(g: AIGeneration) -> dict[str, Any]:
    """The API shape of an audit record (see ``notebook_dag.ai.handlers.GenerationOut``)."""
    return {
        "id": g.id,
        "project_id": g.project_id,
        "user": g.user,
        "kind": g.kind,
        "prompt": g.prompt,
        "provider": g.provider,
        "model": g.model,
        "usage": None
        if g.input_tokens is None and g.output_tokens is None
        else {"input_tokens": g.input_tokens, "output_tokens": g.output_tokens, "total_tokens": g.total_tokens},
        "latency_ms": g.latency_ms,
        "status": g.status,
        "error": g.error,
        "repaired": g.repaired,
        "attempts": g.attempts or [],
        "anchor_block_id": g.anchor_block_id,
        "block_id": g.block_id,
        "accepted": g.accepted,
        "accepted_at": g.accepted_at,
        "created_at": g.created_at,
    }


class AuditLog:
    """Writes and reads :class:`AIGeneration` rows through the async session."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, **values: Any) -> str:
        """Insert one record (columns of :class:`AIGeneration` as keywords); returns its id."""
        async with self.db.session() as s:
            row = AIGeneration(**values)
            s.add(row)
            await s.flush()
            return row.id

    async def get(self, generation_id: str, user: str) -> AIGeneration:
        """The record ``generation_id`` of ``user``; :class:`NotFound` otherwise."""
        async with self.db.session() as s:
            row = await s.get(AIGeneration, generation_id)
            if row is None or row.user != user:
                raise NotFound(f"no AI generation {generation_id!r}")
            return row

    async def accept(self, generation_id: str, user: str, block_id: str | None = None) -> dict[str, Any]:
        """Mark a generation of ``user`` accepted (idempotent); returns the record.
        Raises :class:`NotFound` for an unknown id or another user's record."""
        async with self.db.session() as s:
            row = await s.get(AIGeneration, generation_id)
            if row is None or row.user != user:
                raise NotFound(f"no AI generation {generation_id!r}")
            if not row.accepted:
                row.accepted = True
                row.accepted_at = utcnow()
            if block_id:
                row.block_id = block_id
            await s.flush()
            return generation_dict(row)

    async def set_block(self, generation_id: str, block_id: str) -> None:
        """Remember the block a generation went into and mark it accepted."""
        async with self.db.session() as s:
            await s.execute(
                update(AIGeneration)
                .where(AIGeneration.id == generation_id)
                .values(block_id=block_id, accepted=True, accepted_at=utcnow())
            )

    async def list(self, user: str, project_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The newest ``limit`` records of ``user`` (of one project when given)."""
        stmt = select(AIGeneration).where(AIGeneration.user == user)
        if project_id:
            stmt = stmt.where(AIGeneration.project_id == project_id)
        stmt = stmt.order_by(AIGeneration.created_at.desc()).limit(limit)
        async with self.db.session() as s:
            return [generation_dict(g) for g in (await s.execute(stmt)).scalars()]
