"""``modelreg import mlflow --from URI`` against a real ``mlflow server`` (SQLite backend,
``--serve-artifacts``) started by the test on 127.0.0.1: models, versions, tags, descriptions,
aliases and files arrive, and a second run copies nothing."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("mlflow")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import mlflow.data
    import mlflow.pyfunc
    import pandas as pd
    from mlflow import MlflowClient

from modelreg import Client
from modelreg.domain.errors import QuarantinedError
from tests.e2e.conftest import clean_env, free_port, run_cli
from tests.e2e.mlflow_target import forget_client_sessions, modelreg_server, wait_until_healthy

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore")]

# A cold `mlflow server` imports a lot before it answers; on a busy machine that takes a while.
MLFLOW_STARTUP_TIMEOUT = 240.0
MLFLOW_ENV = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    # The registry under test does not need MLflow's background job workers.
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
}


@pytest.fixture(scope="module")
def mlflow_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    log = (root / "server.log").open("wb")
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        f"sqlite:///{root / 'mlflow.db'}",
        "--artifacts-destination",
        str(root / "artifacts"),
        "--serve-artifacts",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    # Its own session, so the server and the worker it forks are stopped together.
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=clean_env(**MLFLOW_ENV),
        cwd=root,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(process, f"{url}/health", root / "server.log", MLFLOW_STARTUP_TIMEOUT)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        log.close()
        forget_client_sessions()


def _log_files(client: MlflowClient, run_id: str, folder: Path, files: dict[str, bytes]) -> None:
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    client.log_artifacts(run_id, str(folder), "model")


class Doubler(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    def predict(self, model_input: list[int], params=None) -> list[int]:  # type: ignore[no-untyped-def]
        return [x * 2 for x in model_input]


def test_import_copies_the_registry_and_is_idempotent(
    mlflow_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    for key, value in MLFLOW_ENV.items():
        monkeypatch.setenv(key, value)
    source = MlflowClient(tracking_uri=mlflow_url, registry_uri=mlflow_url)
    run = source.create_run(source.create_experiment("import"))
    run_id = run.info.run_id
    _log_files(
        source,
        run_id,
        tmp_path / "v",
        {"weights.bin": b"\x00\x01" * 5000, "config/params.json": b'{"depth": 3}'},
    )
    source.create_registered_model("fraud", {"team": "risk"}, "detects fraud")
    for number in range(3):
        source.create_model_version(
            "fraud",
            f"runs:/{run_id}/model",
            run_id,
            tags={"round": str(number)},
            description=f"round {number}",
        )
    source.delete_model_version("fraud", "2")  # numbers now have a gap: 1, 3
    source.set_registered_model_alias("fraud", "champion", "3")
    source.set_registered_model_alias("fraud", "previous", "1")
    source.transition_model_version_stage("fraud", "3", "Production")
    source.transition_model_version_stage("fraud", "1", "Archived")

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_url)
    mlflow.set_tracking_uri(mlflow_url)
    mlflow.set_experiment(experiment_id=run.info.experiment_id)
    training = mlflow.data.from_pandas(
        pd.DataFrame({"amount": [1.0, 2.0]}), source="s3://risk/fraud.parquet", name="fraud-train"
    )
    with mlflow.start_run(run_id=run_id):
        logged = mlflow.pyfunc.log_model(
            name="doubler", python_model=Doubler(), pip_requirements=["mlflow"]
        )
        mlflow.log_input(training, context="training")
    mlflow.register_model(logged.model_uri, "doubler")
    # The numbers of the run behind the versions, its code commit and data go with them.
    source.log_param(run_id, "depth", "3")
    source.log_metric(run_id, "auc", 0.91, step=1)
    source.log_metric(run_id, "auc", 0.93, step=2)
    source.set_tag(run_id, "mlflow.source.git.commit", "0a1b2c3d4e5f")

    home = tmp_path / "registry"
    env = clean_env(MODELREG_CACHE=str(tmp_path / "cache"), MODELREG_USER="importer")
    first = run_cli("--home", home, "import", "mlflow", "--from", mlflow_url, "--json", env=env)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["models_created"] == 2
    assert summary["versions_copied"] == 3
    assert summary["aliases_set"] == 2
    assert summary["stages_set"] == 2
    assert summary["skipped"] == []
    assert summary["bytes"] > 10_000

    with Client.local(home, cache_dir=tmp_path / "cache") as registry:
        fraud = registry.get_model("fraud")
        assert (fraud.description, dict(fraud.tags)) == ("detects fraud", {"team": "risk"})
        versions = {v.tags["mlflow.import.version"]: v for v in registry.list_versions("fraud")}
        assert sorted(versions) == ["1", "3"]
        assert versions["3"].description == "round 2"
        assert versions["3"].tags["round"] == "2"
        assert versions["3"].lineage.run_id == run_id
        assert versions["3"].lineage.source_commit == "0a1b2c3d4e5f"
        assert versions["3"].lineage.datasets == (f"fraud-train@{training.digest}",)
        assert (dict(versions["3"].params), dict(versions["3"].metrics)) == (
            {"depth": "3"},
            {"auc": 0.93},
        )
        assert fraud.aliases == {
            "champion": versions["3"].version,
            "previous": versions["1"].version,
        }
        pulled = registry.pull("fraud@champion", tmp_path / "pulled")
        assert (pulled / "weights.bin").read_bytes() == b"\x00\x01" * 5000
        assert (pulled / "config" / "params.json").read_bytes() == b'{"depth": 3}'
        # A pyfunc model is cloudpickled code: the scan quarantines it on import, and a
        # reviewer releases it (recorded with the reason) before anyone loads it.
        with pytest.raises(QuarantinedError):
            registry.pull("doubler/1", tmp_path / "refused")
        registry.release_quarantine("doubler/1", reason="reviewed: our own Doubler class")
        doubler = registry.pull("doubler/1", tmp_path / "doubler")
        assert (doubler / "MLmodel").is_file()
    model = mlflow.pyfunc.load_model(str(doubler))
    assert model.predict([21]) == [42]

    second = run_cli("--home", home, "import", "mlflow", "--from", mlflow_url, "--json", env=env)
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert (again["versions_copied"], again["versions_present"]) == (0, 3)
    assert (again["models_created"], again["models_unchanged"]) == (0, 2)
    assert (again["aliases_set"], again["aliases_unchanged"]) == (0, 2)
    assert again["stages_set"] == 0
    assert again["bytes"] == 0

    source.create_model_version("fraud", f"runs:/{run_id}/model", run_id)
    source.set_registered_model_alias("fraud", "champion", "4")
    third = run_cli("--home", home, "import", "mlflow", "--from", mlflow_url, "--json", env=env)
    assert third.returncode == 0, third.stderr
    latest = json.loads(third.stdout)
    assert (latest["versions_copied"], latest["versions_present"], latest["aliases_set"]) == (
        1,
        3,
        1,
    )
    with Client.local(home, cache_dir=tmp_path / "cache") as registry:
        newest = registry.resolve("fraud@champion")
        assert newest.tags["mlflow.import.version"] == "4"


def test_numbers_modelreg_cannot_hold_are_listed_and_the_rest_copied(
    mlflow_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    for key, value in MLFLOW_ENV.items():
        monkeypatch.setenv(key, value)
    source = MlflowClient(tracking_uri=mlflow_url, registry_uri=mlflow_url)
    run_id = source.create_run(source.create_experiment("odd-numbers")).info.run_id
    _log_files(source, run_id, tmp_path / "v", {"weights.bin": b"w" * 100})
    source.log_param(run_id, "depth", "3")
    source.log_param(run_id, "-lr", "x")  # MLflow takes this key, modelreg does not
    source.log_metric(run_id, "auc", 0.9)
    source.log_metric(run_id, "loss", math.nan)
    source.create_registered_model("odd")
    source.create_model_version("odd", f"runs:/{run_id}/model", run_id)

    home = tmp_path / "registry"
    env = clean_env(MODELREG_CACHE=str(tmp_path / "cache"))
    result = run_cli(
        "--home",
        home,
        "import",
        "mlflow",
        "--from",
        mlflow_url,
        "--model",
        "odd",
        "--json",
        env=env,
    )
    assert result.returncode == 1  # something was not copied, and the summary says what
    summary = json.loads(result.stdout)
    assert summary["versions_copied"] == 1
    assert sorted(entry["what"] for entry in summary["skipped"]) == [
        "metric 'loss' of version odd/1",
        "param '-lr' of version odd/1",
    ]
    with Client.local(home, cache_dir=tmp_path / "cache") as registry:
        copied = registry.resolve("odd/1")
        assert (dict(copied.params), dict(copied.metrics)) == ({"depth": "3"}, {"auc": 0.9})


def test_import_reports_an_unreachable_server(tmp_path: Path):
    result = run_cli(
        "--home", tmp_path / "r", "import", "mlflow", "--from", f"http://127.0.0.1:{free_port()}"
    )
    assert result.returncode == 1
    assert "cannot reach MLflow" in result.stderr


def test_a_model_whose_name_modelreg_refuses_is_imported_under_a_new_one(
    mlflow_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    for key, value in MLFLOW_ENV.items():
        monkeypatch.setenv(key, value)
    source = MlflowClient(tracking_uri=mlflow_url, registry_uri=mlflow_url)
    run_id = source.create_run(source.create_experiment("spaced")).info.run_id
    _log_files(source, run_id, tmp_path / "v", {"weights.bin": b"s" * 100})
    source.create_registered_model("Credit Scoring", description="scores credit")
    source.create_model_version("Credit Scoring", f"runs:/{run_id}/model", run_id)
    source.set_registered_model_alias("Credit Scoring", "champion", "1")
    source.create_registered_model("taken")

    home = tmp_path / "registry"
    env = clean_env(MODELREG_CACHE=str(tmp_path / "cache"))
    base = ("--home", home, "import", "mlflow", "--from", mlflow_url, "--json")
    only = ("--model", "Credit Scoring")
    refused = run_cli(*base, *only, env=env)
    assert refused.returncode == 1
    [skipped] = json.loads(refused.stdout)["skipped"]
    assert skipped["what"] == "model Credit Scoring"
    assert "--rename 'Credit Scoring=<new name>'" in skipped["reason"]

    renamed = ("--rename", "Credit Scoring=credit-scoring")
    for expected_copies in (1, 0):  # the second run finds the copy under its new name
        result = run_cli(*base, *only, *renamed, env=env)
        assert result.returncode == 0, result.stdout + result.stderr
        summary = json.loads(result.stdout)
        assert summary["versions_copied"] == expected_copies
        assert summary["skipped"] == []
    with Client.local(home, cache_dir=tmp_path / "cache") as registry:
        model = registry.get_model("credit-scoring")
        assert model.description == "scores credit"
        assert model.tags["mlflow.import.name"] == "Credit Scoring"
        assert registry.resolve("credit-scoring@champion").lineage.run_id == run_id

    for bad, message in [
        ("Credit Scoring", "--rename needs OLD=NEW"),
        ("Credit Scoring=credit scoring", "--rename 'Credit Scoring=credit scoring'"),
        ("Credit Scoring=taken", "MLflow has a model named 'taken' too"),
    ]:
        result = run_cli(*base, "--rename", bad, env=env)
        assert result.returncode != 0
        assert message in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_an_import_into_a_server_keeps_what_mlflow_code_loads_by_stage(
    mlflow_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Through the server's API (the SDK over HTTP), and read back by the MLflow client pointed
    at modelreg, as the migrated code would."""
    for key, value in MLFLOW_ENV.items():
        monkeypatch.setenv(key, value)
    source = MlflowClient(tracking_uri=mlflow_url, registry_uri=mlflow_url)
    run_id = source.create_run(source.create_experiment("staged")).info.run_id
    _log_files(source, run_id, tmp_path / "v", {"weights.bin": b"s" * 64})
    source.create_registered_model("staged")
    for _ in range(3):
        source.create_model_version("staged", f"runs:/{run_id}/model", run_id)
    source.transition_model_version_stage("staged", "1", "Production")
    source.transition_model_version_stage("staged", "2", "Production")
    source.transition_model_version_stage("staged", "3", "Staging")

    (tmp_path / "target").mkdir()
    with modelreg_server(tmp_path / "target") as target:
        env = clean_env(MODELREG_CACHE=str(tmp_path / "cache"))
        done = run_cli(
            "--registry", target, "import", "mlflow", "--from", mlflow_url,
            "--model", "staged", "--json", env=env,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert json.loads(done.stdout)["stages_set"] == 3
        monkeypatch.setenv("MLFLOW_TRACKING_URI", target)
        mlflow.set_tracking_uri(target)  # models:/ URIs resolve against the global registry
        migrated = MlflowClient(tracking_uri=target, registry_uri=target)
        latest = migrated.get_latest_versions("staged", stages=["Production", "Staging"])
        assert sorted((v.current_stage, v.version) for v in latest) == [
            ("Production", "2"),
            ("Staging", "3"),
        ]
        assert migrated.get_model_version("staged", "1").current_stage == "Production"
        loaded = Path(
            mlflow.artifacts.download_artifacts(
                "models:/staged/Production", dst_path=str(tmp_path / "prod")
            )
        )
        assert (loaded / "weights.bin").read_bytes() == b"s" * 64
