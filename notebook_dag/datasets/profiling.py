"""Quick profile of a table: shape, types, memory, missing values, duplicates, per-column
statistics, small histograms and a data-quality score.

Vectorised with pyarrow compute and numpy, one column per thread (both release the GIL);
on the 2-core reference machine 1M rows × 20 mixed columns take about 1 s of CPU
(0.5 s wall when the machine is idle), reading the 232 MiB CSV about 0.8 s of CPU
(``benchmarks/bench_datasets.py``). Per column, one sort (floats) or one count per value
(integers of a small range) gives both the distinct count and the quantiles.
:func:`profile_file` is the entry point the server runs in its worker process;
:func:`profile_table` profiles an in-memory ``pyarrow.Table`` (a ``pandas.DataFrame`` is
converted first).

Duplicate rows are counted on a 64-bit hash per row built from exact per-column codes
(value bits for numbers and dates, dictionary indices for text), so two different rows
collide with probability about n²/2⁶⁵ (3·10⁻⁸ for a million rows).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

#: 2: ``pandas_dtypes`` added (the whole file's dtypes that previews report)
#: 3: ``duplicate_groups``, rules' ``problem``, column ``dtype`` in pandas' names (``arrow_type`` kept)
PROFILE_SCHEMA_VERSION = 3
QUANTILES = (5, 25, 50, 75, 95)
_NUMERIC_TEXT = r"^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*$"
_M1 = np.uint64(0xBF58476D1CE4E5B9)


def _num(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if np.isfinite(v) else None


def _histogram(values: np.ndarray, bins: int, integer: bool = False,
               ordered: np.ndarray | None = None) -> dict[str, list[float]]:
    """``np.histogram`` of ``values`` over their range (one bin per integer when there
    are at most ``bins`` of them). ``ordered``, the same values sorted, gives the same
    counts by bisecting at the edges: ``x`` is in bin ``i`` when ``edges[i] <= x <
    edges[i+1]`` (the last bin closed), which is how ``np.histogram`` settles values
    near an edge."""
    if values.size == 0:
        return {"edges": [], "counts": []}
    lo, hi = float(values.min()), float(values.max())
    if integer and hi - lo + 1 <= bins:  # one bin per integer value
        bins, lo, hi = int(hi - lo + 1), lo - 0.5, hi + 0.5
    elif hi <= lo:
        hi = lo + 1
    if ordered is None:
        counts, edges = np.histogram(values, bins=bins, range=(lo, hi))  # uniform bins: the fast path
    else:
        edges = np.histogram_bin_edges(ordered[:1], bins=bins, range=(lo, hi))
        cuts = np.searchsorted(ordered, edges[1:-1], side="left")
        counts = np.diff(np.concatenate(([0], cuts, [ordered.size])))
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


def _int_counts(raw: np.ndarray) -> tuple[int, np.ndarray] | None:
    """``(lowest value, occurrences of each value from it)`` of an integer array whose
    range is small enough for a count per value (a few times its length at most), else None."""
    if raw.size == 0:
        return None
    lo, hi = int(raw.min()), int(raw.max())
    if hi - lo >= max(4 * raw.size, 1 << 16):
        return None
    return lo, np.bincount(_shift(raw, lo).astype(np.intp, copy=False), minlength=hi - lo + 1)


def _shift(raw: np.ndarray, by: int) -> np.ndarray:
    """``raw - by`` without overflow for values within a small range above ``by``
    (uint64 in its own type, every other integer type as int64)."""
    if raw.dtype == np.uint64:
        return raw - np.uint64(by)
    return raw.astype(np.int64, copy=False) - by


def _distinct_ints(raw: np.ndarray) -> int:
    """Distinct values of an integer array: by differences when it is sorted (time
    series), by counts when its range is small, else by hashing."""
    if raw.size < 2:
        return int(raw.size)
    if bool((raw[1:] >= raw[:-1]).all()):
        return int(np.count_nonzero(raw[1:] != raw[:-1])) + 1
    counts = _int_counts(raw)
    if counts is not None:
        return int(np.count_nonzero(counts[1]))
    return _nunique(raw)


def _numeric(col: Any, n: int, bins: int) -> tuple[dict[str, Any], np.ndarray]:
    """Statistics of a numeric column and its row codes. Distinct values and quantiles
    come from one sorted copy (floats) or from counts per value (integers of a small
    range) instead of a hash table plus a partition; mean, std and histogram are taken
    over the values in row order, so that every figure is bit for bit what numpy gives
    for the column (``np.percentile``, ``mean``, ``std``, ``pd.unique``)."""
    import pyarrow as pa

    if pa.types.is_decimal(col.type):
        col = col.cast(pa.float64())
    integer = pa.types.is_integer(col.type)
    missing = col.null_count
    ordered: np.ndarray | None = None  # the finite values, sorted
    if integer and missing == 0:
        raw = col.to_numpy()
        codes = raw.astype(np.int64).view(np.uint64)
        values = raw.astype(np.float64)
        counts = _int_counts(raw)
        if counts is None:
            distinct = _nunique(raw)
        else:
            present = np.flatnonzero(counts[1])
            distinct = int(present.size)
            base = present.astype(np.uint64) + np.uint64(counts[0]) if raw.dtype == np.uint64 else present + counts[0]
            ordered = np.repeat(base, counts[1][present]).astype(np.float64)
    else:
        values = col.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
        nan = np.isnan(values)
        bits = values + 0.0  # -0.0 → 0.0
        if missing or nan.any():
            bits[nan] = np.nan  # one NaN bit pattern
            values = values[~nan]
        codes = bits.view(np.uint64)
        missing = int(nan.sum())
        ordered = np.sort(values)
        distinct = int(np.count_nonzero(ordered[1:] != ordered[:-1])) + 1 if ordered.size else 0
        lo = int(np.searchsorted(ordered, -np.inf, side="right"))
        hi = int(np.searchsorted(ordered, np.inf, side="left"))
        ordered = ordered[lo:hi]
    if ordered is not None and ordered.size == values.size:
        finite = values  # nothing infinite (integers always)
    else:
        finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    out: dict[str, Any] = {"kind": "numeric", "missing": int(missing)}
    out["distinct"] = distinct
    histogram = _histogram(finite, bins, integer, ordered)  # before the partition below reorders ``ordered``
    if finite.size:
        if ordered is None:
            qs = np.percentile(finite, QUANTILES)
        else:  # same multiset, already in order: the partition is one pass, in place (no copy)
            qs = np.percentile(ordered, QUANTILES, overwrite_input=True)
        out.update(
            min=_num(finite.min()), max=_num(finite.max()), mean=_num(finite.mean()),
            std=_num(finite.std(ddof=1)) if finite.size > 1 else 0.0,
            # + 0.0: a zero quantile is 0.0, whichever of -0.0 and 0.0 the order put there
            quantiles={f"p{q}": _num(v + 0.0) for q, v in zip(QUANTILES, qs)},
            zeros=int((finite == 0).sum()), negatives=int((finite < 0).sum()),
        )
    out["infinite"] = int(values.size - finite.size)
    out["histogram"] = histogram
    return out, codes


def _nunique(values: np.ndarray) -> int:
    import pandas as pd

    return int(pd.unique(values).size)


def _duplicate_counts(row_hashes: np.ndarray) -> tuple[int, int]:
    """``(rows that repeat an earlier row, distinct rows that occur more than once)``
    for one 64-bit hash per row: pandas' ``df.duplicated().sum()`` and ydata-profiling's
    "Duplicate rows" (the size of its duplicates table), respectively. Sorts the hashes
    (a third of the time of counting them in a hash table)."""
    if row_hashes.size < 2:
        return 0, 0
    ordered = np.sort(row_hashes)
    same = ordered[1:] == ordered[:-1]  # row i+1 repeats row i
    repeats = int(np.count_nonzero(same))
    groups = int(same[0]) + int(np.count_nonzero(same[1:] & ~same[:-1]))  # runs of equal hashes
    return repeats, groups


def _temporal(col: Any, bins: int) -> tuple[dict[str, Any], np.ndarray]:
    import pyarrow as pa
    import pyarrow.compute as pc

    mm = pc.min_max(col)
    if pa.types.is_date32(col.type):
        ints = col.cast(pa.int32()).cast(pa.int64())
    elif pa.types.is_date64(col.type):
        ints = col.cast(pa.int64())
    else:
        ints = col.cast(pa.int64())
    raw = ints.to_numpy(zero_copy_only=False)
    nulls = col.is_null().to_numpy(zero_copy_only=False) if col.null_count else None
    if nulls is not None:
        raw = np.where(nulls, 0, np.nan_to_num(raw)).astype(np.int64)
        valid = raw[~nulls]
    else:
        raw = raw.astype(np.int64)
        valid = raw
    codes = raw.view(np.uint64).copy()
    if nulls is not None:
        codes[nulls] = np.uint64(2**63 + 777)
    hist = _histogram(valid.astype(np.float64), bins)
    iso = lambda v: None if v is None else v.isoformat() if hasattr(v, "isoformat") else str(v)  # noqa: E731
    return {
        "kind": "datetime",
        "missing": int(col.null_count),
        "distinct": _distinct_ints(valid),
        "min": iso(mm["min"].as_py()),
        "max": iso(mm["max"].as_py()),
        "histogram": hist,
    }, codes


def _categorical(col: Any, top: int) -> tuple[dict[str, Any], np.ndarray]:
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    enc = arr if pa.types.is_dictionary(arr.type) else pc.dictionary_encode(arr)
    dictionary = enc.dictionary
    idx = enc.indices.to_numpy(zero_copy_only=False)
    missing = int(arr.null_count)
    if missing:
        nulls = enc.indices.is_null().to_numpy(zero_copy_only=False)
        idx = np.where(nulls, -1, np.nan_to_num(idx)).astype(np.int64)
        counts = np.bincount(idx[~nulls], minlength=len(dictionary))
    else:
        idx = idx.astype(np.int64)
        counts = np.bincount(idx, minlength=len(dictionary))
    present = counts > 0
    distinct = int(present.sum())
    k = min(top, len(counts))
    best = np.argpartition(-counts, k - 1)[:k] if k else np.array([], dtype=np.int64)
    best = best[np.argsort(-counts[best], kind="stable")]
    best = best[counts[best] > 0]
    top_values = [
        {"value": v if isinstance(v, (str, int, float, bool)) or v is None else str(v), "count": int(counts[i])}
        for i, v in zip(best, dictionary.take(pa.array(best, type=pa.int64())).to_pylist())
    ]
    out: dict[str, Any] = {
        "kind": "boolean" if pa.types.is_boolean(arr.type) else "categorical",
        "missing": missing,
        "distinct": distinct,
        "top": top_values,
    }
    if pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type):
        lengths = pc.utf8_length(dictionary).to_numpy(zero_copy_only=False)[present]
        weights = counts[present]
        if lengths.size:
            out["length"] = {
                "min": int(lengths.min()), "max": int(lengths.max()),
                "mean": float((lengths * weights).sum() / max(weights.sum(), 1)),
            }
        if 0 < len(dictionary) <= 200_000:
            looks = pc.match_substring_regex(dictionary, _NUMERIC_TEXT).to_numpy(zero_copy_only=False)
            out["numeric_text_ratio"] = float(counts[looks].sum() / max(counts.sum(), 1))
        out["kind"] = "text" if distinct > 0.5 * max(len(arr) - missing, 1) and distinct > 50 else "categorical"
    return out, idx.view(np.uint64)


def _column(name: str, col: Any, n: int, bins: int, top: int) -> tuple[dict[str, Any], np.ndarray | None]:
    import pyarrow as pa

    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = col.type
    try:
        if pa.types.is_null(t):
            prof, codes = {"kind": "empty", "missing": n, "distinct": 0}, np.zeros(n, dtype=np.uint64)
        elif pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            prof, codes = _numeric(col, n, bins)
        elif pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_time(t) or pa.types.is_duration(t):
            prof, codes = _temporal(col, bins)
        elif any(check(t) for check in (pa.types.is_boolean, pa.types.is_string, pa.types.is_large_string,
                                        pa.types.is_binary, pa.types.is_large_binary)):
            prof, codes = _categorical(col, top)
        else:
            prof, codes = {"kind": "other", "missing": int(col.null_count), "distinct": None}, None
    except Exception as e:  # noqa: BLE001 - one odd column must not sink the profile
        prof, codes = {"kind": "other", "missing": int(col.null_count), "distinct": None, "error": str(e)[:300]}, None
    prof = {"name": name, "dtype": str(t), **prof}
    prof["missing_ratio"] = prof["missing"] / n if n else 0.0
    if prof.get("distinct") is not None:
        prof["distinct_ratio"] = prof["distinct"] / max(n - prof["missing"], 1)
    return prof, codes


def _cost_rank(t: Any) -> int:
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return 0
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return 1
    return 2


def profile_table(table: Any, bins: int = 20, top: int = 5, threads: int | None = None) -> dict[str, Any]:
    """Quick profile of ``table`` (a ``pyarrow.Table`` or a ``pandas.DataFrame``).

    Returns a JSON-safe dict: ``rows``, ``columns`` (counts), ``memory_bytes`` (Arrow
    buffers), ``missing_cells``, ``missing_ratio``, ``duplicate_rows`` (rows that
    repeat an earlier row, as pandas' ``duplicated().sum()``), ``duplicate_ratio``
    (``duplicate_rows`` / rows), ``duplicate_groups`` (distinct rows occurring more than
    once: what ydata-profiling's report calls "Duplicate rows"), ``kinds`` (columns per
    kind) and ``column_profiles``: per column ``name``, ``dtype`` (Arrow type here;
    :func:`profile_file` puts pandas' name there and the Arrow type in ``arrow_type``), ``kind`` (numeric, categorical, text, boolean,
    datetime, empty, other), ``missing``, ``missing_ratio``, ``distinct``,
    ``distinct_ratio`` and, by kind, ``min``/``max``/``mean``/``std``/``quantiles``
    (p5..p95)/``zeros``/``negatives``/``infinite``, ``top`` (``[{value, count}]``),
    ``length`` (text), ``histogram`` (``{"edges": bins+1 floats, "counts": bins ints}``;
    datetimes in epoch units of their type). ``quality`` is :func:`quality_score`'s result.
    """
    import pyarrow as pa

    t0 = time.perf_counter()
    if not isinstance(table, pa.Table):
        table = pa.Table.from_pandas(table, preserve_index=False)
    n = table.num_rows
    names = [str(c) for c in table.column_names]
    workers = threads or min(4, os.cpu_count() or 1)
    # costliest first (text is hashed, floats sorted), so that no long column starts last
    order = sorted(range(len(names)), key=lambda i: _cost_rank(table.schema.types[i]))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = dict(zip(order, pool.map(lambda i: _column(names[i], table.column(i), n, bins, top), order)))
    results = [done[i] for i in range(len(names))]
    profiles = [r[0] for r in results]
    duplicates, groups, skipped = 0, 0, [p["name"] for p, c in results if c is None]
    # a column without missing values whose values are all distinct (an id, a time
    # stamp) makes every row distinct: no need to hash and sort the rows
    unique_key = any(c is not None and p["missing"] == 0 and p.get("distinct") == n for p, c in results)
    if n > 1 and len(results) > len(skipped) and not unique_key:
        h, tmp = np.zeros(n, dtype=np.uint64), np.empty(n, dtype=np.uint64)
        for _, codes in results:  # h = xorshift(h ^ codes) * M, in place
            if codes is not None:
                np.bitwise_xor(h, codes, out=h)
                np.multiply(h, _M1, out=h)
                np.right_shift(h, np.uint64(29), out=tmp)
                np.bitwise_xor(h, tmp, out=h)
        duplicates, groups = _duplicate_counts(h)  # a sort needs no final mix
    missing = sum(p["missing"] for p in profiles)
    cells = n * len(names)
    kinds: dict[str, int] = {}
    for p in profiles:
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
    out = {
        "schema_version": PROFILE_SCHEMA_VERSION,
        "rows": n,
        "columns": len(names),
        "memory_bytes": int(table.nbytes),
        "missing_cells": int(missing),
        "missing_ratio": missing / cells if cells else 0.0,
        "duplicate_rows": int(duplicates),
        "duplicate_ratio": duplicates / n if n else 0.0,
        "duplicate_groups": int(groups),
        "duplicates_ignore_columns": skipped,
        "kinds": kinds,
        "column_profiles": profiles,
    }
    out["quality"] = quality_score(out)
    out["profile_seconds"] = time.perf_counter() - t0
    return out


def _rule(rule_id: str, title: str, penalty: float, max_penalty: float, columns: list[str] | None = None,
          problem: str = "", **extra: Any) -> dict[str, Any]:
    """One rule of :func:`quality_score`: ``title`` says what passing means ("No
    duplicate rows"), ``problem`` what was found when it fails (empty when passed)."""
    penalty = round(min(max_penalty, penalty), 2)
    passed = penalty == 0
    return {"id": rule_id, "title": title, "penalty": penalty, "max_penalty": max_penalty,
            "passed": passed, "problem": "" if passed else problem, "columns": columns or [], **extra}


def _pct(ratio: float) -> str:
    return f"{100 * ratio:.1f} %"


def _names(cols: list[str]) -> str:
    return ", ".join(cols[:5]) + (f" and {len(cols) - 5} more" if len(cols) > 5 else "")


def quality_score(p: dict[str, Any]) -> dict[str, Any]:
    """Data-quality score from 0 to 100 with the rules that make it up.

    Starts at 100 and subtracts each rule's penalty (capped at its ``max_penalty``):
    ``empty`` (no rows: 100), ``completeness`` (40 × missing-cell ratio, ≤ 40),
    ``sparse_columns`` (5 per column over 50 % missing, ≤ 20), ``duplicate_rows``
    (100 × duplicate-row ratio, ≤ 20), ``constant_columns`` (5 per column with one
    distinct value and at most 50 % missing, ≤ 15), ``numbers_as_text`` (5 per text
    column whose values are ≥ 95 % numeric-looking, ≤ 10), ``infinite_values`` (2 per
    numeric column holding ±inf, ≤ 10).
    Returns ``{"score", "grade" (A ≥ 90, B ≥ 75, C ≥ 60, D ≥ 40, else E), "rules": [...]}``.
    """
    cols = p["column_profiles"]
    rules = [_rule("empty", "The table has rows", 100.0 if p["rows"] == 0 else 0.0, 100.0,
                   problem="The table has no rows")]
    rules.append(_rule("completeness", "Few missing cells", 40 * p["missing_ratio"], 40.0, value=p["missing_ratio"],
                       problem=f"{p['missing_cells']:,} cells missing ({_pct(p['missing_ratio'])})"))
    sparse = [c["name"] for c in cols if c["missing_ratio"] > 0.5]
    rules.append(_rule("sparse_columns", "No column is mostly empty", 5.0 * len(sparse), 20.0, sparse,
                       problem=f"{len(sparse)} column(s) over half empty: {_names(sparse)}"))
    groups = p.get("duplicate_groups")
    rules.append(_rule("duplicate_rows", "No duplicate rows", 100 * p["duplicate_ratio"], 20.0, value=p["duplicate_rows"],
                       problem=(f"{p['duplicate_rows']:,} row repeats" if p["duplicate_rows"] == 1
                                else f"{p['duplicate_rows']:,} rows repeat")
                       + f" an earlier row ({_pct(p['duplicate_ratio'])})"
                       + ("" if groups is None else "; 1 distinct row occurs more than once" if groups == 1
                          else f"; {groups:,} distinct rows occur more than once")))
    constant = [c["name"] for c in cols if p["rows"] > 1 and c.get("distinct") == 1 and c["missing_ratio"] <= 0.5]
    rules.append(_rule("constant_columns", "No constant columns", 5.0 * len(constant), 15.0, constant,
                       problem=f"{len(constant)} column(s) hold a single value: {_names(constant)}"))
    as_text = [c["name"] for c in cols if c.get("numeric_text_ratio", 0) >= 0.95]
    rules.append(_rule("numbers_as_text", "Numbers are stored as numbers", 5.0 * len(as_text), 10.0, as_text,
                       problem=f"{len(as_text)} text column(s) hold numbers: {_names(as_text)}"))
    infinite = [c["name"] for c in cols if c.get("infinite")]
    rules.append(_rule("infinite_values", "No infinite values", 2.0 * len(infinite), 10.0, infinite,
                       problem=f"{len(infinite)} column(s) hold ±infinity: {_names(infinite)}"))
    score = round(max(0.0, 100.0 - sum(r["penalty"] for r in rules)), 1)
    grade = next(g for g, lo in (("A", 90), ("B", 75), ("C", 60), ("D", 40), ("E", -1)) if score >= lo)
    return {"score": score, "grade": grade, "rules": rules}


def profile_file(path: str, fmt: str) -> dict[str, Any]:
    """Read the whole file (:func:`notebook_dag.datasets.formats.read_table`) and profile it.

    Adds ``pandas_dtypes`` (``[[column, dtype]]`` of the file as ``notebook_dag.load()``
    reads it, :func:`~notebook_dag.datasets.formats.table_dtypes`; previews report them),
    ``file_bytes``, ``read_seconds``, ``index_seconds`` and ``row_index`` (the
    preview index of :func:`~notebook_dag.datasets.preview.row_index`, which the caller
    stores apart from the profile; built in a second thread while the statistics are
    computed, ``index_seconds`` being its own duration) to :func:`profile_table`'s result. Raises
    :class:`~notebook_dag.errors.Unprocessable` (or the reader's own error) for a file that
    cannot be read. Safe to run in a worker process (only picklable values in and out).
    """
    from .formats import read_table, table_dtypes
    from .preview import row_index

    def index() -> tuple[dict[str, Any] | None, float]:
        t = time.perf_counter()
        return row_index(path, fmt), time.perf_counter() - t

    t0 = time.perf_counter()
    table = read_table(path, fmt)
    read_seconds = time.perf_counter() - t0
    # the row index scans the file bytes (numpy, GIL released) while the statistics run:
    # it fills the gaps the column threads leave (their tail, the duplicate count)
    with ThreadPoolExecutor(max_workers=1) as side:
        indexing = side.submit(index)
        out = profile_table(table)
        out["pandas_dtypes"] = [list(pair) for pair in table_dtypes(table, fmt)]
        # one vocabulary for types: pandas' (what previews and notebook_dag.load() show)
        pandas = {str(name): str(dtype) for name, dtype in out["pandas_dtypes"]}
        for col in out["column_profiles"]:
            col["arrow_type"] = col["dtype"]
            col["dtype"] = pandas.get(col["name"], col["dtype"])
        del table
        import pyarrow as pa

        pa.default_memory_pool().release_unused()  # the worker process lives on: give memory back
        out["file_bytes"] = os.path.getsize(path)
        out["read_seconds"] = read_seconds
        out["row_index"], out["index_seconds"] = indexing.result()
    return out
