"""Where the values of a parallel run travel between kernels: the handover store.

Two kinds, one interface (:class:`HandoverStore`):

* :class:`LocalHandover`: a private temporary directory on the filesystem the server
  shares with its local kernels (the fast path of local runs).
* :class:`FsspecHandover`: any fsspec URL (``s3://bucket/prefix``, ``gs://...``,
  ``memory://...``), for kernels that share no filesystem with the server (kernels
  behind a gateway). Each run writes under its own prefix
  ``<url>/handover/<run_id>/``; objects are content-addressed (the kernel names each
  one after the SHA-256 of its serialized bytes), and the whole prefix is removed when
  the run ends (success, failure or cancel).

Credentials. A kernel never receives the server's long-lived credentials: the
credential options of the store (``key``, ``secret``, ``token``, ``password``...)
are stripped from what is sent to kernels. For S3, the server asks STS for
short-lived session credentials limited to the run's prefix (``GetFederationToken``,
or ``AssumeRole`` of ``role_arn`` when one is configured, each with a session policy
allowing only Get/Put/DeleteObject under the prefix and ListBucket of it, for the
shortest duration STS allows, 900 s); the engine hands them to each kernel of the run in
the request that sets the store up (never in a cell, so never in history or outputs)
and takes them away after the run. Other protocols get the URL and the non-secret
options only: they work when the kernels have their own access (workload identity,
an instance role, a public bucket); a kernel that cannot reach the store runs its
blocks on the project kernel (see :class:`~notebook_dag.parallel.ParallelEngine`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import tempfile
from typing import Any

log = logging.getLogger(__name__)

#: fsspec/s3fs/gcsfs/adlfs options that carry a secret: never sent to a kernel.
SECRET_OPTIONS = frozenset({
    "key", "secret", "token", "password", "account_key", "sas_token", "client_secret", "connection_string",
    "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "session_token", "profile",
    "credentials", "creds", "access_token", "refresh_token",
})
#: The server's filesystems, per protocol and options (a new s3fs client costs 100-300 ms;
#: the server's options are the same for every run)
_FILESYSTEMS: dict[str, Any] = {}
#: Shortest duration STS grants (seconds) for GetFederationToken and AssumeRole.
STS_MIN_SECONDS = 900


class HandoverError(Exception):
    """The store cannot be used for this run (e.g. no credentials could be obtained)."""


class HandoverStore:
    """Where one run's handover objects live. Lifecycle: :meth:`open` before the run,
    :meth:`path` names a new object, :meth:`kernel_spec` is what the kernel side's
    ``use_store`` receives, :meth:`close` removes every object of the run."""

    #: whether kernels must be told the store (``use_store``); False: plain local paths
    remote = False

    async def open(self) -> None:
        """Make the store ready for the run (raises :class:`HandoverError`)."""

    def path(self, name: str) -> str:
        """A location for a new object called ``name`` (a remote store's kernel may name
        the object after its content instead and says so in its answer)."""
        raise NotImplementedError

    def kernel_spec(self) -> dict[str, Any] | None:
        """The JSON-able description of the store for the kernel side (None: local)."""
        return None

    async def close(self) -> None:
        """Remove every object of the run; never raises."""

    async def objects(self) -> list[str]:
        """The objects of the run still in the store."""
        return []


class LocalHandover(HandoverStore):
    """A private temporary directory (the server and the kernels share the filesystem)."""

    def __init__(self) -> None:
        self.dir: str | None = None

    async def open(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="notebook-dag-")

    def path(self, name: str) -> str:
        assert self.dir is not None, "open() first"
        return f"{self.dir}/{name}"

    async def close(self) -> None:
        if self.dir is not None:
            await asyncio.to_thread(shutil.rmtree, self.dir, True)

    async def objects(self) -> list[str]:
        import os

        return sorted(os.listdir(self.dir)) if self.dir and os.path.isdir(self.dir) else []


def _bucket_and_key(url: str) -> tuple[str, str]:
    rest = url.split("://", 1)[1]
    bucket, _, key = rest.partition("/")
    return bucket, key.strip("/")


def _endpoint(options: dict[str, Any]) -> str | None:
    return options.get("endpoint_url") or (options.get("client_kwargs") or {}).get("endpoint_url")


def session_policy(bucket: str, prefix: str) -> dict[str, Any]:
    """An IAM policy allowing only the objects under ``prefix`` (no trailing slash) of
    ``bucket``: get, put and delete them, and list that prefix."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": [f"arn:aws:s3:::{bucket}/{prefix}/*"]},
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": [f"arn:aws:s3:::{bucket}"],
             "Condition": {"StringLike": {"s3:prefix": [f"{prefix}/*", prefix]}}},
        ],
    }


def sts_credentials(options: dict[str, Any], bucket: str, prefix: str, run_id: str, role_arn: str = "",
                    seconds: int = STS_MIN_SECONDS) -> dict[str, Any]:
    """Short-lived S3 credentials limited to ``prefix`` of ``bucket`` (blocking: call it
    off the event loop): ``{"key", "secret", "token", "expires"}``. The server's own
    credentials come from ``options`` (``key``/``secret``/``token``) or boto3's usual
    chain; ``role_arn``: AssumeRole that role instead of GetFederationToken. Raises
    :class:`HandoverError` when STS refuses or cannot be reached."""
    import boto3

    kwargs: dict[str, Any] = {}
    if options.get("key"):
        kwargs["aws_access_key_id"] = options["key"]
    if options.get("secret"):
        kwargs["aws_secret_access_key"] = options["secret"]
    if options.get("token"):
        kwargs["aws_session_token"] = options["token"]
    endpoint = _endpoint(options)
    region = (options.get("client_kwargs") or {}).get("region_name") or options.get("region_name") or "us-east-1"
    policy = json.dumps(session_policy(bucket, prefix))
    name = f"nbdag-{run_id}"[:32]
    try:
        sts = boto3.client("sts", endpoint_url=endpoint, region_name=region, **kwargs)
        if role_arn:
            creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=name, Policy=policy,
                                    DurationSeconds=seconds)["Credentials"]
        else:
            creds = sts.get_federation_token(Name=name, Policy=policy, DurationSeconds=seconds)["Credentials"]
    except Exception as e:  # noqa: BLE001 - botocore's errors, refused connections
        raise HandoverError(f"no short-lived credentials for the handover store ({type(e).__name__}: {e})") from e
    return {"key": creds["AccessKeyId"], "secret": creds["SecretAccessKey"], "token": creds["SessionToken"],
            "expires": str(creds.get("Expiration", ""))}


class FsspecHandover(HandoverStore):
    """The prefix ``<url>/handover/<run_id>`` of an fsspec store. ``options``: the
    server's fsspec options for ``url`` (may hold its credentials, which stay on the
    server); ``role_arn``: for S3, the role whose session credentials kernels get
    (empty: GetFederationToken of the server's own identity)."""

    remote = True

    def __init__(self, url: str, options: dict[str, Any] | None, run_id: str, role_arn: str = "") -> None:
        self.url = url.rstrip("/")
        self.options = dict(options or {})
        self.run_id = run_id
        self.role_arn = role_arn
        self.protocol = self.url.split("://", 1)[0] if "://" in self.url else "file"
        self.prefix = f"{self.url}/handover/{run_id}"
        self.credentials: dict[str, Any] | None = None
        self._fs: Any = None

    def _filesystem(self) -> Any:
        if self._fs is None:
            import fsspec

            key = json.dumps([self.protocol, self.options], sort_keys=True, default=repr)
            fs = _FILESYSTEMS.get(key)
            if fs is None:
                fs = _FILESYSTEMS.setdefault(key, fsspec.filesystem(self.protocol, **{"skip_instance_cache": True,
                                                                                      **self.options}))
            self._fs = fs
        return self._fs

    async def open(self) -> None:
        if self.protocol in ("s3", "s3a"):
            bucket, key = _bucket_and_key(self.prefix)
            self.credentials = await asyncio.to_thread(sts_credentials, self.options, bucket, key, self.run_id,
                                                       self.role_arn)

    def path(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    def kernel_options(self) -> dict[str, Any]:
        """The fsspec options a kernel gets: the server's without any secret, plus the
        run's session credentials (S3)."""
        out = {k: v for k, v in self.options.items() if k not in SECRET_OPTIONS}
        if self.credentials is not None:
            out.update({k: self.credentials[k] for k in ("key", "secret", "token")})
        return out

    def kernel_spec(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "prefix": self.prefix, "options": self.kernel_options()}

    async def objects(self) -> list[str]:
        def ls() -> list[str]:
            fs = self._filesystem()
            try:
                fs.invalidate_cache()
                return sorted(fs.find(self.prefix))
            except FileNotFoundError:
                return []

        return await asyncio.to_thread(ls)

    async def close(self) -> None:
        def rm() -> None:
            fs = self._filesystem()
            fs.invalidate_cache()
            try:
                found = fs.find(self.prefix)
            except FileNotFoundError:
                return
            if found:
                fs.rm(found)

        try:
            await asyncio.to_thread(rm)
        except Exception as e:  # noqa: BLE001 - a store gone meanwhile: log, the run's result stands
            log.warning("notebook_dag: could not clean the handover prefix %s: %s", self.prefix, e)


def handover_for(url: str, options: dict[str, Any] | None, run_id: str, role_arn: str = "") -> HandoverStore:
    """The store of run ``run_id``: :class:`FsspecHandover` for a URL with a protocol
    other than ``file``, else :class:`LocalHandover`."""
    if url and "://" in url and not url.startswith("file://"):
        return FsspecHandover(url, options, run_id, role_arn)
    return LocalHandover()
