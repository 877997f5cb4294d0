"""Wiring of the notifications feature into :class:`notebook_dag.app.NotebookDagApp`."""

from __future__ import annotations

from typing import Any

from .service import NotificationService


def create_notification_service(app: Any, services: Any, event_logger: Any) -> NotificationService:
    """Build the service (of class ``app.notification_service_class`` if set, with
    ``parent=app``, so configured as ``c.NotificationService.<trait>``) and hook it into
    the producers among ``services`` (call it after the AI and datasets services exist)."""
    cls = getattr(app, "notification_service_class", NotificationService)
    service = cls(services.db, event_logger, parent=app, log=app.log)
    service.attach(services)
    return service
