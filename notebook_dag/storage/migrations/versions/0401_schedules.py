"""schedules: jupyter-scheduler job definitions created from projects

Revision ID: 0401
Revises: 0001 (a branch of its own: the table refers to projects only)
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0401"
down_revision = "0001"
branch_labels = ("schedules",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("definition_id", sa.String(length=64), primary_key=True),
        sa.Column("project_id", sa.String(length=32), sa.ForeignKey("projects.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("max_parallel", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_schedules_project_id", "schedules", ["project_id"])


def downgrade() -> None:
    op.drop_index("ix_schedules_project_id", table_name="schedules")
    op.drop_table("schedules")
