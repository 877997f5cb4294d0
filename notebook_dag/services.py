"""The service objects of one running extension, built once by the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .activity import ActivityService
from .blocks import BlockService
from .dag import DagService
from .execution import RunService
from .projects import ProjectService, project_dict
from .storage import Database


@dataclass
class Services:
    db: Database
    projects: ProjectService
    blocks: BlockService
    dag: DagService
    runs: RunService
    activity: ActivityService
    ai: Any = None  # notebook_dag.ai.service.AIService, set by the app after the others
    datasets: Any = None  # notebook_dag.datasets.service.DatasetService, set by the app

    @staticmethod
    def project_dict(p: Any) -> dict[str, Any]:
        return project_dict(p)

    async def describe_dag(self, project: Any, kernel_id: str | None = None, user: str | None = None) -> dict[str, Any]:
        """``GET /projects/{id}/dag``: the DAG with each block's last run status, its
        state (up to date / stale / never run) in the project kernel, or in the running
        kernel ``kernel_id`` (e.g. the notebook's session that runs go to), and
        ``later_changes``: the names whose value in that kernel is not the one a fresh
        top-to-bottom run gives the block (running it alone now may differ)."""
        built, doc = await self.dag.describe(project)
        ever = {n["id"] for n in doc["nodes"] if n["status"] in ("succeeded", "up_to_date", "failed", "cancelled")}
        v = await self.runs.versions(project, built, user or project.owner)
        states, later = self.runs.block_states(project, v, ever, kernel_id)
        for node in doc["nodes"]:
            node["state"] = states.get(node["id"], "never_run")
            if node.get("cell_type") == "code":
                node["later_changes"] = later.get(node["id"], [])
        return doc
