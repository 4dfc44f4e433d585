"""Experiment tracking as MLflow clients see it: experiments, runs, logged models, artifacts,
and the MLflow-only fields of a model version (its stage and where it was registered from).

The not-found errors below extend the hierarchy of ``domain/errors.py`` (``NotFoundError``):
``EXPERIMENT_NOT_FOUND``, ``RUN_NOT_FOUND``, ``LOGGED_MODEL_NOT_FOUND``, ``ARTIFACT_NOT_FOUND``.

These exist so the unmodified ``mlflow`` client can log and register models against modelreg
(``docs/mlflow.md``). Artifacts are files in modelreg's content-addressed blob store, indexed by
path; a version registered from them gets a manifest of the same blobs, so nothing is copied.

Artifact paths and URIs::

    mlflow-artifacts:/<experiment id>                           an experiment's artifact root
    mlflow-artifacts:/<experiment id>/<run id>/artifacts        a run's artifacts
    mlflow-artifacts:/<experiment id>/models/<model id>/artifacts  a logged model's files
    mlflow-artifacts:/_registry/<model name>/<version>          a model version's files (read-only)
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote, urlparse

from modelreg.domain.digests import Digest
from modelreg.domain.errors import InvalidArgumentError, LimitExceededError, NotFoundError
from modelreg.domain.provenance import DIGEST_LENGTH as DATASET_DIGEST_LENGTH
from modelreg.domain.provenance import NAME_LENGTH as DATASET_NAME_LENGTH
from modelreg.domain.provenance import DatasetInput, ModelInput
from modelreg.domain.rules import validate_file_path, validate_key

ARTIFACTS_SCHEME = "mlflow-artifacts"
REGISTRY_ARTIFACT_ROOT = "_registry"
DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"

EXPERIMENT_NAME_LENGTH = 500
RUN_NAME_LENGTH = 250
PARAM_VALUE_LENGTH = 6000
RUN_TAG_VALUE_LENGTH = 8000
EXPERIMENT_TAG_VALUE_LENGTH = 20_000
LOGGED_MODEL_TAG_VALUE_LENGTH = 100_000
ENTRIES_PER_BATCH = 1000


class ExperimentNotFoundError(NotFoundError):
    code = "EXPERIMENT_NOT_FOUND"


class RunNotFoundError(NotFoundError):
    code = "RUN_NOT_FOUND"


class LoggedModelNotFoundError(NotFoundError):
    code = "LOGGED_MODEL_NOT_FOUND"


class ArtifactNotFoundError(NotFoundError):
    code = "ARTIFACT_NOT_FOUND"


class RunStatus(enum.StrEnum):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"


# A run in one of these has ended; the versions registered from it take its final numbers
# (service/late_numbers.py).
ENDED = frozenset({RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED})


class LifecycleStage(enum.StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"


class LoggedModelStatus(enum.StrEnum):
    PENDING = "LOGGED_MODEL_PENDING"
    READY = "LOGGED_MODEL_READY"
    FAILED = "LOGGED_MODEL_UPLOAD_FAILED"


class Stage(enum.StrEnum):
    """MLflow's (deprecated, still used) model version stages."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"


ACTIVE_STAGES = (Stage.STAGING, Stage.PRODUCTION)


def canonical_stage(text: str) -> Stage:
    """``'production'`` -> ``Stage.PRODUCTION``; case-insensitive, as MLflow accepts them."""
    for stage in Stage:
        if isinstance(text, str) and text.strip().lower() == stage.value.lower():
            return stage
    raise InvalidArgumentError(
        f"invalid model version stage {str(text)[:80]!r}: "
        f"use one of {', '.join(s.value for s in Stage)}",
        field="stage",
    )


@dataclass(frozen=True, slots=True)
class Experiment:
    id: str
    name: str
    artifact_location: str
    lifecycle_stage: LifecycleStage
    created_at: datetime
    updated_at: datetime
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    value: float
    timestamp: datetime
    step: int = 0
    model_id: str | None = None
    # The dataset it was measured on (MLflow 3's log_metric(dataset=...)), by name and digest.
    dataset_name: str | None = None
    dataset_digest: str | None = None


@dataclass(frozen=True, slots=True)
class ModelOutput:
    """A logged model a run produced, at a training step."""

    model_id: str
    step: int = 0


@dataclass(frozen=True, slots=True)
class RunInfo:
    id: str
    experiment_id: str
    name: str
    user_id: str
    status: RunStatus
    start_time: datetime | None
    end_time: datetime | None
    lifecycle_stage: LifecycleStage
    artifact_uri: str


@dataclass(frozen=True, slots=True)
class Run:
    info: RunInfo
    params: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    metrics: tuple[Metric, ...] = ()
    """The latest value of each metric key (highest step, then latest timestamp)."""
    outputs: tuple[ModelOutput, ...] = ()
    inputs: tuple[DatasetInput, ...] = ()
    model_inputs: tuple[ModelInput, ...] = ()


@dataclass(frozen=True, slots=True)
class LoggedModel:
    id: str
    experiment_id: str
    name: str
    model_type: str
    source_run_id: str | None
    status: LoggedModelStatus
    status_message: str
    artifact_uri: str
    lifecycle_stage: LifecycleStage
    created_at: datetime
    updated_at: datetime
    tags: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: tuple[Metric, ...] = ()


@dataclass(frozen=True, slots=True)
class ArtifactEntry:
    """One stored artifact file: its full path and the blob holding its bytes."""

    path: str
    size: int
    digest: Digest
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ArtifactListing:
    """A direct child of a listed artifact folder; ``name`` is relative to that folder."""

    name: str
    is_dir: bool
    size: int | None = None


@dataclass(frozen=True, slots=True)
class VersionExtras:
    """The MLflow-only fields of a model version. A version pushed with modelreg has none
    stored and reads as these defaults."""

    stage: Stage = Stage.NONE
    source: str | None = None
    run_link: str = ""
    logged_model_id: str | None = None


# -- URIs -------------------------------------------------------------------------------------


def experiment_artifact_location(experiment_id: str) -> str:
    return f"{ARTIFACTS_SCHEME}:/{experiment_id}"


def run_artifact_uri(experiment_id: str, run_id: str) -> str:
    return f"{ARTIFACTS_SCHEME}:/{experiment_id}/{run_id}/artifacts"


def logged_model_artifact_uri(experiment_id: str, model_id: str) -> str:
    return f"{ARTIFACTS_SCHEME}:/{experiment_id}/models/{model_id}/artifacts"


def version_artifact_path(model_name: str, version: int) -> str:
    return f"{REGISTRY_ARTIFACT_ROOT}/{model_name}/{version}"


def version_artifact_uri(model_name: str, version: int) -> str:
    return f"{ARTIFACTS_SCHEME}:/{version_artifact_path(model_name, version)}"


def artifact_path_of(uri: str) -> str:
    """The artifact path an ``mlflow-artifacts:`` URI names (``''`` for the root)."""
    parsed = urlparse(uri)
    if parsed.scheme != ARTIFACTS_SCHEME:
        raise InvalidArgumentError(f"{uri[:200]!r} is not an {ARTIFACTS_SCHEME}: URI")
    path = unquote(parsed.path).strip("/")
    return validate_artifact_path(path) if path else ""


def validate_artifact_path(path: str) -> str:
    """A relative POSIX path without '..' or empty segments, like a manifest path."""
    return validate_file_path(path.strip("/") if isinstance(path, str) else path)


def registry_version_of(path: str) -> tuple[str, int, str] | None:
    """``_registry/<name>/<version>[/<rest>]`` -> (name, version, rest); None for other paths."""
    parts = path.split("/", 3)
    if parts[0] != REGISTRY_ARTIFACT_ROOT:
        return None
    if len(parts) < 3 or not parts[2].isdigit():
        raise InvalidArgumentError(
            f"artifact path {path[:200]!r} under {REGISTRY_ARTIFACT_ROOT}/ must name "
            "<model>/<version>",
            field="path",
        )
    return parts[1], int(parts[2]), parts[3] if len(parts) == 4 else ""


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a version's files are, from a ``CreateModelVersion`` source URI.

    ``kind`` is ``artifacts`` (``path``), ``run`` (``run_id`` and ``path`` inside the run),
    ``logged_model`` (``model_id``) or ``version`` (``model_name`` with ``version`` or
    ``alias``; neither means the latest).
    """

    kind: str
    path: str = ""
    run_id: str | None = None
    model_id: str | None = None
    model_name: str | None = None
    version: int | None = None
    alias: str | None = None


def parse_source(source: str) -> SourceRef:
    """Parse the source of a new version; the registry stores bytes, so only sources whose
    files it holds are accepted: ``mlflow-artifacts:``, ``runs:/`` and ``models:/``."""
    if not isinstance(source, str) or not source.strip():
        raise InvalidArgumentError("a model version needs a source URI", field="source")
    parsed = urlparse(source)
    if parsed.scheme == ARTIFACTS_SCHEME:
        return SourceRef("artifacts", path=artifact_path_of(source))
    if parsed.scheme == "runs":
        run_id, _, inner = parsed.path.lstrip("/").partition("/")
        if not run_id:
            raise InvalidArgumentError(f"invalid runs:/ URI {source[:200]!r}", field="source")
        inner = unquote(inner).strip("/")
        return SourceRef("run", run_id=run_id, path=validate_artifact_path(inner) if inner else "")
    if parsed.scheme == "models":
        return _parse_models_uri(source, parsed.path)
    raise InvalidArgumentError(
        f"unsupported model source {source[:200]!r}: modelreg keeps the files of every version, "
        "so the source must be files it holds (mlflow-artifacts:, runs:/<run id>/<path> or "
        "models:/...); log the model through this server first",
        field="source",
    )


def _parse_models_uri(source: str, path: str) -> SourceRef:
    parts = path.strip("/").split("/")
    if len(parts) == 1 and parts[0] and "@" not in parts[0]:
        return SourceRef("logged_model", model_id=parts[0])
    if len(parts) == 1 and "@" in parts[0]:
        name, _, alias = parts[0].rpartition("@")
        return SourceRef("version", model_name=name, alias=alias)
    if len(parts) == 2 and parts[1].isdigit():
        return SourceRef("version", model_name=parts[0], version=int(parts[1]))
    if len(parts) == 2 and parts[1].lower() == "latest":
        return SourceRef("version", model_name=parts[0])
    raise InvalidArgumentError(
        f"unsupported models:/ source {source[:200]!r}: use models:/<logged model id>, "
        "models:/<name>/<version>, models:/<name>/latest or models:/<name>@<alias>",
        field="source",
    )


# -- value rules ------------------------------------------------------------------------------


def validate_experiment_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgumentError("experiment name must be a non-empty string", field="name")
    if len(name) > EXPERIMENT_NAME_LENGTH:
        raise InvalidArgumentError(
            f"experiment name is longer than {EXPERIMENT_NAME_LENGTH} characters", field="name"
        )
    return name


def validate_tracking_value(kind: str, key: str, value: str, limit: int) -> str:
    validate_key(key, kind)
    if not isinstance(value, str):
        raise InvalidArgumentError(f"{kind} {key!r} must have a string value", field=kind)
    if len(value) > limit:
        raise LimitExceededError(
            f"{kind} {key!r} is longer than {limit} characters", field=kind, key=key
        )
    return value


def validate_metric(metric: Metric) -> Metric:
    validate_key(metric.key, "metric")
    if isinstance(metric.value, bool) or not isinstance(metric.value, int | float):
        raise InvalidArgumentError(f"metric {metric.key!r} must be a number", field="metric")
    for label, value, limit in (
        ("dataset_name", metric.dataset_name, DATASET_NAME_LENGTH),
        ("dataset_digest", metric.dataset_digest, DATASET_DIGEST_LENGTH),
    ):
        if value is not None and len(value) > limit:
            raise LimitExceededError(
                f"metric {metric.key!r}: {label} is longer than {limit} characters",
                field="metric",
            )
    return metric


def check_batch(count: int, kind: str) -> None:
    if count > ENTRIES_PER_BATCH:
        raise LimitExceededError(
            f"too many {kind}s in one request: {count} > {ENTRIES_PER_BATCH}", field=kind
        )


_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")


def is_run_id(text: str) -> bool:
    return bool(_RUN_ID.match(text))


def is_logged_model_id(text: str) -> bool:
    return bool(_MODEL_ID.match(text))
