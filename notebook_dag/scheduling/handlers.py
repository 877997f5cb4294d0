"""REST handlers of schedules (``/projects/{id}/schedules``; :data:`ROUTES`, in the route
table) and the job routes jupyter-scheduler's job processes call back
(``/scheduler-jobs/{job_id}/run``; :func:`job_routes`, authenticated by a job token
only and outside the route table, like the kernel dataset routes)."""

from __future__ import annotations

from jupyter_server.auth.decorator import allow_unauthenticated, authorized
from tornado import web

from ..base_handler import API, ID, DagAPIHandler
from ..kernel_auth import InvalidToken
from ..routes import LOCATION, Op, Route
from . import SCHEME, SCOPE
from .models import JobRunOut, ScheduleCreate, ScheduleList, ScheduleOut
from .service import ScheduleService


class ScheduleBase(DagAPIHandler):
    @property
    def schedules(self) -> ScheduleService:
        return self.settings["notebook_dag_schedules"]


class SchedulesHandler(ScheduleBase):
    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user)
        self.reply(ScheduleList, {"schedules": await self.schedules.list(p)})

    @web.authenticated
    @authorized
    async def post(self, project_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user, "edit")
        body = self.body(ScheduleCreate)
        out = await self.schedules.create(p, body, self.user)
        await self.record(p.id, "schedule", schedule_id=out["id"], schedule=body.schedule, timezone=body.timezone,
                          mode=body.mode)
        self.set_header("Location", f"{self.base_url.rstrip('/')}{API}/projects/{p.id}/schedules/{out['id']}")
        self.reply(ScheduleOut, out, 201)


class ScheduleHandler(ScheduleBase):
    @web.authenticated
    @authorized
    async def delete(self, project_id: str, definition_id: str) -> None:
        p = await self.services.projects.get(project_id, self.user, "edit")
        await self.schedules.delete(p, definition_id)
        await self.record(p.id, "unschedule", schedule_id=definition_id)
        self.set_status(204)
        self.finish()


class JobRunHandler(ScheduleBase):
    """``POST``: start the run of the job (once); ``GET``: its status, and once it ended
    the output notebook. Header ``Authorization: notebook-dag-job <token>``; 401 without a
    valid token for this job. Every answer carries a renewed token."""

    def check_job(self, job_id: str) -> None:
        scheme, _, token = (self.request.headers.get("Authorization") or "").partition(" ")
        if scheme.strip().lower() != SCHEME or not token.strip():
            raise web.HTTPError(401, f"this route needs the header 'Authorization: {SCHEME} <token>'")
        try:
            self.schedules.verify(token.strip(), job_id)
        except InvalidToken as e:
            raise web.HTTPError(401, str(e)) from None

    def check_xsrf_cookie(self) -> None:  # the token is a header, never a cookie: no CSRF
        return None

    def answer(self, job_id: str, out: dict) -> None:
        self.reply(JobRunOut, {**out, "token": self.schedules.tokens.issue(job_id, (SCOPE,))})

    @allow_unauthenticated  # Jupyter's login is not what opens it: the job token is checked here
    async def post(self, job_id: str) -> None:
        self.check_job(job_id)
        self.answer(job_id, await self.schedules.start_job_run(job_id))

    @allow_unauthenticated  # the job token is checked here
    async def get(self, job_id: str) -> None:
        self.check_job(job_id)
        self.answer(job_id, await self.schedules.job_run(job_id))


def job_routes() -> list[tuple[str, type[JobRunHandler]]]:
    """``(url pattern, handler)`` of the job routes; before the API's catch-all route."""
    return [(rf"{API}/scheduler-jobs/{ID.format('job_id')}/run", JobRunHandler)]


_P = "/projects/{project_id}"
_UNAVAILABLE = "409 with reason scheduler_unavailable when jupyter-scheduler is not installed or enabled (or runs " \
               "jobs with another execution manager)."

#: the schedules routes
ROUTES: tuple[Route, ...] = (
    Route(f"{_P}/schedules", SchedulesHandler, (
        Op("get", "The project's schedules (jupyter-scheduler job definitions running its DAG)",
           response=ScheduleList, errors=(409,), description=_UNAVAILABLE),
        Op("post", "Schedule the project's DAG with jupyter-scheduler (cron, time zone, mode, max_parallel)", 201,
           ScheduleOut, request=ScheduleCreate, errors=(409, 422), response_headers=(LOCATION,),
           description="Creates a jupyter-scheduler job definition whose jobs run the DAG (stale blocks or all) "
                       "as the requesting user (edit rights needed, checked again at each job), recorded in the "
                       "run history and as the job's status (COMPLETED/FAILED) with an output notebook. "
                       "422 for a cron expression or time zone jupyter-scheduler cannot read; 404 when the "
                       "notebook is no file under the server's root. " + _UNAVAILABLE),
    )),
    Route(f"{_P}/schedules/{{definition_id}}", ScheduleHandler, (
        Op("delete", "Delete a schedule (its job definition and jobs in jupyter-scheduler)", 204, errors=(409,),
           description=_UNAVAILABLE),
    )),
)
