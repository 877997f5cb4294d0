"""Datasets for kernels: the routes ``notebook_dag.load()`` calls, under
``/notebook-dag/api/kernel/``, authenticated by a kernel token only.

A kernel holds no database credential (see :mod:`notebook_dag.kernel_auth`); it asks the
server, with header ``Authorization: notebook-dag-kernel <NOTEBOOK_DAG_KERNEL_TOKEN>``:

- ``GET kernel/datasets/resolve?name=&project=&prefer=&version=`` → :class:`KernelDatasetOut`:
  the dataset named ``name`` (or with that id) among those the token's user may read
  (their own and those of every project they may see, as the REST API decides), and
  ``path``, a local file holding the version's bytes (the registered file, the uploaded
  copy, or for object storage the server's verified cache copy);
- ``GET kernel/datasets/{id}/content?version=`` → the bytes of that file, for a kernel
  that cannot open ``path``.

These routes are not in :func:`notebook_dag.handlers.route_table` (whose handlers take
Jupyter's authentication): a Jupyter login does not open them, and the kernel token opens
nothing else. Errors are the usual JSON bodies; 401 without a valid token.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated
from pydantic import BaseModel
from sqlalchemy import or_, select
from tornado import web

from ..errors import NotFound
from ..base_handler import API, ID
from ..kernel_api import choose_dataset
from ..kernel_auth import SCHEME, SCOPE_DATASETS_READ, InvalidToken, KernelTokens
from ..storage import Project
from .orm import Dataset
from .handlers import DatasetBase
from .service import DatasetService, _changed_on_disk


class KernelDatasetOut(BaseModel):
    """A dataset version resolved for a kernel."""

    dataset_id: str
    name: str
    project_id: str | None
    version: int
    format: str
    sha256: str
    size_bytes: int
    path: str | None
    changed_on_disk: bool


async def resolve(svc: DatasetService, name: str, user: str, project: str | None = None,
                  version: int | None = None, prefer: str | None = None) -> dict[str, Any]:
    """The :class:`KernelDatasetOut` dict of dataset ``name`` (or id) for ``user``, with
    the local path of its bytes (an object is fetched into the server's cache first);
    ``project`` and ``prefer`` choose among datasets of one name as
    :func:`~notebook_dag.kernel_api.choose_dataset` says.
    Raises :class:`NotFound` (no such dataset visible to ``user``, ambiguous name, no such
    version, or ``reason_detail="file_gone"`` when its file is gone) and
    :class:`Unavailable` when object storage fails."""
    async with svc.db.session() as s:
        rows = (await s.execute(
            select(Dataset.id, Dataset.name, Dataset.project_id, Project.name.label("project_name"))
            .outerjoin(Project, Project.id == Dataset.project_id)
            .where(or_(Dataset.name == name, Dataset.id == name), svc.visible(user))
        )).all()
    try:
        chosen = choose_dataset(name, list(rows), project, prefer)
    except LookupError as e:
        raise NotFound(str(e)) from None
    d, v = await svc.version(chosen.id, user, version)
    if not await asyncio.to_thread(svc.files.exists, v.file_path, v.sha256):
        raise NotFound(f"the file of dataset {d.name!r} version {v.version} is gone: {v.api_path or v.original_name}",
                       detail="file_gone")
    path = await asyncio.to_thread(svc.files.local_copy, v.file_path, v.sha256)
    return {"dataset_id": d.id, "name": d.name, "project_id": d.project_id, "version": v.version,
            "format": v.format, "sha256": v.sha256, "size_bytes": v.size_bytes, "path": os.path.abspath(path),
            "changed_on_disk": _changed_on_disk(v)}


class KernelHandler(DatasetBase):
    """Base of the kernel routes: the user comes from the kernel token, not from Jupyter."""

    def kernel_user(self) -> str:
        """The user of the request's kernel token; HTTP 401 without a valid one."""
        tokens: KernelTokens | None = self.settings.get("notebook_dag_kernel_tokens")
        scheme, _, token = (self.request.headers.get("Authorization") or "").partition(" ")
        if tokens is None or scheme.strip().lower() != SCHEME or not token.strip():
            raise web.HTTPError(401, f"this route needs the header 'Authorization: {SCHEME} <token>'")
        try:
            return tokens.verify(token, SCOPE_DATASETS_READ).user
        except InvalidToken as e:
            raise web.HTTPError(401, str(e)) from None

    def check_xsrf_cookie(self) -> None:  # GET only; there is no cookie to check
        return None


class KernelResolveHandler(KernelHandler):
    @allow_unauthenticated  # Jupyter's login is not what opens it: the kernel token is checked here
    async def get(self) -> None:
        user = self.kernel_user()
        name = self.get_query_argument("name", "") or ""
        if not name:
            raise web.HTTPError(400, "the name query argument is required")
        out = await resolve(self.datasets, name, user, self.get_query_argument("project", None) or None,
                            self.version_arg(), self.get_query_argument("prefer", None) or None)
        self.reply(KernelDatasetOut, out)


class KernelContentHandler(KernelHandler):
    @allow_unauthenticated  # the kernel token is checked here
    async def get(self, dataset_id: str) -> None:
        user = self.kernel_user()
        svc = self.datasets
        _, v = await svc.version(dataset_id, user, self.version_arg())
        local = await asyncio.to_thread(svc.files.local_copy, v.file_path, v.sha256)
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("X-Dataset-Format", v.format)
        f = await asyncio.to_thread(open, local, "rb")
        try:
            while chunk := await asyncio.to_thread(f.read, 1 << 20):
                self.write(chunk)
                await self.flush()
        finally:
            f.close()
        self.finish()


def kernel_routes() -> list[tuple[str, type[KernelHandler]]]:
    """``(url pattern, handler)`` pairs of the kernel routes; they must come before the
    API's catch-all route."""
    return [
        (rf"{API}/kernel/datasets/resolve", KernelResolveHandler),
        (rf"{API}/kernel/datasets/{ID.format('dataset_id')}/content", KernelContentHandler),
    ]
