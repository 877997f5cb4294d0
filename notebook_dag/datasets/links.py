"""Lineage of datasets: which blocks of which projects read or write them, the datasets
each block reads (for staleness) and the dataset nodes of the DAG view. A part of
:class:`~notebook_dag.datasets.service.DatasetService`, kept apart for its size."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from sqlalchemy import select

from .lineage import Candidate, match, notebook_refs
from .objectstore import is_url
from .orm import Dataset, DatasetVersion


class DatasetLinks:
    """Lineage methods of :class:`~notebook_dag.datasets.service.DatasetService`; they
    use its ``db``, ``store``, ``projects``, ``visible``, ``_get`` and ``_dicts``."""

    db: Any
    store: Any
    projects: Any

    async def _candidates(self, user: str) -> list[Candidate]:
        async with self.db.session() as s:
            rows = (await s.execute(select(Dataset, DatasetVersion).join(
                DatasetVersion, DatasetVersion.dataset_id == Dataset.id).where(self.visible(user)))).all()
        out: dict[str, Candidate] = {}
        for d, v in rows:
            c = out.setdefault(d.id, Candidate(d.id, d.name, d.project_id, set(), set(), set()))
            c.original_names.add(v.original_name)
            c.file_paths.add(v.file_path if is_url(v.file_path) else os.path.normpath(v.file_path))
            if v.api_path:
                c.api_paths.add(v.api_path)
        return list(out.values())

    async def _project_links(self, project: Any, candidates: list[Candidate]) -> list[tuple[Candidate, str, Any]]:
        """``(dataset, block id, Ref)`` for every data access in the project's notebook."""
        try:
            nb = await self.store.read(project.notebook_path)
        except Exception:  # noqa: BLE001 - a missing/broken notebook has no lineage
            return []
        cells = [(c["id"], str(c.get("source", ""))) for c in nb.cells if c.get("cell_type") == "code"]
        refs = await asyncio.to_thread(notebook_refs, cells)
        return [(cand, cid, ref) for cid, rs in refs.items() for ref in rs
                for cand in match(ref, project.notebook_path, project.id, candidates)]

    async def block_inputs(self, project: Any, dag: Any, user: str | None) -> tuple[dict[str, set[str]], dict[str, str]]:
        """The datasets each code block of ``dag`` (a :class:`~notebook_dag.dag.BuiltDag`)
        reads, for staleness: ``({block id: {"<dataset:ID>", ...}}, {"<dataset:ID>":
        "sha256:<content hash of its current version>"})``. A new current version thus
        makes exactly its readers (and what depends on them) stale."""
        candidates = await self._candidates(user or project.owner)
        if not candidates:
            return {}, {}
        cells = [(b, str(dag.cells[b].get("source", ""))) for b in dag.effects]
        refs = await asyncio.to_thread(notebook_refs, cells)
        reads: dict[str, set[str]] = {}
        ids: set[str] = set()
        for cid, rs in refs.items():
            for ref in rs:
                if ref.kind == "read":
                    for cand in match(ref, project.notebook_path, project.id, candidates):
                        reads.setdefault(cid, set()).add(f"<dataset:{cand.id}>")
                        ids.add(cand.id)
        if not ids:
            return {}, {}
        async with self.db.session() as s:
            rows = (await s.execute(
                select(Dataset.id, DatasetVersion.sha256)
                .join(DatasetVersion, DatasetVersion.dataset_id == Dataset.id)
                .where(Dataset.id.in_(ids), DatasetVersion.version == Dataset.current_version))).all()
        return reads, {f"<dataset:{i}>": f"sha256:{sha}" for i, sha in rows}

    async def sql_views(self, project: Any, dag: Any, user: str | None) -> dict[str, str]:
        """The datasets the SQL blocks of ``dag`` read, as ``{table name as the SQL
        writes it: dataset id}``: the views a run's kernel gets (see
        :mod:`notebook_dag.sql_kernel`). Tables an earlier cell binds as a kernel name
        or creates in DuckDB are not datasets (see :mod:`.lineage`)."""
        candidates = await self._candidates(user or project.owner)
        if not candidates:
            return {}
        cells = [(b, str(dag.cells[b].get("source", ""))) for b in dag.effects]
        refs = await asyncio.to_thread(notebook_refs, cells)
        views: dict[str, str] = {}
        for rs in refs.values():
            for ref in rs:
                if ref.by == "sql":
                    found = match(ref, project.notebook_path, project.id, candidates)
                    if len(found) == 1:
                        views[ref.target] = found[0].id
        return views

    async def lineage(self, dataset_id: str, user: str) -> dict[str, Any]:
        """Blocks of the projects ``user`` may see that read or write the dataset
        (:class:`~notebook_dag.datasets.models.LineageOut`); a member of the dataset's
        project (any role) may ask. Raises :class:`NotFound` otherwise."""
        async with self.db.session() as s:
            await self._get(s, dataset_id, user)
        mine = [c for c in await self._candidates(user) if c.id == dataset_id]
        projects, _ = await self.projects.list(user, limit=10**6)
        readers, writers = [], []
        for p in projects:
            for cand, cid, ref in await self._project_links(p, mine):
                item = {"project_id": p.id, "project_name": p.name, "notebook_path": p.notebook_path,
                        "block_id": cid, "kind": ref.kind, "via": ref.via, "target": ref.target, "line": ref.line}
                (readers if ref.kind == "read" else writers).append(item)
        return {"dataset_id": dataset_id, "readers": readers, "writers": writers}

    async def dag_overlay(self, project: Any, user: str, dag: dict[str, Any]) -> dict[str, Any]:
        """``dag`` (the ``GET /projects/{id}/dag`` document) plus dataset nodes
        ``{"id": "dataset:<id>", "kind": "dataset", ...}`` and ``reads``/``writes`` edges."""
        candidates = await self._candidates(user)
        links = await self._project_links(project, candidates)
        edges: dict[tuple[str, str, str], list[str]] = {}
        used: dict[str, Candidate] = {}
        for cand, cid, ref in links:
            node = f"dataset:{cand.id}"
            key = (node, cid, "reads") if ref.kind == "read" else (cid, node, "writes")
            names = edges.setdefault(key, [])
            if ref.target not in names:
                names.append(ref.target)
            used[cand.id] = cand
        nodes = []
        if used:
            for item in await self._dicts(await self._datasets(list(used))):
                latest = item["latest"]
                nodes.append({"id": f"dataset:{item['id']}", "kind": "dataset", "dataset_id": item["id"],
                              "name": item["name"], "format": latest["format"], "version": item["current_version"],
                              "rows": latest["rows"]})
        return {**dag, "nodes": [*dag["nodes"], *nodes],
                "edges": [*dag["edges"], *({"id": None, "source": a, "target": b, "kind": k, "names": n}
                                           for (a, b, k), n in edges.items())]}

    async def _datasets(self, ids: list[str]) -> list[Dataset]:
        async with self.db.session() as s:
            return list((await s.execute(select(Dataset).where(Dataset.id.in_(ids)).order_by(Dataset.name))).scalars())
