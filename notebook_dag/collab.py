"""Adapter over jupyter-collaboration's server-side shared notebooks (Y documents).

When jupyter-collaboration is installed and a notebook is open in a collaborative
JupyterLab, the notebook's truth is the shared Y document of its room, not the file:
the file lags behind by the room's save delay, and a write to the file would come back
to the open editors as an out-of-band change. :class:`CollaborationDocuments` reads that
document (unsaved edits included) and applies block edits to it in Y transactions, so
every connected client sees them live; jupyter-collaboration saves the file as it always
does.

jupyter-collaboration is optional: nothing here imports it. The server extension's
object is looked up in the web application's settings (``jupyter_server_ydoc`` since
jupyter-collaboration 3, ``jupyter_collaboration`` before) each time it is needed, so
the adapter works whatever the order in which the server extensions are loaded.

Paths are API paths (``/``-separated, relative to the server root), as the contents
manager has them. Every method runs on the server's event loop: Y documents (pycrdt)
must not be touched from another thread, and the collaboration rooms live on that loop.
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
from typing import Any

import nbformat

from .errors import Conflict, NotFound

#: settings keys (= server extension module names) of jupyter-collaboration's ``YDocExtension``,
#: newest first: ``jupyter_server_ydoc`` (jupyter-collaboration >= 3), ``jupyter_collaboration`` (2.x)
EXTENSION_NAMES = ("jupyter_server_ydoc", "jupyter_collaboration")

#: cells converted between two yields to the event loop when reading a large document
_CELLS_PER_YIELD = 200

#: the nbformat version of the notebooks :meth:`CollaborationDocuments.get` returns
NBFORMAT = (4, 5)


class CollaborationDocuments:
    """The shared notebooks of jupyter-collaboration's rooms, read and edited in place.

    ``serverapp`` is the running ``jupyter_server`` ``ServerApp``; ``log`` a
    :class:`logging.Logger`. Every method answers "no shared document" (None or False)
    when jupyter-collaboration is not loaded or no room is open for the notebook; the
    caller then uses the file.
    """

    def __init__(self, serverapp: Any, log: Any) -> None:
        self.serverapp = serverapp
        self.log = log

    # -- the jupyter-collaboration server extension ---------------------------------------

    def _extension(self) -> Any | None:
        """jupyter-collaboration's ``YDocExtension`` of this server, or None."""
        web_app = getattr(self.serverapp, "web_app", None)
        settings = getattr(web_app, "settings", None) or {}
        for name in EXTENSION_NAMES:
            ext = settings.get(name)
            if ext is not None and callable(getattr(ext, "get_document", None)):
                return ext
        return None

    @property
    def available(self) -> bool:
        """True when jupyter-collaboration's server extension is loaded in this server
        (shared documents may exist); False otherwise (every method answers "none")."""
        return self._extension() is not None and self._file_ids() is not None

    def _file_ids(self) -> Any | None:
        """jupyter_server_fileid's file id manager (rooms are named by file id), or None."""
        web_app = getattr(self.serverapp, "web_app", None)
        settings = getattr(web_app, "settings", None) or {}
        return settings.get("file_id_manager")

    async def _document(self, path: str) -> Any | None:
        """The live ``jupyter_ydoc.YNotebook`` of the room open for ``path``, or None when
        jupyter-collaboration is not loaded, the notebook has no file id yet (it was never
        opened collaboratively), no room is open for it, or its room has not loaded the
        file yet. Never creates a room, a fork or a file id."""
        ext = self._extension()
        file_ids = self._file_ids()
        if ext is None or file_ids is None:
            return None
        # A room is named after the file id, which the session request of the client that
        # opened the notebook created: no id, no room. (get_document itself would index
        # the path, creating an id for every notebook read.)
        if file_ids.get_id(path) is None:
            return None
        doc = await ext.get_document(path=path, content_type="notebook", file_format="json", copy=False)
        if doc is None or not hasattr(doc, "ycells"):
            return None
        # A room's document is empty until the room has loaded the file (or its store):
        # the file is then still the truth.
        meta = doc.ydoc.get("meta", type=_map_type())
        if meta.get("nbformat") is None:
            return None
        return doc

    # -- reading ------------------------------------------------------------------------

    async def get(self, path: str) -> nbformat.NotebookNode | None:
        """The shared notebook at ``path`` as collaborators currently have it (unsaved
        edits included), or None when no shared document is open for ``path``.

        Shape: an nbformat 4.5 ``NotebookNode`` ``{"nbformat": 4, "nbformat_minor": >= 5,
        "metadata": {..}, "cells": [{"id": str, "cell_type": "code" | "markdown" | "raw",
        "source": str, "metadata": {..}, code cells also "outputs": [..] and
        "execution_count": int | None, markdown and raw cells "attachments" when they have
        any}]}``. Cell ids are the shared document's (a notebook older than nbformat 4.5
        gets ids from jupyter-collaboration when its room loads it). Cells are returned as
        they are, duplicate ids included. Not validated against the nbformat schema."""
        doc = await self._document(path)
        if doc is None:
            return None
        meta = _plain(doc.ydoc.get("meta", type=_map_type()).to_py() or {})
        cells = []
        for i, ycell in enumerate(list(doc.ycells)):
            if i and i % _CELLS_PER_YIELD == 0:
                await asyncio.sleep(0)
            cells.append(_cell(ycell))
        minor = max(int(meta.get("nbformat_minor") or 0), NBFORMAT[1])
        return nbformat.from_dict({
            "nbformat": NBFORMAT[0],
            "nbformat_minor": minor,
            "metadata": meta.get("metadata") or {},
            "cells": cells,
        })

    # -- editing ------------------------------------------------------------------------

    async def set_source(self, path: str, cell_id: str, source: str) -> bool:
        """Replace the source of the cell ``cell_id`` of the shared notebook at ``path``
        with ``source`` (one Y transaction; with jupyter_ydoc's granular text diff when it
        has one, so collaborators' cursors outside the change stay put).

        Returns False when no shared document is open for ``path`` (nothing done), True
        otherwise. Raises :class:`~notebook_dag.errors.NotFound` when the document has no
        cell ``cell_id``."""
        doc = await self._document(path)
        if doc is None:
            return False
        index = _index_of(doc, cell_id)
        with doc.ydoc.transaction():
            if "source" in inspect.signature(doc.set_cell).parameters:
                doc.set_cell(index, source=source)  # recent jupyter_ydoc: a granular text diff
            else:
                text = doc.ycells[index]["source"]
                text.clear()
                if source:
                    text += source
        return True

    async def insert_cell(self, path: str, index: int, cell: dict[str, Any]) -> bool:
        """Insert ``cell`` at position ``index`` of the shared notebook at ``path`` (one Y
        transaction). ``cell`` is ``{"id": str, "cell_type": "code" | "markdown" | "raw",
        "source": str, "metadata": {..} (optional)}``; a code cell gets no outputs and
        ``execution_count`` None. ``index`` is clamped to ``[0, number of cells]``, as
        ``list.insert`` does (so ``len`` appends).

        Returns False when no shared document is open for ``path`` (nothing done), True
        otherwise. Raises :class:`~notebook_dag.errors.Conflict` when the document already
        has a cell with that id, :class:`ValueError` when ``cell`` lacks id, cell_type or
        source or has an unknown cell_type."""
        value = _new_cell(cell)
        doc = await self._document(path)
        if doc is None:
            return False
        if any(_cell_id(ycell) == value["id"] for ycell in doc.ycells):
            raise Conflict(f"cell {value['id']!r} already exists in {path}", cell_id=value["id"])
        position = max(0, min(int(index), len(doc.ycells)))
        with doc.ydoc.transaction():
            doc.ycells.insert(position, doc.create_ycell(value))
        return True

    async def delete_cell(self, path: str, cell_id: str) -> bool:
        """Delete the cell ``cell_id`` from the shared notebook at ``path`` (one Y
        transaction).

        Returns False when no shared document is open for ``path`` (nothing done), True
        otherwise. Raises :class:`~notebook_dag.errors.NotFound` when the document has no
        cell ``cell_id``."""
        doc = await self._document(path)
        if doc is None:
            return False
        index = _index_of(doc, cell_id)
        with doc.ydoc.transaction():
            del doc.ycells[index]
        return True


def collaboration_documents(serverapp: Any, log: Any) -> CollaborationDocuments | None:
    """The :class:`CollaborationDocuments` of ``serverapp``, or None when
    jupyter-collaboration is not installed or its server extension is not enabled in this
    server (``ServerApp.jpserver_extensions``). The extension may be loaded after the
    caller's (extensions load in alphabetical order): the adapter looks it up when used,
    and :attr:`CollaborationDocuments.available` says whether it is there."""
    enabled = getattr(serverapp, "jpserver_extensions", None) or {}
    for name in EXTENSION_NAMES:
        if enabled.get(name) and importlib.util.find_spec(name) is not None:
            return CollaborationDocuments(serverapp, log)
    return None


# -- helpers --------------------------------------------------------------------------------

_CELL_TYPES = ("code", "markdown", "raw")


def _map_type() -> type:
    from pycrdt import Map  # jupyter-collaboration's dependency: imported only when it is loaded

    return Map


def _plain(value: Any) -> Any:
    """``value`` with the floats Yjs clients write for JSON integers (execution counts,
    nbformat) made ints again, as jupyter_ydoc does when it saves a notebook."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _cell_id(ycell: Any) -> Any:
    return ycell.get("id") if hasattr(ycell, "get") else None


def _cell(ycell: Any) -> dict[str, Any]:
    """An nbformat 4.5 cell dict of a shared document's cell (a pycrdt ``Map``)."""
    raw = _plain(ycell.to_py() or {})
    kind = raw.get("cell_type", "code")
    source = raw.get("source", "")
    cell: dict[str, Any] = {
        "id": raw.get("id"),
        "cell_type": kind,
        "source": "".join(source) if isinstance(source, list) else (source or ""),
        "metadata": raw.get("metadata") or {},
    }
    if kind == "code":
        cell["outputs"] = raw.get("outputs") or []
        cell["execution_count"] = raw.get("execution_count")
    elif raw.get("attachments"):
        cell["attachments"] = raw["attachments"]
    return cell


def _index_of(doc: Any, cell_id: str) -> int:
    for i, ycell in enumerate(doc.ycells):
        if _cell_id(ycell) == cell_id:
            return i
    raise NotFound(f"cell {cell_id!r} is not a cell of this notebook", cell_id=cell_id)


def _new_cell(cell: dict[str, Any]) -> dict[str, Any]:
    """The cell dict to create in a shared document from an ``insert_cell`` argument."""
    missing = [key for key in ("id", "cell_type", "source") if not isinstance(cell.get(key), str)]
    if missing:
        raise ValueError(f"a cell needs string {', '.join(missing)}")
    if cell["cell_type"] not in _CELL_TYPES:
        raise ValueError(f"cell_type must be one of {', '.join(_CELL_TYPES)}, got {cell['cell_type']!r}")
    value: dict[str, Any] = {
        "id": cell["id"],
        "cell_type": cell["cell_type"],
        "source": cell["source"],
        "metadata": dict(cell.get("metadata") or {}),
    }
    if value["cell_type"] == "code":
        value["outputs"] = []
        value["execution_count"] = None
    return value
