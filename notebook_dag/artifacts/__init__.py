"""Artifacts: the files a run's blocks create or change beside the notebook (figures,
CSVs, models), recorded per run with path, size, SHA-256 and MIME type; listed by
``GET /runs/{id}/artifacts`` and linked to the blocks that read them. See
:mod:`.service` and :mod:`.scan`."""

from .service import ArtifactService

__all__ = ["ArtifactService"]
