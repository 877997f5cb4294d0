"""Benchmark: a 20-cell chain run through the notebook_dag REST API against nbclient
running the same notebook top to bottom, measured in the same process run.

Starts a real jupyter_server with notebook_dag on a loopback port, creates a project
for a generated 20-cell chain (cell i reads what cell i-1 defined), and times:

- cold: first run through the API (kernel start included) vs ``nbclient`` ``execute()``
  (kernel start included);
- warm: a second "all" run on the already started project kernel vs nbclient executing
  the cells on an already started kernel.

API time is the wall time from ``POST /runs`` until the run's end event arrives on
jupyter_server's event websocket (``/api/events/subscribe``, as the DAG view learns
it), so it includes HTTP, planning, database writes and events. The server runs this
checkout's ``notebook_dag`` (its root is put first on ``PYTHONPATH``). Every run is
``force: true`` (up-to-date blocks would otherwise be skipped, see ``mode: stale``).
Prints the figures and the ratios notebook_dag / nbclient (target: warm ≤ 1.2).

Usage: python benchmarks/bench_run_chain.py [--cells 20] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = str(Path(__file__).resolve().parents[1])


def chain_notebook(n: int) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("x0 = 1"))
    for i in range(1, n):
        nb.cells.append(nbformat.v4.new_code_cell(f"x{i} = x{i-1} + 1\nprint(x{i})"))
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i:03d}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.token = "benchtoken"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", f"--ServerApp.port={self.port}", "--ServerApp.ip=127.0.0.1",
             f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
             "--ServerApp.allow_root=True", f"--NotebookDagApp.db_url=sqlite:///{root}/bench.db",
             "--ServerApp.jpserver_extensions=notebook_dag=True"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            # the checkout's notebook_dag, not whichever copy is installed in site-packages
            env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")]))},
        )
        deadline = time.time() + 60
        while True:
            try:
                self.call("GET", "projects")
                break
            except Exception as e:
                if time.time() > deadline or self.proc.poll() is not None:
                    self.proc.kill()
                    raise RuntimeError(f"jupyter_server did not start: {e}") from None
                time.sleep(0.2)

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/notebook-dag/api/{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read() or b"{}")

    def run(self, project_id: str, body: dict) -> tuple[float, dict]:
        """Start a run with ``body`` and wait for its end event on the event websocket;
        returns (seconds from POST to that event, the finished run)."""
        import websocket  # websocket-client, a jupyter_server dependency

        ws = websocket.create_connection(
            f"ws://127.0.0.1:{self.port}/api/events/subscribe", header=[f"Authorization: token {self.token}"]
        )
        try:
            t0 = time.perf_counter()
            run = self.call("POST", f"projects/{project_id}/runs", body)
            while True:
                event = json.loads(ws.recv())
                if (event.get("run_id") == run["id"] and event.get("kind") == "run"
                        and event.get("status") in ("succeeded", "failed", "cancelled")):
                    break
            took = time.perf_counter() - t0
        finally:
            ws.close()
        state = self.call("GET", f"runs/{run['id']}")
        assert state["status"] == "succeeded", state
        return took, state

    def run_all(self, project_id: str) -> float:
        return self.run(project_id, {"mode": "all", "force": True})[0]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def nbclient_cold(nb: nbformat.NotebookNode, cwd: str) -> float:
    t0 = time.perf_counter()
    NotebookClient(nbformat.from_dict(nb), kernel_name="python3", resources={"metadata": {"path": cwd}}).execute()
    return time.perf_counter() - t0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by process ``pid`` (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def interleaved(server: Server, project_id: str, nb: nbformat.NotebookNode, cwd: str, repeat: int) -> tuple[list[float], list[float], float, float]:
    """Warm runs, alternating one notebook_dag run and one nbclient top-to-bottom
    execution on an already started kernel, so both see the same machine load.

    Also returns the CPU seconds per run of the server process (POST to end event and
    the GET of the finished run) and of this process during nbclient's executions: unlike
    wall times, these hardly depend on what else the machine is doing."""
    client = NotebookClient(nbformat.from_dict(nb), kernel_name="python3", resources={"metadata": {"path": cwd}})
    api, ref, api_cpu, ref_cpu = [], [], 0.0, 0.0
    async with client.async_setup_kernel():
        for _ in range(repeat):
            c0 = cpu_seconds(server.proc.pid)
            api.append(await asyncio.to_thread(server.run_all, project_id))
            api_cpu += cpu_seconds(server.proc.pid) - c0
            c0 = time.process_time()
            t0 = time.perf_counter()
            for i, cell in enumerate(client.nb.cells):
                await client.async_execute_cell(cell, i)
            ref.append(time.perf_counter() - t0)
            ref_cpu += time.process_time() - c0
    return api, ref, api_cpu / repeat, ref_cpu / repeat


async def engine_only(nb: nbformat.NotebookNode, cwd: str, repeat: int) -> tuple[list[float], list[float]]:
    """notebook_dag's :class:`~notebook_dag.engine.Engine` in this process (no server,
    no database, no events) against nbclient, interleaved on two warm kernels: the
    engine's own cost, apart from what running inside jupyter_server adds."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from jupyter_core.utils import ensure_async

    from notebook_dag.dag import build_dag, plan_blocks
    from notebook_dag.engine import Engine, new_client

    class Quiet:
        async def block_started(self, block_id: str) -> None: ...

        async def block_finished(self, block_id: str, result: object) -> None: ...

    dag = build_dag(nb, [])
    plan = plan_blocks(dag, "all")
    client = NotebookClient(nbformat.from_dict(nb), kernel_name="python3", resources={"metadata": {"path": cwd}})
    ours, ref = [], []
    async with client.async_setup_kernel():
        mine = NotebookClient(nbformat.from_dict(nb), kernel_name="python3", resources={"metadata": {"path": cwd}})
        async with mine.async_setup_kernel():
            kc = new_client(mine.km)
            await ensure_async(kc.start_channels())
            await kc.wait_for_ready(timeout=60)
            try:
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    await Engine(mine.km, nb, dag.graph).run(plan, Quiet(), asyncio.Event(), kc)
                    ours.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    for i, cell in enumerate(client.nb.cells):
                        await client.async_execute_cell(cell, i)
                    ref.append(time.perf_counter() - t0)
            finally:
                kc.stop_channels()
    return ours, ref


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    nb = chain_notebook(args.cells)
    with tempfile.TemporaryDirectory() as root:
        nbformat.write(nb, os.path.join(root, "chain.ipynb"))
        nb_cold = nbclient_cold(nb, root)
        server = Server(Path(root))
        try:
            project = server.call("POST", "projects", {"name": "chain", "notebook_path": "chain.ipynb"})
            api_cold = server.run_all(project["id"])
            api_warm, nb_warm, api_cpu, nb_cpu = asyncio.run(interleaved(server, project["id"], nb, root, args.repeat))
        finally:
            server.stop()
    w_api, w_nb = statistics.median(api_warm), statistics.median(nb_warm)
    ratios = sorted(a / b for a, b in zip(api_warm, nb_warm))
    print(f"chain of {args.cells} cells, median of {args.repeat} warm runs (interleaved)")
    print(f"  cold (kernel start included): notebook_dag {api_cold:7.3f} s   nbclient {nb_cold:7.3f} s   ratio {api_cold / nb_cold:5.2f}")
    print(f"  warm (kernel already up):     notebook_dag {w_api:7.3f} s   nbclient {w_nb:7.3f} s   ratio {w_api / w_nb:5.2f}  (target <= 1.2)")
    print(f"  pairwise ratios: min {ratios[0]:.2f}  median {statistics.median(ratios):.2f}  max {ratios[-1]:.2f}")
    print(f"  per block overhead over nbclient: {(w_api - w_nb) / args.cells * 1000:6.1f} ms")
    print(f"  CPU per warm run: server {api_cpu * 1000:6.1f} ms   nbclient's process {nb_cpu * 1000:6.1f} ms")
    ours, ref = asyncio.run(engine_only(nb, tempfile.gettempdir(), args.repeat))
    e, r = statistics.median(ours), statistics.median(ref)
    print(f"  engine alone (no server), interleaved: Engine {e:7.3f} s   nbclient {r:7.3f} s   ratio {e / r:5.2f}")
    print("  (the rest is the server's: POST /runs and its database work, the run events written to the")
    print("   event websocket, the blocks' results stored; the wall ratios move with the machine's load, the")
    print("   CPU figures much less)")


if __name__ == "__main__":
    main()
