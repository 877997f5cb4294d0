"""A test identity provider: token authentication as usual, then the username is taken
from the ``X-Test-User`` header, so one test server can serve several named users the
way JupyterHub's identity provider does."""

from __future__ import annotations

import dataclasses

from jupyter_core.utils import ensure_async
from jupyter_server.auth.identity import IdentityProvider


class HeaderIdentityProvider(IdentityProvider):
    async def get_user(self, handler):
        user = await ensure_async(super().get_user(handler))
        if user is None:
            return None
        name = handler.request.headers.get("X-Test-User", "alice")
        return dataclasses.replace(user, username=name, name=name, display_name=name)


def named_users_config(db_url: str) -> dict:
    """``jp_server_config`` of a test server whose users are named by ``X-Test-User``."""
    return {
        "ServerApp": {
            "jpserver_extensions": {"notebook_dag": True},
            "allow_unauthenticated_access": False,
            "identity_provider_class": "identity.HeaderIdentityProvider",
        },
        "NotebookDagApp": {"db_url": db_url},
    }


class As:
    """The notebook_dag API as one named user (through ``jp_fetch``); ``call`` never
    raises on HTTP errors and returns ``(status, decoded JSON or None)``."""

    def __init__(self, fetch, user):
        self.fetch, self.user = fetch, user

    async def call(self, method, path, body=None, headers=None, **params):
        import json

        kwargs = {"method": method, "raise_error": False, "headers": {"X-Test-User": self.user, **(headers or {})},
                  "request_timeout": 120}
        if body is not None:
            kwargs["body"] = json.dumps(body)
        elif method in ("POST", "PATCH", "PUT"):
            kwargs["body"] = b""
        if params:
            kwargs["params"] = params
        resp = await self.fetch("notebook-dag", "api", *path.split("/"), **kwargs)
        return resp.code, (json.loads(resp.body) if resp.body else None)

    async def ok(self, method, path, body=None, expect=200, **params):
        """``call`` that asserts the status and returns the body."""
        code, out = await self.call(method, path, body, **params)
        assert code == expect, (method, path, code, out)
        return out

    async def run(self, project_id, timeout=120, **body):
        """Start a run as this user and wait until it ends; returns the finished run."""
        import asyncio
        import time

        from conftest import TERMINAL

        started = await self.ok("POST", f"projects/{project_id}/runs", body or {"mode": "all"}, expect=202)
        deadline = time.monotonic() + timeout
        while True:
            run = await self.ok("GET", f"runs/{started['id']}")
            if run["status"] in TERMINAL:
                return run
            assert time.monotonic() < deadline, f"run still {run['status']} after {timeout}s"
            await asyncio.sleep(0.1)
