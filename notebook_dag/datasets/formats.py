"""File formats of datasets: detection from content, header validation and reading
(paged previews and their row index are in :mod:`notebook_dag.datasets.preview`).

Formats (the ``format`` field everywhere): ``csv``, ``tsv``, ``parquet``, ``json`` (a
JSON array of records, or pandas' column-oriented object), ``jsonl`` (one JSON object per
line) and ``excel`` (``.xlsx``, first sheet).

Every function here is synchronous and may block on disk; callers run them in a thread
or a worker process. Problems with the file itself raise :class:`~notebook_dag.errors.Unprocessable`
with a message that says what is wrong.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import zipfile
from collections.abc import Iterator
from typing import Any

from ..errors import BadRequest, Unprocessable

FORMATS = ("csv", "tsv", "parquet", "json", "jsonl", "excel")
EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "excel", ".xlsm": "excel",
}
#: the extension a stored copy of each format gets
SUFFIX = {"csv": ".csv", "tsv": ".tsv", "parquet": ".parquet", "json": ".json", "jsonl": ".jsonl", "excel": ".xlsx"}
DELIMITER = {"csv": ",", "tsv": "\t"}
HEAD_BYTES = 1 << 16
#: bytes parsed by :func:`validate` for text formats (first CSV block, first JSON records)
VALIDATE_BYTES = 1 << 20
#: JSON objects (pandas' column orient) are parsed whole: keep them small
JSON_OBJECT_MAX = 64 << 20


def _describe_text(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        return "empty"
    if text[:1] in (b"[", b"{"):
        return "JSON text"
    return "text (CSV-like)"


def sniff(head: bytes) -> str | None:
    """The format the first bytes of a file look like, or None (text of unknown shape
    resolves to ``csv``/``tsv`` by delimiter count). ``head``: up to 64 KiB."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        return "excel"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if b"\x00" in head:
        return None
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        first, _, rest = text.partition(b"\n")
        try:
            obj = json.loads(first)
        except ValueError:
            return "json"
        if not isinstance(obj, dict):
            return "json"
        if not rest.strip() and obj and all(isinstance(v, (dict, list)) for v in obj.values()):
            return "json"  # one object of columns (pandas orient="columns"), not one record
        return "jsonl"
    lines = text.split(b"\n")[:20]
    tabs = sum(ln.count(b"\t") for ln in lines)
    commas = sum(ln.count(b",") for ln in lines)
    return "tsv" if tabs > commas else "csv"


def detect_format(path: str, name: str, declared: str | None = None) -> str:
    """The format of the file at ``path``, checked against its name's extension and the
    ``declared`` format (e.g. the ``format`` query argument).

    Returns one of :data:`FORMATS`. Raises :class:`BadRequest` for an unknown
    ``declared`` value and :class:`Unprocessable` when the content is empty, binary of
    an unknown kind, not UTF-8 text, a legacy ``.xls`` workbook, or does not match the
    extension or the declared format (``x.parquet`` holding CSV text, say).
    """
    if declared is not None and declared not in FORMATS:
        raise BadRequest(f"format must be one of {', '.join(FORMATS)}, got {declared!r}")
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
    if not head.strip():
        raise Unprocessable(f"{name!r} is empty")
    found = sniff(head)
    if found == "xls":
        raise Unprocessable(f"{name!r} is a legacy .xls workbook; save it as .xlsx")
    if found is None:
        raise Unprocessable(f"{name!r} is a binary file of an unknown format (expected {', '.join(FORMATS)})")
    if found in ("csv", "tsv", "json", "jsonl"):
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as e:
            if e.start < len(head) - 4:  # not just a character cut at the end of the head
                raise Unprocessable(f"{name!r} is not UTF-8 text (byte {e.start}); re-save it as UTF-8") from None
    ext = os.path.splitext(name)[1].lower()
    expected = declared or EXTENSIONS.get(ext)
    if expected is None:
        return found
    compatible = {
        "csv": {"csv", "tsv"}, "tsv": {"csv", "tsv"}, "json": {"json", "jsonl"},
        "jsonl": {"jsonl"}, "parquet": {"parquet"}, "excel": {"excel"},
    }[expected]
    if found not in compatible:
        what = {"parquet": "a Parquet file", "excel": "an Excel workbook"}.get(found, _describe_text(head))
        raise Unprocessable(
            f"{name!r} is declared as {expected} but its content is {what}",
            declared=expected, detected=found,
        )
    if expected in DELIMITER:
        first_line = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0]
        return expected if DELIMITER[expected].encode() in first_line else found
    return found


# ---- validation ------------------------------------------------------------------


def validate(path: str, fmt: str, name: str = "") -> list[str]:
    """Parse the header and the first rows of the file (at most ~1 MiB of text, the first
    Parquet batch, the first Excel rows) and return the column names.

    Raises :class:`Unprocessable` with the parser's message when the file is broken:
    a corrupt or truncated Parquet file, a CSV row with a different number of fields than
    the header, invalid JSON, a workbook openpyxl cannot read, no columns at all.
    """
    label = name or os.path.basename(path)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(path)
            next(pf.iter_batches(batch_size=1000), None)
            columns = list(pf.schema_arrow.names)
        elif fmt in DELIMITER:
            columns = _validate_csv(path, DELIMITER[fmt])
        elif fmt == "jsonl":
            columns = []
            for record in itertools.islice(_jsonl_records(path, limit_bytes=VALIDATE_BYTES), 1000):
                columns.extend(k for k in record if k not in columns)
        elif fmt == "json":
            columns = _validate_json(path)
        elif fmt == "excel":
            import pandas as pd

            with zipfile.ZipFile(path) as z:
                if "xl/workbook.xml" not in z.namelist():
                    raise Unprocessable(f"{label!r} is a zip archive, not an Excel workbook")
            columns = [str(c) for c in pd.read_excel(path, nrows=20, engine="openpyxl").columns]
        else:
            raise BadRequest(f"unknown format {fmt!r}")
    except (Unprocessable, BadRequest):
        raise
    except Exception as e:  # noqa: BLE001 - any parser error means the file is broken
        raise Unprocessable(f"{label!r} is not a valid {fmt} file: {_clean(e)}", format=fmt) from None
    if not columns:
        raise Unprocessable(f"{label!r} has no columns", format=fmt)
    return columns


def _validate_csv(path: str, delimiter: str) -> list[str]:
    """Parse the first ~1 MiB (whole lines) with pyarrow. Only when that fails on a longer
    file (a quoted field with line breaks cut at the limit, say) is the file opened with
    pyarrow's streaming reader, which is exact but reads ahead tens of MiB."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    parse = pacsv.ParseOptions(delimiter=delimiter)
    with open(path, "rb") as f:
        head = f.read(VALIDATE_BYTES)
        complete = not f.read(1)
    if not complete:
        head = head[: head.rfind(b"\n") + 1] or head
    elif not _has_line_break(head):
        head += b"\n"  # only a header: pyarrow finds no complete line ("Empty CSV file") without one
    try:
        table = pacsv.read_csv(pa.py_buffer(head), read_options=pacsv.ReadOptions(use_threads=False),
                               parse_options=parse)
        return list(table.schema.names)
    except pa.ArrowInvalid:
        if complete:
            raise
    with pa.input_stream(path) as stream:
        reader = pacsv.open_csv(stream, read_options=pacsv.ReadOptions(block_size=VALIDATE_BYTES),
                                parse_options=parse)
        names = list(reader.schema.names)
        try:
            reader.read_next_batch()
        except StopIteration:
            pass
        return names


def _has_line_break(data: bytes) -> bool:
    return b"\n" in data or b"\r" in data


def _csv_source(path: str) -> Any:
    """What to give pyarrow's CSV reader for ``path``: the path itself, or for a file that
    is one line without a line break (a header and no rows; pyarrow would call it empty)
    its bytes with a line break added, so that it reads as the same table as with one."""
    if os.path.getsize(path) <= HEAD_BYTES:
        with open(path, "rb") as f:
            data = f.read()
        if not _has_line_break(data):
            return io.BytesIO(data + b"\n")
    return path


def _clean(e: Exception) -> str:
    text = str(e).strip() or type(e).__name__
    return text if len(text) < 500 else text[:500] + "..."


def _validate_json(path: str) -> list[str]:
    if _first_char(path) == "[":
        columns: list[str] = []
        for record in itertools.islice(json_array_records(path, limit_bytes=VALIDATE_BYTES), 1000):
            if not isinstance(record, dict):
                raise Unprocessable("a JSON array dataset must hold objects (records), found "
                                    f"{type(record).__name__}")
            columns.extend(k for k in record if k not in columns)
        return columns
    if os.path.getsize(path) > JSON_OBJECT_MAX:
        raise Unprocessable(f"a JSON object (not an array of records) over {JSON_OBJECT_MAX >> 20} MiB cannot be "
                            "read; use JSON lines or an array of records")
    import pandas as pd

    return [str(c) for c in pd.read_json(path).columns]


def _jsonl_records(path: str, limit_bytes: int | None = None, start: int = 0) -> Iterator[dict[str, Any]]:
    read = 0
    with open(path, "rb") as f:
        f.seek(start)
        for lineno, line in enumerate(f, 1):
            read += len(line)
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as e:
                if limit_bytes is not None and read > limit_bytes:
                    return  # a line cut by the validation limit
                raise Unprocessable(f"line {lineno} is not valid JSON: {e}") from None
            if not isinstance(record, dict):
                raise Unprocessable(f"line {lineno} is not a JSON object")
            yield record
            if limit_bytes is not None and read > limit_bytes:
                return


def json_array_records(path: str, limit_bytes: int | None = None, chunk: int = 1 << 16) -> Iterator[Any]:
    """Yield the elements of the top-level JSON array in ``path`` one at a time, reading
    the file in ``chunk``-byte pieces (memory bounded by the largest element). Stops
    quietly after ``limit_bytes`` when given. Raises :class:`Unprocessable` on invalid JSON."""
    decoder = json.JSONDecoder()
    with open(path, encoding="utf-8-sig") as f:
        buf = f.read(chunk).lstrip()
        if not buf.startswith("["):
            raise Unprocessable("not a JSON array")
        pos, consumed, eof = 1, 0, False
        while True:
            while True:  # skip whitespace and the separating comma
                while pos < len(buf) and buf[pos] in " \t\r\n":
                    pos += 1
                if pos < len(buf) and buf[pos] == ",":
                    pos += 1
                    continue
                break
            if pos >= len(buf) and not eof:
                more = f.read(chunk)
                eof = not more
                consumed += pos
                buf, pos = buf[pos:] + more, 0
                continue
            if pos < len(buf) and buf[pos] == "]":
                return
            try:
                value, end = decoder.raw_decode(buf, pos)
            except ValueError as e:
                if eof:
                    raise Unprocessable(f"invalid JSON near character {consumed + pos}: {e.msg}") from None
                if limit_bytes is not None and consumed > limit_bytes:
                    return
                more = f.read(chunk)
                eof = not more
                consumed += pos
                buf, pos = buf[pos:] + more, 0
                continue
            yield value
            pos = end
            if limit_bytes is not None and consumed + pos > limit_bytes:
                return


# ---- reading -----------------------------------------------------------------------


def read_frame(path: str, fmt: str) -> Any:
    """The whole file as a pandas DataFrame (the object ``notebook_dag.load()`` returns).
    CSV/TSV use the pyarrow engine with a fallback to the C engine; Excel reads the first sheet."""
    import pandas as pd

    if fmt == "parquet":
        return pd.read_parquet(path)
    if fmt in DELIMITER:
        try:
            return pd.read_csv(_csv_source(path), sep=DELIMITER[fmt], engine="pyarrow")
        except Exception:  # noqa: BLE001 - type inference conflicts: the C engine is laxer
            return pd.read_csv(path, sep=DELIMITER[fmt], low_memory=False, float_precision="round_trip")
    if fmt == "jsonl":
        return pd.read_json(path, lines=True, precise_float=True)
    if fmt == "json":
        if _first_char(path) == "[":
            return pd.DataFrame.from_records(list(json_array_records(path)))
        return pd.read_json(path, precise_float=True)
    if fmt == "excel":
        return pd.read_excel(path, engine="openpyxl")
    raise BadRequest(f"unknown format {fmt!r}")


def read_table(path: str, fmt: str) -> Any:
    """The whole file as a ``pyarrow.Table`` (for profiling): pyarrow's multi-threaded
    readers for Parquet, CSV/TSV and JSON lines, pandas for the rest. A CSV whose later
    rows contradict the types inferred from the first block is re-read by pandas."""
    import pyarrow as pa

    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path)
    if fmt in DELIMITER:
        import pyarrow.csv as pacsv

        try:
            return pacsv.read_csv(_csv_source(path), parse_options=pacsv.ParseOptions(delimiter=DELIMITER[fmt]))
        except pa.ArrowInvalid as e:
            if "conversion error" not in str(e).lower():
                raise Unprocessable(f"not a valid {fmt} file: {_clean(e)}") from None
    if fmt == "jsonl":
        import pyarrow.json as pajson

        try:
            return pajson.read_json(path)
        except pa.ArrowInvalid:
            pass
    frame = read_frame(path, fmt)
    frame.columns = [str(c) for c in frame.columns]
    for col in frame.columns:
        if frame[col].dtype == object:  # mixed Python objects: keep them as text
            try:
                pa.array(frame[col])
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                frame[col] = frame[col].map(lambda v: None if v is None else str(v))
    return pa.Table.from_pandas(frame, preserve_index=False)


def table_dtypes(table: Any, fmt: str, null_counts: list[int] | None = None) -> list[tuple[str, str]]:
    """``(column name, pandas dtype)`` of the DataFrame that :func:`read_frame` makes of
    the file that :func:`read_table` read as ``table`` (what ``notebook_dag.load()``
    returns), in the frame's column order, without converting the data: the dtypes of
    the empty table's conversion (pandas metadata, e.g. of Parquet, applies), with
    integer columns holding nulls as ``float64`` and boolean ones as ``object``, as
    pyarrow converts them, and all-null CSV columns as ``float64``, as pandas' pyarrow
    CSV engine reads them. ``null_counts`` (per column of ``table``) replace the table's
    own (when it is only a schema)."""
    import numpy as np
    import pyarrow as pa

    if fmt in DELIMITER:
        for i, t in enumerate(table.schema.types):
            if pa.types.is_null(t):
                table = table.set_column(i, table.schema.field(i).with_type(pa.float64()),
                                         table.column(i).cast(pa.float64()))
    if null_counts is None:
        null_counts = [table.column(i).null_count for i in range(table.num_columns)]
    empty = table.slice(0, 0).to_pandas()
    position = {name: i for i, name in reversed(list(enumerate(table.column_names)))}
    out = []
    for name, dtype in zip(empty.columns, empty.dtypes):
        if isinstance(dtype, np.dtype) and dtype.kind in "iub" and name in position:
            if null_counts[position[name]]:
                dtype = np.dtype("float64") if dtype.kind in "iu" else np.dtype("object")
        out.append((str(name), str(dtype)))
    return out


def _parquet_dtypes(path: str) -> list[tuple[str, str]]:
    """:func:`table_dtypes` of a Parquet file from its schema, with null counts from the
    row groups' statistics; only integer and boolean columns without statistics are read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    schema = pf.schema_arrow
    meta = pf.metadata
    leaves = {meta.schema.column(j).path: j for j in range(meta.num_columns)}
    counts = []
    for field in schema:
        nulls: int | None = 0
        if pa.types.is_integer(field.type) or pa.types.is_boolean(field.type):
            j = leaves.get(field.name)
            for g in range(meta.num_row_groups):
                stats = meta.row_group(g).column(j).statistics if j is not None else None
                if stats is None or not stats.has_null_count:
                    nulls = None
                    break
                nulls += stats.null_count
            if nulls is None:
                nulls = pf.read(columns=[field.name]).column(0).null_count
        counts.append(nulls)
    return table_dtypes(schema.empty_table(), "parquet", counts)


def column_dtypes(path: str, fmt: str) -> list[tuple[str, str]]:
    """``(column name, pandas dtype)`` of the whole file as :func:`read_frame` reads it
    (see :func:`table_dtypes`). Parquet needs only its metadata; the other formats are
    read whole (:func:`read_table`), which the quick profile does anyway: the service
    uses the dtypes stored with the profile and calls this only without one."""
    if fmt == "parquet":
        return _parquet_dtypes(path)
    return table_dtypes(read_table(path, fmt), fmt)


def _first_char(path: str) -> str:
    with open(path, "rb") as f:
        return f.read(HEAD_BYTES).lstrip(b"\xef\xbb\xbf \t\r\n")[:1].decode("ascii", "replace")
