"""Runs as the tracking API shows them, read for a whole page at once: one statement each for
params, tags, outputs and latest metrics, whatever the number of runs.

A run's metrics are its latest value per key (highest step, then latest timestamp, then last
logged), picked by the database with a window over the ``(run_id, key)`` index, so a run with
a long training history does not bring every step back to Python.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from modelreg.domain.tracking import Metric, ModelOutput, Run, RunInfo
from modelreg.store.sql.tracking import (
    RunMetricRow,
    RunOutputRow,
    RunParamRow,
    RunRow,
    RunTagRow,
)


def read_runs(session: Session, rows: Sequence[RunRow]) -> list[Run]:
    """The runs of ``rows``, in that order."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    params, tags = params_of(session, ids), _by_run(session, RunTagRow, ids)
    outputs: dict[str, list[ModelOutput]] = defaultdict(list)
    for run_id, model_id, step in session.execute(
        select(RunOutputRow.run_id, RunOutputRow.model_id, RunOutputRow.step)
        .where(RunOutputRow.run_id.in_(ids))
        .order_by(RunOutputRow.run_id, RunOutputRow.step, RunOutputRow.model_id)
    ):
        outputs[run_id].append(ModelOutput(model_id, step))
    metrics = latest_metrics(session, ids)
    return [
        Run(
            info=run_info(row),
            params=params[row.id],
            tags=tags[row.id],
            metrics=tuple(metrics[row.id]),
            outputs=tuple(outputs[row.id]),
        )
        for row in rows
    ]


def _by_run(
    session: Session, table: type[RunParamRow] | type[RunTagRow], ids: Sequence[str]
) -> dict[str, dict[str, str]]:
    """The runs' params or tags, by run, each sorted by key."""
    found: dict[str, dict[str, str]] = defaultdict(dict)
    for run_id, key, value in session.execute(
        select(table.run_id, table.key, table.value)
        .where(table.run_id.in_(ids))
        .order_by(table.run_id, table.key)
    ):
        found[run_id][key] = value
    return found


def params_of(session: Session, run_ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """Each run's params, sorted by key."""
    return _by_run(session, RunParamRow, run_ids)


def latest_metrics(session: Session, run_ids: Sequence[str]) -> dict[str, list[Metric]]:
    """Each run's latest value of every metric key, by key."""
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
            rank.label("rank"),
        )
        .where(RunMetricRow.run_id.in_(run_ids))
        .subquery()
    )
    found: dict[str, list[Metric]] = defaultdict(list)
    for run_id, key, value, timestamp, step, model_id, _ in session.execute(
        select(ranked).where(ranked.c.rank == 1).order_by(ranked.c.run_id, ranked.c.key)
    ):
        found[run_id].append(
            Metric(
                key=key,
                value=math.nan if value is None else value,
                timestamp=timestamp,
                step=step,
                model_id=model_id,
            )
        )
    return found


def run_info(row: RunRow) -> RunInfo:
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
