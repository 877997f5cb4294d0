"""REST handlers of the AI routes under ``/notebook-dag/api/ai/``.

``POST /ai/generate`` and ``POST /ai/fix`` answer JSON, or with ``?stream=1`` a
``text/event-stream`` of server-sent events::

    event: chunk    data: {"text": "...", "round": 1}     # model text as it arrives
    event: repair   data: {"error": "line 2: ..."}        # round 2 (the repair) follows
    event: result   data: {...}                           # the same JSON as without stream
    event: error    data: {"status": 422, "message", "reason", ...}

Errors found before the model is called (404, 429, 503 ...) are plain JSON error
answers with their status even when streaming was asked for.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.iostream import StreamClosedError

from ..base_handler import DagAPIHandler
from ..errors import NotebookDagError, status_for
from ..routes import BOOLEAN, STRING, Op, Param, Route, integer
from . import models as am
from .service import AIService


class AIHandler(DagAPIHandler):
    """Base of the AI handlers: the service, ``Retry-After`` on 429, SSE helpers."""

    @property
    def ai(self) -> AIService:
        service = getattr(self.services, "ai", None)
        if service is None:  # the app was built without the AI service
            from ..errors import Unavailable

            raise Unavailable("AI generation is off on this server: its LangChain packages are missing "
                              "(pip install langchain-core langchain-openai langchain-ollama langchain-google-genai); "
                              "the server log says more")
        return service

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, NotebookDagError) and "retry_after" in exc.extra:
            self.set_header("Retry-After", str(exc.extra["retry_after"]))
        super().write_error(status_code, **kwargs)

    def wants_stream(self) -> bool:
        return bool(self.query_bool("stream"))

    async def sse(self, event: str, data: dict[str, Any]) -> None:
        """Write one server-sent event and flush it."""
        if not self._headers_written:
            self.set_header("Content-Type", "text/event-stream; charset=utf-8")
            self.set_header("Cache-Control", "no-cache")
            self.set_header("X-Accel-Buffering", "no")
        self.write(f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n")
        await self.flush()

    async def answer(self, produce: Any, model: type, **kwargs: Any) -> None:
        """Run ``produce(emit=...)`` streaming or not, and answer with ``model``."""
        if not self.wants_stream():
            self.reply(model, await produce(**kwargs))
            return
        started = False

        async def emit(event: str, data: dict[str, Any]) -> None:
            nonlocal started
            started = True
            await self.sse(event, data)

        try:
            result = await produce(emit=emit, **kwargs)
        except NotebookDagError as e:
            if not started:
                raise
            await self._sse_quiet("error", {**e.extra, "status": status_for(e), "message": e.message, "reason": e.reason})
        except StreamClosedError:
            self.log.info("notebook_dag: AI stream closed by the client")
            return
        else:
            await self._sse_quiet("result", json.loads(model.model_validate(result).model_dump_json()))
        if not self._finished:
            self.finish()

    async def _sse_quiet(self, event: str, data: dict[str, Any]) -> None:
        try:
            await self.sse(event, data)
        except StreamClosedError:
            pass


class GenerateHandler(AIHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body(am.GenerateIn)
        await self.answer(self.ai.generate, am.GenerateOut, body=body, user=self.user)


class FixHandler(AIHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.body(am.FixIn)
        await self.answer(self.ai.fix, am.FixOut, body=body, user=self.user)


class ProvidersHandler(AIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(am.ProvidersOut, await self.ai.describe_providers())


class HealthHandler(AIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        self.reply(am.HealthOut, await self.ai.health())


class AcceptHandler(AIHandler):
    @web.authenticated
    @authorized
    async def post(self, generation_id: str) -> None:
        body = self.body(am.AcceptIn)
        self.reply(am.GenerationOut, await self.ai.accept(generation_id, self.user, body.apply, body.block_id))


class GenerationsHandler(AIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        rows = await self.ai.audit.list(
            self.user, self.get_query_argument("project_id", None), self.query_int("limit", 50, 1, 500)
        )
        self.reply(am.GenerationList, {"generations": rows})


_STREAM = Param("stream", BOOLEAN, "answer as a text/event-stream of server-sent events (chunk, repair, result, "
                                   "error) instead of JSON")
_MODEL_ERRORS = (404, 409, 429, 503)  # unknown project/block; block changed; rate limit; no provider answered

#: the AI routes under /ai
ROUTES: tuple[Route, ...] = (
    Route("/ai/generate", GenerateHandler, (
        Op("post", "Generate a block's code from a prompt, Python or (language=sql) a JupySQL %%sql block "
                   "(?stream=1: server-sent events)", response=am.GenerateOut,
           media_type=("application/json", "text/event-stream"), request=am.GenerateIn, errors=_MODEL_ERRORS,
           query=(_STREAM,)),
    )),
    Route("/ai/fix", FixHandler, (
        Op("post", "Correct a block that failed in a run (?stream=1: server-sent events)", response=am.FixOut,
           media_type=("application/json", "text/event-stream"), request=am.FixIn, errors=_MODEL_ERRORS,
           query=(_STREAM,)),
    )),
    Route("/ai/providers", ProvidersHandler, (
        Op("get", "Configured AI providers (a key's presence only, never the key)", response=am.ProvidersOut,
           errors=(503,)),
    )),
    Route("/ai/health", HealthHandler, (
        Op("get", "Reachability and latency of each AI provider", response=am.HealthOut, errors=(503,)),
    )),
    Route("/ai/generations", GenerationsHandler, (
        Op("get", "The user's AI generations, newest first", response=am.GenerationList, errors=(503,), query=(
            Param("project_id", STRING, "only those of this project"),
            Param("limit", integer(1, 500), "at most this many (default 50)"))),
    )),
    Route("/ai/generations/{generation_id}/accept", AcceptHandler, (
        Op("post", "Mark a generation accepted; apply=true inserts or replaces the block", response=am.GenerationOut,
           request=am.AcceptIn, errors=(409, 503)),
    )),
)
