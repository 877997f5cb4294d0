"""Incremental runs on real third-party notebooks give what "Restart and run all" gives.

The protocol of ``../shared/README.md``: run all; append a comment line to the code
cell at 1/4, 1/2 and 3/4 of the notebook in turn, each followed by ``mode: "stale"``;
after each, every code cell's *latest* outputs (from the run that last executed it)
must equal the reference top-to-bottom run (``compare.py``; unstable cells skipped).
Sequentially and with ``max_parallel: 2`` (then stderr is not compared: a Python
warning is shown once per process). A semantic edit (an integer constant changed) is
checked against a fresh nbclient run of the edited notebook.

Each case prints the blocks Run stale executed beside the blocks from the edited cell to
the end ("run all below", the baseline every notebook user has).
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from corpus import CORPUS, compare_module, items
from test_corpus import _assert_same, _with_outputs

pytestmark = pytest.mark.corpus

ITEMS = items()
IDS = [Path(it["path"]).stem.split("__")[-1] for it in ITEMS]
EDIT_AT = (0.25, 0.5, 0.75)


@pytest.fixture
def corpus_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "skdata"))


def code_ids(nb) -> list[str]:
    return [c["id"] for c in nb.cells if c["cell_type"] == "code" and c["source"].strip()]


def edited_cells(nb) -> list[str]:
    ids = code_ids(nb)
    picked: list[str] = []
    for f in EDIT_AT:
        cid = ids[min(len(ids) - 1, int(f * len(ids)))]
        if cid not in picked:
            picked.append(cid)
    return picked


def latest_outputs(latest: dict[str, dict], run: dict) -> int:
    """Fold a run's executed blocks into ``latest``; returns how many it executed."""
    executed = 0
    for b in run["blocks"]:
        if b["status"] in ("succeeded", "failed"):
            latest[b["block_id"]] = {"outputs": b["outputs"]}
            executed += 1
    return executed


async def _project(api, jp_root_dir, item):
    src = CORPUS / item["path"]
    folder = jp_root_dir / src.stem
    folder.mkdir()
    shutil.copy(src, folder / src.name)
    p = await api.project(f"{src.stem}/{src.name}", name=src.stem)
    return p, folder / src.name, nbformat.read(src, as_version=4)


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("max_parallel", [1, 2])
@pytest.mark.parametrize("item", ITEMS, ids=IDS)
async def test_stale_runs_after_edits_match_top_to_bottom(item, max_parallel, api, jp_root_dir, corpus_env):
    p, _, nb = await _project(api, jp_root_dir, item)
    timeout = max(300, 10 * item["linear_runtime_s"])
    first = await api.run(p["id"], mode="all", max_parallel=max_parallel, timeout=timeout)
    assert first["status"] == "succeeded", first["reason"]
    latest: dict[str, dict] = {}
    latest_outputs(latest, first)
    ids = code_ids(nb)
    report = []
    for cid in edited_cells(nb):
        cell = next(c for c in nb.cells if c["id"] == cid)
        await api.ok("PATCH", f"projects/{p['id']}/blocks/{cid}", {"source": cell["source"] + "\n# edited"})
        run = await api.run(p["id"], mode="stale", max_parallel=max_parallel, timeout=timeout)
        assert run["status"] == "succeeded", run["reason"]
        executed = latest_outputs(latest, run)
        below = len(ids) - ids.index(cid)
        restarted = any("restarted" in (b.get("note") or "") for b in run["blocks"])
        report.append(f"{cid}: {executed}/{below}{' (restart)' if restarted else ''}")
        _assert_same(item, _with_outputs(nb, latest), ignore_stderr=max_parallel > 1)
    print(f"{Path(item['path']).stem} max_parallel={max_parallel}: executed/below " + ", ".join(report))
    await api.ok("DELETE", f"projects/{p['id']}", expect=204)


def _bump_constant(source: str) -> str | None:
    """The source with its first integer constant above 1 that is assigned to a name at
    top level (``n_samples = 1000``) or passed as a keyword argument
    (``n_estimators=100``) plus one; None when it has none."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    found = []
    for node in ast.walk(tree):
        value = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
        elif isinstance(node, ast.keyword) and node.arg:
            value = node.value
        if (isinstance(value, ast.Constant) and type(value.value) is int and value.value > 1
                and value.lineno == value.end_lineno):
            found.append(value)
    if not found:
        return None
    node = min(found, key=lambda n: (n.lineno, n.col_offset))
    lines = source.splitlines()
    line = lines[node.lineno - 1]
    lines[node.lineno - 1] = line[:node.col_offset] + str(node.value + 1) + line[node.end_col_offset:]
    return "\n".join(lines)


#: a fresh reference run of each edited notebook is needed: the quicker notebooks only
SEMANTIC = [it for it in ITEMS if it["linear_runtime_s"] < 6]


@pytest.mark.timeout(1200)
@pytest.mark.parametrize("item", SEMANTIC, ids=[Path(it["path"]).stem.split("__")[-1] for it in SEMANTIC])
async def test_a_changed_constant_matches_a_fresh_run_of_the_edited_notebook(item, api, jp_root_dir, corpus_env, tmp_path):
    p, path, nb = await _project(api, jp_root_dir, item)
    ids = code_ids(nb)
    start = ids.index(edited_cells(nb)[0])
    target = next(((cid, new) for cid in ids[start:] + ids[:start]
                   if (new := _bump_constant(next(c for c in nb.cells if c["id"] == cid)["source"]))), None)
    if target is None:
        pytest.skip("no integer constant to change")
    cid, new = target
    timeout = max(300, 10 * item["linear_runtime_s"])
    first = await api.run(p["id"], mode="all", timeout=timeout)
    assert first["status"] == "succeeded", first["reason"]
    latest: dict[str, dict] = {}
    latest_outputs(latest, first)
    await api.ok("PATCH", f"projects/{p['id']}/blocks/{cid}", {"source": new})
    run = await api.run(p["id"], mode="stale", timeout=timeout)
    latest_outputs(latest, run)

    edited = nbformat.read(path, as_version=4)
    work = tmp_path / "fresh"
    work.mkdir()
    reference = json.loads(json.dumps(edited))
    fresh = nbformat.from_dict(reference)
    try:
        await NotebookClient(fresh, timeout=600, kernel_name="python3",
                             resources={"metadata": {"path": str(work)}}).async_execute()
    except CellExecutionError as e:  # the edit broke the notebook itself: nothing to compare
        pytest.skip(f"the edited notebook fails top to bottom: {e.ename}")
    compare = compare_module()
    candidate = _with_outputs(edited, latest)
    diffs = compare.compare(json.loads(json.dumps(fresh)), candidate, set(item.get("unstable_output_cells", [])), False)
    detail = "\n".join(f"cell {i} ({c}):\n  fresh: {str(a)[:300]}\n  stale run: {str(b)[:300]}" for i, c, a, b in diffs)
    assert not diffs, f"after changing a constant in {cid}, {len(diffs)} cells differ from a fresh run:\n{detail}"
    assert run["status"] == "succeeded", run["reason"]
    await api.ok("DELETE", f"projects/{p['id']}", expect=204)
