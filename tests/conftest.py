"""Fixtures: a real jupyter_server (pytest-jupyter) with notebook_dag enabled, a real
SQLite database in a temp dir, real kernels, and authentication required everywhere."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest

pytest_plugins = ["pytest_jupyter.jupyter_server"]

TERMINAL = {"succeeded", "failed", "cancelled"}


@pytest.fixture
def db_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("db") / "notebook_dag.db"


@pytest.fixture
def jp_server_config(db_path):
    return {
        "ServerApp": {
            "jpserver_extensions": {"notebook_dag": True},
            "allow_unauthenticated_access": False,
        },
        "NotebookDagApp": {"db_url": f"sqlite:///{db_path}"},
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
