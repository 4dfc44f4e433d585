"""``modelreg import mlflow --from URI`` against a real ``mlflow server`` (SQLite backend,
``--serve-artifacts``) started by the test on 127.0.0.1: models, versions, tags, descriptions,
aliases and files arrive, and a second run copies nothing. With that server up, the registry,
tracking and webhook calls of an MLflow session are also made to both servers and their answers
compared: the same status codes, error codes, fields and types."""

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
from typing import Any

import httpx
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
from tests.e2e.mlflow_target import (
    forget_client_sessions,
    modelreg_server,
    requires_mlflow,
    too_old,
    wait_until_healthy,
)

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore")]

# A cold `mlflow server` imports a lot before it answers; on a busy machine that takes a while.
MLFLOW_STARTUP_TIMEOUT = 240.0
MLFLOW_ENV = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    # The registry under test does not need MLflow's background job workers.
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    # Webhooks to a receiver on 127.0.0.1 over http, as the shape comparison creates them
    # (mlflow server refuses both by default).
    "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
    "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
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


# -- the same calls against both servers -------------------------------------------------------

# Fields modelreg writes where mlflow server writes none: who registered a version or owns a
# model (mlflow's open server records no user), and a version's aliases in searches and in a
# model's latest versions (mlflow fills them in only when one version is read).
MODELREG_ADDS = {"user_id", "aliases"}
# Calls where modelreg answers more than mlflow server: an update answers the whole model, where
# mlflow answers its name and new description only.
ANSWERS_MORE = {"PATCH registered-models/update"}


def _shape(value: object) -> object:
    """A JSON document's structure: keys and value types, not values; a list's shape is that of
    all its elements together, so neither their order nor which one has a field matters."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        merged: object = None
        for item in value:
            merged = _merge(merged, _shape(item))
        return [] if merged is None else [merged]
    return type(value).__name__


def _merge(first: object, second: object) -> object:
    if isinstance(first, dict) and isinstance(second, dict):
        return {key: _merge(first.get(key), second.get(key)) for key in {*first, *second}}
    if isinstance(first, list) and isinstance(second, list):
        return [_merge(first[0] if first else None, second[0] if second else None)]
    return second if first is None else first


def _differences(ours: object, theirs: object, added: set[str] | None, at: str = "") -> list[str]:
    """Where ``ours`` lacks or changes what ``theirs`` has, or adds a field not in ``added``
    (None: any)."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        found = [f"{at}.{key}: missing" for key in theirs if key not in ours]
        for key in ours:
            if key in theirs:
                found += _differences(ours[key], theirs[key], added, f"{at}.{key}")
            elif added is not None and key not in added:
                found.append(f"{at}.{key}: not in mlflow's answer")
        return found
    if isinstance(ours, list) and isinstance(theirs, list) and ours and theirs:
        return _differences(ours[0], theirs[0], added, f"{at}[]")
    return [] if ours == theirs else [f"{at}: {ours} where mlflow has {theirs}"]


class Calls:
    """Calls to one server, each answer kept as (status, shape), keyed by its turn and path."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.answers: dict[str, tuple[int, object]] = {}

    def ask(self, method: str, path: str, fields: dict[str, object], *, named: str = "") -> Any:
        url = f"/api/2.0/mlflow/{path}"
        if method == "GET":
            response = self.http.get(url, params=fields)
        else:
            response = self.http.request(method, url, json=fields)
        body = response.json() if response.content else {}
        if response.status_code >= 400:  # the code and status must agree, not the wording
            shape: object = {"error_code": body.get("error_code")}
        else:
            shape = _shape(body)
        turn = f"{len(self.answers):02d} {method} {named or path}"
        self.answers[turn] = (response.status_code, shape)
        return body


def _compare(answers: dict[str, dict[str, tuple[int, object]]]) -> dict[str, list[str]]:
    differences = {}
    for call, (their_status, theirs) in answers["mlflow"].items():
        our_status, ours = answers["modelreg"][call]
        added = None if call.split(" ", 1)[1] in ANSWERS_MORE else MODELREG_ADDS
        found = _differences(ours, theirs, added)
        if our_status != their_status:
            found.append(f"status {our_status} where mlflow has {their_status}")
        if found:
            differences[call] = found
    return differences


def _registry_calls(http: httpx.Client, run_id: str) -> dict[str, tuple[int, object]]:
    """The registry calls of a typical MLflow session."""
    source = f"runs:/{run_id}/model"
    steps: list[tuple[str, str, dict[str, object]]] = [
        (
            "POST",
            "registered-models/create",
            {"name": "parity", "description": "d", "tags": [{"key": "t", "value": "v"}]},
        ),
        ("POST", "registered-models/create", {"name": "parity"}),
        ("POST", "registered-models/create", {"name": "plain"}),
        (
            "POST",
            "model-versions/create",
            {
                "name": "parity",
                "source": source,
                "run_id": run_id,
                "description": "vd",
                "tags": [{"key": "k", "value": "v"}],
            },
        ),
        ("POST", "model-versions/create", {"name": "parity", "source": source, "run_id": run_id}),
        ("POST", "registered-models/alias", {"name": "parity", "alias": "champ", "version": "1"}),
        (
            "POST",
            "model-versions/set-tag",
            {"name": "parity", "version": "2", "key": "a", "value": "b"},
        ),
        (
            "POST",
            "model-versions/transition-stage",
            {
                "name": "parity",
                "version": "2",
                "stage": "Staging",
                "archive_existing_versions": False,
            },
        ),
        ("GET", "registered-models/get", {"name": "parity"}),
        ("GET", "registered-models/get", {"name": "plain"}),
        ("GET", "registered-models/get", {"name": "missing"}),
        ("GET", "model-versions/get", {"name": "parity", "version": "1"}),
        ("GET", "model-versions/get", {"name": "parity", "version": "2"}),
        ("GET", "model-versions/get", {"name": "parity", "version": "9"}),
        ("GET", "model-versions/search", {"filter": "name = 'parity'"}),
        ("GET", "model-versions/search", {"filter": "name = 'parity'", "max_results": 1}),
        ("GET", "model-versions/search", {"filter": "nonsense ~ 1"}),
        ("GET", "registered-models/search", {"filter": "name LIKE 'p%'"}),
        ("GET", "registered-models/get-latest-versions", {"name": "parity"}),
        ("GET", "registered-models/alias", {"name": "parity", "alias": "champ"}),
        ("GET", "registered-models/alias", {"name": "parity", "alias": "nope"}),
        ("GET", "model-versions/get-download-uri", {"name": "parity", "version": "1"}),
        (
            "PATCH",
            "model-versions/update",
            {"name": "parity", "version": "1", "description": "new"},
        ),
        ("PATCH", "registered-models/update", {"name": "plain", "description": "x"}),
        ("DELETE", "registered-models/alias", {"name": "parity", "alias": "champ"}),
        ("DELETE", "model-versions/delete-tag", {"name": "parity", "version": "2", "key": "a"}),
        ("DELETE", "model-versions/delete", {"name": "parity", "version": "2"}),
        ("DELETE", "registered-models/delete", {"name": "plain"}),
    ]
    calls = Calls(http)
    for method, path, fields in steps:
        calls.ask(method, path, fields)
    return calls.answers


def test_modelreg_answers_the_registry_calls_in_mlflow_servers_shape(
    mlflow_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The same calls to mlflow server and to modelreg: the same status codes, error codes,
    fields and types (values differ: timestamps, run ids)."""
    for key, value in MLFLOW_ENV.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "target").mkdir()
    answers = {}
    with modelreg_server(tmp_path / "target") as modelreg_url:
        for name, url in (("mlflow", mlflow_url), ("modelreg", modelreg_url)):
            client = MlflowClient(tracking_uri=url, registry_uri=url)
            run_id = client.create_run(client.create_experiment("parity")).info.run_id
            _log_files(client, run_id, tmp_path / name, {"weights.bin": b"p" * 64})
            with httpx.Client(base_url=url, timeout=60) as http:
                answers[name] = _registry_calls(http, run_id)
    differences = _compare(answers)
    assert not differences, json.dumps(differences, indent=1)


def _tracking_calls(http: httpx.Client, name: str) -> dict[str, tuple[int, object]]:
    """The tracking calls the registry flows make: experiments, runs and what they log, logged
    models (MLflow 3), each with an error or two."""
    calls = Calls(http)
    ask = calls.ask
    tag = [{"key": "t", "value": "v"}]
    created = ask("POST", "experiments/create", {"name": name, "tags": tag})
    experiment = created["experiment_id"]
    ask("POST", "experiments/create", {"name": name})
    ask("GET", "experiments/get", {"experiment_id": experiment})
    ask("GET", "experiments/get-by-name", {"experiment_name": name})
    ask("GET", "experiments/get-by-name", {"experiment_name": f"{name}-missing"})
    ask("POST", "experiments/search", {"filter": f"name = '{name}'", "max_results": 10})
    started = ask(
        "POST", "runs/create", {"experiment_id": experiment, "start_time": 1, "tags": tag}
    )
    run = started["run"]["info"]["run_id"]
    metric = {"key": "m", "value": 1.5, "timestamp": 2, "step": 0}
    ask("POST", "runs/log-batch", {"run_id": run, "metrics": [metric], "params": tag, "tags": tag})
    ask("POST", "runs/log-metric", {"run_id": run, **metric, "value": 2.5, "step": 1})
    ask("POST", "runs/log-parameter", {"run_id": run, "key": "p", "value": "1"})
    ask("POST", "runs/set-tag", {"run_id": run, "key": "k", "value": "v"})
    ask("GET", "runs/get", {"run_id": run})
    ask("GET", "runs/get", {"run_id": "0" * 32})
    ask("GET", "metrics/get-history", {"run_id": run, "metric_key": "m"})
    ask("POST", "runs/update", {"run_id": run, "status": "FINISHED", "end_time": 5})
    ask("POST", "runs/search", {"experiment_ids": [experiment], "filter": "metrics.m > 1"})
    ask("POST", "runs/search", {"experiment_ids": [experiment], "filter": "metrics.m >>> 1"})
    ask("GET", "artifacts/list", {"run_id": run})
    ask("POST", "runs/delete-tag", {"run_id": run, "key": "k"})
    ask("POST", "runs/delete", {"run_id": run})
    ask("POST", "runs/restore", {"run_id": run})
    ask("POST", "experiments/update", {"experiment_id": experiment, "new_name": f"{name}-2"})
    ask("POST", "experiments/set-experiment-tag", {"experiment_id": experiment, **tag[0]})
    if too_old("3.0", "logged models") is None:
        logged = {"experiment_id": experiment, "name": "lm", "source_run_id": run, "params": tag}
        model = ask("POST", "logged-models", logged)["model"]["info"]["model_id"]
        ask("GET", f"logged-models/{model}", {}, named="logged-models/ID")
        ready = {"model_id": model, "status": "LOGGED_MODEL_READY"}
        ask("PATCH", f"logged-models/{model}", ready, named="logged-models/ID")
        ask("POST", "logged-models/search", {"experiment_ids": [experiment]})
        ask("GET", f"logged-models/m-{'0' * 32}", {}, named="logged-models/UNKNOWN")
    ask("POST", "experiments/delete", {"experiment_id": experiment})
    return calls.answers


def test_modelreg_answers_the_tracking_calls_in_mlflow_servers_shape(
    mlflow_url: str, tmp_path: Path
):
    (tmp_path / "target").mkdir()
    answers = {}
    with modelreg_server(tmp_path / "target") as modelreg_url:
        for name, url in (("mlflow", mlflow_url), ("modelreg", modelreg_url)):
            with httpx.Client(base_url=url, timeout=60) as http:
                answers[name] = _tracking_calls(http, f"parity-{name}")
    differences = _compare(answers)
    assert not differences, json.dumps(differences, indent=1)


def _webhook_calls(http: httpx.Client, name: str) -> dict[str, tuple[int, object]]:
    """The webhooks API (MLflow 3.3): create, read, list, update, delete, and refusals."""
    calls = Calls(http)
    ask = calls.ask
    events = [{"entity": "MODEL_VERSION", "action": "CREATED"}]  # as the client sends them
    hook = {
        "name": name,
        "url": "http://127.0.0.1:9/hook",
        "events": events,
        "secret": "s3cret-for-tests",
    }
    created = ask("POST", "webhooks", {**hook, "description": "d"})
    ident = created["webhook"]["webhook_id"]
    ask("POST", "webhooks", {**hook, "url": "ftp://127.0.0.1/x"})
    ask("GET", f"webhooks/{ident}", {}, named="webhooks/ID")
    ask("GET", "webhooks/0123456789abcdef", {}, named="webhooks/UNKNOWN")
    ask("GET", "webhooks", {"max_results": 10})
    update = {"name": f"{name}-2", "status": "DISABLED"}
    ask("PATCH", f"webhooks/{ident}", update, named="webhooks/ID")
    ask("DELETE", f"webhooks/{ident}", {}, named="webhooks/ID")
    ask("DELETE", f"webhooks/{ident}", {}, named="webhooks/ID")
    return calls.answers


@requires_mlflow("3.3", "webhooks")
def test_modelreg_answers_the_webhook_calls_in_mlflow_servers_shape(
    mlflow_url: str, tmp_path: Path
):
    (tmp_path / "target").mkdir()
    answers = {}
    loopback = {"MODELREG_WEBHOOK_ALLOWED_HOSTS": '["127.0.0.1"]'}  # as MLFLOW_ENV does for mlflow
    with modelreg_server(tmp_path / "target", **loopback) as modelreg_url:
        for name, url in (("mlflow", mlflow_url), ("modelreg", modelreg_url)):
            with httpx.Client(base_url=url, timeout=60) as http:
                answers[name] = _webhook_calls(http, f"hook-{name}")
    differences = _compare(answers)
    assert not differences, json.dumps(differences, indent=1)
