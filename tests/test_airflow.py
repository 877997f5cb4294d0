"""The Airflow export run by Apache Airflow itself.

For the bundled example and one notebook of the corpus: the project is exported through
the server's REST API (``GET /projects/{id}/export?format=airflow``), ``airflow dags test``
runs the DAG file to success in a throwaway ``AIRFLOW_HOME`` (SQLite, no examples, one
``airflow db migrate`` per session), and every task's outputs, which the exported file
records as Jupyter outputs in ``outputs/<block id>.json`` of its state directory, match
the outputs of the project's own notebook_dag run, block by block.

"Match" is ``compare.py``'s signature (``../shared/corpus/``): stdout, the text/plain of
results and displays, whether an image was shown (images are not compared byte for byte),
and errors (the kernel shows figures with the inline backend, the tasks render them
with Agg and record them at the same points: plt.show() and the block's end). Masked as volatile: what ``compare.py`` masks (memory addresses, PIDs, clock
times, dates, scikit-learn's HTML ids) and printed elapsed times (:data:`corpus.ELAPSED`).
stderr is not compared: the tasks do not record it (Python shows a warning once per
process, and the task's stderr is Airflow's log). Both sides run with the same
``PYTHONHASHSEED``; the notebooks seed their random generators.

``airflow dags test`` runs the tasks one after another in its own process (Airflow 3's
in-process supervisor; ``--use-executor`` would need a running API server): each task
still starts from a fresh namespace holding only what the pickles carry, but module
state (a global RNG, ``sklearn.set_config``) would leak from task to task here and not
in a deployment, so the notebooks used rely on none.

Runs only where ``NOTEBOOK_DAG_AIRFLOW_BIN`` names the ``bin`` directory of a venv with
Apache Airflow and the tasks' packages (``scripts/run-tests.sh`` makes one and runs this
file with it); the server and its kernels are this interpreter's.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from conftest import blocks_by_id
from corpus import CORPUS, compare_module, items

from notebook_dag.export import airflow_dag_id

AIRFLOW_BIN = os.environ.get("NOTEBOOK_DAG_AIRFLOW_BIN", "")
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "sales_analysis.ipynb"
#: the corpus notebook: scikit-learn and matplotlib only, its data made by make_classification
#: with fixed random_state (no network), fitted estimators and functions handed between blocks
CORPUS_ITEM = "scikit-learn__examples__ensemble__plot_feature_transformation"

pytestmark = [
    pytest.mark.airflow,
    pytest.mark.skipif(not AIRFLOW_BIN, reason="NOTEBOOK_DAG_AIRFLOW_BIN (a venv's bin with Apache Airflow) is not set"),
]

#: the environment of both the project's kernel and the Airflow tasks; no MPLBACKEND, so
#: that the kernel shows figures with the inline backend as Jupyter does by default
SHARED_ENV = {"PYTHONHASHSEED": "0"}


@pytest.fixture(scope="session")
def airflow_env(tmp_path_factory) -> dict[str, str]:
    """The environment of every ``airflow`` command: a fresh AIRFLOW_HOME with a SQLite
    database migrated once for the session, no example DAGs."""
    home = tmp_path_factory.mktemp("airflow-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTHON", "VIRTUAL_ENV", "JUPYTER"))}
    env.update(SHARED_ENV, AIRFLOW_HOME=str(home), PATH=os.pathsep.join([AIRFLOW_BIN, env.get("PATH", "")]),
               AIRFLOW__CORE__LOAD_EXAMPLES="False",
               AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}")
    out = _airflow(env, "db", "migrate", timeout=300)
    assert out.returncode == 0, out.stdout[-3000:]
    return env


def _airflow(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(AIRFLOW_BIN, "airflow"), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, check=False)


async def _export_and_run(api, airflow_env: dict, project: dict, work: Path) -> tuple[str, dict[str, list]]:
    """Export the project as an Airflow DAG into a dags folder of its own, run it with
    ``airflow dags test``; returns the DAG run's id and each block's recorded outputs."""
    resp = await api.fetch("notebook-dag", "api", "projects", project["id"], "export", params={"format": "airflow"})
    assert resp.code == 200
    text, dag_id = resp.body.decode(), airflow_dag_id(project["name"])
    dags, state = work / "dags", work / "state"
    dags.mkdir()
    (dags / f"{dag_id}.py").write_text(text)
    env = dict(airflow_env, AIRFLOW__CORE__DAGS_FOLDER=str(dags), NOTEBOOK_DAG_STATE_DIR=str(state))
    out = await asyncio.to_thread(_airflow, env, "dags", "test", dag_id)
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-5000:]
    (run_dir,) = (state / dag_id).iterdir()  # one DAG run, named by its run_id
    states = await asyncio.to_thread(_airflow, env, "tasks", "states-for-dag-run", dag_id, run_dir.name, "-o", "json")
    assert states.returncode == 0, (states.stdout + states.stderr)[-3000:]
    task_states = {t["task_id"]: t["state"] for t in json.loads(states.stdout.strip().splitlines()[-1])}
    assert task_states and set(task_states.values()) == {"success"}, task_states
    outputs = {p.stem: json.loads(p.read_text()) for p in (run_dir / "outputs").glob("*.json")}
    return run_dir.name, outputs


def _assert_same_outputs(run: dict, nb: nbformat.NotebookNode, recorded: dict[str, list]) -> int:
    """Every code block's recorded outputs match the notebook_dag run's; returns the
    number of images the tasks showed (each checked to be a PNG)."""
    compare = compare_module()
    blocks = blocks_by_id(run)
    code = [c.id for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert sorted(recorded) == sorted(code), "a task per code block, each recording its outputs"
    diffs, images = [], 0
    for cid in code:
        ours = compare.signature({"outputs": blocks[cid]["outputs"]}, ignore_stderr=True)
        theirs = compare.signature({"outputs": recorded[cid]}, ignore_stderr=True)
        if ours != theirs:
            diffs.append(f"{cid}:\n  notebook_dag: {str(ours)[:600]}\n  airflow:      {str(theirs)[:600]}")
        for o in recorded[cid]:
            if "image/png" in o.get("data", {}):
                assert base64.b64decode(o["data"]["image/png"]).startswith(b"\x89PNG\r\n\x1a\n")
                images += 1
    assert not diffs, f"{len(diffs)} blocks differ between the notebook_dag run and Airflow:\n" + "\n".join(diffs)
    return images


async def _project_run(api, path: str, name: str, timeout: float) -> tuple[dict, dict]:
    p = await api.project(path, name=name)
    run = await api.run(p["id"], timeout=timeout)
    assert run["status"] == "succeeded", run.get("reason")
    return p, run


@pytest.fixture
def shared_env(monkeypatch) -> None:
    """The project's kernels (started by the in-process server) get the tasks' environment."""
    for k, v in SHARED_ENV.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("MPLBACKEND", raising=False)


@pytest.mark.timeout(600)
async def test_example_runs_in_airflow_like_in_notebook_dag(api, jp_root_dir, tmp_path, airflow_env, shared_env):
    shutil.copy(EXAMPLE, jp_root_dir / EXAMPLE.name)
    p, run = await _project_run(api, EXAMPLE.name, "sales analysis", timeout=120)
    _, recorded = await _export_and_run(api, airflow_env, p, tmp_path)
    nb = nbformat.read(EXAMPLE, as_version=4)
    assert _assert_same_outputs(run, nb, recorded) == 1  # the bar chart
    # what the example prints and shows, so that an empty recording cannot pass
    assert "rows dropped" in recorded["example-04"][0]["text"]
    assert recorded["example-06"][0]["data"]["text/plain"].startswith("region\n")


@pytest.mark.timeout(900)
async def test_corpus_notebook_runs_in_airflow_like_in_notebook_dag(api, jp_root_dir, tmp_path, airflow_env, shared_env,
                                                                   monkeypatch):
    item = next((it for it in items() if Path(it["path"]).stem == CORPUS_ITEM), None)
    if item is None:
        pytest.skip(f"{CORPUS_ITEM} is not in the corpus at {CORPUS}")
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "skdata"))
    src = CORPUS / item["path"]
    (jp_root_dir / "corpus").mkdir()
    shutil.copy(src, jp_root_dir / "corpus" / src.name)
    p, run = await _project_run(api, f"corpus/{src.name}", "feature transformation",
                                timeout=max(300, 10 * item["linear_runtime_s"]))
    _, recorded = await _export_and_run(api, dict(airflow_env, SCIKIT_LEARN_DATA=str(tmp_path / "skdata")), p,
                                        tmp_path)
    nb = nbformat.read(src, as_version=4)
    assert _assert_same_outputs(run, nb, recorded) == 2  # the two ROC plots
    results = [o["data"]["text/plain"] for outs in recorded.values() for o in outs if o["output_type"] == "execute_result"]
    assert any(r.startswith("Pipeline(") for r in results), results
