"""The template service: finds template notebooks and instantiates one for a new project.

A template is an nbformat notebook. Its ``metadata.notebook_dag.template`` gives
``title``, ``description`` and ``parameters`` (a list of ``{name, kind, description}``
with, for an ``integer``, ``default``/``minimum``/``maximum``); its cell tagged
``parameters`` (papermill's convention) assigns each parameter on a line of its own,
``NAME = value  # comment``. Instantiating rewrites those lines: a ``dataset`` parameter
becomes ``NAME = notebook_dag.load(<the dataset's name>, project=...)``, the others
``NAME = repr(value)``; a parameter whose line is missing is appended to the cell. A
notebook without that metadata is still a template (title: its first heading or file
name; no parameters), copied as it is.
"""

from __future__ import annotations

import asyncio
import copy
import os
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import nbformat
from traitlets import Bool, List, Unicode
from traitlets.config import LoggingConfigurable

from ..datasets.analysis_service import load_call
from ..errors import NotFound, Unprocessable
from ..models import TemplateChoice

BUNDLED_DIR = os.path.join(os.path.dirname(__file__), "notebooks")
PARAMETERS_TAG = "parameters"
_KINDS = ("dataset", "column", "integer")

#: ``(dataset id) -> the dataset as DatasetOut`` for the requesting user (NotFound otherwise)
DatasetLookup = Callable[[str], Awaitable[dict[str, Any]]]


class TemplateService(LoggingConfigurable):
    """Lists templates and instantiates one (``c.TemplateService.<trait>``)."""

    template_dirs = List(Unicode(), help="More directories of template notebooks (*.ipynb), searched after the "
                         "bundled ones; a template id (file name) found twice is taken from the first directory.",
                         ).tag(config=True)
    include_bundled = Bool(True, help="Offer the bundled templates (explore a dataset, train and evaluate a model, "
                           "forecast a time series).").tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cache: dict[str, tuple[float, dict[str, Any], nbformat.NotebookNode]] = {}

    def directories(self) -> list[tuple[str, str]]:
        """``[(source label, directory)]`` in search order."""
        dirs = [("bundled", BUNDLED_DIR)] if self.include_bundled else []
        return dirs + [(os.path.expanduser(d), os.path.expanduser(d)) for d in self.template_dirs]

    async def list(self) -> list[dict[str, Any]]:
        """Every template as :class:`~notebook_dag.templates.models.TemplateOut`, by title.
        Files are read off the event loop and cached by modification time."""
        found = await asyncio.to_thread(self._scan)
        return sorted((info for info, _ in found.values()), key=lambda t: (t["title"].lower(), t["id"]))

    async def instantiate(self, choice: TemplateChoice, dataset: DatasetLookup) -> nbformat.NotebookNode:
        """A new notebook (fresh cell ids, outputs cleared) from template ``choice.id`` with its
        parameters set.

        Raises :class:`NotFound` for an unknown template or a dataset the user may not read,
        :class:`Unprocessable` for an unknown parameter, a missing dataset or a value of
        the wrong type or range.
        """
        found = await asyncio.to_thread(self._scan)
        if choice.id not in found:
            raise NotFound(f"no template {choice.id!r} (GET /templates lists them)")
        info, template = found[choice.id]
        params = {p["name"]: p for p in info["parameters"]}
        unknown = sorted(set(choice.parameters) - set(params))
        if unknown:
            raise Unprocessable(f"template {choice.id!r} has no parameter {', '.join(map(repr, unknown))}; "
                                f"it has {', '.join(params) or 'none'}")
        lines: dict[str, str] = {}
        for name, spec in params.items():
            value = choice.parameters.get(name)
            if spec["kind"] == "dataset":
                if not isinstance(value, str) or not value:
                    raise Unprocessable(f"parameter {name!r} needs a dataset id")
                found_dataset = await dataset(value)
                lines[name] = load_call(found_dataset["name"], found_dataset.get("project_id"), None)
            elif name in choice.parameters:
                lines[name] = repr(_check_value(name, spec, value))
        nb = copy.deepcopy(template)
        nb.metadata.get("notebook_dag", {}).pop("template", None)
        if not nb.metadata.get("notebook_dag"):
            nb.metadata.pop("notebook_dag", None)
        for cell in nb.cells:
            cell.id = uuid.uuid4().hex[:8]
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
                if PARAMETERS_TAG in cell.metadata.get("tags", []):
                    cell.source = set_parameters(cell.source, lines)
        return nb

    # ---- reading templates (in a worker thread) ----

    def _scan(self) -> dict[str, tuple[dict[str, Any], nbformat.NotebookNode]]:
        found: dict[str, tuple[dict[str, Any], nbformat.NotebookNode]] = {}
        for source, directory in self.directories():
            try:
                names = sorted(n for n in os.listdir(directory) if n.endswith(".ipynb") and not n.startswith("."))
            except OSError as e:
                self.log.warning("notebook_dag: template directory %s cannot be read (%s)", directory, e)
                continue
            for name in names:
                tid = name[: -len(".ipynb")]
                if tid in found:
                    continue
                entry = self._read(os.path.join(directory, name), tid, source)
                if entry is not None:
                    found[tid] = entry
        return found

    def _read(self, path: str, tid: str, source: str) -> tuple[dict[str, Any], nbformat.NotebookNode] | None:
        try:
            mtime = os.stat(path).st_mtime
            cached = self._cache.get(path)
            if cached is None or cached[0] != mtime:
                nb = nbformat.read(path, as_version=4)
                cached = (mtime, describe(nb, tid, source), nb)
                self._cache[path] = cached
        except (OSError, ValueError, KeyError) as e:
            self.log.warning("notebook_dag: template %s is skipped: %s", path, e)
            return None
        return cached[1], cached[2]


def describe(nb: nbformat.NotebookNode, tid: str, source: str) -> dict[str, Any]:
    """``nb`` as :class:`~notebook_dag.templates.models.TemplateOut`. Raises ``ValueError``
    for malformed parameter metadata."""
    meta = (nb.metadata.get("notebook_dag") or {}).get("template") or {}
    title = meta.get("title") or _first_heading(nb) or tid.replace("_", " ").capitalize()
    params = []
    for p in meta.get("parameters") or []:
        kind = p.get("kind")
        if kind not in _KINDS or not str(p.get("name", "")).isidentifier():
            raise ValueError(f"parameter {p!r}: needs a Python name and a kind among {', '.join(_KINDS)}")
        params.append({
            "name": p["name"], "kind": kind, "description": p.get("description", ""),
            "required": kind == "dataset", "default": p.get("default"),
            "minimum": p.get("minimum"), "maximum": p.get("maximum"),
        })
    return {"id": tid, "title": title, "description": meta.get("description", ""), "source": source,
            "cells": len(nb.cells), "parameters": params}


def set_parameters(source: str, values: dict[str, str]) -> str:
    """``source`` with each ``NAME = ...`` line of ``values`` set to ``NAME = <value text>``
    (a trailing comment kept); names without a line are appended, one per line."""
    lines = source.split("\n")
    missing = dict(values)
    for i, line in enumerate(lines):
        m = re.match(r"^([A-Za-z_]\w*)\s*=\s*(?:[^#]*?)(\s+#.*)?$", line)
        if m and m.group(1) in missing:
            lines[i] = f"{m.group(1)} = {missing.pop(m.group(1))}{m.group(2) or ''}"
    lines += [f"{name} = {text}" for name, text in missing.items()]
    return "\n".join(lines)


def _check_value(name: str, spec: dict[str, Any], value: Any) -> Any:
    if spec["kind"] == "column":
        if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > 500):
            raise Unprocessable(f"parameter {name!r} needs a column name or null")
        return value
    if not isinstance(value, int):
        raise Unprocessable(f"parameter {name!r} needs a whole number")
    low, high = spec.get("minimum"), spec.get("maximum")
    if (low is not None and value < low) or (high is not None and value > high):
        raise Unprocessable(f"parameter {name!r} must be within {low}..{high}")
    return value


def _first_heading(nb: nbformat.NotebookNode) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip() or None
    return None
