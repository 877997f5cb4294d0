"""Scheduled runs through jupyter-scheduler (the scheduler JupyterLab users already have).

``POST /projects/{id}/schedules`` creates a jupyter-scheduler *job definition* (cron
schedule, time zone, parameters ``mode`` and ``max_parallel``) bound to the project in
notebook_dag's ``schedules`` table. jupyter-scheduler then creates jobs from it (on its
cron, or when someone runs it from its UI/API) and executes each job in a process of its
own through its configured execution manager; notebook_dag's app makes that
:class:`notebook_dag.scheduling.executor.DagExecutionManager` once the extensions are
loaded (:meth:`~notebook_dag.scheduling.service.ScheduleService.wire`, unless another
class was configured):

- a job that does not carry the tag :data:`TAG` runs exactly as with jupyter-scheduler's
  ``DefaultExecutionManager`` (it is a subclass that only adds the notebook_dag branch);
- for a notebook_dag job, the manager is constructed in the server process (jupyter-
  scheduler builds it there, then hands its ``process`` method to a spawned process):
  there it gets the server's loopback URL and a *job token* (an HMAC-signed token of a
  key held only in the server's memory, naming this one job, scope :data:`SCOPE`,
  valid ``ScheduleService.token_lifetime`` seconds and renewed by each answer). The token
  travels to the job's process inside the pickled manager, never through the
  environment or a file, so kernels of other jobs never see it;
- the job's process calls back ``POST {API}/scheduler-jobs/{job_id}/run``: the server
  checks the token, finds the job's definition in the ``schedules`` table (a tag alone
  proves nothing), checks that the schedule's owner may still edit the project, and
  starts the run with its own RunService as that owner: the run is in the project's run
  history with per-block outputs, events and notifications like any other, and the
  kernels belong to the owner. The process polls ``GET`` of the same route until the run
  ends, writes the project's notebook with the run's outputs as the job's output
  notebook, and ends the job COMPLETED (run succeeded) or FAILED (anything else).

Why a call back into the server rather than running the engine in the job's process:
the job's process would need the database's credentials and would bypass the server's
run bookkeeping (one run at a time per kernel, events, cancellation, the kernel
credentials of :mod:`notebook_dag.kernel_auth`); the server already knows the owner's
rights. The token can do nothing but start and watch the run of its one job.
"""

from __future__ import annotations

from collections.abc import Callable

#: the tag notebook_dag puts on its job definitions (jobs inherit it): a hint for the
#: execution manager, checked against the ``schedules`` table by the server
TAG = "notebook_dag:schedule"
#: scope of job tokens (kernel tokens, of :mod:`notebook_dag.kernel_auth`, cannot carry it)
SCOPE = "scheduler:job"
#: the HTTP ``Authorization`` scheme of job tokens
SCHEME = "notebook-dag-job"

#: ``job_id -> (api_url, token)`` or None: set by the running server's ScheduleService
_credentials: Callable[[str], tuple[str, str] | None] | None = None


def register_credentials(issuer: Callable[[str], tuple[str, str] | None] | None) -> None:
    """Let execution managers built in this process get a job's ``(api_url, token)``."""
    global _credentials
    _credentials = issuer


def job_credentials(job_id: str) -> tuple[str, str] | None:
    """``(api_url, token)`` for ``job_id`` from the running notebook_dag server; None when
    notebook_dag is not running in this process (or listens on a UNIX socket)."""
    issuer = _credentials
    return issuer(job_id) if issuer is not None else None
