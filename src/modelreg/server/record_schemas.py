"""Wire schemas of the audit trail, alias history, deployments, evaluations and model cards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from modelreg.domain.audit import AuditEntry, AuditVerification
from modelreg.domain.records import (
    AliasChange,
    Deployment,
    DeploymentStatus,
    Evaluation,
    ModelCard,
    ReportFile,
)
from modelreg.server.schemas import Schema


class AuditEntryOut(Schema):
    seq: int
    id: int | None
    at: datetime
    actor: str
    action: str
    model: str | None
    version: int | None
    target: str
    before: Any
    after: Any
    details: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def from_entity(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(
            seq=entry.seq,
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            model=entry.model_name,
            version=entry.version,
            target=entry.target,
            before=entry.before,
            after=entry.after,
            details=dict(entry.details),
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )


class AuditPage(Schema):
    items: list[AuditEntryOut]
    next_cursor: str | None


class ChainHeadOut(Schema):
    seq: int
    hash: str


class AuditProblemOut(Schema):
    kind: str
    seq: int | None
    entry_id: int | None
    message: str


class AuditVerificationOut(Schema):
    ok: bool
    entries: int
    head: ChainHeadOut | None
    problem: AuditProblemOut | None

    @classmethod
    def from_entity(cls, report: AuditVerification) -> AuditVerificationOut:
        problem = report.problem
        return cls(
            ok=report.ok,
            entries=report.entries,
            head=None
            if report.head is None
            else ChainHeadOut(seq=report.head.seq, hash=report.head.hash),
            problem=None
            if problem is None
            else AuditProblemOut(
                kind=problem.kind.value,
                seq=problem.seq,
                entry_id=problem.entry_id,
                message=problem.message,
            ),
        )


class AliasChangeOut(Schema):
    model: str
    alias: str
    version: int | None
    at: datetime
    actor: str

    @classmethod
    def from_entity(cls, change: AliasChange) -> AliasChangeOut:
        return cls(
            model=change.model_name,
            alias=change.alias,
            version=change.version,
            at=change.at,
            actor=change.actor,
        )


class AliasHistoryPage(Schema):
    items: list[AliasChangeOut]
    next_cursor: str | None


class DeploymentCreate(Schema):
    version: int = Field(ge=1)
    environment: str
    status: str = Field(DeploymentStatus.DEPLOYED.value, description="DEPLOYING, DEPLOYED, ...")
    note: str = ""


class DeploymentOut(Schema):
    id: int
    model: str
    version: int
    environment: str
    status: DeploymentStatus
    at: datetime
    recorded_by: str
    note: str

    @classmethod
    def from_entity(cls, deployment: Deployment) -> DeploymentOut:
        return cls(
            id=deployment.id,
            model=deployment.model_name,
            version=deployment.version,
            environment=deployment.environment,
            status=deployment.status,
            at=deployment.at,
            recorded_by=deployment.recorded_by,
            note=deployment.note,
        )


class DeploymentList(Schema):
    items: list[DeploymentOut]


class DeploymentPage(Schema):
    items: list[DeploymentOut]
    next_cursor: str | None


class ReportSchema(Schema):
    name: str
    size: int = Field(ge=0)
    digest: str

    @classmethod
    def from_entity(cls, report: ReportFile) -> ReportSchema:
        return cls(name=report.name, size=report.size, digest=str(report.digest))


class EvaluationCreate(Schema):
    """The JSON body, or the ``evaluation`` field of a multipart body that carries the report
    file as its ``report`` part (then ``report`` here declares its name, size and digest)."""

    dataset: str
    metrics: dict[str, float] = Field(default_factory=dict)
    description: str = ""
    report: ReportSchema | None = None


class EvaluationOut(Schema):
    id: int
    model: str
    version: int
    dataset: str
    metrics: dict[str, float]
    description: str
    report: ReportSchema | None
    created_by: str
    created_at: datetime

    @classmethod
    def from_entity(cls, evaluation: Evaluation) -> EvaluationOut:
        report = evaluation.report
        return cls(
            id=evaluation.id,
            model=evaluation.model_name,
            version=evaluation.version,
            dataset=evaluation.dataset,
            metrics=dict(evaluation.metrics),
            description=evaluation.description,
            report=None if report is None else ReportSchema.from_entity(report),
            created_by=evaluation.created_by,
            created_at=evaluation.created_at,
        )


class EvaluationList(Schema):
    items: list[EvaluationOut]


class CardSet(Schema):
    content: str


class CardOut(Schema):
    model: str
    version: int
    revision: int
    content: str
    metadata: dict[str, Any]
    created_by: str
    created_at: datetime

    @classmethod
    def from_entity(cls, card: ModelCard) -> CardOut:
        return cls(
            model=card.model_name,
            version=card.version,
            revision=card.revision,
            content=card.content,
            metadata=dict(card.metadata),
            created_by=card.created_by,
            created_at=card.created_at,
        )
