"""The unmodified ``mlflow`` client against a live server that requires API tokens: MLflow's
own credential variables carry a modelreg token (bearer or HTTP Basic password)."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("mlflow")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

from modelreg.client.client import Client
from tests.e2e.conftest import run_cli
from tests.e2e.mlflow_target import MLFLOW_ENV, modelreg_server

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore")]

CREDENTIAL_ENV = (
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
)


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """One server requiring tokens for the module (the tests use models of their own): its URL,
    the token of user ``mlops``, and its log."""
    home = tmp_path_factory.mktemp("mlflow-auth")
    data = home / "d"
    run_cli("user", "create", "mlops", "--home", data).ok()
    secret = run_cli("token", "create", "--name", "ml", "--user", "mlops", "--home", data).ok()
    with modelreg_server(home, extra_args=["--auth"]) as url:
        yield url, secret.stdout.strip(), home / "server.log"


@pytest.fixture
def secured(
    auth_server: tuple[str, str, Path], monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str, Path]:
    url = auth_server[0]
    for key, value in MLFLOW_ENV.items():
        monkeypatch.setenv(key, value)
    for key in CREDENTIAL_ENV:
        monkeypatch.delenv(key, raising=False)
    # MLflow 2 resolves mlflow-artifacts: URIs against the global tracking URI, not the
    # client's own (MLflow 3 uses the client's): point it here, as a 2.x user has to.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    mlflow.set_tracking_uri(url)
    return auth_server


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
    secured: tuple[str, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    url, secret, log = secured
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", secret)
    name = register(url, tmp_path)
    with Client(url, token=secret) as sdk:
        assert {e.actor for e in sdk.events(name)} == {"mlops"}
        assert [f.path for f in sdk.get_version(name, 1).files] == ["weights.bin"]
    assert secret not in log.read_text(errors="replace")


def test_basic_auth_with_the_token_as_password(
    secured: tuple[str, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    url, secret, _ = secured
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "mlops")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", secret)
    name = register(url, tmp_path)
    client = MlflowClient(tracking_uri=url, registry_uri=url)
    assert client.get_registered_model(name).name == name


def test_no_credentials_is_unauthenticated(secured: tuple[str, str, Path]):
    url = secured[0]
    client = MlflowClient(tracking_uri=url, registry_uri=url)
    with pytest.raises(MlflowException) as refused:
        client.create_registered_model("nope")
    assert refused.value.error_code == "UNAUTHENTICATED"
