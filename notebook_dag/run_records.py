"""Runs as stored: the API shape of a run, and the runs a stopped server left unfinished."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from .engine import utcnow
from .storage import Database, Run, RunBlock

ACTIVE_RUN_STATUSES = ("queued", "running")
#: the reason of a run the server's stop (or crash) left unfinished
SERVER_STOPPED = "interrupted: the server stopped during this run"


def run_dict(run: Run, with_blocks: bool = True, with_outputs: bool = True) -> dict[str, Any]:
    """The API shape of a run (see :class:`notebook_dag.models.RunOut`); blocks' outputs
    are ``[]`` unless ``with_outputs`` (then ``run.blocks`` must have them loaded)."""
    out = {
        "id": run.id,
        "project_id": run.project_id,
        "mode": run.mode,
        "parent_id": run.parent_id,
        "block_id": run.block_id,
        "status": run.status,
        "reason": run.reason,
        "kernel_id": run.kernel_id,
        "max_parallel": run.max_parallel or 1,
        "owner": run.owner,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "blocks": [],
    }
    if with_blocks:
        out["blocks"] = [
            {
                "block_id": b.block_id,
                "status": b.status,
                "started_at": b.started_at,
                "finished_at": b.finished_at,
                "execution_count": b.execution_count,
                "outputs": (b.outputs or []) if with_outputs else [],
                "error": b.error,
                "kernel": b.kernel,
                "note": b.note,
            }
            for b in run.blocks
        ]
    return out


async def mark_interrupted_runs(db: Database, server: str = "") -> int:
    """Mark runs left queued or running by a previous process of this server
    (``RunService.server_id``) as ``interrupted`` (their unfinished blocks
    cancelled); ``POST /runs/{id}/resume`` continues them. Runs of other servers on a
    shared database are theirs and are left alone. Returns how many runs were marked."""
    reason = SERVER_STOPPED
    async with db.session() as s:
        mine = select(Run.id).where(Run.status.in_(ACTIVE_RUN_STATUSES), Run.server == server)
        ids = list((await s.execute(mine)).scalars())
        if not ids:
            return 0
        await s.execute(
            update(RunBlock).where(RunBlock.run_id.in_(ids), RunBlock.status.in_(ACTIVE_RUN_STATUSES))
            .values(status="cancelled", error=reason)
        )
        await s.execute(update(Run).where(Run.id.in_(ids)).values(status="interrupted", reason=reason, finished_at=utcnow()))
        return len(ids)
