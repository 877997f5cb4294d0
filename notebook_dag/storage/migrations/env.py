"""Alembic environment: migrations run on the connection handed over by
:meth:`notebook_dag.storage.database.Database.migrate`, or on ``sqlalchemy.url``
when called from the ``alembic`` command line."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from notebook_dag.storage.orm import Base
import notebook_dag.datasets.orm  # noqa: E402,F401 - the datasets tables join Base.metadata
import notebook_dag.notifications.orm  # noqa: E402,F401 - and the notifications table
import notebook_dag.scheduling.orm  # noqa: E402,F401 - and the schedules table

config = context.config
target_metadata = Base.metadata


def run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:  # pragma: no cover - command-line use
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        run(conn)
