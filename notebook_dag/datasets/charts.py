"""Chart suggestions as pure functions over a pandas DataFrame: which charts fit the
columns' kinds and cardinalities, ranked, each with the matplotlib code that draws it
from ``notebook_dag.load(...)`` and a small PNG preview rendered here with the Agg
backend (no pyplot state: each preview draws on its own ``Figure``, so previews may be
rendered in threads). No HTTP, no database.

Rules (score in 0..1, higher first):

* ``line``: a numeric column over a datetime column (0.95, then 0.9): time series first;
* ``scatter``: the numeric pairs with the largest ``|Pearson r|`` (at least 0.5, up to 3),
  coloured by a low-cardinality category when there is one: ``0.5 + 0.4 |r|``;
* ``box``: a numeric column by a category of 2..:data:`MAX_BOX_LEVELS` levels, the pairs
  with the largest correlation ratio η (at least 0.3, up to 2): ``0.5 + 0.4 η``;
* ``bar``: value counts of a categorical (or boolean, or integer column with at most
  :data:`MAX_BOX_LEVELS` values) column of 2..:data:`MAX_BAR_LEVELS` levels (up to 2): 0.6;
* ``histogram``: numeric columns, the most skewed first (up to 3, none nearly
  collinear, ``|r| >= 0.98``, with one chosen before):
  ``0.45 + min(|skewness|, 3) / 10`` (``|skewness| >= 1`` is called skewed).

"Numeric" here excludes integer columns with at most :data:`MAX_BOX_LEVELS` distinct
values: those are categories (class labels such as iris' ``target``).
"""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import numpy as np

from .analysis import SAMPLE_ROWS, _frame, _sample_index, column_kinds
from .coefficients import _correlation_ratio, _f, _pearson_matrix

MAX_BAR_LEVELS = 30
MAX_BOX_LEVELS = 10
#: points drawn at most by a scatter chart (a random sample beyond)
SCATTER_POINTS = 20_000
PREVIEW_SIZE = (4.0, 3.0)
PREVIEW_DPI = 80  # 320 × 240 pixels
FIGSIZE = (8, 5)
DEFAULT_LIMIT = 8
MAX_LIMIT = 20
_PREFERRED = re.compile(r"close|price|value|total|amount|sales|revenue|count|temp", re.IGNORECASE)


class _AggPyplot:
    """The part of ``matplotlib.pyplot`` the suggested code uses, drawing on a new
    ``Figure`` with an Agg canvas (thread-safe: no global figure manager)."""

    def __init__(self, figsize: tuple[float, float]) -> None:
        self.figsize = figsize
        self.figures: list[Any] = []

    def subplots(self, *args: Any, figsize: Any = None, **kwargs: Any) -> Any:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=self.figsize)
        FigureCanvasAgg(fig)
        self.figures.append(fig)
        return fig, fig.subplots(*args, **kwargs)

    def show(self) -> None:
        pass


def _q(name: str) -> str:
    return repr(name)


def _chart(kind: str, title: str, reason: str, columns: list[str], score: float, body: str) -> dict[str, Any]:
    return {"kind": kind, "title": title, "reason": reason, "columns": columns, "score": round(float(score), 4),
            "body": body}


def _hist_body(col: str, title: str) -> str:
    return f"""values = df[{_q(col)}].replace([np.inf, -np.inf], np.nan).dropna()
fig, ax = plt.subplots(figsize={FIGSIZE})
ax.hist(values, bins=min(50, max(10, values.nunique())), color="#4c72b0", edgecolor="white")
ax.axvline(values.mean(), color="#c44e52", linestyle="--", label="mean")
ax.axvline(values.median(), color="#55a868", linestyle=":", label="median")
ax.set(title={_q(title)}, xlabel={_q(col)}, ylabel="rows")
ax.legend()
fig.tight_layout()
plt.show()
"""


def _bar_body(col: str, title: str) -> str:
    return f"""counts = df[{_q(col)}].value_counts(dropna=False).head({MAX_BAR_LEVELS})
fig, ax = plt.subplots(figsize={FIGSIZE})
ax.bar([str(v) for v in counts.index], counts.to_numpy(), color="#4c72b0")
ax.set(title={_q(title)}, xlabel={_q(col)}, ylabel="rows")
ax.tick_params(axis="x", labelrotation=45 if len(counts) > 6 else 0)
fig.tight_layout()
plt.show()
"""


def _scatter_body(x: str, y: str, hue: str | None, title: str) -> str:
    cols = [x, y] + ([hue] if hue else [])
    head = f"""data = df[{cols!r}].replace([np.inf, -np.inf], np.nan).dropna(subset={[x, y]!r})
if len(data) > {SCATTER_POINTS}:
    data = data.sample({SCATTER_POINTS}, random_state=0)
fig, ax = plt.subplots(figsize={FIGSIZE})
"""
    if hue:
        draw = f"""for level, group in data.groupby({_q(hue)}):
    ax.scatter(group[{_q(x)}], group[{_q(y)}], s=12, alpha=0.7, label=str(level))
ax.legend(title={_q(hue)})
"""
    else:
        draw = f"ax.scatter(data[{_q(x)}], data[{_q(y)}], s=12, alpha=0.6, color=\"#4c72b0\")\n"
    return head + draw + f"""ax.set(title={_q(title)}, xlabel={_q(x)}, ylabel={_q(y)})
fig.tight_layout()
plt.show()
"""


def _line_body(t: str, y: str, title: str) -> str:
    return f"""data = df[[{_q(t)}, {_q(y)}]].dropna().sort_values({_q(t)})
fig, ax = plt.subplots(figsize={FIGSIZE})
ax.plot(data[{_q(t)}], data[{_q(y)}], linewidth=1, color="#4c72b0")
ax.set(title={_q(title)}, xlabel={_q(t)}, ylabel={_q(y)})
fig.autofmt_xdate()
fig.tight_layout()
plt.show()
"""


def _box_body(num: str, cat: str, title: str) -> str:
    return f"""data = df[[{_q(num)}, {_q(cat)}]].replace([np.inf, -np.inf], np.nan).dropna()
levels = list(data[{_q(cat)}].value_counts().index[:{MAX_BOX_LEVELS}])
fig, ax = plt.subplots(figsize={FIGSIZE})
ax.boxplot([data.loc[data[{_q(cat)}] == level, {_q(num)}] for level in levels])
ax.set_xticks(range(1, len(levels) + 1), [str(level) for level in levels])
ax.set(title={_q(title)}, xlabel={_q(cat)}, ylabel={_q(num)})
fig.tight_layout()
plt.show()
"""


def _roles(df: Any) -> tuple[list[str], list[str], list[str], dict[str, int]]:
    """(numeric, categories, datetimes, levels of each category)."""
    kinds = column_kinds(df)
    numeric, categories, datetimes, levels = [], [], [], {}
    for c, k in kinds.items():
        s = df[c]
        if k == "datetime":
            datetimes.append(c)
        elif k in ("categorical", "boolean"):
            levels[c] = int(s.nunique(dropna=True))
            categories.append(c)
        elif k == "numeric":
            values = s.dropna()
            distinct = int(values.nunique())
            if distinct <= MAX_BOX_LEVELS and len(values) and bool((values == np.round(values)).all()):
                levels[c] = distinct
                categories.append(c)
            elif distinct > 1:
                numeric.append(c)
    categories.sort(key=lambda c: kinds[c] == "numeric")  # text labels before integer codes of them
    return numeric, categories, datetimes, levels


def suggest(df: Any, load: str, limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """The ``limit`` best charts for ``df`` (see the module docstring), best first: each
    ``{kind, title, reason, columns, score, code}``, ``code`` a complete block reading the
    data with ``load`` (``notebook_dag.load(...)`` as source text) and drawing with
    matplotlib. Use :func:`render_preview` for the image."""
    import pandas as pd

    df = _frame(df)
    numeric, categories, datetimes, levels = _roles(df)
    out: list[dict[str, Any]] = []
    n = len(df)
    if not n:
        return []
    # line: time series
    if datetimes and numeric:
        t = datetimes[0]
        ys = sorted(numeric, key=lambda c: (not _PREFERRED.search(c), numeric.index(c)))[:2]
        for i, y in enumerate(ys):
            title = f"{y} over {t}"
            out.append(_chart("line", title, f"{t} is a datetime column: {y} as a time series", [t, y],
                              0.95 - 0.05 * i, _line_body(t, y, title)))
    # scatter: the most correlated numeric pairs
    sample = _sample_index(n, SAMPLE_ROWS)
    sub = df if sample is None else df.iloc[sample]
    r = np.eye(len(numeric))
    if len(numeric) >= 2:
        x = np.column_stack([sub[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in numeric])
        x[~np.isfinite(x)] = np.nan
        r, _ = _pearson_matrix(x)
        pairs = sorted(((abs(r[i, j]), i, j) for i in range(len(numeric)) for j in range(i + 1, len(numeric))
                        if np.isfinite(r[i, j]) and abs(r[i, j]) >= 0.5), reverse=True)[:3]
        hue = next((c for c in categories if 2 <= levels[c] <= MAX_BOX_LEVELS), None)
        for strength, i, j in pairs:
            a, b = numeric[i], numeric[j]
            title = f"{b} against {a}"
            by = f", coloured by {hue}" if hue else ""
            out.append(_chart("scatter", title, f"strongly correlated (Pearson r = {r[i, j]:.2f}){by}",
                              [a, b] + ([hue] if hue else []), 0.5 + 0.4 * strength, _scatter_body(a, b, hue, title)))
    # box: numeric by category, the strongest correlation ratios
    boxes = []
    for cat in (c for c in categories if 2 <= levels[c] <= MAX_BOX_LEVELS):
        codes, uniq = pd.factorize(sub[cat], use_na_sentinel=True)
        for num in numeric:
            y = sub[num].to_numpy(dtype=np.float64, na_value=np.nan)
            y = np.where(np.isfinite(y), y, np.nan)
            eta, _, _ = _correlation_ratio(y, np.asarray(codes, dtype=np.int64), len(uniq))
            if eta is not None and eta >= 0.3:
                boxes.append((eta, num, cat))
    used: set[str] = set()
    for eta, num, cat in sorted(boxes, key=lambda b: (-round(b[0], 9), categories.index(b[2]), numeric.index(b[1]))):
        if num in used or len(used) >= 2:
            continue
        used.add(num)
        title = f"{num} by {cat}"
        out.append(_chart("box", title, f"{num} differs between the {levels[cat]} values of {cat} "
                                        f"(correlation ratio η = {eta:.2f})", [num, cat], 0.5 + 0.4 * eta,
                          _box_body(num, cat, title)))
    # bar: low-cardinality categories
    bars = [c for c in categories if 2 <= levels[c] <= MAX_BAR_LEVELS][:2]
    for i, c in enumerate(bars):
        title = f"Rows per {c}"
        out.append(_chart("bar", title, f"{c} has {levels[c]} distinct values", [c], 0.6 - 0.01 * i,
                          _bar_body(c, title)))
    # histogram: the most skewed numerics
    skews = []
    for c in numeric:
        v = sub[c].to_numpy(dtype=np.float64, na_value=np.nan)
        v = v[np.isfinite(v)]
        s = _f(pd.Series(v).skew()) if v.size > 2 else None
        skews.append((abs(s) if s is not None else 0.0, s, c))
    chosen: list[int] = []
    for strength, s, c in sorted(skews, key=lambda t: (-t[0], numeric.index(t[2]))):
        i = numeric.index(c)
        if len(chosen) == 3 or any(abs(r[i, j]) >= 0.98 for j in chosen):  # not the same shape twice
            continue
        chosen.append(i)
        title = f"Distribution of {c}"
        if s is not None and strength >= 1:
            reason = f"{c} is {'right' if s > 0 else 'left'}-skewed (skewness {s:.2f})"
        else:
            reason = f"the distribution of {c} (skewness {0.0 if s is None else s:.2f})"
        out.append(_chart("histogram", title, reason, [c], 0.45 + min(strength, 3.0) / 10, _hist_body(c, title)))
    out.sort(key=lambda ch: -ch["score"])
    header = f"import notebook_dag\nimport matplotlib.pyplot as plt\nimport numpy as np\n\ndf = {load}\n"
    for ch in out:
        ch["code"] = header + ch["body"]
    return out[:limit]


def render_preview(df: Any, chart: dict[str, Any]) -> str:
    """The chart's PNG preview (``PREVIEW_SIZE`` inches at ``PREVIEW_DPI``: 320 × 240
    pixels), base64, drawn by running its ``body`` on ``df`` with an Agg canvas."""
    df = _frame(df)
    plt = _AggPyplot(PREVIEW_SIZE)
    import pandas as pd

    exec(compile(chart["body"], "<chart>", "exec"), {"df": df, "plt": plt, "np": np, "pd": pd})  # noqa: S102 - our own code
    buf = io.BytesIO()
    plt.figures[-1].savefig(buf, format="png", dpi=PREVIEW_DPI)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def charts(df: Any, load: str, limit: int = DEFAULT_LIMIT) -> dict[str, Any]:
    """:func:`suggest` with each chart's ``preview`` (base64 PNG, or null with
    ``preview_error`` when drawing failed); ``body`` is dropped."""
    out = []
    for ch in suggest(df, load, limit):
        try:
            ch["preview"], ch["preview_error"] = render_preview(df, ch), None
        except Exception as e:  # noqa: BLE001 - one chart failing must not sink the others
            ch["preview"], ch["preview_error"] = None, f"{type(e).__name__}: {e}"[:500]
        ch.pop("body")
        out.append(ch)
    return {"rows": len(df), "charts": out}

