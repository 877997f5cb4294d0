"""edges.kind: "manual" edges drawn by hand, "hidden" marks an inferred edge the user hid

Revision ID: 0102
Revises: 0101
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0102"
down_revision = "0101"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("edges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=10), nullable=False, server_default="manual"))
        batch_op.drop_constraint("uq_edge", type_="unique")
        batch_op.create_unique_constraint("uq_edge", ["project_id", "source", "target", "kind"])


def downgrade() -> None:
    with op.batch_alter_table("edges", schema=None) as batch_op:
        batch_op.drop_constraint("uq_edge", type_="unique")
        batch_op.create_unique_constraint("uq_edge", ["project_id", "source", "target"])
        batch_op.drop_column("kind")
