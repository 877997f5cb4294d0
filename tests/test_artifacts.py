"""Artifacts (#16): the files a run's blocks create or change beside the notebook are
recorded with the run (path, size, SHA-256, MIME type, writing block), listed by
``GET /runs/{id}/artifacts``, linked block → file → block in the DAG document, and a
file changed or deleted outside the run makes its readers stale. Real server, real
kernels, real SQLite."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from datetime import datetime, timedelta, timezone

import pytest
from conftest import blocks_by_id, stdout_of, write_notebook
from identity import As, named_users_config

from notebook_dag.artifacts.scan import Snapshot, attribute, changed, snapshot


@pytest.fixture
def jp_server_config(db_url):
    return named_users_config(db_url)


CELLS = [
    "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nimport pandas as pd",
    ("df = pd.DataFrame({'a': [1, 2, 3]})\nfig, ax = plt.subplots()\nax.plot(df['a'])\n"
     "fig.savefig('fig.png')\ndf.to_csv('out.csv', index=False)"),
    "back = pd.read_csv('out.csv')\nprint('sum', back['a'].sum())",
]


async def run(user: As, pid: str, timeout: float = 120, **body) -> dict:
    started = await user.ok("POST", f"projects/{pid}/runs", body or {"mode": "all"}, expect=202)
    deadline = time.monotonic() + timeout
    while True:
        r = await user.ok("GET", f"runs/{started['id']}")
        if r["status"] not in ("queued", "running"):
            return r
        assert time.monotonic() < deadline, r
        await asyncio.sleep(0.1)


async def states(user: As, pid: str) -> dict[str, str]:
    dag = await user.ok("GET", f"projects/{pid}/dag")
    return {n["id"]: n["state"] for n in dag["nodes"] if n["cell_type"] == "code"}


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_run_records_the_figure_and_csv_a_block_saved(alice, bob, jp_root_dir):
    write_notebook(jp_root_dir, "art/nb.ipynb", CELLS)
    (jp_root_dir / "art" / "untouched.txt").write_text("here before the run")
    p = (await alice.ok("POST", "projects", {"name": "a", "notebook_path": "art/nb.ipynb"}, expect=201))
    r = await run(alice, p["id"])
    assert r["status"] == "succeeded", r["reason"]
    assert stdout_of(blocks_by_id(r)["c2"]) == "sum 6\n"

    out = await alice.ok("GET", f"runs/{r['id']}/artifacts")
    by = {a["path"]: a for a in out["artifacts"]}
    assert sorted(by) == ["art/fig.png", "art/out.csv"], "the notebook and the file already there are no artifacts"
    png, csv = by["art/fig.png"], by["art/out.csv"]
    assert png["sha256"] == sha256(jp_root_dir / "art" / "fig.png")
    assert csv["sha256"] == sha256(jp_root_dir / "art" / "out.csv")
    assert png["size"] == os.path.getsize(jp_root_dir / "art" / "fig.png") and png["size"] > 0
    assert (png["mime"], csv["mime"]) == ("image/png", "text/csv")
    assert png["block_id"] == csv["block_id"] == "c1" and png["note"] is None
    assert png["change"] == "created" and png["name"] == "fig.png"
    # the files are served by the contents manager at that path (the node panel opens them there)
    assert (await alice.ok("GET", f"runs/{r['id']}/artifacts", block_id="c2"))["artifacts"] == []
    assert len((await alice.ok("GET", f"runs/{r['id']}/artifacts", block_id="c1"))["artifacts"]) == 2

    # history stays light: no artifacts in it; other users see nothing of the run
    history = await alice.ok("GET", f"projects/{p['id']}/runs")
    assert "artifacts" not in history["runs"][0]
    assert (await bob.call("GET", f"runs/{r['id']}/artifacts"))[0] == 404
    assert (await alice.call("GET", "runs/nosuchrun/artifacts"))[0] == 404

    # a second run rewrites both files: recorded again as modified, with the new hashes
    (jp_root_dir / "art" / "out.csv").write_text("a\n9\n")
    again = await run(alice, p["id"], mode="all", force=True)
    arts = {a["path"]: a for a in (await alice.ok("GET", f"runs/{again['id']}/artifacts"))["artifacts"]}
    assert arts["art/out.csv"]["change"] == "modified"
    assert arts["art/out.csv"]["sha256"] == sha256(jp_root_dir / "art" / "out.csv")


async def test_lineage_and_a_file_changed_outside_the_run_makes_its_reader_stale(alice, jp_root_dir):
    write_notebook(jp_root_dir, "lin.ipynb", CELLS)
    p = await alice.ok("POST", "projects", {"name": "l", "notebook_path": "lin.ipynb"}, expect=201)
    pid = p["id"]
    r = await run(alice, pid)
    assert r["status"] == "succeeded", r["reason"]

    dag = await alice.ok("GET", f"projects/{pid}/dag", artifacts="true")
    files = {n["id"]: n for n in dag["nodes"] if n.get("kind") == "file"}
    assert set(files) == {"file:out.csv", "file:fig.png"}
    assert files["file:out.csv"]["sha256"] == sha256(jp_root_dir / "out.csv")
    assert files["file:out.csv"]["run_id"] == r["id"] and files["file:out.csv"]["block_id"] == "c1"
    edges = {(e["source"], e["target"], e["kind"]) for e in dag["edges"] if e["kind"] in ("reads", "writes")}
    assert edges == {("c1", "file:out.csv", "writes"), ("file:out.csv", "c2", "reads"), ("c1", "file:fig.png", "writes")}
    plain = await alice.ok("GET", f"projects/{pid}/dag")
    assert all(n.get("kind") != "file" for n in plain["nodes"]), "only with artifacts=true"
    both = await alice.ok("GET", f"projects/{pid}/dag", artifacts="true", datasets="true")
    assert {n["id"] for n in both["nodes"] if n.get("kind") == "file"} == set(files)

    assert set((await states(alice, pid)).values()) == {"up_to_date"}
    # changed outside the run: its reader is stale, its writer is not
    (jp_root_dir / "out.csv").write_text("a\n10\n20\n")
    s = await states(alice, pid)
    assert s == {"c0": "up_to_date", "c1": "up_to_date", "c2": "stale"}, s
    stale = await run(alice, pid, mode="stale")
    assert [b["block_id"] for b in stale["blocks"] if b["status"] == "succeeded"] == ["c2"]
    assert stdout_of(blocks_by_id(stale)["c2"]) == "sum 30\n", "the reader read the changed file"
    assert set((await states(alice, pid)).values()) == {"up_to_date"}

    # deleted outside the run: stale again; a full run writes it anew and all is up to date
    (jp_root_dir / "out.csv").unlink()
    assert (await states(alice, pid))["c2"] == "stale"
    full = await run(alice, pid, mode="all", force=True)
    assert full["status"] == "succeeded"
    assert stdout_of(blocks_by_id(full)["c2"]) == "sum 6\n"
    # the run wrote the file anew and recorded it: c2 ran with the fingerprint it has now
    assert set((await states(alice, pid)).values()) == {"up_to_date"}


async def test_parallel_blocks_writing_at_once_leave_the_file_on_the_run(alice, jp_root_dir):
    write_notebook(jp_root_dir, "par.ipynb", [
        "import time\ntime.sleep(0.5)\nopen('left.txt', 'w').write('l')\ntime.sleep(1.5)",
        "import time as t2\nt2.sleep(0.5)\nopen('right.txt', 'w').write('r')\nt2.sleep(1.5)",
    ])
    p = await alice.ok("POST", "projects", {"name": "p", "notebook_path": "par.ipynb"}, expect=201)
    r = await run(alice, p["id"], mode="all", max_parallel=2, timeout=180)
    assert r["status"] == "succeeded", r["reason"]
    kernels = {b["kernel"] for b in r["blocks"]}
    arts = (await alice.ok("GET", f"runs/{r['id']}/artifacts"))["artifacts"]
    assert sorted(a["path"] for a in arts) == ["left.txt", "right.txt"]
    assert len(kernels) == 2, "the two blocks ran on two kernels"
    spans = {b["block_id"]: (datetime.fromisoformat(b["started_at"]), datetime.fromisoformat(b["finished_at"]))
             for b in r["blocks"]}
    ambiguous = 0
    for a in arts:
        m = os.stat(jp_root_dir / a["path"]).st_mtime_ns / 1e9
        running = [b for b, (s0, f0) in spans.items() if s0.timestamp() <= m <= f0.timestamp()]
        if len(running) == 2:  # both blocks were running when it was written: the writer cannot be told
            ambiguous += 1
            assert a["block_id"] is None and "parallel" in a["note"], a
        else:
            assert a["block_id"] == {"left.txt": "c0", "right.txt": "c1"}[a["path"]], a
    assert ambiguous, "the blocks overlapped by about 1.5 s, around both writes"


# -- the pure parts -------------------------------------------------------------------
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def ns(seconds: float) -> int:
    return int((T0 + timedelta(seconds=seconds)).timestamp() * 1e9)


def test_attribution_by_execution_interval():
    seq = {"a": (T0, T0 + timedelta(seconds=1)), "b": (T0 + timedelta(seconds=1.001), T0 + timedelta(seconds=2))}
    assert attribute(ns(0.5), seq) == ("a", None)
    assert attribute(ns(1.5), seq) == ("b", None)
    block, why = attribute(ns(5), seq)
    assert block is None and "none of its blocks" in why
    assert attribute(ns(2.01), seq, slack=0.02) == ("b", None), "coarse timestamps: the only block within the slack"
    par = {"a": (T0, T0 + timedelta(seconds=2)), "b": (T0 + timedelta(seconds=1), T0 + timedelta(seconds=3))}
    assert attribute(ns(0.5), par) == ("a", None)
    block, why = attribute(ns(1.5), par)
    assert block is None and "parallel" in why


def test_snapshot_is_bounded_and_skips_hidden_and_configured_dirs(tmp_path):
    for rel in ["a.txt", "sub/b.txt", ".hidden/c.txt", "__pycache__/d.pyc", "store/e.bin", "x/y/z/deep.txt"]:
        f = tmp_path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(rel)
    snap = snapshot(str(tmp_path), max_files=100, max_depth=3, skip_dirs=["__pycache__"],
                    skip_paths=[str(tmp_path / "store")])
    assert sorted(snap.files) == ["a.txt", "sub/b.txt"] and snap.complete
    small = snapshot(str(tmp_path), max_files=1, max_depth=3)
    assert len(small.files) == 1 and not small.complete
    before = Snapshot({"a.txt": (1, 1), "gone.txt": (1, 1)})
    after = Snapshot({"a.txt": (1, 2), "new.txt": (3, 5)})
    assert changed(before, after) == [("a.txt", (1, 2), "modified"), ("new.txt", (3, 5), "created")]
    # past the first snapshot's limit a file counts only when modified after the run started
    assert changed(Snapshot({}, complete=False), after, since_ns=4) == [("new.txt", (3, 5), "created")]
