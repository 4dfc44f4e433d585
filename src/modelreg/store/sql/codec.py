"""JSON form of a ``VersionDraft``, for upload sessions waiting in the database."""

from __future__ import annotations

from typing import Any

from modelreg.domain.digests import Digest
from modelreg.domain.entities import FileEntry, Lineage, VersionDraft


def draft_to_json(draft: VersionDraft) -> dict[str, Any]:
    lineage = draft.lineage
    return {
        "files": [[f.path, f.size, str(f.digest)] for f in draft.files],
        "params": dict(draft.params),
        "metrics": dict(draft.metrics),
        "tags": dict(draft.tags),
        "description": draft.description,
        "lineage": {
            "source_commit": lineage.source_commit,
            "source_url": lineage.source_url,
            "datasets": list(lineage.datasets),
            "parent_version": lineage.parent_version,
            "run_id": lineage.run_id,
            "experiment_id": lineage.experiment_id,
        },
    }


def draft_from_json(data: dict[str, Any]) -> VersionDraft:
    lineage = dict(data["lineage"])
    lineage["datasets"] = tuple(lineage["datasets"])
    return VersionDraft(
        files=tuple(FileEntry(path, size, Digest.parse(d)) for path, size, d in data["files"]),
        params=data["params"],
        metrics=data["metrics"],
        tags=data["tags"],
        description=data["description"],
        lineage=Lineage(**lineage),
    )
