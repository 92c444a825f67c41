"""Alembic migrations of the TPS dataset (see :mod:`tps_batch.dataset`)."""
