"""Dataset analysis as pure functions over a pandas DataFrame (the one
``notebook_dag.load()`` returns): descriptive statistics with normality and outlier
summaries, correlations (Pearson, Spearman, Cramér's V, correlation ratio) with p-values,
and k-means clustering with k chosen by silhouette. No HTTP, no database: the service
runs them off the event loop
(:func:`notebook_dag.datasets.analysis_service.analyze_file`) and caches its JSON-safe result.

Every result carries ``code``: a Python block that reproduces it from
``notebook_dag.load(...)`` (the ``load`` argument of each function is that call's
source text, e.g. ``notebook_dag.load("iris.csv")``).

Sampling (documented in the REST route too): Spearman's ρ, Cramér's V and the
correlation ratio are computed on a uniform random sample of :data:`SAMPLE_ROWS` rows
when the table has more (seeded, so repeatable); Pearson's r uses every row. Normality
tests use at most :data:`NORMALITY_SAMPLE` values of a column. Clustering fits k-means
on at most :data:`CLUSTER_FIT_ROWS` rows and scores silhouettes on at most
:data:`SILHOUETTE_SAMPLE`; every row is then assigned to a cluster.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .coefficients import (
    _correlation_ratio,
    _cramers_v,
    _f,
    _pearson_matrix,
    _r_p_values,
    _spearman_matrix,
)

KINDS = ("statistics", "correlation", "clustering")
#: a text column with at most this many distinct values is categorical (else ``text``)
MAX_CATEGORIES = 50
#: rows of the random sample behind Spearman, Cramér's V and the correlation ratio
SAMPLE_ROWS = 100_000
#: values of a column that its normality test uses at most (a random sample)
NORMALITY_SAMPLE = 5_000
#: values of a categorical column's most frequent values reported
TOP_VALUES = 10
#: the strongest pairs listed at most
TOP_PAIRS = 25
#: at most this many numeric / categorical columns enter correlations and clustering
MAX_COLUMNS = 100
#: k-means is fitted on at most this many rows; silhouettes are scored on at most SILHOUETTE_SAMPLE
CLUSTER_FIT_ROWS = 50_000
SILHOUETTE_SAMPLE = 2_000
K_RANGE = (2, 8)
#: rows with a missing value are dropped when that keeps at least this share of them, else imputed
DROP_MISSING_MIN_SHARE = 0.8
SEED = 0


def _value(v: Any) -> Any:
    """A JSON-safe cell value (for top values)."""
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return _f(v)
    if isinstance(v, str):
        return v
    return str(v)


# ---- column kinds -------------------------------------------------------------------


def column_kind(s: Any) -> str:
    """``numeric``, ``boolean``, ``datetime`` (also object columns of dates),
    ``categorical`` (text or other values with
    at most :data:`MAX_CATEGORIES` distinct values), ``text`` (more) or ``other``."""
    import pandas as pd
    from pandas.api import types as t

    if t.is_bool_dtype(s.dtype):
        return "boolean"
    if t.is_numeric_dtype(s.dtype) and not t.is_complex_dtype(s.dtype):
        return "numeric"
    if t.is_datetime64_any_dtype(s.dtype):
        return "datetime"
    if t.is_timedelta64_dtype(s.dtype) or t.is_complex_dtype(s.dtype):
        return "other"
    inferred = t.infer_dtype(s, skipna=True)  # one pass in C
    if inferred == "boolean":
        return "boolean"
    if inferred in ("date", "datetime", "datetime64"):
        return "datetime"  # e.g. pyarrow's date32 CSV columns: datetime.date objects
    if isinstance(s.dtype, pd.CategoricalDtype):
        return "categorical"
    try:  # the first rows often tell already
        distinct = s.iloc[:10_000].nunique(dropna=True)
        if distinct <= MAX_CATEGORIES:
            distinct = s.nunique(dropna=True)
    except TypeError:  # unhashable values (lists, dicts)
        return "other"
    if distinct <= MAX_CATEGORIES:
        return "categorical"
    return "text"


def column_kinds(df: Any) -> dict[str, str]:
    """:func:`column_kind` of every column, by its name as text."""
    return {str(c): column_kind(df[c]) for c in df.columns}


def _frame(df: Any) -> Any:
    """``df`` with text column names (the API names columns by text)."""
    if all(isinstance(c, str) for c in df.columns) and df.columns.is_unique:
        return df
    out = df.copy()
    names, seen = [], set()
    for c in df.columns:
        name = str(c)
        while name in seen:
            name += "_"
        seen.add(name)
        names.append(name)
    out.columns = names
    return out


def _finite(s: Any) -> np.ndarray:
    """The finite values of a numeric column as float64."""
    values = s.to_numpy(dtype=np.float64, na_value=np.nan)
    return values[np.isfinite(values)]


def _sample_index(n: int, size: int, seed: int = SEED) -> np.ndarray | None:
    """Sorted positions of a uniform random sample of ``size`` of ``n`` rows (None: all rows)."""
    if n <= size:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size, replace=False))


# ---- statistics ---------------------------------------------------------------------


def _normality(values: np.ndarray) -> dict[str, Any] | None:
    from scipy import stats

    if values.size < 3 or np.ptp(values) == 0:
        return None
    sample = values
    if values.size > NORMALITY_SAMPLE:
        sample = np.random.default_rng(SEED).choice(values, NORMALITY_SAMPLE, replace=False)
    if sample.size >= 20:
        res, test = stats.normaltest(sample), "dagostino_pearson"
    else:
        res, test = stats.shapiro(sample), "shapiro_wilk"
    p = _f(res.pvalue)
    return {"test": test, "statistic": _f(res.statistic), "p_value": p, "sample_size": int(sample.size),
            "normal_at_5pct": None if p is None else bool(p >= 0.05)}


def _numeric_stats(s: Any) -> dict[str, Any]:
    import pandas as pd

    values = _finite(s)
    out: dict[str, Any] = {"infinite": int(s.notna().sum() - values.size)}
    if not values.size:
        return out
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    iqr = q3 - q1
    lower, upper = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    outliers = int(((values < lower) | (values > upper)).sum())
    finite = pd.Series(values)
    out.update(
        mean=_f(values.mean()), std=_f(finite.std()) if values.size > 1 else None,
        min=_f(values.min()), q1=_f(q1), median=_f(median), q3=_f(q3), max=_f(values.max()),
        skewness=_f(finite.skew()), kurtosis=_f(finite.kurt()),
        normality=_normality(values),
        outliers={"rule": "iqr_1.5", "count": outliers, "share": outliers / values.size,
                  "lower": _f(lower), "upper": _f(upper)},
    )
    return out


def _top(s: Any, n: int) -> list[dict[str, Any]]:
    counts = s.value_counts(dropna=True)
    total = max(int(counts.sum()), 1)
    return [{"value": _value(v), "count": int(c), "share": int(c) / total} for v, c in counts.iloc[:n].items()]


def statistics(df: Any, load: str) -> dict[str, Any]:
    """Per column: ``name``, ``dtype``, ``kind`` (:func:`column_kind`), ``count``
    (non-missing), ``missing``, ``distinct``; numerics also ``mean``, ``std`` (ddof 1),
    ``min``, ``q1``, ``median``, ``q3``, ``max``, ``skewness`` and ``kurtosis`` (excess;
    pandas' bias-corrected estimators), ``infinite`` (±inf values, left out of the
    others), ``normality`` (``{"test": "dagostino_pearson"`` for 20 values or more, else
    ``"shapiro_wilk"``, ``statistic``, ``p_value``, ``sample_size``, ``normal_at_5pct``}``
    on at most :data:`NORMALITY_SAMPLE` values; None for fewer than 3 values or a
    constant) and ``outliers`` (Tukey's rule: outside ``[q1 - 1.5 IQR, q3 + 1.5 IQR]``:
    ``count``, ``share`` of the finite values, ``lower``, ``upper``); categorical,
    boolean and text columns ``top`` (``[{value, count, share}]``, :data:`TOP_VALUES`);
    datetimes ``min``/``max`` as ISO text in ``first``/``last``."""
    df = _frame(df)
    cols = []
    for name in df.columns:
        s = df[name]
        kind = column_kind(s)
        missing = int(s.isna().sum())
        try:
            distinct = int(s.nunique(dropna=True))
        except TypeError:
            distinct = None
        col: dict[str, Any] = {"name": name, "dtype": str(s.dtype), "kind": kind, "count": int(len(s) - missing),
                               "missing": missing, "distinct": distinct}
        if kind == "numeric":
            col.update(_numeric_stats(s))
        elif kind in ("categorical", "boolean", "text"):
            col["top"] = _top(s, TOP_VALUES)
        elif kind == "datetime" and len(s) > missing:
            col["first"], col["last"] = s.min().isoformat(), s.max().isoformat()
        cols.append(col)
    code = f"""import notebook_dag
import pandas as pd
from scipy import stats

df = {load}
numeric = df.select_dtypes("number")
summary = numeric.describe().T
summary["missing"] = numeric.isna().sum()
summary["skewness"] = numeric.skew()
summary["kurtosis"] = numeric.kurt()
q1, q3 = numeric.quantile(0.25), numeric.quantile(0.75)
low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
summary["outliers"] = ((numeric < low) | (numeric > high)).sum()
# D'Agostino-Pearson normality test (on at most {NORMALITY_SAMPLE} values of each column)
summary["normality_p"] = [
    stats.normaltest(v.sample(min(len(v), {NORMALITY_SAMPLE}), random_state=0)).pvalue if len(v) >= 20 else None
    for v in (numeric[c].dropna() for c in numeric.columns)
]
for c in df.columns.difference(numeric.columns):
    print(c, df[c].value_counts().head({TOP_VALUES}).to_dict())
summary
"""
    return {"kind": "statistics", "rows": len(df), "columns": cols, "code": code}


# ---- correlation --------------------------------------------------------------------


def _matrix(method: str, names: list[str], values: np.ndarray, p: np.ndarray, n: np.ndarray,
            rows_names: list[str] | None = None) -> dict[str, Any]:
    return {"method": method, "rows": rows_names or names, "columns": names,
            "values": [[_f(v) for v in row] for row in values],
            "p_values": [[_f(v) for v in row] for row in p],
            "n": [[int(v) for v in row] for row in n]}


def correlation(df: Any, load: str) -> dict[str, Any]:
    """Correlations between columns.

    ``matrices``: ``pearson`` (every row) and ``spearman`` over the numeric columns,
    ``cramers_v`` over the categorical and boolean ones, ``correlation_ratio`` (η, rows:
    numeric columns, columns: categorical ones); each ``{method, rows, columns, values,
    p_values, n}`` with pairwise-complete rows (``n``: rows used per pair; null where
    undefined, e.g. a constant column). p-values: Student's t for r and ρ (as
    ``scipy.stats.pearsonr``/``spearmanr``), the chi-squared test without continuity
    correction for V, the one-way ANOVA F test for η.
    ``pairs``: the :data:`TOP_PAIRS` strongest pairs, ``|value|`` descending:
    ``{columns: [a, b], method, value, p_value, n}``, each numeric pair once under the
    stronger of Pearson and Spearman (both given as ``pearson``/``spearman``).
    ``sampling``: ``{rows, sample_rows, sampled, methods}``: the methods computed on a
    random sample of :data:`SAMPLE_ROWS` rows when ``sampled``.
    ``skipped``: columns left out (text, datetime, other; beyond :data:`MAX_COLUMNS`).
    """
    import pandas as pd

    df = _frame(df)
    kinds = column_kinds(df)
    numeric = [c for c, k in kinds.items() if k == "numeric"][:MAX_COLUMNS]
    categorical = [c for c, k in kinds.items() if k in ("categorical", "boolean")][:MAX_COLUMNS]
    skipped = [c for c in df.columns if c not in numeric and c not in categorical]
    n = len(df)
    sample = _sample_index(n, SAMPLE_ROWS)
    matrices = []
    pairs: list[dict[str, Any]] = []
    x = np.empty((n, len(numeric)))
    for j, c in enumerate(numeric):
        col = df[c].to_numpy(dtype=np.float64, na_value=np.nan)
        x[:, j] = np.where(np.isfinite(col), col, np.nan)
    xs = x if sample is None else x[sample]
    if numeric:
        r, rn = _pearson_matrix(x)
        rp = _r_p_values(r, rn)
        rho, sn = _spearman_matrix(xs)
        sp = _r_p_values(rho, sn)
        matrices += [_matrix("pearson", numeric, r, rp, rn), _matrix("spearman", numeric, rho, sp, sn)]
        for i in range(len(numeric)):
            for j in range(i + 1, len(numeric)):
                best = max((("pearson", r[i, j], rp[i, j], rn[i, j]), ("spearman", rho[i, j], sp[i, j], sn[i, j])),
                           key=lambda t: -1.0 if np.isnan(t[1]) else abs(t[1]))
                if np.isnan(best[1]):
                    continue
                pairs.append({"columns": [numeric[i], numeric[j]], "method": best[0], "value": _f(best[1]),
                              "p_value": _f(best[2]), "n": int(best[3]),
                              "pearson": _f(r[i, j]), "spearman": _f(rho[i, j])})
    codes: list[tuple[np.ndarray, int]] = []
    sub = df if sample is None else df.iloc[sample]
    for c in categorical:
        cc, uniq = pd.factorize(sub[c], use_na_sentinel=True)
        codes.append((np.asarray(cc, dtype=np.int64), len(uniq)))
    if categorical:
        k = len(categorical)
        v, vp, vn = np.full((k, k), np.nan), np.full((k, k), np.nan), np.zeros((k, k), dtype=np.int64)
        for i in range(k):
            for j in range(i, k):
                value, p, m = _cramers_v(codes[i][0], codes[i][1], codes[j][0], codes[j][1])
                v[i, j] = v[j, i] = np.nan if value is None else value
                vp[i, j] = vp[j, i] = np.nan if p is None else p
                vn[i, j] = vn[j, i] = m
                if i != j and value is not None:
                    pairs.append({"columns": [categorical[i], categorical[j]], "method": "cramers_v",
                                  "value": value, "p_value": p, "n": m})
        matrices.append(_matrix("cramers_v", categorical, v, vp, vn))
    if numeric and categorical:
        e, ep = np.full((len(numeric), len(categorical)), np.nan), np.full((len(numeric), len(categorical)), np.nan)
        en = np.zeros((len(numeric), len(categorical)), dtype=np.int64)
        for i, c in enumerate(numeric):
            for j, d in enumerate(categorical):
                value, p, m = _correlation_ratio(xs[:, i], *codes[j])
                e[i, j] = np.nan if value is None else value
                ep[i, j] = np.nan if p is None else p
                en[i, j] = m
                if value is not None:
                    pairs.append({"columns": [c, d], "method": "correlation_ratio", "value": value, "p_value": p,
                                  "n": m})
        matrices.append(_matrix("correlation_ratio", categorical, e, ep, en, rows_names=numeric))
    pairs.sort(key=lambda q: (-abs(q["value"]), q["columns"]))
    code = f"""import notebook_dag
import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import association

df = {load}
numeric = df.select_dtypes("number")
pearson = numeric.corr(method="pearson")
# Spearman and Cramér's V on a sample of at most {SAMPLE_ROWS} rows
sample = df if len(df) <= {SAMPLE_ROWS} else df.sample({SAMPLE_ROWS}, random_state=0)
spearman = sample[numeric.columns].corr(method="spearman")
pairs = []
for i, a in enumerate(numeric.columns):
    for b in numeric.columns[i + 1:]:
        both = numeric[[a, b]].dropna()
        if len(both) > 2 and both[a].nunique() > 1 and both[b].nunique() > 1:
            r, p = stats.pearsonr(both[a], both[b])
            pairs.append((a, b, "pearson", r, p))
categorical = [c for c in df.columns if c not in numeric.columns and df[c].nunique() <= {MAX_CATEGORIES}]
for i, a in enumerate(categorical):
    for b in categorical[i + 1:]:
        table = pd.crosstab(sample[a], sample[b])
        if min(table.shape) > 1:
            pairs.append((a, b, "cramers_v", association(table.values, method="cramer"),
                          stats.chi2_contingency(table.values, correction=False).pvalue))
strongest = pd.DataFrame(pairs, columns=["a", "b", "method", "value", "p_value"])
strongest = strongest.reindex(strongest["value"].abs().sort_values(ascending=False).index)
display(pearson.round(3), spearman.round(3))
strongest.head({TOP_PAIRS})
"""
    return {
        "kind": "correlation", "rows": n, "numeric_columns": numeric, "categorical_columns": categorical,
        "skipped": skipped, "matrices": matrices, "pairs": pairs[:TOP_PAIRS],
        "sampling": {"rows": n, "sample_rows": n if sample is None else int(sample.size), "sampled": sample is not None,
                     "methods": ["spearman", "cramers_v", "correlation_ratio"]},
        "code": code,
    }


# ---- clustering ---------------------------------------------------------------------


def clustering(df: Any, load: str) -> dict[str, Any]:
    """k-means (scikit-learn, ``n_init=10``, ``random_state=0``) on the numeric columns
    standardised (``StandardScaler``), for k in 2..8 (fewer with few rows); the k with
    the best silhouette wins.

    Missing values: rows with any are dropped when that keeps at least
    :data:`DROP_MISSING_MIN_SHARE` of the rows (``missing: "drop_rows"``), else each
    column's median fills them (``"impute_median"``); ±inf counts as missing. Constant
    columns are left out (``skipped``). Fitted on at most :data:`CLUSTER_FIT_ROWS` rows,
    silhouettes scored on at most :data:`SILHOUETTE_SAMPLE` of those, then every used row
    is assigned. Returns ``k``, ``silhouettes`` (``[{k, silhouette, inertia}]``),
    ``clusters`` (``[{cluster, size, share, centroid: {column: value}}]``, largest first,
    centroids in the columns' original units), ``columns``, ``rows_used``, ``missing``,
    ``sampling``; ``k`` is null (with ``reason``) when there are fewer than two usable
    columns or rows to cluster.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    df = _frame(df)
    kinds = column_kinds(df)
    numeric = [c for c, k in kinds.items() if k == "numeric"][:MAX_COLUMNS]
    x = np.column_stack([df[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in numeric]) if numeric else \
        np.empty((len(df), 0))
    x[~np.isfinite(x)] = np.nan
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        keep = [j for j in range(x.shape[1]) if np.nanstd(x[:, j]) > 0] if len(df) else []
    skipped = [c for c in df.columns if c not in numeric] + [numeric[j] for j in range(len(numeric)) if j not in keep]
    columns = [numeric[j] for j in keep]
    x = x[:, keep]
    complete = ~np.isnan(x).any(axis=1)
    if complete.sum() >= DROP_MISSING_MIN_SHARE * len(x):
        strategy, x = "drop_rows", x[complete]
    else:
        strategy = "impute_median"
        med = np.nanmedian(x, axis=0)
        x = np.where(np.isnan(x), med, x)
    rows = len(x)
    base = {"kind": "clustering", "rows": len(df), "rows_used": int(rows), "columns": columns,
            "skipped": skipped, "missing": strategy, "k": None, "silhouettes": [], "clusters": []}
    code = f"""import notebook_dag
import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

df = {load}
X = df[{columns!r}]
X = X.{"dropna()" if strategy == "drop_rows" else "fillna(X.median())"}
scaled = StandardScaler().fit_transform(X)
rng = np.random.default_rng(0)  # k-means is fitted on at most {CLUSTER_FIT_ROWS} rows
fit = scaled if len(scaled) <= {CLUSTER_FIT_ROWS} else \\
    scaled[np.sort(rng.choice(len(scaled), {CLUSTER_FIT_ROWS}, replace=False))]
scores = {{}}
for k in range(2, min(8, len(fit) - 1) + 1):
    labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(fit)
    scores[k] = silhouette_score(fit, labels, sample_size=min(len(fit), {SILHOUETTE_SAMPLE}), random_state=0)
best = max(scores, key=scores.get)
model = KMeans(n_clusters=best, n_init=10, random_state=0).fit(fit)
X = X.assign(cluster=model.predict(scaled))
print("k =", best, "silhouettes:", {{k: round(s, 3) for k, s in scores.items()}})
summary = X.groupby("cluster").mean()  # centroids in the columns' units
summary.insert(0, "size", X["cluster"].value_counts().sort_index())
summary
"""
    base["code"] = code
    if len(columns) < 1:
        return {**base, "reason": "no numeric column with varying values"}
    if rows < 4:
        return {**base, "reason": f"{rows} rows left to cluster: at least 4 are needed"}
    scaler = StandardScaler().fit(x)
    scaled = scaler.transform(x)
    idx = _sample_index(rows, CLUSTER_FIT_ROWS)
    fit = scaled if idx is None else scaled[idx]
    distinct_rows = len(np.unique(fit, axis=0)) if len(fit) <= 200_000 else len(fit)
    high = min(K_RANGE[1], len(fit) - 1, distinct_rows)
    scores, models = [], {}
    for k in range(K_RANGE[0], high + 1):
        # one thread: on a busy machine k-means' OpenMP threads slowed it down 30-fold (measured)
        with threadpool_limits(limits=1):
            km = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit(fit)
            if len(set(km.labels_)) < 2:
                continue
            s = silhouette_score(fit, km.labels_, sample_size=min(len(fit), SILHOUETTE_SAMPLE), random_state=SEED)
        scores.append({"k": k, "silhouette": _f(s), "inertia": _f(km.inertia_)})
        models[k] = km
    if not scores:
        return {**base, "reason": "too few distinct rows to cluster"}
    best = max(scores, key=lambda s: (s["silhouette"] if s["silhouette"] is not None else -2.0, -s["k"]))["k"]
    km = models[best]
    with threadpool_limits(limits=1):
        labels = km.predict(scaled)
    sizes = np.bincount(labels, minlength=best)
    centroids = scaler.inverse_transform(km.cluster_centers_)
    order = sorted(range(best), key=lambda i: (-sizes[i], i))
    clusters = [{"cluster": rank, "size": int(sizes[i]), "share": float(sizes[i] / rows),
                 "centroid": {c: _f(v) for c, v in zip(columns, centroids[i])}} for rank, i in enumerate(order)]
    return {**base, "k": int(best), "silhouettes": scores, "clusters": clusters,
            "sampling": {"rows": int(rows), "fit_rows": len(fit),
                         "silhouette_rows": int(min(len(fit), SILHOUETTE_SAMPLE)), "sampled": idx is not None}}


# ---- entry points -------------------------------------------------------------------


def analyze(df: Any, kind: str, load: str) -> dict[str, Any]:
    """:func:`statistics`, :func:`correlation` or :func:`clustering` of ``df``."""
    fn = {"statistics": statistics, "correlation": correlation, "clustering": clustering}[kind]
    return fn(df, load)

