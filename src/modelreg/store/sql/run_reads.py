"""Runs as the tracking API shows them, read for a whole page at once: one statement each for
params, tags, outputs, inputs and latest metrics, whatever the number of runs.

A run's metrics are its latest value per key (highest step, then latest timestamp, then last
logged), picked by the database with a window over the ``(run_id, key)`` index, so a run with
a long training history does not bring every step back to Python.

The statements are built once (every MLflow registration from a run reads its params and
metrics): a call only binds the run ids.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from modelreg.domain.tracking import Metric, ModelOutput, Run, RunInfo
from modelreg.store.sql.lists import TextList, member_of
from modelreg.store.sql.run_inputs import dataset_inputs, model_inputs
from modelreg.store.sql.tables import PlainRow
from modelreg.store.sql.tracking import (
    RunMetricRow,
    RunOutputRow,
    RunParamRow,
    RunRow,
    RunTagRow,
)


def _by_run(table: type[RunParamRow] | type[RunTagRow]) -> Any:
    return (
        select(table.run_id, table.key, table.value)
        .where(member_of(table.run_id, bindparam("run_ids", type_=TextList())))
        .order_by(table.run_id, table.key)
    )


def _latest() -> Any:
    rank = func.row_number().over(
        partition_by=(RunMetricRow.run_id, RunMetricRow.key),
        order_by=(RunMetricRow.step.desc(), RunMetricRow.timestamp.desc(), RunMetricRow.id.desc()),
    )
    ranked = (
        select(
            RunMetricRow.run_id,
            RunMetricRow.key,
            RunMetricRow.value,
            RunMetricRow.timestamp,
            RunMetricRow.step,
            RunMetricRow.model_id,
            RunMetricRow.dataset_name,
            RunMetricRow.dataset_digest,
            rank.label("rank"),
        )
        .where(member_of(RunMetricRow.run_id, bindparam("run_ids", type_=TextList())))
        .subquery()
    )
    return select(ranked).where(ranked.c.rank == 1).order_by(ranked.c.run_id, ranked.c.key)


_PARAMS = _by_run(RunParamRow)
_TAGS = _by_run(RunTagRow)
_OUTPUTS = (
    select(RunOutputRow.run_id, RunOutputRow.model_id, RunOutputRow.step)
    .where(member_of(RunOutputRow.run_id, bindparam("run_ids", type_=TextList())))
    .order_by(RunOutputRow.run_id, RunOutputRow.step, RunOutputRow.model_id)
)
_LATEST_METRICS = _latest()


def read_runs(core: Connection, rows: Sequence[RunRow]) -> list[Run]:
    """The runs of ``rows``, in that order."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    params, tags = params_of(core, ids), _key_values(core, _TAGS, ids)
    outputs: dict[str, list[ModelOutput]] = defaultdict(list)
    for run_id, model_id, step in core.execute(_OUTPUTS, {"run_ids": ids}):
        outputs[run_id].append(ModelOutput(model_id, step))
    metrics = latest_metrics(core, ids)
    inputs, models = dataset_inputs(core, ids), model_inputs(core, ids)
    return [
        Run(
            info=run_info(row),
            params=params[row.id],
            tags=tags[row.id],
            metrics=tuple(metrics[row.id]),
            outputs=tuple(outputs[row.id]),
            inputs=tuple(inputs[row.id]),
            model_inputs=tuple(models[row.id]),
        )
        for row in rows
    ]


def _key_values(core: Connection, statement: Any, ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """The runs' params or tags, by run, each sorted by key."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for run_id, key, value in core.execute(statement, {"run_ids": list(ids)}):
        found[run_id][key] = value
    return found


def params_of(core: Connection, run_ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """Each run's params, sorted by key."""
    return _key_values(core, _PARAMS, run_ids)


def latest_metrics(core: Connection, run_ids: Sequence[str]) -> dict[str, list[Metric]]:
    """Each run's latest value of every metric key, by key."""
    found: dict[str, list[Metric]] = defaultdict(list)
    rows = core.execute(_LATEST_METRICS, {"run_ids": list(run_ids)})
    for run_id, key, value, timestamp, step, model_id, name, digest, _ in rows:
        found[run_id].append(
            Metric(
                key=key,
                value=math.nan if value is None else value,
                timestamp=timestamp,
                step=step,
                model_id=model_id,
                dataset_name=name,
                dataset_digest=digest,
            )
        )
    return found


def run_info(row: RunRow | PlainRow) -> RunInfo:
    return RunInfo(
        id=row.id,
        experiment_id=str(row.experiment_id),
        name=row.name,
        user_id=row.user_id,
        status=row.status,
        start_time=row.start_time,
        end_time=row.end_time,
        lifecycle_stage=row.lifecycle_stage,
        artifact_uri=row.artifact_uri,
    )
