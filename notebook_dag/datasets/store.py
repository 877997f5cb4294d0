"""Dataset files: streamed uploads, content-addressed storage on local disk or object
storage, safe names, and paths under the server root.

Layout under ``datasets_dir`` with local storage (the default)::

    tmp/<server>/<random>.part        uploads in progress of one server (removed on any
                                      failure, and at that server's start)
    blobs/<sha[:2]>/<sha256>/<name>   one directory per distinct content; ``name`` is
                                      the sanitised upload name with the format's suffix
    reports/<sha256>.<format>.html    ydata-profiling reports

With object storage (``DatasetService.storage_url = "s3://bucket/prefix"``, any
fsspec URL) ``blobs/`` and ``reports/`` are the same keys under that prefix, and
``datasets_dir`` keeps ``tmp/`` and a read cache::

    cache/<sha[:2]>/<sha256><suffix>  local copies of blobs for previews, profiles and
                                      reports (verified against the hash, least recently
                                      used evicted beyond ``cache_bytes``)

A blob directory is named by the file's SHA-256, so identical content is stored once
and no upload can overwrite another's bytes; the user's name only ever becomes the last
path component after :func:`safe_filename`. A version's ``file_path`` is the blob's
location: an absolute OS path, or the object's URL (``s3://bucket/prefix/blobs/...``).
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import shutil
import time
import unicodedata
import uuid
from pathlib import Path
from typing import Any

from ..errors import BadRequest, Conflict, NotebookDagError, NotFound, PayloadTooLarge, Unavailable
from .objectstore import (
    DEFAULT_CACHE_BYTES, ContentMismatch, adopt, cache_path, cached_copy, is_url, local_path, no_such_bucket, open_fs,
    protocol, put, redact, short_error, storage_errors,
)

_UNSAFE = re.compile(r"[^A-Za-z0-9._\- ]+")
NAME_MAX = 255


def check_name(name: str | None, what: str = "name") -> str:
    """Validate a dataset name given by a user and return it stripped.

    Raises :class:`BadRequest` when it is empty, longer than 255 characters, holds a NUL
    byte or another control character, a path separator (``/`` or ``\\``), or is ``.``/``..``:
    a name is a label, never a path.
    """
    if name is None or not name.strip():
        raise BadRequest(f"{what} must be a non-empty string")
    name = name.strip()
    if len(name) > NAME_MAX:
        raise BadRequest(f"{what} must be at most {NAME_MAX} characters")
    if "\x00" in name or any(unicodedata.category(ch) == "Cc" for ch in name):
        raise BadRequest(f"{what} must not contain NUL bytes or control characters")
    if "/" in name or "\\" in name or name in (".", ".."):
        raise BadRequest(f"{what} must be a file name, not a path: {name!r}")
    return name


def safe_filename(name: str, suffix: str = "") -> str:
    """A file name made from ``name`` that is safe on every file system: the last path
    component only, ASCII letters, digits, ``.``, ``_``, ``-`` and spaces (anything else
    becomes ``_``), no leading dots, at most 120 characters, ending in ``suffix``."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].replace("\x00", "")
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    base = _UNSAFE.sub("_", base).strip(" .") or "data"
    stem, ext = os.path.splitext(base)
    if suffix and ext.lower() != suffix:
        stem = base
    stem = stem[: 120 - len(suffix)].strip(" .") or "data"
    return stem + (suffix or ext)


def api_to_os_path(root_dir: str, api_path: str) -> tuple[str, str]:
    """Resolve a contents-manager path (``/``-separated, relative to the server root) to
    ``(normalised api path, absolute OS path)``.

    Raises :class:`BadRequest` for an empty or absolute path, a NUL byte or another
    control character, or one that leaves the root (``../x``, or a symlink pointing
    outside it), and :class:`NotFound` when no regular file is there.
    """
    if not isinstance(api_path, str) or not api_path.strip():
        raise BadRequest("path must be a non-empty string")
    if any(unicodedata.category(ch) == "Cc" for ch in api_path):
        raise BadRequest("path must not contain NUL bytes or other control characters")
    raw = api_path.replace("\\", "/")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        raise BadRequest(f"path must be relative to the server root, got {api_path!r}")
    norm = posixpath.normpath(raw)
    if norm in (".", "..") or norm.startswith("../"):
        raise BadRequest(f"path {api_path!r} is outside the server root")
    root = os.path.realpath(root_dir)
    full = os.path.realpath(os.path.join(root, *norm.split("/")))
    if os.path.commonpath([root, full]) != root:
        raise BadRequest(f"path {api_path!r} leads outside the server root")
    if not os.path.isfile(full):
        raise NotFound(f"no file at {norm!r}")
    return norm, full


def sha256_file(path: str, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in ``chunk``-byte pieces (bounded memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


class UploadSink:
    """One upload being written to ``tmp/``: counts bytes against ``limit``, hashes them
    with SHA-256 as they arrive and keeps at most ``buffer`` bytes in memory.

    Use :meth:`feed` per received chunk (it returns True when the buffer should be
    flushed with :meth:`flush`, which callers run in a thread), then :meth:`finish`;
    :meth:`abort` removes the partial file and is safe to call more than once.
    """

    def __init__(self, tmp_dir: Path, limit: int, buffer: int = 1 << 20) -> None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        self.path = tmp_dir / f"{uuid.uuid4().hex}.part"
        self.limit = limit
        self.size = 0
        self.buffer_size = buffer
        self._chunks: list[bytes] = []
        self._buffered = 0
        self._hash = hashlib.sha256()
        self._file = open(self.path, "wb")  # noqa: SIM115 - closed in finish/abort
        self.closed = False

    def feed(self, chunk: bytes) -> bool:
        """Account for one chunk. Raises :class:`PayloadTooLarge` (after removing the
        partial file) once the total passes ``limit``."""
        self.size += len(chunk)
        if self.size > self.limit:
            self.abort()
            raise PayloadTooLarge(f"the upload is larger than the limit of {self.limit} bytes", limit=self.limit)
        self._chunks.append(chunk)
        self._buffered += len(chunk)
        return self._buffered >= self.buffer_size

    def flush(self) -> None:
        """Hash and write the buffered chunks (blocking; run it in a thread)."""
        chunks, self._chunks, self._buffered = self._chunks, [], 0
        for c in chunks:
            if self.closed:  # aborted meanwhile (client gone)
                return
            self._hash.update(c)
            try:
                self._file.write(c)
            except ValueError:  # closed by abort() in between
                return

    def finish(self) -> tuple[Path, int, str]:
        """Write what is left and close; returns ``(path, size in bytes, sha256 hex)``."""
        self.flush()
        self._file.close()
        self.closed = True
        return self.path, self.size, self._hash.hexdigest()

    def abort(self) -> None:
        """Close and delete the partial file."""
        self._chunks, self._buffered = [], 0
        if not self._file.closed:
            self._file.close()
        self.closed = True
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


class _GuardedReader:
    """A file object of the object store whose ``read`` failures raise :class:`Unavailable`."""

    def __init__(self, f: Any, files: DatasetFiles, location: str) -> None:
        self._f, self._files, self._location = f, files, location

    def read(self, size: int = -1) -> bytes:
        try:
            return self._f.read(size)
        except storage_errors() as e:
            raise self._files._unavailable(f"reading {redact(self._location)}", e) from None

    def close(self) -> None:
        try:
            self._f.close()
        except storage_errors():
            pass


#: partial uploads of other servers untouched this long are removed at start-up too
STALE_TMP_SECONDS = 24 * 3600.0


def server_dir(server_id: str) -> str:
    """The ``tmp/`` subdirectory name of a server (``RunService.server_id``): readable,
    safe on every file system, and distinct for distinct ids."""
    if not server_id:
        return "default"
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", server_id).strip("._")[:60] or "server"
    return f"{readable}-{hashlib.sha256(server_id.encode()).hexdigest()[:8]}"


class DatasetFiles:
    """Where dataset bytes live (see the module docstring).

    ``root`` is the local directory (``datasets_dir``). ``url``: empty (the default)
    keeps everything under ``root``; a ``file://`` URL or a plain path keeps everything in
    that directory instead; any other fsspec URL (``s3://bucket/prefix``) keeps blobs and
    reports there, opened with ``storage_options``, and ``root`` holds only partial
    uploads and the read cache (at most ``cache_bytes`` bytes, a soft limit).
    ``server_id`` names this server among servers sharing the directory: partial uploads
    live in ``tmp/<server>/`` and :meth:`clean_tmp` removes only its own.

    Methods touching storage are blocking (run them in a thread). Failures of the object
    store (unreachable endpoint, missing bucket, refused credentials) raise
    :class:`~notebook_dag.errors.Unavailable` (503); an object that is gone raises
    :class:`~notebook_dag.errors.NotFound`.
    """

    def __init__(self, root: str | os.PathLike[str], url: str = "", storage_options: dict[str, Any] | None = None,
                 server_id: str = "", cache_bytes: int | None = DEFAULT_CACHE_BYTES) -> None:
        url = (url or "").strip()
        self.remote = is_url(url)
        if url and not self.remote:
            root = local_path(url)
        self.url = url.rstrip("/") if self.remote else ""
        self.label = redact(self.url) if self.remote else str(Path(root).expanduser().resolve())
        self.storage_options = dict(storage_options or {})
        self.cache_bytes = cache_bytes
        self.root = Path(root).expanduser().resolve()
        self.tmp = self.root / "tmp" / server_dir(server_id)
        self.cache = self.root / "cache"
        self.blobs = self.root / "blobs"
        self.reports = self.root / "reports"
        self.tmp.mkdir(parents=True, exist_ok=True)
        for d in ((self.cache,) if self.remote else (self.blobs, self.reports)):
            d.mkdir(parents=True, exist_ok=True)
        self._fs: Any = None
        self._fs_root = ""
        #: why the object store could not be opened (None when it was, or is local)
        self.open_error: str | None = None
        if self.remote:
            try:
                self._fs, self._fs_root = open_fs(self.url, self.storage_options)
            except Exception as e:  # noqa: BLE001 - a configuration error: every storage call answers 503
                self.open_error = short_error(e)

    # ---- the object store ---------------------------------------------------------

    @property
    def fs(self) -> Any:
        """The fsspec filesystem of ``url``. Raises :class:`Unavailable` when it could not be
        opened (unknown protocol, implementation not installed, bad options)."""
        if self._fs is None:
            raise Unavailable(f"the dataset storage {self.label} cannot be opened: {self.open_error}",
                              storage=self.label)
        return self._fs

    def _object(self, location: str) -> tuple[Any, str]:
        """``(filesystem, path)`` of a location on object storage: this store's filesystem
        (and credentials) for its protocol, else one opened without options."""
        if self.remote and protocol(location) in self._protocols():
            fs = self.fs
            return fs, type(fs)._strip_protocol(location)
        try:
            return open_fs(location)
        except Exception as e:  # noqa: BLE001
            raise Unavailable(f"cannot open {redact(location)}: {short_error(e)}") from None

    def _protocols(self) -> tuple[str, ...]:
        if self._fs is None:
            return (protocol(self.url),)
        p = self._fs.protocol
        return tuple(p) if isinstance(p, (tuple, list)) else (p,)

    def _key(self, *parts: str) -> str:
        return "/".join((self._fs_root, *parts)) if self._fs_root else "/".join(parts)

    def _unavailable(self, what: str, e: BaseException) -> Unavailable:
        return Unavailable(f"the dataset storage {self.label} failed while {what}: {short_error(e)}",
                           storage=self.label)

    def _not_found(self, location: str, e: FileNotFoundError) -> NotebookDagError:
        """A read found nothing: the object is gone (404), unless its bucket is missing
        (503: a configuration problem, not a missing file)."""
        if no_such_bucket(e):
            bucket = self._object(location)[1].split("/", 1)[0]
            return Unavailable(f"the dataset storage {self.label} failed while reading {redact(location)}: "
                               f"the bucket {bucket!r} does not exist", storage=self.label)
        return missing_file(redact(location))

    # ---- uploads --------------------------------------------------------------------

    def new_upload(self, limit: int) -> UploadSink:
        """A sink for a new upload of at most ``limit`` bytes."""
        return UploadSink(self.tmp, limit)

    def blob_dir(self, sha256: str) -> Path:
        """The local blob directory of a content (local storage)."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.blobs / sha256[:2] / sha256

    def _blob_key(self, sha256: str) -> str:
        self.blob_dir(sha256)  # validates the digest
        return self._key("blobs", sha256[:2], sha256)

    def existing_blob(self, sha256: str) -> str | None:
        """The location of the stored file holding this content, if any."""
        if not self.remote:
            d = self.blob_dir(sha256)
            if d.is_dir():
                for p in sorted(d.iterdir()):
                    if p.is_file():
                        return str(p)
            return None
        fs, key = self.fs, self._blob_key(sha256)
        try:
            fs.invalidate_cache(key)
            names = sorted(fs.ls(key, detail=False))
        except FileNotFoundError as e:
            if no_such_bucket(e):
                raise self._unavailable("looking for stored content", e) from None
            return None
        except storage_errors() as e:
            raise self._unavailable("looking for stored content", e) from None
        return fs.unstrip_protocol(names[0]) if names else None

    def commit(self, tmp_path: Path, sha256: str, name: str, suffix: str) -> tuple[str, bool]:
        """Store a finished upload; returns ``(location, deduplicated)``. When the same
        content is stored already, the upload is dropped and the existing location
        returned (``deduplicated`` True). On object storage the file is uploaded and then
        kept in the read cache. Raises :class:`Unavailable` when the store fails (the
        upload stays at ``tmp_path`` for the caller to remove)."""
        existing = self.existing_blob(sha256)
        if existing is not None:
            tmp_path.unlink(missing_ok=True)
            return existing, True
        if not self.remote:
            d = self.blob_dir(sha256)
            d.mkdir(parents=True, exist_ok=True)
            target = d / safe_filename(name, suffix)
            os.replace(tmp_path, target)
            return str(target), False
        fs = self.fs
        key = f"{self._blob_key(sha256)}/{safe_filename(name, suffix)}"
        try:
            put(fs, tmp_path, key)
        except storage_errors() as e:
            raise self._unavailable("storing an upload", e) from None
        try:
            adopt(tmp_path, sha256, Path(key).suffix, self.cache)
        except OSError:  # the cache is an optimisation: the object is stored
            tmp_path.unlink(missing_ok=True)
        return fs.unstrip_protocol(key), False

    # ---- stored blobs -------------------------------------------------------------

    def is_blob(self, location: str | os.PathLike[str]) -> bool:
        """Whether ``location`` is a blob of this store (never a registered file)."""
        if self.remote and is_url(location):
            fs, path = self._object(str(location))
            return fs is self._fs and path.startswith(self._key("blobs") + "/")
        if is_url(location):
            return False
        return self.blobs in Path(location).resolve().parents

    def remove_blob(self, location: str | os.PathLike[str]) -> None:
        """Delete a stored blob (and its directory) and its cached copy; locations outside
        ``blobs/`` are ignored. Raises :class:`Unavailable` when the store fails."""
        if not self.is_blob(location):
            return
        if not is_url(location):
            shutil.rmtree(Path(location).resolve().parent, ignore_errors=True)
            return
        fs, path = self._object(str(location))
        folder = path.rsplit("/", 1)[0]
        sha = folder.rsplit("/", 1)[-1]
        if not re.fullmatch(r"[0-9a-f]{64}", sha) or folder != self._blob_key(sha):
            return  # not a blob directory of ours: never delete anything else
        try:
            fs.rm(folder, recursive=True)
        except FileNotFoundError:
            pass
        except storage_errors() as e:
            raise self._unavailable(f"deleting {redact(str(location))}", e) from None
        cache_path(self.cache, sha, Path(path).suffix).unlink(missing_ok=True)

    def exists(self, location: str, sha256: str | None = None) -> bool:
        """Whether the file at ``location`` is there (a cached copy counts for an object).
        Raises :class:`Unavailable` when the store cannot be asked or its bucket is missing."""
        if not is_url(location):
            return os.path.isfile(location)
        if sha256 and cache_path(self.cache, sha256, Path(location).suffix).is_file():
            return True
        fs, path = self._object(location)
        try:
            fs.info(path)
            return True
        except FileNotFoundError as e:
            err = self._not_found(location, e)
            if isinstance(err, Unavailable):
                raise err from None
            return False
        except storage_errors() as e:
            raise self._unavailable(f"reading {redact(location)}", e) from None

    def local_copy(self, location: str, sha256: str) -> str:
        """A local path holding the bytes of ``location``: itself for a local file, else a
        verified copy in the read cache (downloaded the first time). Raises
        :class:`NotFound` when the file or object is gone, :class:`Conflict` when an
        object's bytes no longer match ``sha256``, :class:`Unavailable` when the store fails."""
        if not is_url(location):
            if not os.path.isfile(location):
                raise missing_file(location)
            return location
        fs, path = self._object(location)
        try:
            return str(cached_copy(fs, path, sha256, self.cache, self.cache_bytes))
        except FileNotFoundError as e:
            raise self._not_found(location, e) from None
        except ContentMismatch as e:
            raise Conflict(str(e)) from None
        except storage_errors() as e:
            raise self._unavailable(f"reading {redact(location)}", e) from None

    # ---- reports --------------------------------------------------------------------

    def report_path(self, sha256: str, fmt: str) -> Path:
        """The local path of a report (local storage)."""
        self.blob_dir(sha256)  # validates the digest
        return self.reports / f"{sha256}.{fmt}.html"

    def report_location(self, sha256: str, fmt: str) -> str:
        """Where the report of ``(sha256, fmt)`` is stored: a local path or an object URL."""
        if not self.remote:
            return str(self.report_path(sha256, fmt))
        self.blob_dir(sha256)
        return self.fs.unstrip_protocol(self._key("reports", f"{sha256}.{fmt}.html"))

    def report_output(self, sha256: str, fmt: str) -> Path:
        """The local file the report process writes: the report itself on local storage,
        a file in this server's ``tmp/`` to be stored with :meth:`save_report` otherwise."""
        if not self.remote:
            return self.report_path(sha256, fmt)
        self.blob_dir(sha256)
        return self.tmp / f"report-{sha256}.{fmt}.html"

    def save_report(self, output: Path, sha256: str, fmt: str) -> str:
        """Store a report written at ``output`` (:meth:`report_output`); returns its
        location. Raises :class:`Unavailable` when the store fails."""
        location = self.report_location(sha256, fmt)
        if not self.remote:
            return location
        fs, path = self._object(location)
        try:
            put(fs, output, path)
        except storage_errors() as e:
            raise self._unavailable("storing a report", e) from None
        finally:
            output.unlink(missing_ok=True)
        return location

    def report_exists(self, sha256: str, fmt: str) -> bool:
        """Whether the report of ``(sha256, fmt)`` is stored. Raises :class:`Unavailable`."""
        return self.exists(self.report_location(sha256, fmt))

    def open_report(self, location: str) -> Any:
        """A binary file object reading a stored report (close it). Raises
        :class:`NotFound` when it is gone and :class:`Unavailable` when the store fails."""
        if not is_url(location):
            try:
                return open(location, "rb")  # noqa: SIM115 - the caller closes it
            except FileNotFoundError:
                raise NotFound("the report file is gone; POST to this URL to build it again") from None
        fs, path = self._object(location)
        try:
            return _GuardedReader(fs.open(path, "rb", block_size=1 << 20), self, location)
        except FileNotFoundError as e:
            err = self._not_found(location, e)
            if isinstance(err, NotFound):
                raise NotFound("the report file is gone; POST to this URL to build it again") from None
            raise err from None
        except storage_errors() as e:
            raise self._unavailable("reading a report", e) from None

    def remove_report(self, location: str) -> None:
        """Delete a stored report (a missing one is fine). Raises :class:`Unavailable`."""
        if not is_url(location):
            Path(location).unlink(missing_ok=True)
            return
        fs, path = self._object(location)
        try:
            fs.rm(path)
        except FileNotFoundError:
            pass
        except storage_errors() as e:
            raise self._unavailable("deleting a report", e) from None

    # ---- start-up -------------------------------------------------------------------

    def clean_tmp(self, stale_after: float = STALE_TMP_SECONDS) -> int:
        """Remove this server's leftover partial uploads and report outputs, and those of
        other servers (or of versions before per-server directories) untouched for
        ``stale_after`` seconds: another live server's upload in progress is never
        touched. Returns how many files were removed."""
        n = 0
        for p in self.tmp.iterdir():
            if p.is_file():
                p.unlink(missing_ok=True)
                n += 1
        cutoff = time.time() - stale_after
        tmp_root = self.tmp.parent
        for p in [*tmp_root.glob("*.part"), *tmp_root.glob("*/*")]:
            if p.parent == self.tmp:
                continue
            try:
                if p.is_file() and p.stat().st_mtime < cutoff:
                    p.unlink()
                    n += 1
            except OSError:
                pass
        return n


def check_size(content_length: str | None, limit: int) -> int | None:
    """The declared body size, or None when absent. Raises :class:`PayloadTooLarge` when
    it is over ``limit`` and :class:`BadRequest` when it is not a number."""
    if content_length is None:
        return None
    try:
        size = int(content_length)
    except ValueError:
        raise BadRequest(f"invalid Content-Length {content_length!r}") from None
    if size > limit:
        raise PayloadTooLarge(f"the upload ({size} bytes) is larger than the limit of {limit} bytes", limit=limit)
    return size


def missing_file(path: str) -> NotFound:
    return NotFound(f"the file of this dataset version is gone: {path}")
