"""Notifications of AI generations: a generation or fix that took at least
NotificationService.ai_threshold seconds notifies who asked (through the stub LLM of
stub_llm.py)."""

from __future__ import annotations

import pytest

from conftest import write_notebook
from stub_llm import SECRETS, Reply, ai_settings, fenced, jp_server_config, stub, stub_server  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore:coroutine 'ClientResponse.json' was never awaited:RuntimeWarning")


async def test_generation_notifies_who_asked_above_the_threshold(api, jp_root_dir, jp_serverapp, stub):
    notifications = jp_serverapp.web_app.settings["notebook_dag_services"].notifications
    write_notebook(jp_root_dir, "ai.ipynb", ["x = 1"])
    p = await api.project("ai.ipynb")
    stub.script("a", Reply(fenced("y = x + 1")))
    assert notifications.ai_threshold == 20, "a quick answer the user waits for is no news"
    await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "add one"})
    await notifications.drain()
    assert (await api.ok("GET", "notifications"))["total"] == 0

    notifications.ai_threshold = 0
    stub.script("a", Reply(fenced("z = x + 2")))
    out = await api.ok("POST", "ai/generate", {"project_id": p["id"], "prompt": "add two", "insert": True})
    await notifications.drain()
    page = await api.ok("GET", "notifications")
    assert page["total"] == 1
    n = page["notifications"][0]
    assert (n["kind"], n["level"], n["title"]) == ("ai", "success", "AI generation finished")
    assert n["target"] == {"project_id": p["id"], "block_id": out["block_id"]}
