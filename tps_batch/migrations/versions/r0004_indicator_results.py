"""Indicator results: the second standard workbook's submissions and rows.

- ``submissions.kind`` (None: the project report; ``indicator``: the indicator result
  report), ``group_name`` and ``round``: an indicator report is current per fiscal year,
  group and round, as a project report is per project.
- ``indicator_results``: one row per indicator of a report (the layout's ``results`` table
  of template ``tps-indicator-report`` 1.0).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("kind", sa.Text))
        batch.add_column(sa.Column("group_name", sa.Text))
        batch.add_column(sa.Column("round", sa.Text))
    op.create_index("ix_submissions_group_name", "submissions", ["group_name"])
    op.create_table(
        "indicator_results",
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id")),
        sa.Column("group_name", sa.Text),
        sa.Column("round", sa.Text),
        sa.Column("seq", sa.Integer),
        sa.Column("code", sa.Text),
        sa.Column("name", sa.Text),
        sa.Column("target", sa.Text),
        sa.Column("value", sa.Float),
        sa.Column("level", sa.Text),
        sa.Column("evidence", sa.Text),
        sa.Column("evidence_link", sa.Text),
        sa.Column("entered_on", sa.Date),
        sa.Column("entered_ref", sa.Text),
        sa.Column("problems", sa.Text),
        sa.Column("next_steps", sa.Text),
    )
    op.create_index("ix_indicator_results_submission_id", "indicator_results",
                    ["submission_id"])
    op.create_index("ix_indicator_results_group_name", "indicator_results", ["group_name"])


def downgrade() -> None:
    op.drop_index("ix_indicator_results_group_name", "indicator_results")
    op.drop_index("ix_indicator_results_submission_id", "indicator_results")
    op.drop_table("indicator_results")
    op.drop_index("ix_submissions_group_name", "submissions")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("round")
        batch.drop_column("group_name")
        batch.drop_column("kind")
