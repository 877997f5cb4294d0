"""The re-execution planner on minimal notebooks, one per class of failure of a naive
"re-run the edited cell and its descendants" (no kernel: the kernel's state is recorded
as a run would record it; tests/test_incremental.py runs the same cases on real kernels).
"""

from __future__ import annotations

from notebook_dag.dag import block_versions, build_dag
from notebook_dag.planner import later_changes, plan_run
from notebook_dag.staleness import KernelState
from test_parallel import notebook  # cells c0, c1, ... with these sources


def versions_of(nb, world=None, extra=None):
    dag = build_dag(nb, [])
    return block_versions(dag, extra, world)


def run_all(nb, kernel=None, world=None):
    kernel = kernel or KernelState()
    v = versions_of(nb, world)
    for b in v.order:
        assert kernel.executed(b, v, True)
    return kernel


def edit(nb, i, source):
    nb.cells[i]["source"] = source
    return nb


def stale_plan(nb, kernel, world=None, extra=None):
    v = versions_of(nb, world, extra)
    return plan_run(v, kernel, v.order, complete=True), v


def test_nothing_to_do_after_run_all():
    nb = notebook("a = 1", "b = a + 1", "print(b)")
    k = run_all(nb)
    plan, _ = stale_plan(nb, k)
    assert plan.blocks == [] and plan.restart is None


def test_non_idempotent_mutation_reruns_the_binder_first():
    nb = notebook("vals = [1, 2]", "vals.append(3)", "print(vals)")
    k = run_all(nb)
    edit(nb, 1, "vals.append(4)")
    plan, v = stale_plan(nb, k)
    assert plan.blocks == ["c0", "c1", "c2"]
    assert "c0" in plan.notes and "vals" in plan.notes["c0"]
    # a comment changes the fingerprint too (the protocol of the corpus tests)
    k2 = run_all(notebook("vals = [1, 2]", "vals.append(3)", "print(vals)"))
    plan2, _ = stale_plan(edit(notebook("vals = [1, 2]", "vals.append(3)", "print(vals)"), 1, "vals.append(3)\n# x"), k2)
    assert plan2.blocks == ["c0", "c1", "c2"]


def test_write_after_read_restores_the_reaching_definition_and_ends_at_the_final_one():
    nb = notebook(
        "import pandas as pd\ndf = pd.DataFrame({'x': range(-5, 5)})",
        "row = df.iloc[7]",
        "print(row)",
        "df = df[df.x > 0]",
        "print(len(df))",
    )
    k = run_all(nb)
    edit(nb, 1, "row = df.iloc[8]")
    plan, v = stale_plan(nb, k)
    # c1 needs c0's df; re-running c0 rebinds df, so c3 (the later rebinding) runs too;
    # c3's inputs did not change, so its reader c4 stays up to date
    assert plan.blocks == ["c0", "c1", "c2", "c3"]
    assert v.fp["c4"] == versions_of(notebook(*[c.source for c in nb.cells])).fp["c4"]


def test_a_rebinding_after_a_read_is_not_made_stale_by_an_edit_of_the_reader():
    nb = notebook("x = 1", "print(x)", "x = 2", "print(x)")
    k = run_all(nb)
    edit(nb, 1, "print(x, 'edited')")
    plan, _ = stale_plan(nb, k)
    # c1 reads x=1 but the kernel holds c2's x: c0 runs again, then c2 to end at x=2
    assert plan.blocks == ["c0", "c1", "c2"]
    states = k.states(versions_of(nb), ["c0", "c1", "c2", "c3"])
    assert states == {"c0": "up_to_date", "c1": "stale", "c2": "up_to_date", "c3": "up_to_date"}


def test_seeded_rng_reruns_from_the_seed():
    nb = notebook(
        "import numpy as np\nnp.random.seed(0)",
        "a = np.random.normal(size=3)",
        "b = np.random.normal(size=3)",
        "c = np.random.normal(size=3)",
        "print(a, b, c)",
    )
    k = run_all(nb)
    edit(nb, 2, "b = np.random.normal(size=3)  # edited")
    plan, _ = stale_plan(nb, k)
    assert plan.blocks == ["c0", "c1", "c2", "c3", "c4"]


def test_a_display_option_set_later_is_reset_to_its_default_first():
    nb = notebook(
        "import pandas as pd",
        "df = pd.DataFrame({'a': [1.123456789]})\ndf",
        "pd.set_option('display.precision', 2)",
        "df",
    )
    k = run_all(nb)
    edit(nb, 1, "df = pd.DataFrame({'a': [2.123456789]})\ndf")
    plan, v = stale_plan(nb, k)
    assert plan.restart is None and plan.reset == ["<config:pandas>"]
    assert plan.blocks == ["c1", "c2", "c3"], "the setter runs again after the re-run reader"


def test_a_warning_filter_set_later_cannot_be_undone_so_the_kernel_restarts():
    nb = notebook("import warnings", "warnings.warn('careful')", "warnings.simplefilter('ignore')", "x = 1")
    k = run_all(nb)
    edit(nb, 1, "warnings.warn('careful!')")
    plan, v = stale_plan(nb, k)
    assert plan.restart and "<config:warnings>" in plan.restart
    assert plan.blocks == v.order


def test_a_new_dataset_version_or_file_content_makes_exactly_its_readers_stale():
    nb = notebook(
        "import notebook_dag\nsales = notebook_dag.load('sales')",
        "total = sales.amount.sum()",
        "other = 1",
    )
    extra = {"c0": {"<dataset:sales>"}}
    v1 = versions_of(nb, {"<dataset:sales>": "sha256:1"}, extra)
    k = KernelState()
    for b in v1.order:
        k.executed(b, v1, True)
    v2 = versions_of(nb, {"<dataset:sales>": "sha256:2"}, extra)
    assert k.states(v2, v2.order) == {"c0": "stale", "c1": "stale", "c2": "up_to_date"}
    plan = plan_run(v2, k, v2.order, complete=True)
    assert plan.blocks == ["c0", "c1"]


def test_deleted_cells_names_are_cleaned_up_and_block_runs_report_divergence():
    nb = notebook("x = 1", "y = x + 1", "tmp = 5")
    k = run_all(nb)
    del nb.cells[2]
    plan, v = stale_plan(nb, k)
    assert plan.blocks == [] and plan.cleanup == ["tmp"]
    nb2 = notebook("vals = [1]", "vals.append(2)", "print(vals)")
    k2 = run_all(nb2)
    v2 = versions_of(nb2)
    assert later_changes(v2, k2) == {"c1": ["vals"]}  # c1 would append to its own result
    # running c1 alone (Shift+Enter) appends twice: not faithful, so c1 is stale; c2's
    # latest outputs are still a fresh run's, but running it alone now would differ
    assert not k2.executed("c1", v2, True)
    assert k2.states(v2, v2.order) == {"c0": "up_to_date", "c1": "stale", "c2": "up_to_date"}
    assert later_changes(v2, k2) == {"c1": ["vals"], "c2": ["vals"]}
    assert plan_run(v2, k2, v2.order, complete=True).blocks == ["c0", "c1"]


def test_upstream_and_downstream_plans_repair_what_they_read():
    nb = notebook("vals = [1, 2]", "vals.append(3)", "print(vals)", "z = 0")
    k = run_all(nb)
    v = versions_of(nb)
    # downstream of c1 with force: c1 must not append twice
    plan = plan_run(v, k, ["c1", "c2"], force=["c1", "c2"])
    assert plan.blocks == ["c0", "c1", "c2"]


def test_plan_cost_is_linear_in_the_chain_length():
    n = 2000
    nb = notebook("x = 0", *[f"x = x + {i}" for i in range(1, n)])
    k = run_all(nb)
    edit(nb, 1, "x = x + 1  # edited")
    plan, _ = stale_plan(nb, k)
    assert plan.blocks == [f"c{i}" for i in range(n)]
