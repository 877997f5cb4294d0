"""Access to project notebooks through Jupyter's contents manager.

Paths are API paths: ``/``-separated and relative to the server root, exactly as the
contents manager and JupyterLab's file browser use them. Notebooks are never written
by reading them or by runs; only block edits (insert, edit, delete) save them. Cell ids
missing from an older notebook are assigned in memory, the same ones on every read of
the same file (:func:`ensure_cell_ids`); they become permanent with the next save.

While the notebook is open in JupyterLab, :class:`NotebookStore` reads the live
document instead of the file (:class:`notebook_dag.documents.LiveDocuments`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import posixpath
import re
import time
import unicodedata
from collections import OrderedDict
from typing import Any

import nbformat
from jupyter_core.utils import ensure_async
from tornado.web import HTTPError

from .errors import BadRequest, Forbidden, NotebookDagError, NotFound, Unprocessable


def normalize_path(path: str) -> str:
    """Return the canonical API path of ``path``.

    Raises :class:`BadRequest` for an empty path, an absolute path, a NUL byte or other
    control character, a path that leaves the server root (``../x``), one that does not
    end in ``.ipynb``, or one with a name too long for a file system.
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
    check_path_length(norm, "notebook_path")
    return norm


#: longest file or directory name (bytes of UTF-8) and API path that file systems take
NAME_MAX_BYTES = 255
PATH_MAX_BYTES = 4000


def check_path_length(path: str, what: str = "path") -> None:
    """Raise :class:`BadRequest` when a name in ``path`` (an API path) is over
    :data:`NAME_MAX_BYTES` or the path over :data:`PATH_MAX_BYTES`: the operating system
    would refuse it with an error that names the server's own directories."""
    if len(path.encode("utf-8", "surrogatepass")) > PATH_MAX_BYTES:
        raise BadRequest(f"{what} is too long (at most {PATH_MAX_BYTES} bytes)")
    for part in path.split("/"):
        if len(part.encode("utf-8", "surrogatepass")) > NAME_MAX_BYTES:
            raise BadRequest(f"{what} has a file or directory name that is too long (at most "
                             f"{NAME_MAX_BYTES} bytes): {part[:40]}...")


#: what nbformat 4.5 allows as a cell id
CELL_ID_PATTERN = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")


def ensure_cell_ids(nb: nbformat.NotebookNode, path: str = "") -> bool:
    """Give every cell a unique nbformat cell id (nbformat 4.5), in memory; return True
    if ``nb`` changed.

    A missing, invalid or repeated id becomes ``<8 hex digits of SHA-256 of path>-<cell
    index>`` (``-2``, ``-3``... appended should that be taken): the same file read twice
    gets the same ids, so blocks keep their ids (and positions, titles, run results)
    until the notebook is saved with them. ``nbformat_minor`` is raised to 5."""
    changed = False
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5):
        nb["nbformat"], nb["nbformat_minor"] = 4, 5
        changed = True
    taken = {c.get("id") for c in nb.cells if isinstance(c.get("id"), str)}
    prefix = hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        cid = cell.get("id")
        if not isinstance(cid, str) or not CELL_ID_PATTERN.match(cid) or cid in seen:
            cid, n = f"{prefix}-{index}", 1
            while cid in taken or cid in seen:
                n += 1
                cid = f"{prefix}-{index}-{n}"
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
    """Reads and writes notebooks through ``contents_manager`` (sync or async).

    ``live`` (a :class:`notebook_dag.documents.LiveDocuments`, optional): the notebooks
    open in JupyterLab; :meth:`read` returns such a live document instead of the file."""

    #: notebook files at most this large are kept parsed (bytes), at most this many
    cache_bytes = 8 << 20
    cache_files = 32
    #: a file modified less than this long (ns) before it was read is not kept: a later
    #: write within the file system's timestamp granularity could leave its stamp as it was
    racy_ns = 2_000_000_000

    def __init__(self, contents_manager: Any, live: Any = None) -> None:
        self.contents_manager = contents_manager
        self.live = live
        #: OS path -> ((mtime_ns, size, inode), notebook content as the contents manager
        #: read and validated it); never handed out, only copies of it
        self._parsed: OrderedDict[str, tuple[tuple[int, int, int], Any]] = OrderedDict()

    def _local_stat(self, path: str) -> tuple[str | None, tuple[int, int, int] | None]:
        """``(OS path, (mtime_ns, size, inode))`` of the notebook file at ``path`` on a
        local disk; ``(None, None)`` off a local disk or when it cannot be stat'ed."""
        get_os_path = getattr(self.contents_manager, "_get_os_path", None)
        if get_os_path is None:
            return None, None
        try:
            os_path = get_os_path(path)
            st = os.stat(os_path)
        except Exception:  # noqa: BLE001 - outside the root, missing...: the contents manager says what
            return None, None
        return os_path, (st.st_mtime_ns, st.st_size, st.st_ino)

    def _redact(self, message: str | None) -> str:
        """``message`` of the contents manager without the server's root directory (its
        messages name absolute paths; the client knows only API paths)."""
        text = str(message or "")
        root = getattr(self.contents_manager, "root_dir", None)
        if isinstance(root, str) and root:
            for prefix in {os.path.realpath(root), os.path.abspath(root)}:
                text = text.replace(prefix.rstrip(os.sep) + os.sep, "").replace(prefix, "")
        return text

    async def exists(self, path: str) -> bool:
        return bool(await ensure_async(self.contents_manager.file_exists(path)))

    async def read(self, path: str) -> nbformat.NotebookNode:
        """The notebook at ``path`` as it is now, with every cell id present: the live
        document of a JupyterLab editor or shared (collaboration) document when there
        is one, else the file (:meth:`read_file`). Never writes anything.
        Raises :class:`NotFound` when no notebook is there."""
        return (await self.read_document(path))[0]

    async def read_document(self, path: str) -> tuple[nbformat.NotebookNode, str]:
        """``(notebook, where from)`` as :meth:`read`: ``"collaboration"`` (the shared
        document of jupyter-collaboration), ``"editor"`` (what a JupyterLab editor sent
        with ``PUT /projects/{id}/document``; code cells without outputs; the file's
        notebook metadata when the editor sent none) or ``"file"``."""
        live = await self.live.read(path) if self.live is not None else None
        if live is None:
            return await self.read_file(path), "file"
        nb, source = live
        if source == "editor" and not nb.metadata:
            try:
                nb.metadata.update((await self.read_file(path)).metadata)
            except NotebookDagError:
                pass  # no such file (yet): the editor's cells alone
        ensure_cell_ids(nb, path)
        return nb, source

    async def read_file(self, path: str) -> nbformat.NotebookNode:
        """The notebook file at ``path`` with every cell id present: ids missing from
        an older notebook are assigned in memory (:func:`ensure_cell_ids`, the same on
        every read of the same file) and saved only by a later write. Never writes.
        Raises :class:`NotFound` when no notebook is there, :class:`Unprocessable` when
        the file is no readable notebook."""
        os_path, stamp = self._local_stat(path)
        kept = self._parsed.get(os_path) if os_path is not None else None
        if kept is not None and kept[0] == stamp:
            self._parsed.move_to_end(os_path)
            content = kept[1]
        else:
            try:
                model = await ensure_async(self.contents_manager.get(path, content=True, type="notebook"))
            except HTTPError as e:
                if e.status_code == 404:
                    raise NotFound(f"notebook {path!r} does not exist") from None
                if e.status_code == 400:
                    raise Unprocessable(f"{path!r} is not a readable notebook: {self._redact(e.log_message)}") from None
                raise
            content = model["content"]
            self._keep(os_path, stamp, content)
        nb = nbformat.from_dict(content)  # a copy: callers may change it
        ensure_cell_ids(nb, path)
        return nb

    def _keep(self, os_path: str | None, stamp: tuple[int, int, int] | None, content: Any) -> None:
        """Keep a file's parsed ``content`` for the next read of the same file: a warm
        run then reads its notebook with one ``stat`` instead of reading, parsing,
        validating and checking the signature of the whole file. Kept only when its
        stamp (taken before the read) still holds and is not racy (modified within
        :attr:`racy_ns` of now)."""
        if os_path is None or stamp is None:
            return
        self._parsed.pop(os_path, None)
        if stamp[1] > self.cache_bytes or time.time_ns() - stamp[0] < self.racy_ns:
            return
        if self._local_stat_os(os_path) != stamp:
            return  # written while it was read: the content may be of either version
        self._parsed[os_path] = (stamp, content)
        while len(self._parsed) > self.cache_files:
            self._parsed.popitem(last=False)

    @staticmethod
    def _local_stat_os(os_path: str) -> tuple[int, int, int] | None:
        try:
            st = os.stat(os_path)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    async def stamp(self, path: str) -> tuple[Any, Any]:
        """A pair that any save of the notebook at ``path`` changes, got without reading
        it: ``(mtime_ns, size)`` from one ``stat`` on a local disk (a contents manager
        with ``_get_os_path``, as ``FileContentsManager`` has; ``(None, None)`` for a
        missing file there), else ``(last_modified ISO time, size or None)`` from the
        contents manager, which raises :class:`NotFound` when no notebook is there."""
        get_os_path = getattr(self.contents_manager, "_get_os_path", None)
        try:
            os_path = get_os_path(path) if get_os_path is not None else None
        except Exception:  # noqa: BLE001 - outside the root: the contents manager decides below
            os_path = None
        if os_path is not None:
            try:
                st = os.stat(os_path)
            except OSError:
                return None, None  # reading it says what is wrong
            return st.st_mtime_ns, st.st_size
        try:
            model = await ensure_async(self.contents_manager.get(path, content=False, type="notebook"))
        except HTTPError as e:
            if e.status_code in (400, 404):
                raise NotFound(f"notebook {path!r} does not exist") from None
            raise
        modified = model.get("last_modified")
        return (modified.isoformat() if hasattr(modified, "isoformat") else str(modified)), model.get("size")

    async def write(self, path: str, nb: nbformat.NotebookNode) -> None:
        """Save ``nb`` at ``path`` through the contents manager.

        A path the operating system refuses as too long is a :class:`BadRequest` whose
        message names only ``path`` (the contents manager's own error would give the
        server's absolute path); a 400/403/404 of the contents manager (a hidden
        directory, say) is the same error of ours, with the API path."""
        try:
            await ensure_async(
                self.contents_manager.save({"type": "notebook", "format": "json", "content": nb}, path)
            )
        except HTTPError as e:
            cause = e.__cause__ or e.__context__
            if isinstance(cause, OSError) and cause.errno in (errno.ENAMETOOLONG, errno.EINVAL):
                raise BadRequest(f"{path!r} cannot be saved: the file or path name is too long or invalid") from None
            mapped = {400: BadRequest, 403: Forbidden, 404: NotFound}.get(e.status_code)
            if mapped is not None:
                raise mapped(f"{path!r} cannot be saved here (the server's contents manager refused it)") from None
            raise

    async def create_if_missing(self, path: str, kernel_name: str | None = None,
                                notebook: nbformat.NotebookNode | None = None) -> bool:
        """Create a notebook at ``path`` unless one exists (``notebook``, else an empty
        one); return True if created.

        Parent directories must exist (the contents manager refuses otherwise → 404).
        """
        if await self.exists(path):
            return False
        parent = posixpath.dirname(path)
        if parent and not await ensure_async(self.contents_manager.dir_exists(parent)):
            raise NotFound(f"directory {parent!r} does not exist")
        if notebook is not None and kernel_name:
            notebook.metadata["kernelspec"] = new_notebook(kernel_name).metadata["kernelspec"]
        await self.write(path, notebook if notebook is not None else new_notebook(kernel_name))
        return True
