"""The configuration of :class:`~notebook_dag.execution.RunService` (``c.RunService.<trait>``)."""

from __future__ import annotations

import os
from typing import Any

from traitlets import Dict, Float, Int, Unicode, default, validate
from traitlets.config import LoggingConfigurable


def default_server_id() -> str:
    """``hub:<JUPYTERHUB_USER>/<JUPYTERHUB_SERVER_NAME>`` on a JupyterHub single-user
    server, else "" (the default of ``RunService.server_id``)."""
    user = os.environ.get("JUPYTERHUB_USER", "")
    name = os.environ.get("JUPYTERHUB_SERVER_NAME", "")
    return f"hub:{user}/{name}" if user else ""


class RunSettings(LoggingConfigurable):
    """The configurable traits of the run service; configure them as ``c.RunService.<trait>``
    (a subclass reads its parents' sections too)."""

    block_timeout = Float(0.0, help="Per-block execution time limit in seconds; 0 means no limit.").tag(config=True)
    max_output_bytes = Int(
        1 << 20,
        help="Bytes of outputs a block's run keeps (stored in the run history and returned by "
        "GET /runs/{id}); 0 means no limit. Counted while the outputs arrive: stream text is cut "
        "at the limit, later outputs are dropped, and a final stderr line says how much was not "
        "stored. Images count by their encoded size.",
    ).tag(config=True)
    max_parallel = Int(
        1,
        help="Default for a run's max_parallel: at most this many blocks execute at once. Above 1, "
        "independent blocks run on max_parallel - 1 warm worker kernels per project (started on "
        "a project's first parallel run, kept until the project is deleted or the server stops) "
        "and their results are brought back into the project kernel; see docs/parallel.md. "
        "Remote (gateway) kernels run in parallel only with an object store for handovers "
        "(handover_storage_url, or the dataset storage when it is remote); else sequentially.",
    ).tag(config=True)
    worker_idle_timeout = Float(
        600.0,
        help="Seconds without a parallel run after which a project's worker kernels are shut down "
        "(the next parallel run starts them again); 0 keeps them until the project is deleted.",
    ).tag(config=True)
    handover_storage_url = Unicode(
        "",
        help="fsspec URL (e.g. s3://bucket/prefix) under which parallel runs on remote (gateway) "
        "kernels hand values over between kernels: each run writes content-addressed objects under "
        "<url>/handover/<run id>/ and removes them when it ends. Empty: the dataset storage's URL "
        "(DatasetService.storage_url) when it is remote; without either, runs on remote kernels are "
        "sequential. Runs on local kernels always hand over through local files.",
    ).tag(config=True)
    handover_storage_options = Dict(
        help="fsspec options of handover_storage_url (e.g. {'endpoint_url': ..., 'key': ..., "
        "'secret': ...}); default: DatasetService.storage_options when the dataset storage is used. "
        "Secret options stay on the server: kernels get the others plus, for S3, short-lived "
        "STS session credentials limited to the run's prefix.",
    ).tag(config=True)
    handover_role_arn = Unicode(
        "",
        help="S3 only: the IAM role kernels get session credentials of (STS AssumeRole with a "
        "session policy limited to the run's prefix, 900 s). Empty: STS GetFederationToken of the "
        "server's own identity with the same policy.",
    ).tag(config=True)
    server_id = Unicode(
        help="Name of this server among the servers sharing one database, stored with each run "
        "it executes: at start-up a server marks only its own unfinished runs as interrupted. "
        "Default: the JupyterHub user and server name of a single-user server "
        "(JUPYTERHUB_USER, JUPYTERHUB_SERVER_NAME), else empty (one server per database).",
    ).tag(config=True)

    @default("server_id")
    def _default_server_id(self) -> str:
        return default_server_id()

    @validate("max_parallel")
    def _valid_max_parallel(self, proposal: Any) -> int:
        return max(1, int(proposal["value"]))

    @validate("max_output_bytes")
    def _valid_max_output_bytes(self, proposal: Any) -> int:
        return max(0, int(proposal["value"]))
