"""``SqlTransaction``: every repository protocol on one connection in one transaction, with an
ORM ``Session`` over it when a method needs one (``unit.py``).

ORM rows never leave this module: each method returns frozen domain entities.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, ScalarSelect, Select, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from modelreg.domain.digests import Digest
from modelreg.domain.entities import (
    Alias,
    Event,
    FileEntry,
    Lineage,
    ModelHead,
    ModelVersion,
    RegisteredModel,
    UploadSession,
    VersionDraft,
    VersionStatus,
)
from modelreg.domain.errors import (
    AliasNotFoundError,
    AlreadyExistsError,
    ConflictError,
    ModelNotFoundError,
    UploadNotFoundError,
    VersionNotFoundError,
)
from modelreg.domain.filters import Query
from modelreg.domain.permissions import Visibility
from modelreg.store.sql import search
from modelreg.store.sql.access_repository import AccessSqlRepository
from modelreg.store.sql.accounts_repository import AccountsRepository
from modelreg.store.sql.audit import AuditLogSql
from modelreg.store.sql.codec import draft_from_json, draft_to_json
from modelreg.store.sql.governance_repository import GovernanceRepository
from modelreg.store.sql.mlflow_reads import MlflowReadsSql
from modelreg.store.sql.mlflow_webhook_repository import MlflowWebhookRepositorySql
from modelreg.store.sql.possession_repository import PossessionSqlRepository
from modelreg.store.sql.records_repository import RecordsRepository
from modelreg.store.sql.records_tables import EvaluationRow
from modelreg.store.sql.scan_repository import ScanRepositorySql
from modelreg.store.sql.signature_repository import SignatureRepositorySql
from modelreg.store.sql.storage_repository import SqlStorageRepository
from modelreg.store.sql.tables import (
    AliasRow,
    ModelTagRow,
    ModelVersionRow,
    RegisteredModelRow,
    UploadSessionRow,
    VersionFileRow,
    VersionMetricRow,
    VersionParamRow,
    VersionTagRow,
    core_table,
    utcnow,
)
from modelreg.store.sql.tracking_repository import SqlTrackingRepository


class SqlTransaction(
    GovernanceRepository,
    SqlTrackingRepository,
    AuditLogSql,
    RecordsRepository,
    AccessSqlRepository,
    SignatureRepositorySql,
    AccountsRepository,
    SqlStorageRepository,
    ScanRepositorySql,
    MlflowWebhookRepositorySql,
    PossessionSqlRepository,
    MlflowReadsSql,
):
    def __init__(self, core: Connection) -> None:
        self.core = core
        self.pending_events: list[Event] = []  # chained by ``seal`` at commit (audit.py)
        # (model name, number) -> row id of versions this transaction inserted and has not
        # yet written MLflow fields for: ``set_version_extras`` then inserts without lookups.
        self.versions_without_extras: dict[tuple[str, int], int] = {}

    # -- models ------------------------------------------------------------------------------

    def _model_row(self, name: str) -> RegisteredModelRow:
        row = self.session.scalars(
            select(RegisteredModelRow).where(RegisteredModelRow.name == name)
        ).one_or_none()
        if row is None:
            raise ModelNotFoundError(f"model {name!r} does not exist", model=name)
        return row

    def create_model(
        self,
        name: str,
        *,
        description: str,
        owner: str | None,
        tags: Mapping[str, str],
        now: datetime,
    ) -> RegisteredModel:
        row = RegisteredModelRow(
            name=name,
            description=description,
            owner=owner,
            created_at=now,
            updated_at=now,
            last_version=0,
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError as error:
            raise AlreadyExistsError(f"model {name!r} already exists", model=name) from error
        self.session.add_all(ModelTagRow(model_id=row.id, key=k, value=v) for k, v in tags.items())
        self.session.flush()  # autoflush is off: the tags must be written before they are read
        return self._models([row])[0]

    def get_model(self, name: str) -> RegisteredModel:
        return self._models([self._model_row(name)])[0]

    def lock_model(self, name: str) -> None:
        # On PostgreSQL this takes the row lock; SQLite writers are already serialised.
        self.session.execute(
            select(RegisteredModelRow.id).where(RegisteredModelRow.name == name).with_for_update()
        )

    def lock_model_head(self, name: str) -> ModelHead:
        found = self.core.execute(_LOCK_MODEL_HEAD, {"name": name}).one_or_none()
        if found is None:
            raise ModelNotFoundError(f"model {name!r} does not exist", model=name)
        return ModelHead(name, found[0], found[1])

    def update_model(
        self,
        name: str,
        *,
        now: datetime,
        description: str | None = None,
        owner: str | None = None,
        set_tags: Mapping[str, str] | None = None,
        delete_tags: tuple[str, ...] = (),
    ) -> RegisteredModel:
        row = self._model_row(name)
        if description is not None:
            row.description = description
        if owner is not None:
            row.owner = owner or None
        self._apply_tags(ModelTagRow, ModelTagRow.model_id, row.id, set_tags, delete_tags)
        row.updated_at = now
        self.session.flush()
        return self._models([row])[0]

    def rename_model(self, name: str, new_name: str, *, now: datetime) -> RegisteredModel:
        row = self._model_row(name)
        taken = select(RegisteredModelRow.id).where(RegisteredModelRow.name == new_name)
        if new_name != name and self.session.scalar(taken) is not None:
            raise AlreadyExistsError(f"model {new_name!r} already exists", model=new_name)
        row.name = new_name
        row.updated_at = now
        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError as error:
            raise AlreadyExistsError(
                f"model {new_name!r} already exists", model=new_name
            ) from error
        return self._models([row])[0]

    def delete_model(self, name: str) -> None:
        row = self._model_row(name)
        self.session.delete(row)
        self.session.flush()

    def search_models(
        self, query: Query, *, offset: int, limit: int, readable_by: Visibility | None = None
    ) -> list[RegisteredModel]:
        statement = search.model_statement(query, readable_by).offset(offset).limit(limit)
        return self._models(list(self.session.scalars(statement)))

    def _models(self, rows: Sequence[RegisteredModelRow]) -> list[RegisteredModel]:
        ids = [row.id for row in rows]
        if not ids:
            return []
        tags: dict[int, dict[str, str]] = defaultdict(dict)
        for tag in self.session.scalars(select(ModelTagRow).where(ModelTagRow.model_id.in_(ids))):
            tags[tag.model_id][tag.key] = tag.value
        aliases: dict[int, dict[str, int]] = defaultdict(dict)
        for model_id, alias, version in self.session.execute(
            select(AliasRow.model_id, AliasRow.name, ModelVersionRow.version)
            .join(ModelVersionRow, ModelVersionRow.id == AliasRow.version_id)
            .where(AliasRow.model_id.in_(ids))
        ):
            aliases[model_id][alias] = version
        latest: dict[int, int | None] = dict(
            self.session.execute(
                select(RegisteredModelRow.id, _newest_live_version()).where(
                    RegisteredModelRow.id.in_(ids)
                )
            ).all()
        )
        return [
            RegisteredModel(
                name=row.name,
                description=row.description,
                owner=row.owner,
                tags=dict(sorted(tags[row.id].items())),
                created_at=row.created_at,
                updated_at=row.updated_at,
                latest_version=latest.get(row.id),
                aliases=dict(sorted(aliases[row.id].items())),
            )
            for row in rows
        ]

    # -- versions ----------------------------------------------------------------------------

    def insert_version(
        self,
        model_name: str,
        draft: VersionDraft,
        *,
        status: VersionStatus,
        created_by: str,
        now: datetime,
    ) -> ModelVersion:
        # The counter update takes the model row's write lock (PostgreSQL) inside this
        # transaction, so concurrent writers are numbered one after another without gaps.
        allocated = self.core.execute(
            _NEXT_VERSION_NUMBER, {"model_name": model_name, "now": now}
        ).one_or_none()
        if allocated is None:
            raise ModelNotFoundError(f"model {model_name!r} does not exist", model=model_name)
        model_id, number = allocated
        # A Core UPDATE leaves a loaded copy of the model row stale: reload it if read again.
        loaded = self.loaded(RegisteredModelRow, model_id)
        if loaded is not None:
            self.session.expire(loaded, ["last_version", "updated_at"])
        lineage = draft.lineage
        version_id = self.core.execute(
            _INSERT_VERSION,
            {
                "model_id": model_id,
                "version": number,
                "status": status,
                "description": draft.description,
                "created_by": created_by,
                "created_at": now,
                "updated_at": now,
                "source_commit": lineage.source_commit,
                "source_url": lineage.source_url,
                "parent_version": lineage.parent_version,
                "run_id": lineage.run_id,
                "experiment_id": lineage.experiment_id,
                "datasets": list(lineage.datasets),
            },
        ).scalar_one()
        self.versions_without_extras[(model_name, number)] = version_id
        files = [
            {"version_id": version_id, "path": f.path, "size": f.size, "digest": str(f.digest)}
            for f in draft.files
        ]
        for statement, values in (
            (_INSERT_FILES, files),
            (_INSERT_PARAMS, _key_value_rows(version_id, draft.params)),
            (_INSERT_METRICS, _key_value_rows(version_id, draft.metrics)),
            (_INSERT_TAGS, _key_value_rows(version_id, draft.tags)),
        ):
            if values:
                self.core.execute(statement, values)
        # Built from what was just written rather than read back (five SELECTs on the path of
        # every push), in the order ``_versions`` reads: files by path, key-values by key.
        return ModelVersion(
            model_name=model_name,
            version=number,
            status=status,
            description=draft.description,
            params=dict(sorted(draft.params.items())),
            metrics={k: float(v) for k, v in sorted(draft.metrics.items())},
            tags=dict(sorted(draft.tags.items())),
            lineage=replace(lineage, datasets=tuple(lineage.datasets)),
            files=tuple(sorted(draft.files, key=lambda f: f.path)),
            created_by=created_by,
            created_at=now,
            updated_at=now,
            aliases=(),
            archived_at=None,
        )

    def _version_row(self, model_name: str, version: int) -> ModelVersionRow:
        row = self.session.scalars(
            select(ModelVersionRow)
            .join(RegisteredModelRow, RegisteredModelRow.id == ModelVersionRow.model_id)
            .where(RegisteredModelRow.name == model_name, ModelVersionRow.version == version)
        ).one_or_none()
        if row is None:
            self._model_row(model_name)  # a missing model is reported as such
            raise VersionNotFoundError(
                f"version {version} of model {model_name!r} does not exist",
                model=model_name,
                version=version,
            )
        return row

    def get_version(self, model_name: str, version: int) -> ModelVersion:
        return self._versions([(self._version_row(model_name, version), model_name)])[0]

    def get_latest_version(self, model_name: str) -> ModelVersion:
        model = self._model_row(model_name)
        row = self.session.scalars(
            select(ModelVersionRow)
            .where(
                ModelVersionRow.model_id == model.id,
                ModelVersionRow.status == VersionStatus.READY,
                ModelVersionRow.archived_at.is_(None),
            )
            .order_by(ModelVersionRow.version.desc())
            .limit(1)
        ).one_or_none()
        if row is None:
            raise VersionNotFoundError(f"model {model_name!r} has no versions", model=model_name)
        return self._versions([(row, model_name)])[0]

    def update_version(
        self,
        model_name: str,
        version: int,
        *,
        now: datetime,
        description: str | None = None,
        set_tags: Mapping[str, str] | None = None,
        delete_tags: tuple[str, ...] = (),
    ) -> ModelVersion:
        row = self._version_row(model_name, version)
        row.updated_at = now
        if description is not None:
            row.description = description
        self._apply_tags(VersionTagRow, VersionTagRow.version_id, row.id, set_tags, delete_tags)
        self.session.flush()
        return self._versions([(row, model_name)])[0]

    def add_version_numbers(
        self,
        model_name: str,
        version: int,
        *,
        params: Mapping[str, str],
        metrics: Mapping[str, float],
        now: datetime,
    ) -> None:
        row = self._version_row(model_name, version)
        row.updated_at = now
        self.session.flush()
        for statement, values in (
            (_INSERT_PARAMS, _key_value_rows(row.id, params)),
            (_INSERT_METRICS, _key_value_rows(row.id, metrics)),
        ):
            if values:
                self.core.execute(statement, values)

    def delete_version(self, model_name: str, version: int) -> None:
        self.session.delete(self._version_row(model_name, version))
        self.session.flush()

    def search_versions(
        self, query: Query, *, offset: int, limit: int, readable_by: Visibility | None = None
    ) -> list[ModelVersion]:
        statement = search.version_statement(query, readable_by).offset(offset).limit(limit)
        return self._versions([(row, name) for row, name in self.session.execute(statement)])

    def referenced_digests(self) -> Iterator[str]:
        yield from self.session.scalars(select(VersionFileRow.digest).distinct())
        # Evaluation reports are blobs too.
        for digest in self.session.scalars(
            select(EvaluationRow.report_digest)
            .where(EvaluationRow.report_digest.is_not(None))
            .distinct()
        ):
            if digest is not None:
                yield digest

    def _versions(self, rows: Sequence[tuple[ModelVersionRow, str]]) -> list[ModelVersion]:
        """Load files, params, metrics, tags and aliases for many versions in five queries."""
        ids = [row.id for row, _ in rows]
        if not ids:
            return []
        files: dict[int, list[FileEntry]] = defaultdict(list)
        for f in self.session.scalars(
            select(VersionFileRow)
            .where(VersionFileRow.version_id.in_(ids))
            .order_by(VersionFileRow.path)
        ):
            files[f.version_id].append(FileEntry(f.path, f.size, Digest.parse(f.digest)))
        params = self._key_values(VersionParamRow, ids)
        metrics = self._key_values(VersionMetricRow, ids)
        tags = self._key_values(VersionTagRow, ids)
        aliases: dict[int, list[str]] = defaultdict(list)
        for version_id, alias in self.session.execute(
            select(AliasRow.version_id, AliasRow.name)
            .where(AliasRow.version_id.in_(ids))
            .order_by(AliasRow.name)
        ):
            aliases[version_id].append(alias)
        return [
            ModelVersion(
                model_name=name,
                version=row.version,
                status=row.status,
                description=row.description,
                params=params[row.id],
                metrics=metrics[row.id],
                tags=tags[row.id],
                lineage=Lineage(
                    source_commit=row.source_commit,
                    source_url=row.source_url,
                    datasets=tuple(row.datasets or ()),
                    parent_version=row.parent_version,
                    run_id=row.run_id,
                    experiment_id=row.experiment_id,
                ),
                files=tuple(files[row.id]),
                created_by=row.created_by,
                created_at=row.created_at,
                updated_at=row.updated_at,
                aliases=tuple(aliases[row.id]),
                archived_at=row.archived_at,
            )
            for row, name in rows
        ]

    def _key_values(
        self, table: type[VersionParamRow | VersionMetricRow | VersionTagRow], ids: list[int]
    ) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = defaultdict(dict)
        for version_id, key, value in self.session.execute(
            select(table.version_id, table.key, table.value)
            .where(table.version_id.in_(ids))
            .order_by(table.key)
        ):
            found[version_id][key] = value
        return found

    def _apply_tags(
        self,
        table: type[ModelTagRow | VersionTagRow],
        owner_column: Any,
        owner_id: int,
        set_tags: Mapping[str, str] | None,
        delete_tags: tuple[str, ...],
    ) -> None:
        if delete_tags:
            self.session.execute(
                delete(table).where(owner_column == owner_id, table.key.in_(delete_tags))
            )
        for key, value in (set_tags or {}).items():
            # Tags are few per request; an upsert per key keeps one code path for both databases.
            self.session.merge(table(**{owner_column.key: owner_id, "key": key, "value": value}))

    # -- aliases -----------------------------------------------------------------------------

    def set_alias(
        self, model_name: str, alias: str, version: int, *, actor: str, now: datetime
    ) -> int | None:
        target = self._version_row(model_name, version)
        if target.archived_at is not None:
            raise ConflictError(
                f"version {version} of {model_name!r} is archived: restore it before pointing "
                f"alias {alias!r} at it",
                model=model_name,
                version=version,
            )
        existing = self.session.get(AliasRow, (target.model_id, alias))
        previous = None
        if existing is None:
            self.session.add(
                AliasRow(
                    model_id=target.model_id,
                    name=alias,
                    version_id=target.id,
                    updated_at=now,
                    updated_by=actor,
                )
            )
        else:
            previous = self.session.get_one(ModelVersionRow, existing.version_id).version
            existing.version_id = target.id
            existing.updated_at = now
            existing.updated_by = actor
        self.record_alias_change(model_name, alias, version, actor=actor, at=now)
        self.session.flush()
        return previous

    def _alias_row(self, model_name: str, alias: str) -> AliasRow:
        model = self._model_row(model_name)
        row = self.session.get(AliasRow, (model.id, alias))
        if row is None:
            raise AliasNotFoundError(
                f"model {model_name!r} has no alias {alias!r}", model=model_name, alias=alias
            )
        return row

    def delete_alias(
        self, model_name: str, alias: str, *, actor: str = "", now: datetime | None = None
    ) -> int:
        row = self._alias_row(model_name, alias)
        version = self.session.get_one(ModelVersionRow, row.version_id).version
        self.session.delete(row)
        at = now or utcnow()
        self.record_alias_change(model_name, alias, None, actor=actor, at=at)
        self.session.flush()
        return version

    def get_alias(self, model_name: str, alias: str) -> Alias:
        row = self._alias_row(model_name, alias)
        version = self.session.get_one(ModelVersionRow, row.version_id).version
        return Alias(model_name, alias, version, row.updated_at, row.updated_by)

    # -- events: add_event and list_events are in ``store/sql/audit.py`` --------------------

    # -- uploads -----------------------------------------------------------------------------

    def create_upload(self, session: UploadSession) -> None:
        self.session.add(
            UploadSessionRow(
                id=session.id,
                model_name=session.model_name,
                draft=draft_to_json(session.draft),
                created_by=session.created_by,
                started_at=session.started_at,
            )
        )
        self.session.flush()

    def get_upload(self, upload_id: str) -> UploadSession:
        row = self.session.get(UploadSessionRow, upload_id)
        if row is None:
            raise UploadNotFoundError(
                f"upload {upload_id!r} does not exist (committed, cancelled or expired)",
                upload=upload_id,
            )
        return _upload(row)

    def delete_upload(self, upload_id: str) -> bool:
        result = self.session.execute(
            delete(UploadSessionRow).where(UploadSessionRow.id == upload_id)
        )
        return bool(getattr(result, "rowcount", 0))

    def list_uploads_started_before(self, moment: datetime) -> list[UploadSession]:
        rows = self.session.scalars(
            select(UploadSessionRow).where(UploadSessionRow.started_at < moment)
        )
        return [_upload(row) for row in rows]


# Core statements on the path of every push, built once (tables.core_table).
_VERSIONS = core_table(ModelVersionRow)
_MODELS = core_table(RegisteredModelRow)
_NEXT_VERSION_NUMBER = (
    update(_MODELS)
    .where(_MODELS.c.name == bindparam("model_name"))
    .values(last_version=_MODELS.c.last_version + 1, updated_at=bindparam("now"))
    .returning(_MODELS.c.id, _MODELS.c.last_version)
)
_INSERT_VERSION = insert(_VERSIONS).returning(_VERSIONS.c.id)
_INSERT_FILES = insert(core_table(VersionFileRow))
_INSERT_PARAMS = insert(core_table(VersionParamRow))
_INSERT_METRICS = insert(core_table(VersionMetricRow))
_INSERT_TAGS = insert(core_table(VersionTagRow))


def _lock_model_head() -> Select[str | None, int]:
    return (
        select(RegisteredModelRow.owner, _newest_live_version())
        .where(RegisteredModelRow.name == bindparam("name"))
        .with_for_update(of=RegisteredModelRow)
    )


def _key_value_rows(version_id: int, values: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"version_id": version_id, "key": k, "value": v} for k, v in values.items()]


def _newest_live_version() -> ScalarSelect[int]:
    """Per model row of the enclosing query, its newest live version read backwards along the
    (model_id, version) index: one row each, where MAX() over a GROUP BY read every version."""
    return (
        select(ModelVersionRow.version)
        .where(
            ModelVersionRow.model_id == RegisteredModelRow.id,
            ModelVersionRow.status == VersionStatus.READY,
            ModelVersionRow.archived_at.is_(None),
        )
        .order_by(ModelVersionRow.version.desc())
        .limit(1)
        .scalar_subquery()
    )


_LOCK_MODEL_HEAD = _lock_model_head()


def _upload(row: UploadSessionRow) -> UploadSession:
    return UploadSession(
        id=row.id,
        model_name=row.model_name,
        draft=draft_from_json(row.draft),
        created_by=row.created_by,
        started_at=row.started_at,
    )
