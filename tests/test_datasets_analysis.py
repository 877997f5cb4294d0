"""Dataset analysis (statistics, correlation, clustering) and chart suggestions through
the REST API of a real server, on real data (scikit-learn's iris and wine, arch's S&P
500): results checked against scipy, pandas and scikit-learn computed here, the cache,
bad requests, and every suggested chart's code (and each analysis' code) run in a real
kernel of a project run, drawing a figure."""

from __future__ import annotations

import base64
import math
import struct

import numpy as np
import pandas as pd
import pytest
from conftest import blocks_by_id, write_notebook
from datasets_helpers import encode, iris, sp500, upload, wine
from scipy import stats
from scipy.stats.contingency import association


def _close(a, b, rel=1e-9, abs_=1e-12) -> bool:
    return a is not None and math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def _iris_with_size() -> pd.DataFrame:
    """Iris with a second categorical column (petal length in three bins), so that a
    categorical pair exists."""
    df = iris()
    df["size"] = pd.cut(df["petal length (cm)"], 3, labels=["small", "medium", "large"]).astype(str)
    return df


async def test_statistics_match_pandas_and_scipy_and_are_cached(api):
    df = _iris_with_size()
    _, ds = await upload(api, encode(df, "csv"), "iris.csv")
    out = await api.ok("GET", f"datasets/{ds['id']}/analysis", kind="statistics")
    assert out["kind"] == "statistics" and out["version"] == 1 and not out["cached"]
    res = out["result"]
    assert res["rows"] == 150
    cols = {c["name"]: c for c in res["columns"]}
    assert list(cols) == list(df.columns)
    for name in ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]:
        s, c = df[name], cols[name]
        assert c["kind"] == "numeric" and c["count"] == 150 and c["missing"] == 0
        assert _close(c["mean"], s.mean()) and _close(c["std"], s.std()), name
        assert _close(c["min"], s.min()) and _close(c["max"], s.max())
        assert _close(c["q1"], s.quantile(0.25)) and _close(c["median"], s.median()) and _close(c["q3"], s.quantile(0.75))
        assert _close(c["skewness"], s.skew()) and _close(c["kurtosis"], s.kurt()), name
        nt = stats.normaltest(s)
        assert c["normality"]["test"] == "dagostino_pearson" and c["normality"]["sample_size"] == 150
        assert _close(c["normality"]["statistic"], nt.statistic) and _close(c["normality"]["p_value"], nt.pvalue)
        q1, q3 = s.quantile(0.25), s.quantile(0.75)
        low, high = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
        expected = int(((s < low) | (s > high)).sum())
        assert c["outliers"]["count"] == expected and _close(c["outliers"]["lower"], low), name
    assert cols["sepal width (cm)"]["outliers"]["count"] == 4  # the known iris outliers
    species = cols["species"]
    assert species["kind"] == "categorical" and species["distinct"] == 3
    assert [t["count"] for t in species["top"]] == [50, 50, 50]
    assert sorted(t["value"] for t in species["top"]) == ["setosa", "versicolor", "virginica"]
    assert 'notebook_dag.load("iris.csv")' in out["code"].replace("'", '"')

    again = await api.ok("GET", f"datasets/{ds['id']}/analysis", kind="statistics")
    assert again["cached"] and again["result"] == res and again["code"] == out["code"]
    pinned = await api.ok("GET", f"datasets/{ds['id']}/analysis", kind="statistics", version=1)
    assert pinned["result"] == res and "version=1" in pinned["code"] and "version=" not in out["code"]
    # another name, same bytes: the result is computed once, the code names the new dataset
    _, copy = await upload(api, encode(df, "csv"), "iris-copy.csv")
    other = await api.ok("GET", f"datasets/{copy['id']}/analysis", kind="statistics")
    assert other["result"] == res and "iris-copy.csv" in other["code"]


async def test_correlation_matches_scipy(api):
    df = _iris_with_size()
    _, ds = await upload(api, encode(df, "csv"), "iris.csv")
    out = await api.ok("GET", f"datasets/{ds['id']}/analysis", kind="correlation")
    res = out["result"]
    assert res["categorical_columns"] == ["species", "size"]
    assert res["sampling"] == {"rows": 150, "sample_rows": 150, "sampled": False,
                               "methods": ["spearman", "cramers_v", "correlation_ratio"]}
    m = {x["method"]: x for x in res["matrices"]}
    assert set(m) == {"pearson", "spearman", "cramers_v", "correlation_ratio"}
    names = m["pearson"]["columns"]
    a, b = names.index("petal length (cm)"), names.index("sepal width (cm)")
    r, p = stats.pearsonr(df["petal length (cm)"], df["sepal width (cm)"])
    assert _close(m["pearson"]["values"][a][b], r) and _close(m["pearson"]["p_values"][a][b], p, rel=1e-6)
    rho, sp = stats.spearmanr(df["petal length (cm)"], df["sepal width (cm)"])
    assert _close(m["spearman"]["values"][a][b], rho) and _close(m["spearman"]["p_values"][a][b], sp, rel=1e-6)
    assert m["pearson"]["values"][a][a] == 1.0 and m["pearson"]["n"][a][b] == 150
    expected = df[names].corr()
    assert np.allclose(np.array(m["pearson"]["values"], dtype=float), expected.to_numpy(), atol=1e-12)
    assert np.allclose(np.array(m["spearman"]["values"], dtype=float), df[names].corr("spearman").to_numpy(), atol=1e-12)

    table = pd.crosstab(df["species"], df["size"]).to_numpy()
    v = association(table, method="cramer")
    assert _close(m["cramers_v"]["values"][0][1], v)
    assert _close(m["cramers_v"]["p_values"][0][1], stats.chi2_contingency(table, correction=False).pvalue, rel=1e-6)
    f = stats.f_oneway(*[g["petal length (cm)"] for _, g in df.groupby("species")])
    eta_row = m["correlation_ratio"]["rows"].index("petal length (cm)")
    assert _close(m["correlation_ratio"]["p_values"][eta_row][0], f.pvalue, rel=1e-6)

    pairs = res["pairs"]
    strengths = [abs(q["value"]) for q in pairs]
    assert strengths == sorted(strengths, reverse=True) and len(pairs) <= 25
    top_numeric = next(q for q in pairs if q["method"] in ("pearson", "spearman"))
    assert set(top_numeric["columns"]) == {"petal length (cm)", "petal width (cm)"}
    r2, p2 = stats.pearsonr(df["petal length (cm)"], df["petal width (cm)"])
    assert _close(top_numeric["pearson"], r2) and top_numeric["method"] == "pearson"
    assert _close(top_numeric["p_value"], p2, rel=1e-6)
    assert any(q["method"] == "cramers_v" and set(q["columns"]) == {"species", "size"} for q in pairs)


async def test_clustering_matches_scikit_learn(api):
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler

    df = wine()
    _, ds = await upload(api, encode(df, "csv"), "wine.csv")
    out = await api.ok("GET", f"datasets/{ds['id']}/analysis", kind="clustering")
    res = out["result"]
    assert res["missing"] == "drop_rows" and res["rows_used"] == len(df) and res["columns"] == list(df.columns)
    assert sum(c["size"] for c in res["clusters"]) == len(df)
    assert [s["k"] for s in res["silhouettes"]] == list(range(2, 9))
    scaled = StandardScaler().fit_transform(df)
    scores = {}
    for k in range(2, 9):
        labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(scaled)
        scores[k] = silhouette_score(scaled, labels)
    got = {s["k"]: s["silhouette"] for s in res["silhouettes"]}
    assert all(_close(got[k], scores[k], rel=1e-6) for k in scores)
    best = max(scores, key=scores.get)
    assert res["k"] == best == len(res["clusters"])
    labels = KMeans(n_clusters=best, n_init=10, random_state=0).fit_predict(scaled)
    sizes = sorted(np.bincount(labels).tolist(), reverse=True)
    assert [c["size"] for c in res["clusters"]] == sizes
    # centroids in original units: the mean of each cluster's rows
    means = {int(n): df[labels == lab].mean() for lab, n in zip(*np.unique(labels, return_counts=True))}
    for c in res["clusters"]:
        mean = means[c["size"]] if list(sizes).count(c["size"]) == 1 else None
        if mean is not None:
            assert all(_close(c["centroid"][col], mean[col], rel=1e-6) for col in df.columns)


async def test_chart_suggestions_and_every_code_block_draws_in_a_kernel(api, jp_root_dir):
    datasets = {"iris.csv": iris(), "wine.csv": wine(), "sp500.csv": sp500()}
    expected = {"iris.csv": {"scatter", "box", "bar", "histogram"}, "wine.csv": {"scatter", "box", "bar", "histogram"},
                "sp500.csv": {"line", "scatter", "histogram"}}
    codes: list[tuple[str, str]] = []
    for name, df in datasets.items():
        _, ds = await upload(api, encode(df, "csv"), name)
        out = await api.ok("GET", f"datasets/{ds['id']}/charts")
        charts = out["charts"]
        assert out["rows"] == len(df) and 0 < len(charts) <= 8
        kinds = {c["kind"] for c in charts}
        assert expected[name] <= kinds, (name, kinds)
        assert [c["score"] for c in charts] == sorted((c["score"] for c in charts), reverse=True)
        for c in charts:
            assert c["preview_error"] is None and set(c["columns"]) <= set(df.columns), c
            png = base64.b64decode(c["preview"])
            assert png[:8] == b"\x89PNG\r\n\x1a\n"
            assert struct.unpack(">II", png[16:24]) == (320, 240)
            assert c["title"] and c["reason"]
            codes.append((f"{name} {c['kind']}", c["code"]))
        if name == "iris.csv":
            scatter = next(c for c in charts if c["kind"] == "scatter")
            assert set(scatter["columns"][:2]) == {"petal length (cm)", "petal width (cm)"}
            assert "Pearson r = 0.96" in scatter["reason"] and scatter["columns"][2] == "species"
            box = next(c for c in charts if c["kind"] == "box")
            assert box["columns"] == ["petal length (cm)", "species"]
        if name == "sp500.csv":
            assert charts[0]["kind"] == "line" and charts[0]["columns"][0] == "Date"
            assert any(c["kind"] == "histogram" and c["columns"] == ["Volume"] for c in charts)
        few = await api.ok("GET", f"datasets/{ds['id']}/charts", limit=2)
        assert [c["title"] for c in few["charts"]] == [c["title"] for c in charts[:2]]
        again = await api.ok("GET", f"datasets/{ds['id']}/charts")
        assert again["cached"] and again["charts"] == charts
        for kind in ("statistics", "correlation", "clustering"):
            a = await api.ok("GET", f"datasets/{ds['id']}/analysis", kind=kind)
            codes.append((f"{name} {kind}", a["code"]))

    write_notebook(jp_root_dir, "charts.ipynb", [code for _, code in codes])
    project = await api.project("charts.ipynb", name="charts")
    run = await api.run(project["id"], timeout=600)
    assert run["status"] == "succeeded", [(b["block_id"], b.get("error")) for b in run["blocks"] if b.get("error")]
    blocks = blocks_by_id(run)
    for i, (label, code) in enumerate(codes):
        outputs = blocks[f"c{i}"]["outputs"]
        assert not any(o["output_type"] == "error" for o in outputs), (label, outputs)
        if "plt.show()" in code:
            assert any("image/png" in o.get("data", {}) for o in outputs), (label, outputs)
        else:  # an analysis: its last expression is a table
            assert any("text/html" in o.get("data", {}) or "text/plain" in o.get("data", {}) for o in outputs), label


@pytest.mark.parametrize("params, status", [
    ({"kind": "regression"}, 422), ({}, 422), ({"kind": "statistics", "version": 7}, 404),
])
async def test_bad_analysis_requests(api, params, status):
    _, ds = await upload(api, encode(iris(), "csv"), "iris.csv")
    code, body = await api.call("GET", f"datasets/{ds['id']}/analysis", **params)
    assert code == status, body
    code, body = await api.call("GET", "datasets/nope/analysis", kind="statistics")
    assert code == 404, body
    code, body = await api.call("GET", "datasets/nope/charts")
    assert code == 404, body
    code, body = await api.call("GET", f"datasets/{ds['id']}/charts", version=3)
    assert code == 404, body
    code, body = await api.call("GET", f"datasets/{ds['id']}/charts", limit=0)
    assert code == 400, body


async def test_columns_without_numbers_or_rows_answer_without_error(api):
    text = pd.DataFrame({"city": ["Oslo", "Lima", "Oslo", None], "note": ["a", "b", "c", "d"]})
    _, ds = await upload(api, encode(text, "csv"), "cities.csv")
    stats_ = (await api.ok("GET", f"datasets/{ds['id']}/analysis", kind="statistics"))["result"]
    assert {c["name"]: c["missing"] for c in stats_["columns"]} == {"city": 1, "note": 0}
    cl = (await api.ok("GET", f"datasets/{ds['id']}/analysis", kind="clustering"))["result"]
    assert cl["k"] is None and cl["reason"] and cl["clusters"] == []
    corr = (await api.ok("GET", f"datasets/{ds['id']}/analysis", kind="correlation"))["result"]
    assert corr["pairs"][0]["method"] == "cramers_v"
    charts = (await api.ok("GET", f"datasets/{ds['id']}/charts"))["charts"]
    assert [c["kind"] for c in charts] == ["bar", "bar"]
