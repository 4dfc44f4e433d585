"""Models and versions as MLflow's registry API shows them.

MLflow never shows a version's files, params or metrics, so its reads load only what it shows:
the version row with its tags, aliases and MLflow-only fields. These views are what they are
named for and nothing more: they are not ``ModelVersion``/``RegisteredModel`` with fields left
empty, so no code can mistake a view for a version without files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from modelreg.domain.entities import ModelVersion, RegisteredModel, VersionStatus
from modelreg.domain.tracking import VersionExtras


@dataclass(frozen=True, slots=True)
class MlflowVersionView:
    model_name: str
    version: int
    status: VersionStatus
    description: str
    created_by: str
    created_at: datetime
    updated_at: datetime
    run_id: str | None
    tags: Mapping[str, str]
    aliases: tuple[str, ...]
    extras: VersionExtras
    """Stage, source, run link and logged model (defaults when none are stored)."""


@dataclass(frozen=True, slots=True)
class MlflowModelView:
    name: str
    description: str
    owner: str | None
    tags: Mapping[str, str]
    created_at: datetime
    updated_at: datetime
    aliases: Mapping[str, int]
    latest_versions: tuple[MlflowVersionView, ...]
    """The highest version in each stage that has one, highest first."""


def version_view(version: ModelVersion, extras: VersionExtras) -> MlflowVersionView:
    """The view of a version already loaded whole (after a write that returned it)."""
    return MlflowVersionView(
        model_name=version.model_name,
        version=version.version,
        status=version.status,
        description=version.description,
        created_by=version.created_by,
        created_at=version.created_at,
        updated_at=version.updated_at,
        run_id=version.lineage.run_id,
        tags=version.tags,
        aliases=version.aliases,
        extras=extras,
    )


def model_view(model: RegisteredModel, latest: Sequence[MlflowVersionView]) -> MlflowModelView:
    """The view of a model already loaded (after a write that returned it)."""
    return MlflowModelView(
        name=model.name,
        description=model.description,
        owner=model.owner,
        tags=model.tags,
        created_at=model.created_at,
        updated_at=model.updated_at,
        aliases=model.aliases,
        latest_versions=tuple(latest),
    )
