"""Full ydata-profiling reports, built in a separate Python process.

The server runs :func:`run_report` (``asyncio.create_subprocess_exec(sys.executable, "-m",
"notebook_dag.datasets.report", ...)``), so a report never blocks or bloats the Jupyter
server. The child prints one JSON object per line on stdout:
``{"stage": str, "progress": 0..1, "message": str}`` while it works, then
``{"stage": "done", "progress": 1, "rows": n, "sample_rows": m}``, or
``{"stage": "error", "message": str}`` and exit status 1.

Tables with more than ``--max-rows`` rows are profiled on a uniform random sample
(seed 0); the title and the dataset description of the report state the sample size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import deque
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

#: report stages → progress at their start, for the progress bar
STAGES = {"loading": 0.02, "sampling": 0.08, "Summarize dataset": 0.1,
          "Generate report structure": 0.8, "Render HTML": 0.9, "writing": 0.97}


_done = 0.0


def _emit(stage: str, progress: float, message: str = "", **extra: Any) -> None:
    global _done
    _done = progress = max(_done, progress)  # ydata's bars grow their totals: never go back
    print(json.dumps({"stage": stage, "progress": round(progress, 4), "message": message, **extra}), flush=True)


def _progress_tqdm() -> type:
    """A tqdm class that reports its updates as JSON lines instead of drawing a bar."""
    from tqdm import tqdm

    class JsonProgress(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["file"] = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the bar
            kwargs["disable"] = False
            super().__init__(*args, **kwargs)
            self._last = 0.0

        def update(self, n: float | None = 1) -> bool | None:
            out = super().update(n)
            now = time.monotonic()
            if now - self._last > 0.25 or (self.total and self.n >= self.total):
                self._last = now
                start = STAGES.get(self.desc or "", 0.1)
                end = min((v for v in STAGES.values() if v > start), default=1.0)
                frac = min(1.0, self.n / self.total) if self.total else 0.0
                _emit(self.desc or "working", start + (end - start) * frac, str(self.postfix or ""))
            return out

    return JsonProgress


def _guard_stray_coverage() -> None:
    """numba (imported by ydata-profiling) breaks on a directory named ``coverage`` on
    ``sys.path`` (a JavaScript coverage output, say) that shadows coverage.py."""
    import importlib.util

    spec = importlib.util.find_spec("coverage")
    if spec is not None and spec.origin in (None, "namespace"):
        sys.modules["coverage"] = None  # type: ignore[assignment]  # import → ImportError


def build_report(input_path: str, fmt: str, output: str, title: str, max_rows: int, minimal: bool = False) -> dict[str, int]:
    """Profile the file with ydata-profiling and write the HTML to ``output`` (atomically).
    Returns ``{"rows", "sample_rows"}``; progress goes to stdout as JSON lines."""
    from .formats import read_frame

    _emit("loading", STAGES["loading"], "reading the file")
    df = read_frame(input_path, fmt)
    rows = len(df)
    description = f"{rows:,} rows × {df.shape[1]} columns."
    if rows > max_rows:
        _emit("sampling", STAGES["sampling"], f"sampling {max_rows:,} of {rows:,} rows")
        df = df.sample(n=max_rows, random_state=0).sort_index()
        title = f"{title} (random sample of {max_rows:,} of {rows:,} rows)"
        description = (f"This report was computed on a uniform random sample of {max_rows:,} rows "
                       f"(seed 0) out of {rows:,} rows × {df.shape[1]} columns.")
    _guard_stray_coverage()
    os.environ.setdefault("YDATA_SUPPRESS_BANNER", "1")
    import ydata_profiling.model.describe as describe
    import ydata_profiling.profile_report as profile_report
    import ydata_profiling.report.structure.report as structure
    from ydata_profiling import ProfileReport

    bar = _progress_tqdm()
    describe.tqdm = profile_report.tqdm = structure.tqdm = bar
    report = ProfileReport(df, title=title, minimal=minimal, progress_bar=True,
                           dataset={"description": description})
    html = report.to_html()
    _emit("writing", STAGES["writing"], "writing the HTML")
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, out)
    return {"rows": rows, "sample_rows": len(df)}


def main(argv: list[str] | None = None) -> int:
    """Command line of the report process (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m notebook_dag.datasets.report")
    parser.add_argument("--input", required=True)
    parser.add_argument("--format", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--title", default="Dataset report")
    parser.add_argument("--max-rows", type=int, default=100_000)
    parser.add_argument("--minimal", action="store_true")
    args = parser.parse_args(argv)
    import warnings

    warnings.simplefilter("ignore")
    try:
        result = build_report(args.input, args.format, args.output, args.title, args.max_rows, args.minimal)
    except Exception as e:  # noqa: BLE001 - reported to the parent as a JSON line
        _emit("error", 1.0, f"{type(e).__name__}: {e}"[:2000])
        return 1
    _emit("done", 1.0, "report ready", **result)
    return 0


ProgressCallback = Callable[[float, str], Awaitable[None]]


class ReportFailed(Exception):
    """The report process failed; the message says why (its last error line or stderr)."""


async def run_report(
    input_path: str, fmt: str, output: str, title: str, max_rows: int,
    on_progress: ProgressCallback, timeout: float | None = None, minimal: bool = False,
) -> dict[str, int]:
    """Build a report in a child process and await it.

    Calls ``await on_progress(progress 0..1, message)`` for each progress line. Returns
    ``{"rows", "sample_rows"}``. Raises :class:`ReportFailed` when the child exits with an
    error, dies, or runs longer than ``timeout`` seconds (it is killed then).
    """
    package_parent = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
    env.setdefault("MPLBACKEND", "Agg")
    env["YDATA_SUPPRESS_BANNER"] = "1"
    cmd = [sys.executable, "-m", "notebook_dag.datasets.report", "--input", input_path, "--format", fmt,
           "--output", output, "--title", title, "--max-rows", str(max_rows)]
    if minimal:
        cmd.append("--minimal")
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=str(Path(output).parent), env=env,
    )
    stderr_tail: deque[str] = deque(maxlen=20)
    result: dict[str, Any] = {}

    async def read_stdout() -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if msg.get("stage") == "done":
                result.update(msg)
            elif msg.get("stage") == "error":
                result["error"] = msg.get("message", "")
            else:
                await on_progress(float(msg.get("progress", 0)), str(msg.get("message") or msg.get("stage", "")))

    async def read_stderr() -> None:
        assert proc.stderr is not None
        async for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                stderr_tail.append(line)

    try:
        await asyncio.wait_for(asyncio.gather(read_stdout(), read_stderr(), proc.wait()), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise ReportFailed(f"the report took longer than {timeout:.0f} s and was stopped") from None
    except asyncio.CancelledError:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if proc.returncode != 0 or "rows" not in result:
        reason = result.get("error") or "\n".join(stderr_tail) or f"exit status {proc.returncode}"
        raise ReportFailed(reason)
    return {"rows": int(result["rows"]), "sample_rows": int(result["sample_rows"])}


if __name__ == "__main__":
    sys.exit(main())
