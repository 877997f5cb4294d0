"""notifications: per-user messages about work that ended (runs, shares, reports, AI, imports)

Revision ID: 0301
Revises: 0001 (a branch of its own: the table refers to no other)
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa

revision = "0301"
down_revision = "0001"
branch_labels = ("notifications",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("target", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_notifications_username_read_created", "notifications", ["username", "read_at", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_username_read_created", table_name="notifications")
    op.drop_table("notifications")
