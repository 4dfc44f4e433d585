"""Governance entities of policies, promotions and webhooks (part B of issue 4)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

DEFAULT_SCOPE = "*"
"""The scope of the registry-wide default policy; a model's policy has the model's name."""


@dataclass(frozen=True, slots=True)
class PolicyRevision:
    """One stored revision of a policy: every ``set`` adds revision N+1 and keeps the others."""

    scope: str
    revision: int
    document: Mapping[str, Any]
    created_by: str
    created_at: datetime

    @property
    def model_name(self) -> str | None:
        return None if self.scope == DEFAULT_SCOPE else self.scope


class PromotionStatus(enum.StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    """Approved and done: the alias was moved in the same transaction."""
    REJECTED = "REJECTED"


class Decision(enum.StrEnum):
    APPROVE = "APPROVE"
    REJECT = "REJECT"


@dataclass(frozen=True, slots=True)
class PromotionDecision:
    actor: str
    decision: Decision
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class PromotionRequest:
    id: int
    model_name: str
    alias: str
    version: int
    reason: str
    requested_by: str
    requested_at: datetime
    status: PromotionStatus
    decided_at: datetime | None = None
    decisions: tuple[PromotionDecision, ...] = ()

    @property
    def approvers(self) -> tuple[str, ...]:
        """Distinct people who approved, in the order they did."""
        seen: dict[str, None] = {}
        for decision in self.decisions:
            if decision.decision is Decision.APPROVE:
                seen.setdefault(decision.actor, None)
        return tuple(seen)
