"""``mlflow.sklearn.autolog`` against a live ``modelreg server``: the way many teams log, with
the unmodified ``mlflow`` client and no call of their own beyond ``fit``.

Autolog calls what the registry flows need and more (params and metrics in batches, the
training dataset, a logged model with its metrics, the registration under
``registered_model_name``); any of it refused would only show as a warning in the user's
output. So everything it logs is read back here: through ``mlflow``, and the version's numbers
and lineage with modelreg's public SDK over HTTP.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("mlflow")
pytest.importorskip("sklearn")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import mlflow
    import mlflow.sklearn
    import numpy as np
    from mlflow import MlflowClient
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

import modelreg
from tests.e2e.mlflow_target import modelreg_server, point_mlflow_at, requires_logged_models

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore")]


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with modelreg_server(tmp_path_factory.mktemp("mlflow-autolog")) as url:
        yield url


@pytest.fixture
def url(server_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield point_mlflow_at(server_url, monkeypatch)
    mlflow.sklearn.autolog(disable=True)


@requires_logged_models
def test_an_autologged_model_is_registered_with_its_numbers_and_data(url: str, tmp_path: Path):
    name = f"iris-{uuid.uuid4().hex[:8]}"
    features, labels = load_iris(return_X_y=True, as_frame=True)
    mlflow.set_experiment(f"autolog-{name}")
    mlflow.sklearn.autolog(registered_model_name=name, log_input_examples=True)
    with mlflow.start_run() as run:
        model = LogisticRegression(max_iter=300).fit(features, labels)

    client = MlflowClient()
    logged = client.get_run(run.info.run_id)
    assert logged.data.params["max_iter"] == "300"
    accuracy = logged.data.metrics["training_accuracy_score"]
    assert accuracy == pytest.approx(model.score(features, labels))
    [data_input] = logged.inputs.dataset_inputs
    [model_output] = logged.outputs.model_outputs

    [version] = client.search_model_versions(f"name = '{name}'")
    assert (version.version, version.run_id) == ("1", run.info.run_id)
    assert version.source == f"models:/{model_output.model_id}"
    logged_model = client.get_logged_model(model_output.model_id)
    assert {m.key: m.value for m in logged_model.metrics}["training_accuracy_score"] == accuracy

    # Autolog registered the model before it logged the training metrics: the version took
    # them when the run ended, and its history says so.
    registry = modelreg.Client(url, cache_dir=tmp_path / "cache")
    pushed = registry.get_version(name, 1)
    assert pushed.metrics["training_accuracy_score"] == accuracy
    assert pushed.params["max_iter"] == "300"
    [added] = [e for e in registry.events(name) if e.action == "version.numbers_added"]
    assert added.details["run_id"] == run.info.run_id
    assert "training_accuracy_score" in added.details["metrics"]
    dataset = data_input.dataset
    assert pushed.lineage.datasets == (f"{dataset.name}@{dataset.digest}",)
    assert pushed.lineage.run_id == run.info.run_id

    client.set_registered_model_alias(name, "production", "1")
    served = mlflow.pyfunc.load_model(f"models:/{name}@production")
    sample = features.head(5)
    assert np.array_equal(served.predict(sample), model.predict(sample))
