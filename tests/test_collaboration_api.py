"""notebook_dag's REST API on a shared document of jupyter-collaboration (issue #12): with
a notebook open in a collaboration room, the DAG, block edits and runs use the Y document
(unsaved edits included) and block edits reach every connected client live; the file is
never written behind the room. A real jupyter_server with jupyter_server_ydoc,
jupyter_server_fileid and notebook_dag, a real Y client, a real kernel.

Runs only where jupyter-collaboration is installed (``scripts/run-tests.sh`` runs it in
its own venv); skipped elsewhere."""

from __future__ import annotations

import pytest

pytest.importorskip("jupyter_server_ydoc", reason="jupyter-collaboration is not installed (pip install jupyter-collaboration)")
pycrdt = pytest.importorskip("pycrdt")
jupyter_ydoc = pytest.importorskip("jupyter_ydoc")

from conftest import blocks_by_id, stdout_of, write_notebook  # noqa: E402
from test_collaboration import TornadoChannel, client_cells, eventually, open_room  # noqa: E402,F401

pytestmark = pytest.mark.collaboration


@pytest.fixture
def jp_server_config(db_url, jp_root_dir, tmp_path):
    return {
        "ServerApp": {
            "jpserver_extensions": {"notebook_dag": True, "jupyter_server_ydoc": True, "jupyter_server_fileid": True},
            "allow_unauthenticated_access": False,
        },
        "NotebookDagApp": {"db_url": db_url},
        "SQLiteYStore": {"db_path": str(tmp_path / "ystore.db")},
        "BaseFileIdManager": {
            "root_dir": str(jp_root_dir),
            "db_path": str(tmp_path / "file_id.db"),
            "db_journal_mode": "OFF",
        },
        # the room never saves: the file on disk shows what was NOT written behind it
        "YDocExtension": {"document_save_delay": None, "document_cleanup_delay": 60},
    }


async def test_dag_edits_and_runs_use_the_shared_document(api, jp_root_dir, open_room):
    write_notebook(jp_root_dir, "shared.ipynb", ["x = 1", "y = x + 1\nprint(y)"])
    on_disk = (jp_root_dir / "shared.ipynb").read_bytes()
    p = await api.project("shared.ipynb")
    dag = await api.ok("GET", f"projects/{p['id']}/dag")
    assert dag["document"] == "file"

    ws, room = await open_room("shared.ipynb")
    client = jupyter_ydoc.YNotebook()
    async with pycrdt.Provider(client.ydoc, TornadoChannel(ws, room)):
        await eventually(lambda: len(client.ycells) == 2, "the client has the notebook")
        # a collaborator types (unsaved): the DAG reads the shared document at once
        client.set_cell(1, source="z = x * 10\nprint(z)")

        async def shared_dag():
            d = await api.ok("GET", f"projects/{p['id']}/dag")
            sources = {n["id"]: n["source"] for n in d["nodes"]}
            return d if d["document"] == "collaboration" and sources.get("c1", "").startswith("z = x * 10") else None

        dag = await eventually(shared_dag, "the DAG shows the collaborator's unsaved edit")
        assert [(e["source"], e["target"]) for e in dag["edges"]] == [("c0", "c1")]

        # an edit by REST (another user's DAG view) goes into the room: every client sees it
        await api.ok("PATCH", f"projects/{p['id']}/blocks/c0", {"source": "x = 4"})
        await eventually(lambda: client_cells(client)[0] == ("c0", "code", "x = 4"), "the client sees the REST edit")
        new = await api.ok("POST", f"projects/{p['id']}/blocks", {"source": "print('end', z)", "after": "c1"}, expect=201)
        await eventually(lambda: [c[0] for c in client_cells(client)] == ["c0", "c1", new["id"]], "the client sees the insert")

        # a run executes what the room holds, not the file
        run = await api.run(p["id"])
        assert run["status"] == "succeeded", run
        by = blocks_by_id(run)
        assert stdout_of(by["c1"]) == "40\n" and stdout_of(by[new["id"]]) == "end 40\n"

        await api.ok("DELETE", f"projects/{p['id']}/blocks/{new['id']}", expect=204)
        await eventually(lambda: len(client.ycells) == 2, "the client sees the delete")

        # the editor-document route answers that the room is the document
        put = await api.ok("PUT", f"projects/{p['id']}/document",
                           {"cells": [{"id": "c0", "cell_type": "code", "source": "ignored"}]})
        assert put == {"live": "collaboration"}
        assert client_cells(client)[0] == ("c0", "code", "x = 4")
    assert (jp_root_dir / "shared.ipynb").read_bytes() == on_disk, "nothing was written behind the room"
