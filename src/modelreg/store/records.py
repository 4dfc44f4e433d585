"""Ports for the audit trail, alias history, deployments, evaluations, model cards and archiving
(part of ``MetadataTransaction``).

Same contract as ``store/base.py``: nothing commits on its own; missing things raise the
domain's ``NotFoundError`` subclasses.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from modelreg.domain.audit import AuditEntry, AuditQuery, ChainHead
from modelreg.domain.entities import ModelVersion
from modelreg.domain.records import (
    AliasChange,
    Deployment,
    DeploymentStatus,
    Evaluation,
    EvaluationDraft,
    ModelCard,
)


class AuditRepository(Protocol):
    """Reading the chain. Entries are only ever appended, by ``EventLog.add_event``: the store
    chains the events of a transaction when it commits, one transaction at a time."""

    def list_audit(
        self, query: AuditQuery, *, after_seq: int | None, limit: int, descending: bool = False
    ) -> list[AuditEntry]:
        """Entries matching ``query`` in ``seq`` order, starting after ``after_seq``."""

    def audit_head(self) -> ChainHead | None:
        """The recorded chain head; None before the first entry."""


class AliasHistoryRepository(Protocol):
    def alias_at(self, model_name: str, alias: str, moment: datetime) -> AliasChange | None:
        """The last change of the alias at or before ``moment`` since the model was created;
        None when there was none."""

    def list_alias_history(
        self, model_name: str, alias: str | None, *, offset: int, limit: int
    ) -> list[AliasChange]:
        """Changes of one alias (every alias when None) of the model, newest first."""


class ArchiveRepository(Protocol):
    def set_version_archived(
        self,
        model_name: str,
        version: int,
        *,
        archived_at: datetime | None,
        actor: str | None,
        now: datetime,
    ) -> ModelVersion:
        """Archive (``archived_at`` given) or restore (None) a version, updated ``now``."""


class DeploymentRepository(Protocol):
    def add_deployment(
        self,
        model_name: str,
        version: int,
        environment: str,
        status: DeploymentStatus,
        *,
        note: str,
        actor: str,
        now: datetime,
    ) -> Deployment: ...

    def current_deployments(
        self, *, environment: str | None, model_name: str | None
    ) -> list[Deployment]:
        """Per model and environment, the version deployed now (its DEPLOYED record)."""

    def list_deployments(
        self, model_name: str, *, environment: str | None, offset: int, limit: int
    ) -> list[Deployment]:
        """Every record of the model, newest first."""


class EvaluationRepository(Protocol):
    def add_evaluation(
        self, model_name: str, version: int, draft: EvaluationDraft, *, actor: str, now: datetime
    ) -> Evaluation: ...

    def list_evaluations(self, model_name: str, version: int) -> list[Evaluation]:
        """Oldest first."""

    def add_model_card(
        self,
        model_name: str,
        version: int,
        content: str,
        metadata: Mapping[str, Any],
        *,
        actor: str,
        now: datetime,
    ) -> ModelCard:
        """Store the card as the version's next revision (1 for the first)."""

    def get_model_card(
        self, model_name: str, version: int, revision: int | None = None
    ) -> ModelCard:
        """The latest (or the given) revision; ``NotFoundError`` when there is none."""

    def has_model_card(self, model_name: str, version: int) -> bool: ...
