"""Dataset bytes on object storage through fsspec: ``s3://bucket/prefix`` (s3fs), or any
other fsspec URL whose filesystem can list, put, open and remove files.

Shared by the server (:class:`~notebook_dag.datasets.store.DatasetFiles`) and by
``notebook_dag.load()`` in kernels (:mod:`notebook_dag.kernel_api`):

- :func:`is_url` tells a stored location on object storage (``s3://...``) from a local
  path (an absolute OS path, or a ``file://`` URL);
- :func:`open_fs` opens the filesystem of a URL with the configured options;
- :func:`put` streams a local file up in bounded memory;
- :func:`cached_copy` brings an object into a local cache directory where it is named
  by its SHA-256 (``<cache>/<sha[:2]>/<sha256><suffix>``), verifying the hash on the way,
  so each content is downloaded once per machine and never read stale (content never
  changes under a hash); :func:`evict` keeps that cache under a size limit.

Everything is synchronous and blocks on the network: the server calls it in threads.
Nothing here imports fsspec until a function needs it.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

#: bytes read or written per request when streaming an object
CHUNK = 8 << 20
#: s3fs multipart uploads: part size and parts in flight (memory ≈ their product)
UPLOAD_PART = 8 << 20
UPLOAD_CONCURRENCY = 2
#: default size limit of the local read cache, in bytes (a soft limit: see :func:`evict`)
DEFAULT_CACHE_BYTES = 10 << 30
#: cached files used within this many seconds are never evicted (a reader may be opening them)
EVICT_GRACE_SECONDS = 600.0

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_LOCAL_SCHEMES = {"file", "local"}


class ContentMismatch(OSError):
    """An object's bytes do not have the SHA-256 recorded for them (changed or corrupt)."""


def protocol(url: str) -> str:
    """The lower-case scheme of ``url`` (``"s3"``), or ``""`` for a plain path."""
    m = _SCHEME.match(url or "")
    return m.group(1).lower() if m else ""


def is_url(location: str | os.PathLike[str] | None) -> bool:
    """Whether a stored location names an object on a non-local filesystem
    (``s3://bucket/key``); False for OS paths and ``file://`` URLs."""
    if not isinstance(location, str):
        return False
    scheme = protocol(location)
    return bool(scheme) and scheme not in _LOCAL_SCHEMES


def local_path(url: str) -> str:
    """The OS path of a ``file://`` URL (``file:///srv/x`` → ``/srv/x``) or of a plain path."""
    if protocol(url) in _LOCAL_SCHEMES:
        return url.split("://", 1)[1] or "/"
    return url


def redact(url: str) -> str:
    """``url`` without any ``user:password@`` part, for messages and logs."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.\-]*://)[^/@]*@", r"\1", url or "")


def open_fs(url: str, options: dict[str, Any] | None = None) -> tuple[Any, str]:
    """``(fsspec filesystem, path inside it)`` of ``url`` with ``options`` passed to the
    filesystem (for s3fs: ``endpoint_url``, ``key``, ``secret``, ``client_kwargs``,
    ``config_kwargs`` ...). Listing caches are turned off unless ``options`` says
    otherwise: other servers add and remove objects under the same prefix.

    Raises ``ValueError`` for an unknown protocol and ``ImportError`` when its fsspec
    implementation is not installed (``s3fs`` for ``s3://``)."""
    import fsspec

    opts = dict(options or {})
    opts.setdefault("use_listings_cache", False)
    fs, path = fsspec.core.url_to_fs(url, **opts)
    return fs, path.rstrip("/")


def storage_errors() -> tuple[type[BaseException], ...]:
    """The exception classes that mean "the store failed or refused" rather than a bug:
    ``OSError`` (s3fs turns S3 errors into ``FileNotFoundError``/``PermissionError``/
    ``OSError``), timeouts, and botocore's and aiohttp's own errors (unreachable endpoint,
    missing credentials, an invalid bucket name) when those libraries are installed."""
    errors: list[type[BaseException]] = [OSError, TimeoutError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        errors += [BotoCoreError, ClientError]
    except ImportError:  # pragma: no cover - no s3fs
        pass
    try:
        import aiohttp

        errors.append(aiohttp.ClientError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


def no_such_bucket(e: BaseException | None) -> bool:
    """Whether ``e`` (or an error it was raised from) is S3's ``NoSuchBucket``: s3fs
    raises ``FileNotFoundError`` alike for a missing object and a missing bucket, the
    latter from botocore's ``ClientError``."""
    seen = 0
    while e is not None and seen < 10:
        response = getattr(e, "response", None)
        if isinstance(response, dict) and response.get("Error", {}).get("Code") == "NoSuchBucket":
            return True
        e, seen = e.__cause__ or e.__context__, seen + 1
    return False


def short_error(e: BaseException) -> str:
    """A one-line description of a storage error (no credentials are ever in them)."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    text = f"{type(e).__name__}: {text}" if text else type(e).__name__
    return text if len(text) <= 300 else text[:300] + "..."


def put(fs: Any, local: str | os.PathLike[str], path: str) -> None:
    """Upload the local file to ``path`` on ``fs``, in bounded memory: s3fs gets
    :data:`UPLOAD_PART`-byte parts, :data:`UPLOAD_CONCURRENCY` at a time (the object
    appears whole when the multipart upload completes); other filesystems are written
    through a file opened for writing, :data:`CHUNK` bytes at a time."""
    protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    if "s3" in protocols:
        fs.put_file(os.fspath(local), path, chunksize=UPLOAD_PART, max_concurrency=UPLOAD_CONCURRENCY)
        return
    with open(local, "rb") as src, fs.open(path, "wb") as dst:
        while block := src.read(CHUNK):
            dst.write(block)


def cache_path(cache_dir: str | os.PathLike[str], sha256: str, suffix: str = "") -> Path:
    """Where the content with this SHA-256 lives in the cache."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return Path(cache_dir) / sha256[:2] / f"{sha256}{suffix}"


_locks_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


def _lock_for(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def fetch(fs: Any, path: str, sha256: str, dest: Path) -> Path:
    """Download ``path`` to ``dest`` (atomically: a ``.part`` file renamed at the end),
    checking its SHA-256 on the way. Raises ``FileNotFoundError`` when there is no such
    object, :class:`ContentMismatch` when its bytes do not hash to ``sha256``, and the
    filesystem's own errors (see :func:`storage_errors`)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.part")
    h = hashlib.sha256()
    try:
        with fs.open(path, "rb", block_size=CHUNK) as src, open(part, "wb") as out:
            while block := src.read(CHUNK):
                h.update(block)
                out.write(block)
        if h.hexdigest() != sha256:
            raise ContentMismatch(f"{fs.unstrip_protocol(path)} does not hold the bytes recorded for it "
                                  f"(SHA-256 {h.hexdigest()[:12]}…, expected {sha256[:12]}…)")
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    return dest


def cached_copy(fs: Any, path: str, sha256: str, cache_dir: str | os.PathLike[str],
                max_bytes: int | None = DEFAULT_CACHE_BYTES) -> Path:
    """A local file with the content of object ``path`` (whose SHA-256 is ``sha256``):
    the cached copy when there is one (its time is refreshed: the cache is
    least-recently-used), else a verified download (:func:`fetch`), after which the
    cache is trimmed to ``max_bytes`` (None: no limit). Concurrent calls for the same
    content in one process download it once; across processes the rename is atomic.
    Raises what :func:`fetch` raises."""
    dest = cache_path(cache_dir, sha256, Path(path).suffix)
    with _lock_for(str(dest)):
        if dest.is_file():
            touch(dest)
            return dest
        fetch(fs, path, sha256, dest)
    if max_bytes is not None:
        evict(cache_dir, max_bytes, keep={dest})
    return dest


def adopt(local: str | os.PathLike[str], sha256: str, suffix: str, cache_dir: str | os.PathLike[str]) -> Path:
    """Move a local file whose SHA-256 is known (a finished upload) into the cache, so the
    profile that follows an upload reads it without downloading it again. Must be on the
    cache's filesystem (``os.replace``)."""
    dest = cache_path(cache_dir, sha256, suffix)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with _lock_for(str(dest)):
        if dest.is_file():
            Path(local).unlink(missing_ok=True)
            touch(dest)
        else:
            os.replace(local, dest)
    return dest


def touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:  # evicted (or read-only) meanwhile: nothing to refresh
        pass


def evict(cache_dir: str | os.PathLike[str], max_bytes: int, keep: set[Path] | frozenset[Path] = frozenset(),
          grace: float = EVICT_GRACE_SECONDS) -> int:
    """Delete the least recently used cached files until the cache holds at most
    ``max_bytes`` bytes; files in ``keep`` and files used within ``grace`` seconds stay
    (so the limit is soft while they are over it). Returns the bytes freed."""
    root = Path(cache_dir)
    entries: list[tuple[float, int, Path]] = []
    total = 0
    for p in root.glob("*/*"):
        if p.name.startswith("."):  # a download in progress
            continue
        try:
            st = p.stat()
        except OSError:
            continue
        total += st.st_size
        entries.append((st.st_mtime, st.st_size, p))
    freed = 0
    now = time.time()
    for mtime, size, p in sorted(entries):
        if total - freed <= max_bytes:
            break
        if p in keep or now - mtime < grace:
            continue
        try:
            p.unlink()
            freed += size
        except OSError:
            pass
    return freed
