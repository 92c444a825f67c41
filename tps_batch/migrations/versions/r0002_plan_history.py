"""Plan history, plan findings in the run log, and the layout record.

- ``plan_versions``: every version of plan.xlsx a command has seen, by hash, with the time
  it was first seen and its bytes, so a report for a past as-of uses the plan of its day.
- ``runs.findings``: the findings that stopped a run (a broken plan), for ``tps status``.
- ``dataset_info``: key/value facts about the dataset; ``layout`` holds the fingerprint of
  the columns the workbook layouts ask for, so opening an up-to-date dataset costs one
  query.

Revision ID: 0002
Revises: c067db1
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "c067db1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("first_seen_at", sa.DateTime, nullable=False),
        sa.Column("file_name", sa.Text),
        sa.Column("size", sa.BigInteger),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_plan_versions_first_seen_at", "plan_versions", ["first_seen_at"])
    if not sa.inspect(op.get_bind()).has_table("runs"):
        # c067db1 created it only once `tps run` or `tps status` had been used
        op.create_table(
            "runs",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("started_at", sa.DateTime, nullable=False),
            sa.Column("ended_at", sa.DateTime),
            sa.Column("outcome", sa.Text),
            sa.Column("trigger", sa.Text),
            sa.Column("counts", sa.JSON),
            sa.Column("error", sa.Text),
        )
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("findings", sa.JSON))
    op.create_table(
        "dataset_info",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("dataset_info")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("findings")
    op.drop_index("ix_plan_versions_first_seen_at", "plan_versions")
    op.drop_table("plan_versions")
