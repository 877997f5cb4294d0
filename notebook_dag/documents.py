"""Live documents: a notebook as it is open in JupyterLab, unsaved edits included.

While a notebook is open, what the server reads of it (the DAG, blocks, runs, lineage)
is the open document, not the file (:meth:`notebook_dag.notebooks.NotebookStore.read`):

* with jupyter-collaboration, the shared Y document of the path, through the adapter
  ``collab`` (:class:`notebook_dag.collab.CollaborationDocuments`: ``available``,
  ``get``, ``set_source``, ``insert_cell``, ``delete_cell``); block edits by REST go
  into that document;
* otherwise the *editor document* a JupyterLab frontend sent with
  ``PUT /projects/{id}/document``: kept in memory only, per notebook path and user, for
  :attr:`LiveDocuments.editor_ttl` seconds after the last PUT (the frontend re-sends
  it at least every 30 s while the notebook is open). With several users' editors on
  one path, the one whose content changed last wins. Block edits by REST are refused
  then (:class:`OpenInEditor`, 409): the DAG view in that JupyterLab edits the open
  notebook itself, and the user saves as usual.

Nothing here writes a file. Documents live in this server process only.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import nbformat
from traitlets import Float
from traitlets.config import LoggingConfigurable

from .errors import Conflict, Unprocessable
from .notebooks import CELL_ID_PATTERN

CELL_TYPES = ("code", "markdown", "raw")

#: where a notebook is read from: :meth:`LiveDocuments.read`'s second item, or ``"file"``
EDITOR, COLLABORATION, FILE = "editor", "collaboration", "file"


class OpenInEditor(Conflict):
    """A block edit by REST while the notebook is open in a JupyterLab editor (without
    collaboration): the edit would be lost on the editor's next save, or make JupyterLab
    ask "File Changed". The JSON body's ``reason`` is ``open_in_editor``."""

    reason = "open_in_editor"


@dataclass
class EditorDocument:
    """What one user's JupyterLab editor has of a notebook.

    ``cells``: ``[{"id", "cell_type", "source", "metadata"}]``; ``metadata``: the
    notebook's (None: not sent); ``revision``: grows with every change of content
    (an unchanged re-send keeps it); ``expires``: ``time.monotonic()`` seconds."""

    path: str
    user: str
    cells: list[dict[str, Any]]
    metadata: dict[str, Any] | None
    revision: int
    expires: float
    digest: str = field(default="")

    def notebook(self) -> nbformat.NotebookNode:
        """A fresh nbformat 4.5 notebook of this document; code cells without outputs."""
        cells = []
        for c in self.cells:
            maker = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
                     "raw": nbformat.v4.new_raw_cell}[c["cell_type"]]
            cell = maker(source=c["source"], metadata=json.loads(json.dumps(c.get("metadata") or {})))
            cell["id"] = c["id"]
            cells.append(cell)
        nb = nbformat.v4.new_notebook(cells=cells, metadata=json.loads(json.dumps(self.metadata or {})))
        nb["nbformat"], nb["nbformat_minor"] = 4, 5
        return nb


def check_cells(cells: Sequence[Any]) -> list[dict[str, Any]]:
    """``cells`` as editor-document cells, checked: each a dict with a unique non-empty
    ``id`` matching nbformat's pattern (at most 64 characters), a ``cell_type`` of
    :data:`CELL_TYPES`, a string ``source`` and an optional dict ``metadata``.
    Raises :class:`Unprocessable` naming the first bad cell."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, c in enumerate(cells):
        if hasattr(c, "model_dump"):
            c = c.model_dump()
        if not isinstance(c, dict):
            raise Unprocessable(f"cells.{i}: a cell must be an object")
        cid, ctype, source, meta = c.get("id"), c.get("cell_type"), c.get("source"), c.get("metadata")
        if not isinstance(cid, str) or not CELL_ID_PATTERN.match(cid):
            raise Unprocessable(f"cells.{i}.id: a cell id must be 1 to 64 letters, digits, '-' or '_'")
        if cid in seen:
            raise Unprocessable(f"cells.{i}.id: the cell id {cid!r} is used twice")
        if ctype not in CELL_TYPES:
            raise Unprocessable(f"cells.{i}.cell_type: must be one of {', '.join(CELL_TYPES)}")
        if not isinstance(source, str):
            raise Unprocessable(f"cells.{i}.source: must be a string")
        if meta is not None and not isinstance(meta, dict):
            raise Unprocessable(f"cells.{i}.metadata: must be an object")
        seen.add(cid)
        out.append({"id": cid, "cell_type": ctype, "source": source, "metadata": dict(meta or {})})
    return out


def _digest(cells: list[dict[str, Any]], metadata: dict[str, Any] | None) -> str:
    text = json.dumps([cells, metadata], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def notebook_digest(nb: Any) -> str:
    """SHA-256 of what a DAG shows of ``nb``: each cell's id, type and source."""
    h = hashlib.sha256()
    for c in nb.get("cells", []):
        source = c.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        h.update(json.dumps([c.get("id"), c.get("cell_type"), source]).encode())
    h.update(json.dumps((nb.get("metadata") or {}).get("kernelspec"), sort_keys=True, default=str).encode())
    return h.hexdigest()


class LiveDocuments(LoggingConfigurable):
    """The live documents of this server: editor documents in memory and, when given,
    the shared documents of jupyter-collaboration (``collab``, consulted first; None
    when it is not installed). Configurable as ``c.LiveDocuments.<trait>``."""

    editor_ttl = Float(
        120.0, help="Seconds an editor document sent by JupyterLab (PUT /projects/{id}/document) stays live "
        "after its last PUT; the frontend re-sends it at least every 30 s while the notebook is open. "
        "When it expires, the server reads the file again.",
    ).tag(config=True)

    def __init__(self, collab: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.collab = collab
        #: notebook path -> user -> document
        self._editors: dict[str, dict[str, EditorDocument]] = {}
        self._revision = 0

    # ---- editor documents -------------------------------------------------------------

    def _sweep(self, now: float) -> None:
        for path in [p for p, docs in self._editors.items() if any(d.expires <= now for d in docs.values())]:
            docs = {u: d for u, d in self._editors[path].items() if d.expires > now}
            if docs:
                self._editors[path] = docs
            else:
                del self._editors[path]

    def editor(self, path: str) -> EditorDocument | None:
        """The live editor document of ``path`` (the latest change among its users'),
        or None when none is live (never sent, dropped or expired)."""
        docs = self._editors.get(path)
        if not docs:
            return None
        now = time.monotonic()
        live = [d for d in docs.values() if d.expires > now]
        if len(live) < len(docs):
            self._sweep(now)
        return max(live, key=lambda d: d.revision) if live else None

    def put_editor(self, path: str, user: str, cells: Sequence[Any], metadata: dict[str, Any] | None = None,
                   base_revision: int | None = None) -> int:
        """Keep ``cells`` (see :func:`check_cells`) and the notebook ``metadata`` (None:
        the file's) as ``user``'s editor document of ``path`` for :attr:`editor_ttl`
        seconds; return its revision. The revision grows with each change of content;
        re-sending the same content keeps it (and only extends the expiry).
        ``base_revision``: the revision this editor's previous PUT got; revisions given
        out afterwards are above it (also after a server restart). Raises
        :class:`Unprocessable` for bad cells."""
        checked = check_cells(cells)
        if metadata is not None and not isinstance(metadata, dict):
            raise Unprocessable("metadata: must be an object")
        now = time.monotonic()
        self._sweep(now)
        digest = _digest(checked, metadata)
        if base_revision is not None and base_revision > self._revision:
            self._revision = int(base_revision)
        docs = self._editors.setdefault(path, {})
        old = docs.get(user)
        if old is not None and old.digest == digest:
            old.expires = now + self.editor_ttl
            return old.revision
        self._revision += 1
        docs[user] = EditorDocument(path, user, checked, dict(metadata) if metadata is not None else None,
                                    self._revision, now + self.editor_ttl, digest)
        return self._revision

    def drop_editor(self, path: str, user: str) -> bool:
        """Forget ``user``'s editor document of ``path`` (their editor closed); another
        user's, if live, stays. Returns whether there was one."""
        docs = self._editors.get(path)
        if not docs or docs.pop(user, None) is None:
            return False
        if not docs:
            del self._editors[path]
        return True

    # ---- shared (collaboration) documents ---------------------------------------------

    async def collaboration(self, path: str) -> nbformat.NotebookNode | None:
        """The shared document of ``path`` (a snapshot), or None: no adapter, or no
        shared document open for ``path``."""
        if self.collab is None or not getattr(self.collab, "available", False):
            return None
        return await self.collab.get(path)

    # ---- what readers and writers ask -------------------------------------------------

    async def read(self, path: str) -> tuple[nbformat.NotebookNode, str] | None:
        """``(notebook, "collaboration" | "editor")`` of ``path``, or None when the file
        is what counts. The notebook is a copy the caller may change."""
        shared = await self.collaboration(path)
        if shared is not None:
            return nbformat.from_dict(json.loads(json.dumps(shared))), COLLABORATION
        doc = self.editor(path)
        if doc is not None:
            return doc.notebook(), EDITOR
        return None

    async def kind(self, path: str) -> str | None:
        """``"collaboration"``, ``"editor"`` or None (the file): what a block edit of
        ``path`` must go to, or be refused for."""
        if await self.collaboration(path) is not None:
            return COLLABORATION
        return EDITOR if self.editor(path) is not None else None

    async def stamp(self, path: str) -> tuple[str, Hashable]:
        """A value that changes whenever what :meth:`read` gives for ``path`` may have
        changed, for cache keys: ``("collaboration", digest of its cells)``,
        ``("editor", revision)`` or ``("file", None)``."""
        shared = await self.collaboration(path)
        if shared is not None:
            return COLLABORATION, notebook_digest(shared)
        doc = self.editor(path)
        if doc is not None:
            return EDITOR, (doc.user, doc.revision)
        return FILE, None
