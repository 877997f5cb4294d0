"""``GET /templates``: the project templates (``POST /projects`` with ``template`` uses one)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..base_handler import DagAPIHandler
from ..routes import Op, Route
from . import models as tm


class TemplatesHandler(DagAPIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(tm.TemplateList, {"templates": await self.services.templates.list()})


ROUTES: tuple[Route, ...] = (
    Route("/templates", TemplatesHandler, (
        Op("get", "The project templates: bundled and configured (TemplateService.template_dirs)",
           response=tm.TemplateList, errors=(),
           description="Each with its parameters; POST /projects with template: {id, parameters} creates a "
                       "project whose notebook is the template with those values set."),
    )),
)
