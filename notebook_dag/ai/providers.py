"""Model providers behind LangChain chat models, an ordered fallback chain and health.

A provider is a :class:`ProviderConfig`: ``kind`` ``openai`` (``ChatOpenAI``, also any
OpenAI-compatible server by ``base_url``), ``ollama`` (``ChatOllama``) or ``gemini``
(``ChatGoogleGenerativeAI``; ``base_url`` points it at another endpoint, the Gemini
REST API is then spoken there). API keys come from the configuration or from the
environment (``api_key_env``, default per kind in :data:`KEY_ENV`); they are held as
pydantic ``SecretStr`` (``repr`` masked), never logged and never returned: the API
shows only whether a key is present, and error messages from providers pass through
:meth:`ProviderChain.redact` before they are logged or answered.

The chain tries providers in order, each with the per-request timeout; a provider that
is down, times out, is rate-limited or answers any error is recorded in ``attempts``
(with its error kind) and the next one is tried. A hand-written loop rather than
``Runnable.with_fallbacks``: each answer must name the provider and model that gave it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from ..errors import BadRequest, TooManyRequests, Unavailable

Kind = Literal["openai", "ollama", "gemini"]

#: Environment variables read for a provider's key when ``api_key`` is not configured.
KEY_ENV: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "gemini": ("GOOGLE_API_KEY", "GEMINI_API_KEY"),
    "ollama": ("OLLAMA_API_KEY",),
}

HOW_TO_CONFIGURE = (
    "No AI provider is configured. Add one to c.AIService.providers in "
    "jupyter_server_config.py, e.g. [{\"name\": \"openai\", \"kind\": \"openai\", \"model\": \"gpt-4o-mini\"}] "
    "with OPENAI_API_KEY in the environment; kind \"gemini\" reads GOOGLE_API_KEY, kind \"ollama\" "
    "needs only \"base_url\" (default http://127.0.0.1:11434); \"base_url\" also points kind \"openai\" "
    "at any OpenAI-compatible server. The same list may be given as JSON in the "
    "NOTEBOOK_DAG_AI_PROVIDERS environment variable, and a model chosen in jupyter-ai is used when "
    "its config.json exists."
)


class ProviderConfig(BaseModel):
    """One configured provider. ``name`` is unique and is what requests and the
    fallback order refer to; ``source`` says where it came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    kind: Kind
    model: str = Field(min_length=1, max_length=200)
    base_url: str | None = None
    api_key: SecretStr | None = None
    api_key_env: str | None = None
    temperature: float | None = 0.2
    max_tokens: int | None = None
    source: Literal["config", "env", "jupyter-ai"] = "config"

    def key(self) -> SecretStr | None:
        """The API key: configured, else from ``api_key_env`` or the kind's variables."""
        if self.api_key is not None and self.api_key.get_secret_value():
            return self.api_key
        for var in ((self.api_key_env,) if self.api_key_env else KEY_ENV[self.kind]):
            value = os.environ.get(var)
            if value:
                return SecretStr(value)
        return None

    def problem(self) -> str | None:
        """Why the provider cannot be used as configured (a missing key), else None."""
        if self.kind == "gemini" and self.key() is None:
            return f"no API key: set {self.api_key_env or 'GOOGLE_API_KEY'} or api_key"
        if self.kind == "openai" and self.key() is None and not self.base_url:
            return f"no API key: set {self.api_key_env or 'OPENAI_API_KEY'} or api_key (or base_url for a keyless server)"
        return None

    def public(self) -> dict[str, Any]:
        """What ``GET /ai/providers`` shows: no key, only whether one is present."""
        return {
            "name": self.name,
            "kind": self.kind,
            "model": self.model,
            "base_url": self.base_url,
            "key_present": self.key() is not None,
            "source": self.source,
            "ready": self.problem() is None,
            "problem": self.problem(),
        }


def parse_providers(items: Sequence[dict[str, Any]], source: str = "config") -> list[ProviderConfig]:
    """Validate provider dicts (traitlet or environment JSON) into configs.
    Raises ``ValueError`` for an invalid entry or a repeated name."""
    out: list[ProviderConfig] = []
    for i, item in enumerate(items):
        try:
            cfg = ProviderConfig.model_validate({"source": source, **dict(item)})
        except Exception as e:  # pydantic's message names the field, never the value of a SecretStr
            raise ValueError(f"AIService.providers[{i}] is invalid: {e}") from None
        if any(p.name == cfg.name for p in out):
            raise ValueError(f"AIService.providers: the name {cfg.name!r} is used twice")
        out.append(cfg)
    return out


def providers_from_env(var: str = "NOTEBOOK_DAG_AI_PROVIDERS") -> list[ProviderConfig]:
    """Providers given as a JSON list in environment variable ``var`` (empty if unset).
    Raises ``ValueError`` when it is not a JSON list of provider objects."""
    raw = os.environ.get(var, "").strip()
    if not raw:
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        raise ValueError(f"{var} is not valid JSON") from None
    if not isinstance(items, list):
        raise ValueError(f"{var} must be a JSON list of provider objects")
    return parse_providers(items, "env")


_JAI_KINDS = {
    "openai": "openai", "openai-chat": "openai", "openai-chat-custom": "openai", "azure-chat-openai": None,
    "ollama": "ollama", "gemini": "gemini", "google": "gemini", "google-genai": "gemini", "vertex_ai": None,
}
_JAI_URL_FIELDS = ("openai_api_base", "base_url", "api_base", "endpoint")


def provider_from_jupyter_ai(path: str) -> ProviderConfig | None:
    """The model chosen in jupyter-ai, read from its ``config.json`` at ``path``
    (``<jupyter data dir>/jupyter_ai/config.json``), as a provider named ``jupyter-ai``.

    ``model_provider_id`` is ``provider:model`` (jupyter-ai 2, e.g. ``openai-chat:gpt-4o``)
    or ``provider/model`` (jupyter-ai 3); the key comes from its ``api_keys``, the
    endpoint from its per-model ``fields`` (``openai_api_base``/``base_url``). None when
    the file is missing or unreadable or names a provider kind not supported here.
    Works whether or not jupyter-ai is installed.
    """
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(config, dict):
        return None
    model_id = config.get("model_provider_id") or config.get("chat_model") or ""
    if not isinstance(model_id, str):
        return None
    sep = ":" if ":" in model_id else "/"
    prefix, _, model = model_id.partition(sep)
    kind = _JAI_KINDS.get(prefix)
    if not kind or not model:
        return None
    fields = (config.get("fields") or {}).get(model_id) or {}
    base_url = next((fields[k] for k in _JAI_URL_FIELDS if isinstance(fields.get(k), str) and fields[k]), None)
    keys = config.get("api_keys") or {}
    key = next((keys[v] for v in KEY_ENV[kind] if isinstance(keys.get(v), str) and keys[v]), None)
    return ProviderConfig(
        name="jupyter-ai", kind=kind, model=model, base_url=base_url,
        api_key=SecretStr(key) if key else None, source="jupyter-ai",
    )


def order_providers(providers: list[ProviderConfig], order: Sequence[str]) -> list[ProviderConfig]:
    """``providers`` sorted by the names in ``order`` first (in that order), then the
    rest in their configured order. Raises ``ValueError`` for a name in ``order`` that
    names no provider."""
    by_name = {p.name: p for p in providers}
    unknown = [n for n in order if n not in by_name]
    if unknown:
        raise ValueError(f"ai_fallback_order names unknown providers: {', '.join(unknown)}")
    first = [by_name[n] for n in dict.fromkeys(order)]
    return first + [p for p in providers if p.name not in order]


def build_chat_model(cfg: ProviderConfig, timeout: float) -> Any:
    """A LangChain chat model for ``cfg`` with client timeout ``timeout`` seconds and no
    client-side retries (the chain falls back instead). Raises ``ImportError`` when the
    provider's LangChain package is not installed."""
    key = cfg.key()
    if cfg.kind == "openai":
        import httpx
        from langchain_openai import ChatOpenAI

        # an HTTP client of its own: langchain-openai's shared default one is bound to
        # the event loop that first used it
        return ChatOpenAI(
            model=cfg.model, api_key=key or SecretStr("not-needed"), base_url=cfg.base_url,
            timeout=timeout, max_retries=0, temperature=cfg.temperature, max_tokens=cfg.max_tokens,
            stream_usage=True, http_async_client=httpx.AsyncClient(timeout=timeout),
        )
    if cfg.kind == "ollama":
        from langchain_ollama import ChatOllama

        client_kwargs: dict[str, Any] = {"timeout": timeout}
        if key is not None:
            client_kwargs["headers"] = {"Authorization": f"Bearer {key.get_secret_value()}"}
        return ChatOllama(
            model=cfg.model, base_url=cfg.base_url or "http://127.0.0.1:11434", temperature=cfg.temperature,
            num_predict=cfg.max_tokens, client_kwargs=client_kwargs,
        )
    from langchain_google_genai import ChatGoogleGenerativeAI

    # max_retries=1 is "no retry" for the google-genai SDK (0 means its default of 5).
    return ChatGoogleGenerativeAI(
        model=cfg.model, google_api_key=key, base_url=cfg.base_url, timeout=timeout, max_retries=1,
        temperature=cfg.temperature, max_output_tokens=cfg.max_tokens,
    )


def classify(exc: BaseException) -> str:
    """Kind of a provider failure: ``timeout``, ``rate_limited``, ``unavailable``
    (connection refused, HTTP 5xx), ``missing_package`` or ``error`` (anything else)."""
    from langchain_core import exceptions as lce

    def kinds(*names: str) -> tuple[type, ...]:  # the unified ModelError classes of recent langchain-core
        return tuple(c for n in names if isinstance(c := getattr(lce, n, None), type))

    if isinstance(exc, (asyncio.TimeoutError, TimeoutError, *kinds("ModelTimeoutError"))):
        return "timeout"
    if isinstance(exc, ImportError):
        return "missing_package"
    if isinstance(exc, kinds("ModelRateLimitError")):
        return "rate_limited"
    status = None
    for attr in ("status_code", "code", "status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            status = value
            break
    name = type(exc).__name__.lower()
    if status == 429 or "ratelimit" in name or "resource_exhausted" in str(exc).lower():
        return "rate_limited"
    if "timeout" in name:
        return "timeout"
    if isinstance(exc, (*kinds("ModelAPIError", "ModelConnectionError"), ConnectionError)) or (status or 0) >= 500:
        return "unavailable"
    if "connect" in name:
        return "unavailable"
    return "error"


@dataclass
class Completion:
    """A model answer: ``text``; the ``provider`` (name) and ``model`` that gave it;
    ``usage`` ``{"input_tokens", "output_tokens", "total_tokens"}`` when reported;
    ``latency_ms`` of the successful call; ``attempts`` one dict per provider tried
    (``provider``, ``model``, ``ok``, ``error_kind``, ``message``, ``latency_ms``)."""

    text: str
    provider: str
    model: str
    usage: dict[str, int] | None
    latency_ms: int
    attempts: list[dict[str, Any]] = field(default_factory=list)


def _usage(message: Any) -> dict[str, int] | None:
    meta = getattr(message, "usage_metadata", None)
    if not meta:
        return None
    return {k: int(meta.get(k) or 0) for k in ("input_tokens", "output_tokens", "total_tokens")}


def _text(message: Any) -> str:
    text = getattr(message, "text", None)
    if isinstance(text, str):  # a property in langchain-core 1.x
        return str(text)
    if callable(text):  # older langchain-core: a method
        text = text()
        if isinstance(text, str):
            return text
    content = getattr(message, "content", "")
    return content if isinstance(content, str) else "".join(
        c.get("text", "") if isinstance(c, dict) else str(c) for c in content
    )


class ProviderChain:
    """Ordered providers with fallback, per-request ``timeout`` (seconds, per provider
    attempt) and health checks. Chat models are built once per provider and reused."""

    def __init__(self, providers: list[ProviderConfig], timeout: float = 60.0, log: logging.Logger | None = None) -> None:
        self.providers = providers
        self.timeout = timeout
        self.log = log or logging.getLogger("notebook_dag.ai")
        self._models: dict[str, Any] = {}

    async def aclose(self) -> None:
        """Close the HTTP clients of the chat models built so far (server stop)."""
        for chat in list(self._models.values()):
            client = getattr(chat, "http_async_client", None)
            if client is not None:
                await client.aclose()
        self._models.clear()

    def describe(self) -> list[dict[str, Any]]:
        """Public description of every provider, in fallback order."""
        return [p.public() for p in self.providers]

    def secrets(self) -> list[str]:
        """Every key value in use (to redact); never returned by the API."""
        return [k.get_secret_value() for p in self.providers if (k := p.key()) is not None]

    def redact(self, text: str) -> str:
        """``text`` with every configured key replaced by ``***``."""
        for secret in self.secrets():
            if secret:
                text = text.replace(secret, "***")
        return text

    def select(self, name: str | None = None) -> list[ProviderConfig]:
        """Providers to try: all, in fallback order; only ``name`` when given.
        Raises :class:`Unavailable` (none configured) or :class:`BadRequest` (unknown name)."""
        if not self.providers:
            raise Unavailable(HOW_TO_CONFIGURE)
        if name is None:
            return list(self.providers)
        chosen = [p for p in self.providers if p.name == name]
        if not chosen:
            raise BadRequest(
                f"unknown AI provider {name!r}; configured: {', '.join(p.name for p in self.providers)}"
            )
        return chosen

    def model(self, cfg: ProviderConfig) -> Any:
        """The (cached) LangChain chat model of ``cfg``."""
        chat = self._models.get(cfg.name)
        if chat is None:
            chat = self._models[cfg.name] = build_chat_model(cfg, self.timeout)
        return chat

    def _failed(self, cfg: ProviderConfig, exc: BaseException, started: float) -> dict[str, Any]:
        kind = classify(exc)
        message = self.redact(str(exc) or type(exc).__name__)[:500]
        if kind == "timeout":
            message = f"no answer within {self.timeout:g} s"
        self.log.warning("notebook_dag: AI provider %s (%s) failed: %s: %s", cfg.name, cfg.model, kind, message)
        return {"provider": cfg.name, "model": cfg.model, "ok": False, "error_kind": kind, "message": message,
                "latency_ms": int((time.monotonic() - started) * 1000)}

    def _give_up(self, attempts: list[dict[str, Any]]) -> Exception:
        detail = "; ".join(f"{a['provider']}: {a['error_kind']} ({a['message']})" for a in attempts)
        if attempts and all(a["error_kind"] == "rate_limited" for a in attempts):
            return TooManyRequests(f"every AI provider is rate-limited: {detail}", attempts=attempts, retry_after=30)
        return Unavailable(f"no AI provider answered: {detail}", attempts=attempts)

    async def ainvoke(self, messages: list[Any], provider: str | None = None) -> Completion:
        """The first answer of the providers to try (see :meth:`select`).

        Raises :class:`Unavailable` (503, with ``attempts``) when every provider failed,
        :class:`TooManyRequests` (429) when every one of them was rate-limited."""
        attempts: list[dict[str, Any]] = []
        for cfg in self.select(provider):
            if (problem := cfg.problem()) is not None:
                attempts.append({"provider": cfg.name, "model": cfg.model, "ok": False, "error_kind": "not_configured",
                                 "message": problem, "latency_ms": 0})
                continue
            started = time.monotonic()
            try:
                answer = await asyncio.wait_for(self.model(cfg).ainvoke(messages), self.timeout)
            except Exception as e:  # noqa: BLE001 - every failure falls back to the next provider
                attempts.append(self._failed(cfg, e, started))
                continue
            latency = int((time.monotonic() - started) * 1000)
            attempts.append({"provider": cfg.name, "model": cfg.model, "ok": True, "error_kind": None,
                             "message": None, "latency_ms": latency})
            return Completion(_text(answer), cfg.name, cfg.model, _usage(answer), latency, attempts)
        raise self._give_up(attempts)

    async def astream(self, messages: list[Any], provider: str | None = None) -> AsyncIterator[str | Completion]:
        """Stream the answer: yields text chunks (``str``), then one :class:`Completion`.

        Falls back to the next provider as long as nothing was yielded; a failure after
        the first chunk raises :class:`Unavailable`. The timeout bounds each provider's
        whole answer. Raises like :meth:`ainvoke` when every provider failed."""
        attempts: list[dict[str, Any]] = []
        for cfg in self.select(provider):
            if (problem := cfg.problem()) is not None:
                attempts.append({"provider": cfg.name, "model": cfg.model, "ok": False, "error_kind": "not_configured",
                                 "message": problem, "latency_ms": 0})
                continue
            started = time.monotonic()
            deadline = started + self.timeout
            total: Any = None
            emitted = False
            stream = self.model(cfg).astream(messages).__aiter__()
            try:
                while True:
                    try:
                        chunk = await asyncio.wait_for(stream.__anext__(), max(0.001, deadline - time.monotonic()))
                    except StopAsyncIteration:
                        break
                    total = chunk if total is None else total + chunk
                    text = _text(chunk)
                    if text:
                        emitted = True
                        yield text
            except Exception as e:  # noqa: BLE001
                attempts.append(self._failed(cfg, e, started))
                await _aclose(stream)
                if emitted:
                    raise Unavailable(f"the answer of {cfg.name} broke off: {attempts[-1]['message']}",
                                      attempts=attempts) from None
                continue
            except BaseException:  # closed by the consumer (client gone) or cancelled
                await _aclose(stream)
                raise
            latency = int((time.monotonic() - started) * 1000)
            attempts.append({"provider": cfg.name, "model": cfg.model, "ok": True, "error_kind": None,
                             "message": None, "latency_ms": latency})
            yield Completion(_text(total) if total is not None else "", cfg.name, cfg.model, _usage(total), latency, attempts)
            return
        raise self._give_up(attempts)

    async def health(self, timeout: float | None = None) -> list[dict[str, Any]]:
        """Reachability of every provider, checked concurrently by the cheapest
        authenticated call of its API (listing models). One dict per provider:
        ``name``, ``kind``, ``model``, ``ok``, ``latency_ms`` (int, ms), ``error``."""
        limit = min(self.timeout, 10.0) if timeout is None else timeout
        return list(await asyncio.gather(*(self._check(cfg, limit) for cfg in self.providers)))

    async def _check(self, cfg: ProviderConfig, limit: float) -> dict[str, Any]:
        out: dict[str, Any] = {"name": cfg.name, "kind": cfg.kind, "model": cfg.model, "ok": False,
                               "latency_ms": None, "error": cfg.problem()}
        if out["error"]:
            return out
        started = time.monotonic()
        try:
            await asyncio.wait_for(_list_models(self.model(cfg), cfg.kind), limit)
        except Exception as e:  # noqa: BLE001
            kind = classify(e)
            out["error"] = f"{kind}: " + (f"no answer within {limit:g} s" if kind == "timeout" else self.redact(str(e))[:300])
        else:
            out["ok"] = True
        out["latency_ms"] = int((time.monotonic() - started) * 1000)
        return out


async def _list_models(chat: Any, kind: str) -> None:
    if kind == "openai":
        await chat.root_async_client.models.list()
    elif kind == "ollama":
        await chat._async_client.list()
    else:
        await chat.client.aio.models.list(config={"page_size": 1})


async def _aclose(stream: Any) -> None:
    close = getattr(stream, "aclose", None)
    if close is not None:
        try:
            await close()
        except Exception:  # noqa: BLE001 - closing a broken stream
            pass
