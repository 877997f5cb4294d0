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


def test_migrations_create_the_schema_and_mark_interrupted_runs(db_url):
    url = db_url

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
            # a run another server on the same database is executing right now
            other = Run(project_id=p.id, mode="all", status="running", server="hub:bob/")
            s.add(other)
            await s.flush()
            s.add(RunBlock(run_id=other.id, block_id="c0", seq=0, status="running"))

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
            others = (await s.execute(select(Run).where(Run.server == "hub:bob/"))).scalars().all()
            assert [r.status for r in others] == ["running"], "another server's run is left alone"
            assert (await s.execute(select(RunBlock.status).where(RunBlock.run_id == others[0].id))).scalars().all() == ["running"]
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


def test_cli_runs_independent_blocks_on_worker_kernels(tmp_path):
    path = write_notebook(tmp_path, "wide.ipynb", [
        "import time\nbase = 2",
        "time.sleep(1)\nleft = base * 10",
        "time.sleep(1)\nright = base * 100",
        "print('total', left + right)",
    ])
    out = tmp_path / "out.ipynb"
    proc = subprocess.run(
        [sys.executable, "-m", "notebook_dag.cli", "run", str(path), "--max-parallel", "2", "--output", str(out)],
        capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    finished = {ln.split()[1]: ln for ln in proc.stdout.splitlines() if " ok (" in ln}
    assert {finished["c1"].rsplit(" on ", 1)[1], finished["c2"].rsplit(" on ", 1)[1]} == {"project", "worker-1"}, proc.stdout
    assert nbformat.read(out, as_version=4).cells[3].outputs[0]["text"] == "total 220\n"


def test_migrations_downgrade_to_base_and_upgrade_again(db_url):
    """Every migration runs both ways on this pass's database (batch mode on SQLite,
    plain ALTERs on PostgreSQL), and the heads come back with the full schema."""
    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from notebook_dag.storage.database import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))

    def step(conn, up: bool, target: str) -> set[str]:
        cfg.attributes["connection"] = conn
        (command.upgrade if up else command.downgrade)(cfg, target)
        return set(inspect(conn).get_table_names())

    async def go() -> tuple[set[str], set[str], set[str]]:
        db = Database(db_url)
        await db.migrate()
        async with db.engine.begin() as conn:
            down = await conn.run_sync(step, False, "base")
        async with db.engine.begin() as conn:
            up = await conn.run_sync(step, True, "heads")
        async with db.engine.connect() as conn:
            heads = set((await conn.exec_driver_sql("SELECT version_num FROM alembic_version")).scalars())
        await db.dispose()
        return down, up, heads

    down, up, heads = asyncio.run(go())
    assert down <= {"alembic_version"}
    assert {"projects", "runs", "run_blocks", "project_members", "activity", "favorites", "datasets"} <= up
    assert heads == set(ScriptDirectory.from_config(cfg).get_heads())
