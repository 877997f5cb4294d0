"""The pure parts of the datasets feature: format detection and previews, the quick
profile and its quality rules, the lineage parser, safe names and paths, and
``notebook_dag.load()`` resolution."""

from __future__ import annotations

import asyncio
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasets_helpers import encode, iris, sp500
from notebook_dag.datasets import formats
from notebook_dag.datasets import preview as previews
from notebook_dag.datasets.lineage import Candidate, match, notebook_refs
from notebook_dag.datasets.profiling import profile_table
from notebook_dag.datasets.store import api_to_os_path, check_name, safe_filename
from notebook_dag.errors import BadRequest, NotFound, Unprocessable


def _write(tmp_path, name: str, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


@pytest.mark.parametrize("fmt", ["csv", "tsv", "parquet", "json", "jsonl", "excel"])
def test_detection_validation_and_preview_pages(tmp_path, fmt):
    df = iris()
    path = _write(tmp_path, f"x.{formats.SUFFIX[fmt].lstrip('.')}", encode(df, fmt))
    assert formats.detect_format(path, path) == fmt
    assert formats.detect_format(path, "no-extension") == fmt, "the content decides without an extension"
    assert formats.validate(path, fmt) == list(df.columns)
    pages = [previews.preview(path, fmt, offset=o, limit=64) for o in (0, 64, 128)]
    rows = [r for p in pages for r in p["rows"]]
    assert len(rows) == 150 and [p["has_more"] for p in pages] == [True, True, False]
    assert rows[77][5] == df.iloc[77, 5] and math.isclose(rows[149][0], df.iloc[149, 0])
    frame = formats.read_frame(path, fmt)
    assert frame.shape == (150, 6) and formats.read_table(path, fmt).num_rows == 150


def test_json_object_orient_and_text_quirks(tmp_path):
    df = iris().head(20)
    path = _write(tmp_path, "cols.json", df.to_json(orient="columns").encode())
    assert formats.detect_format(path, "cols.json") == "json"
    prev = previews.preview(path, "json", offset=15, limit=10)
    assert prev["total_rows"] == 20 and len(prev["rows"]) == 5
    lines = _write(tmp_path, "lines.json", encode(df, "jsonl"))
    assert formats.detect_format(lines, "lines.json") == "jsonl", "a .json file of JSON lines"
    tsv_named_csv = _write(tmp_path, "t.csv", b"a\tb\n1\t2\n")
    assert formats.detect_format(tsv_named_csv, "t.csv") == "tsv"
    semicolon_free = _write(tmp_path, "c.tsv", b"a,b\n1,2\n")
    assert formats.detect_format(semicolon_free, "c.tsv") == "csv"
    bom = _write(tmp_path, "bom.csv", "\ufeffa,b\n1,2\n".encode())
    assert formats.validate(bom, "csv") == ["a", "b"]
    with pytest.raises(BadRequest):
        formats.detect_format(bom, "bom.csv", "xml")


def test_quoted_newlines_past_the_validation_window(tmp_path):
    long_text = "x" * 2000
    rows = "".join(f'{i},"line one\nline two {long_text}"\n' for i in range(800))
    path = _write(tmp_path, "quoted.csv", ("id,text\n" + rows).encode())
    assert formats.validate(path, "csv") == ["id", "text"]
    assert previews.preview(path, "csv", offset=790, limit=20)["rows"][-1][0] == 799


def test_large_json_arrays_stream(tmp_path):
    records = [{"i": i, "s": "v" * (i % 50)} for i in range(20000)]
    import json

    path = _write(tmp_path, "big.json", json.dumps(records).encode())
    assert list(formats.json_array_records(path, chunk=997))[-1] == records[-1]
    prev = previews.preview(path, "json", offset=19990, limit=50)
    assert [r[0] for r in prev["rows"]] == list(range(19990, 20000)) and not prev["has_more"]
    bad = _write(tmp_path, "bad.json", b'[{"a": 1}, {"a": }]')
    with pytest.raises(Unprocessable):
        list(formats.json_array_records(bad))


def test_parquet_preview_reads_only_the_row_groups_it_needs(tmp_path, monkeypatch):
    df = sp500()
    path = str(tmp_path / "s.parquet")
    df.to_parquet(path, row_group_size=500)
    read = []
    original = pq.ParquetFile.read_row_groups

    def spy(self, groups, *a, **k):
        read.append(list(groups))
        return original(self, groups, *a, **k)

    monkeypatch.setattr(pq.ParquetFile, "read_row_groups", spy)
    prev = previews.preview(path, "parquet", offset=1490, limit=20)
    assert read == [[2, 3]] and prev["total_rows"] == len(df)
    assert prev["rows"][0][1] == pytest.approx(df.iloc[1490, 1])
    assert previews.preview(path, "parquet", offset=10**9, limit=5)["rows"] == []


def test_profile_statistics_and_quality_rules():
    n = 1000
    rng = np.random.default_rng(1)
    df = pd.DataFrame({
        "x": rng.normal(10, 2, n),
        "k": rng.integers(0, 5, n),
        "const": 7,
        "mostly_empty": [None] * 900 + ["a"] * 100,
        "numbers_as_text": [str(v) for v in rng.integers(0, 100, n)],
        "inf": np.where(np.arange(n) % 100 == 0, np.inf, 1.0),
        "when": pd.date_range("2020-01-01", periods=n, freq="h"),
        "flag": rng.random(n) < 0.5,
        "nested": [[1, 2]] * n,
    })
    df = pd.concat([df, df.iloc[:10]], ignore_index=True)
    p = profile_table(df)
    assert (p["rows"], p["columns"], p["duplicate_rows"]) == (1010, 9, 10)
    # the two counts users meet: pandas' rows repeating an earlier row, and
    # ydata-profiling's distinct duplicated rows; here each repeated row appears twice
    assert p["duplicate_groups"] == 10
    tripled = profile_table(pd.DataFrame({"a": [1, 1, 1, 2, 2, 3]}))
    assert (tripled["duplicate_rows"], tripled["duplicate_groups"]) == (3, 2)
    dup_rule = next(r for r in tripled["quality"]["rules"] if r["id"] == "duplicate_rows")
    assert dup_rule["problem"] == "3 rows repeat an earlier row (50.0 %); 2 distinct rows occur more than once"
    cols = {c["name"]: c for c in p["column_profiles"]}
    x = cols["x"]
    assert x["kind"] == "numeric" and math.isclose(x["mean"], df["x"].mean()) and math.isclose(x["std"], df["x"].std())
    assert math.isclose(x["quantiles"]["p50"], df["x"].median())
    assert sum(x["histogram"]["counts"]) == 1010 and len(x["histogram"]["edges"]) == 21
    assert cols["k"]["histogram"]["counts"] == [int((df["k"] == v).sum()) for v in range(5)], "one bin per integer"
    assert cols["mostly_empty"]["missing"] == 910 and cols["mostly_empty"]["missing_ratio"] == pytest.approx(910 / 1010)
    assert cols["inf"]["infinite"] == 11 and cols["when"]["kind"] == "datetime"
    assert cols["when"]["min"].startswith("2020-01-01") and sum(cols["when"]["histogram"]["counts"]) == 1010
    assert cols["flag"]["kind"] == "boolean" and sum(t["count"] for t in cols["flag"]["top"]) == 1010
    assert cols["nested"]["kind"] == "other" and p["duplicates_ignore_columns"] == ["nested"]
    rules = {r["id"]: r for r in p["quality"]["rules"]}
    assert rules["constant_columns"]["columns"] == ["const"]
    assert rules["sparse_columns"]["columns"] == ["mostly_empty"]
    assert rules["numbers_as_text"]["columns"] == ["numbers_as_text"]
    assert rules["infinite_values"]["columns"] == ["inf"]
    assert rules["duplicate_rows"]["penalty"] == pytest.approx(100 * 10 / 1010, abs=0.01)
    assert rules["constant_columns"]["problem"] == "1 column(s) hold a single value: const"
    assert all(r["problem"] == "" for r in rules.values() if r["passed"])
    assert p["quality"]["score"] == pytest.approx(100 - sum(r["penalty"] for r in rules.values()), abs=0.1)
    import json

    json.dumps(p, allow_nan=False)


def test_profile_figures_are_numpys_and_pandas_exactly():
    """Distinct counts and quantiles come from sorted copies or counts per value (not
    ``pd.unique`` and ``np.percentile`` over the column): the figures must still be those,
    bit for bit, for every integer width, ranges near the type's limits, ±inf, NaN,
    nulls, sorted time series, and the row-duplicate counts pandas gives."""
    rng = np.random.default_rng(7)
    n = 5000
    cols = {
        "i8": pa.array(rng.integers(-128, 128, n), pa.int8()),
        "u8": pa.array(rng.integers(0, 256, n), pa.uint8()),
        "u64_top": pa.array(np.uint64(2**64 - 70_000) + rng.integers(0, 60_000, n).astype(np.uint64), pa.uint64()),
        "i64_low": pa.array(-(2**63) + rng.integers(0, 60_000, n)),
        "i64_wide": pa.array(rng.integers(-(10**15), 10**15, n)),
        "i64_big_floats": pa.array(2**54 + rng.integers(0, 60_000, n)),  # rounded to float64
        "i_nulls": pa.array([None if v < 5 else int(v) for v in rng.integers(0, 50, n)], pa.int64()),
        "f_special": pa.array(np.where(rng.random(n) < 0.05, np.inf, np.round(rng.normal(0, 1, n), 1))
                              * np.where(rng.random(n) < 0.02, -1, 1)),
        "f_nan": pa.array(np.where(rng.random(n) < 0.3, np.nan, rng.normal(5, 2, n))),
        "t_sorted": pa.array(np.sort(rng.integers(0, 10**6, n)).astype("datetime64[s]")),
        "t_random": pa.array(rng.integers(0, 10**12, n).astype("datetime64[ms]")),
    }
    table = pa.table(cols)
    p = profile_table(table)
    got = {c["name"]: c for c in p["column_profiles"]}
    for name in cols:
        values = table.column(name).to_pandas()
        c = got[name]
        assert c["distinct"] == values.nunique(), name
        if c["kind"] != "numeric":
            continue
        floats = values.dropna().to_numpy(dtype=np.float64)
        finite = floats[np.isfinite(floats)]
        want = np.percentile(finite, (5, 25, 50, 75, 95))
        assert [c["quantiles"][f"p{q}"] for q in (5, 25, 50, 75, 95)] == [float(v) for v in want], name
        assert (c["min"], c["max"], c["mean"]) == (finite.min(), finite.max(), finite.mean()), name
        assert c["infinite"] == floats.size - finite.size and c["missing"] == values.isna().sum(), name
        if len(c["histogram"]["counts"]) == 20:
            counts, edges = np.histogram(finite, 20, range=(finite.min(), finite.max()))
            assert (c["histogram"]["counts"], c["histogram"]["edges"]) == (counts.tolist(), edges.tolist()), name
    repeated = pa.table({"a": [3, 1, 1, 2, 1, 2, 5, 3, 3, 3], "b": ["x", "y", "y", "z", "y", "z", "w", "x", "x", "v"]})
    frame = repeated.to_pandas()
    prof = profile_table(repeated)
    assert prof["duplicate_rows"] == frame.duplicated().sum() == 5
    assert prof["duplicate_groups"] == (frame.value_counts() > 1).sum() == 3
    keyed = profile_table(repeated.append_column("id", pa.array(range(10))))  # all rows distinct by id
    assert (keyed["duplicate_rows"], keyed["duplicate_groups"]) == (0, 0)


def test_profile_edge_cases():
    empty = profile_table(pa.table({"a": pa.array([], pa.int64())}))
    assert empty["rows"] == 0 and empty["quality"]["score"] == 0
    nulls = profile_table(pa.table({"a": pa.nulls(5), "b": pa.array([1, None, 1, None, 1])}))
    assert nulls["column_profiles"][0]["kind"] == "empty" and nulls["duplicate_rows"] == 3
    dictionary = profile_table(pa.table({"c": pa.array(["x", "y", "x"]).dictionary_encode()}))
    assert dictionary["column_profiles"][0]["top"][0] == {"value": "x", "count": 2}


def test_lineage_parser():
    refs = notebook_refs([
        ("a", "import pandas as pd, pyarrow.parquet as pq\nfrom notebook_dag import load as ld\nimport notebook_dag"),
        ("b", "SRC = 'raw/in.csv'\nOUT = f'out/result.parquet'"),
        ("c", "df = pd.read_csv(SRC, sep=',')\nt = pq.read_table(source='t.parquet')"),
        ("d", "df.to_parquet(OUT)\npq.write_table(t, 'copy.parquet')\nnp.savetxt('a.txt', x)"),
        ("e", "with open('log.txt', 'a') as f: pass\ntext = open('read.txt').read()\nPath('p.json').write_text('{}')"),
        ("f", "x = ld('iris')\ny = notebook_dag.load(name='wine', version=2)\nz = json.load(fp)"),
        ("g", "pd.read_csv(some_variable)\n!ls data\nthis is not python ("),
        ("h", "import os\npd.read_excel(os.path.join('data', 'book.xlsx'))"),
    ])
    flat = {cid: [(r.kind, r.by, r.target, r.via) for r in rs] for cid, rs in refs.items()}
    assert flat["c"] == [("read", "path", "raw/in.csv", "pd.read_csv"), ("read", "path", "t.parquet", "pq.read_table")]
    assert flat["d"] == [("write", "path", "out/result.parquet", "df.to_parquet"),
                         ("write", "path", "copy.parquet", "pq.write_table"), ("write", "path", "a.txt", "np.savetxt")]
    assert flat["e"] == [("write", "path", "log.txt", "open"), ("read", "path", "read.txt", "open"),
                         ("write", "path", "p.json", "Path().write_text")]
    assert flat["f"] == [("read", "name", "iris", "ld"), ("read", "name", "wine", "notebook_dag.load")]
    assert "g" not in refs and "a" not in refs and "b" not in refs
    assert flat["h"] == [("read", "path", "data/book.xlsx", "pd.read_excel")]


def test_lineage_matching():
    up = Candidate("u", "in.csv", None, {"in.csv"}, set(), {"/store/u/in.csv"})
    other_project = Candidate("o", "in.csv", "p2", {"in.csv"}, set(), set())
    registered = Candidate("r", "sales", None, {"sales.csv"}, {"nb/raw/sales.csv"}, {"/root/nb/raw/sales.csv"})
    cands = [up, other_project, registered]
    from notebook_dag.datasets.lineage import Ref

    def ids(kind, by, target):
        return sorted(c.id for c in match(Ref(kind, by, target, "f", 1), "nb/flow.ipynb", "p1", cands))

    assert ids("read", "path", "data/in.csv") == [] and ids("read", "path", "in.csv") == [], \
        "a file name alone never links to an upload: the notebook reads a local file"
    assert ids("read", "path", "raw/sales.csv") == ["r"] and ids("read", "path", "../nb/raw/sales.csv") == ["r"]
    assert ids("read", "path", "sales.csv") == [], "registered files match by path only"
    assert ids("read", "path", "/store/u/in.csv") == ["u"]
    assert ids("read", "name", "in.csv") == ["u"] and ids("read", "name", "r") == ["r"]


def test_names_and_paths(tmp_path):
    assert check_name("  iris.csv ") == "iris.csv"
    for bad in ["", "../x.csv", "a/b", "a\\b", "..", "x\x00y", "x\ny", "a" * 256]:
        with pytest.raises(BadRequest):
            check_name(bad)
    assert safe_filename("../../etc/pass wd.CSV", ".csv") == "pass wd.csv"
    assert safe_filename("évènement €.parquet", ".parquet") == "evenement.parquet"
    assert safe_filename("...", ".csv") == "data.csv" and safe_filename("notes", ".csv") == "notes.csv"
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f.csv").write_text("a\n1\n")
    assert api_to_os_path(str(tmp_path), "d/./f.csv") == ("d/f.csv", str((tmp_path / "d" / "f.csv").resolve()))
    for bad in ["../f.csv", "/d/f.csv", "d/../../f.csv", "", "d\x00"]:
        with pytest.raises(BadRequest):
            api_to_os_path(str(tmp_path), bad)
    with pytest.raises(NotFound):
        api_to_os_path(str(tmp_path), "d")


def test_load_outside_the_server(tmp_path, monkeypatch, db_url):
    """``notebook_dag.load`` reads the database and the file synchronously, no server."""
    import notebook_dag
    from notebook_dag.datasets.orm import Dataset, DatasetVersion
    from notebook_dag.storage import Database, Project

    url = db_url  # SQLite, or PostgreSQL (read through asyncpg) in the PostgreSQL pass
    files = {}
    for name, df in (("v1", iris().head(3)), ("v2", iris().head(5))):
        files[name] = tmp_path / f"{name}.parquet"
        df.to_parquet(files[name])

    async def seed() -> None:
        db = Database(url)
        await db.migrate()
        async with db.session() as s:
            p = Project(id="p" * 32, name="proj", notebook_path="a.ipynb", owner="me")
            s.add(p)
            await s.flush()
            s.add(Dataset(id="d1", name="iris", owner="me", current_version=2))
            s.add(Dataset(id="d2", name="iris", owner="me", project_id=p.id, current_version=1))
            await s.flush()
            for did, n, key in (("d1", 1, "v1"), ("d1", 2, "v2"), ("d2", 1, "v1")):
                s.add(DatasetVersion(dataset_id=did, version=n, sha256="0" * 64, format="parquet", size_bytes=1,
                                     source="upload", file_path=str(files[key]), original_name="iris.parquet"))
        await db.dispose()

    asyncio.run(seed())
    monkeypatch.setenv("NOTEBOOK_DAG_DB_URL", url)
    monkeypatch.delenv("NOTEBOOK_DAG_PROJECT_ID", raising=False)
    with pytest.raises(LookupError, match="several datasets"):
        notebook_dag.load("iris")
    assert len(notebook_dag.load("d1")) == 5 and len(notebook_dag.load("d1", version=1)) == 3
    assert len(notebook_dag.load("iris", project="proj")) == 3
    assert len(notebook_dag.load("iris", project="elsewhere")) == 5, "falls back to the project-less one"
    monkeypatch.setenv("NOTEBOOK_DAG_PROJECT_ID", "p" * 32)
    assert len(notebook_dag.load("iris")) == 3
    with pytest.raises(LookupError, match="no version 9"):
        notebook_dag.load("d1", version=9)
    with pytest.raises(LookupError, match="no dataset"):
        notebook_dag.load("nothing")
    files["v2"].unlink()
    with pytest.raises(FileNotFoundError):
        notebook_dag.load("d1")


@pytest.mark.parametrize("fmt", ["csv", "tsv", "jsonl"])
def test_row_index_previews_equal_full_scans(tmp_path, fmt):
    df = iris()
    df["note"] = [f'line "{i}"\nsecond, line' if i % 3 == 0 else f"n{i}" for i in range(len(df))]
    path = _write(tmp_path, f"x.{fmt}", encode(df, fmt))
    index = previews.row_index(path, fmt, stride=7)
    assert index["rows"] == 150 and len(index["offsets"]) == 22
    for offset in (0, 6, 7, 8, 50, 139, 143, 149, 150, 500):
        with_index = previews.preview(path, fmt, offset=offset, limit=9, index=index)
        scan = previews.preview(path, fmt, offset=offset, limit=9)
        assert with_index["rows"] == scan["rows"] and with_index["has_more"] == scan["has_more"], offset
        assert scan["rows"] == previews.frame_rows(df.iloc[offset: offset + 9]), offset
    assert previews.row_index(_write(tmp_path, "blank.csv", b"a\n1\n\n2\n"), "csv") is None
    assert previews.row_index(_write(tmp_path, "tail.csv", b"a\n1\n2\n\n\n"), "csv")["rows"] == 2
    assert previews.row_index(path, "parquet") is None
    # the index is the same whatever the block size, even with blocks that fall wholly
    # inside a quoted field (no quote in the block, yet its newlines end no record)
    for chunk in (1, 2, 5, 64):
        assert previews.row_index(path, fmt, stride=7, chunk=chunk) == index, chunk
    # a blank line is found wherever the blocks split it ("\r" | "\n", "\n" | "\n")
    plain = b"".join(b"%d,x\n" % i for i in range(40))
    crlf = _write(tmp_path, "crlf.csv", b"a,b\r\n1,2\r\n\r\n3,4\r\n")
    whole = previews.row_index(_write(tmp_path, "plain.csv", b"a,b\n" + plain), "csv", stride=5)
    assert whole["rows"] == 40 and len(whole["offsets"]) == 8
    for chunk in range(1, 12):
        assert previews.row_index(crlf, "csv", chunk=chunk) is None, chunk
        assert previews.row_index(tmp_path / "plain.csv", "csv", stride=5, chunk=chunk) == whole, chunk
