"""Kernel-side half of the handover between kernels.

This file is *not* imported by the server: its source is sent to every kernel a
parallel run uses and executed there as the module ``_notebook_dag_handover`` (in
``sys.modules`` only, so the user's namespace gains no name). The server calls it with
one-line snippets executed ``silent=True, store_history=False``; results come back as a
JSON string in ``LAST``, read through the request's ``user_expressions``.

Values travel as files in a private directory on the shared filesystem, or, for
kernels that share no filesystem with the server (a gateway's), as objects in an fsspec
store set up per run by :func:`use_store` (named after the SHA-256 of their bytes): one
per export, a cloudpickle (pickle protocol 5) of ``{name: value}``, so values exported
together keep their shared references. Functions and classes defined in the notebook
are pickled by value; :class:`_Unpickler` rebinds such functions to the consuming
kernel's ``__main__`` namespace (instead of cloudpickle's private copy of their
globals) so that they see the globals handed over later, as they would in one kernel.

Needs ``cloudpickle`` in the kernel's environment.
"""

import io
import json
import os
import pickle
import sys
import time

NAME = "_notebook_dag_handover"
VERSION = 1
PROTOCOL = 5
#: Objects from these packages belong to their process (pyplot keeps every figure in a
#: per-process registry and shows it at the end of the cell), so they never move.
PROCESS_BOUND = ("matplotlib", "seaborn")
LAST = ""
#: the run's object store (see :func:`use_store`): ``{"fs", "prefix"}``, or None (local files)
_STORE = None
#: per protocol, what a new filesystem of every run reuses (s3: the aiobotocore session,
#: whose loaded service models make a new client cheap: 30-50 ms instead of 100-300 ms)
_SESSIONS = getattr(sys.modules.get(NAME), "_SESSIONS", None) or {}  # kept when the helper is installed again

try:
    import cloudpickle
except ImportError:  # reported by init()
    cloudpickle = None


def _shell():
    from IPython import get_ipython

    return get_ipython()


def _ns():
    return _shell().user_ns


def _done(**result):
    global LAST
    LAST = json.dumps(result)


def init(directory, worker):
    """Check the kernel can use ``directory`` and cloudpickle; on workers, stop the
    IPython history database (workers reuse execution counts across runs)."""
    shell = _shell()
    problems = []
    if cloudpickle is None:
        problems.append("cloudpickle is not installed in the kernel's environment")
    if directory and not os.path.isdir(directory):
        problems.append(f"the kernel cannot see the handover directory {directory}")
    if worker and shell.history_manager is not None:
        shell.history_manager.enabled = False
    _done(count=shell.execution_count, pid=os.getpid(), problems=problems, python=sys.version.split()[0])


def use_store(spec):
    """Hand values over through the fsspec store ``spec`` (``{"protocol", "prefix",
    "options"}``, the options holding the run's short-lived credentials) from now on, or
    through local files again when ``spec`` is None (the credentials are forgotten).
    Checks the store by writing, reading and deleting a probe object under the prefix.
    ``LAST``: ``{"problems"}`` (empty: the store works; else it is not used)."""
    global _STORE
    _STORE = None
    if spec is None:
        _done(problems=[])
        return
    problems = []
    try:
        import fsspec

        options = {"skip_instance_cache": True, **spec.get("options", {})}
        if spec["protocol"] in ("s3", "s3a") and "session" not in options:
            try:
                from aiobotocore.session import AioSession

                options["session"] = _SESSIONS.setdefault("s3", AioSession())
            except ImportError:  # s3fs's own error below says what is missing
                pass
        fs = fsspec.filesystem(spec["protocol"], **options)
        probe = f"{spec['prefix']}/probe-{os.getpid()}-{time.monotonic_ns()}"
        fs.pipe_file(probe, b"notebook_dag")
        if fs.cat_file(probe) != b"notebook_dag":
            problems.append("the handover store did not give back what was written")
        fs.rm(probe)
    except Exception as e:  # noqa: BLE001 - a missing filesystem package, refused connections, access denied
        problems.append(f"{type(e).__name__}: {e}"[:400])
    if not problems:
        _STORE = {"fs": fs, "prefix": spec["prefix"]}
    _done(problems=problems)


def _open(path):
    """A binary file object of the handover ``path`` (a local file or an object of the store)."""
    if _STORE is not None and "://" in path:
        return io.BytesIO(_STORE["fs"].cat_file(path))
    return open(path, "rb")


def _process_bound(value, depth=0):
    mod = type(value).__module__ or ""
    if mod.partition(".")[0] in PROCESS_BOUND:
        return f"{type(value).__name__} objects belong to their kernel's pyplot state"
    if depth < 2:
        items = ()
        if isinstance(value, (list, tuple)):
            items = value[:20]
        elif isinstance(value, dict):
            items = list(value.values())[:20]
        elif type(value).__name__ == "ndarray" and getattr(value, "dtype", None) is not None and value.dtype.kind == "O":
            items = value.ravel()[:20]
        for item in items:
            why = _process_bound(item, depth + 1)
            if why:
                return why
    return None


_SHARED_LIMIT = 3000  # objects visited per value when looking for shared objects


def _reachable(value):
    """Ids of the mutable objects reachable from ``value`` through containers and
    instance ``__dict__``\ s (depth 4, at most ``_SHARED_LIMIT`` objects; arrays and
    pandas objects are not entered)."""
    import types

    atoms = (int, float, complex, str, bytes, bool, type(None), range, type, types.ModuleType, types.FunctionType,
             types.BuiltinFunctionType, types.MethodType)
    seen = set()
    stack = [(value, 0)]
    while stack and len(seen) < _SHARED_LIMIT:
        obj, depth = stack.pop()
        if isinstance(obj, atoms):
            continue
        if not isinstance(obj, (tuple, frozenset)):
            if id(obj) in seen:
                continue
            seen.add(id(obj))
        if depth >= 4:
            continue
        mod = (type(obj).__module__ or "").partition(".")[0]
        if mod in ("numpy", "pandas", "pyarrow", "scipy", "torch") or mod in PROCESS_BOUND:
            continue
        if isinstance(obj, dict):
            children = list(obj.values())[:200]
        elif isinstance(obj, (list, tuple, set, frozenset)):
            children = list(obj)[:200]
        else:
            d = getattr(obj, "__dict__", None)
            children = list(d.values())[:200] if isinstance(d, dict) else []
        stack.extend((c, depth + 1) for c in children)
    return seen


def _linked(ns, names, candidates):
    """The names of ``candidates`` whose values share a mutable object with the values
    of ``names`` (``reg = model.regression`` links ``model`` to ``reg``)."""
    shared = set()
    for n in names:
        if n in ns:
            shared |= _reachable(ns[n])
    if not shared:
        return []
    return [c for c in candidates if c in ns and c not in names and _reachable(ns[c]) & shared]


class _Null:
    """A file that forgets what is written (to find which value cannot be pickled)."""

    def write(self, data):
        return len(data)


def _dump(values, path):
    """Write ``values`` to ``path``, or with a store, to the object named after the
    SHA-256 of the pickle; returns ``(where, bytes)``."""
    if _STORE is not None:
        import hashlib

        data = cloudpickle.dumps(values, protocol=PROTOCOL)
        where = f"{_STORE['prefix']}/{hashlib.sha256(data).hexdigest()}"
        _STORE["fs"].pipe_file(where, data)
        return where, len(data)
    tmp = path + ".part"
    try:
        with open(tmp, "wb") as f:
            cloudpickle.dump(values, f, protocol=PROTOCOL)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path, os.path.getsize(path)


def export(names, path, probe=(), link=(), link_from=None):
    """Pickle the user's ``names`` into ``path``. ``LAST``: ``{"ok", "missing",
    "failed": {name: reason}, "bytes", "seconds", "absent", "linked"}``; names that
    cannot be pickled are left out (and the rest still written); ``absent`` lists the
    names of ``probe`` that do not exist; ``linked`` the names of ``link`` that share an
    object with ``link_from`` (default: ``names``) and were therefore exported with
    them (same pickle, so the sharing survives); ``path``: where they were written (with
    a store, the object named after their content)."""
    t0 = time.perf_counter()
    ns = _ns()
    absent = [n for n in probe if n not in ns]
    linked = _linked(ns, names if link_from is None else link_from, link) if link else []
    names = list(names) + linked
    values, missing, failed = {}, [], {}
    if not names:
        _done(ok=[], missing=[], failed={}, bytes=0, seconds=0.0, absent=absent, linked=[], path=path)
        return
    for n in names:
        if n not in ns:
            missing.append(n)
            continue
        why = _process_bound(ns[n])
        if why:
            failed[n] = why
        else:
            values[n] = ns[n]
    where, size = path, 0
    try:
        where, size = _dump(values, path)
    except Exception:
        for n in list(values):
            try:
                cloudpickle.dump(values[n], _Null(), protocol=PROTOCOL)
            except Exception as e:  # noqa: BLE001 - any pickling error is a reason to keep it here
                failed[n] = f"{type(e).__name__}: {e}"[:300]
                del values[n]
        try:
            where, size = _dump(values, path)
        except Exception as e:  # noqa: BLE001 - values that pickle alone but not together
            failed.update({n: f"{type(e).__name__}: {e}"[:300] for n in values})
            values = {}
    size = size if values else 0
    _done(ok=sorted(values), missing=missing, failed=failed, bytes=size, seconds=time.perf_counter() - t0, absent=absent,
          linked=linked, path=where)


class _Unpickler(pickle.Unpickler):
    """Unpickles cloudpickle files, binding functions that were defined in ``__main__``
    to this kernel's user namespace. Their captured globals only fill names the
    namespace does not have yet (handed-over values are assigned afterwards)."""

    def find_class(self, module, name):
        if module.startswith("cloudpickle") and name == "_make_function":
            return _make_function
        if module.startswith("cloudpickle") and name == "_function_setstate":
            return _function_setstate
        return super().find_class(module, name)


def _make_function(code, globals, name, argdefs, closure):
    import types

    if globals.get("__name__") == "__main__":
        globals = _ns()
    else:
        globals["__builtins__"] = __builtins__
    return types.FunctionType(code, globals, name, argdefs, closure)


def _function_setstate(obj, state):
    state, slotstate = state
    obj.__dict__.update(state)
    obj_globals = slotstate.pop("__globals__")
    obj_closure = slotstate.pop("__closure__")
    slotstate.pop("_cloudpickle_submodules", None)
    if obj.__globals__ is _ns():
        for k, v in obj_globals.items():
            obj.__globals__.setdefault(k, v)
    else:
        obj.__globals__.update(obj_globals)
        obj.__globals__["__builtins__"] = __builtins__
    if obj_closure is not None:
        for i, cell in enumerate(obj_closure):
            try:
                value = cell.cell_contents
            except ValueError:  # empty cell
                continue
            obj.__closure__[i].cell_contents = value
    for k, v in slotstate.items():
        setattr(obj, k, v)


#: Environment variables that belong to one kernel process (set by Jupyter per kernel).
_PER_PROCESS = ("JPY_",)


def _get_filters():
    """``warnings.filters`` as ``[action, message, category module, category name,
    module, lineno]`` lists (JSON-able, and unpickled without importing anything)."""
    import warnings

    out = []
    for action, msg, cat, mod, lineno in warnings.filters:
        out.append([action, getattr(msg, "pattern", msg), cat.__module__, cat.__qualname__, getattr(mod, "pattern", mod), lineno])
    return out


def _set_filters(state_filters):
    """Make ``warnings.filters`` equal to ``state_filters`` (see :func:`_get_filters`);
    filters of warning classes this kernel cannot import are left out."""
    import importlib
    import warnings

    filters = []
    for action, msg, cat_mod, cat_name, mod, lineno in state_filters:
        try:
            cat = importlib.import_module(cat_mod)
            for part in cat_name.split("."):
                cat = getattr(cat, part)
        except Exception:  # noqa: BLE001 - a warning class this kernel cannot import
            continue
        filters.append((action, msg, cat, mod, lineno))
    warnings.resetwarnings()
    for action, msg, cat, mod, lineno in reversed(filters):
        warnings.filterwarnings(action, msg or "", cat, mod or "", lineno)


def process_state():
    """``LAST``: the process state a worker must share with this kernel: ``cwd``,
    ``env``, ``path`` (``sys.path``) and ``filters`` (``warnings.filters`` as
    ``[action, message, category module, category name, module, lineno]``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_PER_PROCESS)}
    _done(cwd=os.getcwd(), env=env, path=list(sys.path), filters=_get_filters())


def _apply_state(state):
    if os.getcwd() != state["cwd"]:
        os.chdir(state["cwd"])
    env = state["env"]
    for k in list(os.environ):
        if k not in env and not k.startswith(_PER_PROCESS):
            del os.environ[k]
    for k, v in env.items():
        if os.environ.get(k) != v:
            os.environ[k] = v
    sys.path[:] = state["path"]
    if "filters" in state:  # else library configuration snapshots carry them
        _set_filters(state["filters"])


# -- library configuration -------------------------------------------------------------
# A snapshot is ``{"libs": {lib: config}, "nondefault": [lib, ...], "filters": [...]}``
# for the libraries of CONFIG_LIBS that this kernel has imported (none is imported to
# take it). Each library has a getter, a setter and its import-time defaults.

#: numpy's documented defaults (``np.set_printoptions`` / ``np.seterr``).
_NUMPY_PRINT = {"edgeitems": 3, "threshold": 1000, "floatmode": "maxprec", "precision": 8, "suppress": False,
                "linewidth": 75, "nanstr": "nan", "infstr": "inf", "sign": "-", "formatter": None, "legacy": False,
                "override_repr": None}
_NUMPY_ERR = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}


def _pandas_registered():
    cf = sys.modules["pandas._config.config"]
    deprecated = getattr(cf, "_deprecated_options", {})
    return {k: o for k, o in cf._registered_options.items() if k not in deprecated}


def _pandas_get(pd):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {k: pd.get_option(k) for k in _pandas_registered()}


def _pandas_defaults(pd):
    return {k: o.defval for k, o in _pandas_registered().items()}


def _pandas_set(pd, config):
    import warnings

    known = _pandas_registered()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k, v in config.items():
            if k in known and not _same(pd.get_option(k), v):
                pd.set_option(k, v)


def _numpy_get(np):
    return {"print": np.get_printoptions(), "err": np.geterr()}


def _numpy_defaults(np):
    current = np.get_printoptions()
    return {"print": {k: _NUMPY_PRINT.get(k) for k in current}, "err": dict(_NUMPY_ERR)}


def _numpy_set(np, config):
    opts = {k: v for k, v in config["print"].items() if v is not None or k == "formatter"}
    np.set_printoptions(**opts)
    np.seterr(**config["err"])


def _sklearn_get(sklearn):
    return dict(sklearn.get_config())


def _sklearn_defaults(sklearn):
    # set_config changes a thread-local copy; the module-level dict keeps the import-time values
    return dict(sys.modules["sklearn._config"]._global_config)


def _sklearn_set(sklearn, config):
    import inspect

    current = sklearn.get_config()
    params = inspect.signature(sklearn.set_config).parameters
    changed = {k: v for k, v in config.items() if k in params and not _same(current.get(k), v)}
    if changed:
        sklearn.set_config(**changed)


def _same(a, b):
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # noqa: BLE001 - values that do not compare: set again
        return False


#: library -> (get, set, defaults); each takes the module (and the config to set).
CONFIG_LIBS = {
    "pandas": (_pandas_get, _pandas_set, _pandas_defaults),
    "numpy": (_numpy_get, _numpy_set, _numpy_defaults),
    "sklearn": (_sklearn_get, _sklearn_set, _sklearn_defaults),
}


def _imported(lib):
    mod = sys.modules.get(lib)
    # a module still being imported (another thread, or a failed import) does not count
    spec = getattr(mod, "__spec__", None)
    return mod if mod is not None and not getattr(spec, "_initializing", False) else None


def reset_config(libs):
    """Give the libraries ``libs`` (names of :data:`CONFIG_LIBS`) that this kernel has
    imported their import-time configuration again, as a fresh process has it. Raises
    what a library's setter raises."""
    for lib in libs:
        mod = _imported(lib)
        if mod is not None:
            _, set_, defaults = CONFIG_LIBS[lib]
            set_(mod, defaults(mod))


def config_snapshot(path):
    """Write the configuration of the libraries this kernel has imported (pandas:
    every registered option; numpy: print options and floating-point error handling;
    sklearn: ``get_config()``; warning filters) to ``path`` (cloudpickle, so callables
    such as ``display.float_format`` travel). ``LAST``: ``{"libs", "nondefault",
    "problems", "bytes", "path"}`` (``path``: where it was written); ``problems`` lists what could not be read or pickled
    (then nothing is written)."""
    snap = {"libs": {}, "nondefault": [], "filters": _get_filters()}
    problems = []
    for lib, (get, _, defaults) in CONFIG_LIBS.items():
        mod = _imported(lib)
        if mod is None:
            continue
        try:
            config = get(mod)
        except Exception as e:  # noqa: BLE001
            problems.append(f"{lib}: {type(e).__name__}: {e}"[:300])
            continue
        snap["libs"][lib] = config
        try:
            default = defaults(mod)
        except Exception:  # noqa: BLE001 - unknown defaults: assume changed
            default = None
        if not _same(config, default):
            snap["nondefault"].append(lib)
    where, size = path, 0
    if not problems:
        try:
            where, size = _dump(snap, path)
        except Exception as e:  # noqa: BLE001 - e.g. an option holding an unpicklable object
            problems.append(_unpicklable(snap) or f"{type(e).__name__}: {e}"[:300])
    _done(libs=sorted(snap["libs"]), nondefault=snap["nondefault"], problems=problems, bytes=size, path=where)


def _unpicklable(snap):
    for lib, config in snap["libs"].items():
        for k, v in (config.items() if isinstance(config, dict) else ()):
            try:
                cloudpickle.dump(v, _Null(), protocol=PROTOCOL)
            except Exception as e:  # noqa: BLE001
                return f"{lib} {k}: {type(e).__name__}: {e}"[:300]
    return None


def _apply_config(path):
    """Take over the snapshot in ``path`` (see :func:`config_snapshot`): libraries it
    covers get its values, imported libraries it does not cover get their defaults,
    and a library it configured away from its defaults is imported first if this kernel
    has not imported it (so a later import cannot bring back the defaults). Returns the
    problems (empty when everything was set)."""
    import importlib

    try:
        with _open(path) as f:
            snap = _Unpickler(f).load()
    except Exception as e:  # noqa: BLE001 - e.g. a formatter that cannot be rebuilt in this kernel
        return [f"{type(e).__name__}: {e}"[:300]]
    problems = []
    for lib, (_, set_, defaults) in CONFIG_LIBS.items():
        mod = _imported(lib)
        try:
            if mod is None:
                if lib not in snap["nondefault"]:
                    continue
                mod = importlib.import_module(lib)
            config = snap["libs"].get(lib)
            set_(mod, defaults(mod) if config is None else config)
        except Exception as e:  # noqa: BLE001
            problems.append(f"{lib}: {type(e).__name__}: {e}"[:300])
    try:
        _set_filters(snap["filters"])
    except Exception as e:  # noqa: BLE001
        problems.append(f"warnings: {type(e).__name__}: {e}"[:300])
    return problems


def load(files, delete=(), count=None, state=None, config=None):
    """Assign the values named in ``files`` (``[[path, [name, ...]], ...]``, loaded in
    order) in the user namespace, remove the names in ``delete``, set the next
    execution count to ``count``, take over the process ``state`` of another kernel
    (see :func:`process_state`) and then the library configuration snapshot in the file
    ``config`` (see :func:`config_snapshot`; after the values, whose unpickling may
    import a library), each when given. ``LAST``: ``{"seconds", "config_problems"}``."""
    t0 = time.perf_counter()
    if state is not None:
        _apply_state(state)
    ns = _ns()
    fetched = {}
    remote = [path for path, _ in files if _STORE is not None and "://" in path]
    if len(remote) > 1:  # fetched concurrently (one round trip instead of one per object)
        fetched = dict(zip(remote, _STORE["fs"].cat_ranges(remote, None, None, on_error="raise")))
    for path, names in files:
        with (io.BytesIO(fetched[path]) if path in fetched else _open(path)) as f:
            values = _Unpickler(f).load()
        for n in names:
            if n in values:
                ns[n] = values[n]
            else:
                ns.pop(n, None)
    for n in delete:
        ns.pop(n, None)
    problems = _apply_config(config) if config else []
    if count is not None:
        _shell().execution_count = count
    _done(seconds=time.perf_counter() - t0, config_problems=problems)


def reset():
    """Empty a worker's namespace between runs (modules stay imported; IPython's reset
    also collects garbage) and forget the run's store."""
    global _STORE
    _STORE = None
    _shell().reset(new_session=False)
    _done()
