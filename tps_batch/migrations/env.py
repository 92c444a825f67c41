"""Alembic environment: TPS always hands over an open connection (``tps db`` or any
command that opens the dataset), so there is no offline mode and no alembic.ini."""

from __future__ import annotations

from alembic import context

from tps_batch.store import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
