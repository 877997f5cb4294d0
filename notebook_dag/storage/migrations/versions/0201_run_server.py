"""runs.server: which Jupyter server executes a run, so a server starting on a shared
database marks only its own unfinished runs as interrupted

Revision ID: 0201
Revises: 0103
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0201"
down_revision = "0103"
branch_labels = ("deployments",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("server", sa.String(length=200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("server")
