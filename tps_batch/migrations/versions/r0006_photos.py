"""Activity photos: the pictures pasted on a project report's attachments sheet, decoded
and re-encoded as JPEG when the file is read, kept so the per-project report can print
them in its annex.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photos",
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submissions.id")),
        sa.Column("project_code", sa.Text),
        sa.Column("seq", sa.Integer),
        sa.Column("attachment_seq", sa.Integer),
        sa.Column("cell", sa.Text),
        sa.Column("width", sa.Integer),
        sa.Column("height", sa.Integer),
        sa.Column("content", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_photos_submission_id", "photos", ["submission_id"])


def downgrade() -> None:
    op.drop_index("ix_photos_submission_id", "photos")
    op.drop_table("photos")
