"""Blocks: the cells of a project's notebook, read and edited through the contents
manager, plus per-cell metadata kept in the database (title override, layout position).

While the notebook is open in JupyterLab (:mod:`notebook_dag.documents`), blocks are
read from the open document; edits go into a shared (collaboration) document, and are
refused (:class:`~notebook_dag.documents.OpenInEditor`, 409) for an editor document."""

from __future__ import annotations

import hashlib
from typing import Any

import nbformat
from sqlalchemy import delete, select

from . import etags
from .dag import block_title
from .documents import COLLABORATION, EDITOR, OpenInEditor
from .errors import Conflict, NotFound
from .models import BlockCreate, BlockUpdate
from .notebooks import NotebookStore, ensure_cell_ids
from .storage import BlockMeta, Database, Edge


class BlockService:
    """Cells of project notebooks. Edits save the notebook (or go into its shared
    collaboration document); runs never do."""

    def __init__(self, db: Database, store: NotebookStore) -> None:
        self.db = db
        self.store = store

    async def notebook(self, project: Any) -> nbformat.NotebookNode:
        """The project's notebook as it is now (a live document wins over the file)."""
        return await self.store.read(project.notebook_path)

    async def document(self, project: Any) -> tuple[nbformat.NotebookNode, str]:
        """``(notebook, "file" | "editor" | "collaboration")``: :meth:`notebook` and
        where it was read from."""
        return await self.store.read_document(project.notebook_path)

    async def _editable(self, project: Any) -> tuple[nbformat.NotebookNode, str]:
        """:meth:`document` for an edit: raises :class:`OpenInEditor` (409, reason
        ``open_in_editor``) while a JupyterLab editor document is live."""
        nb, source = await self.document(project)
        if source == EDITOR:
            raise _open_in_editor(project)
        return nb, source

    async def _shared(self, project: Any, applied: Any) -> None:
        """Await one edit of the shared document (a coroutine of the collaboration
        adapter returning whether a shared document took it); :class:`Conflict` when it
        closed meanwhile (nothing was changed: the client may try again)."""
        if not await applied:
            raise Conflict(f"the shared document of {project.notebook_path} closed during the edit; try again")

    def editing(self, project: Any) -> Any:
        """The lock a read-change-save of the project's notebook holds, so that edits
        from this and other servers on the same database never overwrite each other
        (see :meth:`notebook_dag.storage.Database.lock`)."""
        return self.db.lock(f"notebook:{project.notebook_path}")

    async def meta(self, project_id: str) -> dict[str, BlockMeta]:
        async with self.db.session() as s:
            rows = (await s.execute(select(BlockMeta).where(BlockMeta.project_id == project_id))).scalars()
            return {m.block_id: m for m in rows}

    @staticmethod
    def block_dict(cell: Any, index: int, meta: BlockMeta | None) -> dict[str, Any]:
        """The API shape of a block (see :class:`notebook_dag.models.BlockOut`), with its
        ``etag`` ``"block-<cell id>-<source version>.<view>"`` (:mod:`notebook_dag.etags`)."""
        position = None
        if meta is not None and meta.x is not None and meta.y is not None:
            position = {"x": meta.x, "y": meta.y}
        source = str(cell.get("source", ""))
        version = source_version(source)
        return etags.tagged("block", cell["id"], version, {
            "id": cell["id"],
            "cell_type": cell.get("cell_type", "code"),
            "source": source,
            "version": version,
            "title": block_title(cell, meta.title if meta else None),
            "index": index,
            "position": position,
        })

    async def list(self, project: Any) -> list[dict[str, Any]]:
        nb = await self.notebook(project)
        meta = await self.meta(project.id)
        return [self.block_dict(c, i, meta.get(c["id"])) for i, c in enumerate(nb.cells)]

    async def get(self, project: Any, block_id: str) -> dict[str, Any]:
        nb = await self.notebook(project)
        i = _find(nb, block_id)
        meta = await self.meta(project.id)
        return self.block_dict(nb.cells[i], i, meta.get(block_id))

    async def insert(self, project: Any, body: BlockCreate) -> dict[str, Any]:
        """Insert a cell after ``body.after`` (or at the end) and save the notebook (or
        insert it into the shared collaboration document). Raises :class:`NotFound` when
        ``after`` names no cell, :class:`OpenInEditor` while an editor document is live."""
        async with self.editing(project):
            nb, source = await self._editable(project)
            at = len(nb.cells) if body.after is None else _find(nb, body.after) + 1
            maker = {
                "code": nbformat.v4.new_code_cell,
                "markdown": nbformat.v4.new_markdown_cell,
                "raw": nbformat.v4.new_raw_cell,
            }[body.cell_type]
            cell = maker(source=body.source)
            nb.cells.insert(at, cell)
            ensure_cell_ids(nb, project.notebook_path)
            if source == COLLABORATION:
                await self._shared(project, self.store.live.collab.insert_cell(project.notebook_path, at, dict(cell)))
            else:
                await self.store.write(project.notebook_path, nb)
        self.db.changes.touch(project.id)
        meta = None
        if body.title:
            meta = await self._save_meta(project.id, cell["id"], title=body.title)
        return self.block_dict(cell, at, meta)

    async def _check(self, project: Any, nb: Any, i: int, expected: etags.Expected | None) -> None:
        """Raise ``expected.failure`` (with the current block) unless it matches cell
        ``i`` of ``nb``; call under :meth:`editing`."""
        if expected is not None and not expected.matches(source_version(str(nb.cells[i].get("source", "")))):
            meta = (await self.meta(project.id)).get(nb.cells[i]["id"])
            raise expected.failure("the block changed since you read it", self.block_dict(nb.cells[i], i, meta))

    async def update(self, project: Any, block_id: str, body: BlockUpdate,
                     if_match: str | etags.Expected | None = None) -> dict[str, Any]:
        """Edit a cell's source (saving the notebook), title or position.

        ``if_match`` is the client's ``If-Match`` (:class:`etags.Expected`, or the raw
        header): when the source changed since the ETag or block ``version`` the editor
        started from (another user's edit), nothing is written and
        :class:`~notebook_dag.errors.PreconditionFailed` (412; :class:`~notebook_dag.errors.Conflict`, 409,
        for a bare unquoted ``version``, the older form) is raised with the current
        block and its ETag — one of two concurrent editors wins, the other sees what
        won. The check and the writes (notebook, then title and position) hold
        :meth:`editing`, so this holds for editors on different servers at the same
        moment too. Titles and positions are not versioned: the last write wins.

        A source edit goes into the shared document of a collaboration session and is
        refused with :class:`OpenInEditor` (409) while a JupyterLab editor document is
        live; titles and positions are saved in either case."""
        expected = etags.parse_if_match(if_match, "block", block_id, True) if isinstance(if_match, str) else if_match
        fields = body.model_dump(exclude_unset=True)
        updates: dict[str, Any] = {}
        if "title" in fields:
            updates["title"] = fields["title"] or None
        if "position" in fields:
            pos = fields["position"]
            updates["x"], updates["y"] = (pos["x"], pos["y"]) if pos else (None, None)
        async with self.editing(project):
            nb, source = await self.document(project)
            i = _find(nb, block_id)
            await self._check(project, nb, i, expected)
            if "source" in fields and fields["source"] != nb.cells[i].get("source"):
                if source == EDITOR:
                    raise _open_in_editor(project)
                nb.cells[i]["source"] = fields["source"]
                if source == COLLABORATION:
                    await self._shared(project, self.store.live.collab.set_source(
                        project.notebook_path, block_id, fields["source"]))
                else:
                    await self.store.write(project.notebook_path, nb)
                self.db.changes.touch(project.id)
            meta = await self._save_meta(project.id, block_id, **updates) if updates else (await self.meta(project.id)).get(block_id)
        return self.block_dict(nb.cells[i], i, meta)

    async def delete(self, project: Any, block_id: str, expected: etags.Expected | None = None) -> None:
        """Remove a cell from the notebook with its manual edges and metadata. With
        ``expected`` (the client's If-Match), raises as :meth:`update` does when the
        source changed since; the check and the removal hold :meth:`editing`. The cell
        leaves the shared document of a collaboration session; :class:`OpenInEditor`
        (409) while a JupyterLab editor document is live."""
        async with self.editing(project):
            nb, source = await self._editable(project)
            i = _find(nb, block_id)
            await self._check(project, nb, i, expected)
            del nb.cells[i]
            if source == COLLABORATION:
                await self._shared(project, self.store.live.collab.delete_cell(project.notebook_path, block_id))
            else:
                await self.store.write(project.notebook_path, nb)
        async with self.db.session() as s:
            await s.execute(
                delete(Edge).where(Edge.project_id == project.id, (Edge.source == block_id) | (Edge.target == block_id))
            )
            await s.execute(delete(BlockMeta).where(BlockMeta.project_id == project.id, BlockMeta.block_id == block_id))
        self.db.changes.touch(project.id)

    async def set_positions(self, project: Any, positions: dict[str, Any]) -> list[dict[str, Any]]:
        """Save many layout positions at once (``{cell id: {"x", "y"} or None}``) and
        return the blocks. Concurrent saves never fail: each is applied whole, the last
        one wins. Raises :class:`NotFound` when an id names no cell."""
        nb = await self.notebook(project)
        ids = {c["id"] for c in nb.cells}
        unknown = sorted(set(positions) - ids)
        if unknown:
            raise NotFound(f"no cells {', '.join(unknown)} in this notebook", block_ids=unknown)
        if positions:
            # one INSERT ... ON CONFLICT DO UPDATE: a block's first position saved by two
            # requests at once is no duplicate key; rows in one order (sorted), so two
            # saves never lock the same rows in opposite orders (a deadlock on PostgreSQL)
            rows = [
                {"project_id": project.id, "block_id": block_id,
                 "x": pos["x"] if pos else None, "y": pos["y"] if pos else None}
                for block_id, pos in sorted(positions.items())
            ]
            stmt = self.db.insert(BlockMeta).values(rows)
            async with self.db.session() as s:
                await s.execute(stmt.on_conflict_do_update(
                    index_elements=[BlockMeta.project_id, BlockMeta.block_id],
                    set_={"x": stmt.excluded.x, "y": stmt.excluded.y},
                ))
            self.db.changes.touch(project.id)
        return await self.list(project)

    async def _save_meta(self, project_id: str, block_id: str, **values: Any) -> BlockMeta:
        """Set ``values`` (columns of :class:`BlockMeta`) on the block's metadata row,
        created if missing — atomically, so concurrent first saves do not collide.
        Returns the row as saved."""
        stmt = self.db.insert(BlockMeta).values(project_id=project_id, block_id=block_id, **values)
        key = [BlockMeta.project_id, BlockMeta.block_id]
        async with self.db.session() as s:
            await s.execute(
                stmt.on_conflict_do_update(index_elements=key, set_={k: stmt.excluded[k] for k in values})
                if values else stmt.on_conflict_do_nothing(index_elements=key)
            )
            row = (await s.execute(
                select(BlockMeta).where(BlockMeta.project_id == project_id, BlockMeta.block_id == block_id)
            )).scalar_one()
        self.db.changes.touch(project_id)
        return row


def source_version(source: str) -> str:
    """The version tag of a block: the first 16 hex digits of SHA-256 of its source."""
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _open_in_editor(project: Any) -> OpenInEditor:
    return OpenInEditor(f"{project.notebook_path} is open in JupyterLab: edit it there (the DAG view in that "
                        "JupyterLab edits the open notebook), or close it first")


def _find(nb: Any, block_id: str) -> int:
    for i, c in enumerate(nb.cells):
        if c.get("id") == block_id:
            return i
    raise NotFound(f"block {block_id!r} is not a cell of this notebook")
