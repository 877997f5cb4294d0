"""Benchmark: server memory while reading the history of runs whose block printed 50 MB.

Starts a real jupyter_server with notebook_dag (this checkout) on a loopback port and an
SQLite database, makes ``--runs`` runs (default 50) of a one-cell notebook printing
``--mb`` MB (default 50), then samples the server process's RSS (psutil, every 5 ms;
the kernels are other processes and not counted) while it:

- baseline: lists the history of an empty project ``--repeat`` times;
- lists the history of the ``--runs`` runs (``GET /projects/{id}/runs?limit=50``)
  ``--repeat`` times;
- gets every run whole (``GET /runs/{id}``, outputs capped per block by
  ``RunService.max_output_bytes``) and without outputs (``?outputs=false``).

Prints each phase's peak RSS above idle (RSS before the phase) and time, beside the
target (history of 50 runs: under 100 MB above idle) and the database size.

Usage: python benchmarks/bench_output_memory.py [--runs 50] [--mb 50] [--repeat 5]
       [--max-output-bytes N]  (server setting; default: the server's default, 1 MiB)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import nbformat
import psutil

REPO = Path(__file__).resolve().parents[1]
TARGET_MB = 100


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, root: Path, extra: list[str]) -> None:
        self.port, self.token = free_port(), "benchtoken"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
                   JUPYTER_CONFIG_DIR=str(root / ".cfg"), JUPYTER_DATA_DIR=str(root / ".data"),
                   JUPYTER_RUNTIME_DIR=str(root / ".runtime"))
        self.log = open(root / "server.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", f"--ServerApp.port={self.port}", "--ServerApp.ip=127.0.0.1",
             f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}", "--ServerApp.open_browser=False",
             "--ServerApp.allow_root=True", f"--NotebookDagApp.db_url=sqlite:///{root}/bench.db",
             "--ServerApp.jpserver_extensions=notebook_dag=True", *extra],
            stdout=self.log, stderr=subprocess.STDOUT, env=env,
        )
        self.process = psutil.Process(self.proc.pid)
        deadline = time.time() + 90
        while True:
            try:
                self.call("GET", "projects")
                break
            except Exception as e:
                if time.time() > deadline or self.proc.poll() is not None:
                    self.proc.kill()
                    raise RuntimeError(f"jupyter_server did not start: {e}") from None
                time.sleep(0.2)

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[dict, int]:
        """``(decoded body, body size in bytes)`` of one API call."""
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/notebook-dag/api/{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=600) as r:
            raw = r.read()
        return json.loads(raw or b"{}"), len(raw)

    def rss(self) -> int:
        return self.process.memory_info().rss

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)
        self.log.close()


class Peak:
    """Samples the server's RSS every 5 ms on a thread while the ``with`` block runs."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.idle = self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> Peak:
        time.sleep(0.5)
        self.idle = self.peak = self.server.rss()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.t0 = time.perf_counter()
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.server.rss())
            time.sleep(0.005)

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.t0
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.server.rss())

    @property
    def above_mb(self) -> float:
        return (self.peak - self.idle) / 1e6


def notebook(source: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(source))
    nb.cells[0]["id"] = "big"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def wait(server: Server, run_id: str) -> dict:
    while True:
        run, _ = server.call("GET", f"runs/{run_id}?outputs=false")
        if run["status"] not in ("queued", "running"):
            return run
        time.sleep(0.1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--mb", type=float, default=50)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--max-output-bytes", type=int, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        nbformat.write(notebook(f"print('x' * {int(args.mb * 1e6)})"), root / "big.ipynb")
        nbformat.write(notebook("print('empty')"), root / "empty.ipynb")
        extra = [] if args.max_output_bytes is None else [f"--RunService.max_output_bytes={args.max_output_bytes}"]
        server = Server(root, extra)
        try:
            big, _ = server.call("POST", "projects", {"name": "big", "notebook_path": "big.ipynb"})
            empty, _ = server.call("POST", "projects", {"name": "empty", "notebook_path": "empty.ipynb"})
            with Peak(server) as making:
                ids = []
                for _ in range(args.runs):
                    run, _ = server.call("POST", f"projects/{big['id']}/runs", {"mode": "all", "force": True})
                    assert wait(server, run["id"])["status"] == "succeeded"
                    ids.append(run["id"])
            db_mb = sum(f.stat().st_size for f in root.glob("bench.db*")) / 1e6  # with the WAL
            with Peak(server) as baseline:
                for _ in range(args.repeat):
                    server.call("GET", f"projects/{empty['id']}/runs?limit=50")
            with Peak(server) as history:
                for _ in range(args.repeat):
                    listed, history_bytes = server.call("GET", f"projects/{big['id']}/runs?limit=50")
            assert len(listed["runs"]) == min(50, args.runs)
            with Peak(server) as whole:
                run_bytes = max(server.call("GET", f"runs/{rid}")[1] for rid in ids)
            with Peak(server) as bare:
                bare_bytes = max(server.call("GET", f"runs/{rid}?outputs=false")[1] for rid in ids)
        finally:
            server.stop()
    print(f"{args.runs} runs of one block printing {args.mb:g} MB; server RSS sampled every 5 ms (kernels not counted)")
    print(f"  database after the runs: {db_mb:8.1f} MB  (uncapped it would hold about {args.runs * args.mb:g} MB of outputs)")
    print(f"  making the runs:                 peak {making.above_mb:7.1f} MB above idle   {making.seconds:6.1f} s")
    print(f"  baseline, empty history x{args.repeat}:     peak {baseline.above_mb:7.1f} MB above idle   {baseline.seconds:6.2f} s")
    print(f"  history of {len(listed['runs'])} runs x{args.repeat}:       peak {history.above_mb:7.1f} MB above idle   {history.seconds:6.2f} s"
          f"   body {history_bytes / 1e3:.1f} kB   (target < {TARGET_MB} MB: {'met' if history.above_mb < TARGET_MB else 'NOT met'})")
    print(f"  GET /runs/{{id}} each run:        peak {whole.above_mb:7.1f} MB above idle   {whole.seconds:6.2f} s   largest body {run_bytes / 1e6:.2f} MB")
    print(f"  GET /runs/{{id}}?outputs=false:   peak {bare.above_mb:7.1f} MB above idle   {bare.seconds:6.2f} s   largest body {bare_bytes / 1e3:.1f} kB")


if __name__ == "__main__":
    main()
