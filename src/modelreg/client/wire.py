"""Decoding the server's JSON into domain entities (the SDK never imports the server)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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
        aliases=tuple(data["aliases"]),
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
