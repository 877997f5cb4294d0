"""The third-party notebook corpus for the tests: where it is, its items, and
``compare.py`` (``../shared/corpus/``) with printed elapsed times masked."""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
#: built by ``build_corpus.sh`` into ``.cache/corpus`` (``.ci/run`` does it) or ``$NOTEBOOK_DAG_CORPUS``
CORPUS = Path(os.environ.get("NOTEBOOK_DAG_CORPUS", ROOT / ".cache" / "corpus"))
COMPARE = ROOT.parent / "shared" / "corpus" / "compare.py"
#: "0.42 s", "3 seconds", "12ms": run-to-run differences that are not the notebook's results
ELAPSED = (re.compile(r"\b\d+(\.\d+)?(e-?\d+)? ?(seconds|second|secs|sec|s|ms)\b"), "<elapsed>")


def items() -> list[dict]:
    """The manifest's items that built ``ok``; [] when the corpus is missing, except
    under CI (``$CI`` set), where a missing corpus is an error."""
    manifest = CORPUS / "manifest.json"
    if not manifest.exists():
        if os.environ.get("CI"):
            raise RuntimeError(f"the corpus is missing at {CORPUS}; .ci/run builds it")
        return []
    return [it for it in json.loads(manifest.read_text())["items"] if it.get("ok")]


def compare_module() -> ModuleType:
    """``compare.py`` loaded as a module, with :data:`ELAPSED` added to its masks."""
    spec = importlib.util.spec_from_file_location("corpus_compare", COMPARE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.MASKS.append(ELAPSED)
    return mod
