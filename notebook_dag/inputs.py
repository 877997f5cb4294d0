"""Inputs outside the code: the files and local modules a notebook's blocks read, with
content hashes, so that a changed file or module makes exactly its readers stale.

Files are the ``<file:path>`` names of the inference (string-literal paths given to
``pd.read_*``, ``np.load*``, ``open(...)`` and the like) resolved against the notebook's
directory; local modules are the top-level modules a block imports that exist beside
the notebook as ``m.py`` or a package ``m/``. Hashes are SHA-256 of the content, cached
per ``(path, size, mtime_ns)``; a missing file hashes to ``"missing"``. Pure file-system
code, no kernel and no server: call it off the event loop.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping

#: files larger than this are versioned by size and modification time only (bytes)
HASH_LIMIT = 256 * 1024 * 1024
_CACHE: OrderedDict[tuple[str, int, int], str] = OrderedDict()
_CACHE_SIZE = 4096
_LOCK = threading.Lock()


def file_hash(path: str) -> str:
    """``sha256:<hex>`` of the file's content (``stat:<size>:<mtime_ns>`` above
    :data:`HASH_LIMIT`), ``"missing"`` when it does not exist or cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return "missing"
    if os.path.isdir(path):
        return f"dir:{st.st_mtime_ns}"
    key = (path, st.st_size, st.st_mtime_ns)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    if st.st_size > HASH_LIMIT:
        value = f"stat:{st.st_size}:{st.st_mtime_ns}"
    else:
        h = hashlib.sha256()
        try:
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        except OSError:
            return "missing"
        value = "sha256:" + h.hexdigest()
    with _LOCK:
        _CACHE[key] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return value


def module_files(directory: str, module: str) -> list[str]:
    """The source files of local module ``module`` beside the notebook (``m.py``, or
    every ``.py`` file of package ``m/``, sorted); [] when it is not local."""
    single = os.path.join(directory, module + ".py")
    if os.path.isfile(single):
        return [single]
    pkg = os.path.join(directory, module)
    if os.path.isfile(os.path.join(pkg, "__init__.py")):
        out = []
        for root, dirs, files in os.walk(pkg):
            dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__pycache__")))
            out.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(".py"))
        return out
    return []


def local_inputs(
    directory: str | None,
    effects: Mapping[str, Mapping[str, int]],
    imports: Mapping[str, Iterable[str]],
) -> tuple[dict[str, set[str]], dict[str, str]]:
    """``(extra_reads, world)`` for a notebook in OS directory ``directory``.

    ``effects``: block id → {name: flags} (the ``<file:path>`` names it reads);
    ``imports``: block id → top-level modules it imports. ``extra_reads`` maps a block to
    the ``<module:m>`` names of the local modules it imports; ``world`` maps every
    ``<file:path>`` and ``<module:m>`` name read to its content hash. Without a
    directory (a remote contents manager) both are empty.
    """
    if not directory:
        return {}, {}
    extra: dict[str, set[str]] = {}
    world: dict[str, str] = {}
    local: dict[str, list[str]] = {}
    for block, mods in imports.items():
        for m in mods:
            if m not in local:
                local[m] = module_files(directory, m)
            if local[m]:
                extra.setdefault(block, set()).add(f"<module:{m}>")
    for m, files in local.items():
        if files:
            h = hashlib.sha256()
            for f in files:
                h.update(os.path.relpath(f, directory).encode())
                h.update(file_hash(f).encode())
            world[f"<module:{m}>"] = "sha256:" + h.hexdigest()
    for flags in effects.values():
        for name in flags:
            if name.startswith("<file:") and name not in world:
                path = name[len("<file:"):-1]
                if "://" in path:
                    continue
                full = path if os.path.isabs(path) else os.path.join(directory, path)
                world[name] = file_hash(os.path.normpath(full))
    return extra, world


def _signature(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def watched_inputs(
    directory: str | None,
    effects: Mapping[str, Mapping[str, int]],
    imports: Mapping[str, Iterable[str]],
) -> tuple[tuple[str, tuple[int, int] | None], ...]:
    """``((OS path, (size, mtime_ns) or None), ...)`` of every file whose change would
    change :func:`local_inputs` for the same arguments: the files read, and for each
    imported module ``m`` its local candidates ``m.py``, ``m/`` and ``m/__init__.py``
    and the source files of a local package. :func:`inputs_unchanged` checks them again,
    so a cached result of :func:`local_inputs` is known valid without hashing anything.
    Empty without a directory."""
    if not directory:
        return ()
    paths: dict[str, None] = {}
    for m in sorted({m for mods in imports.values() for m in mods}):
        for candidate in (os.path.join(directory, m + ".py"), os.path.join(directory, m),
                          os.path.join(directory, m, "__init__.py")):
            paths[candidate] = None
        for f in module_files(directory, m):
            paths[f] = None
    for flags in effects.values():
        for name in flags:
            if name.startswith("<file:"):
                path = name[len("<file:"):-1]
                if "://" not in path:
                    paths[os.path.normpath(path if os.path.isabs(path) else os.path.join(directory, path))] = None
    return tuple((p, _signature(p)) for p in paths)


def inputs_unchanged(watched: Iterable[tuple[str, tuple[int, int] | None]]) -> bool:
    """Whether every file of :func:`watched_inputs` still has its signature."""
    return all(_signature(path) == sig for path, sig in watched)
