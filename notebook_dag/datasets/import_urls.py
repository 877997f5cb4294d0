"""Which URLs a dataset import fetches (the server-side request forgery guard of
:mod:`notebook_dag.datasets.imports`), and the errors an import's source gives.

- :func:`check_url` is the check of a URL given to ``POST /datasets/import``: ``file://``,
  plain paths, fsspec's local, in-memory, caching and archive protocols
  (:data:`LOCAL_PROTOCOLS`) and chained URLs (``a::b``) are refused; so is a host that
  is or resolves to a non-public address (:func:`resolve_public`), unless private
  addresses are allowed. The hosts of object stores (:data:`OBJECT_STORES`) are buckets
  or accounts, not addresses, and are not resolved.
- :func:`check_request_url` is the check of each URL an HTTP import requests (the one
  given and every redirect): ``http``/``https`` with a host, and no private IP literal.
- :func:`_GuardedResolver` is the aiohttp resolver of HTTP imports: every connection they
  open (redirects, DNS answers that change after the URL was accepted) is checked again.

Errors: :class:`RefusedURL` (400, reason ``refused_url``) for a URL this server does not
fetch; :class:`~notebook_dag.errors.BadRequest` (400) for a malformed URL, a URL without
host or an unknown protocol (or one whose package is not installed). The source errors
:class:`SourceNotFound` (404, ``source_not_found``) and :class:`SourceDenied` (403,
``source_unauthorized``) are raised by the readers of a source
(:mod:`~notebook_dag.datasets.imports`, :mod:`~notebook_dag.datasets.kaggle`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from typing import Any
from urllib.parse import urlsplit

from ..errors import BadRequest, Forbidden, NotFound
from .objectstore import protocol, redact

#: fsspec protocols that read the server's own disk or memory, or wrap another URL
LOCAL_PROTOCOLS = frozenset({
    "file", "local", "memory", "dir", "reference", "cached", "blockcache", "filecache", "simplecache",
    "zip", "tar", "libarchive", "jlab", "jupyter", "git", "data", "tmp",
})
#: protocols whose "host" is a bucket or account resolved by their own client, not an address
OBJECT_STORES = frozenset({"s3", "s3a", "gs", "gcs", "abfs", "abfss", "az", "adl", "oss", "r2", "b2", "hf", "gdrive",
                           "dropbox", "box", "github", "dbfs", "oci", "ocilake", "lakefs", "wandb"})
_CHAINED = re.compile(r"::[A-Za-z][A-Za-z0-9+.\-]*://")  # fsspec's "simplecache::s3://...", "a::file://..."


class SourceNotFound(NotFound):
    """The source has nothing at that URL or reference."""

    reason = "source_not_found"


class SourceDenied(Forbidden):
    """The source refused the request (HTTP 401/403 there, missing or wrong credentials)."""

    reason = "source_unauthorized"


class RefusedURL(BadRequest):
    """A URL this server does not fetch (local file, local protocol, private address)."""

    reason = "refused_url"


def is_public_address(ip: str) -> bool:
    """Whether ``ip`` is a global unicast address (not loopback, private, link-local,
    shared, reserved, multicast or unspecified); IPv4-mapped IPv6 counts as its IPv4."""
    try:
        a = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped is not None:
        a = a.ipv4_mapped
    return a.is_global and not a.is_multicast


def _check_addresses(host: str, addresses: list[str]) -> None:
    bad = [a for a in addresses if not is_public_address(a)]
    if bad or not addresses:
        raise RefusedURL(f"{host} resolves to a private or local address ({', '.join(bad) or 'none'}); this server "
                         "imports only from public addresses (DatasetService.import_allow_private_addresses)")


async def resolve_public(host: str, port: int | None) -> None:
    """Raise :class:`RefusedURL` unless every address of ``host`` is public. A name that
    does not resolve passes: the import then fails with 502 when it connects."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port or 0, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return
    _check_addresses(host, [str(i[4][0]) for i in infos])


async def check_url(url: str, allow_private: bool) -> None:
    """Raise :class:`RefusedURL` or :class:`BadRequest` unless ``url`` may be imported
    (see the module's docstring); ``allow_private`` is
    ``DatasetService.import_allow_private_addresses``."""
    proto = protocol(url)
    if not proto:
        raise RefusedURL("only URLs are imported (https://, s3://, gs://, ...); register a file on this server "
                         "with POST /datasets {\"path\": ...} instead")
    if proto in LOCAL_PROTOCOLS or _CHAINED.search(url):
        raise RefusedURL(f"{proto}:// URLs (and chained URLs) read this server's own files and are not imported; "
                         "register a file under the server root with POST /datasets {\"path\": ...} instead")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise BadRequest(f"not a valid URL: {e}") from None
    if proto in ("http", "https"):
        if not parts.hostname:
            raise BadRequest("the URL has no host")
    else:
        import fsspec

        try:
            fsspec.get_filesystem_class(proto)
        except ValueError:
            raise BadRequest(f"{proto}:// is not a protocol this server knows") from None
        except ImportError as e:
            raise BadRequest(f"{proto}:// needs a package this server does not have installed: {e}") from None
    if parts.hostname and proto not in OBJECT_STORES and not allow_private:
        await resolve_public(parts.hostname, port)


def check_request_url(url: str, allow_private: bool) -> None:
    """Raise :class:`RefusedURL` unless an HTTP import may request ``url`` (the one given,
    or a redirect): ``http``/``https`` with a host that is not a private or local IP
    literal (unless ``allow_private``). Host names are checked when they are resolved
    (:func:`_GuardedResolver`)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedURL(f"a redirect to {redact(url)} is not followed")
    if not allow_private and _is_ip_literal(parts.hostname) and not is_public_address(parts.hostname):
        raise RefusedURL(f"{parts.hostname} is a private or local address; this server imports only from "
                         "public addresses (DatasetService.import_allow_private_addresses)")


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
        return True
    except ValueError:
        return False


def _GuardedResolver(allow_private: bool) -> Any:  # noqa: N802 - a class made on first use (aiohttp is optional)
    """An aiohttp resolver that refuses names resolving to non-public addresses (unless
    allowed) with :class:`RefusedURL` (aiohttp raises it as the cause of its
    ``ClientConnectorError``): every connection of an HTTP import, redirects included,
    goes through it."""
    global _RESOLVER_CLASS
    if _RESOLVER_CLASS is None:
        from aiohttp.abc import AbstractResolver

        _RESOLVER_CLASS = type("GuardedResolver", (_GuardedResolverBase, AbstractResolver), {})
    return _RESOLVER_CLASS(allow_private)


_RESOLVER_CLASS: Any = None


class _GuardedResolverBase:
    def __init__(self, allow_private: bool) -> None:
        import aiohttp

        self._inner = aiohttp.ThreadedResolver()
        self._allow = allow_private

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[dict[str, Any]]:
        infos = await self._inner.resolve(host, port, family)
        if not self._allow:
            _check_addresses(host, [str(i["host"]) for i in infos])
        return infos

    async def close(self) -> None:
        await self._inner.close()
