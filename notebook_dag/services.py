"""The service objects of one running extension, built once by the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .blocks import BlockService
from .dag import DagService
from .execution import RunService
from .projects import ProjectService, project_dict
from .storage import Database


@dataclass
class Services:
    db: Database
    projects: ProjectService
    blocks: BlockService
    dag: DagService
    runs: RunService

    @staticmethod
    def project_dict(p: Any) -> dict[str, Any]:
        return project_dict(p)
