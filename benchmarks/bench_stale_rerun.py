"""Benchmark: a stale-only re-run after editing one block, through the REST API.

Starts a real jupyter_server with notebook_dag, creates a project for a generated
notebook of ``--chain`` cells in a chain (cell i reads cell i-1) plus ``--side``
independent cells, runs it once, edits the middle cell of the chain
(``PATCH /projects/{id}/blocks/{cell}``), then runs ``mode: "stale"`` and counts:

- blocks executed by the stale run, against the edited block plus its descendants
  (``networkx.descendants`` of the DAG served by ``GET /projects/{id}/dag``), the
  exact set a correct staleness rule re-runs (target: equal);
- blocks the DAG reported ``stale`` after the edit, against the same set;
- the wall time of the stale run against a forced full run (``force: true``), both
  waited for through the run's end event on jupyter_server's event websocket.

Usage: python benchmarks/bench_stale_rerun.py [--chain 20] [--side 20]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import networkx as nx
import nbformat

from bench_run_chain import Server


def notebook(chain: int, side: int) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("x0 = 1"))
    for i in range(1, chain):
        nb.cells.append(nbformat.v4.new_code_cell(f"x{i} = x{i-1} + 1"))
    for j in range(side):
        nb.cells.append(nbformat.v4.new_code_cell(f"s{j} = {j} * 2"))
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i:03d}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def run(server: Server, project_id: str, body: dict) -> tuple[float, dict]:
    return server.run(project_id, body)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chain", type=int, default=20)
    ap.add_argument("--side", type=int, default=20)
    args = ap.parse_args()
    nb = notebook(args.chain, args.side)
    edited = f"cell-{args.chain // 2:03d}"
    with tempfile.TemporaryDirectory() as root:
        nbformat.write(nb, os.path.join(root, "stale.ipynb"))
        server = Server(Path(root))
        try:
            project = server.call("POST", "projects", {"name": "stale", "notebook_path": "stale.ipynb"})
            pid = project["id"]
            run(server, pid, {"mode": "all"})
            full, _ = run(server, pid, {"mode": "all", "force": True})
            server.call("PATCH", f"projects/{pid}/blocks/{edited}", {"source": f"x{args.chain // 2} = x{args.chain // 2 - 1} + 100"})
            dag = server.call("GET", f"projects/{pid}/dag")
            graph = nx.DiGraph([(e["source"], e["target"]) for e in dag["edges"]])
            graph.add_nodes_from(n["id"] for n in dag["nodes"])
            expected = {edited} | nx.descendants(graph, edited)
            reported = {n["id"] for n in dag["nodes"] if n.get("state", n.get("status")) == "stale"}
            took, result = run(server, pid, {"mode": "stale"})
        finally:
            server.stop()
    executed = {b["block_id"] for b in result["blocks"] if b["status"] == "succeeded"}
    skipped = [b for b in result["blocks"] if b["status"] == "up_to_date"]
    print(f"{args.chain}-cell chain + {args.side} independent cells; edited {edited}")
    print(f"  edited block + descendants: {len(expected)}")
    print(f"  reported stale by GET dag:  {len(reported)}  {'(equal)' if reported == expected else f'(differs: {sorted(reported ^ expected)})'}")
    print(f"  executed by mode 'stale':   {len(executed)}  {'(equal)' if executed == expected else f'(differs: {sorted(executed ^ expected)})'}")
    print(f"  not executed (up to date):  {len(skipped)} of {len(nb.cells)}")
    print(f"  wall: stale run {took:.3f} s vs forced full run {full:.3f} s  ratio {took / full:.2f}")


if __name__ == "__main__":
    main()
