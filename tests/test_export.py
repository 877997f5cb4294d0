"""Exports: the script and the reordered notebook run and print what the notebook does;
the Airflow DAG parses, has one task per block and the DAG's dependencies."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import subprocess
import sys

import nbformat

from conftest import write_notebook

SOURCES = [
    ("markdown", "# Export me"),
    "%matplotlib inline\nimport math\nbase = 3",   # c1
    "print('square', base ** 2)",                  # c2
    "root = math.sqrt(base)",                      # c3
    "print('root', round(root, 3))",               # c4
]


async def _project(api, root, with_manual=True):
    write_notebook(root, "e.ipynb", SOURCES)
    p = await api.project("e.ipynb", name="exp")
    if with_manual:  # c4 must run before c2: the export follows the DAG, not the notebook
        await api.ok("POST", f"projects/{p['id']}/edges", {"source": "c4", "target": "c2"}, expect=201)
    return p


async def _export(api, pid, fmt):
    resp = await api.fetch("notebook-dag", "api", "projects", pid, "export", params={"format": fmt}, raise_error=False)
    return resp


async def test_script_export_runs_in_topological_order(api, jp_root_dir, tmp_path):
    p = await _project(api, jp_root_dir)
    resp = await _export(api, p["id"], "py")
    assert resp.code == 200 and resp.headers["Content-Type"].startswith("text/x-python")
    assert 'filename="e.py"' in resp.headers["Content-Disposition"]
    script = resp.body.decode()
    assert script.index("# %% [c4]") < script.index("# %% [c2]")
    assert "get_ipython().run_line_magic('matplotlib', 'inline')" in script
    path = tmp_path / "e.py"
    # run it outside IPython: provide the one IPython call the magic became
    path.write_text("class _IP:\n    def run_line_magic(self, *a): pass\nget_ipython = _IP\n" + script)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["root 1.732", "square 9"]


async def test_notebook_export_is_reordered_and_valid(api, jp_root_dir):
    p = await _project(api, jp_root_dir)
    resp = await _export(api, p["id"], "ipynb")
    assert resp.code == 200
    nb = nbformat.reads(resp.body.decode(), as_version=4)
    nbformat.validate(nb)
    ids = [c.id for c in nb.cells]
    assert ids.index("c4") < ids.index("c2") and ids[0] == "c0" and sorted(ids) == ["c0", "c1", "c2", "c3", "c4"]


async def test_airflow_export_parses_with_tasks_and_dependencies(api, jp_root_dir):
    p = await _project(api, jp_root_dir)
    resp = await _export(api, p["id"], "airflow")
    assert resp.code == 200
    text = resp.body.decode()
    tree = ast.parse(text)
    consts = {t.targets[0].id: ast.literal_eval(t.value) for t in tree.body if isinstance(t, ast.Assign) and isinstance(t.targets[0], ast.Name) and t.targets[0].id in ("BLOCKS", "DEPENDENCIES")}
    assert [b["task_id"] for b in consts["BLOCKS"]] == ["b_c1", "b_c3", "b_c4", "b_c2"]
    deps = {tuple(d) for d in consts["DEPENDENCIES"]}
    assert {("b_c1", "b_c2"), ("b_c1", "b_c3"), ("b_c3", "b_c4"), ("b_c4", "b_c2")} <= deps
    c3 = next(b for b in consts["BLOCKS"] if b["task_id"] == "b_c3")
    assert c3["reads"] == ["base", "math"] and c3["writes"] == ["root"]
    assert "PythonOperator" in text and "from airflow import DAG" in text


async def test_airflow_tasks_execute_with_the_generated_runner(api, jp_root_dir, tmp_path, monkeypatch):
    """Run the generated tasks in dependency order through its own ``run_block``, each in
    a fresh namespace as Airflow would, without Airflow (the file's part above its Airflow
    imports); each records its outputs as Jupyter outputs. tests/test_airflow.py runs the
    whole file with Apache Airflow."""
    p = await _project(api, jp_root_dir, with_manual=False)
    text = (await _export(api, p["id"], "airflow")).body.decode()
    body = text.split("# Airflow:")[0]
    assert "import airflow" not in body and "from airflow" not in body
    monkeypatch.setenv("NOTEBOOK_DAG_STATE_DIR", str(tmp_path))
    ns: dict = {}
    exec(compile(body, "airflow_dag", "exec"), ns)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in ns["BLOCKS"]:  # c1's %matplotlib inline goes to the file's get_ipython()
            ns["run_block"](block, "run1")
    assert out.getvalue().splitlines() == ["square 9", "root 1.732"]
    outputs = tmp_path / "notebook_dag_exp" / "run1" / "outputs"
    assert json.loads((outputs / "c4.json").read_text()) == [{"output_type": "stream", "name": "stdout", "text": "root 1.732\n"}]
    assert json.loads((outputs / "c1.json").read_text()) == []


async def test_airflow_task_records_results_displays_and_figures(api, jp_root_dir, tmp_path, monkeypatch):
    """A block's last expression is its result (not when it ends with ';'), display()
    shows values, pyplot figures are shown as PNG and closed, as in a kernel."""
    write_notebook(jp_root_dir, "f.ipynb", [
        "import matplotlib.pyplot as plt\nxs = [1, 2, 3]\nplt.plot(xs)\nlen(xs)",
        "display({'a': 1}, 'b')\nxs;",
    ])
    p = await api.project("f.ipynb", name="figs")
    text = (await _export(api, p["id"], "airflow")).body.decode()
    monkeypatch.setenv("NOTEBOOK_DAG_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    ns: dict = {}
    exec(compile(text.split("# Airflow:")[0], "airflow_dag", "exec"), ns)
    for block in ns["BLOCKS"]:
        ns["run_block"](block, "r")
    outputs = tmp_path / "notebook_dag_figs" / "r" / "outputs"
    first = json.loads((outputs / "c0.json").read_text())
    assert [(o["output_type"], o["data"]["text/plain"]) for o in first] == [
        ("execute_result", "3"), ("display_data", "<Figure size 640x480 with 1 Axes>")]
    assert first[1]["data"]["image/png"].startswith("iVBORw0KGgo")  # base64 of the PNG signature
    second = json.loads((outputs / "c1.json").read_text())
    assert [(o["output_type"], o["data"]["text/plain"]) for o in second] == [
        ("display_data", "{'a': 1}"), ("display_data", "'b'")]


async def test_export_bad_format(api, jp_root_dir):
    p = await _project(api, jp_root_dir, with_manual=False)
    resp = await _export(api, p["id"], "docx")
    assert resp.code == 400 and "format" in json.loads(resp.body)["message"]
    assert (await _export(api, "nope", "py")).code == 404
