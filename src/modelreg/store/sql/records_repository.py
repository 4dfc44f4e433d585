"""Alias history, archiving, deployments, evaluations and model cards on the transaction's
``Session`` (a mixin of ``SqlTransaction``). ORM rows never leave this module."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from modelreg.domain.digests import Digest
from modelreg.domain.entities import ModelVersion
from modelreg.domain.errors import NotFoundError
from modelreg.domain.records import (
    CURRENT_STATUSES,
    AliasChange,
    Deployment,
    DeploymentStatus,
    Evaluation,
    EvaluationDraft,
    ModelCard,
    ReportFile,
)
from modelreg.store.sql.records_tables import (
    AliasHistoryRow,
    DeploymentRow,
    EvaluationRow,
    ModelCardRow,
)
from modelreg.store.sql.tables import ModelVersionRow, RegisteredModelRow


class _Rows(Protocol):
    """What these mixins use from ``SqlTransaction``."""

    @property
    def session(self) -> Session: ...

    def _model_row(self, name: str) -> RegisteredModelRow: ...

    def _version_row(self, model_name: str, version: int) -> ModelVersionRow: ...

    def _versions(self, rows: Sequence[tuple[ModelVersionRow, str]]) -> list[ModelVersion]: ...


class RecordsRepository:
    # -- alias history -------------------------------------------------------------------------

    def record_alias_change(
        self: _Rows, model_name: str, alias: str, version: int | None, *, actor: str, at: datetime
    ) -> None:
        self.session.add(
            AliasHistoryRow(model_name=model_name, alias=alias, version=version, at=at, actor=actor)
        )

    def alias_at(self: _Rows, model_name: str, alias: str, moment: datetime) -> AliasChange | None:
        model = self._model_row(model_name)
        row = self.session.scalars(
            select(AliasHistoryRow)
            .where(
                AliasHistoryRow.model_name == model_name,
                AliasHistoryRow.alias == alias,
                AliasHistoryRow.at <= moment,
                # A model deleted and created again under the same name starts a new history.
                AliasHistoryRow.at >= model.created_at,
            )
            .order_by(AliasHistoryRow.at.desc(), AliasHistoryRow.id.desc())
            .limit(1)
        ).one_or_none()
        return None if row is None else _alias_change(row)

    def list_alias_history(
        self: _Rows, model_name: str, alias: str | None, *, offset: int, limit: int
    ) -> list[AliasChange]:
        model = self._model_row(model_name)
        statement = select(AliasHistoryRow).where(
            AliasHistoryRow.model_name == model_name, AliasHistoryRow.at >= model.created_at
        )
        if alias is not None:
            statement = statement.where(AliasHistoryRow.alias == alias)
        rows = self.session.scalars(
            statement.order_by(AliasHistoryRow.at.desc(), AliasHistoryRow.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [_alias_change(row) for row in rows]

    # -- archiving -----------------------------------------------------------------------------

    def set_version_archived(
        self: _Rows,
        model_name: str,
        version: int,
        *,
        archived_at: datetime | None,
        actor: str | None,
        now: datetime,
    ) -> ModelVersion:
        row = self._version_row(model_name, version)
        row.archived_at = archived_at
        row.updated_at = now
        row.archived_by = actor if archived_at is not None else None
        self.session.flush()
        return self._versions([(row, model_name)])[0]

    # -- deployments ---------------------------------------------------------------------------

    def add_deployment(
        self: _Rows,
        model_name: str,
        version: int,
        environment: str,
        status: DeploymentStatus,
        *,
        note: str,
        actor: str,
        now: datetime,
    ) -> Deployment:
        row = DeploymentRow(
            model_name=model_name,
            version=version,
            environment=environment,
            status=status,
            note=note,
            recorded_by=actor,
            at=now,
        )
        self.session.add(row)
        self.session.flush()
        return _deployment(row)

    def current_deployments(
        self: _Rows, *, environment: str | None, model_name: str | None
    ) -> list[Deployment]:
        latest = select(func.max(DeploymentRow.id)).where(
            DeploymentRow.status.in_(CURRENT_STATUSES)
        )
        if environment is not None:
            latest = latest.where(DeploymentRow.environment == environment)
        if model_name is not None:
            latest = latest.where(DeploymentRow.model_name == model_name)
        latest = latest.group_by(DeploymentRow.model_name, DeploymentRow.environment)
        rows = self.session.scalars(
            select(DeploymentRow)
            .where(
                DeploymentRow.id.in_(latest.scalar_subquery()),
                DeploymentRow.status == DeploymentStatus.DEPLOYED,
            )
            .order_by(DeploymentRow.environment, DeploymentRow.model_name)
        )
        return [_deployment(row) for row in rows]

    def list_deployments(
        self: _Rows, model_name: str, *, environment: str | None, offset: int, limit: int
    ) -> list[Deployment]:
        statement = select(DeploymentRow).where(DeploymentRow.model_name == model_name)
        if environment is not None:
            statement = statement.where(DeploymentRow.environment == environment)
        rows = self.session.scalars(
            statement.order_by(DeploymentRow.id.desc()).offset(offset).limit(limit)
        )
        return [_deployment(row) for row in rows]

    # -- evaluations ---------------------------------------------------------------------------

    def add_evaluation(
        self: _Rows,
        model_name: str,
        version: int,
        draft: EvaluationDraft,
        *,
        actor: str,
        now: datetime,
    ) -> Evaluation:
        target = self._version_row(model_name, version)
        report = draft.report
        row = EvaluationRow(
            version_id=target.id,
            dataset=draft.dataset,
            metrics=dict(draft.metrics),
            description=draft.description,
            report_name=None if report is None else report.name,
            report_size=None if report is None else report.size,
            report_digest=None if report is None else str(report.digest),
            created_by=actor,
            created_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return _evaluation(row, model_name, version)

    def list_evaluations(self: _Rows, model_name: str, version: int) -> list[Evaluation]:
        target = self._version_row(model_name, version)
        rows = self.session.scalars(
            select(EvaluationRow)
            .where(EvaluationRow.version_id == target.id)
            .order_by(EvaluationRow.id)
        )
        return [_evaluation(row, model_name, version) for row in rows]

    # -- model cards ---------------------------------------------------------------------------

    def add_model_card(
        self: _Rows,
        model_name: str,
        version: int,
        content: str,
        metadata: Mapping[str, Any],
        *,
        actor: str,
        now: datetime,
    ) -> ModelCard:
        target = self._version_row(model_name, version)
        latest = self.session.scalar(
            select(func.max(ModelCardRow.revision)).where(ModelCardRow.version_id == target.id)
        )
        row = ModelCardRow(
            version_id=target.id,
            revision=(latest or 0) + 1,
            content=content,
            front_matter=dict(metadata),
            created_by=actor,
            created_at=now,
        )
        self.session.add(row)
        self.session.flush()
        return _card(row, model_name, version)

    def get_model_card(
        self: _Rows, model_name: str, version: int, revision: int | None = None
    ) -> ModelCard:
        target = self._version_row(model_name, version)
        statement = select(ModelCardRow).where(ModelCardRow.version_id == target.id)
        if revision is None:
            statement = statement.order_by(ModelCardRow.revision.desc()).limit(1)
        else:
            statement = statement.where(ModelCardRow.revision == revision)
        row = self.session.scalars(statement).one_or_none()
        if row is None:
            which = "model card" if revision is None else f"model card revision {revision}"
            raise NotFoundError(
                f"version {version} of model {model_name!r} has no {which}",
                model=model_name,
                version=version,
            )
        return _card(row, model_name, version)

    def has_model_card(self: _Rows, model_name: str, version: int) -> bool:
        target = self._version_row(model_name, version)
        found = self.session.scalar(
            select(ModelCardRow.revision).where(ModelCardRow.version_id == target.id).limit(1)
        )
        return found is not None


def _alias_change(row: AliasHistoryRow) -> AliasChange:
    return AliasChange(row.model_name, row.alias, row.version, row.at, row.actor)


def _deployment(row: DeploymentRow) -> Deployment:
    return Deployment(
        id=row.id,
        model_name=row.model_name,
        version=row.version,
        environment=row.environment,
        status=row.status,
        at=row.at,
        recorded_by=row.recorded_by,
        note=row.note,
    )


def _evaluation(row: EvaluationRow, model_name: str, version: int) -> Evaluation:
    report = None
    if row.report_digest is not None:
        report = ReportFile(
            row.report_name or "report", row.report_size or 0, Digest.parse(row.report_digest)
        )
    return Evaluation(
        id=row.id,
        model_name=model_name,
        version=version,
        dataset=row.dataset,
        metrics=dict(row.metrics),
        description=row.description,
        report=report,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def _card(row: ModelCardRow, model_name: str, version: int) -> ModelCard:
    return ModelCard(
        model_name=model_name,
        version=version,
        revision=row.revision,
        content=row.content,
        metadata=dict(row.front_matter),
        created_by=row.created_by,
        created_at=row.created_at,
    )
