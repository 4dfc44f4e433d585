"""Tables of migration 0005: users, service accounts, teams and API tokens (authentication)."""

from __future__ import annotations

from modelreg.store.sql.tables import Base

__all__ = ["Base"]
