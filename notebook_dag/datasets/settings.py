"""The configuration of :class:`~notebook_dag.datasets.service.DatasetService`
(``c.DatasetService.<trait>``)."""

from __future__ import annotations

from traitlets import Bool, Dict, Float, Int, Unicode
from traitlets.config import LoggingConfigurable

from .objectstore import DEFAULT_CACHE_BYTES


class DatasetSettings(LoggingConfigurable):
    """The configurable traits of the datasets service; configure them as
    ``c.DatasetService.<trait>`` (a subclass reads its parents' sections too)."""

    max_upload_bytes = Int(
        2 << 30, help="Largest dataset upload accepted, in bytes (larger ones get 413)."
    ).tag(config=True)
    datasets_dir = Unicode(
        help="Directory of uploaded dataset files and reports. Default: datasets/ next to an "
        "SQLite database, else <jupyter data dir>/notebook_dag/datasets.",
    ).tag(config=True)
    storage_url = Unicode(
        "",
        help="Where dataset files and reports are stored: empty for datasets_dir; a file:// URL or a "
        "directory for that directory; any fsspec URL such as s3://bucket/prefix (s3fs) for object "
        "storage, where datasets_dir then keeps only partial uploads and a local read cache.",
    ).tag(config=True)
    storage_options = Dict(
        help="Keyword arguments of the fsspec filesystem of storage_url, e.g. for S3 "
        "{'endpoint_url': 'https://minio.example.org', 'key': ..., 'secret': ...}. Credentials may "
        "instead come from the AWS environment variables, ~/.aws or an instance role. Kernels never get "
        "them: notebook_dag.load() reads datasets through the server.",
    ).tag(config=True)
    cache_bytes = Int(
        DEFAULT_CACHE_BYTES,
        help="Size limit in bytes of the local read cache of datasets on object storage (least "
        "recently used files are evicted first); 0 means no limit.",
    ).tag(config=True)
    profile_in_subprocess = Bool(
        True, help="Compute quick dataset profiles in a worker process (else in a thread)."
    ).tag(config=True)
    report_max_rows = Int(
        100_000, help="Datasets with more rows are sampled to this many rows for the full report."
    ).tag(config=True)
    report_timeout = Float(900.0, help="Seconds a full dataset report may take; 0 means no limit.").tag(config=True)
    import_timeout = Float(
        3600.0, help="Seconds a dataset import (POST /datasets/import) may take before it fails with 504; "
        "0 means no limit.",
    ).tag(config=True)
    import_allow_private_addresses = Bool(
        False, help="Let dataset imports fetch URLs whose host is or resolves to a loopback, private, link-local "
        "or otherwise non-global address. Off by default: a user could otherwise make the server read "
        "internal services (server-side request forgery). file:// and local paths are refused regardless.",
    ).tag(config=True)
    import_storage_options = Dict(
        help="fsspec options by protocol for dataset imports from object storage, e.g. "
        "{'s3': {'endpoint_url': 'https://minio.example.org'}}. Credentials default to each library's own "
        "configuration (for S3: the AWS environment variables, ~/.aws or an instance role).",
    ).tag(config=True)
