"""Register a model version from an MLflow source URI without copying any bytes.

``runs:/<run id>/<path>``, ``models:/<logged model id>``, ``models:/<name>/<version|latest>``,
``models:/<name>@<alias>`` and ``mlflow-artifacts:/<path>`` all name files the registry already
holds as blobs; their manifest becomes the new version's, which is then inserted READY by the
same use case as any other version without an upload (``Uploads.register_version``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from modelreg.domain.entities import FileEntry, Lineage, ModelVersion, VersionDraft
from modelreg.domain.errors import InvalidArgumentError, NotFoundError
from modelreg.domain.rules import parse_ref
from modelreg.domain.tracking import SourceRef, VersionExtras, artifact_path_of, parse_source
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
        with self.store.transaction() as tx:
            resolved = resolve(tx, ref)
            if run_id and resolved.experiment_id is None:
                resolved = _with_run(tx, resolved, run_id)
        if not resolved.files:
            raise InvalidArgumentError(
                f"source {source[:200]!r} holds no files: log the model's files first",
                field="source",
            )
        draft = VersionDraft(
            files=resolved.files,
            tags=dict(tags or {}),
            description=description or "",
            # As in MLflow: the run the caller names, else a logged model's source run.
            lineage=Lineage(
                run_id=run_id or (resolved.run_id if ref.kind == "logged_model" else None),
                experiment_id=resolved.experiment_id,
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


def resolve(tx: MetadataTransaction, ref: SourceRef) -> ResolvedSource:
    """The files (and the run they came from, when known) that a parsed source names."""
    if ref.kind == "artifacts":
        return ResolvedSource(files_under(tx, ref.path))
    if ref.kind == "run":
        run = tx.get_run_info(ref.run_id or "")
        base = artifact_path_of(run.artifact_uri)
        folder = f"{base}/{ref.path}" if ref.path else base
        return ResolvedSource(
            files_under(tx, folder), run_id=run.id, experiment_id=run.experiment_id
        )
    if ref.kind == "logged_model":
        model = tx.get_logged_model(ref.model_id or "")
        return ResolvedSource(
            files_under(tx, artifact_path_of(model.artifact_uri)),
            run_id=model.source_run_id,
            experiment_id=model.experiment_id,
            logged_model_id=model.id,
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
    )


def _with_run(tx: MetadataTransaction, resolved: ResolvedSource, run_id: str) -> ResolvedSource:
    """Note the experiment of the run the caller names, when that run is known here."""
    try:
        run = tx.get_run_info(run_id)
    except NotFoundError:  # a run id from elsewhere is only lineage, not an error
        return resolved
    return ResolvedSource(
        resolved.files,
        run_id=run.id,
        experiment_id=run.experiment_id,
        logged_model_id=resolved.logged_model_id,
    )
