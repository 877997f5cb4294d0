"""Correlation coefficients with their p-values, as numpy over arrays (no pandas): Pearson's
r over every pair of columns in one pass, Spearman's ρ as Pearson's r of ranks, Cramér's
V and the correlation ratio η. The sources of each formula are in its docstring;
:mod:`.analysis` builds the user-facing matrices from them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _f(v: Any) -> float | None:
    """A JSON-safe float: None for None, NaN and ±inf."""
    if v is None:
        return None
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _pearson_matrix(x: np.ndarray, chunk: int = 131_072) -> tuple[np.ndarray, np.ndarray]:
    """Pearson's r of every pair of columns of ``x`` (n × p, NaN missing) over the rows
    where both are present, and those row counts; by sums accumulated over row chunks
    with matrix products (each column centred on its own mean first, for precision)."""
    n, p = x.shape
    means = np.zeros(p)
    for j in range(p):
        col = x[:, j]
        ok = ~np.isnan(col)
        if ok.any():
            means[j] = col[ok].mean()
    cnt = np.zeros((p, p))
    sx = np.zeros((p, p))
    sxx = np.zeros((p, p))
    sxy = np.zeros((p, p))
    for start in range(0, n, chunk):
        block = x[start:start + chunk] - means
        m = ~np.isnan(block)
        mf = m.astype(np.float64)
        block = np.where(m, block, 0.0)
        cnt += mf.T @ mf
        sx += block.T @ mf        # sx[i, j] = Σ x_i over rows where x_j is present too
        sxx += (block * block).T @ mf
        sxy += block.T @ block
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sx.T / cnt
        vx = sxx - sx * sx / cnt
        vy = vx.T
        r = cov / np.sqrt(vx * vy)
    r = np.clip(r, -1.0, 1.0)
    bad = (cnt < 2) | ~(vx > 1e-300) | ~(vy > 1e-300)
    r[bad] = np.nan
    np.fill_diagonal(r, np.where(np.diag(bad), np.nan, 1.0))
    return r, cnt.astype(np.int64)


def _r_p_values(r: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Two-sided p-values of correlation coefficients under H0 ρ = 0 (Student's t with
    n - 2 degrees of freedom, as ``scipy.stats.pearsonr`` and ``spearmanr``)."""
    from scipy import stats

    with np.errstate(invalid="ignore", divide="ignore"):
        df = n - 2.0
        t = r * np.sqrt(df / np.maximum(1.0 - r * r, 1e-300))
        p = 2 * stats.t.sf(np.abs(t), df)
    p = np.where(np.abs(r) >= 1.0, 0.0, p)
    p[(n < 3) | np.isnan(r)] = np.nan
    return p


def _dense_ranks(col: np.ndarray) -> tuple[np.ndarray, int]:
    """Group codes of ``col`` in ascending order of value (equal values share one; NaN: -1)
    and the number of groups."""
    codes = np.full(col.shape, -1, dtype=np.int64)
    ok = ~np.isnan(col)
    uniq, inv = np.unique(col[ok], return_inverse=True)
    codes[ok] = inv
    return codes, int(uniq.size)


def _avg_ranks(codes: np.ndarray, groups: int, rows: np.ndarray) -> np.ndarray:
    """Average ranks (1-based, ties averaged) of the values at ``rows`` among themselves."""
    c = codes[rows]
    cnt = np.bincount(c, minlength=groups).astype(np.float64)
    start = np.cumsum(cnt) - cnt
    return (start + (cnt + 1) / 2)[c]


def _spearman_matrix(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spearman's ρ of every pair of columns over the rows where both are present, the
    values re-ranked on those rows (as ``scipy.stats.spearmanr(nan_policy="omit")``)."""
    n, p = x.shape
    coded = [_dense_ranks(x[:, j]) for j in range(p)]
    present = [codes >= 0 for codes, _ in coded]
    rho = np.full((p, p), np.nan)
    cnt = np.zeros((p, p), dtype=np.int64)
    full = {j: _avg_ranks(*coded[j], np.flatnonzero(present[j])) for j in range(p) if present[j].all()}
    for i in range(p):
        for j in range(i, p):
            if i in full and j in full:
                a, b, m = full[i], full[j], n
            else:
                rows = np.flatnonzero(present[i] & present[j])
                m = rows.size
                if m < 2:
                    continue
                a, b = _avg_ranks(*coded[i], rows), _avg_ranks(*coded[j], rows)
            cnt[i, j] = cnt[j, i] = m
            a = a - a.mean()
            b = b - b.mean()
            den = math.sqrt(float(a @ a) * float(b @ b))
            if den > 0:
                rho[i, j] = rho[j, i] = max(-1.0, min(1.0, float(a @ b) / den))
    return rho, cnt


def _cramers_v(ci: np.ndarray, li: int, cj: np.ndarray, lj: int) -> tuple[float | None, float | None, int]:
    """Cramér's V (``scipy.stats.contingency.association``, no bias correction) and the
    chi-squared test's p-value (no continuity correction) of two coded columns."""
    from scipy.stats import chi2_contingency
    from scipy.stats.contingency import association

    ok = (ci >= 0) & (cj >= 0)
    m = int(ok.sum())
    if m < 2:
        return None, None, m
    table = np.bincount(ci[ok] * lj + cj[ok], minlength=li * lj).reshape(li, lj)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if min(table.shape) < 2:
        return None, None, m
    v = association(table, method="cramer")
    p = chi2_contingency(table, correction=False).pvalue
    return _f(v), _f(p), m


def _correlation_ratio(y: np.ndarray, codes: np.ndarray, levels: int) -> tuple[float | None, float | None, int]:
    """η, the correlation ratio of a numeric on a categorical column (√(SS between /
    SS total)), with the one-way ANOVA F test's p-value (``scipy.stats.f_oneway``)."""
    from scipy import stats

    ok = ~np.isnan(y) & (codes >= 0)
    y, codes = y[ok], codes[ok]
    m = int(y.size)
    cnt = np.bincount(codes, minlength=levels).astype(np.float64)
    k = int((cnt > 0).sum())
    if m < 3 or k < 2 or m <= k:
        return None, None, m
    sums = np.bincount(codes, weights=y, minlength=levels)
    mean = y.mean()
    nz = cnt > 0
    between = float((sums[nz] ** 2 / cnt[nz]).sum() - m * mean * mean)
    total = float(((y - mean) ** 2).sum())
    if total <= 0:
        return None, None, m
    between = min(max(between, 0.0), total)
    within = total - between
    eta = math.sqrt(between / total)
    if within <= 0:
        return eta, 0.0, m
    f = (between / (k - 1)) / (within / (m - k))
    return _f(eta), _f(stats.f.sf(f, k - 1, m - k)), m
