"""Edges and the DAG through the REST API: inference, manual edges, cycles, dangling edges."""

from __future__ import annotations

import nbformat

from conftest import write_notebook

SOURCES = [
    ("markdown", "# Demo"),
    "import math\nx = 2",          # c1
    "y = x * 3",                   # c2
    "z = math.sqrt(x)",            # c3
    "print(y, z)",                 # c4
    "w = 10",                      # c5 independent
]


async def _project(api, root, sources=SOURCES, name="dag.ipynb"):
    write_notebook(root, name, sources)
    return await api.project(name)


async def test_dag_inferred_edges_and_order(api, jp_root_dir):
    p = await _project(api, jp_root_dir)
    dag = await api.ok("GET", f"projects/{p['id']}/dag")
    assert [n["id"] for n in dag["nodes"]] == ["c0", "c1", "c2", "c3", "c4", "c5"]
    edges = {(e["source"], e["target"]): e for e in dag["edges"]}
    assert edges[("c1", "c2")]["names"] == ["x"] and edges[("c1", "c2")]["kind"] == "inferred"
    assert set(edges[("c1", "c3")]["names"]) == {"math", "x"}
    assert ("c2", "c4") in edges and ("c3", "c4") in edges
    assert not any("c5" in k for k in edges), "an independent cell has no edges"
    assert dag["order"] == ["c0", "c1", "c2", "c3", "c4", "c5"]
    node = {n["id"]: n for n in dag["nodes"]}
    assert node["c1"]["defines"] == ["math", "x"] and node["c4"]["reads"] == ["y", "z"]
    assert node["c0"]["title"] == "Demo" and node["c0"]["cell_type"] == "markdown"


async def test_manual_edges_cycles_and_errors(api, jp_root_dir):
    p = await _project(api, jp_root_dir)
    base = f"projects/{p['id']}/edges"
    e = await api.ok("POST", base, {"source": "c5", "target": "c2"}, expect=201)
    assert e["kind"] == "manual" and e["id"]
    listed = (await api.ok("GET", base))["edges"]
    assert any(x["id"] == e["id"] for x in listed) and any(x["kind"] == "inferred" for x in listed)
    dag = await api.ok("GET", f"projects/{p['id']}/dag")
    assert dag["order"].index("c5") < dag["order"].index("c2"), "a manual edge reorders the topological order"

    code, body = await api.call("POST", base, {"source": "c4", "target": "c1"})
    assert code == 409 and body["reason"] == "cycle"
    assert body["cycle"][0] == "c4" and body["cycle"][-1] == "c4" and "c1" in body["cycle"]
    code, body = await api.call("POST", base, {"source": "c2", "target": "c2"})
    assert code == 409 and body["cycle"] == ["c2", "c2"]
    code, body = await api.call("POST", base, {"source": "c5", "target": "c2"})
    assert code == 409 and body["reason"] == "conflict"
    code, body = await api.call("POST", base, {"source": "nope", "target": "c2"})
    assert code == 404 and "nope" in body["message"]
    assert (await api.call("POST", base, {"source": "c1"}))[0] == 422
    assert (await api.call("DELETE", f"{base}/unknown"))[0] == 404

    await api.ok("DELETE", f"{base}/{e['id']}", expect=204)
    assert not any(x["kind"] == "manual" for x in (await api.ok("GET", base))["edges"])


async def test_dangling_manual_edges_are_dropped_and_reported(api, jp_root_dir):
    p = await _project(api, jp_root_dir)
    e = await api.ok("POST", f"projects/{p['id']}/edges", {"source": "c5", "target": "c4"}, expect=201)
    # the notebook is edited outside notebook_dag: cell c5 disappears
    path = jp_root_dir / "dag.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if c.id != "c5"]
    nbformat.write(nb, path)
    dag = await api.ok("GET", f"projects/{p['id']}/dag")
    assert [d["id"] for d in dag["dropped"]] == [e["id"]]
    assert all(x["id"] != e["id"] for x in dag["edges"])
    again = await api.ok("GET", f"projects/{p['id']}/edges")
    assert again["dropped"] == [], "a dropped edge is deleted, reported once"


async def test_a_manual_edge_an_edit_turns_into_a_cycle_is_left_out_and_reported(api, jp_root_dir):
    p = await _project(api, jp_root_dir)
    e = await api.ok("POST", f"projects/{p['id']}/edges", {"source": "c5", "target": "c2"}, expect=201)
    # c5 now reads y, which c2 defines: the inferred c2 -> c5 and the manual c5 -> c2 disagree
    await api.ok("PATCH", f"projects/{p['id']}/blocks/c5", {"source": "w = y + 10"})
    dag = await api.ok("GET", f"projects/{p['id']}/dag")
    assert [c["id"] for c in dag["conflicting"]] == [e["id"]]
    assert dag["conflicting"][0]["cycle"] == ["c5", "c2", "c5"]
    assert all(x.get("id") != e["id"] for x in dag["edges"]), "the conflicting edge is not in the DAG"
    assert dag["order"].index("c2") < dag["order"].index("c5")
    run = await api.run(p["id"])
    assert run["status"] == "succeeded", run
    order = [b["block_id"] for b in run["blocks"]]
    assert order.index("c2") < order.index("c5")
    # it stays stored (and listed) until the user deletes it
    listed = await api.ok("GET", f"projects/{p['id']}/edges")
    assert [c["id"] for c in listed["conflicting"]] == [e["id"]]
    await api.ok("DELETE", f"projects/{p['id']}/edges/{e['id']}", expect=204)
    assert (await api.ok("GET", f"projects/{p['id']}/dag"))["conflicting"] == []


async def test_deleting_a_block_removes_its_edges(api, jp_root_dir):
    p = await _project(api, jp_root_dir)
    await api.ok("POST", f"projects/{p['id']}/edges", {"source": "c5", "target": "c4"}, expect=201)
    await api.ok("DELETE", f"projects/{p['id']}/blocks/c5", expect=204)
    edges = await api.ok("GET", f"projects/{p['id']}/edges")
    assert not any(x["kind"] == "manual" for x in edges["edges"]) and edges["dropped"] == []


async def test_magics_and_syntax_errors_do_not_break_the_dag(api, jp_root_dir):
    p = await _project(api, jp_root_dir, ["%matplotlib inline\nimport os", "!ls\nfiles = os.listdir('.')", "def broken(:\n  pass", "print(files)"], "m.ipynb")
    dag = await api.ok("GET", f"projects/{p['id']}/dag")
    edges = {(e["source"], e["target"]) for e in dag["edges"]}
    assert ("c0", "c1") in edges and ("c1", "c3") in edges
    assert {n["id"]: n for n in dag["nodes"]}["c2"]["parse_error"]


async def test_hide_and_accept_inferred_edges(api, jp_root_dir):
    p = await _project(api, jp_root_dir)
    base = f"projects/{p['id']}/edges"
    hidden = await api.ok("POST", f"{base}/hidden", {"source": "c1", "target": "c2"}, expect=201)
    assert hidden["kind"] == "hidden" and hidden["names"] == ["x"]
    dag = await api.ok("GET", f"projects/{p['id']}/dag")
    assert ("c1", "c2") not in {(e["source"], e["target"]) for e in dag["edges"]}
    assert [(e["source"], e["target"]) for e in dag["hidden"]] == [("c1", "c2")]
    run = await api.run(p["id"], mode="upstream", block_id="c2")
    assert [b["block_id"] for b in run["blocks"]] == ["c2"], "a hidden edge no longer pulls its upstream"
    assert (await api.call("POST", f"{base}/hidden", {"source": "c1", "target": "c2"}))[0] == 409
    assert (await api.call("POST", f"{base}/hidden", {"source": "c5", "target": "c2"}))[0] == 404

    # accepting it as a manual edge shows it again, for good
    manual = await api.ok("POST", base, {"source": "c1", "target": "c2"}, expect=201)
    edges = await api.ok("GET", base)
    assert edges["hidden"] == [] and any(e["id"] == manual["id"] for e in edges["edges"])

    again = await api.ok("POST", f"{base}/hidden", {"source": "c1", "target": "c3"}, expect=201)
    await api.ok("DELETE", f"{base}/{again['id']}", expect=204)
    assert (await api.ok("GET", base))["hidden"] == []


async def test_duplicate_project_and_bulk_positions(api, jp_root_dir):
    p = await _project(api, jp_root_dir)
    await api.ok("POST", f"projects/{p['id']}/edges", {"source": "c5", "target": "c4"}, expect=201)
    blocks = await api.ok("PUT", f"projects/{p['id']}/positions", {"positions": {"c1": {"x": 1, "y": 2}, "c2": {"x": 3.5, "y": 4}}})
    pos = {b["id"]: b["position"] for b in blocks["blocks"]}
    assert pos["c1"] == {"x": 1, "y": 2} and pos["c3"] is None
    code, body = await api.call("PUT", f"projects/{p['id']}/positions", {"positions": {"zz": {"x": 0, "y": 0}}})
    assert code == 404 and body["block_ids"] == ["zz"]

    copy = await api.ok("POST", f"projects/{p['id']}/duplicate", {"name": "copy"}, expect=201)
    assert copy["name"] == "copy" and copy["notebook_path"] != p["notebook_path"]
    assert (jp_root_dir / copy["notebook_path"]).exists() and (jp_root_dir / p["notebook_path"]).exists()
    dag = await api.ok("GET", f"projects/{copy['id']}/dag")
    assert any(e["kind"] == "manual" and (e["source"], e["target"]) == ("c5", "c4") for e in dag["edges"])
    assert {n["id"]: n["position"] for n in dag["nodes"]}["c2"] == {"x": 3.5, "y": 4}
    other = await api.ok("POST", f"projects/{p['id']}/duplicate", {"notebook_path": "copies.ipynb"}, expect=201)
    assert other["notebook_path"] == "copies.ipynb" and other["name"].endswith("(copy)")
    assert (await api.call("POST", f"projects/{p['id']}/duplicate", {"notebook_path": "copies.ipynb"}))[0] == 409
    assert (await api.call("POST", "projects/nope/duplicate", {}))[0] == 404
