"""The configuration of :class:`~notebook_dag.ai.service.AIService` (``c.AIService.<trait>``)."""

from __future__ import annotations

from traitlets import Bool, Dict, Float, Int, List, Unicode
from traitlets.config import LoggingConfigurable


class AISettings(LoggingConfigurable):
    """The configurable traits of the AI service; configure them as ``c.AIService.<trait>``
    (a subclass reads its parents' sections too)."""

    providers = List(
        Dict(),
        help="AI providers in fallback order, each {'name', 'kind': 'openai'|'ollama'|'gemini', 'model', "
        "'base_url'?, 'api_key'?, 'api_key_env'?, 'temperature'?, 'max_tokens'?}. Keys default to "
        "OPENAI_API_KEY / GOOGLE_API_KEY / OLLAMA_API_KEY from the environment. When empty, the JSON "
        "list in the NOTEBOOK_DAG_AI_PROVIDERS environment variable is used.",
    ).tag(config=True)
    fallback_order = List(
        Unicode(), help="Provider names tried first, in this order (the others follow in configured order)."
    ).tag(config=True)
    timeout = Float(60.0, help="Seconds one AI provider may take for one answer before the next is tried.").tag(config=True)
    rate_limit = Int(20, help="AI requests per user within rate_window seconds; 0 disables the limit.").tag(config=True)
    rate_window = Float(60.0, help="Length of the AI rate-limit sliding window, in seconds.").tag(config=True)
    context_chars = Int(6000, help="Character budget of the project context sent to the model.").tag(config=True)
    introspection_timeout = Float(
        2.0, help="Seconds to wait for the project's kernel to report variable types for the AI context."
    ).tag(config=True)
    use_jupyter_ai = Bool(True, help="Offer the model chosen in jupyter-ai (its config.json) as a provider.").tag(config=True)
    jupyter_ai_config = Unicode(
        "", help="Path of jupyter-ai's config.json; default <jupyter data dir>/jupyter_ai/config.json."
    ).tag(config=True)
