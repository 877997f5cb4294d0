"""dataset_profiles.server, dataset_reports.server: which Jupyter server computes a
profile or builds a report, so a server starting on a shared database marks only its
own unfinished ones as failed

Revision ID: 0202
Revises: 0002
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0202"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dataset_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("server", sa.String(length=200), nullable=False, server_default=""))
    with op.batch_alter_table("dataset_reports", schema=None) as batch_op:
        batch_op.add_column(sa.Column("server", sa.String(length=200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("dataset_reports", schema=None) as batch_op:
        batch_op.drop_column("server")
    with op.batch_alter_table("dataset_profiles", schema=None) as batch_op:
        batch_op.drop_column("server")
