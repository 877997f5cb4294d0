"""Paged previews of dataset files and the row index that makes them cheap: rows
``offset..offset+limit`` of a file, with every value exactly as stored and each column's
dtype taken from the whole file. Synchronous and blocking on disk, like
:mod:`notebook_dag.datasets.formats`: callers run them in a thread."""

from __future__ import annotations

import datetime
import decimal
import itertools
import math
import os
from typing import Any

from ..errors import BadRequest
from .formats import DELIMITER, _first_char, _jsonl_records, column_dtypes, json_array_records, read_frame

# ---- row index -------------------------------------------------------------------

ROW_INDEX_STRIDE = 1 << 16

#: rows of an Excel worksheet at most (Excel 2007 and later)
EXCEL_MAX_ROWS = 1_048_576


def row_index(path: str, fmt: str, stride: int = ROW_INDEX_STRIDE, chunk: int = 1 << 24) -> dict[str, Any] | None:
    """A sparse index of a CSV/TSV or JSON-lines file: the byte offset of every
    ``stride``-th data row, so that a preview deep in the file seeks instead of parsing
    everything before it. Returns ``{"stride", "offsets": [int], "rows"}`` or None for
    other formats and for files with blank lines (which readers skip, so line numbers
    and row numbers would disagree).

    Vectorised with numpy over ``chunk``-byte blocks (bounded memory: one block buffer
    and two masks, reused, so that a large file costs no fresh pages per block). Newlines
    inside quoted CSV fields are not record ends: a newline ends a record only where the
    number of ``"`` characters before it is even (RFC 4180 quoting, ``""`` escapes). A
    block without quotes, carriage returns or blank lines (most of them) only counts its
    newlines and locates the indexed ones (1/65536 of them); the others list every
    newline's position.
    """
    import numpy as np

    if fmt not in DELIMITER and fmt != "jsonl":
        return None
    header = 1 if fmt in DELIMITER else 0
    offsets: list[int] = [0] if header == 0 else []
    seps = parity = pos = 0
    last_sep, last_byte, done = -1, b"", False
    size = os.path.getsize(path)
    block = bytearray(max(min(chunk, size), 1))
    whole, mask = np.frombuffer(block, dtype=np.uint8), np.empty(len(block), dtype=bool)
    pair = np.empty(len(block), dtype=bool)
    with open(path, "rb") as f:
        while not done and (got := f.readinto(block)):
            arr, eq = whole[:got], mask[:got]
            np.equal(arr, 10, out=eq)
            plain = (not header or (not parity and block.find(b'"', 0, got) < 0)) and block.find(b"\r", 0, got) < 0
            if plain and eq[0] and (last_sep == pos - 1 or (last_sep == pos - 2 and last_byte == b"\r")):
                plain = False  # a blank line across the blocks' boundary
            if plain and got > 1 and np.logical_and(eq[1:], eq[:-1], out=pair[: got - 1]).any():
                plain = False  # a blank line
            if plain:  # the usual block: every newline ends a record; count, locate only the indexed ones
                starts = range(0, got, 1 << 20)
                counts = np.cumsum([np.count_nonzero(eq[a : a + (1 << 20)]) for a in starts])
                count = int(counts[-1])
                first = max(1, header - seps)  # k-th newline of the block: data row seps + k - header follows
                first += (header - seps - first) % stride
                wanted = range(first, count + 1, stride)
                if len(wanted) <= 64:
                    for k in wanted:
                        i = int(np.searchsorted(counts, k))  # the piece holding the k-th newline
                        before = int(counts[i - 1]) if i else 0
                        offsets.append(pos + starts[i] + int(np.flatnonzero(eq[starts[i] : starts[i] + (1 << 20)])[k - before - 1]) + 1)
                    if count:
                        seps += count
                        last_sep = pos + block.rfind(b"\n", 0, got)
                    pos += got
                    last_byte = bytes(block[got - 1 : got])
                    continue
            nl = np.flatnonzero(eq)
            if header and (parity or block.find(b'"', 0, got) >= 0):
                quotes = np.flatnonzero(np.equal(arr, 34, out=eq))
                nl = nl[((parity + np.searchsorted(quotes, nl)) & 1) == 0]
                parity = (parity + quotes.size) & 1
            if nl.size:
                ends = nl + pos
                gap = ends - np.concatenate(([last_sep], ends[:-1]))
                before = arr[np.maximum(nl - 1, 0)] == 13  # a carriage return before the newline
                if nl[0] == 0:  # ... in the previous block
                    before[0] = last_byte == b"\r"
                blank = (gap == 1) | ((gap == 2) & before)
                if blank.any():  # allowed only at the very end of the file
                    first = int(np.flatnonzero(blank)[0])
                    if block[int(nl[first]) + 1 : got].strip() or not _only_whitespace(f):
                        return None
                    nl, ends, done = nl[:first], ends[:first], True
                rows_after = seps + np.arange(1, nl.size + 1) - header  # data row starting after each end
                keep = (rows_after >= 0) & (rows_after % stride == 0)
                offsets.extend(int(x) for x in ends[keep] + 1)
                seps += int(nl.size)
                if nl.size:
                    last_sep = int(ends[-1])
            pos += got
            last_byte = bytes(block[got - 1 : got])
    records = seps + (1 if not done and pos and last_byte != b"\n" else 0)
    rows = max(records - header, 0)
    return {"stride": stride, "offsets": [o for i, o in enumerate(offsets) if i * stride < rows], "rows": rows}


def _only_whitespace(f: Any) -> bool:
    while block := f.read(1 << 20):
        if block.strip():
            return False
    return True


# ---- preview -----------------------------------------------------------------------


def preview(path: str, fmt: str, offset: int = 0, limit: int = 50,
            index: dict[str, Any] | None = None, dtypes: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Rows ``offset .. offset+limit`` of the file, reading only what that needs, with
    each column's dtype in the whole file.

    Parquet reads only the row groups that hold those rows. CSV/TSV and JSON lines seek
    to the nearest indexed row before ``offset`` when given the file's ``index``
    (:func:`row_index`, built with the profile) and parse from there; without one they
    stream from the start (``skiprows``/``nrows`` with pandas' C parser, line slicing).
    JSON arrays decode incrementally up to the last wanted row; Excel streams rows with
    openpyxl. Returns ``{"columns": [{"name", "dtype"}], "rows": [[value, ...]],
    "offset", "limit", "total_rows" (int or None when unknown without a full scan),
    "has_more"}``; values are JSON-safe (:func:`frame_rows`: floats exact, NaN → null,
    timestamps → ISO 8601 text).

    The dtypes are those of the whole file as :func:`read_frame` reads it, not of the
    rows shown (sixty ``0`` then ``2.5`` is ``float64`` at every offset): ``dtypes`` as
    :func:`column_dtypes` gives them (stored with the profile), else computed here, which
    reads the whole file unless it is Parquet (only when that fails, the file being
    broken further on, are the dtypes those of the rows shown, as with ``dtypes=[]``).
    The rows shown are converted to them where
    that is exact (integers of a float column are shown as floats). CSV/TSV numbers are
    parsed with Python's own float conversion (``float_precision="round_trip"``).
    """
    import pandas as pd

    total: int | None = None
    whole = None
    if fmt == "parquet":
        frame, total = _parquet_slice(path, offset, limit)
    elif fmt in DELIMITER:
        sep = DELIMITER[fmt]
        start, skip = _seek(index, offset)
        if start or skip:  # an int skiprows: the C tokenizer skips records (quotes respected)
            names = list(pd.read_csv(path, sep=sep, nrows=0).columns)
            if skip >= os.path.getsize(path) - start:
                # past the end (a record takes a byte at least): pandas would first build
                # list(range(skip)), which an offset such as 10**11 makes a MemoryError
                frame = pd.DataFrame(columns=names)
            else:
                with open(path, "rb") as f:
                    if start:
                        f.seek(start)
                    frame = pd.read_csv(f, sep=sep, skiprows=skip if start else skip + 1, nrows=limit + 1,
                                        header=None, names=names, low_memory=False, float_precision="round_trip")
        else:
            frame = pd.read_csv(path, sep=sep, nrows=limit + 1, low_memory=False, float_precision="round_trip")
    elif fmt == "jsonl":
        start, skip = _seek(index, offset)
        records = list(itertools.islice(_jsonl_records(path, start=start), skip, skip + limit + 1))
        frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    elif fmt == "json":
        if _first_char(path) == "[":
            records = list(itertools.islice(json_array_records(path), offset, offset + limit + 1))
            frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
        else:
            whole = read_frame(path, fmt)
            total, frame = len(whole), whole.iloc[offset : offset + limit + 1]
            dtypes = [(str(c), str(t)) for c, t in whole.dtypes.items()]
    elif fmt == "excel":
        if offset >= EXCEL_MAX_ROWS:  # no sheet has that row; pandas would make a set of the range
            frame = pd.read_excel(path, engine="openpyxl", nrows=0)
        else:
            frame = pd.read_excel(path, engine="openpyxl", skiprows=range(1, offset + 1) if offset else None,
                                  nrows=limit + 1)
    else:
        raise BadRequest(f"unknown format {fmt!r}")
    has_more = len(frame) > limit if total is None else offset + limit < total
    frame = frame.iloc[:limit]
    if dtypes is None:
        try:
            dtypes = column_dtypes(path, fmt)
        except Exception:  # noqa: BLE001 - pandas cannot read the whole file: the rows' own dtypes
            dtypes = []
    frame, types = _conform(frame, dtypes)
    return {
        "columns": [{"name": str(c), "dtype": t} for c, t in zip(frame.columns, types)],
        "rows": frame_rows(frame),
        "offset": offset,
        "limit": limit,
        "total_rows": total,
        "has_more": bool(has_more),
    }


def _conform(frame: Any, dtypes: list[tuple[str, str]]) -> tuple[Any, list[str]]:
    """``frame`` (rows of a file) with the columns that hold integers or booleans where
    the whole file has floats, or text where it has dates, converted to the whole file's
    dtype, and the dtype of each of its columns in the whole file (matched by position
    when the names agree, else by name; a column unknown to ``dtypes`` keeps its own)."""
    import pandas as pd

    names = [str(c) for c in frame.columns]
    if [n for n, _ in dtypes] == names:
        types = [t for _, t in dtypes]
    else:
        by_name = dict(dtypes)
        types = [by_name.get(n, str(t)) for n, t in zip(names, frame.dtypes)]
    if frame.empty:
        return frame, types
    frame = frame.copy()
    for i, target in enumerate(types):
        col = frame.iloc[:, i]
        if str(col.dtype) == target:
            continue
        try:
            if target.startswith("float") and col.dtype.kind in "iub":
                frame.isetitem(i, col.astype(target))
            elif target.startswith("datetime64") and col.dtype == object:
                frame.isetitem(i, pd.to_datetime(col).astype(target))
        except (TypeError, ValueError, OverflowError):
            pass  # shown as read
    return frame, types


def _seek(index: dict[str, Any] | None, offset: int) -> tuple[int, int]:
    """``(byte offset to start at, rows to skip from there)`` for data row ``offset``;
    ``(0, offset)`` without a usable index (the byte offset 0 is then the header's)."""
    if not index or not index.get("offsets") or offset < index["stride"]:
        return 0, offset
    k = min(offset // index["stride"], len(index["offsets"]) - 1)
    return int(index["offsets"][k]), offset - k * index["stride"]


def _parquet_slice(path: str, offset: int, limit: int) -> tuple[Any, int]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    meta = pf.metadata
    total = meta.num_rows
    wanted, start, first_start = [], 0, None
    for i in range(meta.num_row_groups):
        n = meta.row_group(i).num_rows
        if start + n > offset and start < offset + limit:
            wanted.append(i)
            if first_start is None:
                first_start = start
        start += n
    if not wanted:
        return pf.schema_arrow.empty_table().to_pandas(), total
    table: pa.Table = pf.read_row_groups(wanted)
    return table.slice(offset - (first_start or 0), limit).to_pandas(), total


def frame_rows(frame: Any) -> list[list[Any]]:
    """The rows of a DataFrame as JSON-safe lists of the values it holds: every float
    exactly (a Python float, written in its shortest exact form; not through
    ``DataFrame.to_json``, whose ``double_precision`` of at most 15 digits rounds
    ``1.5e-11`` to ``0.0``), NaN/±inf/NaT/NA → None, timestamps, dates, times and
    durations → ISO 8601 text with every digit, decimals → numbers when a float holds
    them exactly (else text), bytes → UTF-8 text, lists and dicts element by element,
    other objects → ``str``."""
    if frame.empty:
        return []
    columns = [[_json_value(v) for v in frame.iloc[:, i].tolist()] for i in range(frame.shape[1])]
    return [list(row) for row in zip(*columns)]


def _json_value(v: Any) -> Any:
    import numpy as np
    import pandas as pd

    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, np.datetime64):
        return _json_value(pd.Timestamp(v))
    if isinstance(v, np.timedelta64):
        return _json_value(pd.Timedelta(v))
    if isinstance(v, np.ndarray):
        return [_json_value(x) for x in v.tolist()]
    if isinstance(v, np.generic):
        return _json_value(v.item())
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, datetime.timedelta):
        return pd.Timedelta(v).isoformat()
    if isinstance(v, decimal.Decimal):
        if v.is_finite():
            f = float(v)
            if math.isfinite(f) and decimal.Decimal(repr(f)) == v:
                return f
            return str(v)
        return None
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v).decode("utf-8", "replace")
    if isinstance(v, dict):
        return {str(k): _json_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    return str(v)

