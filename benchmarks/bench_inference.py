"""Benchmark of static dependency inference (notebook_dag.inference).

Generates a realistic 2,000-cell notebook (imports, pandas loads and in-place edits,
helper functions, seeded random draws, matplotlib/pandas plots, model fits, prints),
then measures

* full analysis + edge inference, cold ``analyze_cell`` cache, best of 5
  (target <= 0.3 s);
* one edited cell through ``DependencyIndex.update_cell``, median of 50 edits spread
  over the notebook (added statement, changed literal, dropped line, renamed binding;
  target <= 5 ms);
* two heavy edits (the helper function every section calls; the import cell), shown
  for information;
* baseline, same run: the naive alternative to the incremental index, a full
  ``infer_edges`` rescan after each edit (warm analysis cache, only the edited cell
  re-parsed), median of 5.

Run: ``python benchmarks/bench_inference.py [--cells N]``. Exits 0 and prints a table.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from notebook_dag.inference import DependencyIndex, analyze_cell, infer_edges  # noqa: E402

FULL_TARGET_S = 0.3
EDIT_TARGET_S = 0.005


def generate_notebook(n_cells: int = 2000, seed: int = 0) -> list[tuple[str, str]]:
    """Synthetic but realistic notebook: sections of ~20 cells each working on their own
    DataFrame, sharing imports, a seeded global RNG, pyplot and a few helpers."""
    rng = random.Random(seed)
    cells = [
        "import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt\nimport seaborn as sns\n"
        "from sklearn.linear_model import LinearRegression, Ridge\nfrom sklearn.model_selection import train_test_split",
        "%matplotlib inline\npd.set_option('display.max_columns', 50)\nnp.random.seed(0)",
        "SCALE = 2.5\nCOLUMNS = ['a', 'b', 'c', 'd']\n\ndef zscore(s):\n    return (s - s.mean()) / s.std() * SCALE",
    ]
    s = 0
    while len(cells) < n_cells:
        s += 1
        df, X, y, m = f"df{s}", f"X{s}", f"y{s}", f"model{s}"
        section = [
            f"{df} = pd.DataFrame(np.random.randn({rng.randint(50, 500)}, 4), columns=COLUMNS)\n{df}.head()",
            f"{df}['e'] = {df}['a'] * {rng.randint(1, 9)} + {df}['b']\n{df}.dropna(inplace=True)",
            f"def feature_{s}(frame, k={rng.randint(2, 7)}):\n    out = frame.rolling(k).mean()\n"
            f"    return zscore(out['a']) + SCALE * len(COLUMNS)\n\n{df}['f'] = feature_{s}({df})",
            f"{df}.describe()",
            f"noise_{s} = np.random.normal(0, {rng.random():.3f}, len({df}))\n{df}['g'] = {df}['e'] + noise_{s}",
            f"fig, ax = plt.subplots(figsize=(6, 4))\n{df}.plot(x='a', y='e', kind='scatter', ax=ax)\n"
            f"ax.set_title('section {s}')\nplt.show()",
            f"{X} = {df}[['a', 'b', 'c', 'f']].fillna(0).to_numpy()\n{y} = {df}['g'].to_numpy()\n"
            f"{X}_train, {X}_test, {y}_train, {y}_test = train_test_split({X}, {y}, random_state={s})",
            f"{m} = {'Ridge(alpha=%d)' % rng.randint(1, 9) if s % 2 else 'LinearRegression()'}\n"
            f"{m}.fit({X}_train, {y}_train)",
            f"score_{s} = {m}.score({X}_test, {y}_test)\nprint(f'section {s}: R2={{score_{s}:.3f}}')",
            f"results = {{}} if {s} == 1 else results\nresults[{s}] = score_{s}",
            f"sns.histplot({df}['g'], bins={rng.randint(10, 40)})\nplt.title('g distribution {s}')",
            f"{df}.loc[{df}['a'] > 0, 'h'] = {df}['b'].abs()\ncounts_{s} = {df}['h'].value_counts()",
            f"summary_{s} = {df}.groupby(pd.cut({df}['a'], 4))['g'].agg(['mean', 'std'])\nsummary_{s}",
            f"for col in COLUMNS:\n    {df}[col + '_z'] = zscore({df}[col])\nlen({df}.columns)",
            f"%time pred_{s} = {m}.predict({X}_test)",
            f"residuals_{s} = {y}_test - pred_{s}\nprint(residuals_{s}.mean(), residuals_{s}.std())",
            f"plt.figure()\nplt.plot(residuals_{s})\nplt.axhline(0, color='k')",
            f"{df}.to_csv('section_{s}.csv', index=False)",
            f"check_{s} = pd.read_csv('section_{s}.csv')\nassert len(check_{s}) == len({df})",
            f"SCALE = SCALE * {1 + rng.random() / 10:.3f}" if s % 5 == 0 else f"del counts_{s}",
        ]
        cells.extend(section)
    return [(f"cell-{i:05d}", src) for i, src in enumerate(cells[:n_cells])]


def edit(src: str, i: int) -> str:
    """A typical edit, cycling through: add a statement, change a literal, drop the last
    line, rename the first name the cell binds (breaking its downstream readers)."""
    kind = i % 4
    if kind == 0:
        return f"{src}\nedit_{i} = {i}  # added"
    if kind == 1:
        return re.sub(r"\d+", lambda m: str(int(m.group()) + 1), src, count=1) + " "
    if kind == 2:
        lines = src.splitlines()
        return "\n".join(lines[:-1]) if len(lines) > 1 else f"{src}  # comment"
    m = re.match(r"\s*(\w+)\s*=", src)
    return src.replace(m.group(1), m.group(1) + "_renamed", 1) if m else f"{src}\nedit_{i} = {i}"


def timeit(fn, repeat: int) -> tuple[list[float], list[float]]:
    """(wall times, CPU times) of ``repeat`` calls."""
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=2000)
    ap.add_argument("--edits", type=int, default=50)
    args = ap.parse_args(argv)

    cells = generate_notebook(args.cells)
    analyze_cell("import IPython")  # import IPython's transformer once, outside timings
    from notebook_dag.inference._syntax import _transformer

    _transformer()

    def full():
        analyze_cell.cache_clear()
        return DependencyIndex(cells).edges()

    full_times, full_cpu = timeit(full, 5)

    def analysis():
        analyze_cell.cache_clear()
        for _, src in cells:
            analyze_cell(src)

    analysis_only = min(timeit(analysis, 5)[0])
    edges = infer_edges(cells)
    n_names = sum(len(e.names) for e in edges)

    index = DependencyIndex(cells)
    rng = random.Random(1)
    positions = rng.sample(range(len(cells)), args.edits)
    edit_times = []
    for i, pos in enumerate(positions):
        cid, src = cells[pos]
        edited = edit(src, i)
        t0 = time.perf_counter()
        index.update_cell(cid, edited)
        edit_times.append(time.perf_counter() - t0)
    # heavy edits: the helper every section calls, and the import cell
    heavy = []
    for pos, new_src in ((2, cells[2][1].replace("* SCALE", "")), (0, cells[0][1].replace("import seaborn as sns\n", ""))):
        t0 = time.perf_counter()
        index.update_cell(cells[pos][0], new_src)
        heavy.append(time.perf_counter() - t0)
    # check the incremental result equals a full rebuild
    current = [(cid, index.source(cid)) for cid in index.cell_ids]
    consistent = index.edges() == infer_edges(current)

    baseline_times = []
    for i, pos in enumerate(positions[:5]):
        cid, src = cells[pos]
        edited_cells = list(cells)
        edited_cells[pos] = (cid, edit(src, i))
        t0 = time.perf_counter()
        infer_edges(edited_cells)
        baseline_times.append(time.perf_counter() - t0)

    full_best = min(full_times)
    edit_median = statistics.median(edit_times)
    base_median = statistics.median(baseline_times)
    ok_full, ok_edit = full_best <= FULL_TARGET_S, edit_median <= EDIT_TARGET_S
    print(f"notebook: {len(cells)} code cells, {len(edges)} inferred edges ({n_names} edge labels)")
    print(f"{'measure':<52}{'value':>12}{'target':>12}  status")
    print(f"{'full analysis + edges, cold cache (best of 5)':<52}{full_best * 1e3:>9.1f} ms{FULL_TARGET_S * 1e3:>9.1f} ms"
          f"  {'OK' if ok_full else 'SLOW'}")
    print(f"{'  same, CPU time (best of 5)':<52}{min(full_cpu) * 1e3:>9.1f} ms")
    print(f"{'  of which analyze_cell for all cells (best of 5)':<52}{analysis_only * 1e3:>9.1f} ms")
    print(f"{'one edited cell, update_cell (median of %d)' % len(edit_times):<52}{edit_median * 1e3:>9.2f} ms"
          f"{EDIT_TARGET_S * 1e3:>9.1f} ms  {'OK' if ok_edit else 'SLOW'}")
    print(f"{'  max of the %d edits' % len(edit_times):<52}{max(edit_times) * 1e3:>9.2f} ms")
    print(f"{'  heavy edit: helper used by every section':<52}{heavy[0] * 1e3:>9.2f} ms")
    print(f"{'  heavy edit: drop an import from the import cell':<52}{heavy[1] * 1e3:>9.2f} ms")
    print(f"{'baseline: full rescan after an edit (median 5)':<52}{base_median * 1e3:>9.1f} ms")
    print(f"incremental speed-up over baseline: {base_median / edit_median:.0f}x; "
          f"incremental edges equal a full rebuild: {consistent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
