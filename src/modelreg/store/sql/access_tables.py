"""Tables of migration 0006: role grants on models and registry admins (authorization)."""

from __future__ import annotations

from modelreg.store.sql.tables import Base

__all__ = ["Base"]
