"""runs.parent_id (retries and resumes) and run_blocks.fingerprint (staleness)

Revision ID: 0101
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0101"
down_revision = "0001"
branch_labels = ("execution",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.String(length=32), nullable=True))
    with op.batch_alter_table("run_blocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run_blocks", schema=None) as batch_op:
        batch_op.drop_column("fingerprint")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("parent_id")
