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
