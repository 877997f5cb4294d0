"""Real server processes for tests that need more than pytest-jupyter's in-process
server: restarts, several servers on one database, a kernel gateway, JupyterHub.

Every process writes its output to a log file in the test's temp dir; a server that
does not come up fails the test with the end of its log.
"""

from __future__ import annotations

import contextlib

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from collections.abc import Iterator
from typing import Any

TESTS = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None,
         timeout: float = 30) -> tuple[int, Any]:
    """One JSON request (``body`` as bytes: sent as is); returns ``(status, decoded body
    or None)`` and never raises for an HTTP error status."""
    data = body if isinstance(body, bytes) else None if body is None else json.dumps(body).encode()
    if data is None and method in ("POST", "PUT", "PATCH"):
        data = b""
    req = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            code, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        code, raw = e.code, e.read()
    try:
        return code, json.loads(raw) if raw else None
    except ValueError:
        return code, raw.decode(errors="replace")


def stop_process(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Terminate ``proc`` and everything in its process group; kill what lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(10)


class Server:
    """A ``jupyter_server`` subprocess with notebook_dag, on 127.0.0.1 and a free port,
    token-authenticated.

    ``db`` is a database URL, or the path of an SQLite file. ``users=True`` installs
    the test identity provider (:mod:`identity`), so each request names its user with
    ``X-Test-User`` like JupyterHub's users. ``args`` are more command-line options
    (``--gateway-url=...``)."""

    def __init__(self, root: Path, db: str | Path, *, args: list[str] = (), users: bool = False,
                 name: str = "server", token: str = "test-token", start_timeout: float = 90) -> None:
        self.root = Path(root)
        self.port, self.token = free_port(), token
        self.db_url = db if isinstance(db, str) else f"sqlite:///{db}"
        work = self.root.parent
        self.log_path = work / f"{name}-{self.port}.log"
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(work / "cfg"), JUPYTER_DATA_DIR=str(work / "data"),
                   JUPYTER_RUNTIME_DIR=str(work / f"runtime-{name}"))
        cmd = [sys.executable, "-m", "jupyter_server", f"--ServerApp.port={self.port}", "--ServerApp.ip=127.0.0.1",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
               "--ServerApp.open_browser=False", "--ServerApp.allow_root=True", f"--NotebookDagApp.db_url={self.db_url}",
               "--ServerApp.jpserver_extensions=notebook_dag=True", *args]
        if users:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS), env.get("PYTHONPATH")]))
            cmd.append("--ServerApp.identity_provider_class=identity.HeaderIdentityProvider")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.time() + start_timeout
        while True:
            try:
                if self.request("GET", "projects", timeout=5)[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise AssertionError(f"{name} did not start (exit {self.proc.returncode}):\n{tail(self.log_path)}")
            time.sleep(0.2)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: Any = None, user: str | None = None,
                headers: dict[str, str] | None = None, timeout: float = 30) -> tuple[int, Any]:
        """``(status, body)`` of a notebook_dag API call, as ``user`` when given."""
        h = {"Authorization": f"token {self.token}", **(headers or {})}
        if user is not None:
            h["X-Test-User"] = user
        return http(method, f"{self.url}/notebook-dag/api/{path}", body, h, timeout)

    def call(self, method: str, path: str, body: Any = None, user: str | None = None) -> Any:
        """The body of a successful call; fails the test on any error status."""
        code, data = self.request(method, path, body, user)
        assert code < 400, f"{method} {path} -> {code}: {data}"
        return data if data is not None else {}

    def wait(self, run_id: str, timeout: float = 60, user: str | None = None) -> dict:
        """The run once it is no longer queued or running."""
        deadline = time.time() + timeout
        while True:
            run = self.call("GET", f"runs/{run_id}", user=user)
            if run["status"] not in ("queued", "running"):
                return run
            assert time.time() < deadline, f"run {run_id} still {run['status']} after {timeout}s"
            time.sleep(0.1)

    def kill(self) -> None:
        """Die at once, as in a crash (SIGKILL)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)
        self._log.close()

    def stop(self) -> None:
        stop_process(self.proc)
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


@contextlib.contextmanager
def moto_process() -> Iterator[str]:
    """moto's server (S3 and STS) on 127.0.0.1 in a process of its own (its memory is
    not the test's or the Jupyter server's); yields ``http://127.0.0.1:<port>``."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if http("GET", f"{endpoint}/moto-api/data.json", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "moto did not start"
            time.sleep(0.2)
        yield endpoint
    finally:
        stop_process(proc)

