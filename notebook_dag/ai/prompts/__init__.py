"""Prompt templates of the AI feature and the chat messages built from them.

The templates are the Jinja2 text files beside this module (``system.md``,
``generate.md``, ``fix.md``, ``repair.md``), shipped in the wheel as package data and
read with :mod:`importlib.resources`. They are rendered in a sandboxed Jinja2
environment with ``StrictUndefined``: a variable missing from a template's values is an
error, never a silent blank.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

TEMPLATES = ("system.md", "generate.md", "fix.md", "repair.md")

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@lru_cache(maxsize=None)
def template_text(name: str) -> str:
    """The raw text of template ``name`` (one of :data:`TEMPLATES`).
    Raises ``FileNotFoundError`` for an unknown name."""
    if name not in TEMPLATES:
        raise FileNotFoundError(f"no prompt template {name!r}")
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def render(name: str, **values: Any) -> str:
    """Template ``name`` rendered with ``values`` (stripped of surrounding blank lines).
    Raises ``jinja2.UndefinedError`` when the template uses a value not given."""
    return _ENV.from_string(template_text(name)).render(**values).strip()


def generate_messages(context: str, prompt: str, after_title: str | None,
                      language: str = "python") -> list[BaseMessage]:
    """``[system, human]`` messages asking for a new cell.

    ``context`` is the rendered project context (see :mod:`notebook_dag.ai.context`),
    ``prompt`` the user's request, ``after_title`` the title of the cell it goes after
    (None: the end of the notebook), ``language`` ``"python"`` or ``"sql"`` (a JupySQL
    ``%%sql`` cell over the project's datasets and DataFrames, asked for in the system
    prompt)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    return [
        SystemMessage(render("system.md", language=language)),
        HumanMessage(render("generate.md", context=context, prompt=prompt.strip(), after_title=after_title)),
    ]


def fix_messages(context: str, title: str, code: str, error: str, hint: str | None = None) -> list[BaseMessage]:
    """``[system, human]`` messages asking to correct a failed cell: its ``code``, the
    ``error`` (traceback text) and an optional ``hint`` from the user."""
    from langchain_core.messages import HumanMessage, SystemMessage

    return [
        SystemMessage(render("system.md", language="python")),
        HumanMessage(render("fix.md", context=context, title=title, code=code, error=error, hint=hint or "")),
    ]


def repair_messages(previous: list[BaseMessage], answer: str, error: str,
                    language: str = "python") -> list[BaseMessage]:
    """``previous`` messages followed by the model's unparsable ``answer`` and a request
    to repair its syntax ``error`` (``"line N: message"``) in ``language``."""
    from langchain_core.messages import AIMessage, HumanMessage

    return [*previous, AIMessage(answer), HumanMessage(render("repair.md", error=error, language=language))]
