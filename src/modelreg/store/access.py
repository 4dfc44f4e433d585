"""Port for role grants on models (part of ``MetadataTransaction``).

Same contract as ``store/base.py``: nothing commits on its own; a missing model raises
``ModelNotFoundError``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from modelreg.domain.access import Role
from modelreg.domain.permissions import Grant, Subject


class AccessRepository(Protocol):
    def set_grant(
        self, model_name: str, subject: Subject, role: Role, *, granted_by: str, now: datetime
    ) -> Role | None:
        """Give ``subject`` ``role`` on the model (replacing its earlier role there); returns
        the earlier role, None when it had none."""

    def delete_grant(self, model_name: str, subject: Subject) -> Role | None:
        """Remove ``subject``'s grant on the model; returns the role it had (None: none)."""

    def list_grants(self, model_name: str) -> list[Grant]:
        """Every grant on the model, by subject kind and name."""

    def models_holding(self, digest: str) -> list[str]:
        """Names of the models whose versions (files or evaluation reports) hold ``digest``."""
