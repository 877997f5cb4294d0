"""A scriptable stub of three model APIs on 127.0.0.1, for real LangChain clients.

Wire formats spoken (enough for ``langchain_openai.ChatOpenAI``,
``langchain_ollama.ChatOllama`` and ``langchain_google_genai.ChatGoogleGenerativeAI``):

- OpenAI: ``POST {tag}/v1/chat/completions`` (JSON, or SSE ``data:`` chunks ending in
  ``[DONE]`` when ``stream`` is true, with a usage chunk when ``stream_options.include_usage``),
  ``GET {tag}/v1/models``.
- Ollama: ``POST {tag}/api/chat`` (NDJSON lines when ``stream`` is true, else one JSON
  object; token counts in ``prompt_eval_count``/``eval_count``), ``GET {tag}/api/tags``.
- Gemini REST: ``POST {tag}/v1beta/models/{model}:generateContent`` and
  ``:streamGenerateContent?alt=sse``, ``GET {tag}/v1beta/models`` (and the same under
  ``/v1``, which newer google-genai clients call).

``tag`` is a free first path segment, so several providers of one kind can point at
the stub and be scripted apart (``base_url=f"{stub.url}/a/v1"``). Each tag has a queue
of :class:`Reply` objects (``stub.script("a", Reply(...), ...)``); an empty queue answers
``stub.default``. The server runs on its own thread and event loop, so a reply that
sleeps never blocks the test's loop. Every request is recorded in ``stub.requests``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from tornado import web
from tornado.httpserver import HTTPServer
from tornado.iostream import StreamClosedError


@dataclass
class Reply:
    """One scripted answer: ``text`` (the assistant message), or an error ``status``
    (500, 429 ...) with ``error`` text; ``delay`` seconds before answering; token counts
    ``usage`` (input, output); ``chunks`` pieces when streamed (default: 3 even pieces)."""

    text: str = "```python\nprint('hello')\n```\nExplanation: prints hello."
    status: int = 200
    error: str = "stub failure"
    delay: float = 0.0
    usage: tuple[int, int] = (11, 7)
    chunks: int = 3

    def pieces(self) -> list[str]:
        n = max(1, min(self.chunks, len(self.text) or 1))
        size = -(-len(self.text) // n) or 1
        return [self.text[i : i + size] for i in range(0, len(self.text), size)] or [""]


@dataclass
class Recorded:
    tag: str
    method: str
    path: str
    headers: dict[str, str]
    body: Any = None


@dataclass
class StubState:
    queues: dict[str, deque[Reply]] = field(default_factory=lambda: defaultdict(deque))
    default: Reply = field(default_factory=Reply)
    requests: list[Recorded] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self, tag: str) -> Reply:
        with self.lock:
            q = self.queues[tag]
            return q.popleft() if q else self.default


class _Base(web.RequestHandler):
    def initialize(self, state: StubState) -> None:
        self.state = state

    def check_xsrf_cookie(self) -> None:  # an API server: no cookies
        pass

    def record(self, tag: str) -> Any:
        body = None
        if self.request.body:
            try:
                body = json.loads(self.request.body)
            except ValueError:
                body = self.request.body.decode(errors="replace")
        with self.state.lock:
            self.state.requests.append(Recorded(tag, self.request.method, self.request.uri, dict(self.request.headers), body))
        return body or {}

    async def reply_for(self, tag: str) -> Reply:
        reply = self.state.next(tag)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        return reply

    def send_json(self, status: int, data: Any) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))

    async def stream_lines(self, content_type: str, lines: list[str]) -> None:
        self.set_header("Content-Type", content_type)
        try:
            for line in lines:
                self.write(line)
                await self.flush()
                await asyncio.sleep(0.005)
        except StreamClosedError:
            return
        self.finish()


class OpenAIChat(_Base):
    async def post(self, tag: str) -> None:
        body = self.record(tag)
        reply = await self.reply_for(tag)
        model = body.get("model", "stub")
        if reply.status != 200:
            kind = "rate_limit_exceeded" if reply.status == 429 else "server_error"
            self.send_json(reply.status, {"error": {"message": reply.error, "type": kind, "code": kind}})
            return
        i, o = reply.usage
        usage = {"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o}
        if not body.get("stream"):
            self.send_json(200, {
                "id": "chatcmpl-stub", "object": "chat.completion", "created": 1700000000, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text}, "finish_reason": "stop"}],
                "usage": usage,
            })
            return

        def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            data = {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
            return f"data: {json.dumps(data)}\n\n"

        lines = [chunk({"role": "assistant", "content": ""})]
        lines += [chunk({"content": p}) for p in reply.pieces()]
        lines.append(chunk({}, "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            lines.append("data: " + json.dumps({"id": "chatcmpl-stub", "object": "chat.completion.chunk",
                                                "created": 1700000000, "model": model, "choices": [], "usage": usage}) + "\n\n")
        lines.append("data: [DONE]\n\n")
        await self.stream_lines("text/event-stream", lines)


class OpenAIModels(_Base):
    async def get(self, tag: str) -> None:
        if self.request.headers.get("x-goog-api-key") or self.get_query_argument("pageSize", None):
            return await GeminiModels.get(self, tag)  # google-genai 3 lists models under /v1 too
        self.record(tag)
        reply = await self.reply_for(tag)
        if reply.status != 200:
            self.send_json(reply.status, {"error": {"message": reply.error, "type": "server_error"}})
            return
        self.send_json(200, {"object": "list", "data": [{"id": "stub-model", "object": "model", "created": 0, "owned_by": "stub"}]})


class OllamaChat(_Base):
    async def post(self, tag: str) -> None:
        body = self.record(tag)
        reply = await self.reply_for(tag)
        model = body.get("model", "stub")
        if reply.status != 200:
            self.send_json(reply.status, {"error": reply.error})
            return
        i, o = reply.usage
        stamp = "2026-01-01T00:00:00Z"
        final = {"model": model, "created_at": stamp, "message": {"role": "assistant", "content": ""}, "done": True,
                 "done_reason": "stop", "total_duration": 1000, "load_duration": 10, "prompt_eval_count": i,
                 "prompt_eval_duration": 10, "eval_count": o, "eval_duration": 10}
        if not body.get("stream", True):
            self.send_json(200, {**final, "message": {"role": "assistant", "content": reply.text}})
            return
        lines = [json.dumps({"model": model, "created_at": stamp, "message": {"role": "assistant", "content": p},
                             "done": False}) + "\n" for p in reply.pieces()]
        lines.append(json.dumps(final) + "\n")
        await self.stream_lines("application/x-ndjson", lines)


class OllamaTags(_Base):
    async def get(self, tag: str) -> None:
        self.record(tag)
        reply = await self.reply_for(tag)
        if reply.status != 200:
            self.send_json(reply.status, {"error": reply.error})
            return
        self.send_json(200, {"models": [{"name": "stub-model", "model": "stub-model", "modified_at": "2026-01-01T00:00:00Z",
                                         "size": 1, "digest": "0" * 12, "details": {}}]})


class GeminiModel(_Base):
    async def post(self, tag: str, model: str, method: str) -> None:
        self.record(tag)
        reply = await self.reply_for(tag)
        if reply.status != 200:
            status = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}.get(reply.status, "UNKNOWN")
            self.send_json(reply.status, {"error": {"code": reply.status, "message": reply.error, "status": status}})
            return
        i, o = reply.usage

        def doc(text: str, last: bool) -> dict[str, Any]:
            d: dict[str, Any] = {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "index": 0}],
                                 "modelVersion": model}
            if last:
                d["candidates"][0]["finishReason"] = "STOP"
                d["usageMetadata"] = {"promptTokenCount": i, "candidatesTokenCount": o, "totalTokenCount": i + o}
            return d

        if method == "generateContent":
            self.send_json(200, doc(reply.text, True))
            return
        pieces = reply.pieces()
        lines = [f"data: {json.dumps(doc(p, k == len(pieces) - 1))}\r\n\r\n" for k, p in enumerate(pieces)]
        await self.stream_lines("text/event-stream", lines)


class GeminiModels(_Base):
    async def get(self, tag: str) -> None:
        self.record(tag)
        reply = await self.reply_for(tag)
        if reply.status != 200:
            self.send_json(reply.status, {"error": {"code": reply.status, "message": reply.error, "status": "INTERNAL"}})
            return
        self.send_json(200, {"models": [{"name": "models/stub-model", "displayName": "stub",
                                         "supportedGenerationMethods": ["generateContent"]}]})


class StubLLM:
    """The stub server; ``start()`` / ``stop()``; ``url`` is ``http://127.0.0.1:PORT``."""

    def __init__(self) -> None:
        self.state = StubState()
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: HTTPServer | None = None

    @property
    def requests(self) -> list[Recorded]:
        return self.state.requests

    @property
    def default(self) -> Reply:
        return self.state.default

    @default.setter
    def default(self, reply: Reply) -> None:
        self.state.default = reply

    def script(self, tag: str, *replies: Reply) -> None:
        """Queue ``replies`` for requests under ``tag``."""
        with self.state.lock:
            self.state.queues[tag].extend(replies)

    def reset(self) -> None:
        with self.state.lock:
            self.state.queues.clear()
            self.state.requests.clear()
            self.state.default = Reply()

    def app(self) -> web.Application:
        s = {"state": self.state}
        tag = r"/(?P<tag>[A-Za-z0-9_-]+)"
        return web.Application([
            (rf"{tag}/v1/chat/completions", OpenAIChat, s),
            (rf"{tag}/v1/models", OpenAIModels, s),
            (rf"{tag}/api/chat", OllamaChat, s),
            (rf"{tag}/api/tags", OllamaTags, s),
            # google-genai calls /v1beta up to 1.x and /v1 since (langchain-google-genai 4)
            (rf"{tag}/v1(?:beta)?/models/(?P<model>[^/:]+):(?P<method>generateContent|streamGenerateContent)",
             GeminiModel, s),
            (rf"{tag}/v1(?:beta)?/models", GeminiModels, s),
        ])

    def start(self) -> StubLLM:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            self._server = HTTPServer(self.app())
            self._server.listen(self.port, address="127.0.0.1")
            loop.call_soon(ready.set)
            loop.run_forever()
            loop.run_until_complete(self._server.close_all_connections())
            loop.close()

        self._thread = threading.Thread(target=run, name="stub-llm", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is None or self._server is None:
            return
        self._loop.call_soon_threadsafe(self._server.stop)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- pytest fixtures shared by the tests/test_ai*.py modules (import them there) ----------

import pytest  # noqa: E402

#: API keys configured in tests; none of them may appear in any answer or log line.
SECRETS = {
    "primary": "sk-test-SECRET-primary-4f9a1c",
    "backup": "sk-test-SECRET-backup-77d2e0",
    "gem": "AIza-test-SECRET-gemini-0b31",
    "local": "ollama-test-SECRET-9e8d",
}


def key_env(name: str) -> str:
    """The environment variable holding the test key of provider ``name``."""
    return f"NBDAG_TEST_KEY_{name.upper()}"


def provider_list(stub: StubLLM) -> list[dict[str, Any]]:
    """The providers of the test server: two OpenAI-compatible, an Ollama, a Gemini;
    keys from environment variables (a key in the configuration would be in Jupyter
    Server's own debug log of its configuration)."""
    return [
        {"name": "primary", "kind": "openai", "model": "gpt-stub-1", "base_url": f"{stub.url}/a/v1", "api_key_env": key_env("primary")},
        {"name": "backup", "kind": "openai", "model": "gpt-stub-2", "base_url": f"{stub.url}/b/v1", "api_key_env": key_env("backup")},
        {"name": "local", "kind": "ollama", "model": "llama-stub", "base_url": f"{stub.url}/l", "api_key_env": key_env("local")},
        {"name": "gem", "kind": "gemini", "model": "gemini-stub", "base_url": f"{stub.url}/g/", "api_key_env": key_env("gem")},
    ]


@pytest.fixture(scope="session")
def stub_server():
    server = StubLLM().start()
    yield server
    server.stop()


@pytest.fixture
def stub(stub_server):
    stub_server.reset()
    yield stub_server
    stub_server.reset()


@pytest.fixture
def ai_settings(request, stub) -> dict[str, Any]:
    """``AIService`` traitlets of the test server; tests change them with
    ``@pytest.mark.parametrize("ai_settings", [{...}], indirect=True)``; the key
    ``jupyter_ai_file`` (not a trait) is the content of jupyter-ai's config.json."""
    settings: dict[str, Any] = {"providers": provider_list(stub), "timeout": 5.0, "rate_limit": 0}
    settings.update(getattr(request, "param", {}))
    jupyter_ai = settings.pop("jupyter_ai_file", None)
    if jupyter_ai is not None:  # written where jupyter-ai keeps it, before the server starts
        path = request.getfixturevalue("jp_data_dir") / "jupyter_ai" / "config.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(jupyter_ai(stub) if callable(jupyter_ai) else jupyter_ai))
    return settings


@pytest.fixture
def jp_server_config(db_url, ai_settings, monkeypatch):
    for var in ("OPENAI_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY", "OLLAMA_API_KEY", "NOTEBOOK_DAG_AI_PROVIDERS",
                "OPENAI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    for name, secret in SECRETS.items():
        monkeypatch.setenv(key_env(name), secret)
    return {
        "ServerApp": {"jpserver_extensions": {"notebook_dag": True}, "allow_unauthenticated_access": False},
        "NotebookDagApp": {"db_url": db_url},
        "AIService": ai_settings,
    }


def fenced(code: str, explanation: str = "It does what was asked.") -> str:
    """A realistic model answer: a short intro, a fenced block, an explanation."""
    return f"Here is the cell:\n\n```python\n{code}\n```\n\nExplanation: {explanation}"


def parse_sse(text: str) -> list[tuple[str, Any]]:
    """``[(event, data)]`` of a ``text/event-stream`` body."""
    events = []
    for block in text.split("\n\n"):
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events
