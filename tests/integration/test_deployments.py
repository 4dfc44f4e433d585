"""Deployments: record, what is deployed now, history; on SQLite and PostgreSQL, through the SDK
(embedded and HTTP), the API and the CLI."""

import json

import pytest
from typer.testing import CliRunner

from modelreg import Client, InvalidArgumentError, ModelNotFoundError, VersionNotFoundError
from modelreg.cli.main import app
from modelreg.domain.records import DeploymentStatus
from tests.factories import write_model_dir


def push(client: Client, tmp_path, name: str, tag: str):
    return client.push(name, write_model_dir(tmp_path / f"{name}-{tag}", {"m.bin": tag.encode()}))


def current(client: Client, **filters) -> list[tuple[str, str, int]]:
    return [(d.environment, d.model_name, d.version) for d in client.list_deployments(**filters)]


def test_record_list_and_history(client, tmp_path):
    for tag in ("1", "2", "3"):
        push(client, tmp_path, "credit", tag)
    push(client, tmp_path, "fraud", "1")
    first = client.record_deployment("credit", 1, "production", note="ci run 7")
    assert (first.status, first.recorded_by, first.note) == (
        DeploymentStatus.DEPLOYED,
        "alice",
        "ci run 7",
    )
    client.record_deployment("credit", 2, "staging")
    client.record_deployment("fraud", 1, "production")
    assert current(client) == [
        ("production", "credit", 1),
        ("production", "fraud", 1),
        ("staging", "credit", 2),
    ]
    # A newer DEPLOYED record replaces the version running in that environment.
    client.record_deployment("credit", 2, "production")
    assert current(client, environment="production", model="credit") == [
        ("production", "credit", 2)
    ]
    # Attempts in progress or failed leave what runs unchanged.
    client.record_deployment("credit", 3, "production", status="DEPLOYING")
    client.record_deployment("credit", 3, "production", status=DeploymentStatus.FAILED)
    assert current(client, model="credit", environment="production") == [
        ("production", "credit", 2)
    ]
    # RETIRED takes the model out of the environment.
    client.record_deployment("credit", 2, "staging", status="retired")
    assert current(client, environment="staging") == []
    history = client.deployment_history("credit")
    assert [(d.version, d.environment, d.status.value) for d in history] == [
        (2, "staging", "RETIRED"),
        (3, "production", "FAILED"),
        (3, "production", "DEPLOYING"),
        (2, "production", "DEPLOYED"),
        (2, "staging", "DEPLOYED"),
        (1, "production", "DEPLOYED"),
    ]
    assert len(client.deployment_history("credit", environment="staging")) == 2
    assert len(client.deployment_history("credit", limit=2)) == 2


def test_records_are_checked(client, tmp_path):
    push(client, tmp_path, "m", "1")
    with pytest.raises(VersionNotFoundError):
        client.record_deployment("m", 9, "production")
    with pytest.raises(ModelNotFoundError):
        client.record_deployment("nope", 1, "production")
    with pytest.raises(InvalidArgumentError, match="environment"):
        client.record_deployment("m", 1, "prod env")
    with pytest.raises(InvalidArgumentError):
        client.record_deployment("m", 1, "production", status="SHIPPED")
    with pytest.raises(ModelNotFoundError):
        client.deployment_history("nope")
    assert client.list_deployments() == []


def test_each_record_is_audited(client, tmp_path):
    push(client, tmp_path, "m", "1")
    client.record_deployment("m", 1, "production")
    [entry] = client.audit(action="deployment.*")
    assert (entry.action, entry.target, entry.version) == (
        "deployment.recorded",
        "deployment:m@production",
        1,
    )
    assert entry.after == {"version": 1, "status": "DEPLOYED", "note": ""}
    assert client.verify_audit().ok


def test_history_outlives_the_version(client, tmp_path):
    push(client, tmp_path, "m", "1")
    push(client, tmp_path, "m", "2")
    client.record_deployment("m", 1, "production")
    client.delete_version("m", 1)
    assert [d.version for d in client.deployment_history("m")] == [1]


def test_api_status_codes(http, services, tmp_path):
    from tests.records import push as push_service

    push_service(services, "m")
    created = http.post(
        "/api/v1/models/m/deployments",
        json={"version": 1, "environment": "production"},
        headers={"X-Modelreg-User": "ci"},
    )
    assert created.status_code == 201
    assert created.json()["recorded_by"] == "ci"
    bad = http.post("/api/v1/models/m/deployments", json={"version": 1, "environment": "a b"})
    assert bad.status_code == 400
    missing = http.post("/api/v1/models/m/deployments", json={"version": 5, "environment": "x"})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "VERSION_NOT_FOUND")
    listed = http.get("/api/v1/deployments", params={"environment": "production"}).json()
    assert [(d["model"], d["version"]) for d in listed["items"]] == [("m", 1)]


def test_cli_record_ls_history(tmp_path):
    home = tmp_path / "home"
    with Client.local(home, user="alice", cache_dir=tmp_path / "cache") as sdk:
        push(sdk, tmp_path, "m", "1")
        push(sdk, tmp_path, "m", "2")
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(app, ["--home", str(home), *args])
        assert result.exit_code == 0, result.output
        return result.output

    assert "m/1 DEPLOYED in production" in run("deploy", "record", "m", "1", "--env", "production")
    run("deploy", "record", "m", "2", "--env", "production", "--status", "FAILED")
    now = json.loads(run("deploy", "ls", "--env", "production", "--json"))
    assert [(d["model_name"], d["version"]) for d in now] == [("m", 1)]
    history = json.loads(run("deploy", "history", "m", "--json"))
    assert [(d["version"], d["status"]) for d in history] == [(2, "FAILED"), (1, "DEPLOYED")]
    assert "production" in run("deploy", "ls")
