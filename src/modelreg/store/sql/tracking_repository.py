"""``SqlTrackingRepository``: tracking on the transaction's ``Session`` (a mixin of
``SqlTransaction``). ORM rows never leave this module."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, delete, select
from sqlalchemy.exc import IntegrityError

from modelreg.domain.errors import AlreadyExistsError, NotFoundError
from modelreg.domain.tracking import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    Experiment,
    ExperimentNotFoundError,
    LifecycleStage,
    LoggedModel,
    LoggedModelNotFoundError,
    LoggedModelStatus,
    Metric,
    ModelOutput,
    Run,
    RunInfo,
    RunNotFoundError,
    RunStatus,
    experiment_artifact_location,
)
from modelreg.domain.tracking_search import NO_FILTER, TrackingQuery
from modelreg.store.sql import tracking_search
from modelreg.store.sql.artifact_index import SqlArtifactIndex, SqlVersionExtras
from modelreg.store.sql.run_inputs import SqlRunInputs
from modelreg.store.sql.run_reads import latest_metrics, params_of, read_runs, run_info
from modelreg.store.sql.tables import core_table
from modelreg.store.sql.tracking import (
    ExperimentRow,
    ExperimentTagRow,
    LoggedModelParamRow,
    LoggedModelRow,
    LoggedModelTagRow,
    RunMetricRow,
    RunOutputRow,
    RunParamRow,
    RunRow,
    RunTagRow,
)


class SqlTrackingRepository(SqlArtifactIndex, SqlVersionExtras, SqlRunInputs):
    """Tracking on the transaction's ``Session``; a mixin of ``SqlTransaction``."""

    # -- experiments -------------------------------------------------------------------------

    def ensure_default_experiment(self, *, now: datetime) -> None:
        if self.session.get(ExperimentRow, int(DEFAULT_EXPERIMENT_ID)) is not None:
            return
        row = ExperimentRow(
            id=int(DEFAULT_EXPERIMENT_ID),
            name=DEFAULT_EXPERIMENT_NAME,
            artifact_location=experiment_artifact_location(DEFAULT_EXPERIMENT_ID),
            lifecycle_stage=LifecycleStage.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            pass  # created concurrently

    def create_experiment(
        self, name: str, *, artifact_location: str | None, tags: Mapping[str, str], now: datetime
    ) -> Experiment:
        if self.session.scalar(select(ExperimentRow.id).where(ExperimentRow.name == name)):
            raise AlreadyExistsError(f"experiment {name!r} already exists", experiment=name)
        row = ExperimentRow(
            name=name,
            artifact_location=artifact_location or "",
            lifecycle_stage=LifecycleStage.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError as error:
            raise AlreadyExistsError(
                f"experiment {name!r} already exists", experiment=name
            ) from error
        if not artifact_location:
            row.artifact_location = experiment_artifact_location(str(row.id))
        self.session.add_all(
            ExperimentTagRow(experiment_id=row.id, key=k, value=v) for k, v in tags.items()
        )
        self.session.flush()
        return self._experiments([row])[0]

    def _experiment_row(self, experiment_id: str) -> ExperimentRow:
        row = None
        if experiment_id.isdigit() and len(experiment_id) < 10:
            row = self.session.get(ExperimentRow, int(experiment_id))
        if row is None:
            raise ExperimentNotFoundError(
                f"experiment {experiment_id!r} does not exist", experiment=experiment_id
            )
        return row

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self._experiments([self._experiment_row(experiment_id)])[0]

    def get_experiment_by_name(self, name: str) -> Experiment:
        row = self.session.scalars(
            select(ExperimentRow).where(ExperimentRow.name == name)
        ).one_or_none()
        if row is None:
            raise ExperimentNotFoundError(f"experiment {name!r} does not exist", experiment=name)
        return self._experiments([row])[0]

    def update_experiment(
        self,
        experiment_id: str,
        *,
        now: datetime,
        name: str | None = None,
        lifecycle_stage: LifecycleStage | None = None,
        set_tags: Mapping[str, str] | None = None,
        delete_tags: Sequence[str] = (),
    ) -> Experiment:
        row = self._experiment_row(experiment_id)
        if name is not None and name != row.name:
            taken = select(ExperimentRow.id).where(ExperimentRow.name == name)
            if self.session.scalar(taken) is not None:
                raise AlreadyExistsError(f"experiment {name!r} already exists", experiment=name)
            row.name = name
        if lifecycle_stage is not None:
            row.lifecycle_stage = lifecycle_stage
        if delete_tags:
            self.session.execute(
                delete(ExperimentTagRow).where(
                    ExperimentTagRow.experiment_id == row.id,
                    ExperimentTagRow.key.in_(list(delete_tags)),
                )
            )
        for key, value in (set_tags or {}).items():
            self.session.merge(ExperimentTagRow(experiment_id=row.id, key=key, value=value))
        row.updated_at = now
        self.session.flush()
        return self._experiments([row])[0]

    def search_experiments(
        self,
        *,
        stages: Sequence[LifecycleStage],
        query: TrackingQuery = NO_FILTER,
        offset: int,
        limit: int,
    ) -> list[Experiment]:
        statement = select(ExperimentRow).where(ExperimentRow.lifecycle_stage.in_(list(stages)))
        statement = tracking_search.filtered_experiments(statement, query)
        rows = list(self.session.scalars(statement.offset(offset).limit(limit)))
        return self._experiments(rows)

    def _experiments(self, rows: Sequence[ExperimentRow]) -> list[Experiment]:
        ids = [row.id for row in rows]
        tags: dict[int, dict[str, str]] = defaultdict(dict)
        if ids:
            for tag in self.session.scalars(
                select(ExperimentTagRow).where(ExperimentTagRow.experiment_id.in_(ids))
            ):
                tags[tag.experiment_id][tag.key] = tag.value
        return [
            Experiment(
                id=str(row.id),
                name=row.name,
                artifact_location=row.artifact_location,
                lifecycle_stage=row.lifecycle_stage,
                created_at=row.created_at,
                updated_at=row.updated_at,
                tags=dict(sorted(tags[row.id].items())),
            )
            for row in rows
        ]

    # -- runs --------------------------------------------------------------------------------

    def create_run(self, info: RunInfo, *, tags: Mapping[str, str]) -> Run:
        experiment = self._experiment_row(info.experiment_id)
        self.session.add(
            RunRow(
                id=info.id,
                experiment_id=experiment.id,
                name=info.name,
                user_id=info.user_id,
                status=info.status,
                start_time=info.start_time,
                end_time=info.end_time,
                lifecycle_stage=info.lifecycle_stage,
                artifact_uri=info.artifact_uri,
            )
        )
        self.session.flush()
        self.session.add_all(RunTagRow(run_id=info.id, key=k, value=v) for k, v in tags.items())
        self.session.flush()
        return self.get_run(info.id)

    def _run_row(self, run_id: str) -> RunRow:
        row = self.session.get(RunRow, run_id) if len(run_id) <= 32 else None
        if row is None:
            raise RunNotFoundError(f"run {run_id!r} does not exist", run=run_id)
        return row

    def get_run_info(self, run_id: str) -> RunInfo:
        # Read first by every registration from a run and every logged batch: a plain row,
        # without the ORM's identity map (callers read it before changing the run).
        found = (
            self.core.execute(_RUN_INFO, {"run_id": run_id}).one_or_none()
            if len(run_id) <= 32
            else None
        )
        if found is None:
            raise RunNotFoundError(f"run {run_id!r} does not exist", run=run_id)
        return run_info(found)

    def run_numbers(self, run_id: str) -> tuple[dict[str, str], dict[str, float]]:
        params = params_of(self.core, [run_id]).get(run_id, {})
        metrics = latest_metrics(self.core, [run_id]).get(run_id, [])
        return params, {metric.key: metric.value for metric in metrics}

    def get_run(self, run_id: str) -> Run:
        return read_runs(self.core, [self._run_row(run_id)])[0]

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: datetime | None = None,
        name: str | None = None,
        lifecycle_stage: LifecycleStage | None = None,
    ) -> RunInfo:
        row = self._run_row(run_id)
        if status is not None:
            row.status = status
        if end_time is not None:
            row.end_time = end_time
        if name is not None:
            row.name = name
            self.session.merge(RunTagRow(run_id=run_id, key="mlflow.runName", value=name))
        if lifecycle_stage is not None:
            row.lifecycle_stage = lifecycle_stage
        self.session.flush()
        return run_info(row)

    def log_run_data(
        self,
        run_id: str,
        *,
        params: Mapping[str, str],
        tags: Mapping[str, str],
        metrics: Sequence[Metric],
    ) -> None:
        self._run_row(run_id)
        existing = set(
            self.session.scalars(
                select(RunParamRow.key).where(
                    RunParamRow.run_id == run_id, RunParamRow.key.in_(list(params))
                )
            )
        )
        self.session.add_all(
            RunParamRow(run_id=run_id, key=k, value=v)
            for k, v in params.items()
            if k not in existing
        )
        for key, value in tags.items():
            self.session.merge(RunTagRow(run_id=run_id, key=key, value=value))
        self.session.add_all(
            RunMetricRow(
                run_id=run_id,
                key=m.key,
                value=None if math.isnan(m.value) else m.value,
                timestamp=m.timestamp,
                step=m.step,
                model_id=m.model_id,
                dataset_name=m.dataset_name,
                dataset_digest=m.dataset_digest,
            )
            for m in metrics
        )
        self.session.flush()

    def delete_run_tag(self, run_id: str, key: str) -> None:
        self._run_row(run_id)
        deleted = self.session.execute(
            delete(RunTagRow).where(RunTagRow.run_id == run_id, RunTagRow.key == key)
        )
        if getattr(deleted, "rowcount", 1) == 0:
            raise NotFoundError(f"run {run_id!r} has no tag {key!r}", run=run_id, key=key)

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        self._run_row(run_id)
        return self._metric_rows(RunMetricRow.run_id == run_id, RunMetricRow.key == key)

    def _metric_rows(self, *conditions: ColumnElement[bool]) -> list[Metric]:
        rows = self.session.scalars(
            select(RunMetricRow)
            .where(*conditions)
            .order_by(RunMetricRow.key, RunMetricRow.step, RunMetricRow.timestamp, RunMetricRow.id)
        )
        return [
            Metric(
                key=row.key,
                value=math.nan if row.value is None else row.value,
                timestamp=row.timestamp,
                step=row.step,
                model_id=row.model_id,
                dataset_name=row.dataset_name,
                dataset_digest=row.dataset_digest,
            )
            for row in rows
        ]

    def add_run_outputs(self, run_id: str, outputs: Sequence[ModelOutput]) -> None:
        self._run_row(run_id)
        for output in outputs:
            self.session.merge(
                RunOutputRow(run_id=run_id, model_id=output.model_id, step=output.step)
            )
        self.session.flush()

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        *,
        stages: Sequence[LifecycleStage],
        query: TrackingQuery = NO_FILTER,
        offset: int,
        limit: int,
    ) -> list[Run]:
        ids = [int(e) for e in experiment_ids if e.isdigit() and len(e) < 10]
        runs = select(RunRow).where(
            RunRow.experiment_id.in_(ids), RunRow.lifecycle_stage.in_(list(stages))
        )
        rows = self.session.scalars(
            tracking_search.filtered_runs(runs, query).offset(offset).limit(limit)
        )
        return read_runs(self.core, rows.all())

    # -- logged models -----------------------------------------------------------------------

    def create_logged_model(self, model: LoggedModel) -> LoggedModel:
        experiment = self._experiment_row(model.experiment_id)
        self.session.add(
            LoggedModelRow(
                id=model.id,
                experiment_id=experiment.id,
                name=model.name,
                model_type=model.model_type,
                source_run_id=model.source_run_id,
                status=model.status,
                status_message=model.status_message,
                artifact_uri=model.artifact_uri,
                lifecycle_stage=model.lifecycle_stage,
                created_at=model.created_at,
                updated_at=model.updated_at,
            )
        )
        self.session.flush()
        self.session.add_all(
            LoggedModelTagRow(model_id=model.id, key=k, value=v) for k, v in model.tags.items()
        )
        self.session.add_all(
            LoggedModelParamRow(model_id=model.id, key=k, value=v) for k, v in model.params.items()
        )
        self.session.flush()
        return self.get_logged_model(model.id)

    def _logged_model_row(self, model_id: str) -> LoggedModelRow:
        row = self.session.get(LoggedModelRow, model_id) if len(model_id) <= 64 else None
        if row is None:
            raise LoggedModelNotFoundError(
                f"logged model {model_id!r} does not exist", model_id=model_id
            )
        return row

    def get_logged_model(self, model_id: str) -> LoggedModel:
        return self._logged_models([self._logged_model_row(model_id)])[0]

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
    ) -> LoggedModel:
        row = self._logged_model_row(model_id)
        if status is not None:
            row.status = status
        if lifecycle_stage is not None:
            row.lifecycle_stage = lifecycle_stage
        if delete_tags:
            self.session.execute(
                delete(LoggedModelTagRow).where(
                    LoggedModelTagRow.model_id == model_id,
                    LoggedModelTagRow.key.in_(list(delete_tags)),
                )
            )
        for key, value in (set_tags or {}).items():
            self.session.merge(LoggedModelTagRow(model_id=model_id, key=key, value=value))
        for key, value in (params or {}).items():
            self.session.merge(LoggedModelParamRow(model_id=model_id, key=key, value=value))
        row.updated_at = now
        self.session.flush()
        return self._logged_models([row])[0]

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        query: TrackingQuery = NO_FILTER,
        *,
        offset: int,
        limit: int,
    ) -> list[LoggedModel]:
        ids = [int(e) for e in experiment_ids if e.isdigit() and len(e) < 10]
        statement = select(LoggedModelRow).where(
            LoggedModelRow.experiment_id.in_(ids),
            LoggedModelRow.lifecycle_stage == LifecycleStage.ACTIVE,
        )
        statement = tracking_search.filtered_logged_models(statement, query)
        rows = list(self.session.scalars(statement.offset(offset).limit(limit)))
        return self._logged_models(rows)

    def _logged_models(self, rows: Sequence[LoggedModelRow]) -> list[LoggedModel]:
        ids = [row.id for row in rows]
        tags: dict[str, dict[str, str]] = defaultdict(dict)
        params: dict[str, dict[str, str]] = defaultdict(dict)
        metrics: dict[str, list[Metric]] = defaultdict(list)
        if ids:
            for tag in self.session.scalars(
                select(LoggedModelTagRow)
                .where(LoggedModelTagRow.model_id.in_(ids))
                .order_by(LoggedModelTagRow.key)
            ):
                tags[tag.model_id][tag.key] = tag.value
            for param in self.session.scalars(
                select(LoggedModelParamRow)
                .where(LoggedModelParamRow.model_id.in_(ids))
                .order_by(LoggedModelParamRow.key)
            ):
                params[param.model_id][param.key] = param.value
            for metric in self._metric_rows(RunMetricRow.model_id.in_(ids)):
                metrics[metric.model_id or ""].append(metric)
        return [
            LoggedModel(
                id=row.id,
                experiment_id=str(row.experiment_id),
                name=row.name,
                model_type=row.model_type,
                source_run_id=row.source_run_id,
                status=row.status,
                status_message=row.status_message,
                artifact_uri=row.artifact_uri,
                lifecycle_stage=row.lifecycle_stage,
                created_at=row.created_at,
                updated_at=row.updated_at,
                tags=tags[row.id],
                params=params[row.id],
                metrics=tuple(_latest_metrics(metrics[row.id])),
            )
            for row in rows
        ]


_RUN_INFO = select(*core_table(RunRow).c).where(RunRow.id == bindparam("run_id"))


def _latest_metrics(metrics: Sequence[Metric]) -> list[Metric]:
    """The value with the highest (step, timestamp) per key and dataset measured on, so a model
    evaluated on several datasets shows each score; ``metrics`` is sorted that way."""
    latest: dict[tuple[str, str | None, str | None], Metric] = {}
    for metric in metrics:
        latest[(metric.key, metric.dataset_name, metric.dataset_digest)] = metric
    return list(latest.values())
