"""Datasets: uploaded or registered data files, versioned by content, with quick
profiles, full ydata-profiling reports, previews and lineage to notebook cells.

Modules: ``store`` (files on disk or object storage, streamed uploads), ``objectstore``
(fsspec/S3: opening the store, bounded-memory puts, the content-hash read cache),
``formats`` (detection, parsing, previews), ``profiling`` (quick profile), ``report``
(full report in a child process), ``jobs`` (background work and events), ``lineage``
(static analysis of cells), ``service`` and ``handlers`` (the REST API), ``orm`` and
``models`` (tables and API shapes). ``notebook_dag.load()`` lives in
:mod:`notebook_dag.kernel_api`.

Importing this package is cheap: kernels import ``notebook_dag.datasets.orm`` and
``formats`` without the server's dependencies.
"""
