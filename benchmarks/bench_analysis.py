"""Benchmark of the dataset correlation analysis against ydata-profiling's correlation step.

Prints, in one run on the same synthetic frame (``bench_datasets.mixed_frame``: 1M rows ×
20 columns: 8 float with 5 % missing, 4 int, 4 text of low to full cardinality, 2 bool,
2 timestamp):

1. ``notebook_dag.datasets.analysis.correlation`` in memory (Pearson on every row with
   p-values; Spearman, Cramér's V and the correlation ratio on a 100k-row sample; the
   ranked pairs), median of ``--repeat`` runs (target under 3 s), and end to end from a
   Parquet file (reading included, as ``GET /datasets/{id}/analysis?kind=correlation``
   computes it); also once with no sampling at all (every method on every row), the
   like-for-like figure beside ydata-profiling's;
2. ydata-profiling's correlation step on the same frame
   (``ydata_profiling.model.correlations.calculate_correlation``, given the per-column
   type summary its describe step would have made): its default ``auto`` method, and
   ``pearson`` + ``spearman`` + ``cramers`` (what (1) computes). Each is first timed on a
   100k-row sample; when the linear extrapolation to the full frame is over
   ``--ydata-budget`` seconds, the full frame is not run and the sample's figure is
   printed with the extrapolation (``--ydata-full`` forces it).

Usage: python benchmarks/bench_analysis.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_datasets import load, mixed_frame, timed  # noqa: E402

from notebook_dag.datasets.analysis import SAMPLE_ROWS, column_kinds, correlation  # noqa: E402
from notebook_dag.datasets.analysis_service import analyze_file  # noqa: E402

LOAD = 'notebook_dag.load("bench")'


def bench_ours(df: pd.DataFrame, repeat: int, tmp: Path) -> None:
    correlation(df.head(1000), LOAD)  # imports out of the way
    t, out = timed(lambda: correlation(df, LOAD), repeat)
    s = out["sampling"]
    print(f"notebook_dag correlation, {len(df):,} rows × {df.shape[1]} columns, in memory: {t:.2f} s "
          f"(median of {repeat}; target < 3 s; {load()})")
    print(f"  {len(out['numeric_columns'])} numeric, {len(out['categorical_columns'])} categorical columns, "
          f"skipped {out['skipped']}; Pearson on {s['rows']:,} rows, {'/'.join(s['methods'])} on "
          f"{s['sample_rows']:,} (cap {SAMPLE_ROWS:,}); {len(out['pairs'])} pairs ranked, strongest "
          f"{out['pairs'][0]['columns']} {out['pairs'][0]['method']} {out['pairs'][0]['value']:.3f}")
    from notebook_dag.datasets import analysis

    analysis.SAMPLE_ROWS = len(df)  # like for like with ydata-profiling: every method on every row
    try:
        t_all, _ = timed(lambda: correlation(df, LOAD), 1)
    finally:
        analysis.SAMPLE_ROWS = SAMPLE_ROWS
    print(f"notebook_dag correlation without sampling (every method on every row):              {t_all:.2f} s")
    path = tmp / "frame.parquet"
    df.to_parquet(path)
    t, res = timed(lambda: analyze_file(str(path), "parquet", "correlation", LOAD), 1)
    print(f"notebook_dag correlation end to end from Parquet (read + analysis, as the endpoint runs it): {t:.2f} s")


_YDATA_TYPES = {"numeric": "Numeric", "categorical": "Categorical", "boolean": "Boolean", "datetime": "DateTime",
                "text": "Text", "other": "Unsupported"}


def bench_ydata(df: pd.DataFrame, budget: float, force_full: bool) -> None:
    from notebook_dag.datasets.report import _guard_stray_coverage

    _guard_stray_coverage()
    warnings.simplefilter("ignore")
    logging.getLogger("ydata_profiling").setLevel(logging.ERROR)
    with contextlib.redirect_stderr(io.StringIO()):
        from ydata_profiling.config import Settings
        from ydata_profiling.model.correlations import calculate_correlation

    config = Settings()
    kinds = column_kinds(df)
    summary = {c: {"type": _YDATA_TYPES[k], "n_distinct": int(df[c].nunique())} for c, k in kinds.items()}

    def run(frame: pd.DataFrame, methods: tuple[str, ...]) -> float:
        t0 = time.perf_counter()
        for m in methods:
            calculate_correlation(config, frame, m, summary)
        return time.perf_counter() - t0

    run(df.head(1000), ("auto", "pearson", "spearman", "cramers"))  # imports out of the way
    n = min(100_000, len(df))
    sample = df.sample(n=n, random_state=0)
    for label, methods in (("default (auto)", ("auto",)), ("pearson + spearman + cramers", ("pearson", "spearman",
                                                                                            "cramers"))):
        t_sample = run(sample, methods)
        projected = t_sample * len(df) / n
        if n == len(df) or (not force_full and projected > budget):
            print(f"ydata-profiling correlation step, {label}, {n:,}-row sample: {t_sample:.2f} s "
                  f"(full {len(df):,} rows not run: linear extrapolation {projected:.0f} s > budget {budget:.0f} s)")
            continue
        t_full = run(df, methods)
        print(f"ydata-profiling correlation step, {label}, full {len(df):,} rows: {t_full:.2f} s "
              f"({n:,}-row sample: {t_sample:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--ydata-budget", type=float, default=180.0, help="seconds")
    parser.add_argument("--ydata-full", action="store_true")
    parser.add_argument("--skip", default="", help="comma list of: ours,ydata")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    print(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}; pandas {pd.__version__}; {load()}")
    tmp = Path(tempfile.mkdtemp(prefix="bench_analysis_"))
    try:
        df = mixed_frame(args.rows)
        if "ours" not in skip:
            bench_ours(df, args.repeat, tmp)
        if "ydata" not in skip:
            bench_ydata(df, args.ydata_budget, args.ydata_full)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
