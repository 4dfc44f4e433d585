"""A ``TrackingQuery`` (``domain/tracking_search.py``) as SQL: the WHERE conditions and ORDER BY
of a run or logged-model search. Values only ever reach the database as bound parameters.

* a run's metric is its latest value: a correlated scalar subquery taking the run's row for
  that key with the highest (step, timestamp, id), over the ``(run_id, key)`` index; NaN is
  stored as NULL, so a NaN or missing metric matches no comparison;
* a logged model's metric condition is ``EXISTS`` (any value of the key that compares true),
  and its order the latest value (timestamp, then step), as in MLflow;
* a param or tag condition is ``EXISTS`` (a row with the key whose value matches), and so is a
  dataset condition (an input of the run whose dataset, or context, matches);
* ``LIKE`` has no escape character in MLflow, so a backslash in a pattern is escaped here and
  means itself on both databases; ``ILIKE`` is ``lower(value) LIKE lower(pattern)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    String,
    and_,
    case,
    exists,
    func,
    or_,
    select,
    type_coerce,
)

from modelreg.domain.tracking_search import (
    FieldCondition,
    FieldOrder,
    MetricDataset,
    TrackingQuery,
)
from modelreg.store.sql.tracking import (
    DatasetRow,
    ExperimentRow,
    ExperimentTagRow,
    LoggedModelParamRow,
    LoggedModelRow,
    LoggedModelTagRow,
    RunInputRow,
    RunMetricRow,
    RunParamRow,
    RunRow,
    RunTagRow,
)

_ESCAPE = "\\"
_ATTRIBUTES: dict[str, Any] = {
    "run_id": RunRow.id,
    "run_name": RunRow.name,
    # Compared as the stored text, so LIKE works on it and an unknown status matches nothing.
    "status": type_coerce(RunRow.status, String),
    "user_id": RunRow.user_id,
    "artifact_uri": RunRow.artifact_uri,
    "start_time": RunRow.start_time,
    "end_time": RunRow.end_time,
}


def filtered_runs(statement: Select[Any], query: TrackingQuery) -> Select[Any]:
    """``statement`` (over ``RunRow``) with the query's conditions and its order, which ends
    with the newest start and the run id, so every page is stable."""
    for condition in query.conditions:
        statement = statement.where(_condition(condition))
    clauses: list[ColumnElement[Any]] = []
    for item in query.order:
        value = _value(item)
        clauses.append(case((value.is_(None), 1), else_=0).asc())  # missing values last
        clauses.append(value.desc() if item.descending else value.asc())
    if not any(o.kind == "attribute" and o.key == "start_time" for o in query.order):
        clauses.append(RunRow.start_time.desc())
    clauses.append(RunRow.id.asc())
    return statement.order_by(*clauses)


_MODEL_ATTRIBUTES: dict[str, Any] = {
    "name": LoggedModelRow.name,
    "model_id": LoggedModelRow.id,
    "model_type": LoggedModelRow.model_type,
    "status": type_coerce(LoggedModelRow.status, String),
    "source_run_id": LoggedModelRow.source_run_id,
    "created_at": LoggedModelRow.created_at,
    "updated_at": LoggedModelRow.updated_at,
}


def filtered_logged_models(statement: Select[Any], query: TrackingQuery) -> Select[Any]:
    """``statement`` (over ``LoggedModelRow``) with the query's conditions and order, which
    ends with the newest first and the model id."""
    measured_on = _on_datasets(query.datasets)
    for condition in query.conditions:
        statement = statement.where(_model_condition(condition, measured_on))
    if measured_on is not None and not any(c.kind == "metric" for c in query.conditions):
        found = select(1).where(RunMetricRow.model_id == LoggedModelRow.id, measured_on)
        statement = statement.where(exists(found.correlate(LoggedModelRow)))
    clauses: list[ColumnElement[Any]] = []
    for item in query.order:
        value = (
            _model_metric(item.key, _on_datasets((item.dataset,) if item.dataset else ()))
            if item.kind == "metric"
            else _MODEL_ATTRIBUTES[item.key]
        )
        clauses.append(case((value.is_(None), 1), else_=0).asc())
        clauses.append(value.desc() if item.descending else value.asc())
    if not any(o.kind == "attribute" and o.key == "created_at" for o in query.order):
        clauses.append(LoggedModelRow.created_at.desc())
    clauses.append(LoggedModelRow.id.asc())
    return statement.order_by(*clauses)


def filtered_experiments(statement: Select[Any], query: TrackingQuery) -> Select[Any]:
    """``statement`` (over ``ExperimentRow``) with the query's conditions and order, which ends
    with the newest first and the id."""
    for condition in query.conditions:
        if condition.kind == "tag":
            found = select(1).where(
                ExperimentTagRow.experiment_id == ExperimentRow.id,
                ExperimentTagRow.key == condition.key,
                _compare(ExperimentTagRow.value, condition.op, condition.value),
            )
            statement = statement.where(exists(found.correlate(ExperimentRow)))
        else:
            column = getattr(ExperimentRow, condition.key)
            statement = statement.where(_compare(column, condition.op, condition.value))
    clauses = [
        getattr(ExperimentRow, item.key).desc()
        if item.descending
        else getattr(ExperimentRow, item.key).asc()
        for item in query.order
    ]
    if not any(item.key == "created_at" for item in query.order):
        clauses.append(ExperimentRow.created_at.desc())
    clauses.append(ExperimentRow.id.asc())
    return statement.order_by(*clauses)


def _on_datasets(datasets: Sequence[MetricDataset]) -> ColumnElement[bool] | None:
    """A metric row measured on one of ``datasets`` (None: no restriction)."""
    if not datasets:
        return None
    return or_(
        *(
            and_(
                RunMetricRow.dataset_name == item.name,
                *([RunMetricRow.dataset_digest == item.digest] if item.digest else []),
            )
            for item in datasets
        )
    )


def _model_condition(
    condition: FieldCondition, measured_on: ColumnElement[bool] | None
) -> ColumnElement[bool]:
    op, value = condition.op, condition.value
    if condition.kind == "attribute":
        return _compare(_MODEL_ATTRIBUTES[condition.key], op, value)
    if condition.kind == "metric":
        found = select(1).where(
            RunMetricRow.model_id == LoggedModelRow.id,
            RunMetricRow.key == condition.key,
            _compare(RunMetricRow.value, op, value),
            *([measured_on] if measured_on is not None else []),
        )
        return exists(found.correlate(LoggedModelRow))
    row = LoggedModelParamRow if condition.kind == "param" else LoggedModelTagRow
    found = select(1).where(
        row.model_id == LoggedModelRow.id, row.key == condition.key, _compare(row.value, op, value)
    )
    return exists(found.correlate(LoggedModelRow))


def _model_metric(key: str, measured_on: ColumnElement[bool] | None) -> SQLColumnExpression[Any]:
    # MLflow's latest for a logged model: latest timestamp first, then highest step.
    owner = RunMetricRow.model_id == LoggedModelRow.id
    if measured_on is not None:
        owner = and_(owner, measured_on)
    return _last_value(owner, key, RunMetricRow.timestamp, RunMetricRow.step, LoggedModelRow)


_DATASET_FIELDS: dict[str, Any] = {
    "name": DatasetRow.name,
    "digest": DatasetRow.digest,
    "context": RunInputRow.context,
}


def _condition(condition: FieldCondition) -> ColumnElement[bool]:
    if condition.kind == "dataset":
        found = (
            select(1)
            .select_from(RunInputRow)
            .join(DatasetRow, DatasetRow.id == RunInputRow.dataset_id)
            .where(
                RunInputRow.run_id == RunRow.id,
                _compare(_DATASET_FIELDS[condition.key], condition.op, condition.value),
            )
        )
        return exists(found.correlate(RunRow))
    if condition.kind == "metric":
        return _compare(_latest_metric(condition.key), condition.op, condition.value)
    if condition.kind == "attribute":
        return _compare(_ATTRIBUTES[condition.key], condition.op, condition.value)
    row = RunParamRow if condition.kind == "param" else RunTagRow
    has_key = select(1).where(row.run_id == RunRow.id, row.key == condition.key).correlate(RunRow)
    if condition.op == "IS NULL":
        return ~exists(has_key)
    if condition.op == "IS NOT NULL":
        return exists(has_key)
    return exists(has_key.where(_compare(row.value, condition.op, condition.value)))


def _value(item: FieldOrder) -> SQLColumnExpression[Any]:
    if item.kind == "metric":
        return _latest_metric(item.key)
    if item.kind == "attribute":
        return _ATTRIBUTES[item.key]  # type: ignore[no-any-return]
    row = RunParamRow if item.kind == "param" else RunTagRow
    return (
        select(row.value)
        .where(row.run_id == RunRow.id, row.key == item.key)
        .correlate(RunRow)
        .scalar_subquery()
    )


def _latest_metric(key: str) -> SQLColumnExpression[Any]:
    owner = RunMetricRow.run_id == RunRow.id
    return _last_value(owner, key, RunMetricRow.step, RunMetricRow.timestamp, RunRow)


def _last_value(
    owner: ColumnElement[bool], key: str, first: Any, then: Any, outer: Any
) -> SQLColumnExpression[Any]:
    """The value of ``key`` among ``owner``'s metric rows that sorts last by (``first``,
    ``then``, id): a correlated scalar subquery over ``outer``."""
    return (
        select(RunMetricRow.value)
        .where(owner, RunMetricRow.key == key)
        .order_by(first.desc(), then.desc(), RunMetricRow.id.desc())
        .limit(1)
        .correlate(outer)
        .scalar_subquery()
    )


def _compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    match op:
        case "=":
            return column == value  # type: ignore[no-any-return]
        case "!=":
            return column != value  # type: ignore[no-any-return]
        case "<":
            return column < value  # type: ignore[no-any-return]
        case "<=":
            return column <= value  # type: ignore[no-any-return]
        case ">":
            return column > value  # type: ignore[no-any-return]
        case ">=":
            return column >= value  # type: ignore[no-any-return]
        case "LIKE":
            return column.like(_pattern(value), escape=_ESCAPE)  # type: ignore[no-any-return]
        case "ILIKE":
            pattern = func.lower(_pattern(value))
            return func.lower(column).like(pattern, escape=_ESCAPE)
        case "IN":
            return column.in_(list(value))  # type: ignore[no-any-return]
        case "NOT IN":
            return column.not_in(list(value))  # type: ignore[no-any-return]
    raise ValueError(f"unknown operator {op!r}")


def _pattern(value: str) -> str:
    return value.replace(_ESCAPE, _ESCAPE * 2)
