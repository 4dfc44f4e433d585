"""Tables of migration 0007: scan results per blob digest and engine.

Keyed by digest, not by version: a blob is scanned once per engine version and the result holds
for every version and model that contains the same bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from modelreg.store.sql.tables import Base, JSONDocument


class BlobScanRow(Base):
    __tablename__ = "blob_scans"
    __table_args__ = (
        UniqueConstraint("digest", "engine"),
        Index("ix_blob_scans_verdict", "verdict"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(200))
    engine: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(64))
    file_format: Mapped[str] = mapped_column(String(32))
    # clean | suspicious | unsafe (domain.scans.Verdict); a plain string keeps the check in one
    # place, the domain, and lets a later verdict need no migration.
    verdict: Mapped[str] = mapped_column(String(16))
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    scanned_at: Mapped[datetime]
