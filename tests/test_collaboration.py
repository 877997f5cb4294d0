"""notebook_dag.collab against a real jupyter-collaboration: a real jupyter_server with
jupyter-collaboration's server extension (``jupyter_server_ydoc``) and jupyter_server_fileid,
and a real collaborative client (a pycrdt ``Provider`` speaking the Y protocol over the
room's websocket, as JupyterLab's does) that opens a notebook, edits it without saving,
and receives the adapter's edits live.

Runs only where jupyter-collaboration is installed (``scripts/run-tests.sh`` runs it in a
venv of its own: ``.cache/venv-collab-*``); skipped elsewhere."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Callable

import nbformat
import pytest
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

pytest.importorskip("jupyter_server_ydoc", reason="jupyter-collaboration is not installed (pip install jupyter-collaboration)")
pycrdt = pytest.importorskip("pycrdt")
jupyter_ydoc = pytest.importorskip("jupyter_ydoc")

from conftest import write_notebook  # noqa: E402
from notebook_dag.collab import CollaborationDocuments, collaboration_documents  # noqa: E402
from notebook_dag.errors import Conflict, NotFound  # noqa: E402

pytestmark = pytest.mark.collaboration

LOG = logging.getLogger("test_collaboration")


@pytest.fixture
def rtc_enabled() -> bool:
    """Whether the server loads jupyter-collaboration's server extension (parametrize to change)."""
    return True


@pytest.fixture
def jp_server_config(jp_root_dir, tmp_path, rtc_enabled):
    """A server with jupyter-collaboration (and its file ids) and token authentication;
    without notebook_dag's extension: the adapter is tested on its own. The room never
    saves (``document_save_delay`` None), so the file on disk shows what was NOT edited."""
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_server_ydoc": rtc_enabled, "jupyter_server_fileid": rtc_enabled},
            "allow_unauthenticated_access": False,
        },
        "SQLiteYStore": {"db_path": str(tmp_path / "ystore.db")},
        "BaseFileIdManager": {
            "root_dir": str(jp_root_dir),
            "db_path": str(tmp_path / "file_id.db"),
            "db_journal_mode": "OFF",
        },
        "YDocExtension": {"document_save_delay": None, "document_cleanup_delay": 60},
    }


class TornadoChannel:
    """A pycrdt ``Channel`` over a tornado websocket client connection (binary Y messages)."""

    def __init__(self, ws: Any, path: str) -> None:
        self.ws = ws
        self._path = path

    @property
    def path(self) -> str:
        return self._path

    def __aiter__(self) -> "TornadoChannel":
        return self

    async def __anext__(self) -> bytes:
        while True:
            message = await self.ws.read_message()
            if message is None:
                raise StopAsyncIteration
            if isinstance(message, bytes):
                return message

    async def recv(self) -> bytes:
        return await self.__anext__()

    async def send(self, message: bytes) -> None:
        await self.ws.write_message(bytes(message), binary=True)


async def eventually(check: Callable[[], Any], what: str, timeout: float = 20) -> Any:
    """Poll ``check`` (sync or async) until it returns a truthy value; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        await asyncio.sleep(0.05)


@pytest.fixture
def open_room(jp_fetch, jp_http_port, jp_base_url, jp_auth_header):
    """``await open_room(path)`` opens ``path`` as JupyterLab does: a collaboration session
    (which gives the file its id), then the websocket of its room, authenticated by the
    server's token. Returns (websocket, room id). (Not ``jp_ws_fetch``: it would escape
    the room id's colons, and the room handler takes its path as is.)"""

    async def open_(path: str) -> tuple[Any, str]:
        resp = await jp_fetch("api", "collaboration", "session", path, method="PUT",
                              body=json.dumps({"format": "json", "type": "notebook"}))
        session = json.loads(resp.body)
        room = f"{session['format']}:{session['type']}:{session['fileId']}"
        url = f"ws://127.0.0.1:{jp_http_port}{jp_base_url}api/collaboration/room/{room}?sessionId={session['sessionId']}"
        ws = await websocket_connect(HTTPRequest(url, headers=dict(jp_auth_header)))
        return ws, room

    return open_


def client_cells(nb: Any) -> list[tuple[str, str, str]]:
    """(id, cell_type, source) of each cell of the client's Y notebook."""
    return [(c["id"], c["cell_type"], str(c["source"])) for c in nb.ycells]


def sources(node: nbformat.NotebookNode) -> list[tuple[str, str, str]]:
    return [(c.id, c.cell_type, c.source) for c in node.cells]


async def test_adapter_reads_and_edits_the_shared_document(jp_serverapp, jp_root_dir, open_room):
    write_notebook(jp_root_dir, "sub/nb.ipynb", ["x = 1", ("markdown", "# Title"), "y = x + 1"])
    write_notebook(jp_root_dir, "closed.ipynb", ["z = 0"])
    on_disk = (jp_root_dir / "sub/nb.ipynb").read_text()

    adapter = collaboration_documents(jp_serverapp, LOG)
    assert isinstance(adapter, CollaborationDocuments) and adapter.available

    # No room yet (the notebook has not even a file id): the caller uses the file.
    assert await adapter.get("sub/nb.ipynb") is None
    assert await adapter.set_source("sub/nb.ipynb", "c0", "x = 5") is False

    ws, room = await open_room("sub/nb.ipynb")
    client = jupyter_ydoc.YNotebook()
    try:
        async with pycrdt.Provider(client.ydoc, TornadoChannel(ws, room)):
            await eventually(lambda: len(client.ycells) == 3, "the client has the notebook's 3 cells")
            assert client_cells(client)[0] == ("c0", "code", "x = 1")

            # The client edits a cell; nothing is saved, yet the adapter reads the edit.
            client.set_cell(2, source="y = x * 100")

            async def edited():
                nb = await adapter.get("sub/nb.ipynb")
                return nb if nb is not None and nb.cells[2].source == "y = x * 100" else None

            nb = await eventually(edited, "the adapter reads the client's unsaved edit")
            assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
            assert sources(nb) == [("c0", "code", "x = 1"), ("c1", "markdown", "# Title"), ("c2", "code", "y = x * 100")]
            assert nb.cells[0].outputs == [] and nb.cells[0].execution_count is None
            assert nb.metadata["kernelspec"]["name"] == "python3"
            nbformat.validate(nb)
            assert (jp_root_dir / "sub/nb.ipynb").read_text() == on_disk, "the room saved the file"

            # The adapter's edits reach the client live.
            assert await adapter.set_source("sub/nb.ipynb", "c0", "x = 10") is True
            await eventually(lambda: client_cells(client)[0] == ("c0", "code", "x = 10"), "the client sees set_source")

            assert await adapter.insert_cell("sub/nb.ipynb", 1, {"id": "new", "cell_type": "code", "source": "w = x"}) is True
            await eventually(lambda: [c[0] for c in client_cells(client)] == ["c0", "new", "c1", "c2"],
                             "the client sees insert_cell")
            inserted = client.get_cell(1)
            assert (inserted["source"], inserted["outputs"], inserted["execution_count"]) == ("w = x", [], None)
            # an index past the end appends
            assert await adapter.insert_cell("sub/nb.ipynb", 99, {"id": "end", "cell_type": "raw", "source": "r",
                                                                   "metadata": {"tags": ["t"]}}) is True
            await eventually(lambda: client_cells(client)[-1] == ("end", "raw", "r"), "the client sees the appended cell")
            assert client.get_cell(4)["metadata"] == {"tags": ["t"]}

            assert await adapter.delete_cell("sub/nb.ipynb", "c1") is True
            await eventually(lambda: [c[0] for c in client_cells(client)] == ["c0", "new", "c2", "end"],
                             "the client sees delete_cell")

            nb = await adapter.get("sub/nb.ipynb")
            assert sources(nb) == [("c0", "code", "x = 10"), ("new", "code", "w = x"),
                                   ("c2", "code", "y = x * 100"), ("end", "raw", "r")]

            # Errors: unknown cells, a duplicate id, a malformed cell; the document is unchanged.
            with pytest.raises(NotFound):
                await adapter.set_source("sub/nb.ipynb", "nope", "")
            with pytest.raises(NotFound):
                await adapter.delete_cell("sub/nb.ipynb", "nope")
            with pytest.raises(Conflict):
                await adapter.insert_cell("sub/nb.ipynb", 0, {"id": "c0", "cell_type": "code", "source": ""})
            with pytest.raises(ValueError):
                await adapter.insert_cell("sub/nb.ipynb", 0, {"id": "x", "cell_type": "heading", "source": ""})
            assert sources(await adapter.get("sub/nb.ipynb")) == sources(nb)

            # Another notebook, never opened: no shared document, the file stays the truth.
            assert await adapter.get("closed.ipynb") is None
            assert await adapter.set_source("closed.ipynb", "c0", "z = 1") is False
            assert await adapter.insert_cell("closed.ipynb", 0, {"id": "n", "cell_type": "code", "source": ""}) is False
            assert await adapter.delete_cell("closed.ipynb", "c0") is False
            assert await adapter.get("missing.ipynb") is None
            assert nbformat.read(jp_root_dir / "closed.ipynb", as_version=4).cells[0].source == "z = 0"
    finally:
        ws.close()
    assert (jp_root_dir / "sub/nb.ipynb").read_text() == on_disk, "the adapter wrote the file"


@pytest.mark.parametrize("rtc_enabled", [False])
async def test_without_the_collaboration_extension(jp_serverapp, jp_root_dir, rtc_enabled):
    """jupyter-collaboration installed but its server extension not enabled: no adapter
    from the factory, and an adapter made anyway answers "no shared document"."""
    write_notebook(jp_root_dir, "nb.ipynb", ["x = 1"])
    assert "jupyter_server_ydoc" not in jp_serverapp.web_app.settings
    assert collaboration_documents(jp_serverapp, LOG) is None
    adapter = CollaborationDocuments(jp_serverapp, LOG)
    assert adapter.available is False
    assert await adapter.get("nb.ipynb") is None
    assert await adapter.set_source("nb.ipynb", "c0", "x = 2") is False
    assert await adapter.insert_cell("nb.ipynb", 0, {"id": "n", "cell_type": "code", "source": ""}) is False
    assert await adapter.delete_cell("nb.ipynb", "c0") is False
