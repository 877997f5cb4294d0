"""End to end on real third-party notebooks (../shared/corpus, built by
``build_corpus.sh`` into ``.cache/corpus`` or ``$NOTEBOOK_DAG_CORPUS``).

1. Each notebook is imported as a project and run through the REST API on a real
   kernel; every code cell's outputs must match the reference top-to-bottom nbclient
   run, as defined by ``../shared/corpus/compare.py`` (cells the manifest lists as
   unstable between two reference runs are left out).
2. The inference guarantee: the notebook is run in a *different* topological order of
   its DAG — at every step the latest cell whose upstream is done — and must still
   give the same outputs. Missing dependencies (hidden RNG state, stateful pyplot,
   ``fit`` mutations...) show up here as differences.

Besides what ``compare.py`` masks (addresses, PIDs, clock times, dates), printed
elapsed times ("0.002 seconds", "1.3 s") are masked too: like clock times they differ
from run to run whatever the order, and two reference runs do not always catch them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import networkx as nx
import pytest
from jupyter_client.manager import AsyncKernelManager

from corpus import CORPUS, compare_module, items
from conftest import blocks_by_id
from notebook_dag.dag import build_dag
from notebook_dag.engine import Engine


pytestmark = pytest.mark.corpus


ITEMS = items()
IDS = [Path(it["path"]).stem.split("__")[-1] for it in ITEMS]


@pytest.fixture
def corpus_env(monkeypatch, tmp_path):
    """The reference run's environment (see the manifest's env_vars)."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "skdata"))


def _with_outputs(nb: nbformat.NotebookNode, results: dict[str, dict]) -> dict:
    out = json.loads(json.dumps(nb))
    for cell in out["cells"]:
        if cell["cell_type"] == "code":
            r = results.get(cell["id"], {})
            cell["outputs"] = r.get("outputs", [])
    return out


def _assert_same(item: dict, candidate: dict, ignore_stderr: bool = False) -> None:
    compare = compare_module()
    ref = json.loads((CORPUS / item["reference"]).read_text())
    diffs = compare.compare(ref, candidate, set(item.get("unstable_output_cells", [])), ignore_stderr)
    detail = "\n".join(f"cell {i} ({cid}):\n  reference: {str(a)[:400]}\n  candidate: {str(b)[:400]}" for i, cid, a, b in diffs)
    assert not diffs, f"{len(diffs)} code cells differ from the top-to-bottom run:\n{detail}"


@pytest.mark.timeout(600)
@pytest.mark.parametrize("item", ITEMS, ids=IDS)
async def test_rest_run_matches_top_to_bottom(item, api, jp_root_dir, corpus_env):
    src = CORPUS / item["path"]
    folder = jp_root_dir / src.stem
    folder.mkdir()
    shutil.copy(src, folder / src.name)
    p = await api.project(f"{src.stem}/{src.name}", name=src.stem)
    run = await api.run(p["id"], timeout=max(300, 10 * item["linear_runtime_s"]))
    assert run["status"] == "succeeded", run["reason"]
    nb = nbformat.read(src, as_version=4)
    _assert_same(item, _with_outputs(nb, blocks_by_id(run)))
    await api.ok("DELETE", f"projects/{p['id']}", expect=204)


class _Collect:
    def __init__(self) -> None:
        self.results: dict[str, dict] = {}

    async def block_started(self, block_id: str) -> None:
        pass

    async def block_finished(self, block_id, result) -> None:
        self.results[block_id] = {"outputs": result.outputs, "status": result.status, "error": result.error}


def latest_first_order(dag) -> list[str]:
    """A topological order that departs from the notebook as far as the DAG allows:
    among the cells whose upstream is done, always the latest one first."""
    return list(nx.lexicographical_topological_sort(dag.graph, key=lambda n: -dag.index[n]))


@pytest.mark.timeout(600)
@pytest.mark.parametrize("item", ITEMS, ids=IDS)
async def test_any_topological_order_matches(item, tmp_path, corpus_env):
    src = CORPUS / item["path"]
    work = tmp_path / "work"
    work.mkdir()
    nb = nbformat.read(src, as_version=4)
    dag = build_dag(nb, [])
    order = [b for b in latest_first_order(dag) if dag.is_code(b) and nb.cells[dag.index[b]].source.strip()]
    notebook_order = [b for b in dag.order() if b in set(order)]
    km = AsyncKernelManager(kernel_name="python3")
    await km.start_kernel(cwd=str(work))
    try:
        collect = _Collect()
        outcome = await Engine(km, nb, dag.graph, timeout=300).run(order, collect)
    finally:
        await km.shutdown_kernel(now=True)
    assert outcome.status == "succeeded", outcome.reason
    moved = sum(a != b for a, b in zip(order, notebook_order))
    print(f"{src.name}: {moved} of {len(order)} code cells ran at another position than in the notebook")
    _assert_same(item, _with_outputs(nb, collect.results))
