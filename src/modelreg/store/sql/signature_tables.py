"""Tables of migration 0008: signing keys and manifest signatures.

Signatures hang off the version row (deleted with it); keys are referenced by fingerprint, not
by row, so a signature by a key the registry never knew, or no longer trusts, is still listed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from modelreg.store.sql.tables import Base

__all__ = ["Base", "ManifestSignatureRow", "SigningKeyRow"]


class SigningKeyRow(Base):
    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(80), unique=True)
    public_key: Mapped[str] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(256))
    added_at: Mapped[datetime]
    revoked_by: Mapped[str | None] = mapped_column(String(256))
    revoked_at: Mapped[datetime | None]


class ManifestSignatureRow(Base):
    __tablename__ = "manifest_signatures"
    __table_args__ = (UniqueConstraint("version_id", "key_fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), index=True
    )
    key_fingerprint: Mapped[str] = mapped_column(String(80))
    signature: Mapped[str] = mapped_column(String(200))
    signed_by: Mapped[str] = mapped_column(String(256))
    signed_at: Mapped[datetime]
