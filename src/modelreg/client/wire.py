"""Decoding the server's JSON into domain entities (the SDK never imports the server)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from modelreg.domain.audit import (
    AuditEntry,
    AuditProblem,
    AuditVerification,
    ChainHead,
    ProblemKind,
)
from modelreg.domain.digests import Digest
from modelreg.domain.entities import (
    Alias,
    Event,
    FileEntry,
    Lineage,
    ModelVersion,
    RegisteredModel,
    UploadSession,
    VersionDraft,
    VersionStatus,
)
from modelreg.domain.governance import (
    DEFAULT_SCOPE,
    Decision,
    PolicyRevision,
    PromotionDecision,
    PromotionRequest,
    PromotionStatus,
)
from modelreg.domain.policy import Outcome, PolicyReport, RuleResult
from modelreg.domain.records import (
    AliasChange,
    Deployment,
    DeploymentStatus,
    Evaluation,
    ModelCard,
    ReportFile,
)
from modelreg.domain.webhooks import DeliveryStatus, WebhookDelivery, WebhookSubscription


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def model_from_json(data: dict[str, Any]) -> RegisteredModel:
    return RegisteredModel(
        name=data["name"],
        description=data["description"],
        owner=data["owner"],
        tags=data["tags"],
        created_at=_time(data["created_at"]),
        updated_at=_time(data["updated_at"]),
        latest_version=data["latest_version"],
        aliases=data["aliases"],
    )


def lineage_to_json(lineage: Lineage) -> dict[str, Any]:
    return {
        "source_commit": lineage.source_commit,
        "source_url": lineage.source_url,
        "datasets": list(lineage.datasets),
        "parent_version": lineage.parent_version,
        "run_id": lineage.run_id,
        "experiment_id": lineage.experiment_id,
    }


def version_from_json(data: dict[str, Any]) -> ModelVersion:
    lineage = data["lineage"]
    return ModelVersion(
        model_name=data["name"],
        version=data["version"],
        status=VersionStatus(data["status"]),
        description=data["description"],
        params=data["params"],
        metrics=data["metrics"],
        tags=data["tags"],
        lineage=Lineage(**{**lineage, "datasets": tuple(lineage["datasets"])}),
        files=tuple(
            FileEntry(f["path"], f["size"], Digest.parse(f["digest"])) for f in data["files"]
        ),
        created_by=data["created_by"],
        created_at=_time(data["created_at"]),
        # A server before migration 0015 sent no update time: the version's creation then.
        updated_at=_time(data.get("updated_at") or data["created_at"]),
        aliases=tuple(data["aliases"]),
        archived_at=_optional_time(data.get("archived_at")),
    )


def alias_from_json(data: dict[str, Any]) -> Alias:
    return Alias(
        model_name=data["model"],
        name=data["alias"],
        version=data["version"],
        updated_at=_time(data["updated_at"]),
        updated_by=data["updated_by"],
    )


def event_from_json(data: dict[str, Any]) -> Event:
    return Event(
        model_name=data["model"],
        action=data["action"],
        actor=data["actor"],
        at=_time(data["at"]),
        version=data["version"],
        details=data["details"],
        target=data.get("target", ""),
        before=data.get("before"),
        after=data.get("after"),
    )


def draft_to_json(draft: VersionDraft) -> dict[str, Any]:
    return {
        "files": [{"path": f.path, "size": f.size, "digest": str(f.digest)} for f in draft.files],
        "params": dict(draft.params),
        "metrics": dict(draft.metrics),
        "tags": dict(draft.tags),
        "description": draft.description,
        "lineage": lineage_to_json(draft.lineage),
    }


def upload_from_json(data: dict[str, Any], draft: VersionDraft) -> UploadSession:
    return UploadSession(
        id=data["upload_id"],
        model_name=data["model"],
        draft=draft,
        created_by="",
        started_at=_time(data["started_at"]),
        missing=tuple(Digest.parse(d) for d in data["missing"]),
    )


# -- policies, promotions, webhooks --------------------------------------------------------------


def _maybe_time(text: str | None) -> datetime | None:
    return None if text is None else _time(text)


def policy_revision_from_json(data: dict[str, Any]) -> PolicyRevision:
    return PolicyRevision(
        scope=data["model"] if data["model"] is not None else DEFAULT_SCOPE,
        revision=data["revision"],
        document=data["document"],
        created_by=data["created_by"],
        created_at=_time(data["created_at"]),
    )


def policy_report_from_json(data: dict[str, Any]) -> PolicyReport:
    return PolicyReport(
        model_name=data["model"],
        version=data["version"],
        alias=data["alias"],
        results=tuple(
            RuleResult(r["rule"], Outcome(r["outcome"]), r["detail"]) for r in data["results"]
        ),
    )


def promotion_from_json(data: dict[str, Any]) -> PromotionRequest:
    return PromotionRequest(
        id=data["id"],
        model_name=data["model"],
        alias=data["alias"],
        version=data["version"],
        reason=data["reason"],
        requested_by=data["requested_by"],
        requested_at=_time(data["requested_at"]),
        status=PromotionStatus(data["status"]),
        decided_at=_maybe_time(data["decided_at"]),
        decisions=tuple(
            PromotionDecision(d["actor"], Decision(d["decision"]), d["reason"], _time(d["at"]))
            for d in data["decisions"]
        ),
    )


def webhook_from_json(data: dict[str, Any]) -> WebhookSubscription:
    return WebhookSubscription(
        id=data["id"],
        url=data["url"],
        events=tuple(data["events"]),
        created_by=data["created_by"],
        created_at=_time(data["created_at"]),
    )


def delivery_from_json(data: dict[str, Any]) -> WebhookDelivery:
    return WebhookDelivery(
        id=data["id"],
        subscription_id=data["webhook_id"],
        event_type=data["event_type"],
        payload=data["payload"],
        status=DeliveryStatus(data["status"]),
        attempts=data["attempts"],
        created_at=_time(data["created_at"]),
        next_attempt_at=_maybe_time(data["next_attempt_at"]),
        last_status_code=data["last_status_code"],
        last_error=data["last_error"],
        delivered_at=_maybe_time(data["delivered_at"]),
    )


# -- audit trail, alias history, deployments, evaluations, model cards ---------------------------


def _optional_time(text: str | None) -> datetime | None:
    return None if text is None else _time(text)


def audit_entry_from_json(data: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        seq=data["seq"],
        at=_time(data["at"]),
        actor=data["actor"],
        action=data["action"],
        model_name=data["model"],
        version=data["version"],
        target=data["target"],
        before=data["before"],
        after=data["after"],
        details=data["details"],
        prev_hash=data["prev_hash"],
        hash=data["hash"],
        id=data.get("id"),
    )


def audit_entry_to_json(entry: AuditEntry) -> dict[str, Any]:
    """The API's JSON form of an entry; also one line of ``modelreg audit export``."""
    return {
        "seq": entry.seq,
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "model": entry.model_name,
        "version": entry.version,
        "target": entry.target,
        "before": entry.before,
        "after": entry.after,
        "details": dict(entry.details),
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def verification_from_json(data: dict[str, Any]) -> AuditVerification:
    head = data["head"]
    problem = data["problem"]
    return AuditVerification(
        entries=data["entries"],
        head=None if head is None else ChainHead(head["seq"], head["hash"]),
        problem=None
        if problem is None
        else AuditProblem(
            ProblemKind(problem["kind"]), problem["seq"], problem["message"], problem["entry_id"]
        ),
    )


def alias_change_from_json(data: dict[str, Any]) -> AliasChange:
    return AliasChange(
        model_name=data["model"],
        alias=data["alias"],
        version=data["version"],
        at=_time(data["at"]),
        actor=data["actor"],
    )


def deployment_from_json(data: dict[str, Any]) -> Deployment:
    return Deployment(
        id=data["id"],
        model_name=data["model"],
        version=data["version"],
        environment=data["environment"],
        status=DeploymentStatus(data["status"]),
        at=_time(data["at"]),
        recorded_by=data["recorded_by"],
        note=data["note"],
    )


def report_to_json(report: ReportFile) -> dict[str, Any]:
    return {"name": report.name, "size": report.size, "digest": str(report.digest)}


def evaluation_from_json(data: dict[str, Any]) -> Evaluation:
    report = data["report"]
    return Evaluation(
        id=data["id"],
        model_name=data["model"],
        version=data["version"],
        dataset=data["dataset"],
        metrics=data["metrics"],
        description=data["description"],
        report=None
        if report is None
        else ReportFile(report["name"], report["size"], Digest.parse(report["digest"])),
        created_by=data["created_by"],
        created_at=_time(data["created_at"]),
    )


def card_from_json(data: dict[str, Any]) -> ModelCard:
    return ModelCard(
        model_name=data["model"],
        version=data["version"],
        revision=data["revision"],
        content=data["content"],
        metadata=data["metadata"],
        created_by=data["created_by"],
        created_at=_time(data["created_at"]),
    )
