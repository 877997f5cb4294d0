"""Parallel runs: where each block ran (run_blocks.kernel, run_blocks.note) and the
run's max_parallel (runs.max_parallel)

Revision ID: 0104
Revises: 0201
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0104"
down_revision = "0201"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run_blocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kernel", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("max_parallel", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("max_parallel")
    with op.batch_alter_table("run_blocks", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("kernel")
