"""Tables of migration 0007: model-file scan verdicts per file and version."""

from __future__ import annotations

from modelreg.store.sql.tables import Base

__all__ = ["Base"]
