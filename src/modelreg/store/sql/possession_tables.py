"""Tables of migration 0012: what each upload session has proven it holds."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from modelreg.store.sql.tables import Base


class UploadReceiptRow(Base):
    """A blob or chunk digest whose bytes session ``upload_id`` sent and the registry verified.
    Rows go with the session (commit, cancel, expiry) through the cascade."""

    __tablename__ = "upload_receipts"

    upload_id: Mapped[str] = mapped_column(
        ForeignKey("upload_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(80), primary_key=True)
