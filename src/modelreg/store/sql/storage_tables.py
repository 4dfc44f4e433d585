"""Tables of migration 0009: retention policies and storage bookkeeping."""

from __future__ import annotations

from modelreg.store.sql.tables import Base

__all__ = ["Base"]
