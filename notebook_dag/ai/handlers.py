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

from ..errors import NotebookDagError, status_for
from ..handlers import API, DagAPIHandler
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
        self.reply(am.ProvidersOut, await self.ai.providers())


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


def ai_routes() -> list[tuple[str, type[DagAPIHandler]]]:
    """``(url pattern, handler)`` pairs of the AI routes."""
    gid = r"(?P<generation_id>[A-Za-z0-9_.\-]+)"
    return [
        (rf"{API}/ai/generate", GenerateHandler),
        (rf"{API}/ai/fix", FixHandler),
        (rf"{API}/ai/providers", ProvidersHandler),
        (rf"{API}/ai/health", HealthHandler),
        (rf"{API}/ai/generations", GenerationsHandler),
        (rf"{API}/ai/generations/{gid}/accept", AcceptHandler),
    ]

