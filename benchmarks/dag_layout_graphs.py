"""Dump the DAG (nodes and edges, as ``GET /dag`` serves them) of notebooks as JSON.

Used by ``bench_dag_layout.mjs``: ``python dag_layout_graphs.py NOTEBOOK... > graphs.json``.
Inference is the server's own (:func:`notebook_dag.dag.build_dag`, no manual edges).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat

from notebook_dag.dag import block_title, build_dag


def graph_of(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if not cell.get("id"):
            cell["id"] = f"cell-{i}"
    dag = build_dag(nb, [])
    nodes = [
        {
            "id": cell["id"],
            "cell_type": cell.get("cell_type"),
            "title": block_title(cell),
            "source": str(cell.get("source", "")),
            "index": dag.index[cell["id"]],
            "position": None,
        }
        for cell in nb.cells
    ]
    return {"name": path.stem, "nodes": nodes, "edges": [e.as_dict() for e in dag.edges]}


if __name__ == "__main__":
    json.dump([graph_of(Path(p)) for p in sys.argv[1:]], sys.stdout)
