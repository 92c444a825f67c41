"""TPS batch: follow every approved project of an ESA office's annual action plan."""

from __future__ import annotations

from tps_batch.errors import TpsError

__version__ = "0.1.0"
__all__ = ["TpsError", "__version__"]
