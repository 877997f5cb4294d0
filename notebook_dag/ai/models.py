"""Pydantic models of the AI routes (requests strict, unknown fields refused)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..models import reject_nul


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    _no_nul = model_validator(mode="before")(reject_nul)


class GenerateIn(_Input):
    project_id: str = Field(min_length=1, max_length=64)
    prompt: str = Field(min_length=1, max_length=4000)
    after_block_id: str | None = Field(default=None, description="insert after this cell; the end when absent")
    insert: bool = Field(default=False, description="insert the block at once (marks the generation accepted)")
    provider: str | None = Field(default=None, description="use only this provider (by name); the fallback chain when absent")
    language: Literal["python", "sql"] = Field(
        default="python",
        description='"sql": ask for a SQL block, a JupySQL `%%sql <name>= <<` cell (DuckDB) over the project\'s '
        "datasets (as tables) and DataFrames; an answer without the magic line gets `%%sql result= <<`",
    )


class FixIn(_Input):
    project_id: str = Field(min_length=1, max_length=64)
    block_id: str = Field(min_length=1, max_length=64)
    run_id: str = Field(min_length=1, max_length=64)
    replace: bool = Field(default=False, description="replace the block's source at once (marks it accepted)")
    hint: str | None = Field(default=None, max_length=2000, description="an optional note from the user")
    provider: str | None = None


class AcceptIn(_Input):
    apply: bool = Field(
        default=False,
        description="generate: insert the code after the block it was generated for; fix: replace the "
        "block's source. Without it the generation is only marked accepted (the client applied it).",
    )
    block_id: str | None = Field(default=None, description="the block the client put the code into")


class Usage(BaseModel):
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None


class Attempt(BaseModel):
    provider: str
    model: str
    ok: bool
    error_kind: str | None = None
    message: str | None = None
    latency_ms: int = 0


class ProposedEdgeOut(BaseModel):
    source: str = Field(description="a block id, or \"<new>\" for the proposed block when not inserted")
    target: str
    names: list[str] = Field(default_factory=list)


class ContextSummary(BaseModel):
    chars: int
    truncated: bool
    names_source: Literal["kernel", "static"]
    datasets: list[str] = Field(default_factory=list)
    names: list[str] = Field(default_factory=list)


class _Answer(BaseModel):
    generation_id: str = Field(description="audit record id; POST /ai/generations/{id}/accept")
    code: str
    explanation: str
    provider: str
    model: str
    reads: list[str] = Field(default_factory=list)
    defines: list[str] = Field(default_factory=list)
    edges: list[ProposedEdgeOut] = Field(default_factory=list, description="inferred edges of the block")
    repaired: bool = Field(description="the first answer did not parse and was repaired by a second call")
    usage: Usage | None = None
    latency_ms: int
    attempts: list[Attempt] = Field(default_factory=list)
    context: ContextSummary


class GenerateOut(_Answer):
    after_block_id: str | None = None
    inserted: bool = False
    block_id: str | None = Field(default=None, description="the inserted block, when insert was true")


class FixOut(_Answer):
    block_id: str
    run_id: str
    original_code: str
    error: str = Field(description="the error text sent to the model")
    changed: bool
    replaced: bool = False


class ProviderOut(BaseModel):
    name: str
    kind: Literal["openai", "ollama", "gemini"]
    model: str
    base_url: str | None = None
    key_present: bool
    source: str
    ready: bool
    problem: str | None = None


class ProvidersOut(BaseModel):
    providers: list[ProviderOut]
    fallback_order: list[str]
    timeout: float
    rate_limit: dict[str, Any]
    configured: bool
    help: str | None = Field(default=None, description="how to configure a provider, when none is")


class HealthItem(BaseModel):
    name: str
    kind: str
    model: str
    ok: bool
    latency_ms: int | None = None
    error: str | None = None


class HealthOut(BaseModel):
    ok: bool = Field(description="at least one provider is reachable")
    providers: list[HealthItem]


class GenerationOut(BaseModel):
    id: str
    project_id: str
    user: str
    kind: Literal["generate", "fix"]
    prompt: str
    provider: str | None
    model: str | None
    usage: Usage | None
    latency_ms: int | None
    status: str
    error: str | None
    repaired: bool
    attempts: list[Attempt]
    anchor_block_id: str | None = None
    block_id: str | None
    accepted: bool
    accepted_at: datetime | None
    created_at: datetime


class GenerationList(BaseModel):
    generations: list[GenerationOut]

