"""Dataset files on disk: streamed uploads, content-addressed storage, safe names, and
paths under the server root.

Layout under ``datasets_dir``::

    tmp/<random>.part                 uploads in progress (removed on any failure,
                                      and all of them at server start)
    blobs/<sha[:2]>/<sha256>/<name>   one directory per distinct content; ``name`` is
                                      the sanitised upload name with the format's suffix
    reports/<sha256>.<format>.html    ydata-profiling reports

A blob directory is named by the file's SHA-256, so identical content is stored once
and no upload can overwrite another's bytes; the user's name only ever becomes the last
path component after :func:`safe_filename`.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import shutil
import unicodedata
import uuid
from pathlib import Path

from ..errors import BadRequest, NotFound, PayloadTooLarge

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

    Raises :class:`BadRequest` for an empty or absolute path, a NUL byte, or one that
    leaves the root (``../x``, or a symlink pointing outside it), and :class:`NotFound`
    when no regular file is there.
    """
    if not isinstance(api_path, str) or not api_path.strip():
        raise BadRequest("path must be a non-empty string")
    if "\x00" in api_path:
        raise BadRequest("path must not contain NUL bytes")
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


class DatasetFiles:
    """The ``datasets_dir`` tree (see the module docstring)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().resolve()
        self.tmp = self.root / "tmp"
        self.blobs = self.root / "blobs"
        self.reports = self.root / "reports"
        for d in (self.tmp, self.blobs, self.reports):
            d.mkdir(parents=True, exist_ok=True)

    def new_upload(self, limit: int) -> UploadSink:
        """A sink for a new upload of at most ``limit`` bytes."""
        return UploadSink(self.tmp, limit)

    def blob_dir(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.blobs / sha256[:2] / sha256

    def existing_blob(self, sha256: str) -> Path | None:
        """The stored file holding this content, if any."""
        d = self.blob_dir(sha256)
        if d.is_dir():
            for p in sorted(d.iterdir()):
                if p.is_file():
                    return p
        return None

    def commit(self, tmp_path: Path, sha256: str, name: str, suffix: str) -> tuple[Path, bool]:
        """Move a finished upload into ``blobs/``; returns ``(stored path, deduplicated)``.
        When the same content is stored already, the upload is deleted and the existing
        file returned (``deduplicated`` True)."""
        existing = self.existing_blob(sha256)
        if existing is not None:
            tmp_path.unlink(missing_ok=True)
            return existing, True
        d = self.blob_dir(sha256)
        d.mkdir(parents=True, exist_ok=True)
        target = d / safe_filename(name, suffix)
        os.replace(tmp_path, target)
        return target, False

    def is_blob(self, path: str | os.PathLike[str]) -> bool:
        p = Path(path).resolve()
        return self.blobs in p.parents

    def remove_blob(self, path: str | os.PathLike[str]) -> None:
        """Delete a stored blob (and its directory); paths outside ``blobs/`` are ignored."""
        if not self.is_blob(path):
            return
        shutil.rmtree(Path(path).resolve().parent, ignore_errors=True)

    def report_path(self, sha256: str, fmt: str) -> Path:
        self.blob_dir(sha256)  # validates the digest
        return self.reports / f"{sha256}.{fmt}.html"

    def clean_tmp(self) -> int:
        """Remove every leftover partial upload; returns how many were removed."""
        n = 0
        for p in self.tmp.glob("*.part"):
            p.unlink(missing_ok=True)
            n += 1
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
