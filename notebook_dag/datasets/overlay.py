"""The dataset nodes and edges of ``GET /projects/{id}/dag?datasets=true``, which the
project DAG handler (:mod:`notebook_dag.handlers`) delegates to the datasets feature
without importing its handlers."""

from __future__ import annotations

from typing import Any

from ..errors import Unavailable
from ..models import DagOut
from . import models as dm


async def dag_with_datasets(handler: Any, project: Any, dag: dict[str, Any]) -> None:
    """Reply to ``GET /projects/{id}/dag?datasets=true`` from the project DAG handler:
    ``dag`` plus dataset nodes and ``reads``/``writes`` edges."""
    if not handler.query_bool("datasets"):
        handler.reply(DagOut, dag)
        return
    svc = getattr(handler.services, "datasets", None)
    if svc is None:
        raise Unavailable("the datasets service is not configured")
    handler.reply(dm.DagWithDatasetsOut, await svc.dag_overlay(project, handler.user, dag))
