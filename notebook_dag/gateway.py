"""Kernel clients for kernels behind a Jupyter kernel gateway (``--gateway-url``).

jupyter_server's ``GatewayKernelClient`` opens the kernel's websocket without the
gateway's request headers, so a gateway that requires a token
(``--GatewayClient.auth_token``, Kernel Gateway's ``--KernelGatewayApp.auth_token``,
Enterprise Gateway's ``EG_AUTH_TOKEN``) refuses it with 401 although starting the
kernel over HTTP worked. :func:`kernel_client` hands out a client that sends them, and
connects without blocking the server's event loop. Its ``start_channels`` is a
coroutine: call it as ``await ensure_async(kc.start_channels())``.
"""

from __future__ import annotations

import asyncio
import time
from queue import Empty
from threading import Thread
from typing import Any

from jupyter_core.utils import ensure_async

try:  # jupyter_server is always there on the server; the headless CLI may do without
    import websocket
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_server.gateway.gateway_client import GatewayClient
    from jupyter_server.gateway.managers import GatewayKernelClient, GatewayKernelManager
    from jupyter_server.utils import url_escape, url_path_join
except ImportError:  # pragma: no cover
    GatewayKernelManager = None  # type: ignore[assignment,misc]


def is_remote(km: Any) -> bool:
    """Whether ``km`` (a per-kernel manager) manages a kernel behind a gateway, which
    shares no filesystem with this server."""
    return GatewayKernelManager is not None and isinstance(km, GatewayKernelManager)


def kernel_client(km: Any, **kwargs: Any) -> Any:
    """A new kernel client of the kernel managed by ``km``: ``km.client(**kwargs)``,
    with :class:`HeaderGatewayKernelClient` for a gateway's kernel."""
    if GatewayKernelManager is not None and isinstance(km, GatewayKernelManager):
        if km.client_factory is GatewayKernelClient:
            km.client_factory = HeaderGatewayKernelClient
    return km.client(**kwargs)


if GatewayKernelManager is not None:

    class HeaderGatewayKernelClient(GatewayKernelClient):
        """A ``GatewayKernelClient`` whose websocket carries the gateway's headers
        (``GatewayClient.headers`` and the ``auth_token`` header), like every HTTP
        request jupyter_server sends the gateway."""

        async def start_channels(self, shell=True, iopub=True, stdin=True, hb=True, control=True):  # noqa: ANN001, ANN201
            gw = GatewayClient.instance()
            ws_url = url_path_join(gw.ws_url or "", gw.kernels_endpoint, url_escape(self.kernel_id), "channels")
            headers = dict(gw.load_connection_args().get("headers") or {})  # renews the token too
            if not gw.auth_token and str(headers.get(gw.auth_header_key, "")).endswith(" None"):
                del headers[gw.auth_header_key]  # "token None" when no token is configured
            sslopt = {"ca_certs": gw.ca_certs, "certfile": gw.client_cert, "keyfile": gw.client_key}
            self.channel_socket = await asyncio.to_thread(
                websocket.create_connection, ws_url, timeout=gw.KERNEL_LAUNCH_TIMEOUT,
                enable_multithread=True, sslopt=sslopt, header=headers,
            )
            await ensure_async(AsyncKernelClient.start_channels(
                self, shell=shell, iopub=iopub, stdin=stdin, hb=hb, control=control))
            for queue in (self._channel_queues or {}).values():
                queue._async_get = _polite_get.__get__(queue)
            _quick_acks(self.channel_socket)
            self.response_router = Thread(target=self._route_responses, name=f"gateway-{self.kernel_id}", daemon=True)
            self.response_router.start()

    def _quick_acks(ws: Any) -> None:
        """Make the websocket ``ws`` acknowledge what it receives at once (Linux
        ``TCP_QUICKACK``, set again before every read since the kernel clears it).

        The gateway (Kernel Gateway, Enterprise Gateway: tornado websockets without
        ``set_nodelay``) sends a kernel's messages with Nagle's algorithm on, and a
        reply follows its ``status: busy`` message at once: it waits until the busy
        message is acknowledged, and a receiver delaying its ACKs answers after 40 ms.
        So every request to a gateway kernel took ~50 ms instead of ~5 ms; a parallel
        run makes a dozen of them on its critical path."""
        import socket

        sock = getattr(ws, "sock", None)
        if sock is None or not hasattr(socket, "TCP_QUICKACK"):
            return
        recv = ws.recv

        def quick_recv() -> Any:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            except OSError:  # closed meanwhile: recv() says so
                pass
            return recv()

        ws.recv = quick_recv

    async def _polite_get(self, timeout=None):  # noqa: ANN001, ANN202
        """``ChannelQueue._async_get`` without its busy wait: jupyter_server's polls the
        queue with ``asyncio.sleep(0)``, which keeps the server's event loop (a core) busy
        while any client waits for a message (nbclient always does during a run); this
        polls every 2 ms."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                return self.get(block=False)
            except Empty:
                if self.response_router_finished:
                    raise RuntimeError("Response router had finished") from None
                if deadline is not None and time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.002)
