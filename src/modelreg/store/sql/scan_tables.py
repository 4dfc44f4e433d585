"""Tables of migration 0007: scan results per blob digest and engine; of migration 0011:
quarantine releases and the once-a-day record of override downloads.

Scans are keyed by digest, not by version: a blob is scanned once per engine version and the
result holds for every version and model that contains the same bytes. Releases are per version
and file (a maintainer reviewed *this* version), each naming the scan it reviewed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
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


class QuarantineReleaseRow(Base):
    """One quarantined file of a released version; the reason repeats on each file's row (a
    release is written and revoked as a whole, so the rows of a version always agree)."""

    __tablename__ = "quarantine_releases"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    verdict: Mapped[str] = mapped_column(String(16))
    engines: Mapped[dict[str, str]] = mapped_column(JSONDocument)
    fingerprint: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    released_by: Mapped[str] = mapped_column(String(256))
    released_at: Mapped[datetime]


# ``QuarantineOverrideRow.digest`` of a refused override: ``refused:<digest>``.
REFUSED_PREFIX = "refused:"


class QuarantineOverrideRow(Base):
    """That ``actor`` downloaded quarantined ``digest`` with the override on ``day`` (UTC), or
    (``REFUSED_PREFIX``) asked for the override and was refused: the audit event is written for
    the first of each in the day only."""

    __tablename__ = "quarantine_overrides"

    actor: Mapped[str] = mapped_column(String(256), primary_key=True)
    digest: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
