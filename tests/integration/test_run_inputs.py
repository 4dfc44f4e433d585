"""The datasets and logged models a run read (``mlflow.log_input``), on SQLite and PostgreSQL:
kept once per experiment, shown with the run, searchable, and carried with the run's commit into
the lineage of a version registered from it, where a policy can require them."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select

from modelreg.domain.errors import (
    InvalidArgumentError,
    LimitExceededError,
    NotFoundError,
    PolicyViolationError,
)
from modelreg.domain.provenance import (
    CONTEXT_TAG,
    GIT_COMMIT_TAG,
    GIT_REPO_URL_TAG,
    Dataset,
    DatasetInput,
    ModelInput,
)
from modelreg.domain.tracking import LifecycleStage, Metric
from modelreg.server.mlflow.deps import MlflowServices
from modelreg.server.mlflow.tracking_filters import run_search
from modelreg.store.sql.tracking import DatasetRow
from modelreg.wiring import Services

ACTOR = "tester"
COMMIT = "4f1c2d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e"


@pytest.fixture
def ms(services: Services) -> MlflowServices:
    return MlflowServices.over(services)


def dataset(name: str, digest: str, uri: str = "s3://data/train.parquet") -> Dataset:
    return Dataset(
        name=name,
        digest=digest,
        source_type="s3",
        source=json.dumps({"uri": uri}),
        schema='{"mlflow_colspec": [{"type": "double", "name": "income"}]}',
    )


def used(data: Dataset, context: str | None = "training", **tags: str) -> DatasetInput:
    return DatasetInput(data, {**({CONTEXT_TAG: context} if context else {}), **tags})


TRAIN = dataset("credit-train", "a1b2c3d4")
EVAL = dataset("credit-eval", "e5f6a7b8", uri="s3://data/eval.parquet")


def run_with_model(ms: MlflowServices, experiment_id: str | None = None) -> str:
    experiment_id = experiment_id or ms.tracking.create_experiment(f"credit-{uuid.uuid4()}").id
    run = ms.tracking.create_run(experiment_id, user_id="u")
    root = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    ms.artifacts.upload(f"{root}/model/MLmodel", [b"flavors: {}\n"])
    return run.info.id


def stored_datasets(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(select(func.count()).select_from(DatasetRow)) or 0)
    finally:
        engine.dispose()


def test_a_run_shows_its_inputs_in_the_order_they_were_logged(ms: MlflowServices):
    run_id = run_with_model(ms)
    ms.tracking.log_inputs(run_id, [used(TRAIN), used(EVAL, "eval", split="holdout")])
    ms.tracking.log_inputs(run_id, [], [ModelInput("m-0123456789abcdef0123456789abcdef")])

    run = ms.tracking.get_run(run_id)
    assert [(i.dataset.name, i.context) for i in run.inputs] == [
        ("credit-train", "training"),
        ("credit-eval", "eval"),
    ]
    assert run.inputs[0].dataset == TRAIN
    assert run.inputs[1].tags == {CONTEXT_TAG: "eval", "split": "holdout"}
    assert [m.model_id for m in run.model_inputs] == ["m-0123456789abcdef0123456789abcdef"]
    page = ms.tracking.search_runs([run.info.experiment_id])
    assert page.items[0].inputs == run.inputs  # searches show them too


def test_a_dataset_is_stored_once_per_experiment_and_once_per_run(
    ms: MlflowServices, database_url: str
):
    experiment = ms.tracking.create_experiment("shared")
    first, second = (run_with_model(ms, experiment.id) for _ in range(2))
    ms.tracking.log_inputs(first, [used(TRAIN), used(TRAIN)])
    ms.tracking.log_inputs(first, [used(TRAIN, "retraining")])  # already there: unchanged
    ms.tracking.log_inputs(second, [used(TRAIN, "validation")])
    assert stored_datasets(database_url) == 1
    assert [i.context for i in ms.tracking.get_run(first).inputs] == ["training"]
    assert [i.context for i in ms.tracking.get_run(second).inputs] == ["validation"]

    elsewhere = run_with_model(ms, ms.tracking.create_experiment("other").id)
    ms.tracking.log_inputs(elsewhere, [used(TRAIN)])
    assert stored_datasets(database_url) == 2


def test_runs_are_searched_by_the_datasets_they_read(ms: MlflowServices):
    experiment = ms.tracking.create_experiment("search-data")
    both, train_only, none = (run_with_model(ms, experiment.id) for _ in range(3))
    ms.tracking.log_inputs(both, [used(TRAIN), used(EVAL, "eval")])
    ms.tracking.log_inputs(train_only, [used(TRAIN)])
    names = {both: "both", train_only: "train_only", none: "none"}

    def found(text: str) -> set[str]:
        page = ms.tracking.search_runs([experiment.id], query=run_search(text, []))
        return {names[run.info.id] for run in page.items}

    assert found("datasets.name = 'credit-eval'") == {"both"}
    assert found("datasets.name != 'credit-eval'") == {"both", "train_only"}
    assert found("datasets.digest IN ('a1b2c3d4', 'ffff')") == {"both", "train_only"}
    assert found("datasets.context = 'eval'") == {"both"}
    assert found("datasets.name LIKE 'credit-%' AND datasets.context = 'training'") == {
        "both",
        "train_only",
    }
    assert found("datasets.`name` ILIKE 'CREDIT-EVAL'") == {"both"}
    assert found("datasets.name NOT IN ('credit-train')") == {"both"}
    for bad in ("datasets.rows = 'x'", "datasets.name > 'a'", "datasets.name IS NULL"):
        with pytest.raises(InvalidArgumentError):
            run_search(bad, [])


def test_bad_inputs_are_refused_and_nothing_is_kept(ms: MlflowServices, database_url: str):
    run_id = run_with_model(ms)
    too_long = Dataset("d", "x" * 37, "s3", "{}")
    for bad, error in [
        ([used(TRAIN), DatasetInput(too_long)], LimitExceededError),
        ([DatasetInput(Dataset("", "abc", "s3", "{}"))], InvalidArgumentError),
        ([used(TRAIN, note="x" * 501)], LimitExceededError),
        ([used(TRAIN)] * 1001, LimitExceededError),
    ]:
        with pytest.raises(error):
            ms.tracking.log_inputs(run_id, bad)
    with pytest.raises(InvalidArgumentError):
        ms.tracking.log_inputs(run_id, [], [ModelInput("")])
    assert ms.tracking.get_run(run_id).inputs == ()
    assert stored_datasets(database_url) == 0
    with pytest.raises(NotFoundError):
        ms.tracking.log_inputs("0123456789abcdef0123456789abcdef", [used(TRAIN)])
    ms.tracking.update_run(run_id, lifecycle_stage=LifecycleStage.DELETED)
    with pytest.raises(InvalidArgumentError):
        ms.tracking.log_inputs(run_id, [used(TRAIN)])


def test_a_version_takes_the_runs_datasets_and_commit_into_its_lineage(ms: MlflowServices):
    run_id = run_with_model(ms)
    ms.tracking.log_inputs(run_id, [used(TRAIN), used(EVAL, "eval"), used(TRAIN)])
    ms.tracking.log_batch(
        run_id, tags={GIT_COMMIT_TAG: COMMIT, GIT_REPO_URL_TAG: "https://git.example/credit"}
    )
    ms.registry.create_model("credit", actor=ACTOR)

    by_run, _ = ms.sources.register("credit", f"runs:/{run_id}/model", actor=ACTOR, run_id=run_id)
    assert by_run.lineage.datasets == ("credit-train@a1b2c3d4", "credit-eval@e5f6a7b8")
    assert (by_run.lineage.source_commit, by_run.lineage.source_url) == (
        COMMIT,
        "https://git.example/credit",
    )
    assert ms.registry.get_version("credit", 1).lineage == by_run.lineage  # as stored

    # Files named by URI, with the run named beside them, as mlflow.register_model does.
    folder = ms.tracking.get_run(run_id).info.artifact_uri + "/model"
    by_uri, _ = ms.sources.register("credit", folder, actor=ACTOR, run_id=run_id)
    assert by_uri.lineage.datasets == by_run.lineage.datasets

    copied, _ = ms.sources.register("credit", "models:/credit/1", actor=ACTOR)
    assert copied.lineage.datasets == by_run.lineage.datasets
    assert copied.lineage.source_commit == COMMIT


def test_a_logged_model_takes_its_source_runs_datasets_and_its_own_commit(ms: MlflowServices):
    run_id = run_with_model(ms)
    ms.tracking.log_inputs(run_id, [used(TRAIN)])
    experiment_id = ms.tracking.get_run(run_id).info.experiment_id
    logged = ms.tracking.create_logged_model(
        experiment_id, name="lm", source_run_id=run_id, tags={GIT_COMMIT_TAG: COMMIT}
    )
    ms.artifacts.upload(f"{logged.artifact_uri.removeprefix('mlflow-artifacts:/')}/MLmodel", [b"m"])
    ms.registry.create_model("credit", actor=ACTOR)
    version, _ = ms.sources.register("credit", f"models:/{logged.id}", actor=ACTOR)
    assert version.lineage.datasets == ("credit-train@a1b2c3d4",)
    assert version.lineage.source_commit == COMMIT


def test_a_policy_requiring_data_and_code_is_met_by_a_run_that_logged_them(
    ms: MlflowServices, services: Services
):
    services.policies.set_policy(
        {"version": {"required": ["datasets", "source_commit"]}}, actor="admin"
    )
    ms.registry.create_model("credit", actor=ACTOR)
    bare = run_with_model(ms)
    with pytest.raises(PolicyViolationError) as refused:
        ms.sources.register("credit", f"runs:/{bare}/model", actor=ACTOR, run_id=bare)
    assert "datasets" in str(refused.value)
    assert "source_commit" in str(refused.value)

    documented = run_with_model(ms)
    ms.tracking.log_inputs(documented, [used(TRAIN)])
    ms.tracking.log_batch(documented, tags={GIT_COMMIT_TAG: COMMIT})
    version, _ = ms.sources.register(
        "credit", f"runs:/{documented}/model", actor=ACTOR, run_id=documented
    )
    assert version.version == 1


def test_lineage_keeps_what_fits_and_the_run_keeps_everything(ms: MlflowServices):
    run_id = run_with_model(ms)
    many = [used(dataset(f"shard-{n:03d}", f"{n:08x}")) for n in range(105)]
    ms.tracking.log_inputs(run_id, many)
    ms.tracking.log_batch(run_id, tags={GIT_COMMIT_TAG: "x" * 3000})
    ms.registry.create_model("credit", actor=ACTOR)
    version, _ = ms.sources.register("credit", f"runs:/{run_id}/model", actor=ACTOR, run_id=run_id)
    limit = ms.uploads.limits.datasets_per_version
    assert version.lineage.datasets == tuple(f"shard-{n:03d}@{n:08x}" for n in range(limit))
    assert version.lineage.source_commit is None  # no commit is 3,000 characters long
    assert len(ms.tracking.get_run(run_id).inputs) == 105


def test_two_runs_storing_the_same_new_dataset_at_once_share_one_row(
    ms: MlflowServices, database_url: str
):
    """The second writer meets the first's uncommitted row (PostgreSQL: its INSERT waits on the
    unique index, then fails and reads the committed row instead; SQLite: it waits for the write
    lock); both runs end up with the one dataset."""
    experiment = ms.tracking.create_experiment("race")
    first, second = (run_with_model(ms, experiment.id) for _ in range(2))
    store = ms.tracking.store
    errors: list[BaseException] = []
    with store.transaction(write=True) as tx:
        tx.add_run_inputs(first, [used(TRAIN)], [])

        def other() -> None:
            try:
                ms.tracking.log_inputs(second, [used(TRAIN, "validation")])
            except BaseException as error:  # reported by the assertion below
                errors.append(error)

        racer = threading.Thread(target=other, daemon=True)
        racer.start()
        racer.join(0.5)  # it is now waiting on this transaction
        assert racer.is_alive()
    racer.join(30)
    assert not racer.is_alive()
    assert errors == []
    assert stored_datasets(database_url) == 1
    assert [i.context for i in ms.tracking.get_run(second).inputs] == ["validation"]
    assert [i.dataset for i in ms.tracking.get_run(first).inputs] == [TRAIN]


def test_a_version_from_a_logged_model_holds_its_latest_score_whatever_the_dataset(
    ms: MlflowServices,
):
    run_id = run_with_model(ms)
    experiment_id = ms.tracking.get_run(run_id).info.experiment_id
    logged = ms.tracking.create_logged_model(experiment_id, name="lm", source_run_id=run_id)
    ms.artifacts.upload(f"{logged.artifact_uri.removeprefix('mlflow-artifacts:/')}/MLmodel", [b"m"])
    first = datetime(2026, 5, 1, tzinfo=UTC)
    ms.tracking.log_batch(
        run_id,
        metrics=[
            Metric("f1", 0.9, first + timedelta(minutes=1), 0, logged.id, "holdout", "h1"),
            Metric("f1", 0.8, first, 0, logged.id, "eval", "e1"),
        ],
    )
    shown = ms.tracking.get_logged_model(logged.id).metrics
    assert sorted((m.dataset_name, m.value) for m in shown) == [("eval", 0.8), ("holdout", 0.9)]
    ms.registry.create_model("credit", actor=ACTOR)
    version, _ = ms.sources.register("credit", f"models:/{logged.id}", actor=ACTOR)
    assert dict(version.metrics) == {"f1": 0.9}
