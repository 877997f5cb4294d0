"""SQL blocks in a kernel: JupySQL on an in-process DuckDB connection, with datasets as views.

The server executes :func:`setup` silently in a run's kernel before the run's first
block when the run executes SQL blocks (JupySQL's ``%%sql`` / ``%sql`` cells, see
:mod:`notebook_dag.inference.sql`). The first time in a kernel it loads JupySQL
(``%load_ext sql``), opens an in-memory DuckDB connection as JupySQL's current
connection (alias ``notebook_dag``; DuckDB's replacement scans read the kernel's
DataFrames by name) and makes JupySQL return pandas DataFrames (``autopandas``), with
its connection banners off. Every time, it (re)creates one view per dataset the run's
SQL blocks read, named as the SQL names it, over the dataset's current version's file
read where it is stored (``read_csv_auto`` / ``read_parquet`` / ``read_json_auto``;
Excel through pandas). The file path comes from the server through the kernel's token
(:func:`notebook_dag.kernel_api.dataset_file`), as ``notebook_dag.load()`` gets it.

When JupySQL or DuckDB is not installed in the kernel's environment, ``%%sql`` / ``%sql``
are registered as magics that raise a :class:`SqlUnavailable` saying what to install,
so a SQL block fails with that message. A dataset that cannot be resolved becomes a view
that raises the reason when queried. :func:`setup` itself never raises.

A notebook session outside runs can call ``notebook_dag.sql_kernel.setup({"iris":
"iris.csv"})`` (view name -> dataset name or id) itself.
"""

from __future__ import annotations

import os
from typing import Any

ALIAS = "notebook_dag"
#: DuckDB table functions reading each dataset format in place
READERS = {"csv": "read_csv_auto", "tsv": "read_csv_auto", "parquet": "read_parquet",
           "json": "read_json_auto", "jsonl": "read_json_auto"}

_state: dict[str, Any] = {}


class SqlUnavailable(RuntimeError):
    """SQL blocks cannot run in this kernel (JupySQL or DuckDB is missing)."""


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _unavailable(shell: Any, reason: str) -> None:
    message = (f"SQL blocks need JupySQL and DuckDB in this kernel's environment ({reason}); "
               "install them (pip install jupysql duckdb) and restart the kernel")

    def sql(line: str = "", cell: str | None = None) -> None:
        raise SqlUnavailable(message)

    shell.register_magic_function(sql, "line_cell", "sql")


def connection(shell: Any = None) -> Any:
    """The kernel's DuckDB connection, made current in JupySQL the first time. Raises
    :class:`SqlUnavailable` (after registering stand-in magics) when JupySQL or DuckDB
    cannot be imported."""
    if "conn" in _state:
        return _state["conn"]
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    os.environ.setdefault("PLOOMBER_STATS_ENABLED", "false")  # JupySQL's usage telemetry
    try:
        import duckdb
        import sql.magic  # noqa: F401 - JupySQL
    except ImportError as e:
        _unavailable(shell, f"{type(e).__name__}: {e}")
        raise SqlUnavailable(str(e)) from None
    shell.run_line_magic("load_ext", "sql")
    # JupySQL only sets python_scan_all_frames for connections it recognises as DuckDB's,
    # which DuckDB >= 2 no longer are: without it DataFrames of the notebook are not found
    conn = duckdb.connect(":memory:", config={"python_scan_all_frames": True})
    from sql.connection import ConnectionManager

    ConnectionManager.set(conn, displaycon=False, alias=ALIAS, config=shell.magics_manager.registry.get("SqlMagic"))
    for option in ("autopandas = True", "displaycon = False", "feedback = 0", "displaylimit = 20"):
        shell.run_line_magic("config", f"SqlMagic.{option}")
    _state["conn"] = conn
    return conn


def create_views(conn: Any, views: dict[str, str]) -> dict[str, str]:
    """``CREATE OR REPLACE VIEW`` each ``{view name: dataset name or id}`` over the
    dataset's current version; returns ``{view name: error}`` for those that could not
    be resolved (their view raises that error when queried)."""
    from .kernel_api import dataset_file

    errors: dict[str, str] = {}
    for view, dataset in views.items():
        ident = _quote_ident(view)
        try:
            path, fmt = dataset_file(dataset)
            reader = READERS.get(fmt)
            if reader is not None:
                conn.execute(f"CREATE OR REPLACE VIEW {ident} AS SELECT * FROM {reader}({_quote_str(path)})")
            else:  # Excel: through pandas, registered as a view over the DataFrame
                from .datasets.formats import read_frame

                conn.register(view, read_frame(path, fmt))
        except Exception as e:  # noqa: BLE001 - the block that reads it reports it
            errors[view] = f"dataset {dataset!r} cannot be read: {type(e).__name__}: {e}"
            try:
                conn.execute(f"CREATE OR REPLACE VIEW {ident} AS SELECT error({_quote_str(errors[view])}) AS error")
            except Exception as e2:  # noqa: BLE001 - the table is then simply unknown to DuckDB
                errors[view] += f" (and no view could be made: {e2})"
    return errors


def setup(views: dict[str, str] | None = None) -> dict[str, str]:
    """Prepare this kernel for SQL blocks (see the module docstring). Returns ``{view
    name: error}`` for datasets that could not be made views, or ``{"": reason}`` when
    SQL is unavailable. Never raises."""
    try:
        conn = connection()
    except SqlUnavailable as e:
        return {"": str(e)}
    except Exception as e:  # noqa: BLE001 - a broken JupySQL must not break the run's preparation
        return {"": f"{type(e).__name__}: {e}"}
    return create_views(conn, views or {})
