"""Datasets logged with the unmodified ``mlflow`` client (``mlflow.log_input``) against a live
``modelreg server``: kept with the run, searchable with ``datasets.`` filters, and carried, with
the run's commit, into the lineage of a version registered from the run.

Everything goes through ``mlflow`` except the last check of the lineage, which is modelreg's
own field and is read with modelreg's public SDK over HTTP. ``test_mlflow2_client.py`` runs
this file again with an MLflow 2 client.
"""

from __future__ import annotations

import json
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("mlflow")
pytest.importorskip("pandas")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import mlflow
    import mlflow.data
    import pandas as pd
    from mlflow import MlflowClient

import modelreg
from tests.e2e.mlflow_target import modelreg_server, point_mlflow_at, requires_logged_models

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore")]

COMMIT = "4f1c2d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with modelreg_server(tmp_path_factory.mktemp("mlflow-datasets")) as url:
        yield url


@pytest.fixture
def url(server_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    return point_mlflow_at(server_url, monkeypatch)


def frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"income": [float(n) for n in range(rows)], "default": [n % 2 for n in range(rows)]}
    )


def test_datasets_are_kept_with_the_run_and_searchable(url: str):
    experiment_id = mlflow.create_experiment(f"credit-{uuid.uuid4().hex[:8]}")
    train = mlflow.data.from_pandas(frame(8), source="s3://bank/train.parquet", name="credit-train")
    holdout = mlflow.data.from_pandas(frame(3), source="s3://bank/holdout.parquet", name="holdout")
    with mlflow.start_run(experiment_id=experiment_id) as both:
        mlflow.log_input(train, context="training")
        mlflow.log_input(holdout, context="eval", tags={"split": "2026-q3"})
        mlflow.log_input(train, context="training")  # again: kept once
    with mlflow.start_run(experiment_id=experiment_id) as train_only:
        mlflow.log_input(train, context="training")
    with mlflow.start_run(experiment_id=experiment_id) as no_data:
        mlflow.log_param("alpha", "1")

    inputs = MlflowClient().get_run(both.info.run_id).inputs.dataset_inputs
    assert [(i.dataset.name, i.dataset.digest) for i in inputs] == [
        ("credit-train", train.digest),
        ("holdout", holdout.digest),
    ]
    tags = {t.key: t.value for t in inputs[1].tags}
    assert tags == {"mlflow.data.context": "eval", "split": "2026-q3"}
    assert inputs[0].dataset.source == '{"uri": "s3://bank/train.parquet"}'
    columns = json.loads(inputs[0].dataset.schema)["mlflow_colspec"]
    assert [column["name"] for column in columns] == ["income", "default"]
    assert json.loads(inputs[0].dataset.profile)["num_rows"] == 8
    assert MlflowClient().get_run(no_data.info.run_id).inputs.dataset_inputs == []

    def found(text: str) -> set[str]:
        runs = MlflowClient().search_runs([experiment_id], filter_string=text)
        return {run.info.run_id for run in runs}

    ids = {both.info.run_id, train_only.info.run_id}
    assert found("datasets.name = 'holdout'") == {both.info.run_id}
    assert found(f"datasets.digest IN ('{train.digest}')") == ids
    assert found("datasets.context = 'training' AND params.alpha = '1'") == set()
    assert found("datasets.name LIKE 'credit-%'") == ids
    frame_found = mlflow.search_runs([experiment_id], filter_string="datasets.context = 'eval'")
    assert list(frame_found["run_id"]) == [both.info.run_id]


def test_a_version_registered_from_a_run_names_its_data_and_code(url: str, tmp_path: Path):
    name = f"credit-{uuid.uuid4().hex[:8]}"
    train = mlflow.data.from_pandas(frame(5), source="s3://bank/train.parquet", name="credit-train")
    mlflow.set_experiment(f"exp-{name}")
    with mlflow.start_run() as run:
        mlflow.log_input(train, context="training")
        mlflow.set_tag("mlflow.source.git.commit", COMMIT)
        mlflow.log_text("weights", "model/weights.txt")
    client = MlflowClient()
    client.create_registered_model(name)
    run_id = run.info.run_id
    version = client.create_model_version(name, f"runs:/{run_id}/model", run_id)
    assert version.run_id == run_id

    lineage = modelreg.Client(url, cache_dir=tmp_path / "cache").get_version(name, 1).lineage
    assert lineage.datasets == (f"credit-train@{train.digest}",)
    assert lineage.source_commit == COMMIT
    assert lineage.run_id == run_id


@requires_logged_models
def test_a_logged_model_taken_as_input_is_kept(url: str):
    from mlflow.entities import LoggedModelInput

    mlflow.set_experiment(f"eval-{uuid.uuid4().hex[:8]}")
    model = mlflow.initialize_logged_model(name="candidate")
    with mlflow.start_run() as run:
        mlflow.log_input(model=LoggedModelInput(model.model_id))
    model_inputs = MlflowClient().get_run(run.info.run_id).inputs.model_inputs
    assert [m.model_id for m in model_inputs] == [model.model_id]


@requires_logged_models
def test_the_best_logged_model_on_an_evaluation_dataset_is_found(url: str):
    """MLflow 3's flow: metrics logged on a dataset, then a search that names it."""
    mlflow.set_experiment(f"select-{uuid.uuid4().hex[:8]}")
    evaluation = mlflow.data.from_pandas(frame(4), source="s3://bank/eval.parquet", name="eval")
    holdout = mlflow.data.from_pandas(frame(6), source="s3://bank/holdout.parquet", name="holdout")
    scores = {"a": (0.91, 0.70), "b": (0.85, 0.95)}  # (on eval, on holdout)
    ids = {}
    with mlflow.start_run():
        for name, (on_eval, on_holdout) in scores.items():
            model = mlflow.initialize_logged_model(name=name)
            ids[model.model_id] = name
            mlflow.log_metric("f1", on_eval, model_id=model.model_id, dataset=evaluation)
            mlflow.log_metric("f1", on_holdout, model_id=model.model_id, dataset=holdout)

    def best(dataset: str) -> list[str]:
        found = mlflow.search_logged_models(
            filter_string="metrics.f1 > 0.8",
            datasets=[{"dataset_name": dataset}],
            order_by=[{"field_name": "metrics.f1", "ascending": False, "dataset_name": dataset}],
            output_format="list",
        )
        return [ids[model.model_id] for model in found]

    assert best("eval") == ["a", "b"]
    assert best("holdout") == ["b"]
    model_id = next(model_id for model_id, name in ids.items() if name == "a")
    metrics = MlflowClient().get_logged_model(model_id).metrics
    assert {(m.dataset_name, m.dataset_digest, m.value) for m in metrics} == {
        ("eval", evaluation.digest, 0.91),
        ("holdout", holdout.digest, 0.70),
    }
