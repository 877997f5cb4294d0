"""Parallel runs (:mod:`notebook_dag.parallel`) on real kernels, no server needed
(jupyter_client's AsyncMultiKernelManager through ``LocalKernels``).

Focused tests on small notebooks, then the corpus: every real notebook of
``.cache/corpus`` is run in parallel with ``max_parallel`` 2 and with 4. Outputs must match the
top-to-bottom reference (``compare.py``, stderr ignored, the manifest's unstable cells
skipped, elapsed times masked), and the project kernel's final namespace must match a
sequential run's for every name the notebook binds: fingerprints (:data:`FINGERPRINT`
says what is compared per type) of two sequential :class:`~notebook_dag.engine.Engine`
runs give the reference, and the names on which those two runs already disagree (clocks,
unseeded RNGs) are left out, like the manifest's unstable cells. The reference is cached
in ``.cache/parallel-namespaces`` (per notebook, package versions and fingerprint
definition); the first run of the file builds it (a few minutes).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from pathlib import Path

import nbformat
import pytest

from corpus import CORPUS, ROOT, compare_module, items
from notebook_dag.dag import build_dag, plan_blocks
from notebook_dag.engine import Engine
from notebook_dag.inference import analyze_cell
from notebook_dag.parallel import LocalKernels, ParallelEngine, WorkerPool
from notebook_dag.parallel.kernels import KernelSlot, ready_client


#: Kernel-side fingerprint of a value, compared between the sequential and the parallel
#: kernel. Exact wherever the value is data: floats by their bits (``float.hex``, NaN
#: equal to NaN), arrays by dtype, shape and a hash of their bytes, pandas objects by
#: dtypes, labels and ``hash_pandas_object``, RNGs by their state, containers and plain
#: objects (estimators, fitted results) recursively by their ``__dict__`` (depth 6,
#: first 200 items) except ``_cache`` (statsmodels' memo of lazily computed results,
#: filled by reads through whichever alias). Code objects by module, qualified name and bytecode. matplotlib
#: objects by type only (process-bound, never handed over). Otherwise type + repr with
#: addresses masked.
FINGERPRINT = r'''
def _fp_all(names):
    import hashlib, json, math, re, types
    try:
        import numpy as np
    except ImportError:
        np = None
    try:
        import pandas as pd
    except ImportError:
        pd = None
    ns = get_ipython().user_ns
    addr = re.compile(r"0x[0-9a-fA-F]{6,}")
    def h(b):
        return hashlib.sha256(b).hexdigest()[:16]
    def fp(v, depth, seen):
        t = type(v)
        tn = f"{t.__module__}.{t.__qualname__}"
        if v is None or isinstance(v, (bool, int, str, bytes)):
            r = repr(v)
            return [tn, r if len(r) < 200 else h(r.encode())]
        if isinstance(v, float):
            return [tn, "nan" if math.isnan(v) else v.hex()]
        if isinstance(v, complex):
            return [tn, fp(v.real, depth, seen), fp(v.imag, depth, seen)]
        if isinstance(v, types.ModuleType):
            return ["module", v.__name__]
        if isinstance(v, (types.FunctionType, types.MethodType)):
            f = getattr(v, "__func__", v)
            return [tn, f.__module__, f.__qualname__, h(f.__code__.co_code)]
        if isinstance(v, type):
            return [tn, v.__module__, v.__qualname__]
        if (tn.split(".")[0]) in ("matplotlib", "seaborn"):
            return [tn]
        if id(v) in seen:
            return [tn, "<cycle>"]
        if depth > 6:
            return [tn, "<deep>"]
        seen = seen | {id(v)}
        if np is not None:
            if isinstance(v, np.ndarray):
                if v.dtype.kind == "O":
                    return [tn, list(v.shape), [fp(x, depth + 1, seen) for x in v.ravel()[:200]]]
                return [tn, v.dtype.str, list(v.shape), h(np.ascontiguousarray(v).tobytes())]
            if isinstance(v, np.generic):
                return [tn, h(np.asarray(v).tobytes())]
            if isinstance(v, np.random.RandomState):
                return [tn, fp(v.get_state(), depth + 1, seen)]
            if isinstance(v, np.random.Generator):
                return [tn, repr(v.bit_generator.state)]
        if pd is not None and isinstance(v, (pd.DataFrame, pd.Series, pd.Index)):
            dtypes = [str(x) for x in v.dtypes] if isinstance(v, pd.DataFrame) else [str(v.dtype)]
            cols = [repr(c) for c in v.columns] if isinstance(v, pd.DataFrame) else repr(getattr(v, "name", None))
            try:
                data = h(pd.util.hash_pandas_object(v, index=not isinstance(v, pd.Index)).to_numpy().tobytes())
            except TypeError:
                data = fp(v.to_numpy().tolist(), depth + 1, seen)
            return [tn, list(v.shape), dtypes, cols, data]
        if isinstance(v, (list, tuple)):
            return [tn, len(v), [fp(x, depth + 1, seen) for x in v[:200]]]
        if isinstance(v, dict):
            items = sorted(v.items(), key=lambda kv: repr(kv[0]))[:200]
            return [tn, len(v), [[repr(k), fp(x, depth + 1, seen)] for k, x in items]]
        if isinstance(v, (set, frozenset)):
            return [tn, sorted(repr(x) for x in v)[:200]]
        d = getattr(v, "__dict__", None)
        if isinstance(d, dict) and d:
            return [tn, fp({k: x for k, x in d.items() if k != "_cache"}, depth + 1, seen)]
        return [tn, addr.sub("0xADDR", repr(v))[:500]]
    out = {}
    for n in names:
        if n not in ns:
            out[n] = None
            continue
        try:
            out[n] = fp(ns[n], 0, frozenset())
        except Exception as e:
            out[n] = ["unfingerprintable", type(ns[n]).__name__, str(e)[:100]]
    __import__("_notebook_dag_handover").LAST = json.dumps(out)
'''


def notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for i, src in enumerate(sources):
        cell = nbformat.v4.new_code_cell(src)
        cell["id"] = f"c{i}"
        nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def defined_names(nb) -> list[str]:
    names: set[str] = set()
    for c in nb.cells:
        if c.cell_type == "code":
            names |= analyze_cell(str(c.source)).defines
    return sorted(n for n in names if not n.startswith("_"))


class Collect:
    """Listener keeping results and the order of calls."""

    def __init__(self) -> None:
        self.results: dict[str, object] = {}
        self.started: dict[str, float] = {}
        self.calls: list[tuple[str, str]] = []
        self.event = asyncio.Event()

    async def block_started(self, block_id: str) -> None:
        self.started[block_id] = time.monotonic()
        self.calls.append(("started", block_id))
        self.event.set()

    async def block_finished(self, block_id: str, result) -> None:
        self.results[block_id] = result
        self.calls.append(("finished", block_id))

    def outputs(self, block_id: str) -> str:
        out = []
        for o in self.results[block_id].outputs:
            out.append("".join(o.get("text", "")) if o["output_type"] == "stream" else str(o.get("data", {}).get("text/plain", o.get("ename", ""))))
        return "".join(out)


class Kernels:
    """Kernels of one test: a project kernel and a pool, shut down at the end."""

    def __init__(self, cwd: Path, workers: int) -> None:
        self.km = LocalKernels()
        self.cwd = cwd
        self.pool = WorkerPool(self.km, workers, path=str(cwd))
        self.project = None

    async def __aenter__(self) -> Kernels:
        self.project, _ = await asyncio.gather(self.km.start_kernel(path=str(self.cwd)), self.pool.start())
        return self

    async def __aexit__(self, *exc) -> None:
        await self.pool.shutdown()
        await self.km.shutdown_all()

    def engine(self, nb, max_parallel: int = 2, **kw) -> tuple[ParallelEngine, list[str]]:
        dag = build_dag(nb, [])
        return ParallelEngine(self.km, self.project, nb, dag.graph, pool=self.pool, max_parallel=max_parallel, **kw), plan_blocks(dag, "all")

    async def fingerprints(self, names: list[str], kernel_id: str | None = None) -> dict:
        return await fingerprints(self.km, kernel_id or self.project, names)


async def fingerprints(km, kernel_id: str, names: list[str]) -> dict:
    handle = km.get_kernel(kernel_id)
    kc = await ready_client(handle)
    try:
        slot = KernelSlot("check", kernel_id, handle, kc)
        await slot.install("", worker=False)
        await slot.request(FINGERPRINT + f"\n_fp_all({names!r})\ndel _fp_all", result=False)
        return await slot.request("pass")
    finally:
        kc.stop_channels()


def first_difference(a, b, path: str = "") -> str:
    """Where two fingerprints first differ, and how."""
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                key = x[0] if isinstance(x, list) and len(x) == 2 and x[:1] == y[:1] and isinstance(x[0], str) else i
                return first_difference(x, y, f"{path}[{key}]")
    return f"{path}: {str(a)[:300]} != {str(b)[:300]}"


def overlap(a, b) -> bool:
    return a.started_at < b.finished_at and b.started_at < a.finished_at


# -- focused tests ------------------------------------------------------------------------
async def test_diamond_runs_the_middle_blocks_concurrently_and_reuses_workers(tmp_path):
    nb = notebook(
        "import time\nx = 1",
        "time.sleep(1.5)\na = x + 1\nprint('a', a)",
        "time.sleep(1.5)\nb = x + 2\nprint('b', b)",
        "c = a + b\nc",
    )
    async with Kernels(tmp_path, 1) as k:
        ids = [w.kernel_id for w in k.pool.workers]
        engine, plan = k.engine(nb)
        listener = Collect()
        t0 = time.monotonic()
        outcome = await engine.run(plan, listener)
        wall = time.monotonic() - t0
        assert outcome.status == "succeeded", outcome.reason
        r = listener.results
        assert {r["c1"].kernel, r["c2"].kernel} == {"project", "worker-1"}
        assert overlap(r["c1"], r["c2"]), "the two middle blocks did not run at the same time"
        assert wall < 2.9, f"two 1.5 s blocks took {wall:.2f} s on two kernels"
        assert listener.outputs("c3") == "5"
        assert [r[b].execution_count for b in plan] == [1, 2, 3, 4]  # as in a sequential run
        fp = await k.fingerprints(["x", "a", "b", "c"])
        assert fp["a"] == ["builtins.int", "2"] and fp["b"] == ["builtins.int", "3"] and fp["c"] == ["builtins.int", "5"]
        # A second run on the same pool: no kernel started, the worker's namespace was
        # emptied, and values from before the run reach the worker through the prelude.
        nb2 = notebook("d = a * 10\nprint(d)", "e = b * 10\nprint(e)")
        engine, plan = k.engine(nb2, use_project_kernel=False)
        listener = Collect()
        assert (await engine.run(plan, listener)).status == "succeeded"
        assert [w.kernel_id for w in k.pool.workers] == ids
        assert listener.outputs("c0") == "20\n" and listener.outputs("c1") == "30\n"
        fp = await k.fingerprints(["d", "e"])
        assert fp == {"d": ["builtins.int", "20"], "e": ["builtins.int", "30"]}
        # the execution count continues as after a sequential run: 4 cells, then 2
        assert [listener.results[b].execution_count for b in plan] == [5, 6]


async def test_failure_skips_only_its_descendants(tmp_path):
    nb = notebook(
        "x = 1",
        "v = x\nraise ValueError('boom')",
        "y = v + 1\nprint('never')",  # downstream of the failure
        "import time\ntime.sleep(1)\nz = x + 1",  # an independent branch
        "w = z + 1\nprint(w)",
    )
    async with Kernels(tmp_path, 1) as k:
        engine, plan = k.engine(nb)
        listener = Collect()
        outcome = await engine.run(plan, listener)
        r = listener.results
        assert outcome.status == "failed" and "boom" in outcome.reason
        assert r["c1"].status == "failed" and r["c1"].error == "ValueError: boom"
        assert r["c2"].status == "skipped"
        assert r["c3"].status == "succeeded" and r["c4"].status == "succeeded"
        assert listener.outputs("c4") == "3\n"


async def test_cancel_interrupts_every_busy_kernel(tmp_path):
    nb = notebook("import time\nx = 1", "time.sleep(60)\na = x", "time.sleep(60)\nb = x", "c = a + b")
    async with Kernels(tmp_path, 1) as k:
        engine, plan = k.engine(nb)
        listener = Collect()
        task = asyncio.ensure_future(engine.run(plan, listener))
        while not {"c1", "c2"} <= set(listener.started):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        t0 = time.monotonic()
        await engine.cancel()
        outcome = await asyncio.wait_for(task, 20)
        assert time.monotonic() - t0 < 10
        assert outcome.status == "cancelled"
        r = listener.results
        assert r["c1"].status == r["c2"].status == r["c3"].status == "cancelled"
        assert {r["c1"].kernel, r["c2"].kernel} == {"project", "worker-1"}
        # both kernels are usable afterwards
        engine, plan = k.engine(notebook("p = 1", "q = 2"), use_project_kernel=False)
        assert (await engine.run(plan, Collect())).status == "succeeded"


async def test_timeout_fails_the_block_and_the_other_branch_finishes(tmp_path):
    nb = notebook("import time\nx = 1", "time.sleep(60)\na = x", "time.sleep(0.5)\nb = x\nprint('b done')")
    async with Kernels(tmp_path, 1) as k:
        engine, plan = k.engine(nb, timeout=3)
        listener = Collect()
        t0 = time.monotonic()
        outcome = await engine.run(plan, listener)
        assert time.monotonic() - t0 < 15
        r = listener.results
        assert r["c1"].status == "failed" and r["c1"].error == "timed out after 3 s"
        assert r["c2"].status == "succeeded" and listener.outputs("c2") == "b done\n"
        assert outcome.status == "failed"
        engine, plan = k.engine(notebook("p = 1", "q = 2"), use_project_kernel=False)
        assert (await engine.run(plan, Collect())).status == "succeeded"


async def test_unpicklable_values_fall_back_to_the_project_kernel(tmp_path):
    nb = notebook(
        "import threading\nlock = threading.Lock()\ng = (i * i for i in range(5))",
        "print(next(g), next(g))",
        "with lock:\n    print('locked')",
        "vals = [1, 2, 3]\nprint(sum(vals))",
    )
    async with Kernels(tmp_path, 1) as k:
        engine, plan = k.engine(nb, use_project_kernel=False)
        listener = Collect()
        outcome = await engine.run(plan, listener)
        assert outcome.status == "succeeded", outcome.reason
        r = listener.results
        assert r["c0"].kernel == "project" and "cannot be handed over from worker-1" in r["c0"].note
        assert "cannot pickle" in r["c0"].note
        assert engine.stats.fallbacks == ["c0"]
        assert listener.outputs("c1") == "0 1\n" and r["c1"].kernel == "project"
        assert "`g` cannot be handed over" in r["c1"].note or "`lock` cannot be handed over" in r["c1"].note
        assert r["c2"].kernel == "project" and listener.outputs("c2") == "locked\n"
        assert r["c3"].kernel == "worker-1" and r["c3"].note is None
        fp = await k.fingerprints(["vals", "lock", "g"])
        assert fp["vals"][0] == "builtins.list" and fp["lock"] is not None and fp["g"] is not None


async def test_hidden_state_chain_stays_in_the_project_kernel_in_order(tmp_path):
    nb = notebook(
        "import numpy as np\nnp.random.seed(0)",
        "a = np.random.rand(3)\nprint(a.round(6))",
        "w = sum(range(10))\nprint(w)",
        "b = np.random.rand(2)\nprint(b.round(6))",
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nfig, ax = plt.subplots()",
        "ax.set_title('t')\nprint(ax.get_title())",
    )
    async with Kernels(tmp_path, 1) as k:
        engine, plan = k.engine(nb, use_project_kernel=False)
        listener = Collect()
        assert (await engine.run(plan, listener)).status == "succeeded"
        r = listener.results
        for b in ("c0", "c1", "c3", "c4"):
            assert r[b].kernel == "project", b
            assert "hidden module state" in r[b].note
        assert "<random>" in r["c1"].note and "<matplotlib>" in r["c4"].note
        assert r["c2"].kernel == "worker-1"
        assert r["c5"].kernel == "project" and "`ax` cannot be handed over" in r["c5"].note
        assert listener.outputs("c5") == "t\n"
        assert r["c1"].finished_at <= r["c3"].started_at
        seq = Collect()
        dag = build_dag(nb, [])
        kid = await k.km.start_kernel(path=str(tmp_path))
        await Engine(k.km.get_kernel(kid), nb, dag.graph).run(plan, seq)
        for b in ("c1", "c3"):
            assert listener.outputs(b) == seq.outputs(b)
        names = ["a", "b", "w", "np"]
        assert await k.fingerprints(names) == await k.fingerprints(names, kid)


async def test_workers_follow_the_project_kernels_process_state(tmp_path):
    """cwd, environment and warning filters changed by a (pinned) block in the project
    kernel hold on the workers too."""
    nb = notebook(
        "import os, warnings\nos.makedirs('sub', exist_ok=True)\nos.chdir('sub')\n"
        "warnings.filterwarnings('ignore', category=RuntimeWarning)\nready = True",
        "from pathlib import Path\nhere = Path.cwd().name if ready else None\nprint(here)",
        "import numpy as np\nz = np.array([1.0]) / 0 if ready else None\nprint(z)",
    )
    async with Kernels(tmp_path, 1) as k:
        engine, plan = k.engine(nb, use_project_kernel=False)
        listener = Collect()
        assert (await engine.run(plan, listener)).status == "succeeded"
        r = listener.results
        assert r["c0"].kernel == "project" and r["c1"].kernel == r["c2"].kernel == "worker-1"
        assert listener.outputs("c1") == "sub\n"
        assert listener.outputs("c2") == "[inf]\n"  # no RuntimeWarning on stderr


async def test_worker_death_fails_its_block_and_the_worker_is_replaced(tmp_path):
    nb = notebook("x = 1", "import os\nos._exit(1)", "import time\ntime.sleep(1)\ny = x + 1\nprint(y)")
    async with Kernels(tmp_path, 1) as k:
        old = k.pool.workers[0].kernel_id
        engine, plan = k.engine(nb, max_parallel=2, use_project_kernel=False)
        listener = Collect()
        outcome = await engine.run(plan, listener)
        r = listener.results
        assert r["c1"].status == "failed" and "worker kernel worker-1 died" in r["c1"].error
        assert not r["c1"].kernel_died and not outcome.kernel_died
        assert r["c2"].status == "succeeded" and listener.outputs("c2") == "2\n"
        assert outcome.status == "failed"
        assert len(k.pool.workers) == 1 and k.pool.workers[0].kernel_id != old
        assert await k.pool.workers[0].alive()
        engine, plan = k.engine(notebook("p = 1", "q = p + 1\nprint(q)"), use_project_kernel=False)
        listener = Collect()
        assert (await engine.run(plan, listener)).status == "succeeded"
        assert listener.results["c1"].kernel.startswith("worker")


async def test_handed_over_values_behave_as_in_one_kernel(tmp_path):
    """Functions see globals handed over later, classes keep their identity, in-place
    mutations and deletions travel, and the final namespace equals a sequential run's."""
    nb = notebook(
        "import pandas as pd\nimport numpy as np",
        "def scale(v):\n    return v * FACTOR\nclass Box:\n    def __init__(self, v):\n        self.v = v",
        "FACTOR = 3\ndf = pd.DataFrame({'a': np.arange(5.0), 'b': list('abcde')})",
        "df['c'] = scale(df['a'])\nbox = Box(df['c'].sum())",
        "arr = np.linspace(0, 1, 7) ** 0.5\ntmp = 1\ndel tmp",
        "print(isinstance(box, Box), box.v, scale(2))\nprint(df.to_string())",
        "total = float(arr.sum() + df['c'].sum())\nprint(total)",
    )
    async with Kernels(tmp_path, 2) as k:
        engine, plan = k.engine(nb, max_parallel=3, use_project_kernel=False)
        listener = Collect()
        assert (await engine.run(plan, listener)).status == "succeeded"
        assert {listener.results[b].kernel for b in plan} <= {"worker-1", "worker-2"}
        kid = await k.km.start_kernel(path=str(tmp_path))
        seq = Collect()
        await Engine(k.km.get_kernel(kid), nb, build_dag(nb, []).graph).run(plan, seq)
        for b in plan:
            assert listener.outputs(b) == seq.outputs(b), b
        assert listener.outputs("c5").startswith("True 30.0 6\n")
        names = defined_names(nb)
        assert "tmp" in names
        par, ref = await k.fingerprints(names), await k.fingerprints(names, kid)
        assert par == ref
        assert par["tmp"] is None


# -- the corpus ---------------------------------------------------------------------------
ITEMS = items()
#: every notebook with max_parallel 2 (the project kernel and one worker) and 4 (three workers)
CASES = [(p, it) for p in (2, 4) for it in ITEMS]
CASE_IDS = [f"p{p}-{Path(it['path']).stem.split('__')[-1]}" for p, it in CASES]


def _with_outputs(nb, results: dict) -> dict:
    out = json.loads(json.dumps(nb))
    for cell in out["cells"]:
        if cell["cell_type"] == "code":
            r = results.get(cell["id"])
            cell["outputs"] = r.outputs if r is not None else []
    return out


_ENV_PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn", "statsmodels", "arch", "matplotlib", "ipykernel", "cloudpickle")
REFERENCE_NAMESPACES = ROOT / ".cache" / "parallel-namespaces"


def _reference_key(item: dict) -> str:
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256((CORPUS / item["path"]).read_bytes())
    h.update(FINGERPRINT.encode())
    for p in _ENV_PACKAGES:
        try:
            h.update(f"{p}={version(p)}".encode())
        except PackageNotFoundError:
            pass
    return h.hexdigest()[:16]


async def reference_namespace(item: dict, nb, dag, plan: list[str], names: list[str], tmp_path: Path) -> dict:
    """Fingerprints of ``names`` after two sequential runs of the notebook, and the names
    whose fingerprints differ between the two (clocks, unseeded RNGs), like the
    manifest's unstable cells. Cached in ``.cache/parallel-namespaces`` per notebook,
    environment and fingerprint definition."""
    path = REFERENCE_NAMESPACES / f"{Path(item['path']).stem}-{_reference_key(item)}.json"
    if path.exists():
        return json.loads(path.read_text())
    km = LocalKernels()
    dirs = [tmp_path / "ref1", tmp_path / "ref2"]
    try:
        kids = []
        for d in dirs:
            d.mkdir()
            kids.append(await km.start_kernel(path=str(d)))
        runs = [Engine(km.get_kernel(k), nb, dag.graph, timeout=600).run(plan, Collect()) for k in kids]
        outcomes = await asyncio.gather(*runs)
        assert all(o.status == "succeeded" for o in outcomes), [o.reason for o in outcomes]
        a, b = await asyncio.gather(*(fingerprints(km, k, names) for k in kids))
    finally:
        await km.shutdown_all()
    ref = {"names": a, "unstable": sorted(n for n in names if a.get(n) != b.get(n))}
    REFERENCE_NAMESPACES.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ref))
    return ref


@pytest.mark.corpus
@pytest.mark.timeout(600)
@pytest.mark.parametrize(("max_parallel", "item"), CASES, ids=CASE_IDS)
async def test_corpus_parallel_run_matches_sequential(max_parallel, item, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "skdata"))
    nb = nbformat.read(CORPUS / item["path"], as_version=4)
    dag = build_dag(nb, [])
    plan = plan_blocks(dag, "all")
    names = defined_names(nb)
    ref_ns = await reference_namespace(item, nb, dag, plan, names, tmp_path)
    (tmp_path / "par").mkdir()
    timeout = max(300, 10 * item["linear_runtime_s"])
    async with Kernels(tmp_path / "par", max_parallel - 1) as k:
        engine = ParallelEngine(k.km, k.project, nb, dag.graph, pool=k.pool, max_parallel=max_parallel, timeout=timeout)
        par = Collect()
        t0 = time.monotonic()
        outcome = await engine.run(plan, par)
        wall = time.monotonic() - t0
        assert outcome.status == "succeeded", outcome.reason
        fp_par = await k.fingerprints(names)
    where: dict[str, int] = {}
    for b in plan:
        where[par.results[b].kernel] = where.get(par.results[b].kernel, 0) + 1
    print(f"{Path(item['path']).name} max_parallel={max_parallel}: {wall:.1f} s, blocks per kernel {where}, "
          f"fallbacks {engine.stats.fallbacks}, {engine.stats.export_bytes} bytes exported, unstable names {ref_ns['unstable']}")
    compare = compare_module()
    ref = json.loads((CORPUS / item["reference"]).read_text())
    skip = set(item.get("unstable_output_cells", []))
    diffs = compare.compare(ref, _with_outputs(nb, par.results), skip, ignore_stderr=True)
    detail = "\n".join(f"cell {i} ({cid}) on {par.results[cid].kernel}:\n  reference: {str(a)[:400]}\n  parallel: {str(b)[:400]}" for i, cid, a, b in diffs)
    assert not diffs, f"{len(diffs)} code cells differ from the top-to-bottom run:\n{detail}"
    fp_seq = ref_ns["names"]
    differ = sorted(n for n in names if fp_par.get(n) != fp_seq.get(n) and n not in ref_ns["unstable"])
    detail = "\n".join(f"{n}: {first_difference(fp_seq.get(n), fp_par.get(n))}" for n in differ)
    assert not differ, f"the project kernel's namespace differs from a sequential run's:\n{detail}"
