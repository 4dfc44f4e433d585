"""The unmodified ``mlflow`` client against a live server that requires API tokens: MLflow's
own credential variables carry a modelreg token (bearer or HTTP Basic password)."""

from __future__ import annotations

import gc
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("mlflow")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException
    from mlflow.utils.request_utils import _cached_get_request_session

from modelreg.client.client import Client
from tests.e2e.conftest import RunningServer, ServerFactory, run_cli
from tests.e2e.test_mlflow_client import MLFLOW_ENV

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore")]

CREDENTIAL_ENV = (
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
)


@pytest.fixture
def secured(
    server: ServerFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[RunningServer, str]]:
    home = tmp_path / "home"
    run_cli("user", "create", "mlops", "--home", home).ok()
    secret = run_cli("token", "create", "--name", "ml", "--user", "mlops", "--home", home).ok()
    running = server(home, extra_args=["--auth"])
    for key, value in MLFLOW_ENV.items():
        monkeypatch.setenv(key, value)
    for key in CREDENTIAL_ENV:
        monkeypatch.delenv(key, raising=False)
    yield running, secret.stdout.strip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _cached_get_request_session.cache_clear()
        gc.collect()


def register(url: str, tmp_path: Path) -> str:
    """Register a model with a version whose files come from a run's artifacts."""
    client = MlflowClient(tracking_uri=url, registry_uri=url)
    name = f"m-{uuid.uuid4().hex[:10]}"
    run = client.create_run(client.create_experiment(f"e-{uuid.uuid4().hex[:10]}"))
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"w" * 1000)
    client.log_artifact(run.info.run_id, str(weights), "model")
    client.create_registered_model(name)
    version = client.create_model_version(name, f"runs:/{run.info.run_id}/model", run.info.run_id)
    assert version.version == "1"
    return name


def test_bearer_token_registers_a_model_as_the_token_owner(
    secured: tuple[RunningServer, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    running, secret = secured
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", secret)
    name = register(running.url, tmp_path)
    with Client(running.url, token=secret) as sdk:
        assert {e.actor for e in sdk.events(name)} == {"mlops"}
        assert [f.path for f in sdk.get_version(name, 1).files] == ["weights.bin"]
    assert secret not in running.log_text()


def test_basic_auth_with_the_token_as_password(
    secured: tuple[RunningServer, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    running, secret = secured
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "mlops")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", secret)
    name = register(running.url, tmp_path)
    client = MlflowClient(tracking_uri=running.url, registry_uri=running.url)
    assert client.get_registered_model(name).name == name


def test_no_credentials_is_unauthenticated(secured: tuple[RunningServer, str]):
    running, _ = secured
    client = MlflowClient(tracking_uri=running.url, registry_uri=running.url)
    with pytest.raises(MlflowException) as refused:
        client.create_registered_model("nope")
    assert refused.value.error_code == "UNAUTHENTICATED"
