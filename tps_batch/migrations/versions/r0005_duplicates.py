"""Every file in the inbox is accounted for: a file identical to one already stored gets
its own submission row (status ``duplicate``, ``duplicate_of`` the stored one) and its own
receipt, and an identical resend of a rejected file is judged again. So one content hash
may now stand on several rows: ``submissions.sha256`` keeps an index, no longer unique.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# the c067db1 schema left the constraint unnamed; SQLite's batch mode finds it by this name
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _unique_name(bind: sa.engine.Connection) -> str | None:
    for uq in sa.inspect(bind).get_unique_constraints("submissions"):
        if uq["column_names"] == ["sha256"]:
            return uq["name"]
    return None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("submissions", naming_convention=_NAMING,
                                  recreate="always") as batch:
            batch.drop_constraint("uq_submissions_sha256", type_="unique")
            batch.add_column(sa.Column("duplicate_of", sa.Integer))
    else:
        name = _unique_name(bind)
        if name:
            op.drop_constraint(name, "submissions", type_="unique")
        op.add_column("submissions", sa.Column("duplicate_of", sa.Integer))
    op.create_index("ix_submissions_sha256", "submissions", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_submissions_sha256", "submissions")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("duplicate_of")
        batch.create_unique_constraint("uq_submissions_sha256", ["sha256"])
