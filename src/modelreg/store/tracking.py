"""Ports for experiment tracking and the MLflow-only fields of versions (part of
``MetadataTransaction``, so a use case can change registry and tracking rows in one unit of work).

Same contract as ``store/base.py``: nothing commits on its own; missing things raise the
domain's ``NotFoundError`` subclasses and duplicates ``AlreadyExistsError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from modelreg.domain.digests import Digest
from modelreg.domain.entities import ModelVersion
from modelreg.domain.provenance import DatasetInput, ModelInput, RunProvenance
from modelreg.domain.tracking import (
    ArtifactEntry,
    Experiment,
    LifecycleStage,
    LoggedModel,
    LoggedModelStatus,
    Metric,
    ModelOutput,
    Run,
    RunInfo,
    RunStatus,
    Stage,
    VersionExtras,
)
from modelreg.domain.tracking_search import NO_FILTER, TrackingQuery


class ExperimentRepository(Protocol):
    def ensure_default_experiment(self, *, now: datetime) -> None:
        """Create experiment ``0`` ("Default") unless it exists, as MLflow servers have it."""

    def create_experiment(
        self, name: str, *, artifact_location: str | None, tags: Mapping[str, str], now: datetime
    ) -> Experiment:
        """Insert an experiment; without ``artifact_location`` it gets its own artifact root."""

    def get_experiment(self, experiment_id: str) -> Experiment: ...

    def get_experiment_by_name(self, name: str) -> Experiment: ...

    def update_experiment(
        self,
        experiment_id: str,
        *,
        now: datetime,
        name: str | None = None,
        lifecycle_stage: LifecycleStage | None = None,
        set_tags: Mapping[str, str] | None = None,
        delete_tags: Sequence[str] = (),
    ) -> Experiment: ...

    def search_experiments(
        self,
        *,
        stages: Sequence[LifecycleStage],
        query: TrackingQuery = NO_FILTER,
        offset: int,
        limit: int,
    ) -> list[Experiment]:
        """Experiments in ``stages`` matching ``query``, in its order (by default newest
        first)."""


class RunRepository(Protocol):
    def create_run(self, info: RunInfo, *, tags: Mapping[str, str]) -> Run: ...

    def get_run(self, run_id: str) -> Run: ...

    def get_run_info(self, run_id: str) -> RunInfo:
        """The run's own row, without its params, tags, metrics and outputs."""
        ...

    def run_numbers(self, run_id: str) -> tuple[dict[str, str], dict[str, float]]:
        """The run's params and the latest value of each of its metrics (NaN included), in
        two reads; nothing for a run that does not exist."""
        ...

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: datetime | None = None,
        name: str | None = None,
        lifecycle_stage: LifecycleStage | None = None,
    ) -> RunInfo: ...

    def log_run_data(
        self,
        run_id: str,
        *,
        params: Mapping[str, str],
        tags: Mapping[str, str],
        metrics: Sequence[Metric],
    ) -> None:
        """Add params (new keys only; the caller checks for changed values), set tags and
        append metric values."""

    def delete_run_tag(self, run_id: str, key: str) -> None: ...

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every value logged for ``key``, by step then timestamp."""

    def add_run_outputs(self, run_id: str, outputs: Sequence[ModelOutput]) -> None: ...

    def add_run_inputs(
        self, run_id: str, datasets: Sequence[DatasetInput], models: Sequence[ModelInput]
    ) -> None:
        """Record what the run read. A dataset is stored once per experiment, name and digest
        (its first source, schema and profile stay); one the run already has keeps its tags."""

    def run_inputs(self, run_id: str) -> list[DatasetInput]:
        """The datasets the run logged, in that order; none for a run that does not exist."""
        ...

    def run_provenance(self, run_id: str, dataset_limit: int) -> RunProvenance:
        """What a version registered from the run takes into its lineage: the run's datasets
        and code commit; nothing for a run that does not exist."""

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        *,
        stages: Sequence[LifecycleStage],
        query: TrackingQuery = NO_FILTER,
        offset: int,
        limit: int,
    ) -> list[Run]:
        """Runs of the experiments that match ``query``, in its order (by default newest start
        first)."""


class LoggedModelRepository(Protocol):
    def create_logged_model(self, model: LoggedModel) -> LoggedModel: ...

    def get_logged_model(self, model_id: str) -> LoggedModel: ...

    def update_logged_model(
        self,
        model_id: str,
        *,
        now: datetime,
        status: LoggedModelStatus | None = None,
        lifecycle_stage: LifecycleStage | None = None,
        set_tags: Mapping[str, str] | None = None,
        delete_tags: Sequence[str] = (),
        params: Mapping[str, str] | None = None,
    ) -> LoggedModel: ...

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        query: TrackingQuery = NO_FILTER,
        *,
        offset: int,
        limit: int,
    ) -> list[LoggedModel]:
        """Active logged models of the experiments matching ``query``, in its order (by
        default newest first)."""


class ArtifactIndex(Protocol):
    def put_artifact(self, path: str, *, size: int, digest: Digest, now: datetime) -> None:
        """Point ``path`` at the blob ``digest`` (replacing what it held)."""

    def get_artifact(self, path: str) -> ArtifactEntry | None: ...

    def artifacts_under(self, folder: str) -> list[ArtifactEntry]:
        """Every file below ``folder`` (``''`` for all), by path."""

    def artifacts_at_or_under(self, path: str) -> list[ArtifactEntry]:
        """The file ``path`` and every file below it, by path, in one read."""

    def artifact_clash(self, path: str) -> str | None:
        """A stored path that stops ``path`` from being a file: a file at one of its parent
        folders, or a file inside ``path`` itself."""

    def delete_artifacts(self, path: str) -> int:
        """Remove the file ``path`` or everything below the folder ``path``; returns the count."""

    def referenced_artifact_digests(self) -> list[str]:
        """Every digest the artifact index names, for garbage collection."""


class VersionExtrasRepository(Protocol):
    def versions_from_run(self, run_id: str, *, since: datetime) -> list[tuple[str, int]]:
        """(model name, number) of the versions created at or after ``since`` whose lineage or
        MLflow source (``runs:/<run_id>/...``) names the run."""
        ...

    def get_version_extras(
        self, keys: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], VersionExtras]:
        """Stored extras by (model name, version); versions without any are left out."""

    def set_version_extras(
        self,
        model_name: str,
        version: int,
        *,
        now: datetime,
        stage: Stage | None = None,
        source: str | None = None,
        run_link: str | None = None,
        logged_model_id: str | None = None,
    ) -> VersionExtras:
        """Create or update the extras of a version; also marks it updated at ``now``."""

    def archive_stage(
        self, model_name: str, stage: Stage, *, keep: int, now: datetime
    ) -> list[int]:
        """Move every version of the model in ``stage`` except ``keep`` to Archived."""

    def latest_versions_by_stage(self, model_names: Sequence[str]) -> dict[str, list[ModelVersion]]:
        """For each model, its highest version in every stage that has one, highest first."""

    def touch_model(self, model_name: str, *, now: datetime) -> None:
        """Mark the model updated at ``now``."""


class TrackingRepository(
    ExperimentRepository,
    RunRepository,
    LoggedModelRepository,
    ArtifactIndex,
    VersionExtrasRepository,
    Protocol,
):
    """Everything tracking adds to a metadata transaction."""
