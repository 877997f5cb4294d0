"""What a warm run no longer pays for (issue #14, item 9: a warm chain within 1.2x of
nbclient), each with the contract it must keep: the extension's own SQLite database
beside the notebooks is no run's artifact (it was hashed and stored as one on every
run), and jupyter_events' envelope of every event is still validated, by compiled code.
Real server, real kernel, real SQLite."""

from __future__ import annotations

import asyncio
import time

import jsonschema
import jupyter_events.logger as events_logger
import pytest
from conftest import write_notebook
from identity import As, named_users_config

from notebook_dag.artifacts.service import ArtifactService, sqlite_files
from notebook_dag.events import CompiledValidator, compile_core_validator


@pytest.fixture
def jp_server_config(db_backend, db_url, jp_root_dir):
    # SQLite: the database file lives in the server's root, beside the notebooks
    return named_users_config(f"sqlite:///{jp_root_dir}/nd.db" if db_backend == "sqlite" else db_url)


@pytest.fixture
def alice(jp_fetch):
    return As(jp_fetch, "alice")


async def run(user: As, pid: str, **body) -> dict:
    started = await user.ok("POST", f"projects/{pid}/runs", body or {"mode": "all"}, expect=202)
    deadline = time.monotonic() + 120
    while True:
        r = await user.ok("GET", f"runs/{started['id']}")
        if r["status"] not in ("queued", "running"):
            return r
        assert time.monotonic() < deadline, r
        await asyncio.sleep(0.1)


async def test_the_sqlite_database_beside_the_notebook_is_no_artifact(alice, db_backend, jp_root_dir):
    if db_backend != "sqlite":
        pytest.skip("an SQLite database file only")
    write_notebook(jp_root_dir, "nb.ipynb", ["open('out.txt', 'w').write('hi')", "x = 1"])
    p = await alice.ok("POST", "projects", {"name": "a", "notebook_path": "nb.ipynb"}, expect=201)
    for body in ({"mode": "all"}, {"mode": "all", "force": True}):
        r = await run(alice, p["id"], **body)
        assert r["status"] == "succeeded", r["reason"]
        assert (jp_root_dir / "nd.db").exists()  # the run did write the database beside the notebook
        arts = (await alice.ok("GET", f"runs/{r['id']}/artifacts"))["artifacts"]
        assert [(a["path"], a["block_id"]) for a in arts] == [("out.txt", "c0")]


def test_sqlite_files_are_the_database_and_its_journals(tmp_path):
    db = tmp_path / "x.db"
    assert sqlite_files(f"sqlite:///{db}") == [str(db), f"{db}-wal", f"{db}-shm", f"{db}-journal"]
    assert sqlite_files("sqlite+aiosqlite:///:memory:") == []
    assert sqlite_files("postgresql://u@h/db") == []


def test_drifting_tells_whether_settle_could_change_the_versions():
    from notebook_dag.staleness import versions

    plain = versions(["a"], {"a": "x = 1"}, {"a": {}}, {"<file:f.csv>": "sha256:1"}, {})
    assert not ArtifactService.drifting(plain)
    drift = versions(["a"], {"a": "x = 1"}, {"a": {}}, {"<drift:f.csv>": "sha256:2"}, {})
    assert ArtifactService.drifting(drift)


def test_the_event_envelope_is_still_validated_by_compiled_code():
    compile_core_validator()
    compile_core_validator()  # idempotent
    core = events_logger.JUPYTER_EVENTS_CORE_VALIDATOR
    assert isinstance(core, CompiledValidator)
    good = {"__timestamp__": "2026-01-01T00:00:00+00:00Z", "__schema__": "https://x/y", "__schema_version__": "1",
            "__metadata_version__": 1}
    core.validate(good)
    for bad in ({**good, "__schema__": 5}, {k: v for k, v in good.items() if k != "__timestamp__"}):
        with pytest.raises(jsonschema.ValidationError):
            core.validate(bad)


def counting_contents(root):
    """A real FileContentsManager of ``root`` that counts the notebooks it reads (``.reads``)."""
    from jupyter_server.services.contents.filemanager import FileContentsManager

    class Counting(FileContentsManager):
        reads = 0

        def get(self, path, content=True, type=None, format=None, **kw):  # noqa: A002 - its signature
            if content:
                self.reads += 1
            return super().get(path, content=content, type=type, format=format, **kw)

    return Counting(root_dir=str(root))


async def test_a_notebook_file_unchanged_since_it_was_read_is_not_read_again(tmp_path):
    import os

    from notebook_dag.notebooks import NotebookStore

    path = write_notebook(tmp_path, "nb.ipynb", ["x = 1", "y = x"])
    old = time.time() - 10
    os.utime(path, (old, old))  # written well before it is read: its stamp is not racy
    cm = counting_contents(tmp_path)
    store = NotebookStore(cm)
    first = await store.read_file("nb.ipynb")
    first.cells[0]["source"] = "changed by a caller"  # callers get copies: the kept one is untouched
    second = await store.read_file("nb.ipynb")
    assert cm.reads == 1
    assert [c["source"] for c in second.cells] == ["x = 1", "y = x"] and [c["id"] for c in second.cells] == ["c0", "c1"]

    # any write is seen at once: another size, or another modification time with the same size
    write_notebook(tmp_path, "nb.ipynb", ["x = 2", "y = x"])
    assert [c["source"] for c in (await store.read_file("nb.ipynb")).cells] == ["x = 2", "y = x"]
    assert cm.reads == 2
    write_notebook(tmp_path, "nb.ipynb", ["x = 3", "y = x"])
    assert [c["source"] for c in (await store.read_file("nb.ipynb")).cells] == ["x = 3", "y = x"]
    # just written (racy stamp): read every time until it is older than racy_ns
    await store.read_file("nb.ipynb")
    assert cm.reads == 4
    os.utime(path, (old, old))
    await store.read_file("nb.ipynb")
    await store.read_file("nb.ipynb")
    assert cm.reads == 5

    os.remove(path)
    from notebook_dag.errors import NotFound

    with pytest.raises(NotFound):
        await store.read_file("nb.ipynb")
