"""Wire schemas of garbage collection, the storage report and retention policies. Durations
travel as text in the CLI's syntax (``30d``, ``1h``), so what a user typed is what is stored."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field

from modelreg.domain.retention import (
    ModelRetentionPlan,
    RetentionPlan,
    RetentionPolicy,
    VersionDecision,
)
from modelreg.domain.storage import Freed, GcReport, StorageReport, format_duration
from modelreg.server.schemas import Schema


class GcRequest(Schema):
    grace: str = Field(default="1h", description="Spare unreferenced blobs younger than this")
    dry_run: bool = False


class FreedOut(Schema):
    objects: int
    bytes: int

    @classmethod
    def from_entity(cls, freed: Freed) -> FreedOut:
        return cls(objects=freed.objects, bytes=freed.bytes)


class GcReportOut(Schema):
    dry_run: bool
    grace: str
    started_at: datetime
    finished_at: datetime
    referenced: int
    blobs: FreedOut
    uploads: FreedOut
    parts: FreedOut
    sessions: int
    kept_young: int
    overrides: int
    total: FreedOut

    @classmethod
    def from_entity(cls, report: GcReport) -> GcReportOut:
        return cls(
            dry_run=report.dry_run,
            grace=format_duration(report.grace),
            started_at=report.started_at,
            finished_at=report.finished_at,
            referenced=report.referenced,
            blobs=FreedOut.from_entity(report.blobs),
            uploads=FreedOut.from_entity(report.uploads),
            parts=FreedOut.from_entity(report.parts),
            sessions=report.sessions,
            kept_young=report.kept_young,
            overrides=report.overrides,
            total=FreedOut.from_entity(report.total),
        )


class ModelStorageOut(Schema):
    model: str
    versions: int
    logical_bytes: int
    blobs: int
    blob_bytes: int


class StorageReportOut(Schema):
    logical_bytes: int
    physical_objects: int
    physical_bytes: int
    dedup_ratio: float | None
    versions: int
    models: list[ModelStorageOut]

    @classmethod
    def from_entity(cls, report: StorageReport) -> StorageReportOut:
        return cls(
            logical_bytes=report.logical_bytes,
            physical_objects=report.physical_objects,
            physical_bytes=report.physical_bytes,
            dedup_ratio=report.dedup_ratio,
            versions=report.versions,
            models=[
                ModelStorageOut(
                    model=m.model_name,
                    versions=m.versions,
                    logical_bytes=m.logical_bytes,
                    blobs=m.blobs,
                    blob_bytes=m.blob_bytes,
                )
                for m in report.models
            ],
        )


class RetentionPolicySet(Schema):
    keep_last: int | None = None
    archive_after: str | None = Field(default=None, examples=["30d"])
    delete_archived_after: str | None = Field(default=None, examples=["90d"])


class RetentionPolicyOut(Schema):
    model: str | None = Field(description="None for the registry-wide policy")
    keep_last: int | None
    archive_after: str | None
    delete_archived_after: str | None
    updated_by: str
    updated_at: datetime | None

    @classmethod
    def from_entity(cls, policy: RetentionPolicy) -> RetentionPolicyOut:
        return cls(
            model=policy.scope or None,
            keep_last=policy.keep_last,
            archive_after=_duration(policy.archive_after),
            delete_archived_after=_duration(policy.delete_archived_after),
            updated_by=policy.updated_by,
            updated_at=policy.updated_at,
        )


class RetentionPolicyList(Schema):
    items: list[RetentionPolicyOut]


class RuleOutcomeOut(Schema):
    rule: str
    verdict: str
    reason: str


class VersionDecisionOut(Schema):
    version: int
    action: str
    reason: str
    rules: list[RuleOutcomeOut]

    @classmethod
    def from_entity(cls, decision: VersionDecision) -> VersionDecisionOut:
        return cls(
            version=decision.version,
            action=decision.action.value,
            reason=decision.reason,
            rules=[
                RuleOutcomeOut(rule=r.rule, verdict=r.verdict.value, reason=r.reason)
                for r in decision.rules
            ],
        )


class ModelPlanOut(Schema):
    model: str
    policy: RetentionPolicyOut | None
    decisions: list[VersionDecisionOut]

    @classmethod
    def from_entity(cls, plan: ModelRetentionPlan) -> ModelPlanOut:
        return cls(
            model=plan.model_name,
            policy=None if plan.policy is None else RetentionPolicyOut.from_entity(plan.policy),
            decisions=[VersionDecisionOut.from_entity(d) for d in plan.decisions],
        )


class RetentionPlanOut(Schema):
    at: datetime
    applied: bool
    models: list[ModelPlanOut]

    @classmethod
    def from_entity(cls, plan: RetentionPlan) -> RetentionPlanOut:
        return cls(
            at=plan.at,
            applied=plan.applied,
            models=[ModelPlanOut.from_entity(m) for m in plan.models],
        )


def _duration(span: timedelta | None) -> str | None:
    return None if span is None else format_duration(span)
