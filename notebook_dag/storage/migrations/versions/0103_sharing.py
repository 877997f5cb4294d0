"""sharing: project visibility and members, per-user favourites, the activity feed

Revision ID: 0103
Revises: 0102
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0103"
down_revision = "0102"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visibility", sa.String(length=20), nullable=False, server_default="private"))
    op.create_table(
        "project_members",
        sa.Column("project_id", sa.String(length=32), sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("username", sa.String(length=200), primary_key=True),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_project_members_username", "project_members", ["username"])
    op.create_table(
        "favorites",
        sa.Column("project_id", sa.String(length=32), sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("username", sa.String(length=200), primary_key=True),
    )
    # the old per-project flag becomes the owner's favourite
    op.execute("INSERT INTO favorites (project_id, username) SELECT id, owner FROM projects WHERE favorite")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("favorite")
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("project_id", sa.String(length=32), sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=True),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_activity_project_created", "activity", ["project_id", "created_at"])
    op.create_index("ix_activity_username_created", "activity", ["username", "created_at"])


def downgrade() -> None:
    op.drop_table("activity")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("favorite", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.drop_table("favorites")
    op.drop_table("project_members")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("visibility")
