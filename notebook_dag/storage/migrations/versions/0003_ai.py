"""ai_generations: audit records of AI code generation (notebook_dag.ai.audit)

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0001"
branch_labels = ("ai",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ai_generations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.String(length=32), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("provider", sa.String(length=100), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("total_tokens", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("repaired", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.JSON(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("anchor_block_id", sa.String(length=64), nullable=True),
        sa.Column("block_id", sa.String(length=64), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ai_generations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ai_generations_project_id"), ["project_id"], unique=False)
        batch_op.create_index("ix_ai_generations_user_created", ["user", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ai_generations", schema=None) as batch_op:
        batch_op.drop_index("ix_ai_generations_user_created")
        batch_op.drop_index(batch_op.f("ix_ai_generations_project_id"))
    op.drop_table("ai_generations")
