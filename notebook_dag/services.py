"""The service objects of one running extension, built once by the app."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from .activity import ActivityService
from .blocks import BlockService
from .dag import DagService
from .dag_cache import DagCache, Entry
from .errors import NotFound, Unavailable
from .execution import RunService
from .inputs import watched_inputs
from .models import DagOut
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
    templates: Any = None  # notebook_dag.templates.service.TemplateService, set by the app
    notifications: Any = None  # notebook_dag.notifications.service.NotificationService, set by the app
    artifacts: Any = None  # notebook_dag.artifacts.ArtifactService, set by the app
    #: ``GET /projects/{id}/dag`` bodies (see :mod:`notebook_dag.dag_cache`)
    dag_cache: DagCache = field(default_factory=DagCache)
    #: notebooks open in JupyterLab (:class:`notebook_dag.documents.LiveDocuments`),
    #: shared by every :class:`~notebook_dag.notebooks.NotebookStore` of the app
    documents: Any = None

    @staticmethod
    def project_dict(p: Any) -> dict[str, Any]:
        return project_dict(p)

    async def describe_dag(self, project: Any, kernel_id: str | None = None, user: str | None = None) -> dict[str, Any]:
        """``GET /projects/{id}/dag``: the DAG with each block's last run status, its
        state (up to date / stale / never run) in the project kernel, or in the running
        kernel ``kernel_id`` (e.g. the notebook's session that runs go to), and
        ``later_changes``: the names whose value in that kernel is not the one a fresh
        top-to-bottom run gives the block (running it alone now may differ)."""
        return (await self._describe_dag(project, kernel_id, user))[0]

    async def _describe_dag(self, project: Any, kernel_id: str | None, user: str | None,
                            artifacts: bool = False) -> tuple[dict[str, Any], Any]:
        """:meth:`describe_dag` and the files beside the notebook it depends on
        (:func:`notebook_dag.inputs.watched_inputs`, taken before they are hashed);
        ``artifacts``: with the files runs wrote (:meth:`ArtifactService.dag_overlay`)."""
        built, doc = await self.dag.describe(project)
        watched = await asyncio.to_thread(watched_inputs, self.runs.notebook_dir(project.notebook_path),
                                          built.effects, built.imports)
        ever = {n["id"] for n in doc["nodes"] if n["status"] in ("succeeded", "up_to_date", "failed", "cancelled")}
        v = await self.runs.versions(project, built, user or project.owner)
        states, later = self.runs.block_states(project, v, ever, kernel_id)
        for node in doc["nodes"]:
            node["state"] = states.get(node["id"], "never_run")
            if node.get("cell_type") == "code":
                node["later_changes"] = later.get(node["id"], [])
        if artifacts and self.artifacts is not None:
            doc = await self.artifacts.dag_overlay(project, doc, built.effects)
        return doc, watched

    async def dag_view(self, project: Any, kernel_id: str | None = None, user: str | None = None,
                       datasets: bool = False, artifacts: bool = False) -> Entry:
        """The body of ``GET /projects/{id}/dag`` (``?datasets=true``: with dataset nodes,
        ``?artifacts=true``: with the files runs wrote)
        as JSON bytes with its ETag, from :attr:`dag_cache` while nothing it shows changed
        (the key is described in :mod:`notebook_dag.dag_cache`); else computed once, off
        the event loop, however many requests wait for it.

        Raises :class:`NotFound` for a ``kernel_id`` that is not running or a missing
        notebook, :class:`Unavailable` for ``datasets`` without the datasets service."""
        user = user or project.owner
        if kernel_id is not None and kernel_id not in self.runs.kernel_manager:
            raise NotFound(f"no running kernel {kernel_id!r}")
        if datasets and self.datasets is None:
            raise Unavailable("the datasets service is not configured")
        store = self.blocks.store
        stamp = await store.stamp(project.notebook_path)
        # an editor's PUT or a change of the shared document changes the key at once
        live = await store.live.stamp(project.notebook_path) if store.live is not None else None
        kid = kernel_id or self.runs.kernels.current(project.id)
        revision = self.runs.states.of(kid).revision if kid else 0
        key = (project.notebook_path, stamp, live, self.db.changes.generation(project.id), kid, revision)
        slot = (project.id, user, kernel_id, datasets, artifacts)
        return await self.dag_cache.get(slot, key,
                                        lambda: self._dag_body(project, kernel_id, user, datasets, artifacts))

    async def _dag_body(self, project: Any, kernel_id: str | None, user: str, datasets: bool,
                        artifacts: bool = False) -> tuple[bytes, Any]:
        doc, watched = await self._describe_dag(project, kernel_id, user, artifacts)
        model: Any = DagOut
        if datasets:
            from .datasets.models import DagWithDatasetsOut

            doc, model = await self.datasets.dag_overlay(project, user, doc), DagWithDatasetsOut
        if artifacts:
            from .artifacts.models import DagWithArtifactsOut

            model = DagWithArtifactsOut
        return await asyncio.to_thread(lambda: model.model_validate(doc).model_dump_json().encode()), watched
