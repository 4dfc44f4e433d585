"""What runs read: datasets (stored once per experiment, name and digest) and logged models.
A mixin of ``SqlTrackingRepository``; ``dataset_inputs`` and ``model_inputs`` also serve
``run_reads.read_runs``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy import Connection, bindparam, literal, select, union_all
from sqlalchemy.exc import IntegrityError

from modelreg.domain.provenance import (
    GIT_COMMIT_TAG,
    GIT_REPO_URL_TAG,
    Dataset,
    DatasetInput,
    ModelInput,
    RunProvenance,
    dataset_reference,
    provenance_of,
)
from modelreg.domain.tracking import RunNotFoundError
from modelreg.store.sql.lists import TextList, member_of
from modelreg.store.sql.tracking import (
    DatasetRow,
    RunInputRow,
    RunModelInputRow,
    RunRow,
    RunTagRow,
)
from modelreg.store.sql.unit import SqlUnit

_INPUTS = (
    select(
        RunInputRow.run_id,
        RunInputRow.tags,
        DatasetRow.name,
        DatasetRow.digest,
        DatasetRow.source_type,
        DatasetRow.source,
        DatasetRow.schema,
        DatasetRow.profile,
    )
    .join(DatasetRow, DatasetRow.id == RunInputRow.dataset_id)
    .where(member_of(RunInputRow.run_id, bindparam("run_ids", type_=TextList())))
    .order_by(RunInputRow.run_id, RunInputRow.position)
)
_MODEL_INPUTS = (
    select(RunModelInputRow.run_id, RunModelInputRow.model_id)
    .where(member_of(RunModelInputRow.run_id, bindparam("run_ids", type_=TextList())))
    .order_by(RunModelInputRow.run_id, RunModelInputRow.model_id)
)
# A registration's one read of its run's provenance: the commit tags, then the datasets in the
# order they were logged (kind 0: tag key and value; 1: dataset name and digest).
_PROVENANCE = union_all(
    select(
        literal(0).label("kind"),
        RunTagRow.key.label("first"),
        RunTagRow.value.label("second"),
        literal(0).label("position"),
    ).where(
        RunTagRow.run_id == bindparam("run_id"),
        RunTagRow.key.in_((GIT_COMMIT_TAG, GIT_REPO_URL_TAG)),
    ),
    select(literal(1), DatasetRow.name, DatasetRow.digest, RunInputRow.position)
    .join(DatasetRow, DatasetRow.id == RunInputRow.dataset_id)
    .where(RunInputRow.run_id == bindparam("run_id")),
).subquery()
_PROVENANCE_IN_ORDER = select(_PROVENANCE).order_by(_PROVENANCE.c.kind, _PROVENANCE.c.position)


def dataset_inputs(core: Connection, run_ids: Sequence[str]) -> dict[str, list[DatasetInput]]:
    """Each run's dataset inputs, in the order they were logged."""
    datasets: dict[str, list[DatasetInput]] = defaultdict(list)
    for run_id, tags, *dataset in core.execute(_INPUTS, {"run_ids": list(run_ids)}):
        datasets[run_id].append(DatasetInput(Dataset(*dataset), tags=dict(tags)))
    return datasets


def model_inputs(core: Connection, run_ids: Sequence[str]) -> dict[str, list[ModelInput]]:
    models: dict[str, list[ModelInput]] = defaultdict(list)
    for run_id, model_id in core.execute(_MODEL_INPUTS, {"run_ids": list(run_ids)}):
        models[run_id].append(ModelInput(model_id))
    return models


class SqlRunInputs(SqlUnit):
    def add_run_inputs(
        self, run_id: str, datasets: Sequence[DatasetInput], models: Sequence[ModelInput]
    ) -> None:
        run = self.session.get(RunRow, run_id)
        if run is None:
            raise RunNotFoundError(f"run {run_id!r} does not exist", run=run_id)
        rows = self.session.execute(
            select(RunInputRow.dataset_id, RunInputRow.position).where(RunInputRow.run_id == run_id)
        )
        held: dict[int, int] = dict(rows.all())
        position = max(held.values(), default=-1) + 1
        for item in datasets:
            dataset_id = self._dataset_id(run.experiment_id, item.dataset)
            if dataset_id in held:
                continue  # as in MLflow: logging a dataset the run has again changes nothing
            self.session.add(
                RunInputRow(
                    run_id=run_id,
                    dataset_id=dataset_id,
                    position=position,
                    context=item.context,
                    tags=dict(item.tags),
                )
            )
            held[dataset_id] = position
            position += 1
        for model in models:
            self.session.merge(RunModelInputRow(run_id=run_id, model_id=model.model_id))
        self.session.flush()

    def run_inputs(self, run_id: str) -> list[DatasetInput]:
        return dataset_inputs(self.core, [run_id])[run_id]

    def run_provenance(self, run_id: str, dataset_limit: int) -> RunProvenance:
        tags: dict[str, str] = {}
        references: list[str] = []
        for kind, first, second, _ in self.core.execute(_PROVENANCE_IN_ORDER, {"run_id": run_id}):
            if kind == 0:
                tags[first] = second
            else:
                references.append(dataset_reference(first, second))
        return provenance_of(tags, references, dataset_limit)

    def _dataset_id(self, experiment_id: int, dataset: Dataset) -> int:
        identity = (
            DatasetRow.experiment_id == experiment_id,
            DatasetRow.name == dataset.name,
            DatasetRow.digest == dataset.digest,
        )
        found = self.session.scalar(select(DatasetRow.id).where(*identity))
        if found is not None:
            return found
        row = DatasetRow(experiment_id=experiment_id, **asdict(dataset))
        try:
            with self.session.begin_nested():
                self.session.add(row)
        except IntegrityError:
            # Another run of the experiment stored the same dataset first: share that row.
            shared = self.session.scalar(select(DatasetRow.id).where(*identity))
            if shared is None:
                raise
            return shared
        return row.id
