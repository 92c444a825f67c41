"""The dataset as release c067db1 created it (``metadata.create_all``, no migrations).

Spelled out column by column, not derived from today's spec: a revision must stay what it
was when it was released. A dataset made by c067db1 has these tables but no
``alembic_version``; :mod:`tps_batch.dataset` stamps it with this revision instead of
running it. (``runs`` only existed once ``tps run`` or ``tps status`` had been used;
revision 0002 adds it where it is missing.)

Revision ID: c067db1
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c067db1"
down_revision = None
branch_labels = None
depends_on = None


def _content(name: str, *columns: sa.Column, seq: bool = True) -> None:
    head = [sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id"))]
    if seq:
        head += [sa.Column("project_code", sa.Text), sa.Column("seq", sa.Integer)]
    op.create_table(name, *head, *columns)
    op.create_index(f"ix_{name}_submission_id", name, ["submission_id"])
    if seq:
        op.create_index(f"ix_{name}_project_code", name, ["project_code"])


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("fiscal_year", sa.Integer),
        sa.Column("project_code", sa.Text),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("size", sa.BigInteger),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_path", sa.Text),
        sa.Column("source_detail", sa.JSON),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("template_version", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("report_kind", sa.Text),
        sa.Column("as_of", sa.Date),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.Column("superseded_by", sa.Integer),
        sa.Column("kept_path", sa.Text),
        sa.Column("receipt_path", sa.Text),
        sa.Column("annotated_path", sa.Text),
        sa.Column("receipt_done", sa.Boolean, nullable=False),
    )
    for col in ("fiscal_year", "project_code", "is_current"):
        op.create_index(f"ix_submissions_{col}", "submissions", [col])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id")),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("severity", sa.Text, nullable=False),
        sa.Column("message_th", sa.Text),
        sa.Column("message_en", sa.Text),
        sa.Column("sheet", sa.Text),
        sa.Column("cell", sa.Text),
        sa.Column("table_key", sa.Text),
        sa.Column("row", sa.Integer),
        sa.Column("column_key", sa.Text),
    )
    op.create_index("ix_findings_submission_id", "findings", ["submission_id"])
    op.create_table(
        "files_seen",
        sa.Column("path", sa.Text, primary_key=True),
        sa.Column("size", sa.BigInteger),
        sa.Column("mtime_ns", sa.BigInteger),
        sa.Column("sha256", sa.String(64)),
    )
    op.create_table(
        "incoming",
        sa.Column("path", sa.Text, primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("detail", sa.JSON),
        sa.Column("received_at", sa.DateTime),
    )
    _content("projects",
             sa.Column("project_code", sa.Text), sa.Column("project_name", sa.Text),
             sa.Column("fiscal_year", sa.Integer), sa.Column("group", sa.Text),
             sa.Column("owner", sa.Text), sa.Column("report_kind", sa.Text),
             sa.Column("as_of", sa.Date), sa.Column("status", sa.Text),
             sa.Column("planned_start", sa.Date), sa.Column("planned_end", sa.Date),
             sa.Column("strategy", sa.Text), sa.Column("rationale", sa.Text), seq=False)
    _content("signoffs", sa.Column("role", sa.Text), sa.Column("name", sa.Text),
             sa.Column("position", sa.Text), sa.Column("date", sa.Date))
    _content("objectives", sa.Column("text", sa.Text))
    _content("targets", sa.Column("kind", sa.Text), sa.Column("description", sa.Text),
             sa.Column("unit", sa.Text), sa.Column("target_value", sa.Integer),
             sa.Column("achieved_value", sa.Integer))
    _content("activities",
             sa.Column("name", sa.Text), sa.Column("planned_start", sa.Date),
             sa.Column("planned_end", sa.Date), sa.Column("actual_date", sa.Date),
             sa.Column("place", sa.Text), sa.Column("target_planned", sa.Integer),
             sa.Column("target_reached", sa.Integer), sa.Column("status", sa.Text),
             sa.Column("budget_planned", sa.Float), sa.Column("budget_spent", sa.Float),
             sa.Column("result", sa.Text), sa.Column("remarks", sa.Text))
    _content("budget", sa.Column("source", sa.Text), sa.Column("allocated", sa.Float),
             sa.Column("disbursed", sa.Float))
    _content("indicators", sa.Column("framework", sa.Text), sa.Column("code", sa.Text),
             sa.Column("contribution", sa.Text))
    _content("problems", sa.Column("text", sa.Text))
    _content("suggestions", sa.Column("text", sa.Text))
    _content("attachments", sa.Column("kind", sa.Text), sa.Column("name", sa.Text),
             sa.Column("link", sa.Text))
    op.create_table(
        "mail_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("message_id", sa.Text, nullable=False, unique=True),
        sa.Column("sender", sa.Text),
        sa.Column("subject", sa.Text),
        sa.Column("received_at", sa.DateTime),
        sa.Column("files", sa.JSON),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("handled_at", sa.DateTime, nullable=False),
        sa.Column("moved_at", sa.DateTime),
    )
    op.create_table(
        "mail_sent",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id")),
        sa.Column("group_name", sa.Text),
        sa.Column("day", sa.Date),
        sa.Column("recipient", sa.Text),
        sa.Column("message_id", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_mail_sent_submission_id", "mail_sent", ["submission_id"])
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


def downgrade() -> None:
    raise NotImplementedError("the first revision has nothing below it")
