"""Tables of migration 0008: signing keys and manifest signatures."""

from __future__ import annotations

from modelreg.store.sql.tables import Base

__all__ = ["Base"]
