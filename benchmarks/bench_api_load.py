"""Benchmark: the API under load from many clients, beside Jupyter's own ``/api/status``.

One real ``jupyter_server`` subprocess with notebook_dag (SQLite database, token
authentication) serves:

* ``GET /notebook-dag/api/projects/{id}/dag`` of a project on a ``--cells`` (1,000) cell
  synthetic but realistic notebook (``bench_inference.generate_notebook``: imports,
  pandas loads and edits, plots, helpers, markdown headings);
* ``GET /notebook-dag/api/projects`` with ``--projects`` (500) projects (the default
  page of 50, sorted by last update, with the total).

For each endpoint, ``--clients`` (50) concurrent clients (aiohttp, one connection each,
keep-alive) send requests back to back for ``--seconds`` (30) seconds, after one warm-up
request. Meanwhile one more client sends ``GET /api/status`` (Jupyter's own cheapest
authenticated route) back to back; its figures under load are printed beside its idle
figures measured in the same run, before any load. Printed: requests/s, p50 and p99
latency in ms, errors (any status but 200).

A first row puts the same load on ``/api/status`` itself: jupyter_server's own floor
for any route under that many clients (Little's law: with N clients back to back, the
mean latency is N / throughput).

Targets (issue #14, item 5): p99 under 50 ms for both endpoints on a 2-core machine, and
``/api/status`` p99 under load within 2x its idle p99.

The server runs the notebook_dag of this checkout (``--code DIR``: of another one, e.g.
the main branch's, for a before/after comparison on the same machine).

Usage: python benchmarks/bench_api_load.py [--seconds 30] [--clients 50] [--cells 1000]
       [--projects 500] [--etag] [--code DIR]
       (--etag: the DAG clients also revalidate with If-None-Match, as the UI may)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

from bench_inference import generate_notebook
from servers import Server


def write_notebook(path: Path, n_cells: int) -> None:
    """A notebook of ``n_cells`` cells: the generated code with a markdown heading
    before every 20th cell, as real notebooks have."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, (cid, src) in enumerate(generate_notebook(n_cells)):
        if i % 20 == 0 and i:
            cell = nbformat.v4.new_markdown_cell(f"## Section {i // 20}\n\nWhat the next cells do.")
        else:
            cell = nbformat.v4.new_code_cell(src)
        cell["id"] = cid
        nb.cells.append(cell)
    nbformat.write(nb, path)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def hammer(session: aiohttp.ClientSession, url: str, headers: dict[str, str], until: float,
                 out: list[float], errors: list[int], etag: bool = False) -> None:
    """Request ``url`` back to back until ``until``; latencies (s) to ``out``."""
    tag = None
    while time.perf_counter() < until:
        h = dict(headers, **({"If-None-Match": tag} if etag and tag else {}))
        t0 = time.perf_counter()
        async with session.get(url, headers=h) as r:
            await r.read()
            ok = r.status == 200 or (etag and r.status == 304)
            if etag and r.status == 200:
                tag = r.headers.get("Etag")
        out.append(time.perf_counter() - t0)
        if not ok:
            errors.append(r.status)


async def measure(base: str, token: str, path: str | None, clients: int, seconds: float,
                  etag: bool = False) -> tuple[dict[str, float], dict[str, float]]:
    """``(endpoint figures, /api/status figures)`` with ``clients`` on ``path`` (None:
    no load, /api/status alone)."""
    headers = {"Authorization": f"token {token}"}
    conn = aiohttp.TCPConnector(limit=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(connector=conn, timeout=timeout) as session:
        if path is not None:  # warm-up: the first computation is not what is measured
            async with session.get(base + path, headers=headers) as r:
                assert r.status == 200, (r.status, await r.text())
                await r.read()
        until = time.perf_counter() + seconds
        lat: list[float] = []
        status: list[float] = []
        errors: list[int] = []
        status_errors: list[int] = []
        t0 = time.perf_counter()
        tasks = [hammer(session, base + path, headers, until, lat, errors, etag) for _ in range(clients if path else 0)]
        tasks.append(hammer(session, base + "/api/status", headers, until, status, status_errors))
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - t0

    def figures(values: list[float], errs: list[int]) -> dict[str, float]:
        return {"rps": len(values) / wall, "p50": pct(values, 0.5) * 1000, "p99": pct(values, 0.99) * 1000,
                "n": len(values), "errors": len(errs)}

    return figures(lat, errors), figures(status, status_errors)


def line(name: str, f: dict[str, float]) -> str:
    return (f"  {name:<34} {f['rps']:>8.1f} req/s   p50 {f['p50']:>8.1f} ms   p99 {f['p99']:>8.1f} ms"
            f"   n={f['n']:<6} errors={f['errors']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--cells", type=int, default=1000)
    ap.add_argument("--projects", type=int, default=500)
    ap.add_argument("--etag", action="store_true", help="DAG clients revalidate with If-None-Match")
    ap.add_argument("--code", default=str(ROOT), help="checkout whose notebook_dag the server runs")
    args = ap.parse_args(argv)
    code = str(Path(args.code).resolve())
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [code, os.environ.get("PYTHONPATH")]))

    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        work = Path(tmp)
        root = work / "root"
        root.mkdir()
        write_notebook(root / "big.ipynb", args.cells)
        write_notebook(root / "small.ipynb", 5)
        os.chdir(work)  # python -m puts the working directory first on the server's path
        with Server(root, work / "dag.db", name="bench") as server:
            big = server.call("POST", "projects", {"name": "big", "notebook_path": "big.ipynb"})
            t0 = time.perf_counter()
            for i in range(args.projects - 1):
                server.call("POST", "projects", {"name": f"project {i:03d}", "notebook_path": "small.ipynb",
                                                 "tags": ["bench", f"t{i % 7}"], "description": "a benchmark project"})
            print(f"notebook_dag of {code}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            print(f"server pid {server.proc.pid}; {args.projects} projects made in {time.perf_counter() - t0:.1f} s; "
                  f"{args.cells}-cell notebook; {args.clients} clients x {args.seconds:.0f} s per endpoint")
            dag_path = f"/notebook-dag/api/projects/{big['id']}/dag"
            code, doc = server.request("GET", f"projects/{big['id']}/dag", timeout=120)
            assert code == 200, doc
            print(f"DAG: {len(doc['nodes'])} nodes, {len(doc['edges'])} edges, "
                  f"{len(json.dumps(doc)) / 1e6:.1f} MB of JSON")
            # a miss: the first GET after an edit computes the view anew
            code_cell = next(n["id"] for n in doc["nodes"] if n["cell_type"] == "code")
            misses, hits = [], []
            for i in range(5):
                server.call("PATCH", f"projects/{big['id']}/blocks/{code_cell}", {"source": f"edited_{i} = {i}"})
                for out in (misses, hits):
                    t0 = time.perf_counter()
                    assert server.request("GET", f"projects/{big['id']}/dag", timeout=120)[0] == 200
                    out.append(time.perf_counter() - t0)
            print(f"one client: GET /dag after an edit (a miss) median {statistics.median(misses) * 1000:.0f} ms, "
                  f"the GET after it median {statistics.median(hits) * 1000:.0f} ms (5 edits)")

            run = lambda path, etag=False: asyncio.run(
                measure(server.url, server.token, path, args.clients, args.seconds, etag))
            _, idle = run(None)
            print("idle (no load):")
            print(line("GET /api/status", idle))
            # The floor: the same load on Jupyter's own cheapest route. No route of this
            # server can answer faster than jupyter_server answers /api/status under it.
            results = [("GET /api/status (Jupyter's own; the floor)", "/api/status", False),
                       ("GET /projects/{id}/dag", dag_path, False), ("GET /projects", "/notebook-dag/api/projects", False)]
            if args.etag:
                results.insert(1, ("GET /projects/{id}/dag If-None-Match", dag_path, True))
            verdicts = []
            for name, path, etag in results:
                endpoint, status = run(path, etag)
                print(f"under load of {name}:")
                print(line(name, endpoint))
                print(line("GET /api/status (same time)", status))
                ratio = status["p99"] / idle["p99"] if idle["p99"] else float("nan")
                print(f"  /api/status p99 under load / idle: {ratio:.1f}x")
                verdicts.append(f"{name}: p99 {endpoint['p99']:.1f} ms (target < 50): "
                                f"{'met' if endpoint['p99'] < 50 else 'NOT met'}; /api/status p99 {ratio:.1f}x idle "
                                f"(target <= 2x): {'met' if ratio <= 2 else 'NOT met'}")
            print("targets:")
            for v in verdicts:
                print("  " + v)
    return 0


if __name__ == "__main__":
    sys.exit(main())
