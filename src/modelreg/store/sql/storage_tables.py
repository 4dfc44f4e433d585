"""Tables of migration 0009: retention policies.

Keyed by model name like policies and events (``""`` is the registry-wide policy), so a policy
is found again when a model is re-created under its old name.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from modelreg.store.sql.tables import Base


class RetentionPolicyRow(Base):
    __tablename__ = "retention_policies"

    scope: Mapped[str] = mapped_column(String(128), primary_key=True)
    keep_last: Mapped[int | None] = mapped_column(Integer)
    # Whole seconds: durations are entered as 30d, 12h, ...; nothing finer is meaningful here.
    archive_after_seconds: Mapped[int | None] = mapped_column(BigInteger)
    delete_archived_after_seconds: Mapped[int | None] = mapped_column(BigInteger)
    updated_by: Mapped[str] = mapped_column(String(256))
    updated_at: Mapped[datetime]
