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

With ``--corpus DIR`` (a corpus built by ``../shared/corpus/build_corpus.sh``, e.g.
``.cache/corpus``) it runs the edit protocol of ``../shared/README.md`` on every
notebook instead: run all; append a comment line to the code cell at 1/4, 1/2 and 3/4 in
turn, each followed by Run stale; after each, compare every cell's latest outputs with
the reference top-to-bottom run (``compare.py``). It prints, per notebook and overall,
the fidelity count (edits after which every cell matched) beside the blocks executed
divided by the blocks from the edited cell to the end ("run all below", the baseline),
averaged over the edits; and, measured on the same notebooks in the same run, the same
ratio for the plain "edited cell and its descendants" rule (what a kernel-unaware
staleness re-runs, not faithful) as the lower bound of any faithful rule.

Usage: python benchmarks/bench_stale_rerun.py [--chain 20] [--side 20]
       python benchmarks/bench_stale_rerun.py --corpus .cache/corpus [--max-parallel 1] [--only NAME]
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


EDIT_AT = (0.25, 0.5, 0.75)


def corpus(directory: Path, max_parallel: int, only: str | None) -> None:
    import importlib.util
    import json
    import shutil

    from notebook_dag.dag import block_versions, build_dag
    from notebook_dag.staleness import KernelState

    spec = importlib.util.spec_from_file_location("compare", Path(__file__).resolve().parents[2] / "shared/corpus/compare.py")
    compare = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(compare)
    items = [it for it in json.loads((directory / "manifest.json").read_text())["items"] if it.get("ok")]
    if only:
        items = [it for it in items if only in it["path"]]
    os.environ.update(MPLBACKEND="Agg", PYTHONHASHSEED="0")  # the reference runs' environment
    identical = edits = 0
    ratios: list[float] = []
    bounds: list[float] = []
    with tempfile.TemporaryDirectory() as root:
        os.environ["SCIKIT_LEARN_DATA"] = os.path.join(root, "skdata")
        server = Server(Path(root))
        try:
            for it in items:
                src = directory / it["path"]
                folder = Path(root) / src.stem
                folder.mkdir()
                shutil.copy(src, folder / src.name)
                nb = nbformat.read(src, as_version=4)
                ref = json.loads((directory / it["reference"]).read_text())
                pid = server.call("POST", "projects", {"name": src.stem, "notebook_path": f"{src.stem}/{src.name}"})["id"]
                _, first = server.run(pid, {"mode": "all", "max_parallel": max_parallel})
                latest = {b["block_id"]: b["outputs"] for b in first["blocks"]}
                ids = [c["id"] for c in nb.cells if c["cell_type"] == "code" and c["source"].strip()]
                picked = list(dict.fromkeys(ids[min(len(ids) - 1, int(f * len(ids)))] for f in EDIT_AT))
                # the lower bound: edited cell + descendants, on the same edits, without a kernel
                shadow, kernel = nbformat.from_dict(json.loads(json.dumps(nb))), KernelState()
                v = block_versions(build_dag(shadow, []))
                for b in v.order:
                    kernel.executed(b, v, True)
                line = []
                for cid in picked:
                    cell = next(c for c in nb.cells if c["id"] == cid)
                    cell["source"] += "\n# edited"
                    server.call("PATCH", f"projects/{pid}/blocks/{cid}", {"source": cell["source"]})
                    _, run = server.run(pid, {"mode": "stale", "max_parallel": max_parallel})
                    executed = [b for b in run["blocks"] if b["status"] in ("succeeded", "failed")]
                    for b in executed:
                        latest[b["block_id"]] = b["outputs"]
                    candidate = json.loads(json.dumps(nb))
                    for c in candidate["cells"]:
                        if c["cell_type"] == "code":
                            c["outputs"] = latest.get(c["id"], [])
                    diffs = compare.compare(ref, candidate, set(it.get("unstable_output_cells", [])), max_parallel > 1)
                    below = len(ids) - ids.index(cid)
                    next(c for c in shadow.cells if c["id"] == cid)["source"] = cell["source"]
                    v = block_versions(build_dag(shadow, []))
                    stale = [b for b in v.order if b not in kernel.up_to_date(v)]
                    for b in stale:
                        kernel.executed(b, v, True)
                    edits += 1
                    identical += not diffs
                    ratios.append(len(executed) / below)
                    bounds.append(len(stale) / below)
                    line.append(f"{cid} {len(executed)}/{below}{'' if not diffs else f' DIFFERS in {len(diffs)} cells'}")
                    for i, c, a, b in diffs[:2]:
                        print(f"    after editing {cid}, cell {i} ({c}) differs:\n      reference {str(a)[:600]!r}\n"
                              f"      candidate {str(b)[:600]!r}")
                print(f"{src.stem.split('__')[-1]:48} " + "; ".join(line), flush=True)
                server.call("DELETE", f"projects/{pid}")
        finally:
            server.stop()
    print(f"\nmax_parallel {max_parallel}: {identical}/{edits} edits identical to the top-to-bottom run")
    print(f"blocks executed by Run stale / blocks from the edited cell to the end: mean {sum(ratios) / len(ratios):.2f} "
          f"(target < 0.75); 'edited cell + descendants' (not faithful), same edits: {sum(bounds) / len(bounds):.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chain", type=int, default=20)
    ap.add_argument("--side", type=int, default=20)
    ap.add_argument("--corpus", type=Path, default=None)
    ap.add_argument("--max-parallel", type=int, default=1)
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    if args.corpus is not None:
        corpus(args.corpus.resolve(), args.max_parallel, args.only)
        return
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
