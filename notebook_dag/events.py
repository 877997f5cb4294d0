"""Live progress through Jupyter's event bus (jupyter_events).

The schema lives in ``event_schemas/run/v1.yaml`` and is registered on the server's
``event_logger`` at start-up; JupyterLab receives the events on
``/api/events/subscribe`` (``app.serviceManager.events``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema
from jupyter_events.schema import EventSchema

RUN_EVENT_SCHEMA_ID = "https://schema.jupyter.org/notebook_dag/run/v1"
KERNEL_EVENT_SCHEMA_ID = "https://schema.jupyter.org/notebook_dag/kernel/v1"
#: jupyter_server's own record of kernel starts, interrupts, restarts and shutdowns.
KERNEL_ACTIONS_SCHEMA_ID = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"
SCHEMA_DIR = Path(__file__).parent / "event_schemas"


class CompiledValidator:
    """A ``validator_class`` for :class:`jupyter_events.schema.EventSchema`: the same
    JSON schema rules compiled to Python by ``fastjsonschema``, about 25 times cheaper
    per event than jsonschema's interpreter (a run emits two events per block).
    :meth:`validate` raises :class:`jsonschema.ValidationError`, as jsonschema's does."""

    def __init__(self, schema: dict[str, Any], **_: Any) -> None:
        self._check = fastjsonschema.compile(schema)

    def validate(self, data: Any) -> None:
        try:
            self._check(data)
        except fastjsonschema.JsonSchemaValueException as e:
            raise jsonschema.ValidationError(e.message) from None


def compile_core_validator() -> None:
    """Validate the envelope jupyter_events wraps every event in (``__timestamp__``,
    ``__schema__``...) with a :class:`CompiledValidator` too: ``EventLogger.emit``
    checks it with jsonschema's interpreter on every event of every schema (a run emits
    two per block). Same schema and same error class (``EventLogger.emit`` turns a
    :class:`jsonschema.ValidationError` into its ``CoreMetadataError``); idempotent;
    nothing happens if jupyter_events has no such validator."""
    import jupyter_events.logger as events_logger

    core = getattr(events_logger, "JUPYTER_EVENTS_CORE_VALIDATOR", None)
    schema = getattr(core, "schema", None)
    if core is None or isinstance(core, CompiledValidator) or not isinstance(schema, dict):
        return
    events_logger.JUPYTER_EVENTS_CORE_VALIDATOR = CompiledValidator(schema)


def register_schemas(event_logger: Any) -> None:
    """Register every notebook_dag schema on ``event_logger`` (idempotent), each
    validated by a :class:`CompiledValidator` (as is jupyter_events' envelope, see
    :func:`compile_core_validator`)."""
    compile_core_validator()
    for path in sorted(SCHEMA_DIR.glob("*/v*.yaml")):
        try:
            event_logger.register_event_schema(EventSchema(path, validator_class=CompiledValidator))
        except Exception as e:  # already registered by an earlier start in this process
            if "already" not in str(e).lower():
                raise


def on_kernel_reset(event_logger: Any, callback: Any) -> None:
    """Call ``callback(kernel_id)`` whenever a kernel is restarted or shut down through
    the server (a user pressing "Restart kernel" in JupyterLab, for example)."""
    if event_logger is None:
        return

    async def listener(logger: Any, schema_id: str, data: dict[str, Any]) -> None:  # noqa: ARG001 - called by keyword
        if data.get("action") in ("restart", "shutdown") and data.get("kernel_id"):
            callback(data["kernel_id"])

    try:
        event_logger.add_listener(schema_id=KERNEL_ACTIONS_SCHEMA_ID, listener=listener)
    except Exception:  # noqa: BLE001 - an older jupyter_server without that schema
        pass


class RunEvents:
    """Emits run and block status changes; with no ``event_logger`` it does nothing."""

    def __init__(self, event_logger: Any | None, changes: Any | None = None) -> None:
        self.event_logger = event_logger
        #: :class:`notebook_dag.dag_cache.Changes` told of every project with an event
        self.changes = changes

    def emit(
        self,
        run_id: str,
        project_id: str,
        status: str,
        block_id: str = "",
        message: str | None = None,
        execution_count: int | None = None,
    ) -> None:
        if self.changes is not None:
            self.changes.touch(project_id)
        if self.event_logger is None:
            return
        self.event_logger.emit(
            schema_id=RUN_EVENT_SCHEMA_ID,
            data={
                "run_id": run_id,
                "project_id": project_id,
                "kind": "block" if block_id else "run",
                "block_id": block_id,
                "status": status,
                "execution_count": execution_count,
                "message": message or "",
            },
        )

    def kernel_changed(self, project_id: str, kernel_id: str, change: str, block_id: str = "") -> None:
        """What ``kernel_id`` holds changed outside any run (see
        :mod:`notebook_dag.foreign`): ``change`` is ``block``, ``names`` or ``unknown``."""
        if self.changes is not None:
            self.changes.touch(project_id)
        if self.event_logger is None:
            return
        self.event_logger.emit(
            schema_id=KERNEL_EVENT_SCHEMA_ID,
            data={"project_id": project_id, "kernel_id": kernel_id, "change": change, "block_id": block_id},
        )
