"""``GET /runs/{id}/artifacts``: the files a run created or changed."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..base_handler import DagAPIHandler
from ..routes import STRING, Op, Param, Route
from . import models as am


class RunArtifactsHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        block_id = self.get_query_argument("block_id", None) or None
        self.reply(am.ArtifactList, await self.services.artifacts.list(run_id, self.user, block_id))


ROUTES: tuple[Route, ...] = (
    Route("/runs/{run_id}/artifacts", RunArtifactsHandler, (
        Op("get", "The files the run's blocks created or changed beside the notebook", response=am.ArtifactList,
           query=(Param("block_id", STRING, "only the files this block wrote"),),
           description="Each with its contents path (open or download it through the contents API), size, "
                       "SHA-256 and MIME type as the run left it, and the block that wrote it (null when it "
                       "cannot be told, e.g. two blocks of a parallel run ran while it changed: see note)."),
    )),
)
