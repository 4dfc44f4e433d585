"""Tables of migration 0006: role grants on models (authorization).

Grants are keyed by the model's surrogate id with ON DELETE CASCADE, so a rename keeps them and
deleting a model removes them (a new model of the same name starts with no grants). Registry
admins are a flag on the user (migration 0005), not a grant.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from modelreg.domain.access import Role
from modelreg.domain.permissions import SubjectKind
from modelreg.store.sql.tables import Base

__all__ = ["Base", "GrantRow"]


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(
        cls,
        native_enum=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class GrantRow(Base):
    __tablename__ = "model_grants"
    __table_args__ = (
        UniqueConstraint("model_id", "subject_kind", "subject_name"),
        # Visibility filters look up "every model this user or these teams hold a grant on".
        Index("ix_model_grants_subject", "subject_kind", "subject_name", "model_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"))
    subject_kind: Mapped[SubjectKind] = mapped_column(_enum(SubjectKind))
    subject_name: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(_enum(Role))
    granted_by: Mapped[str] = mapped_column(String(256))
    granted_at: Mapped[datetime]
