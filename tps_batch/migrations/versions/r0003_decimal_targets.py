"""Targets and achieved values take decimals (template 1.2: a mean score of 4.21).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite rebuilds the table (batch mode); PostgreSQL alters the columns in place
    with op.batch_alter_table("targets") as batch:
        for column in ("target_value", "achieved_value"):
            batch.alter_column(column, type_=sa.Float, existing_type=sa.Integer,
                               existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("targets") as batch:
        for column in ("target_value", "achieved_value"):
            batch.alter_column(column, type_=sa.Integer, existing_type=sa.Float,
                               existing_nullable=True,
                               postgresql_using=f"round({column})::integer")
