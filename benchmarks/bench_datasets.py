"""Benchmark of the datasets feature: quick profile, previews, re-profile by hash.

Prints, in one run on the same synthetic frame (1M rows × 20 mixed columns: 8 float
with 5 % missing, 4 int, 4 text of low to full cardinality, 2 bool, 2 timestamp):

1. quick profile (``profile_table``) in memory, median of ``--repeat`` runs (target
   ≤ 2 s), and end to end (``profile_file``: read, profile, preview row index; target
   ≤ 2 s) from a Parquet and a CSV file, median of ``--repeat`` runs in a long-lived
   worker process as the server runs it. With ``--baseline REV`` the same runs are made,
   interleaved, by the code of git revision ``REV`` in a second worker process, and the
   two profiles are compared value for value (so a speed-up is measured under the same
   load and shown to change nothing);
2. ydata-profiling ``ProfileReport(df, minimal=True).get_description()`` on the same
   frame. It is first timed on a 100k-row sample; when the linear extrapolation to the
   full frame is over ``--ydata-budget`` seconds, the full frame is not run and the
   figure printed is the sample's, with the extrapolation stated (``--ydata-full``
   forces the full run);
3. preview latency of 50 rows at the start, middle and end of a ~1 GB CSV generated in
   a temporary directory (deleted afterwards), with the row index the quick profile
   stores and scanning from the start without it, and of a 10M-row Parquet file;
4. re-profile of unchanged content: ``DatasetJobs.ensure_profile`` on a content hash
   already profiled (a database lookup in a fresh SQLite database; target ≤ 50 ms).

Usage: python benchmarks/bench_datasets.py [--rows 1000000] [--repeat 3] [--csv-gb 1] [--baseline REV]

Measured on the 2-CPU machine shared with other jobs, ``--skip preview,reprofile
--baseline 8977f8a --repeat 9`` (load average 2.5-3.5): end to end from the 232 MiB CSV
1.19 s wall median (walls 1.16-2.49 s), 2.21 s CPU, against 1.96 s (1.58-2.54 s),
2.89 s CPU for the code before issue #15's work, identical profiles; ydata-profiling
minimal on the same 1M rows 19.1 s. Under load average 5-6 the walls spread to
1.9-5 s (median 3.54 s against 4.95 s; CPU 2.36 s against 3.16 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import os
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from notebook_dag.datasets import preview as previews  # noqa: E402
from notebook_dag.datasets.profiling import profile_file, profile_table  # noqa: E402


def mixed_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` rows × 20 columns of mixed kinds (see the module docstring)."""
    rng = np.random.default_rng(seed)
    d: dict[str, object] = {}
    for i in range(8):
        x = rng.normal(i, 1 + i, n)
        x[rng.random(n) < 0.05] = np.nan
        d[f"f{i}"] = x
    for i in range(4):
        d[f"i{i}"] = rng.integers(0, 10 ** (i + 2), n)
    cats = np.array(["alpha", "beta", "gamma", "delta", "epsilon"])
    d["s0"] = cats[rng.integers(0, 5, n)]
    d["s1"] = np.char.add("city_", rng.integers(0, 1000, n).astype(str))
    d["s2"] = np.char.add("id_", np.arange(n).astype(str))
    s3 = cats[rng.integers(0, 5, n)].astype(object)
    s3[rng.random(n) < 0.1] = None
    d["s3"] = s3
    d["b0"] = rng.random(n) < 0.3
    d["b1"] = rng.random(n) < 0.7
    d["t0"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 10**8, n), unit="s")
    d["t1"] = pd.date_range("2000-01-01", periods=n, freq="min")
    return pd.DataFrame(d)


def timed(fn, repeat: int = 1) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def cpu_timed(fn, repeat: int = 1) -> tuple[float, float, object]:
    """Median wall seconds, median CPU seconds of this process (all threads), result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), result


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def bench_profile(df: pd.DataFrame, tmp: Path, repeat: int, baseline: str = "") -> None:
    import pyarrow as pa

    table = pa.Table.from_pandas(df, preserve_index=False)
    t, cpu, prof = cpu_timed(lambda: profile_table(table), repeat)
    print(f"quick profile, {len(df):,} rows × {df.shape[1]} columns, in memory (Arrow): {t:.2f} s wall, "
          f"{cpu:.2f} s CPU (median of {repeat}; target ≤ 2 s; {load()}) — quality score {prof['quality']['score']}")
    t1, cpu1, _ = cpu_timed(lambda: profile_table(table, threads=1), 1)
    print(f"quick profile, one thread:                                  {t1:.2f} s wall, {cpu1:.2f} s CPU")
    t_pd, _ = timed(lambda: profile_table(df), 1)
    print(f"quick profile from a pandas DataFrame (conversion included):            {t_pd:.2f} s")
    pq_path, csv_path = tmp / "frame.parquet", tmp / "frame.csv"
    df.to_parquet(pq_path)
    df.to_csv(csv_path, index=False)
    bench_end_to_end(tmp, [("Parquet", pq_path, "parquet"), ("CSV", csv_path, "csv")], repeat, baseline)


_WORKER = """
import json, resource, sys, time
from notebook_dag.datasets.profiling import profile_file

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

for line in sys.stdin:
    path, fmt = json.loads(line)
    c0, t0 = cpu(), time.perf_counter()
    out = profile_file(path, fmt)
    wall, used = time.perf_counter() - t0, cpu() - c0
    print(json.dumps({"wall": wall, "cpu": used, "out": out}), flush=True)
"""


class ProfileWorker:
    """A long-lived Python process running ``profile_file`` of the ``notebook_dag`` found
    at ``root`` (like the server's profile worker, imports paid once, before timing)."""

    def __init__(self, root: Path, warm_up: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(root)}
        self.proc = subprocess.Popen([sys.executable, "-c", _WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=env, text=True, cwd=str(root))
        self.run(warm_up, "csv")

    def run(self, path: Path, fmt: str) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps([str(path), fmt]) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("profile worker died")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


_TIMINGS = ("profile_seconds", "read_seconds", "index_seconds")


def _comparable(out: dict) -> object:
    """The profile without its timings, -0.0 as 0.0 in quantiles (either sign is right
    for a zero quantile; which one numpy returns depends on the order of equal values)."""
    def clean(v: object, key: str = "") -> object:
        if isinstance(v, dict):
            return {k: clean(x, k) for k, x in v.items() if k not in _TIMINGS}
        if isinstance(v, list):
            return [clean(x, key) for x in v]
        if key.startswith("p") and v == 0.0 and isinstance(v, float):
            return 0.0
        return v
    return clean(out)


def bench_end_to_end(tmp: Path, files: list[tuple[str, Path, str]], repeat: int, baseline: str) -> None:
    warm = tmp / "warm.csv"
    mixed_frame(1000).to_csv(warm, index=False)
    workers = {"": ProfileWorker(ROOT, warm)}
    if baseline:
        old = tmp / "baseline"
        old.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", baseline, "notebook_dag"], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        workers = {f"baseline {baseline}": ProfileWorker(old, warm), **workers}
    try:
        for label, path, fmt in files:
            runs: dict[str, list[dict]] = {name: [] for name in workers}
            for i in range(repeat):  # interleaved, alternating who goes first: the same load for both
                for name in (list(workers) if i % 2 == 0 else list(workers)[::-1]):
                    runs[name].append(workers[name].run(path, fmt))
            for name, rs in runs.items():
                med = lambda f: statistics.median(f(r) for r in rs)  # noqa: E731
                print(f"quick profile end to end from {label} ({path.stat().st_size / 2**20:.0f} MiB){', ' + name if name else ''}: "
                      f"{med(lambda r: r['wall']):.2f} s wall, {med(lambda r: r['cpu']):.2f} s CPU "
                      f"(read {med(lambda r: r['out']['read_seconds']):.2f} s, profile "
                      f"{med(lambda r: r['out']['profile_seconds']):.2f} s, row index "
                      f"{med(lambda r: r['out']['index_seconds']):.2f} s; median of {repeat}, walls "
                      + ", ".join(f"{r['wall']:.2f}" for r in rs) + f"; target ≤ 2 s; {load()})")
            if baseline:
                first = [_comparable(rs[0]["out"]) for rs in runs.values()]
                print(f"  profiles of baseline and this code identical: {'yes' if first[0] == first[1] else 'NO'}")
    finally:
        for w in workers.values():
            w.close()


def bench_ydata(df: pd.DataFrame, budget: float, force_full: bool) -> None:
    from notebook_dag.datasets.report import _guard_stray_coverage

    _guard_stray_coverage()
    import warnings

    warnings.simplefilter("ignore")
    logging.getLogger("ydata_profiling").setLevel(logging.ERROR)
    from ydata_profiling import ProfileReport

    def run(frame: pd.DataFrame) -> float:
        t0 = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):  # a tqdm bar ignores progress_bar=False
            ProfileReport(frame, minimal=True, progress_bar=False).get_description()
        return time.perf_counter() - t0

    run(df.head(1000))  # imports and numba compilation out of the way
    n = min(100_000, len(df))
    sample = df.sample(n=n, random_state=0)
    t_sample = run(sample)
    projected = t_sample * len(df) / n
    if n == len(df) or (not force_full and projected > budget):
        print(f"ydata-profiling minimal, {n:,}-row sample: {t_sample:.1f} s "
              f"(full {len(df):,} rows not run: linear extrapolation {projected:.0f} s > budget {budget:.0f} s)")
        return
    t_full = run(df)
    print(f"ydata-profiling minimal, full {len(df):,} rows: {t_full:.1f} s "
          f"(100k-row sample: {t_sample:.1f} s; {load()})")


def write_big_csv(path: Path, target_bytes: int) -> int:
    """About ``target_bytes`` of CSV: a 200k-row block of the mixed frame repeated."""
    block = mixed_frame(200_000, seed=1).to_csv(index=False)
    header, body = block.split("\n", 1)
    data = body.encode()
    rows_per_block = body.count("\n")
    rows = 0
    with open(path, "wb") as f:
        f.write(header.encode() + b"\n")
        while f.tell() < target_bytes:
            f.write(data)
            rows += rows_per_block
    return rows


def bench_preview(tmp: Path, gigabytes: float) -> None:
    path = tmp / "big.csv"
    t0 = time.perf_counter()
    rows = write_big_csv(path, int(gigabytes * 2**30))
    print(f"generated {path.stat().st_size / 2**30:.2f} GiB CSV, {rows:,} rows, in {time.perf_counter() - t0:.0f} s")
    t_index, index = timed(lambda: previews.row_index(str(path), "csv"), 1)
    print(f"  row index (built once per content with the quick profile): {t_index:.2f} s, "
          f"{len(index['offsets'])} offsets")
    for label, offset in (("start", 0), ("middle", rows // 2), ("end", rows - 50)):
        t, out = timed(lambda: previews.preview(str(path), "csv", offset=offset, limit=50, index=index), 3)
        t_scan, scan = timed(lambda: previews.preview(str(path), "csv", offset=offset, limit=50), 1)
        assert len(out["rows"]) == 50 and out["rows"] == scan["rows"]
        print(f"  preview 50 rows at the {label:6s} (offset {offset:>10,}): {t * 1000:8.1f} ms with the index, "
              f"{t_scan * 1000:8.1f} ms scanning from the start")
    path.unlink()

    pq_path = tmp / "big.parquet"
    frame = mixed_frame(1_000_000, seed=2)
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    with pq.ParquetWriter(pq_path, table.schema) as w:
        for _ in range(10):
            w.write_table(table, row_group_size=100_000)
    total = 10 * len(frame)
    print(f"generated Parquet, {total:,} rows, {pq_path.stat().st_size / 2**20:.0f} MiB, row groups of 100,000")
    for label, offset in (("start", 0), ("middle", total // 2), ("end", total - 50)):
        t, out = timed(lambda: previews.preview(str(pq_path), "parquet", offset=offset, limit=50), 3)
        assert len(out["rows"]) == 50
        print(f"  preview 50 rows at the {label:6s} (offset {offset:>10,}): {t * 1000:8.1f} ms")
    pq_path.unlink()


async def bench_reprofile(tmp: Path) -> None:
    from notebook_dag.datasets.jobs import DatasetEvents, DatasetJobs
    from notebook_dag.datasets.orm import DatasetProfile
    from notebook_dag.datasets.store import DatasetFiles
    from notebook_dag.storage import Database

    db = Database(f"sqlite:///{tmp / 'bench.db'}")
    await db.migrate()
    key = ("ab" * 32, "parquet")
    prof = profile_table(mixed_frame(10_000))
    async with db.session() as s:
        s.add(DatasetProfile(sha256=key[0], format=key[1], status="ready", profile=prof))
    jobs = DatasetJobs(db, DatasetFiles(tmp / "files"), DatasetEvents(None), logging.getLogger("bench"))
    times = []
    for _ in range(50):
        t0 = time.perf_counter()
        status = await jobs.ensure_profile(key, "/unused", "d", 1)
        row = await jobs.profile_row(key)
        times.append(time.perf_counter() - t0)
        assert status == "ready" and row.profile["rows"] == 10_000 and not jobs.profiles
    await db.dispose()
    print(f"re-profile of unchanged content (hash lookup + stored profile fetch): median "
          f"{statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms over 50 (target ≤ 50 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--csv-gb", type=float, default=1.0)
    parser.add_argument("--ydata-budget", type=float, default=180.0, help="seconds")
    parser.add_argument("--ydata-full", action="store_true")
    parser.add_argument("--skip", default="", help="comma list of: profile,ydata,preview,reprofile")
    parser.add_argument("--baseline", default="", metavar="REV",
                        help="also time profile_file of this git revision, interleaved (e.g. 8977f8a)")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    print(f"machine: {os.cpu_count()} CPUs; python {sys.version.split()[0]}; pandas {pd.__version__}; {load()}")
    tmp = Path(tempfile.mkdtemp(prefix="bench_datasets_"))
    try:
        df = mixed_frame(args.rows)
        if "profile" not in skip:
            bench_profile(df, tmp, args.repeat, args.baseline)
        if "ydata" not in skip:
            bench_ydata(df, args.ydata_budget, args.ydata_full)
        del df
        if "preview" not in skip:
            bench_preview(tmp, args.csv_gb)
        if "reprofile" not in skip:
            asyncio.run(bench_reprofile(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
