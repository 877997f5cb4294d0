"""Access to project notebooks through Jupyter's contents manager.

Paths are API paths: ``/``-separated and relative to the server root, exactly as the
contents manager and JupyterLab's file browser use them. Notebooks are never written
by runs; only block edits (insert, edit, delete) and the one-time assignment of
missing nbformat cell ids save them.
"""

from __future__ import annotations

import posixpath
import unicodedata
from typing import Any

import nbformat
from jupyter_core.utils import ensure_async
from nbformat.corpus.words import generate_corpus_id
from tornado.web import HTTPError

from .errors import BadRequest, NotFound, Unprocessable


def normalize_path(path: str) -> str:
    """Return the canonical API path of ``path``.

    Raises :class:`BadRequest` for an empty path, an absolute path, a NUL byte, a
    path that leaves the server root (``../x``) or one that does not end in ``.ipynb``.
    """
    if not isinstance(path, str) or not path.strip():
        raise BadRequest("notebook_path must be a non-empty string")
    if any(unicodedata.category(ch) == "Cc" for ch in path):
        raise BadRequest("notebook_path must not contain NUL bytes or other control characters")
    raw = path.replace("\\", "/")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        raise BadRequest(f"notebook_path must be relative to the server root, got {path!r}")
    norm = posixpath.normpath(raw)
    if norm == ".." or norm.startswith("../"):
        raise BadRequest(f"notebook_path {path!r} is outside the server root")
    if not norm.endswith(".ipynb"):
        raise BadRequest(f"notebook_path must name a .ipynb notebook, got {path!r}")
    return norm


def ensure_cell_ids(nb: nbformat.NotebookNode) -> bool:
    """Give every cell an nbformat cell id (nbformat 4.5); return True if ``nb`` changed."""
    changed = False
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5):
        nb["nbformat"], nb["nbformat_minor"] = 4, 5
        changed = True
    seen: set[str] = set()
    for cell in nb.cells:
        cid = cell.get("id")
        if not cid or cid in seen:
            cid = generate_corpus_id()
            while cid in seen:
                cid = generate_corpus_id()
            cell["id"] = cid
            changed = True
        seen.add(cid)
    return changed


def new_notebook(kernel_name: str | None = None) -> nbformat.NotebookNode:
    """An empty nbformat 4.5 notebook with a Python 3 kernelspec."""
    nb = nbformat.v4.new_notebook()
    name = kernel_name or "python3"
    nb.metadata["kernelspec"] = {"name": name, "display_name": "Python 3" if name == "python3" else name, "language": "python"}
    return nb


class NotebookStore:
    """Reads and writes notebooks through ``contents_manager`` (sync or async)."""

    def __init__(self, contents_manager: Any) -> None:
        self.contents_manager = contents_manager

    async def exists(self, path: str) -> bool:
        return bool(await ensure_async(self.contents_manager.file_exists(path)))

    async def read(self, path: str) -> nbformat.NotebookNode:
        """The notebook at ``path`` with every cell id present.

        Ids missing from an older notebook are assigned and saved once.
        Raises :class:`NotFound` when no notebook is there.
        """
        try:
            model = await ensure_async(self.contents_manager.get(path, content=True, type="notebook"))
        except HTTPError as e:
            if e.status_code == 404:
                raise NotFound(f"notebook {path!r} does not exist") from None
            if e.status_code == 400:
                raise Unprocessable(f"{path!r} is not a readable notebook: {e.log_message}") from None
            raise
        nb = nbformat.from_dict(model["content"])
        if ensure_cell_ids(nb):
            await self.write(path, nb)
        return nb

    async def write(self, path: str, nb: nbformat.NotebookNode) -> None:
        """Save ``nb`` at ``path`` through the contents manager."""
        await ensure_async(
            self.contents_manager.save({"type": "notebook", "format": "json", "content": nb}, path)
        )

    async def create_if_missing(self, path: str, kernel_name: str | None = None) -> bool:
        """Create an empty notebook at ``path`` unless one exists; return True if created.

        Parent directories must exist (the contents manager refuses otherwise → 404).
        """
        if await self.exists(path):
            return False
        parent = posixpath.dirname(path)
        if parent and not await ensure_async(self.contents_manager.dir_exists(parent)):
            raise NotFound(f"directory {parent!r} does not exist")
        await self.write(path, new_notebook(kernel_name))
        return True
