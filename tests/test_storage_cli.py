"""Storage (migrations, interrupted runs) and the headless ``jupyter notebook-dag run``."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import nbformat
from sqlalchemy import inspect, select

from conftest import write_notebook
from notebook_dag.app import NotebookDagApp
from notebook_dag.storage import Database, Project, Run, RunBlock


def test_migrations_create_the_schema_and_mark_interrupted_runs(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"

    async def seed() -> str:
        db = Database(url)
        await db.migrate()
        await db.migrate()  # idempotent
        async with db.session() as s:
            p = Project(name="p", notebook_path="a.ipynb", owner="me")
            s.add(p)
            await s.flush()
            r = Run(project_id=p.id, mode="all", status="running")
            s.add(r)
            await s.flush()
            s.add(RunBlock(run_id=r.id, block_id="c0", seq=0, status="running"))
            run_id = r.id

        def tables(conn):
            return set(inspect(conn).get_table_names())

        async with db.engine.connect() as conn:
            names = await conn.run_sync(tables)
        assert {"projects", "edges", "block_meta", "runs", "run_blocks", "alembic_version"} <= names
        await db.dispose()
        return run_id

    run_id = asyncio.run(seed())
    # what the extension does at start-up, after a server died mid-run
    assert asyncio.run(NotebookDagApp._prepare_database(url)) == 1

    async def check() -> None:
        db = Database(url)
        async with db.session() as s:
            run = await s.get(Run, run_id)
            assert run.status == "interrupted" and "interrupted" in run.reason and run.finished_at
            blocks = (await s.execute(select(RunBlock).where(RunBlock.run_id == run_id))).scalars().all()
            assert [b.status for b in blocks] == ["cancelled"]
        await db.dispose()

    asyncio.run(check())


def test_cli_runs_a_notebook_and_reports(tmp_path):
    path = write_notebook(tmp_path, "nb.ipynb", [("markdown", "# t"), "x = 21", "print(x * 2)", "1 / 0", "print('after', x)"])
    out = tmp_path / "out.ipynb"
    proc = subprocess.run(
        [sys.executable, "-m", "notebook_dag.cli", "run", str(path), "--output", str(out)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    finished = [ln for ln in lines if not ln.endswith("...")]
    assert finished[1].startswith("[2/4] c2  print(x * 2) ok ("), proc.stdout
    assert finished[2].startswith("[3/4] c3  1 / 0 FAILED") and "ZeroDivisionError" in finished[2], proc.stdout
    assert finished[3].startswith("[4/4] c4  print('after', x) ok ("), "an independent block still runs"
    assert lines[-1].startswith("failed: 1 failed, 3 succeeded")
    executed = nbformat.read(out, as_version=4)
    assert executed.cells[2].outputs[0]["text"] == "42\n"
    assert nbformat.read(path, as_version=4).cells[2].outputs == [], "the input notebook is not changed"

    ok = subprocess.run(
        [sys.executable, "-m", "notebook_dag.cli", "run", str(path), "--mode", "upstream", "--block", "c2"],
        capture_output=True, text=True, timeout=120,
    )
    assert ok.returncode == 0 and ok.stdout.splitlines()[-1].startswith("succeeded: 2 succeeded"), ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "notebook_dag.cli", "run", str(path), "--mode", "block", "--block", "nope"],
        capture_output=True, text=True, timeout=60,
    )
    assert bad.returncode == 2 and "nope" in bad.stderr
