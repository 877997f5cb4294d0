"""notebook_dag: turn a Jupyter notebook into a project whose code blocks form a DAG.

The server extension (:class:`notebook_dag.app.NotebookDagApp`) serves a REST API under
``/notebook-dag/api/``; the JupyterLab plugin draws the DAG and runs it.
"""

try:
    from ._version import __version__
except ImportError:  # running from a source checkout that was never built
    __version__ = "0.0.0.dev0"


from .kernel_api import load  # noqa: E402 - notebook_dag.load("name") in a kernel

__all__ = ["__version__", "load"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "notebook_dag"}]


def _jupyter_server_extension_points() -> list[dict[str, object]]:
    from .app import NotebookDagApp

    return [{"module": "notebook_dag", "app": NotebookDagApp}]
