"""Bounded cell outputs: a cap on what one block's execution keeps, applied while the
outputs arrive.

A block that prints 50 MB would otherwise be held whole by the server, stored whole in
the run history and sent whole by ``GET /runs/{id}``. :class:`BoundedNotebookClient`
is nbclient's ``NotebookClient`` with a per-cell byte budget
(``RunService.max_output_bytes``): once a cell's outputs reach it, stream text is
cut, further outputs are dropped as they arrive (so the server holds at most the cap
plus the message being processed), and a final ``stderr`` stream output says how much
was not stored, like JupyterLab's output limits.

Sizes are counted in bytes of text (UTF-8) plus :data:`OUTPUT_OVERHEAD` per output;
rich outputs count every MIME bundle entry, so images count by their base64 length.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from nbclient import NotebookClient
from traitlets import Int

#: bytes counted per output on top of its text, for the dict that holds it
OUTPUT_OVERHEAD = 64
#: characters of an error's value kept when the error output does not fit
ERROR_VALUE_CHARS = 1000
#: the configuration name quoted in the truncation marker
SETTING = "RunService.max_output_bytes"


def human_bytes(n: float) -> str:
    """``n`` bytes as a short text: ``"512 B"``, ``"3.2 KiB"``, ``"48.2 MiB"``, ``"1 GiB"``."""
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.3g} GiB"


def text_bytes(s: Any) -> int:
    """UTF-8 size of a string (a list of strings: their sum; other JSON: its encoding)."""
    if isinstance(s, str):
        return len(s) if s.isascii() else len(s.encode("utf-8", "surrogatepass"))
    if isinstance(s, list) and all(isinstance(x, str) for x in s):
        return sum(text_bytes(x) for x in s)
    return len(json.dumps(s, default=str))


def output_bytes(out: dict[str, Any]) -> int:
    """The counted size of one nbformat v4 output dict, in bytes."""
    kind = out.get("output_type")
    if kind == "stream":
        return OUTPUT_OVERHEAD + text_bytes(out.get("text", ""))
    if kind == "error":
        return (OUTPUT_OVERHEAD + text_bytes(out.get("ename", "")) + text_bytes(out.get("evalue", ""))
                + text_bytes(out.get("traceback", [])))
    size = OUTPUT_OVERHEAD
    for key in ("data", "metadata"):
        for mime, value in (out.get(key) or {}).items():
            size += len(mime) + text_bytes(value)
    return size


def cut_text(text: str, limit: int) -> str:
    """The longest prefix of ``text`` whose UTF-8 encoding fits ``limit`` bytes."""
    if limit <= 0:
        return ""
    if text.isascii():
        return text[:limit]
    return text.encode("utf-8", "surrogatepass")[:limit].decode("utf-8", "ignore")


def truncation_marker(dropped: int, limit: int) -> dict[str, Any]:
    """The ``stderr`` stream output that ends a truncated cell's outputs."""
    from nbformat.v4 import new_output

    return new_output(
        "stream", name="stderr",
        text=f"\n… output truncated: {human_bytes(dropped)} not stored (limit {human_bytes(limit)}, {SETTING})\n",
    )


@dataclass
class _Tally:
    stored: int = 0
    dropped: int = 0


class BoundedNotebookClient(NotebookClient):
    """``NotebookClient`` that keeps at most ``max_output_bytes`` of outputs per executed
    cell (0: no limit). Over the limit, stream text is cut at the limit, later outputs
    are dropped (an output with a display id keeps an empty placeholder so display
    updates still find it), error outputs keep their name and the start of their value,
    and after the cell ends a ``stderr`` stream marker says how many bytes were not
    stored. Widget output hooks (``OutputWidget``) are nbclient's, uncapped."""

    max_output_bytes = Int(0, help="Bytes of outputs kept per executed cell; 0 means no limit.").tag(config=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tallies: dict[int, _Tally] = {}

    async def async_execute_cell(self, cell: Any, cell_index: int, *args: Any, **kwargs: Any) -> Any:
        if self.max_output_bytes <= 0:
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        tally = self._tallies[cell_index] = _Tally()
        try:
            return await super().async_execute_cell(cell, cell_index, *args, **kwargs)
        finally:
            self._tallies.pop(cell_index, None)
            if tally.dropped:
                cell.setdefault("outputs", []).append(truncation_marker(tally.dropped, self.max_output_bytes))

    def output(self, outs: list[Any], msg: dict[str, Any], display_id: str | None, cell_index: int) -> Any:
        tally = self._tallies.get(cell_index)
        if tally is not None and self.clear_before_next_output:
            tally.stored = tally.dropped = 0  # nbclient clears the outputs first: nothing cleared is lost
        before = len(outs)
        out = super().output(outs, msg, display_id, cell_index)
        if tally is None or out is None or len(outs) != before + 1 or outs[-1] is not out:
            return out
        size = output_bytes(out)
        room = self.max_output_bytes - tally.stored
        if size <= room:
            tally.stored += size
            return out
        kind = out.get("output_type")
        if kind == "stream":
            text = out.get("text", "")
            kept = cut_text(text, room - OUTPUT_OVERHEAD)
            tally.dropped += text_bytes(text) - text_bytes(kept)
            if kept:
                out["text"] = kept
                tally.stored = self.max_output_bytes
            else:
                outs.pop()
            return out
        if kind == "error":
            out["evalue"] = cut_text(str(out.get("evalue", "")), ERROR_VALUE_CHARS)
            out["traceback"] = []
        elif display_id:
            out["data"], out["metadata"] = {}, {}
        else:
            outs.pop()
            tally.dropped += size
            return out
        kept = output_bytes(out)
        tally.stored += kept
        tally.dropped += size - kept
        return out

    def clear_output(self, outs: list[Any], msg: dict[str, Any], cell_index: int) -> None:
        super().clear_output(outs, msg, cell_index)
        tally = self._tallies.get(cell_index)
        if tally is not None and not outs:
            tally.stored = tally.dropped = 0

    def _update_display_id(self, display_id: str, msg: dict[str, Any]) -> None:
        content = msg.get("content") or {}
        cells = self._display_id_map.get(display_id, {})
        for cell_index in cells:
            tally = self._tallies.get(cell_index)
            if tally is None:
                continue
            size = output_bytes({"data": content.get("data"), "metadata": content.get("metadata")})
            if tally.stored + size > self.max_output_bytes:  # the replaced data is not subtracted: at worst early
                tally.dropped += size
                msg = {**msg, "content": {**content, "data": {}, "metadata": {}}}
            else:
                tally.stored += size
        super()._update_display_id(display_id, msg)
