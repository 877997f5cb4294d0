"""Credentials of kernels: what ``notebook_dag.load()`` in a kernel may use, and nothing more.

No database URL, password or object-storage secret ever reaches a kernel. Every kernel
the server starts (project kernels, parallel worker kernels, and the notebook sessions
JupyterLab starts alike: all go through the server's ``MappingKernelManager.start_kernel``,
which :func:`install` wraps) gets two environment variables instead:

- ``NOTEBOOK_DAG_API_URL``: the server's loopback URL with its ``base_url``
  (``http://127.0.0.1:8888/``), absent when the server listens on a UNIX socket;
- ``NOTEBOOK_DAG_KERNEL_TOKEN``: ``ndk1.<payload>.<signature>``, an HMAC-SHA256-signed
  token naming the user the kernel was started for, the scope ``datasets:read`` and an
  expiry (``KernelTokens.lifetime`` seconds, 12 h by default). A kernel
  that restarts (by a user or after it died) gets a fresh token, through jupyter_client's
  ``KernelManager.update_env`` just before the restart.

The signing key is random and held in the server's memory only, so tokens die with the
server (and its kernels). The token is accepted by the kernel dataset routes
(``/notebook-dag/api/kernel/...``, header ``Authorization: notebook-dag-kernel <token>``)
and nowhere else: it is no Jupyter token, so every other route answers 403 to it.

The user of a kernel is the one in :data:`kernel_user` when the kernel starts (a run
sets it to the user who started the run); kernels started by Jupyter itself belong to
the server's owner: ``NotebookDagApp.local_user`` on a personal server, the
``JUPYTERHUB_USER`` on a JupyterHub single-user server, nobody (no token) otherwise.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from traitlets import Float
from traitlets.config import LoggingConfigurable

from jupyter_core.utils import ensure_async

from .kernel_api import ENV_API_URL, ENV_DB_URL, ENV_PROJECT, ENV_STORAGE_OPTIONS, ENV_TOKEN

#: the HTTP ``Authorization`` scheme of kernel tokens
SCHEME = "notebook-dag-kernel"
SCOPE_DATASETS_READ = "datasets:read"
#: environment variables that must never reach a kernel, even when the server's own
#: environment has them (set by an administrator, or by an older notebook_dag)
NEVER_IN_KERNELS = (ENV_DB_URL, ENV_STORAGE_OPTIONS)
_PREFIX = "ndk1"

#: ``(user, project id or None)`` the kernels started in this context belong to
kernel_user: contextvars.ContextVar[tuple[str, str | None] | None] = contextvars.ContextVar(
    "notebook_dag_kernel_user", default=None)


class InvalidToken(Exception):
    """A kernel token that is malformed, forged, expired or of another scope."""


@dataclass(frozen=True)
class KernelIdentity:
    """What a valid token says: the user, its scopes, and when it expires (epoch seconds)."""

    user: str
    scopes: tuple[str, ...]
    expires: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KernelTokens(LoggingConfigurable):
    """Issues and checks kernel tokens with a random key of this process.

    ``lifetime`` is in seconds (``c.KernelTokens.lifetime``; a keyword argument overrides
    the configuration); ``clock`` returns epoch seconds (a test may pass its own).
    """

    lifetime = Float(
        12 * 3600.0,
        help="Seconds a kernel's NOTEBOOK_DAG_KERNEL_TOKEN stays valid (the token notebook_dag.load() "
        "reads datasets with, scoped to the user the kernel was started for); a restart of the kernel "
        "gives it a new one. Kernels never receive the database URL or any credential of it.",
    ).tag(config=True)

    def __init__(self, clock: Callable[[], float] = time.time, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self._key = secrets.token_bytes(32)

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, f"{_PREFIX}.{payload}".encode(), hashlib.sha256).digest())

    def issue(self, user: str, scopes: tuple[str, ...] = (SCOPE_DATASETS_READ,)) -> str:
        """A token for ``user`` with ``scopes``, valid for :attr:`lifetime` seconds."""
        body = {"u": user, "s": list(scopes), "exp": int(self.clock() + self.lifetime), "n": secrets.token_hex(8)}
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{_PREFIX}.{payload}.{self._sign(payload)}"

    def verify(self, token: str, scope: str = SCOPE_DATASETS_READ) -> KernelIdentity:
        """The identity in ``token``. Raises :class:`InvalidToken` when it is malformed,
        not signed by this server, expired, or lacks ``scope``."""
        parts = token.strip().split(".")
        if len(parts) != 3 or parts[0] != _PREFIX:
            raise InvalidToken("not a notebook_dag kernel token")
        if not hmac.compare_digest(self._sign(parts[1]), parts[2]):
            raise InvalidToken("the kernel token was not issued by this server (was it restarted?)")
        try:
            body = json.loads(_unb64(parts[1]))
            identity = KernelIdentity(str(body["u"]), tuple(body["s"]), float(body["exp"]))
        except (ValueError, KeyError, TypeError) as e:
            raise InvalidToken(f"malformed kernel token ({e})") from None
        if identity.expires < self.clock():
            raise InvalidToken("the kernel token expired; restart the kernel for a new one")
        if scope not in identity.scopes:
            raise InvalidToken(f"the kernel token does not allow {scope}")
        return identity


def api_url(serverapp: Any) -> str | None:
    """The URL a kernel on this machine reaches the server at (loopback, with the
    ``base_url``); None when the server listens on a UNIX socket."""
    if getattr(serverapp, "sock", ""):
        return None
    ip = serverapp.ip or ""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "*": "127.0.0.1", "localhost": "127.0.0.1",
            "::": "[::1]"}.get(ip, f"[{ip}]" if ":" in ip else ip)
    scheme = "https" if getattr(serverapp, "certfile", "") else "http"
    return f"{scheme}://{host}:{serverapp.port}{serverapp.base_url}"


class KernelCredentials:
    """Puts :data:`ENV_API_URL` and :data:`ENV_TOKEN` into the environment of every kernel
    the kernel manager starts, and a fresh token into it before every restart.

    ``owner`` returns the user of kernels started outside any run (None: no token).
    """

    def __init__(self, serverapp: Any, tokens: KernelTokens, owner: Callable[[], str | None]) -> None:
        self.serverapp = serverapp
        self.tokens = tokens
        self.owner = owner

    def environment(self, base: dict[str, str] | None, user: str | None, project_id: str | None) -> dict[str, str]:
        """``base`` (else this process's environment) without what must never reach a
        kernel, plus the API URL, ``user``'s token and the project id when known."""
        env = dict(os.environ if base is None else base)
        for name in (*NEVER_IN_KERNELS, ENV_TOKEN, ENV_API_URL, ENV_PROJECT):
            env.pop(name, None)
        url = api_url(self.serverapp)
        if url:
            env[ENV_API_URL] = url
        if user:
            env[ENV_TOKEN] = self.tokens.issue(user)
        if project_id:
            env[ENV_PROJECT] = project_id
        return env

    def install(self, kernel_manager: Any) -> None:
        """Wrap ``kernel_manager.start_kernel`` (a ``MappingKernelManager``) on this instance."""
        if getattr(kernel_manager, "_notebook_dag_credentials", None) is not None:
            kernel_manager._notebook_dag_credentials = self
            return
        kernel_manager._notebook_dag_credentials = self
        start = kernel_manager.start_kernel

        async def start_kernel(*args: Any, **kwargs: Any) -> str:
            creds = kernel_manager._notebook_dag_credentials
            bound = kernel_user.get()
            user, project_id = bound if bound is not None else (creds.owner(), None)
            kwargs["env"] = creds.environment(kwargs.get("env"), user, project_id)
            kernel_id = await ensure_async(start(*args, **kwargs))
            if user:
                creds._renew_on_restart(kernel_manager, kernel_id, user)
            return kernel_id

        kernel_manager.start_kernel = start_kernel

    def _renew_on_restart(self, kernel_manager: Any, kernel_id: str, user: str) -> None:
        try:
            km = kernel_manager.get_kernel(kernel_id)
        except KeyError:
            return
        if not hasattr(km, "update_env"):  # e.g. a gateway kernel: it has no local environment
            return
        restart = km.restart_kernel

        async def restart_kernel(*args: Any, **kwargs: Any) -> Any:
            km.update_env(env={ENV_TOKEN: self.tokens.issue(user)})
            return await ensure_async(restart(*args, **kwargs))

        km.restart_kernel = restart_kernel
