"""Real local servers for the dataset import tests: an HTTP file server on 127.0.0.1
(Range requests, a download that breaks off once, a slow one, 404, 401, a redirect, a
non-table file) and a stub of the Kaggle API that the official client (kagglesdk, as
used by kagglehub) calls when ``KAGGLE_API_ENVIRONMENT=TEST`` points it at
``http://localhost:7777``."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KAGGLE_PORT = 7777  # kagglesdk's KaggleEnv.TEST endpoint: http://localhost:7777
KAGGLE_USER, KAGGLE_KEY = "tester", "s3cret-key"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _serve(server: _Server) -> threading.Thread:
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    return t


class SourceServer:
    """``files``: path → bytes served with Range support. Special paths: ``/flaky/<name>``
    breaks the connection after half the body on its first request; ``/slow/<name>``
    sends 1 KiB every 0.1 s; ``/missing.csv`` 404, ``/secret.csv`` 401,
    ``/redirect/<name>`` 302 to ``/<name>``, ``/huge.csv`` claims 10 GB."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = dict(files)
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self.broken: set[str] = set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?", 1)[0]
                outer.requests.append((path, self.headers.get("Range")))
                if path == "/missing.csv":
                    return self._plain(404, b"not found")
                if path == "/secret.csv":
                    return self._plain(401, b"who are you?")
                if path == "/huge.csv":
                    self.send_response(200)
                    self.send_header("Content-Length", str(10 * 2**30))
                    self.end_headers()
                    self.wfile.write(b"a,b\n" * 1000)
                    return None
                if path.startswith("/redirect/"):
                    self.send_response(302)
                    self.send_header("Location", "/" + path[len("/redirect/"):])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                mode, name = "", path.lstrip("/")
                if "/" in name:
                    mode, name = name.split("/", 1)
                data = outer.files.get(name)
                if data is None:
                    return self._plain(404, b"no such file")
                start = 0
                rng = self.headers.get("Range")
                if rng and rng.startswith("bytes=") and rng.endswith("-"):
                    start = int(rng[6:-1])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                body = data[start:]
                if mode == "flaky" and name not in outer.broken:
                    outer.broken.add(name)
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                if mode == "slow":
                    try:
                        for i in range(0, len(body), 1024):
                            self.wfile.write(body[i: i + 1024])
                            self.wfile.flush()
                            time.sleep(0.1)
                    except OSError:  # the client went away (cancelled)
                        outer.requests.append((path, "client gone"))
                    return None
                self.wfile.write(body)
                return None

            def _plain(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = _serve(self.server)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class KaggleStub:
    """Speaks the part of Kaggle's API (``/api/v1/datasets.DatasetApiService/<Method>``,
    JSON over POST, HTTP basic auth with the user name and API key) that search and
    download use. ``datasets``: ``"owner/slug"`` → {file name: bytes}; files named
    ``*.zipped`` are sent zipped, as Kaggle does with large files."""

    def __init__(self, datasets: dict[str, dict[str, bytes]]) -> None:
        self.datasets = datasets
        self.calls: list[tuple[str, dict[str, Any]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                expected = "Basic " + base64.b64encode(f"{KAGGLE_USER}:{KAGGLE_KEY}".encode()).decode()
                return self.headers.get("Authorization") == expected

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                method = self.path.rsplit("/", 1)[-1]
                outer.calls.append((method, body))
                if not self.path.startswith("/api/v1/datasets.DatasetApiService/"):
                    return self._json(404, {"code": 404, "message": "no such service"})
                if not self._authorised():
                    return self._json(401, {"code": 401, "message": "Unauthenticated"})
                if method == "ListDatasets":
                    words = str(body.get("search", "")).lower().split()
                    found = [ref for ref in outer.datasets if all(w in ref.lower() for w in words)]
                    return self._json(200, {"datasets": [{
                        "ref": ref, "title": ref.split("/")[1].title(), "subtitle": f"{len(files)} file(s)",
                        "totalBytes": sum(len(b) for b in files.values()), "url": f"https://www.kaggle.com/datasets/{ref}",
                        "lastUpdated": "2026-11-01T10:00:00Z", "downloadCount": 42, "voteCount": 7,
                        "licenseName": "CC0-1.0"} for ref, files in ((r, outer.datasets[r]) for r in found)]})
                ref = f"{body.get('ownerSlug')}/{body.get('datasetSlug')}"
                files = outer.datasets.get(ref)
                if files is None:
                    return self._json(404, {"code": 404, "message": f"Dataset {ref} not found"})
                if method == "ListDatasetFiles":
                    return self._json(200, {"datasetFiles": [
                        {"name": n.removesuffix(".zipped"), "totalBytes": len(b)} for n, b in files.items()]})
                if method == "DownloadDataset":
                    name = body.get("fileName")
                    if name not in files and f"{name}.zipped" not in files:
                        return self._json(404, {"code": 404, "message": f"File {name} not found"})
                    self.send_response(302)
                    self.send_header("Location", f"/files/{ref}/{name}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                return self._json(404, {"code": 404, "message": f"unknown method {method}"})

            def do_GET(self) -> None:  # noqa: N802 - the storage URL a download redirects to
                parts = self.path.split("/")  # /files/owner/slug/name
                outer.calls.append(("GET", {"path": self.path}))
                files = outer.datasets.get(f"{parts[2]}/{parts[3]}", {}) if len(parts) >= 5 else {}
                name = "/".join(parts[4:])
                if name in files:
                    data, ctype = files[name], "text/csv"
                elif f"{name}.zipped" in files:
                    buf = io.BytesIO()
                    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                        z.writestr(name, files[f"{name}.zipped"])
                    data, ctype = buf.getvalue(), "application/zip"
                else:
                    return self._json(404, {"code": 404, "message": "gone"})
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return None

        self.server = _Server(("127.0.0.1", KAGGLE_PORT), Handler)
        self.thread = _serve(self.server)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
