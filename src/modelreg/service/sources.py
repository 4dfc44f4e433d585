"""Register a model version from an MLflow source URI without copying any bytes.

``runs:/<run id>/<path>``, ``models:/<logged model id>``, ``models:/<name>/<version|latest>``,
``models:/<name>@<alias>`` and ``mlflow-artifacts:/<path>`` all name files the registry already
holds as blobs; their manifest becomes the new version's, which is then inserted READY by the
same use case as any other version without an upload (``Uploads.register_version``).

The version also takes a snapshot of the numbers behind its source: the run's params and the
latest value of each of its metrics (a logged model's own, a copied version's), so modelreg's
search, history and UI answer "what were its numbers?" for versions MLflow registered too. A
version holds what modelreg accepts (finite metrics, keys and lengths within its limits); the
run keeps everything. Its lineage takes the run's provenance (``domain/provenance.py``): the
datasets the run logged and its code commit, so policies that require them apply to MLflow
registrations as to pushes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from modelreg.domain.entities import FileEntry, Lineage, ModelVersion, VersionDraft
from modelreg.domain.errors import InvalidArgumentError, NotFoundError
from modelreg.domain.provenance import RunProvenance, provenance_of
from modelreg.domain.rules import Limits, number_refusal, parse_ref
from modelreg.domain.tracking import (
    LoggedModel,
    Metric,
    SourceRef,
    VersionExtras,
    artifact_path_of,
    parse_source,
)
from modelreg.service.artifacts import files_under
from modelreg.service.stages import record_registration
from modelreg.service.uploads import Uploads
from modelreg.store.base import MetadataStore, MetadataTransaction


@dataclass(frozen=True, slots=True)
class ResolvedSource:
    files: tuple[FileEntry, ...]
    run_id: str | None = None
    experiment_id: str | None = None
    logged_model_id: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    provenance: RunProvenance = field(default_factory=RunProvenance)


class VersionSources:
    def __init__(self, store: MetadataStore, uploads: Uploads) -> None:
        self.store = store
        self.uploads = uploads

    def register(
        self,
        name: str,
        source: str,
        *,
        actor: str,
        run_id: str | None = None,
        logged_model_id: str | None = None,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        run_link: str = "",
    ) -> tuple[ModelVersion, VersionExtras]:
        """The next version of ``name`` with the files ``source`` names."""
        ref = parse_source(source)
        dataset_limit = self.uploads.limits.datasets_per_version
        with self.store.transaction() as tx:
            resolved = resolve(tx, ref, dataset_limit)
            if run_id and resolved.experiment_id is None:
                resolved = _with_run(tx, resolved, run_id, dataset_limit)
        if not resolved.files:
            raise InvalidArgumentError(
                f"source {source[:200]!r} holds no files: log the model's files first",
                field="source",
            )
        params, metrics = holdable_numbers(resolved.params, resolved.metrics, self.uploads.limits)
        draft = VersionDraft(
            files=resolved.files,
            params=params,
            metrics=metrics,
            tags=dict(tags or {}),
            description=description or "",
            # As in MLflow: the run the caller names, else a logged model's source run.
            lineage=Lineage(
                run_id=run_id or (resolved.run_id if ref.kind == "logged_model" else None),
                experiment_id=resolved.experiment_id,
                datasets=resolved.provenance.datasets,
                source_commit=resolved.provenance.source_commit,
                source_url=resolved.provenance.source_url,
            ),
        )
        recorded: list[VersionExtras] = []

        def record(tx: MetadataTransaction, version: ModelVersion) -> None:
            recorded.append(
                record_registration(
                    tx,
                    version,
                    source=source,
                    run_link=run_link or "",
                    logged_model_id=logged_model_id or resolved.logged_model_id,
                )
            )

        version = self.uploads.register_version(name, draft, actor=actor, within=record)
        return version, recorded[0]


def resolve(tx: MetadataTransaction, ref: SourceRef, dataset_limit: int) -> ResolvedSource:
    """The files (and the run they came from, when known) that a parsed source names."""
    if ref.kind == "artifacts":
        return ResolvedSource(files_under(tx, ref.path))
    if ref.kind == "run":
        run = tx.get_run_info(ref.run_id or "")
        base = artifact_path_of(run.artifact_uri)
        folder = f"{base}/{ref.path}" if ref.path else base
        params, metrics = tx.run_numbers(run.id)
        return ResolvedSource(
            files_under(tx, folder),
            run_id=run.id,
            experiment_id=run.experiment_id,
            params=params,
            metrics=metrics,
            provenance=tx.run_provenance(run.id, dataset_limit),
        )
    if ref.kind == "logged_model":
        model = tx.get_logged_model(ref.model_id or "")
        return ResolvedSource(
            files_under(tx, artifact_path_of(model.artifact_uri)),
            run_id=model.source_run_id,
            experiment_id=model.experiment_id,
            logged_model_id=model.id,
            params=model.params,
            metrics=latest_by_key(model.metrics),
            provenance=_logged_model_provenance(tx, model, dataset_limit),
        )
    name = ref.model_name or ""
    if ref.version is not None:
        version = tx.get_version(name, ref.version)
    elif ref.alias is not None:
        target = parse_ref(f"{name}@{ref.alias}")
        version = (
            tx.get_version(name, tx.get_alias(name, target.alias).version)
            if target.alias is not None
            else tx.get_latest_version(name)
        )
    else:
        version = tx.get_latest_version(name)
    return ResolvedSource(
        version.files,
        run_id=version.lineage.run_id,
        experiment_id=version.lineage.experiment_id,
        params=version.params,
        metrics=version.metrics,
        provenance=RunProvenance(
            version.lineage.datasets, version.lineage.source_commit, version.lineage.source_url
        ),
    )


def latest_by_key(metrics: Sequence[Metric]) -> dict[str, float]:
    """A logged model shows a key's latest value per dataset it was measured on; a version
    holds one value per key: the latest of them (highest step, then timestamp)."""
    latest: dict[str, Metric] = {}
    for metric in metrics:
        held = latest.get(metric.key)
        if held is None or (metric.step, metric.timestamp) >= (held.step, held.timestamp):
            latest[metric.key] = metric
    return {key: metric.value for key, metric in latest.items()}


def _logged_model_provenance(
    tx: MetadataTransaction, model: LoggedModel, dataset_limit: int
) -> RunProvenance:
    """The source run's; MLflow 3 also tags the logged model itself with the commit."""
    found = (
        tx.run_provenance(model.source_run_id, dataset_limit)
        if model.source_run_id
        else RunProvenance()
    )
    own = provenance_of(model.tags, (), dataset_limit)
    return RunProvenance(
        found.datasets,
        found.source_commit or own.source_commit,
        found.source_url or own.source_url,
    )


def _with_run(
    tx: MetadataTransaction, resolved: ResolvedSource, run_id: str, dataset_limit: int
) -> ResolvedSource:
    """Note the experiment of the run the caller names, when that run is known here."""
    try:
        run = tx.get_run_info(run_id)
    except NotFoundError:  # a run id from elsewhere is only lineage, not an error
        return resolved
    params, metrics = tx.run_numbers(run.id)
    return ResolvedSource(
        resolved.files,
        run_id=run.id,
        experiment_id=run.experiment_id,
        logged_model_id=resolved.logged_model_id,
        params=resolved.params or params,
        metrics=resolved.metrics or metrics,
        provenance=tx.run_provenance(run.id, dataset_limit),
    )


def holdable_numbers(
    params: Mapping[str, str], metrics: Mapping[str, float], limits: Limits
) -> tuple[dict[str, str], dict[str, float]]:
    """The params and metrics a version can hold (``number_refusal``), first by key."""
    kept_params: dict[str, str] = {}
    for key, value in sorted(params.items()):
        if number_refusal("param", key, value, len(kept_params), limits) is None:
            kept_params[key] = value
    kept_metrics: dict[str, float] = {}
    for key, number in sorted(metrics.items()):
        if number_refusal("metric", key, number, len(kept_metrics), limits) is None:
            kept_metrics[key] = number
    return kept_params, kept_metrics
