"""Benchmark: run planning on 10,000-node graphs (chain and fan-out).

Planning = topological order (notebook order where free), then the blocks a run of
each mode selects, then value fingerprints for staleness (``block_versions``) and the
re-execution plan of a stale run after editing the middle block (``plan_run``, in a
kernel that ran everything). All of it uses networkx's iterative
algorithms, so a 10,000-deep chain hits no recursion limit. The baseline, measured in
the same run, is the plain ``nx.topological_sort`` of the same graph: planning should
cost a small multiple of one traversal.

Usage: python benchmarks/bench_planning.py [--nodes 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time

import networkx as nx
import nbformat

from notebook_dag.dag import BuiltDag, block_versions, plan_blocks
from notebook_dag.planner import plan_run
from notebook_dag.staleness import R, W, KernelState


def make_dag(kind: str, n: int) -> BuiltDag:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(f"x{i} = {i}") for i in range(n)]
    ids = [f"b{i:05d}" for i in range(n)]
    for c, i in zip(nb.cells, ids):
        c["id"] = i
    g = nx.DiGraph()
    g.add_nodes_from(ids)
    effects = {b: {f"x{i}": W} for i, b in enumerate(ids)}
    if kind == "chain":
        g.add_edges_from(zip(ids, ids[1:]))
        for i, b in enumerate(ids[1:], 1):
            effects[b][f"x{i - 1}"] = R
    else:  # fan-out: one root feeding every other node, all feeding one sink
        g.add_edges_from((ids[0], b) for b in ids[1:-1])
        g.add_edges_from((b, ids[-1]) for b in ids[1:-1])
        for b in ids[1:-1]:
            effects[b]["x0"] = R
        effects[ids[-1]].update({f"x{i}": R for i in range(1, n - 1)})
    cells = {c["id"]: c for c in nb.cells}
    return BuiltDag(nb, cells, {b: i for i, b in enumerate(ids)}, g, [], [], effects=effects)


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"recursion limit {sys.getrecursionlimit()}; graphs of {args.nodes} nodes; best of {args.repeat}")
    print(f"{'graph':8} {'baseline topo':>14} {'order':>9} {'all':>9} {'upstream':>9} {'downstream':>11} {'fingerprints':>13} {'stale plan':>11}")
    for kind in ("chain", "fan-out"):
        dag = make_dag(kind, args.nodes)
        ids = list(dag.cells)
        mid = ids[len(ids) // 2]
        base = best(lambda: list(nx.topological_sort(dag.graph)), args.repeat)
        order = best(dag.order, args.repeat)
        all_ = best(lambda: plan_blocks(dag, "all"), args.repeat)
        up = best(lambda: plan_blocks(dag, "upstream", ids[-1]), args.repeat)
        down = best(lambda: plan_blocks(dag, "downstream", mid), args.repeat)
        fps = best(lambda: block_versions(dag), args.repeat)
        kernel = KernelState()
        v = block_versions(dag)
        for b in v.order:
            kernel.executed(b, v, True)
        dag.cells[mid]["source"] += "  # edited"
        edited = block_versions(dag)
        plan = plan_run(edited, kernel, edited.order, complete=True)
        stale = best(lambda: plan_run(edited, kernel, edited.order, complete=True), args.repeat)
        print(f"{kind:8} {base * 1e3:11.1f} ms {order * 1e3:6.1f} ms {all_ * 1e3:6.1f} ms {up * 1e3:6.1f} ms {down * 1e3:8.1f} ms "
              f"{fps * 1e3:10.1f} ms {stale * 1e3:8.1f} ms")
        print(f"{'':8} ratio to baseline: order {order / base:4.1f}x, plan all {all_ / base:4.1f}x, "
              f"fingerprints {fps / base:4.1f}x, stale plan {stale / base:4.1f}x ({len(plan.blocks)} blocks planned)")


if __name__ == "__main__":
    main()
