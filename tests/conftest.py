"""Fixtures: a real jupyter_server (pytest-jupyter) with notebook_dag enabled, a real
database, real kernels, and authentication required everywhere.

The database is a fresh SQLite file in a temp dir, or with ``--db=postgresql`` (or
``NOTEBOOK_DAG_TEST_DB=postgresql``) a fresh PostgreSQL database per test on the server
named by ``NOTEBOOK_DAG_TEST_PG_URL`` (see :mod:`pg`). Use the ``db_url`` fixture for
the database of a test; ``db_path`` is the SQLite file that ``db_url`` names in the
SQLite pass (a path in the temp dir, unused, on PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

import pg

pytest_plugins = ["pytest_jupyter.jupyter_server"]

TERMINAL = {"succeeded", "failed", "cancelled"}


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--db", choices=pg.BACKENDS, default=os.environ.get(pg.ENV_BACKEND) or "sqlite",
        help=f"database of the server tests (default: ${pg.ENV_BACKEND} or sqlite); postgresql "
        f"needs ${pg.ENV_PG_URL}",
    )


def pytest_configure(config) -> None:
    backend = config.getoption("--db")
    if backend not in pg.BACKENDS:
        raise pytest.UsageError(f"{pg.ENV_BACKEND}={backend!r}: use one of {', '.join(pg.BACKENDS)}")
    if backend == "postgresql" and not pg.server_url():
        raise pytest.UsageError(f"--db=postgresql needs {pg.ENV_PG_URL} (scripts/pg-test-cluster.sh start DIR prints one)")


def pytest_collection_modifyitems(config, items) -> None:
    """With ``--db=postgresql`` only the tests that use the database run (those that
    depend on ``db_url``, as every server test does); the others ran in the SQLite pass
    and would only repeat it."""
    if config.getoption("--db") != "postgresql":
        return
    keep = [item for item in items if "db_url" in getattr(item, "fixturenames", ())]
    dropped = [item for item in items if "db_url" not in getattr(item, "fixturenames", ())]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_report_header(config) -> str:
    backend = config.getoption("--db")
    return f"notebook_dag database: {backend}" + (f" ({pg.server_url()})" if backend == "postgresql" else "")


@pytest.fixture(scope="session")
def db_backend(pytestconfig) -> str:
    """``sqlite`` or ``postgresql``: the database every server test runs on."""
    return pytestconfig.getoption("--db")


@pytest.fixture
def db_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("db") / "notebook_dag.db"


@pytest.fixture
def db_url(db_backend, db_path):
    """The SQLAlchemy URL of this test's own, empty database."""
    if db_backend == "sqlite":
        yield f"sqlite:///{db_path}"
        return
    url = pg.create_database()
    try:
        yield url
    finally:
        pg.drop_database(url)


@pytest.fixture
def jp_server_config(db_url):
    return {
        "ServerApp": {
            "jpserver_extensions": {"notebook_dag": True},
            "allow_unauthenticated_access": False,
        },
        "NotebookDagApp": {"db_url": db_url},
    }


def write_notebook(root: Path, name: str, sources: list[str | tuple[str, str]], with_ids: bool = True) -> Path:
    """Write a notebook of code cells (or ``("markdown", text)`` pairs) under ``root``."""
    nb = nbformat.v4.new_notebook()
    for i, src in enumerate(sources):
        kind, text = src if isinstance(src, tuple) else ("code", src)
        cell = nbformat.v4.new_markdown_cell(text) if kind == "markdown" else nbformat.v4.new_code_cell(text)
        cell["id"] = f"c{i}"
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if not with_ids:
        nb.nbformat_minor = 4
        for c in nb.cells:
            del c["id"]
        path.write_text(json.dumps(nb, indent=1))
    else:
        nbformat.write(nb, path)
    return path


class Api:
    """Small JSON client over ``jp_fetch`` that never raises on HTTP errors."""

    def __init__(self, fetch):
        self.fetch = fetch

    async def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None, **params) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"method": method, "raise_error": False}
        if body is not None or raw is not None:
            kwargs["body"] = raw if raw is not None else json.dumps(body)
        elif method in ("POST", "PATCH", "PUT"):
            kwargs["body"] = b""
        if params:
            kwargs["params"] = {k: v for k, v in params.items() if v is not None}
        resp = await self.fetch("notebook-dag", "api", *path.strip("/").split("/"), **kwargs)
        text = resp.body.decode() if resp.body else ""
        return resp.code, (json.loads(text) if text else None)

    async def ok(self, method: str, path: str, body: Any = None, expect: int = 200, **params) -> Any:
        code, data = await self.call(method, path, body, **params)
        assert code == expect, f"{method} {path} -> {code}: {data}"
        return data

    async def project(self, notebook_path: str, name: str = "p", **extra) -> dict:
        return await self.ok("POST", "projects", {"name": name, "notebook_path": notebook_path, **extra}, expect=201)

    async def run(self, project_id: str, timeout: float = 120, **body) -> dict:
        """Start a run and wait until it ends; returns the finished run."""
        started = await self.ok("POST", f"projects/{project_id}/runs", body or {"mode": "all"}, expect=202)
        return await self.wait(started["id"], timeout)

    async def wait(self, run_id: str, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            run = await self.ok("GET", f"runs/{run_id}")
            if run["status"] in TERMINAL:
                return run
            assert time.monotonic() < deadline, f"run {run_id} still {run['status']} after {timeout}s"
            await asyncio.sleep(0.1)


@pytest.fixture
def api(jp_fetch) -> Api:
    return Api(jp_fetch)


def stdout_of(block: dict) -> str:
    return "".join(o.get("text", "") for o in block["outputs"] if o["output_type"] == "stream" and o["name"] == "stdout")


def blocks_by_id(run: dict) -> dict[str, dict]:
    return {b["block_id"]: b for b in run["blocks"]}


# ---- named users (tests whose server uses identity.named_users_config) ----------------


@pytest.fixture
def alice(jp_fetch):
    """Requests as the user "alice" (see :class:`identity.As`)."""
    from identity import As

    return As(jp_fetch, "alice")


@pytest.fixture
def bob(jp_fetch):
    """Requests as the user "bob"."""
    from identity import As

    return As(jp_fetch, "bob")
