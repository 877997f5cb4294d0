"""Library configuration in parallel runs (:mod:`notebook_dag.parallel.config`).

Pure rules first (which snapshot a block needs, the waits, the bookkeeping), then the
kernel-side snapshot/apply in a separate Python process, then real kernels: blocks that
display a DataFrame or an array *without naming* pandas/numpy, before and after a cell
setting display options, print on worker kernels exactly as in a sequential run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from notebook_dag.dag import build_dag
from notebook_dag.engine import Engine
from notebook_dag.parallel.config import (
    BASELINE,
    ConfigReplay,
    add_config_waits,
    config_needs,
    final_config,
    setter_blocks,
)
from notebook_dag.parallel.effects import block_effects
from notebook_dag.parallel.kernels import KernelSlot, ready_client
from test_parallel import Collect, Kernels, notebook

KERNEL_SIDE = Path(__file__).resolve().parents[1] / "notebook_dag" / "parallel" / "kernel_side.py"


# -- pure rules ---------------------------------------------------------------------------
def test_each_block_needs_the_last_setter_before_it_in_the_plan():
    plan = ["a", "s1", "b", "s2", "c", "d"]
    needs = config_needs(plan, {"s1", "s2", "elsewhere"})
    assert needs == {"a": BASELINE, "s1": BASELINE, "b": "s1", "s2": "s1", "c": "s2", "d": "s2"}
    assert final_config(plan, {"s1", "s2"}) == "s2"
    assert final_config(plan, set()) == BASELINE
    assert config_needs(["a", "b"], set()) == {"a": BASELINE, "b": BASELINE}


def test_blocks_wait_for_the_setter_they_need_and_setters_run_in_plan_order():
    ancestors = {"a": frozenset(), "s1": frozenset(), "b": frozenset({"a"}), "s2": frozenset(), "c": frozenset()}
    needs = config_needs(list(ancestors), {"s1", "s2"})
    waits = add_config_waits(ancestors, needs)
    assert waits == {
        "a": frozenset(),
        "s1": frozenset(),
        "b": frozenset({"a", "s1"}),
        "s2": frozenset({"s1"}),
        "c": frozenset({"s2"}),
    }


def test_replay_applies_a_snapshot_only_where_it_is_missing():
    r = ConfigReplay(["a", "s", "b", "c"], {"s", "not-planned"}, "P")
    assert r.setters == {"s"}
    r.taken(BASELINE, "/t/base.pkl")
    # the project kernel has the baseline (it was read there); a worker's state is unknown
    assert r.to_apply("a", "P") is None
    assert r.to_apply("a", "W") == (BASELINE, "/t/base.pkl")
    r.applied("W", BASELINE)
    assert r.to_apply("a", "W") is None
    r.taken("s", "/t/s.pkl")
    assert r.to_apply("b", "W") == ("s", "/t/s.pkl")
    r.applied("W", "s")
    assert r.to_apply("c", "W") is None
    # a block before the setter, on a kernel that has the setter's snapshot: back to the baseline
    assert r.to_apply("a", "W") == (BASELINE, "/t/base.pkl")
    assert r.to_apply("a", "P") == (BASELINE, "/t/base.pkl")
    assert r.to_apply(None, "P") is None  # the run ends with the last setter's configuration
    r.applied("P", BASELINE)
    assert r.to_apply(None, "P") == ("s", "/t/s.pkl")
    r.applied("W", None)  # unknown (e.g. its request failed)
    assert r.to_apply("c", "W") == ("s", "/t/s.pkl")
    assert r.problem("a") is None and r.problem("c") is None
    # the project kernel could not apply it: its state is unknown, it is left alone
    assert r.after_apply("P", BASELINE, ["numpy: ValueError: x"]) == "numpy: ValueError: x"
    assert r.to_apply("a", "P") is None and r.to_apply("c", "P") is None and r.problem("a") is None
    r.applied("P", BASELINE)
    # a worker could not apply it: its readers stay in the project kernel from now on
    assert r.after_apply("W", "s", ["RuntimeError: no", "pandas: KeyError: k"]) == "RuntimeError: no; pandas: KeyError: k"
    assert "after block s could not be applied on a worker kernel (RuntimeError: no" in r.problem("c")
    assert r.to_apply("c", "W2") is None and r.to_apply("c", "P") == ("s", "/t/s.pkl")
    assert r.after_apply("W2", BASELINE, []) is None and r.to_apply("a", "W2") is None


def test_a_failed_snapshot_keeps_its_readers_in_the_project_kernel_and_leaves_it_alone():
    r = ConfigReplay(["s1", "a", "s2", "b", "s3", "c"], {"s1", "s2", "s3"}, "P")
    r.taken(BASELINE, "/t/base.pkl")
    r.taken("s1", None, "pandas display.float_format: PicklingError: no")
    assert "after block s1 could not be read" in r.problem("a") and "PicklingError" in r.problem("a")
    assert r.to_apply("a", "W") is None
    assert r.to_apply("s1", "P") is None  # left alone: its configuration could not be given back
    # a setter that did not run stands for the configuration before it
    r.settle("s2")
    assert r.snapshot("s2") == r.snapshot("s1")
    r.taken("s3", "/t/s3.pkl")
    assert r.problem("c") is None and r.to_apply("c", "W") == ("s3", "/t/s3.pkl")
    assert r.to_apply("s1", "P") == (BASELINE, "/t/base.pkl")  # a snapshot again: it can be given back
    r2 = ConfigReplay(["a"], set(), "P")
    r2.taken(BASELINE, None, "RequestTimeout")
    assert "at the start of the run" in r2.problem("a")


def test_setters_are_found_and_pinned():
    nb = notebook(
        "import pandas as pd\nimport numpy as np\nimport warnings\nfrom sklearn import set_config",
        "df = pd.DataFrame({'a': [1]})",
        "pd.set_option('display.width', 500)",
        "pd.options.display.max_columns = 5",
        "np.set_printoptions(precision=3)",
        "set_config(display='text')",
        "warnings.filterwarnings('ignore')",
        "df.head()",
        "import torch\ntorch.set_num_threads(1)",
    )
    effects = block_effects(nb, build_dag(nb, []).graph)
    config = {b: e.config for b, e in effects.items()}
    assert config["c2"] == config["c3"] == {"pandas"}
    assert config["c4"] == {"numpy"} and config["c5"] == {"sklearn"} and config["c6"] == {"warnings"}
    assert config["c8"] == {"torch"} and not config["c7"] and not config["c1"]
    assert setter_blocks(config) == {"c2", "c3", "c4", "c5", "c6"}  # torch's is not carried over
    for b in ("c2", "c3", "c4", "c5", "c6", "c8"):
        assert effects[b].pin and "library configuration" in effects[b].pin, b
    assert effects["c7"].pin is None


# -- kernel side, in a separate process ---------------------------------------------------
KERNEL_SIDE_CHECK = textwrap.dedent(
    """
    import json, sys, types, warnings
    src = open(sys.argv[1]).read()
    m = types.ModuleType("_notebook_dag_handover")
    exec(compile(src, "kernel_side", "exec"), m.__dict__)
    sys.modules[m.__name__] = m
    ns = {}
    m._ns = lambda: ns
    out = {}
    d = sys.argv[2]
    m.config_snapshot(d + "/none.pkl")
    out["none"] = json.loads(m.LAST)
    import numpy as np
    m.config_snapshot(d + "/np0.pkl")
    out["np0"] = json.loads(m.LAST)
    import pandas as pd
    pd.set_option("display.width", 500)
    pd.options.display.float_format = lambda x: f"<{x:.1f}>"
    np.set_printoptions(precision=3)
    warnings.filterwarnings("ignore", message="xyz")
    m.config_snapshot(d + "/set.pkl")
    out["set"] = json.loads(m.LAST)
    out["pandas_imported_before"] = "sklearn" in sys.modules
    out["problems0"] = m._apply_config(d + "/np0.pkl")
    out["after0"] = [pd.get_option("display.width"), pd.get_option("display.float_format"),
                     np.get_printoptions()["precision"], any(getattr(f[1], "pattern", None) == "xyz" for f in warnings.filters)]
    out["problems1"] = m._apply_config(d + "/set.pkl")
    out["after1"] = [pd.get_option("display.width"), repr(pd.DataFrame({"a": [1.25]})),
                     np.get_printoptions()["precision"], warnings.filters[0][1].pattern]
    print(json.dumps(out))
    """
)

FRESH_APPLY = textwrap.dedent(
    """
    import json, sys, types
    src = open(sys.argv[1]).read()
    m = types.ModuleType("_notebook_dag_handover")
    exec(compile(src, "kernel_side", "exec"), m.__dict__)
    sys.modules[m.__name__] = m
    m._ns = lambda: {}
    problems = m._apply_config(sys.argv[2])
    import pandas as pd
    print(json.dumps([problems, pd.get_option("display.width"), "sklearn" in sys.modules]))
    """
)


def test_kernel_side_snapshot_and_apply(tmp_path):
    """Snapshots cover only imported libraries; applying resets uncovered ones to their
    defaults, carries callables, and imports a library only when it was configured."""
    res = subprocess.run([sys.executable, "-c", KERNEL_SIDE_CHECK, str(KERNEL_SIDE), str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["none"]["libs"] == [] and out["none"]["problems"] == []
    assert out["np0"]["libs"] == ["numpy"] and out["np0"]["nondefault"] == []
    assert out["set"]["libs"] == ["numpy", "pandas"] and sorted(out["set"]["nondefault"]) == ["numpy", "pandas"]
    assert not out["pandas_imported_before"]
    assert out["problems0"] == [] and out["problems1"] == []
    assert out["after0"] == [80, None, 8, False]  # pandas not in np0: back to its defaults
    assert out["after1"][0] == 500 and "<1.2>" in out["after1"][1] and out["after1"][2:] == [3, "xyz"]
    # a kernel that has not imported pandas imports it to take over non-default options
    res = subprocess.run([sys.executable, "-c", FRESH_APPLY, str(KERNEL_SIDE), str(tmp_path / "set.pkl")],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == [[], 500, False]


# -- real kernels -------------------------------------------------------------------------
SETTER = (
    "pd.set_option('display.width', 500)\npd.options.display.max_columns = 30\n"
    "np.set_printoptions(precision=3)\nsklearn.set_config(display='text')"
)
CONFIG_PROBE = (
    "import json, sys\n"
    "_pd, _np, _sk = (sys.modules.get(m) for m in ('pandas', 'numpy', 'sklearn'))\n"
    "__import__('_notebook_dag_handover').LAST = json.dumps({\n"
    "    'pandas': None if _pd is None else [_pd.get_option('display.width'), _pd.get_option('display.max_columns')],\n"
    "    'numpy': None if _np is None else _np.get_printoptions()['precision'],\n"
    "    'sklearn': None if _sk is None else _sk.get_config()['display']})\n"
    "del _pd, _np, _sk"
)


async def config_of(km, kernel_id: str) -> dict:
    handle = km.get_kernel(kernel_id)
    kc = await ready_client(handle)
    try:
        slot = KernelSlot("check", kernel_id, handle, kc)
        await slot.install("", worker=False)
        await slot.request(CONFIG_PROBE, result=False)
        return await slot.request("pass")
    finally:
        kc.stop_channels()


async def sequential(k: Kernels, nb, plan, tmp_path) -> tuple[Collect, str]:
    kid = await k.km.start_kernel(path=str(tmp_path))
    seq = Collect()
    outcome = await Engine(k.km.get_kernel(kid), nb, build_dag(nb, []).graph).run(plan, seq)
    assert outcome.status == "succeeded", outcome.reason
    return seq, kid


WIDE = "df = pd.DataFrame(np.arange(600.0).reshape(6, 100) / 7)\narr = np.linspace(0, 1, 7) / 3"
#: the stderr of a warning names the cell's file in a per-kernel directory
KERNEL_DIR = re.compile(r"ipykernel_\d+")


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def same_outputs(par: Collect, seq: Collect, plan: list[str]) -> None:
    for b in plan:
        p, s = (KERNEL_DIR.sub("ipykernel_N", c.outputs(b)) for c in (par, seq))
        assert p == s, (b, par.results[b].kernel, p, s)


async def test_workers_display_with_the_configuration_of_their_place_in_the_notebook(tmp_path):
    """Two workers, no block of the project kernel's own: the displaying blocks run on
    workers; the one placed before the setter runs after the same worker displayed with
    the setter's options (``c1`` waits for the file ``c7`` writes), and still shows
    pandas' defaults. Every output equals a sequential run's."""
    nb = notebook(
        "import pandas as pd\nimport numpy as np\nimport sklearn\n" + WIDE,
        # waits (up to 30 s) for the file the last display writes; the name is computed so
        # that the inference sees no file dependence (the sequential run finds the file)
        "import os, time\ndeadline = time.time() + 30\n"
        "while not os.path.exists('g' + 'o') and time.time() < deadline:\n    time.sleep(0.05)\nslow = 1",
        "y = slow + 1\ntime.sleep(0.5)",
        "print(slow)\ndf.head(3)",  # before the setter
        SETTER,
        "df.head(3)",
        "arr",
        "print(arr * 2)\nopen('g' + 'o', 'w').close()\ndf.iloc[:3, :40]",
        "from sklearn.preprocessing import StandardScaler\nscaler = StandardScaler()\nscaler",
    )
    async with Kernels(tmp_path, 2) as k:
        engine, plan = k.engine(nb, max_parallel=3, use_project_kernel=False)
        par = Collect()
        outcome = await engine.run(plan, par)
        assert outcome.status == "succeeded", outcome.reason
        r = par.results
        seq, kid = await sequential(k, nb, plan, tmp_path)
        same_outputs(par, seq, plan)
        print({b: r[b].kernel for b in plan}, engine.stats)
        # the setter ran in the project kernel; the displays on workers
        assert r["c4"].kernel == "project" and "sets library configuration" in r["c4"].note
        for b in ("c3", "c5", "c6", "c7"):
            assert r[b].kernel.startswith("worker"), (b, r[b].kernel)
        # pandas' default width (80) wraps the frame; the setter's (500) does not
        assert widest(par.outputs("c3")) <= 80 < 300 < widest(par.outputs("c5"))
        assert "0.056" in par.outputs("c6") and "0.05555556" not in par.outputs("c6")
        # the block before the setter ran on a worker that had displayed with the setter's options
        assert r["c7"].kernel == r["c3"].kernel and r["c7"].finished_at <= r["c3"].started_at
        assert engine.stats.config_snapshots == 2  # the baseline and the setter
        assert engine.stats.config_applies <= 4  # worker-1: baseline, setter, baseline; worker-2: baseline
        assert await config_of(k.km, k.project) == await config_of(k.km, kid)


async def test_project_kernel_reverts_too_and_warning_filters_follow(tmp_path):
    """One worker: a pinned block placed before the setter runs in the project kernel
    after the setter did (it waits for a worker block), with the configuration of its
    place; a second setter changes the configuration again; warning filters and numpy's
    print options hold on the worker as in a sequential run."""
    nb = notebook(
        "import pandas as pd\nimport numpy as np\nimport sklearn\nimport warnings\nimport time\n" + WIDE,
        "time.sleep(2)\nslow = 1",
        # before the setters; pinned (it sets an environment variable)
        "import os\nos.environ['NOTEBOOK_DAG_TEST'] = '1'\nprint(slow)\nprint(arr / 0)\ndf.head(3)",
        SETTER + "\nwarnings.filterwarnings('ignore', category=RuntimeWarning)",
        "df.head(3)",
        "arr",
        "np.set_printoptions(precision=5)\npd.set_option('display.max_columns', 4)",
        "arr + 1",
        "df.head(3)",
        "print(arr / 0)",
    )
    async with Kernels(tmp_path, 1) as k:
        engine, plan = k.engine(nb, max_parallel=2, use_project_kernel=False)
        par = Collect()
        outcome = await engine.run(plan, par)
        assert outcome.status == "succeeded", outcome.reason
        r = par.results
        seq, kid = await sequential(k, nb, plan, tmp_path)
        same_outputs(par, seq, plan)
        print({b: r[b].kernel for b in plan}, engine.stats)
        assert r["c2"].kernel == "project" and r["c3"].finished_at <= r["c2"].started_at
        assert "RuntimeWarning" in par.outputs("c2") and "..." in par.outputs("c2")
        for b in ("c4", "c5", "c7", "c8", "c9"):
            assert r[b].kernel == "worker-1", (b, r[b].kernel)
        assert "RuntimeWarning" not in par.outputs("c9")
        assert engine.stats.config_snapshots == 3
        assert await config_of(k.km, k.project) == await config_of(k.km, kid)


async def test_configuration_that_cannot_travel_keeps_its_readers_in_the_project_kernel(tmp_path):
    """A display option holding an unpicklable object (the snapshot fails) or one that
    can be rebuilt only in its own process (applying fails on the worker): the blocks
    that need it run in the project kernel with a note (also after a later setter ran
    there: the project kernel is given the snapshot), the run succeeds, outputs equal
    a sequential run's."""
    nb = notebook(
        "import pandas as pd\nimport threading\ndf = pd.DataFrame({'a': [1.25, 2.5]})",
        "class Fmt:\n    def __init__(self):\n        self.lock = threading.Lock()\n"
        "    def __call__(self, x):\n        return f'<{x:.1f}>'\npd.set_option('display.float_format', Fmt())",
        "df",
        # rebuilt only in the process that made it
        "import os\ndef _rebuild(pid):\n    if os.getpid() != pid:\n        raise RuntimeError('cannot be rebuilt here')\n"
        "    return Bad()\nclass Bad:\n    def __call__(self, x):\n        return f'[{x}]'\n"
        "    def __reduce__(self):\n        return (_rebuild, (os.getpid(),))\n"
        "pd.set_option('display.float_format', Bad())",
        "df",
        "df * 2",
        "pd.set_option('display.float_format', None)",
        "df * 3",
    )
    async with Kernels(tmp_path, 1) as k:
        engine, plan = k.engine(nb, max_parallel=2, use_project_kernel=False)
        par = Collect()
        outcome = await engine.run(plan, par)
        assert outcome.status == "succeeded", outcome.reason
        r = par.results
        seq, kid = await sequential(k, nb, plan, tmp_path)
        same_outputs(par, seq, plan)
        print({b: (r[b].kernel, r[b].note) for b in plan}, engine.stats)
        assert "<1.2>" in par.outputs("c2") and "[1.25]" in par.outputs("c4")
        assert r["c2"].kernel == "project"
        assert "after block c1 could not be read for the worker kernels" in r["c2"].note and "lock" in r["c2"].note
        assert r["c4"].kernel == "project" and engine.stats.fallbacks == ["c4"]
        assert "could not be applied on worker-1 (RuntimeError: cannot be rebuilt here)" in r["c4"].note
        assert r["c5"].kernel == "project" and "could not be applied on a worker kernel" in r["c5"].note
        assert r["c7"].kernel == "worker-1" and r["c7"].note is None
