"""Project templates: each bundled template creates a project on a real dataset (from the
packages named in ../shared/README.md) whose run is green; parameters are checked; a
configured template directory adds templates; nothing is overwritten and another user's
dataset cannot be used."""

from __future__ import annotations

import json

import nbformat
import pytest

from conftest import stdout_of
from datasets_helpers import encode, iris, sp500, upload, wine
from identity import As, named_users_config


def diabetes():
    from sklearn.datasets import load_diabetes

    return load_diabetes(as_frame=True).frame


@pytest.fixture
def template_dir(tmp_path_factory):
    """A template directory: one template with metadata, one plain notebook, one
    malformed file and one whose id shadows a bundled template."""
    d = tmp_path_factory.mktemp("templates")
    nb = nbformat.v4.new_notebook()
    nb.metadata["notebook_dag"] = {"template": {
        "title": "Team report", "description": "The team's weekly numbers",
        "parameters": [{"name": "data", "kind": "dataset"}, {"name": "N", "kind": "integer", "default": 3,
                                                             "minimum": 1, "maximum": 10}]}}
    nb.cells = [nbformat.v4.new_code_cell("import notebook_dag\ndata = None  # set on creation\nN = 3"),
                nbformat.v4.new_code_cell("print(len(data), N)")]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, d / "team_report.ipynb")
    plain = nbformat.v4.new_notebook()
    plain.cells = [nbformat.v4.new_markdown_cell("# Scratch pad\n\nfree-form"), nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(plain, d / "scratch.ipynb")
    (d / "broken.ipynb").write_text("{not json")
    shadow = nbformat.v4.new_notebook()
    shadow.metadata["notebook_dag"] = {"template": {"title": "Not the bundled one"}}
    nbformat.write(shadow, d / "train_model.ipynb")
    return d


@pytest.fixture
def jp_server_config(db_url, template_dir):
    config = named_users_config(db_url)
    config["TemplateService"] = {"template_dirs": [str(template_dir)]}
    return config


async def create(who, name: str, template: dict, path: str | None = None) -> tuple[int, dict]:
    return await who.call("POST", "projects", {"name": name, "notebook_path": path or f"{name}.ipynb",
                                               "template": template})


async def upload_as(jp_fetch, user: str, df, name: str) -> dict:
    resp = await jp_fetch("notebook-dag", "api", "datasets", method="POST", body=encode(df, "csv"),
                          headers={"X-Test-User": user}, params={"name": name}, raise_error=False)
    assert resp.code == 201, resp.body
    return json.loads(resp.body)


async def test_lists_bundled_and_configured_templates(jp_fetch, template_dir):
    alice = As(jp_fetch, "alice")
    out = await alice.ok("GET", "templates")
    by_id = {t["id"]: t for t in out["templates"]}
    assert set(by_id) == {"explore_dataset", "train_model", "forecast_time_series", "team_report", "scratch"}
    assert by_id["train_model"]["source"] == "bundled" and by_id["train_model"]["title"] == "Train and evaluate a model"
    assert [(p["name"], p["kind"], p["required"]) for p in by_id["forecast_time_series"]["parameters"]] == [
        ("df", "dataset", True), ("DATE_COLUMN", "column", False), ("VALUE_COLUMN", "column", False),
        ("HORIZON", "integer", False)]
    assert by_id["forecast_time_series"]["parameters"][3]["default"] == 30
    assert by_id["team_report"]["source"] == str(template_dir) and by_id["team_report"]["cells"] == 2
    assert by_id["scratch"]["title"] == "Scratch pad" and by_id["scratch"]["parameters"] == []
    assert [t["title"] for t in out["templates"]] == sorted((t["title"] for t in out["templates"]), key=str.lower)


@pytest.mark.parametrize("template, frame, name, params, expect", [
    ("explore_dataset", iris, "iris.csv", {}, ["150 rows × 6 columns", "species: 3 distinct values"]),
    ("train_model", wine, "wine.csv", {}, ["target 'target': classification, 178 rows, 13 features", "accuracy "]),
    ("train_model", diabetes, "diabetes.csv", {"TARGET": "target"}, ["regression, 442 rows", "R² per fold"]),
    ("forecast_time_series", sp500, "sp500.csv", {"VALUE_COLUMN": "Adj Close", "HORIZON": 20},
     ["'Adj Close' over 'Date': 5,031 observations"]),
])
async def test_each_bundled_template_runs_green(jp_fetch, jp_root_dir, template, frame, name, params, expect):
    alice = As(jp_fetch, "alice")
    ds = await upload_as(jp_fetch, "alice", frame(), name)
    code, project = await create(alice, f"from-{template}", {"id": template, "parameters": {"df": ds["id"], **params}})
    assert code == 201, project
    nb = nbformat.read(jp_root_dir / f"from-{template}.ipynb", as_version=4)
    assert "template" not in nb.metadata.get("notebook_dag", {})
    parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert f"df = notebook_dag.load({name!r})  #" in parameters.source
    for key, value in params.items():
        assert f"{key} = {value!r}" in parameters.source
    assert all(c.get("outputs", []) == [] for c in nb.cells) and len({c.id for c in nb.cells}) == len(nb.cells)

    run = await alice.run(project["id"], timeout=600)
    assert run["status"] == "succeeded", [(b["block_id"], b.get("error")) for b in run["blocks"] if b.get("error")]
    outputs = [o for b in run["blocks"] for o in b["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2
    printed = "".join(stdout_of(b) for b in run["blocks"])
    for text in expect:
        assert text in printed, (text, printed[:2000])


async def test_template_requests_are_checked(jp_fetch, jp_root_dir):
    alice, bob = As(jp_fetch, "alice"), As(jp_fetch, "bob")
    ds = await upload_as(jp_fetch, "alice", iris(), "iris.csv")
    good = {"df": ds["id"]}
    cases = [
        ({"id": "no_such_template", "parameters": good}, 404, "no template"),
        ({"id": "explore_dataset", "parameters": {}}, 422, "needs a dataset id"),
        ({"id": "explore_dataset", "parameters": {"df": "nope"}}, 404, ""),
        ({"id": "explore_dataset", "parameters": {**good, "TARGET": "x"}}, 422, "has no parameter 'TARGET'"),
        ({"id": "forecast_time_series", "parameters": {**good, "HORIZON": "ten"}}, 422, "whole number"),
        ({"id": "forecast_time_series", "parameters": {**good, "HORIZON": 0}}, 422, "within 1..10000"),
        ({"id": "forecast_time_series", "parameters": {**good, "HORIZON": True}}, 422, ""),
        ({"id": "forecast_time_series", "parameters": {**good, "DATE_COLUMN": "  "}}, 422, "column name"),
        ({"id": "forecast_time_series", "parameters": {**good, "DATE_COLUMN": ["a"]}}, 422, ""),
        ({"id": "", "parameters": good}, 422, ""),
        ({"parameters": good}, 422, ""),
        ({"id": "explore_dataset", "parameters": good, "extra": 1}, 422, ""),
    ]
    for i, (template, status, message) in enumerate(cases):
        code, body = await create(alice, f"bad{i}", template)
        assert code == status, (template, code, body)
        assert message in body["message"], (template, body)
        assert not (jp_root_dir / f"bad{i}.ipynb").exists()
    assert (await alice.ok("GET", "projects"))["total"] == 0

    # An existing notebook is never overwritten.
    (jp_root_dir / "mine.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    before = (jp_root_dir / "mine.ipynb").read_bytes()
    code, body = await create(alice, "mine", {"id": "explore_dataset", "parameters": good}, "mine.ipynb")
    assert code == 409 and "already exists" in body["message"], body
    assert (jp_root_dir / "mine.ipynb").read_bytes() == before

    # Bob cannot build on Alice's private dataset.
    code, body = await create(bob, "bobs", {"id": "explore_dataset", "parameters": good})
    assert code == 404, body
    assert not (jp_root_dir / "bobs.ipynb").exists()


async def test_configured_template_directory(jp_fetch, jp_root_dir):
    alice = As(jp_fetch, "alice")
    ds = await upload_as(jp_fetch, "alice", wine(), "wine.csv")
    code, project = await create(alice, "team", {"id": "team_report", "parameters": {"data": ds["id"], "N": 7}})
    assert code == 201, project
    nb = nbformat.read(jp_root_dir / "team.ipynb", as_version=4)
    assert nb.cells[0].source == ("import notebook_dag\ndata = notebook_dag.load('wine.csv')  # set on creation\n"
                                  "N = 7")
    run = await alice.run(project["id"], timeout=300)
    assert run["status"] == "succeeded", run
    assert stdout_of(next(b for b in run["blocks"] if b["block_id"] == nb.cells[1].id)) == "178 7\n"

    code, project = await create(alice, "scratch", {"id": "scratch"})
    assert code == 201, project
    assert [c.source for c in nbformat.read(jp_root_dir / "scratch.ipynb", as_version=4).cells] == [
        "# Scratch pad\n\nfree-form", "x = 1"]
