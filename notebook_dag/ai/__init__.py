"""AI generation of blocks: prompts to code through LangChain chat models, with the
project's datasets, upstream names and DAG as context, checked before it is returned.

Modules: :mod:`.providers` (chat models, fallback chain, health), :mod:`.context` and
:mod:`.sources` (the bounded context), :mod:`.prompts` (template files),
:mod:`.codecheck` (fences, syntax, cycles), :mod:`.ratelimit`, :mod:`.audit` (records
in the database), :mod:`.service` and :mod:`.handlers` (routes under ``/ai``).
"""
