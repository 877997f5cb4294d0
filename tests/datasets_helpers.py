"""Helpers shared by the dataset tests: real data from scikit-learn and arch in every
supported format, and small upload/poll wrappers over the ``api`` fixture."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from typing import Any

import pandas as pd

API_PREFIX = "notebook-dag/api"


def iris() -> pd.DataFrame:
    from sklearn.datasets import load_iris

    df = load_iris(as_frame=True).frame
    df["species"] = df["target"].map({0: "setosa", 1: "versicolor", 2: "virginica"})
    return df


def wine() -> pd.DataFrame:
    from sklearn.datasets import load_wine

    return load_wine(as_frame=True).frame


def sp500() -> pd.DataFrame:
    from arch.data import sp500

    return sp500.load().reset_index()


def encode(df: pd.DataFrame, fmt: str) -> bytes:
    """``df`` written in ``fmt`` (csv, tsv, parquet, json, jsonl, excel)."""
    buf = io.BytesIO()
    if fmt == "csv":
        df.to_csv(buf, index=False)
    elif fmt == "tsv":
        df.to_csv(buf, index=False, sep="\t")
    elif fmt == "parquet":
        df.to_parquet(buf, index=False, row_group_size=40)
    elif fmt == "json":
        df.to_json(buf, orient="records")
    elif fmt == "jsonl":
        df.to_json(buf, orient="records", lines=True)
    elif fmt == "excel":
        df.to_excel(buf, index=False)
    else:
        raise ValueError(fmt)
    return buf.getvalue()


EXT = {"csv": "csv", "tsv": "tsv", "parquet": "parquet", "json": "json", "jsonl": "jsonl", "excel": "xlsx"}


async def upload(api: Any, data: bytes, name: str, expect: int | None = 201, **params: Any) -> tuple[int, Any]:
    code, body = await api.call("POST", "datasets", raw=data, name=name, **params)
    if expect is not None:
        assert code == expect, (code, body)
    return code, body


async def wait_profile(api: Any, dataset_id: str, timeout: float = 120, **params: Any) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        prof = await api.ok("GET", f"datasets/{dataset_id}/profile", wait=5, **params)
        if prof["status"] in ("ready", "failed"):
            return prof
        assert time.monotonic() < deadline, f"profile still {prof['status']}"
        await asyncio.sleep(0.1)


async def wait_report(api: Any, dataset_id: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        rep = await api.ok("GET", f"datasets/{dataset_id}/report/status")
        if rep["status"] in ("succeeded", "failed"):
            return rep
        assert time.monotonic() < deadline, f"report still {rep['status']}"
        await asyncio.sleep(0.25)


class PeakRSS:
    """Samples this process's resident set size (bytes) every 5 ms in a thread, as a
    context manager: ``base`` when entered, ``peak`` the largest seen."""

    def __init__(self) -> None:
        import psutil

        self.proc = psutil.Process()
        self.base = self.peak = self.proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.005)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
