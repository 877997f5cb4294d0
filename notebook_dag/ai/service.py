"""The AI service: generate a block from a prompt, fix a failed block, accept results.

One code path serves the plain and the streaming routes: an optional ``emit(event,
data)`` coroutine receives ``chunk`` events (text as the model writes it) and a
``repair`` event before the repair round-trip; the final answer is returned.

Order of checks of a request: a provider is configured (else 503 with how to configure
one), the user's rate limit (429), the project and blocks exist (404), then the model
is called. Its answer is checked: fences stripped and parsed (one repair round-trip on
a syntax error, then 422), and the DAG must stay acyclic with the block in place (409
with the cycle). Every request that reached a model leaves an audit record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..errors import CycleError, NotebookDagError, NotFound, Unprocessable
from ..inference import analyze_cell
from ..models import BlockCreate, BlockUpdate
from . import codecheck as cc
from .audit import AuditLog
from .context import AIContext, ContextBuilder
from .models import FixIn, GenerateIn
from .prompts import fix_messages, generate_messages, repair_messages
from .providers import Completion, ProviderChain
from .ratelimit import SlidingWindowLimiter
from .settings import AISettings

Emit = Callable[[str, dict[str, Any]], Awaitable[None]]

#: Longest traceback text sent to the model (its end is kept), in characters.
ERROR_CHARS = 4000
#: Longest block source sent for a fix (its start is kept), in characters.
CODE_CHARS = 12000
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def error_text(block: dict[str, Any]) -> str:
    """The error of a failed run block as plain text: the traceback of its ``error``
    output (ANSI colours removed) or its ``error`` field, the last :data:`ERROR_CHARS`."""
    parts: list[str] = []
    for out in block.get("outputs") or []:
        if out.get("output_type") == "error":
            tb = out.get("traceback") or []
            parts.append("\n".join(tb) if tb else f"{out.get('ename')}: {out.get('evalue')}")
        elif out.get("output_type") == "stream" and out.get("name") == "stderr":
            parts.append(str(out.get("text", "")))
    text = _ANSI.sub("", "\n".join(parts)).strip() or str(block.get("error") or "the block failed")
    return text if len(text) <= ERROR_CHARS else "…" + text[-ERROR_CHARS + 1:]


@dataclass
class Produced:
    """Checked code of one or two model calls (see :meth:`AIService._produce`)."""

    code: str
    explanation: str
    completion: Completion
    usage: dict[str, int] | None
    latency_ms: int
    attempts: list[dict[str, Any]]
    repaired: bool


def _add_usage(a: dict[str, int] | None, b: dict[str, int] | None) -> dict[str, int] | None:
    if a is None or b is None:
        return a or b
    return {k: a.get(k, 0) + b.get(k, 0) for k in ("input_tokens", "output_tokens", "total_tokens")}


class AIService(AISettings):
    """Generation, fixes and their audit, over the extension's ``services``.

    Configurable as ``c.AIService.<trait>`` (see :class:`~notebook_dag.ai.settings.AISettings`;
    ``parent=`` the app). ``chain``, ``builder`` and ``limiter`` left None are built from
    those traits (see :meth:`build_parts`); ``audit`` defaults to an :class:`AuditLog` of
    ``services.db``."""

    def __init__(self, services: Any, chain: ProviderChain | None = None, builder: ContextBuilder | None = None,
                 limiter: SlidingWindowLimiter | None = None, audit: AuditLog | None = None,
                 log: logging.Logger | None = None, **kwargs: Any) -> None:
        super().__init__(log=log or logging.getLogger("notebook_dag.ai"), **kwargs)
        self.services = services
        self.audit = audit if audit is not None else AuditLog(services.db)
        if chain is None or builder is None or limiter is None:
            built = self.build_parts()
            chain = built[0] if chain is None else chain
            builder = built[1] if builder is None else builder
            limiter = built[2] if limiter is None else limiter
        self.chain = chain
        self.builder = builder
        self.limiter = limiter
        #: called with ``{"user", "kind" (generate or fix), "project_id", "block_id",
        #: "generation_id", "seconds"}`` after a generation or fix succeeded (notifications):
        #: synchronous, they must not wait; an error is logged
        self.done_hooks: list[Callable[[dict[str, Any]], None]] = []

    def _done(self, record: dict[str, Any], p: Produced, gid: str, block_id: str | None) -> None:
        done = {"user": record["user"], "kind": record["kind"], "project_id": record["project_id"],
                "block_id": block_id, "generation_id": gid, "seconds": (p.latency_ms or 0) / 1000}
        for hook in self.done_hooks:
            try:
                hook(done)
            except Exception:  # noqa: BLE001 - the answer goes out whatever a listener does
                self.log.exception("notebook_dag: an AI done hook failed")

    def admit(self, user: str, provider: str | None) -> None:
        """Checks made before anything else: a provider (503/400), the rate limit (429)."""
        self.chain.select(provider)
        self.limiter.hit(user)

    # ---- model calls --------------------------------------------------------------
    async def _complete(self, messages: list[Any], provider: str | None, emit: Emit | None, round_: int) -> Completion:
        if emit is None:
            return await self.chain.ainvoke(messages, provider)
        result: Completion | None = None
        stream = self.chain.astream(messages, provider)
        try:
            async for item in stream:
                if isinstance(item, Completion):
                    result = item
                else:
                    await emit("chunk", {"text": item, "round": round_})
        finally:
            await stream.aclose()  # stops the provider's HTTP stream when the client went away
        assert result is not None
        return result

    async def _produce(self, messages: list[Any], provider: str | None, emit: Emit | None,
                       record: dict[str, Any], language: str = "python") -> Produced:
        """Call the model, strip fences, check syntax (``language`` ``"sql"``: a ``%%sql``
        cell, the magic line added when missing, whose SQL must parse too); one repair
        round-trip on a syntax error. Raises :class:`Unprocessable` (422, with ``code`` and ``syntax_error``)
        when the repaired answer does not parse either; provider failures propagate
        (503/429). Each failure is audited with ``record``'s fields."""
        attempts: list[dict[str, Any]] = []
        sql = language == "sql"
        check = cc.sql_error if sql else cc.syntax_error

        def shape(answer: str) -> tuple[str, str]:
            code, explanation = cc.split_answer(answer)
            return (cc.as_sql_block(code) if sql else code), explanation

        try:
            first = await self._complete(messages, provider, emit, 1)
            attempts += first.attempts
            code, explanation = shape(first.text)
            error = check(code) if code.strip() else "the answer holds no code"
            usage, latency, last, repaired = first.usage, first.latency_ms, first, False
            if error is not None:
                if emit is not None:
                    await emit("repair", {"error": error})
                second = await self._complete(repair_messages(messages, first.text, error, language), first.provider,
                                              emit, 2)
                attempts += second.attempts
                usage, latency, last, repaired = _add_usage(usage, second.usage), latency + second.latency_ms, second, True
                code, explanation = shape(second.text)
                error = check(code) if code.strip() else "the answer holds no code"
                if error is not None:
                    gid = await self._record(record, last, usage, latency, attempts, "syntax_error", code, error, True)
                    raise Unprocessable(
                        f"the model's code does not parse, even after one repair: {error}",
                        code=code, syntax_error=error, generation_id=gid, provider=last.provider, model=last.model,
                    )
        except NotebookDagError as e:
            if "generation_id" not in e.extra and "attempts" in e.extra:
                await self._record(record, None, None, None, attempts + e.extra["attempts"], "provider_error", "", e.message, False)
            raise
        except BaseException:
            await self._record(record, None, None, None, attempts, "cancelled", "", "the request ended early", False)
            raise
        return Produced(code, explanation, last, usage, latency, attempts, repaired)

    async def _record(self, record: dict[str, Any], c: Completion | None, usage: dict[str, int] | None,
                      latency: int | None, attempts: list[dict[str, Any]], status: str, code: str,
                      error: str | None, repaired: bool, **more: Any) -> str:
        tried = [a for a in attempts if a.get("ok")] or attempts
        return await self.audit.record(
            **record, provider=c.provider if c else (tried[-1]["provider"] if tried else None),
            model=c.model if c else (tried[-1]["model"] if tried else None),
            input_tokens=(usage or {}).get("input_tokens"), output_tokens=(usage or {}).get("output_tokens"),
            total_tokens=(usage or {}).get("total_tokens"), latency_ms=latency, attempts=attempts, status=status,
            code=code, error=error, repaired=repaired, **more,
        )

    # ---- checks -------------------------------------------------------------------
    @staticmethod
    def _proposal(dag: Any, block: tuple[str, str], after: str | None = None, replace: bool = False) -> tuple[list[cc.ProposedEdge], list[str] | None]:
        cells = [(c["id"], c.get("cell_type", "code"), str(c.get("source", ""))) for c in dag.nb.cells]
        edges, mine = cc.edges_with_block(cc.code_cells_with(cells, block, after, replace), block[0])
        manual = [(e.source, e.target) for e in dag.edges if e.kind == "manual"]
        return mine, cc.check_cycle(edges, manual, block[0])

    @staticmethod
    def _cycle_error(cycle: list[str], code: str, gid: str) -> CycleError:
        return CycleError("with this block the DAG would have a cycle (through manual edges): " + " → ".join(cycle),
                          cycle=cycle, code=code, generation_id=gid)

    def _answer(self, p: Produced, gid: str, ctx: AIContext, edges: list[cc.ProposedEdge], block_id: str | None) -> dict[str, Any]:
        a = analyze_cell(p.code)
        return {
            "generation_id": gid, "code": p.code, "explanation": p.explanation,
            "provider": p.completion.provider, "model": p.completion.model,
            "reads": sorted(a.reads), "defines": sorted(a.defines),
            "edges": [e.as_dict(block_id) for e in edges], "repaired": p.repaired, "usage": p.usage,
            "latency_ms": p.latency_ms, "attempts": p.attempts, "context": ctx.summary(),
        }

    # ---- routes -------------------------------------------------------------------
    async def generate(self, body: GenerateIn, user: str, emit: Emit | None = None) -> dict[str, Any]:
        """``POST /ai/generate``: a new block's code for ``body.prompt`` (see
        :class:`~notebook_dag.ai.models.GenerateOut`), inserted when ``body.insert``.
        Raises NotFound (project, block), Unavailable/TooManyRequests (providers, rate
        limit), Unprocessable (syntax), CycleError (cycle)."""
        self.admit(user, body.provider)
        project = await self.services.projects.get(body.project_id, user)
        dag = await self.services.dag.build(project)
        after = body.after_block_id
        if after is not None and after not in dag.cells:
            raise NotFound(f"block {after!r} is not a cell of this notebook", block_id=after)
        meta = await self.services.blocks.meta(project.id)
        ctx = await self.builder.build(project, dag, user, after=after, meta=meta)
        after_title = None
        if after is not None:
            from ..dag import block_title

            after_title = block_title(dag.cells[after], getattr(meta.get(after), "title", None))
        messages = generate_messages(ctx.text, body.prompt, after_title, body.language)
        record = {"project_id": project.id, "user": user, "kind": "generate", "prompt": body.prompt, "anchor_block_id": after}
        p = await self._produce(messages, body.provider, emit, record, body.language)
        edges, cycle = self._proposal(dag, (cc.NEW_BLOCK, p.code), after=after)
        c = p.completion
        if cycle is not None:
            gid = await self._record(record, c, p.usage, p.latency_ms, p.attempts, "cycle", p.code, " → ".join(cycle), p.repaired)
            raise self._cycle_error(cycle, p.code, gid)
        gid = await self._record(record, c, p.usage, p.latency_ms, p.attempts, "ok", p.code, None, p.repaired)
        block_id = None
        if body.insert:
            block = await self.services.blocks.insert(project, BlockCreate(source=p.code, after=after))
            block_id = block["id"]
            await self.audit.set_block(gid, block_id)
        self._done(record, p, gid, block_id)
        return {**self._answer(p, gid, ctx, edges, block_id), "after_block_id": after,
                "inserted": block_id is not None, "block_id": block_id}

    async def fix(self, body: FixIn, user: str, emit: Emit | None = None) -> dict[str, Any]:
        """``POST /ai/fix``: corrected code of a block that failed in run ``body.run_id``
        (see :class:`~notebook_dag.ai.models.FixOut`); the block's source is replaced
        when ``body.replace``. Raises NotFound (project, run, block), Unprocessable (the
        block did not fail in that run; syntax), CycleError, provider errors."""
        self.admit(user, body.provider)
        project = await self.services.projects.get(body.project_id, user)
        run = await self.services.runs.get(body.run_id, user)
        if run["project_id"] != project.id:
            raise NotFound(f"run {body.run_id!r} is not a run of this project")
        rb = next((b for b in run["blocks"] if b["block_id"] == body.block_id), None)
        if rb is None:
            raise NotFound(f"block {body.block_id!r} was not part of run {body.run_id!r}")
        if rb["status"] != "failed":
            raise Unprocessable(f"block {body.block_id!r} did not fail in run {body.run_id!r} (it is {rb['status']})",
                                status=rb["status"])
        dag = await self.services.dag.build(project)
        if body.block_id not in dag.cells:
            raise NotFound(f"block {body.block_id!r} is no longer a cell of this notebook", block_id=body.block_id)
        from ..dag import block_title

        meta = await self.services.blocks.meta(project.id)
        original = str(dag.cells[body.block_id].get("source", ""))
        error = error_text(rb)
        ctx = await self.builder.build(project, dag, user, target=body.block_id, meta=meta)
        title = block_title(dag.cells[body.block_id], getattr(meta.get(body.block_id), "title", None))
        shown = original if len(original) <= CODE_CHARS else original[:CODE_CHARS] + "\n# … (cut)"
        messages = fix_messages(ctx.text, title, shown, error, body.hint)
        record = {"project_id": project.id, "user": user, "kind": "fix", "prompt": body.hint or "",
                  "anchor_block_id": body.block_id}
        p = await self._produce(messages, body.provider, emit, record)
        edges, cycle = self._proposal(dag, (body.block_id, p.code), replace=True)
        c = p.completion
        if cycle is not None:
            gid = await self._record(record, c, p.usage, p.latency_ms, p.attempts, "cycle", p.code, " → ".join(cycle), p.repaired)
            raise self._cycle_error(cycle, p.code, gid)
        gid = await self._record(record, c, p.usage, p.latency_ms, p.attempts, "ok", p.code, None, p.repaired)
        if body.replace:
            await self.services.blocks.update(project, body.block_id, BlockUpdate(source=p.code))
            await self.audit.set_block(gid, body.block_id)
        self._done(record, p, gid, body.block_id)
        return {**self._answer(p, gid, ctx, edges, body.block_id), "block_id": body.block_id, "run_id": body.run_id,
                "original_code": original, "error": error, "changed": p.code.strip() != original.strip(),
                "replaced": body.replace}

    async def accept(self, generation_id: str, user: str, apply: bool = False, block_id: str | None = None) -> dict[str, Any]:
        """``POST /ai/generations/{id}/accept``: mark a generation accepted; with
        ``apply`` insert its code after its anchor block (generate) or replace the
        anchor block's source (fix), re-checking the DAG for a cycle first. Raises
        NotFound, Conflict (not an ``ok`` generation, or applied already), CycleError."""
        from ..errors import Conflict

        row = await self.audit.get(generation_id, user)
        if apply:
            if row.status != "ok":
                raise Conflict(f"generation {generation_id} has no usable code ({row.status})", status=row.status)
            if row.block_id is not None:
                raise Conflict(f"generation {generation_id} was applied already (block {row.block_id})", block_id=row.block_id)
            project = await self.services.projects.get(row.project_id, user)
            dag = await self.services.dag.build(project)
            if row.anchor_block_id is not None and row.anchor_block_id not in dag.cells:
                raise NotFound(f"block {row.anchor_block_id!r} is no longer a cell of this notebook")
            if row.kind == "fix":
                _, cycle = self._proposal(dag, (row.anchor_block_id, row.code), replace=True)
            else:
                _, cycle = self._proposal(dag, (cc.NEW_BLOCK, row.code), after=row.anchor_block_id)
            if cycle is not None:
                raise self._cycle_error(cycle, row.code, generation_id)
            if row.kind == "fix":
                await self.services.blocks.update(project, row.anchor_block_id, BlockUpdate(source=row.code))
                block_id = row.anchor_block_id
            else:
                block_id = (await self.services.blocks.insert(project, BlockCreate(source=row.code, after=row.anchor_block_id)))["id"]
        return await self.audit.accept(generation_id, user, block_id)

    async def describe_providers(self) -> dict[str, Any]:
        """``GET /ai/providers`` (see :class:`~notebook_dag.ai.models.ProvidersOut`)."""
        from .providers import HOW_TO_CONFIGURE

        return {
            "providers": self.chain.describe(),
            "fallback_order": [p.name for p in self.chain.providers],
            "timeout": self.chain.timeout,
            "rate_limit": {"requests": self.limiter.limit, "window_seconds": self.limiter.window},
            "configured": bool(self.chain.providers),
            "help": None if self.chain.providers else HOW_TO_CONFIGURE,
        }

    async def health(self) -> dict[str, Any]:
        """``GET /ai/health``: each provider's reachability and latency in ms.
        Raises :class:`Unavailable` (503) when no provider is configured."""
        self.chain.select(None)
        items = await self.chain.health()
        return {"ok": any(i["ok"] for i in items), "providers": items}


    def build_parts(self) -> tuple[ProviderChain, ContextBuilder, SlidingWindowLimiter]:
        """The provider chain, context builder and rate limiter of the configured traits.

        Providers: ``providers``, else the JSON of ``NOTEBOOK_DAG_AI_PROVIDERS``; plus
        jupyter-ai's chosen model when ``use_jupyter_ai`` and its config file exists;
        ordered by ``fallback_order``. Invalid provider configuration is logged and leaves
        the chain empty (the routes then answer 503 saying how to configure)."""
        import os

        from jupyter_core.paths import jupyter_data_dir

        from .providers import order_providers, parse_providers, provider_from_jupyter_ai, providers_from_env
        from .sources import FileDatasets, KernelIntrospector, ServiceDatasets

        log = self.log
        try:
            providers = parse_providers(self.providers) if self.providers else providers_from_env()
            for p in providers:
                if p.api_key is not None and p.source == "config":
                    log.warning("notebook_dag: the API key of AI provider %r is in the server configuration, which "
                                "Jupyter Server logs at debug level; prefer api_key_env (an environment variable)", p.name)
            if self.use_jupyter_ai and not any(p.name == "jupyter-ai" for p in providers):
                path = self.jupyter_ai_config or os.path.join(jupyter_data_dir(), "jupyter_ai", "config.json")
                jai = provider_from_jupyter_ai(path)
                if jai is not None:
                    providers.append(jai)
            providers = order_providers(providers, self.fallback_order)
        except ValueError as e:
            log.error("notebook_dag: AI providers are misconfigured, AI is off: %s", e)
            providers = []
        chain = ProviderChain(providers, timeout=self.timeout, log=log)
        serverapp = getattr(self.parent, "serverapp", None)
        root = getattr(getattr(serverapp, "contents_manager", None), "root_dir", None)
        source = ServiceDatasets(self.services, FileDatasets(root), log)
        builder = ContextBuilder(source, KernelIntrospector(self.services.runs, self.introspection_timeout, log),
                                 self.context_chars)
        if providers:
            log.info("notebook_dag: AI providers %s", ", ".join(f"{p.name} ({p.kind} {p.model})" for p in providers))
        return chain, builder, SlidingWindowLimiter(self.rate_limit, self.rate_window)


def create_ai_service(app: Any, services: Any) -> AIService:
    """The AI service of class ``app.ai_service_class``, configured as ``c.AIService.<trait>``
    (``parent=app``; see :meth:`AIService.build_parts`)."""
    cls = getattr(app, "ai_service_class", AIService)
    return cls(services, log=app.log, parent=app)
