"""Incremental runs on real kernels, one minimal notebook per class of failure: after an
edit, ``mode: "stale"`` (and upstream/downstream) leave every cell's latest outputs and
the kernel's variables as a fresh top-to-bottom run would."""

from __future__ import annotations

import io

import pandas as pd

from conftest import blocks_by_id, stdout_of, write_notebook
from datasets_helpers import upload


def executed(run: dict) -> list[str]:
    return [b["block_id"] for b in run["blocks"] if b["status"] == "succeeded"]


async def states(api, pid: str) -> dict[str, str]:
    dag = await api.ok("GET", f"projects/{pid}/dag")
    return {n["id"]: n["state"] for n in dag["nodes"] if n["cell_type"] == "code"}


async def edit(api, pid: str, cid: str, source: str) -> None:
    await api.ok("PATCH", f"projects/{pid}/blocks/{cid}", {"source": source})


async def test_write_after_read_reads_the_reaching_definition(api, jp_root_dir):
    write_notebook(jp_root_dir, "war.ipynb", [
        "df = list(range(-5, 5))",
        "row = df[7]",
        "print('row', row)",
        "df = [x for x in df if x > 0]",
        "print('len', len(df))",
    ])
    p = await api.project("war.ipynb")
    assert (await api.run(p["id"]))["status"] == "succeeded"
    await edit(api, p["id"], "c1", "row = df[8]")
    run = await api.run(p["id"], mode="stale")
    assert run["status"] == "succeeded", run["reason"]
    by = blocks_by_id(run)
    assert stdout_of(by["c2"]) == "row 3\n", "c1 read the df of c0, not c3's filtered one (IndexError)"
    assert executed(run) == ["c0", "c1", "c2", "c3"], "c4's inputs did not change"
    assert set((await states(api, p["id"])).values()) == {"up_to_date"}
    check = await api.run(p["id"], mode="downstream", block_id="c3", force=True)
    assert stdout_of(blocks_by_id(check)["c4"]) == "len 4\n", "the kernel's df ends as c3 leaves it"


async def test_non_idempotent_mutation_is_applied_once(api, jp_root_dir):
    write_notebook(jp_root_dir, "mut.ipynb", ["vals = [1, 2]", "vals.append(3)", "print(vals)"])
    p = await api.project("mut.ipynb")
    await api.run(p["id"])
    await edit(api, p["id"], "c1", "vals.append(4)")
    run = await api.run(p["id"], mode="stale")
    assert stdout_of(blocks_by_id(run)["c2"]) == "[1, 2, 4]\n"
    # downstream of the mutator with force: it must not append to its own result
    again = await api.run(p["id"], mode="downstream", block_id="c1", force=True)
    assert stdout_of(blocks_by_id(again)["c2"]) == "[1, 2, 4]\n"
    assert executed(again) == ["c0", "c1", "c2"]
    assert "vals" in blocks_by_id(again)["c0"]["note"]


async def test_seeded_rng_draws_are_those_of_a_fresh_run(api, jp_root_dir):
    cells = [
        "import numpy as np\nnp.random.seed(0)",
        "a = np.random.normal(size=2)\nprint(a.round(6))",
        "b = np.random.normal(size=2)\nprint(b.round(6))",
        "c = np.random.normal(size=2)\nprint(c.round(6))",
    ]
    write_notebook(jp_root_dir, "rng.ipynb", cells)
    p = await api.project("rng.ipynb")
    first = blocks_by_id(await api.run(p["id"]))
    await edit(api, p["id"], "c2", cells[2] + "\n# edited")
    run = blocks_by_id(await api.run(p["id"], mode="stale"))
    assert stdout_of(run["c2"]) == stdout_of(first["c2"]) and stdout_of(run["c3"]) == stdout_of(first["c3"])


async def test_configuration_set_later_is_reset_or_the_project_kernel_restarts(api, jp_root_dir):
    write_notebook(jp_root_dir, "cfg.ipynb", [
        "import numpy as np",
        "x = np.array([1.123456789])\nprint(x)",
        "np.set_printoptions(precision=2)",
        "print(x)",
    ])
    p = await api.project("cfg.ipynb")
    first = blocks_by_id(await api.run(p["id"]))
    assert stdout_of(first["c1"]) == "[1.12345679]\n" and stdout_of(first["c3"]) == "[1.12]\n"
    await edit(api, p["id"], "c1", "x = np.array([1.123456789])\nprint(x)\n# edited")
    run = await api.run(p["id"], mode="stale")
    by = blocks_by_id(run)
    assert stdout_of(by["c1"]) == "[1.12345679]\n", "c1 printed with the precision a later cell set"
    assert executed(run) == ["c1", "c2", "c3"], "numpy's defaults are restored in place, no restart"
    assert set((await states(api, p["id"])).values()) == {"up_to_date"}

    # a warning filter set later cannot be undone in place: the project kernel restarts
    write_notebook(jp_root_dir, "warn.ipynb", [
        "import warnings",
        "warnings.warn('careful')",
        "warnings.simplefilter('ignore')",
        "print('end')",
    ])
    w = await api.project("warn.ipynb")
    await api.run(w["id"])
    await edit(api, w["id"], "c1", "warnings.warn('careful!')")
    by = blocks_by_id(await api.run(w["id"], mode="stale"))
    assert "careful!" in by["c1"]["outputs"][0]["text"], "the warning is shown, as in a fresh run"
    assert "restarted" in by["c0"]["note"] and "<config:warnings>" in by["c0"]["note"]
    assert set((await states(api, w["id"])).values()) == {"up_to_date"}


async def test_a_new_dataset_version_makes_exactly_its_readers_stale(api, jp_root_dir):
    def csv(n: int) -> bytes:
        buf = io.StringIO()
        pd.DataFrame({"amount": list(range(n))}).to_csv(buf, index=False)
        return buf.getvalue().encode()

    await upload(api, csv(3), "sales")
    write_notebook(jp_root_dir, "ds.ipynb", [
        "import notebook_dag\nsales = notebook_dag.load('sales')",
        "print('total', sales.amount.sum())",
        "other = 1\nprint(other)",
    ])
    p = await api.project("ds.ipynb")
    first = blocks_by_id(await api.run(p["id"]))
    assert stdout_of(first["c1"]) == "total 3\n"
    assert set((await states(api, p["id"])).values()) == {"up_to_date"}
    await upload(api, csv(5), "sales")  # version 2 becomes current
    assert await states(api, p["id"]) == {"c0": "stale", "c1": "stale", "c2": "up_to_date"}
    run = await api.run(p["id"], mode="stale")
    assert executed(run) == ["c0", "c1"] and stdout_of(blocks_by_id(run)["c1"]) == "total 10\n"


async def test_a_changed_file_or_local_module_makes_its_readers_stale(api, jp_root_dir):
    (jp_root_dir / "data.csv").write_text("x\n1\n2\n")
    (jp_root_dir / "helpers.py").write_text("def scale(v):\n    return v * 10\n")
    write_notebook(jp_root_dir, "files.ipynb", [
        "import pandas as pd\nimport helpers",
        "df = pd.read_csv('data.csv')",
        "print('sum', df.x.sum())",
        "print('scaled', helpers.scale(2))",
        "print('free')",
    ])
    p = await api.project("files.ipynb")
    await api.run(p["id"])
    assert set((await states(api, p["id"])).values()) == {"up_to_date"}

    (jp_root_dir / "data.csv").write_text("x\n1\n2\n3\n")
    assert {k for k, v in (await states(api, p["id"])).items() if v == "stale"} == {"c1", "c2"}
    run = await api.run(p["id"], mode="stale")
    assert executed(run) == ["c1", "c2"] and stdout_of(blocks_by_id(run)["c2"]) == "sum 6\n"

    (jp_root_dir / "helpers.py").write_text("def scale(v):\n    return v * 100\n")
    # only the importer and the cell calling the module; c1 and c2 use pandas, not helpers
    assert {k for k, v in (await states(api, p["id"])).items() if v == "stale"} == {"c0", "c3"}
    run = await api.run(p["id"], mode="stale")
    assert stdout_of(blocks_by_id(run)["c3"]) == "scaled 200\n", "the edited module is imported afresh"
    assert set((await states(api, p["id"])).values()) == {"up_to_date"}


async def test_stale_run_in_parallel_repairs_like_a_sequential_one(api, jp_root_dir):
    write_notebook(jp_root_dir, "par.ipynb", [
        "vals = [1, 2]\nbase = 10",
        "vals.append(3)",
        "left = base + 1\nprint('left', left)",
        "right = base + 2\nprint('right', right)",
        "print(vals, left + right)",
    ])
    p = await api.project("par.ipynb")
    await api.run(p["id"], max_parallel=2)
    await edit(api, p["id"], "c1", "vals.append(4)")
    run = await api.run(p["id"], mode="stale", max_parallel=2)
    assert run["status"] == "succeeded", run["reason"]
    assert stdout_of(blocks_by_id(run)["c4"]) == "[1, 2, 4] 23\n"
    assert set(executed(run)) == {"c0", "c1", "c4"}, "c2 and c3 read only base, which did not change"


async def test_re_drawn_figures_open_on_an_empty_figure_registry(api, jp_root_dir, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")  # figures stay open between cells, as in scripts
    write_notebook(jp_root_dir, "fig.ipynb", [
        "import matplotlib.pyplot as plt",
        "fig = plt.figure()\nplt.plot([1, 2])",
        "print('open', len(plt.get_fignums()))",
        "print('unrelated')",
    ])
    p = await api.project("fig.ipynb")
    first = blocks_by_id(await api.run(p["id"]))
    assert stdout_of(first["c2"]) == "open 1\n"
    await edit(api, p["id"], "c1", "fig = plt.figure()\nplt.plot([1, 3])")
    run = await api.run(p["id"], mode="stale")
    assert executed(run) == ["c1", "c2"] and stdout_of(blocks_by_id(run)["c2"]) == "open 1\n"
