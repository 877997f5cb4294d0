"""notebook_dag's execution manager for jupyter-scheduler (``c.Scheduler.execution_manager_class``).

jupyter-scheduler builds one execution manager per job in the server process, then runs
its ``process`` method in a spawned process. :class:`DagExecutionManager` is its
``DefaultExecutionManager`` plus one branch: a job tagged :data:`~notebook_dag.scheduling.TAG`
runs its project's DAG through the server (see :mod:`notebook_dag.scheduling`); every
other job runs exactly as ``DefaultExecutionManager`` runs it.

This module is imported in the job's process: it imports nothing of the server.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import nbformat
from jupyter_scheduler.executors import DefaultExecutionManager
from jupyter_scheduler.orm import Job
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from . import SCHEME, TAG, job_credentials

TERMINAL = ("succeeded", "failed", "cancelled", "interrupted")


def _job_tags(db_url: str, job_id: str) -> list[str]:
    engine = create_engine(db_url)
    try:
        with Session(engine) as s:
            job = s.query(Job).filter(Job.job_id == job_id).first()
            return list(job.tags or []) if job is not None else []
    finally:
        engine.dispose()


class NotebookDagJobError(RuntimeError):
    """The run of a notebook_dag job could not start or did not succeed (the job FAILED)."""


class DagExecutionManager(DefaultExecutionManager):
    """Runs notebook_dag's scheduled jobs as DAG runs of the server; others by default.

    Built in the server process: a notebook_dag job gets :attr:`dag_api` and
    :attr:`dag_token` there (plain strings, pickled with the manager into the job's
    process). ``poll_interval``: seconds between two looks at the run."""

    poll_interval = 1.0
    request_timeout = 60.0

    def __init__(self, job_id: str, root_dir: str, db_url: str, staging_paths: dict[str, str]) -> None:
        super().__init__(job_id, root_dir, db_url, staging_paths)
        self.dag_job = TAG in _job_tags(db_url, job_id)
        self.dag_api: str | None = None
        self.dag_token: str | None = None
        if self.dag_job:
            creds = job_credentials(job_id)
            if creds is not None:
                self.dag_api, self.dag_token = creds

    def execute(self) -> None:
        if not self.dag_job:
            super().execute()
            return
        if not self.dag_token:
            raise NotebookDagJobError(
                "this job belongs to a notebook_dag schedule, but the server that created it runs no notebook_dag "
                "(or listens on a UNIX socket only)")
        url = f"{self.dag_api.rstrip('/')}/notebook-dag/api/scheduler-jobs/{self.job_id}/run"
        answer = self._call("POST", url)
        while answer["status"] not in TERMINAL or answer.get("notebook") is None:
            time.sleep(self.poll_interval)
            answer = self._call("GET", url)
        self.create_output_files(self.model, nbformat.from_dict(answer["notebook"]))
        if answer["status"] != "succeeded":
            raise NotebookDagJobError(f"the notebook_dag run {answer['run_id']} {answer['status']}"
                                      + (f": {answer['reason']}" if answer.get("reason") else ""))

    def _call(self, method: str, url: str) -> dict[str, Any]:
        request = urllib.request.Request(url, method=method, data=b"{}" if method == "POST" else None, headers={
            "Authorization": f"{SCHEME} {self.dag_token}", "Content-Type": "application/json"})
        context = None
        if urllib.parse.urlsplit(url).scheme == "https" and urllib.parse.urlsplit(url).hostname in ("127.0.0.1", "::1"):
            # the server's own loopback address, where its certificate names another host
            # (as notebook_dag.kernel_api does for kernels)
            import ssl

            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        try:
            with urllib.request.urlopen(request, timeout=self.request_timeout, context=context) as resp:
                answer = json.loads(resp.read())
        except urllib.error.HTTPError as e:
            body = e.read().decode("utf-8", "replace")
            try:
                message = json.loads(body).get("message") or body
            except ValueError:
                message = body
            raise NotebookDagJobError(f"notebook_dag answered {e.code} to {method} {url}: {message}") from None
        self.dag_token = answer.get("token") or self.dag_token
        return answer
