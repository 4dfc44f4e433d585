"""Tracking use cases: experiments, runs (params, metrics, tags, inputs, outputs) and logged
models.

What the MLflow client needs to log a model before registering it (``docs/mlflow.md``). One
transaction per use case, like the registry.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TypeVar

from modelreg.domain.access import Principal, open_principal
from modelreg.domain.entities import Page
from modelreg.domain.errors import InvalidArgumentError
from modelreg.domain.provenance import (
    DatasetInput,
    ModelInput,
    validate_inputs,
    validate_model_input,
)
from modelreg.domain.rules import DEFAULT_LIMITS, Limits, validate_key
from modelreg.domain.tracking import (
    DEFAULT_EXPERIMENT_ID,
    DEFAULT_EXPERIMENT_NAME,
    ENDED,
    EXPERIMENT_TAG_VALUE_LENGTH,
    LOGGED_MODEL_TAG_VALUE_LENGTH,
    PARAM_VALUE_LENGTH,
    RUN_NAME_LENGTH,
    RUN_TAG_VALUE_LENGTH,
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
    RunStatus,
    check_batch,
    logged_model_artifact_uri,
    run_artifact_uri,
    validate_experiment_name,
    validate_metric,
    validate_tracking_value,
)
from modelreg.domain.tracking_search import NO_FILTER, TrackingQuery
from modelreg.service.clock import Clock, utcnow
from modelreg.service.late_numbers import complete_versions_of
from modelreg.service.pagination import (
    check_page_size,
    decode_cursor,
    encode_cursor,
    fingerprint,
)
from modelreg.store.base import MetadataStore, MetadataTransaction

T = TypeVar("T")

RUN_NAME_TAG = "mlflow.runName"

VIEW_TYPES: dict[str, tuple[LifecycleStage, ...]] = {
    "ACTIVE_ONLY": (LifecycleStage.ACTIVE,),
    "DELETED_ONLY": (LifecycleStage.DELETED,),
    "ALL": (LifecycleStage.ACTIVE, LifecycleStage.DELETED),
}


def stages_for_view(view: str | None) -> tuple[LifecycleStage, ...]:
    stages = VIEW_TYPES.get((view or "ACTIVE_ONLY").upper())
    if stages is None:
        raise InvalidArgumentError(
            f"invalid view type {view!r}: use one of {', '.join(VIEW_TYPES)}", field="view_type"
        )
    return stages


class Tracking:
    def __init__(
        self, store: MetadataStore, *, clock: Clock = utcnow, limits: Limits = DEFAULT_LIMITS
    ) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits  # what versions registered from a run can hold (late_numbers.py)

    # -- experiments -------------------------------------------------------------------------

    def create_experiment(
        self,
        name: str,
        *,
        artifact_location: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Experiment:
        validate_experiment_name(name)
        clean = _values("tag", tags or {}, EXPERIMENT_TAG_VALUE_LENGTH)
        if artifact_location and not artifact_location.startswith("mlflow-artifacts:"):
            raise InvalidArgumentError(
                "modelreg stores artifacts itself: an experiment's artifact location can only "
                "be an mlflow-artifacts: URI",
                field="artifact_location",
            )
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            tx.ensure_default_experiment(now=now)
            return tx.create_experiment(
                name, artifact_location=artifact_location, tags=clean, now=now
            )

    def get_experiment(self, experiment_id: str) -> Experiment:
        if experiment_id == DEFAULT_EXPERIMENT_ID:
            self._ensure_default()
        with self.store.transaction() as tx:
            return tx.get_experiment(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment:
        if name == DEFAULT_EXPERIMENT_NAME:
            self._ensure_default()
        with self.store.transaction() as tx:
            return tx.get_experiment_by_name(name)

    def _ensure_default(self) -> None:
        """Experiment 0 exists from the first time anyone asks for it (a write only then)."""
        try:
            with self.store.transaction() as tx:
                tx.get_experiment(DEFAULT_EXPERIMENT_ID)
        except ExperimentNotFoundError:
            with self.store.transaction(write=True) as tx:
                tx.ensure_default_experiment(now=self.clock())

    def search_experiments(
        self,
        *,
        view: str | None = None,
        query: TrackingQuery = NO_FILTER,
        cursor: str | None = None,
        limit: int = 1000,
    ) -> Page[Experiment]:
        stages = stages_for_view(view)

        def run(tx: MetadataTransaction, offset: int, size: int) -> list[Experiment]:
            return tx.search_experiments(stages=stages, query=query, offset=offset, limit=size)

        self._ensure_default()
        return self._page(("experiments", view, repr(query)), cursor, limit, run)

    def update_experiment(
        self,
        experiment_id: str,
        *,
        name: str | None = None,
        lifecycle_stage: LifecycleStage | None = None,
        set_tags: Mapping[str, str] | None = None,
        delete_tags: Sequence[str] = (),
    ) -> Experiment:
        if name is not None:
            validate_experiment_name(name)
        clean = _values("tag", set_tags or {}, EXPERIMENT_TAG_VALUE_LENGTH)
        if experiment_id == DEFAULT_EXPERIMENT_ID and lifecycle_stage is LifecycleStage.DELETED:
            raise InvalidArgumentError("the Default experiment cannot be deleted")
        with self.store.transaction(write=True) as tx:
            return tx.update_experiment(
                experiment_id,
                now=self.clock(),
                name=name,
                lifecycle_stage=lifecycle_stage,
                set_tags=clean,
                delete_tags=delete_tags,
            )

    # -- runs --------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: str,
        *,
        user_id: str,
        name: str | None = None,
        start_time: datetime | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Run:
        clean = _values("tag", tags or {}, RUN_TAG_VALUE_LENGTH)
        run_name = name or clean.get(RUN_NAME_TAG) or f"run-{secrets.token_hex(4)}"
        if len(run_name) > RUN_NAME_LENGTH:
            raise InvalidArgumentError(f"run name is longer than {RUN_NAME_LENGTH} characters")
        clean[RUN_NAME_TAG] = run_name
        now = self.clock()
        run_id = uuid.uuid4().hex
        with self.store.transaction(write=True) as tx:
            tx.ensure_default_experiment(now=now)
            experiment = tx.get_experiment(experiment_id)
            if experiment.lifecycle_stage is not LifecycleStage.ACTIVE:
                raise InvalidArgumentError(
                    f"experiment {experiment_id!r} is deleted; restore it to log runs",
                    experiment=experiment_id,
                )
            info = RunInfo(
                id=run_id,
                experiment_id=experiment.id,
                name=run_name,
                user_id=user_id,
                status=RunStatus.RUNNING,
                start_time=start_time or now,
                end_time=None,
                lifecycle_stage=LifecycleStage.ACTIVE,
                artifact_uri=run_artifact_uri(experiment.id, run_id),
            )
            return tx.create_run(info, tags=clean)

    def get_run(self, run_id: str) -> Run:
        with self.store.transaction() as tx:
            return tx.get_run(run_id)

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: datetime | None = None,
        name: str | None = None,
        lifecycle_stage: LifecycleStage | None = None,
        by: Principal | None = None,
    ) -> RunInfo:
        """``by``: who ends the run, checked and named in the history of the versions it
        completes (``late_numbers.py``); None: the run's user, in a registry without
        authentication (embedded)."""
        if name is not None and len(name) > RUN_NAME_LENGTH:
            raise InvalidArgumentError(f"run name is longer than {RUN_NAME_LENGTH} characters")
        with self.store.transaction(write=True) as tx:
            ends = status in ENDED and tx.get_run_info(run_id).status not in ENDED
            info = tx.update_run(
                run_id,
                status=status,
                end_time=end_time,
                name=name or None,
                lifecycle_stage=lifecycle_stage,
            )
            if ends:
                who = by or open_principal(info.user_id)
                complete_versions_of(tx, info, by=who, now=self.clock(), limits=self.limits)
            return info

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[Metric] = (),
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """Log params, metrics and tags at once; a param keeps its first value for good."""
        check_batch(len(metrics), "metric")
        check_batch(len(params or {}), "param")
        check_batch(len(tags or {}), "tag")
        clean_params = _values("param", params or {}, PARAM_VALUE_LENGTH)
        clean_tags = _values("tag", tags or {}, RUN_TAG_VALUE_LENGTH)
        for metric in metrics:
            validate_metric(metric)
        with self.store.transaction(write=True) as tx:
            # Not the whole run: this is called for every metric a training loop logs.
            _require_active(tx.get_run_info(run_id))
            held = tx.run_numbers(run_id)[0] if clean_params else {}
            for key, value in clean_params.items():
                if key in held and held[key] != value:
                    raise InvalidArgumentError(
                        f"param {key!r} of run {run_id} is already {held[key]!r}; "
                        f"changing param values is not allowed (new value {value!r})",
                        field="param",
                    )
            if RUN_NAME_TAG in clean_tags:
                tx.update_run(run_id, name=clean_tags[RUN_NAME_TAG])
            tx.log_run_data(run_id, params=clean_params, tags=clean_tags, metrics=metrics)

    def delete_run_tag(self, run_id: str, key: str) -> None:
        validate_key(key, "tag")
        with self.store.transaction(write=True) as tx:
            _require_active(tx.get_run_info(run_id))
            tx.delete_run_tag(run_id, key)

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        with self.store.transaction() as tx:
            return tx.metric_history(run_id, key)

    def log_outputs(self, run_id: str, outputs: Sequence[ModelOutput]) -> None:
        with self.store.transaction(write=True) as tx:
            _require_active(tx.get_run_info(run_id))
            for output in outputs:
                tx.get_logged_model(output.model_id)
            tx.add_run_outputs(run_id, outputs)

    def run_inputs(self, run_id: str) -> tuple[DatasetInput, ...]:
        """The datasets a run logged (for the version page); none for an unknown run."""
        with self.store.transaction() as tx:
            return tuple(tx.run_inputs(run_id))

    def log_inputs(
        self,
        run_id: str,
        datasets: Sequence[DatasetInput] = (),
        models: Sequence[ModelInput] = (),
    ) -> None:
        """Record the datasets and logged models a run read (``mlflow.log_input``)."""
        checked = validate_inputs(datasets)
        check_batch(len(models), "model input")
        for model in models:
            validate_model_input(model)
        with self.store.transaction(write=True) as tx:
            _require_active(tx.get_run_info(run_id))
            tx.add_run_inputs(run_id, checked, models)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        *,
        view: str | None = None,
        query: TrackingQuery = NO_FILTER,
        cursor: str | None = None,
        limit: int = 1000,
    ) -> Page[Run]:
        """Runs of the experiments matching ``query`` (``domain/tracking_search.py``); a page token
        resumes only the search that made it."""
        stages = stages_for_view(view)
        ids = tuple(sorted(experiment_ids))

        def run(tx: MetadataTransaction, offset: int, size: int) -> list[Run]:
            return tx.search_runs(ids, stages=stages, query=query, offset=offset, limit=size)

        return self._page(("runs", ids, view, repr(query)), cursor, limit, run)

    # -- logged models -----------------------------------------------------------------------

    def create_logged_model(
        self,
        experiment_id: str,
        *,
        name: str | None = None,
        model_type: str = "",
        source_run_id: str | None = None,
        params: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> LoggedModel:
        clean_params = _values("param", params or {}, PARAM_VALUE_LENGTH)
        clean_tags = _values("tag", tags or {}, LOGGED_MODEL_TAG_VALUE_LENGTH)
        model_id = f"m-{uuid.uuid4().hex}"
        now = self.clock()
        with self.store.transaction(write=True) as tx:
            tx.ensure_default_experiment(now=now)
            experiment = tx.get_experiment(experiment_id)
            if source_run_id:
                run = tx.get_run(source_run_id)
                if run.info.experiment_id != experiment.id:
                    raise InvalidArgumentError(
                        f"run {source_run_id} belongs to experiment {run.info.experiment_id}, "
                        f"not {experiment.id}"
                    )
            model = LoggedModel(
                id=model_id,
                experiment_id=experiment.id,
                name=name or f"model-{secrets.token_hex(4)}",
                model_type=model_type or "",
                source_run_id=source_run_id or None,
                status=LoggedModelStatus.PENDING,
                status_message="",
                artifact_uri=logged_model_artifact_uri(experiment.id, model_id),
                lifecycle_stage=LifecycleStage.ACTIVE,
                created_at=now,
                updated_at=now,
                tags=clean_tags,
                params=clean_params,
            )
            return tx.create_logged_model(model)

    def get_logged_model(self, model_id: str) -> LoggedModel:
        with self.store.transaction() as tx:
            model = tx.get_logged_model(model_id)
        if model.lifecycle_stage is LifecycleStage.DELETED:
            raise LoggedModelNotFoundError(
                f"logged model {model_id!r} was deleted", model_id=model_id
            )
        return model

    def update_logged_model(
        self,
        model_id: str,
        *,
        status: LoggedModelStatus | None = None,
        set_tags: Mapping[str, str] | None = None,
        delete_tags: Sequence[str] = (),
        params: Mapping[str, str] | None = None,
        delete: bool = False,
    ) -> LoggedModel:
        clean_tags = _values("tag", set_tags or {}, LOGGED_MODEL_TAG_VALUE_LENGTH)
        clean_params = _values("param", params or {}, PARAM_VALUE_LENGTH)
        with self.store.transaction(write=True) as tx:
            return tx.update_logged_model(
                model_id,
                now=self.clock(),
                status=status,
                lifecycle_stage=LifecycleStage.DELETED if delete else None,
                set_tags=clean_tags,
                delete_tags=delete_tags,
                params=clean_params,
            )

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        query: TrackingQuery = NO_FILTER,
        *,
        cursor: str | None = None,
        limit: int = 100,
    ) -> Page[LoggedModel]:
        ids = tuple(sorted(experiment_ids))
        if not ids:
            raise InvalidArgumentError("name at least one experiment id", field="experiment_ids")

        def run(tx: MetadataTransaction, offset: int, size: int) -> list[LoggedModel]:
            return tx.search_logged_models(ids, query, offset=offset, limit=size)

        return self._page(("logged-models", ids, repr(query)), cursor, limit, run)

    # -- helpers -----------------------------------------------------------------------------

    def _page(
        self,
        identity: tuple[object, ...],
        cursor: str | None,
        limit: int,
        run: Callable[[MetadataTransaction, int, int], list[T]],
    ) -> Page[T]:
        check_page_size(limit)
        key = fingerprint(*identity)
        offset = decode_cursor(cursor, key)
        with self.store.transaction() as tx:
            items = run(tx, offset, limit + 1)
        if len(items) > limit:
            return Page(tuple(items[:limit]), encode_cursor(offset + limit, key))
        return Page(tuple(items))


def _values(kind: str, values: Mapping[str, str], limit: int) -> dict[str, str]:
    return {key: validate_tracking_value(kind, key, value, limit) for key, value in values.items()}


def _require_active(run: RunInfo) -> None:
    if run.lifecycle_stage is not LifecycleStage.ACTIVE:
        raise InvalidArgumentError(
            f"run {run.id} is deleted; restore it before logging to it", run=run.id
        )
