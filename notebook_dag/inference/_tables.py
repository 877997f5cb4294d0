"""Name tables and classifiers used by the cell analyser and the dependency index.

Everything here is data or a pure function over strings; see the package docstring of
:mod:`notebook_dag.inference` for the policies these tables implement.
"""

from __future__ import annotations

import builtins
import sys

#: Names the kernel provides without any cell binding them. They are never dependencies
#: unless some cell of the notebook rebinds them (``list = [1]``, ``display = ...``).
BUILTINS: frozenset[str] = frozenset(dir(builtins)) | {
    "display", "get_ipython", "exit", "quit", "__builtins__", "__name__", "__doc__",
}

#: IPython's output-history names: never recorded, not even when assigned, so the
#: throwaway ``_ = plt.plot(...)`` does not chain every plotting cell together.
IPYTHON_HISTORY: frozenset[str] = frozenset({"_", "__", "___", "_i", "_ii", "_iii", "_ih", "_oh", "_dh", "In", "Out"})


def is_history_name(name: str) -> bool:
    """True for ``_``, ``__``, ``_5``, ``_i5`` and the other IPython history names."""
    if name in IPYTHON_HISTORY:
        return True
    return name[:1] == "_" and (name[1:].isdigit() or (name[1:2] == "i" and name[2:].isdigit() and len(name) > 2))


#: Conventional import aliases, used when a notebook never binds the name itself (the
#: import may have happened in a startup file or an earlier session).
_CONVENTIONAL = {
    "np": "numpy", "pd": "pandas", "plt": "matplotlib.pyplot", "mpl": "matplotlib", "sns": "seaborn",
    "tf": "tensorflow", "sp": "scipy", "sm": "statsmodels.api", "smf": "statsmodels.formula.api",
    "pylab": "pylab", "px": "plotly.express", "go": "plotly.graph_objects",
}
_THIRD_PARTY = (
    "numpy", "pandas", "scipy", "sklearn", "matplotlib", "seaborn", "torch", "tensorflow", "keras",
    "statsmodels", "arch", "plotly", "jax", "polars", "pyarrow", "xgboost", "lightgbm",
)
DEFAULT_MODULES: dict[str, str] = {
    **{m: m for m in sys.stdlib_module_names if not m.startswith("_")},
    **{m: m for m in _THIRD_PARTY},
    **_CONVENTIONAL,
}

#: Methods that do not change their receiver. ``obj.m(...)`` with ``m`` outside this set
#: (and outside MUTATING_METHODS) is a *possible* mutation of ``obj`` (see ``call_mutates``).
PURE_METHODS: frozenset[str] = frozenset("""
head tail describe info copy deepcopy mean sum min max std var sem median mode count nunique unique
value_counts groupby agg aggregate apply applymap map transform pipe merge join concat query filter
sort_values sort_index reset_index set_index rename rename_axis drop dropna fillna ffill bfill bfill
replace astype convert_dtypes to_numpy to_dict to_list tolist to_frame to_records to_string to_markdown
to_csv to_json to_parquet to_excel to_pickle to_feather to_html to_latex to_sql to_hdf to_xarray items
keys values get isna isnull notna notnull any all corr cov round abs cumsum cumprod cummax cummin diff
pct_change shift rolling expanding ewm resample pivot pivot_table melt stack unstack explode transpose
reshape ravel flatten squeeze dot matmul sample select_dtypes duplicated drop_duplicates nlargest nsmallest
idxmax idxmin argmax argmin argsort clip where mask isin between equals memory_usage prod product quantile
rank first last nth size asfreq interpolate align combine combine_first compare eval assign loc iloc
get_loc get_indexer xs describe_option plot hist boxplot
predict predict_proba predict_log_proba decision_function score score_samples get_params
get_feature_names_out inverse_transform summary conf_int log_marginal_likelihood
pdf logpdf cdf logcdf ppf sf logsf isf pmf logpmf interval moment entropy expect support
format format_map split rsplit splitlines strip lstrip rstrip lower upper title capitalize casefold
startswith endswith find rfind index rindex encode decode zfill center ljust rjust partition rpartition
isdigit isalpha isalnum isspace isnumeric islower isupper swapcase expandtabs translate maketrans
contains match fullmatch search findall finditer sub subn group groups groupdict
union intersection difference symmetric_difference issubset issuperset isdisjoint
exists is_file is_dir glob rglob iterdir resolve absolute with_suffix with_name joinpath read_text
read_bytes stat
astype view conj conjugate nonzero searchsorted trace diagonal repeat take compress choose item itemsize
""".split())

#: Methods that certainly change their receiver, also through a chain
#: (``self.items.append(x)`` or ``df["a"].update(...)`` mutate the chain's root name).
MUTATING_METHODS: frozenset[str] = frozenset("""
append extend insert pop popitem remove clear update add discard sort reverse setdefault
fit partial_fit fit_transform fit_predict set_params set_output
put resize setflags fill itemset
""".split())

#: Library functions that change library-wide configuration (``sklearn.set_config``,
#: ``pd.set_option``...): a call writes ``<config:LIB>``, which every later cell using a
#: name imported from LIB reads.
CONFIG_SETTERS: frozenset[str] = frozenset("""
set_config set_option reset_option set_printoptions seterr filterwarnings simplefilter
resetwarnings rc rcdefaults rc_file use set_theme set_style set_context set_palette
set_color_codes set_default_dtype set_grad_enabled set_num_threads enable_metadata_routing
""".split())

#: Keyword arguments that hand over a random generator, which the callee advances
#: (``train_test_split(..., random_state=rng)``, ``Normal(seed=rs)``).
RNG_KEYWORDS: frozenset[str] = frozenset({"random_state", "rng", "seed", "random_seed", "generator", "random_generator"})

#: Functions that mutate their first positional argument (the few well-known ones).
ARG_MUTATORS: frozenset[str] = frozenset("""
shuffle copyto fill_diagonal place putmask put_along_axis heappush heappop heapify heappushpop
heapreplace insort insort_left insort_right
""".split())

#: File writers / readers whose first argument (a string literal) names a file.
FILE_WRITERS: frozenset[str] = frozenset("""
to_csv to_parquet to_json to_excel to_pickle to_feather to_hdf to_html to_latex to_stata to_netcdf
to_markdown savefig save savez savez_compressed savetxt tofile write_text write_bytes dump_svmlight_file
""".split())
FILE_READERS: frozenset[str] = frozenset("""
read_csv read_parquet read_json read_excel read_pickle read_feather read_hdf read_table read_fwf
read_stata read_html read_xml read_sas read_spss load loadtxt genfromtxt fromfile imread
load_svmlight_file read_text read_bytes
""".split())

#: Random-number generation: paths under these prefixes touch a global RNG ...
_RANDOM_PREFIXES = ("numpy.random.", "random.", "torch.random.", "tensorflow.random.", "torch.cuda.manual_seed")
#: ... except these, which build independent generators.
_RANDOM_SAFE = frozenset({
    "default_rng", "Generator", "RandomState", "SeedSequence", "BitGenerator", "PCG64", "PCG64DXSM",
    "MT19937", "Philox", "SFC64", "Random", "SystemRandom", "bit_generator",
})
_TORCH_RANDOM = frozenset({
    "manual_seed", "seed", "initial_seed", "rand", "randn", "randint", "randperm", "rand_like",
    "randn_like", "randint_like", "normal", "bernoulli", "multinomial", "poisson", "get_rng_state",
    "set_rng_state",
})
_PLOTTING_ELSEWHERE = ("plotly", "bokeh", "altair", "holoviews", "hvplot", "pygal", "vega")


def is_plot_attr(attr: str) -> bool:
    """Attribute names that draw on the current pyplot figure when called
    (``df.plot()``, ``df.plot.bar()``, ``ax.hist()``, ``res.hedgehog_plot()``,
    ``plot_tree(...)``, ``RocCurveDisplay.from_predictions(...)``)."""
    return "plot" in attr or attr in ("hist", "boxplot", "imshow", "matshow", "dendrogram") or attr.endswith("Display")


def classify_path(path: str) -> str | None:
    """Hidden-state tag for a resolved dotted path (``numpy.random.seed`` -> ``random``), or None."""
    head, _, rest = path.partition(".")
    if head in ("matplotlib", "pylab", "seaborn"):
        return "matplotlib"
    if head in _PLOTTING_ELSEWHERE:
        return None
    if path == "numpy.random" or path == "random":
        return "random"
    for prefix in _RANDOM_PREFIXES:
        if path.startswith(prefix):
            nxt = path[len(prefix):].partition(".")[0]
            return None if nxt in _RANDOM_SAFE else "random"
    if head == "torch" and rest.partition(".")[0] in _TORCH_RANDOM:
        return "random"
    if path.endswith("set_random_seed"):
        return "random"
    if head == "os":
        if rest.startswith("chdir"):
            return "cwd"
        if rest.startswith(("environ", "putenv", "unsetenv", "getenv")):
            return "env"
    if any(is_plot_attr(part) for part in path.split(".")[1:]):
        return "matplotlib"
    return None


#: Line/cell magics and the hidden-state tag they touch.
MAGIC_TAGS: dict[str, str] = {
    "matplotlib": "matplotlib", "pylab": "matplotlib", "cd": "cwd", "pushd": "cwd", "popd": "cwd",
    "bookmark": "cwd", "env": "env", "set_env": "env", "load_ext": "ipython", "reload_ext": "ipython",
    "unload_ext": "ipython", "autoreload": "ipython", "aimport": "ipython", "config": "ipython",
    "precision": "ipython", "xmode": "ipython", "colors": "ipython", "reset": "ipython",
}
#: Magics whose argument is Python run in the user namespace (bindings persist).
MAGICS_EXEC = frozenset({"time", "capture", "prun"})
#: Magics whose argument is Python that only reads (bindings do not persist).
MAGICS_READ = frozenset({"timeit", "pinfo", "pinfo2", "psource", "pdef", "pdoc", "pfile"})
