"""The unmodified ``mlflow`` client against a live ``modelreg server`` process.

Everything here talks to the server only through ``mlflow`` (``MlflowClient``, the fluent API
and, for the exact wire details, mlflow's own HTTP helper), except the cross-visibility tests,
which also use modelreg's public SDK over HTTP. The registry behaviours are the ones MLflow's
own test suite checks; models get files because modelreg keeps the bytes of every version.
``test_mlflow2_client.py`` runs this file again with an MLflow 2 client (docs/mlflow.md,
"Client versions").
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytest.importorskip("mlflow")
pytest.importorskip("sklearn")

# The MLflow client warns about its own deprecations (stages) and type hints at import and at
# call time; those are the client's business, not failures of the registry under test.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import mlflow
    import mlflow.pyfunc
    import mlflow.sklearn
    import numpy as np
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException
    from mlflow.utils.rest_utils import MlflowHostCreds, http_request

import modelreg
from tests.e2e.conftest import ENTRY, clean_env
from tests.e2e.mlflow_target import (
    MLFLOW_ENV,
    log_model_target,
    modelreg_server,
    point_mlflow_at,
    requires_logged_models,
    requires_mlflow,
)

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore")]
requires_prompts = requires_mlflow("3.0", "mlflow.genai.register_prompt")


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real ``modelreg server`` process for the module, on a free port of 127.0.0.1."""
    # The quarantine is enforced: pyfunc models are cloudpickled Python code, which the scan
    # rightly finds unsafe, so the tests release them through modelreg's API after "review",
    # as a team would (docs/scanning.md).
    with modelreg_server(tmp_path_factory.mktemp("mlflow-modelreg")) as url:
        yield url


@pytest.fixture
def url(server_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    point_mlflow_at(server_url, monkeypatch)
    mlflow.set_experiment(experiment_id="0")  # not one another test left active elsewhere
    return server_url


@pytest.fixture
def client(url: str) -> MlflowClient:
    return MlflowClient(tracking_uri=url, registry_uri=url)


@pytest.fixture
def name() -> str:
    """A model name no other test uses."""
    return f"m-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def source(client: MlflowClient, tmp_path: Path) -> str:
    """``runs:/<run>/model`` of a run holding a small file, to register versions from."""
    run = client.create_run(client.create_experiment(f"e-{uuid.uuid4().hex[:10]}"))
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"w" * 1000)
    client.log_artifact(run.info.run_id, str(weights), "model")
    client.set_terminated(run.info.run_id)
    return f"runs:/{run.info.run_id}/model"


def error_code(excinfo: pytest.ExceptionInfo[MlflowException]) -> str:
    return excinfo.value.error_code


def raw(url: str, method: str, endpoint: str, **kwargs: object) -> httpx.Response:
    """A request through mlflow's own HTTP helper (no retries), for status codes and bodies."""
    response = http_request(MlflowHostCreds(url), endpoint, method, max_retries=0, **kwargs)
    return httpx.Response(response.status_code, content=response.content)


# -- registered models --------------------------------------------------------------------------


def test_registered_model_lifecycle(client: MlflowClient, name: str):
    created = client.create_registered_model(name, {"key": "value", "numeric": 12345}, "first")
    assert created.name == name
    assert created.tags == {"key": "value", "numeric": "12345"}
    found = client.get_registered_model(name)
    assert found.description == "first"
    assert found.latest_versions == []
    assert found.creation_timestamp <= found.last_updated_timestamp

    client.update_registered_model(name, "second")
    assert client.get_registered_model(name).description == "second"

    renamed = f"{name}-renamed"
    client.rename_registered_model(name, renamed)
    with pytest.raises(MlflowException) as missing:
        client.get_registered_model(name)
    assert error_code(missing) == "RESOURCE_DOES_NOT_EXIST"
    assert client.get_registered_model(renamed).tags == {"key": "value", "numeric": "12345"}

    client.create_registered_model(name)
    with pytest.raises(MlflowException) as taken:
        client.rename_registered_model(renamed, name)
    assert error_code(taken) == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MlflowException) as gone:
        client.rename_registered_model("no-such-model", "x")
    assert error_code(gone) == "RESOURCE_DOES_NOT_EXIST"


def test_prompts_are_refused_before_anything_is_created(url: str, client: MlflowClient, name: str):
    """MLflow's prompt registry stores a prompt as a model tagged ``mlflow.prompt.is_prompt``
    whose versions hold text and no files; modelreg refuses the tag, so no empty model is left
    behind a prompt version that could not be stored. (The MLflow client refuses the tag on
    ``create_registered_model`` itself; its prompt store, and other clients, send it.)"""
    api = f"{url}/api/2.0/mlflow/registered-models"
    prompt_tag = {"key": "mlflow.prompt.is_prompt", "value": "true"}
    refused = httpx.post(f"{api}/create", json={"name": name, "tags": [prompt_tag]})
    assert refused.status_code == 400
    assert refused.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "no prompt registry" in refused.json()["message"]
    with pytest.raises(MlflowException) as missing:
        client.get_registered_model(name)
    assert error_code(missing) == "RESOURCE_DOES_NOT_EXIST"

    client.create_registered_model(name)
    tagged = httpx.post(f"{api}/set-tag", json={"name": name, **prompt_tag, "value": "TRUE"})
    assert (tagged.status_code, tagged.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert client.get_registered_model(name).tags == {}


@requires_prompts
def test_register_prompt_fails_cleanly(url: str, client: MlflowClient, name: str):
    with pytest.raises(MlflowException, match="no prompt registry"):
        mlflow.genai.register_prompt(name, "Hello {{name}}")
    with pytest.raises(MlflowException) as missing:
        client.get_registered_model(name)
    assert error_code(missing) == "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize("bad", ["", "a/b", "a:b", "../up"])
def test_invalid_model_names_are_rejected(client: MlflowClient, bad: str):
    with pytest.raises(MlflowException) as excinfo:
        client.create_registered_model(bad)
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"


def test_duplicate_model_is_resource_already_exists_with_status_400(
    client: MlflowClient, url: str, name: str
):
    client.create_registered_model(name)
    with pytest.raises(MlflowException) as excinfo:
        client.create_registered_model(name)
    assert error_code(excinfo) == "RESOURCE_ALREADY_EXISTS"
    response = raw(url, "POST", "/api/2.0/mlflow/registered-models/create", json={"name": name})
    assert response.status_code == 400
    assert response.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"
    assert set(response.json()) == {"error_code", "message"}


def test_deleting_a_model_deletes_its_versions_aliases_and_tags(
    client: MlflowClient, name: str, source: str
):
    client.create_registered_model(name, {"t": "1"})
    for _ in range(2):
        client.create_model_version(name, source)
    client.set_registered_model_alias(name, "champion", "2")
    client.set_model_version_tag(name, "1", "k", "v")

    client.delete_registered_model(name)

    for call in (
        lambda: client.get_registered_model(name),
        lambda: client.get_model_version(name, "1"),
        lambda: client.get_model_version_by_alias(name, "champion"),
    ):
        with pytest.raises(MlflowException) as excinfo:
            call()
        assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"
    assert client.search_model_versions(f"name = '{name}'") == []

    client.create_registered_model(name)
    recreated = client.create_model_version(name, source)
    assert recreated.version == "1"
    assert client.get_registered_model(name).tags == {}


def test_version_numbers_are_never_reused(client: MlflowClient, name: str, source: str):
    client.create_registered_model(name)
    assert [client.create_model_version(name, source).version for _ in range(3)] == [
        "1",
        "2",
        "3",
    ]
    client.delete_model_version(name, "3")
    client.delete_model_version(name, "1")
    with pytest.raises(MlflowException) as excinfo:
        client.delete_model_version(name, "1")
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"
    assert client.create_model_version(name, source).version == "4"
    assert {v.version for v in client.search_model_versions(f"name = '{name}'")} == {"2", "4"}


# MLflow 3's registry limit (MLflow 2's server took 5,000; its client sends any length).
LONGEST_TAG = "v" * 100_000


def test_tag_limits(client: MlflowClient, name: str, source: str):
    client.create_registered_model(name)
    client.create_model_version(name, source)
    client.set_registered_model_tag(name, "k" * 250, LONGEST_TAG)
    client.set_registered_model_tag(name, "empty", "")
    client.set_model_version_tag(name, "1", "k" * 250, LONGEST_TAG)
    for set_tag in (
        lambda key, value: client.set_registered_model_tag(name, key, value),
        lambda key, value: client.set_model_version_tag(name, "1", key, value),
    ):
        for key, value in [("k" * 251, "v"), ("ok", LONGEST_TAG + "v"), ("bad\nkey", "v")]:
            with pytest.raises(MlflowException) as excinfo:
                set_tag(key, value)
            assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"
    assert client.get_registered_model(name).tags == {"k" * 250: LONGEST_TAG, "empty": ""}
    client.delete_registered_model_tag(name, "empty")
    client.delete_model_version_tag(name, "1", "k" * 250)
    assert client.get_registered_model(name).tags == {"k" * 250: LONGEST_TAG}
    assert client.get_model_version(name, "1").tags == {}


def test_alias_rules(client: MlflowClient, name: str, source: str):
    client.create_registered_model(name)
    for _ in range(3):
        client.create_model_version(name, source)
    client.set_registered_model_alias(name, "champion", "1")
    assert client.get_model_version_by_alias(name, "champion").version == "1"
    assert client.get_model_version(name, "1").aliases == ["champion"]
    client.set_registered_model_alias(name, "champion", "2")  # moves
    assert client.get_registered_model(name).aliases == {"champion": "2"}
    assert client.get_model_version(name, "1").aliases == []

    for reserved in ("latest", "LATEST", "v1", "V12"):
        with pytest.raises(MlflowException) as excinfo:
            client.set_registered_model_alias(name, reserved, "1")
        assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as excinfo:
        client.set_registered_model_alias(name, "bad alias", "1")
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as excinfo:
        client.set_registered_model_alias(name, "champion", "9")
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"

    # "latest" is virtual: the highest version.
    assert client.get_model_version_by_alias(name, "latest").version == "3"
    with pytest.raises(MlflowException) as excinfo:
        client.get_model_version_by_alias(name, "missing")
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"

    client.delete_registered_model_alias(name, "champion")
    client.delete_registered_model_alias(name, "champion")  # not there: no error
    assert client.get_registered_model(name).aliases == {}
    client.set_registered_model_alias(name, "gone", "3")
    client.delete_model_version(name, "3")
    assert client.get_registered_model(name).aliases == {}


def test_stage_transitions_archive_existing_versions(client: MlflowClient, name: str, source: str):
    client.create_registered_model(name)
    for _ in range(4):
        client.create_model_version(name, source)
    before = client.get_registered_model(name).last_updated_timestamp
    time.sleep(0.01)
    client.transition_model_version_stage(name, "1", "staging")
    client.transition_model_version_stage(name, "2", "Production")
    moved = client.transition_model_version_stage(
        name, "3", "Production", archive_existing_versions=True
    )
    assert moved.current_stage == "Production"
    assert client.get_model_version(name, "2").current_stage == "Archived"
    assert client.get_model_version(name, "1").current_stage == "Staging"
    assert client.get_model_version(name, "4").current_stage == "None"
    assert client.get_registered_model(name).last_updated_timestamp > before

    def latest(stages: list[str] | None) -> dict[str, str]:
        return {v.current_stage: v.version for v in client.get_latest_versions(name, stages)}

    assert latest(["Production"]) == {"Production": "3"}
    assert latest(["production", "None"]) == {"Production": "3", "None": "4"}
    assert latest(None) == {"Production": "3", "Staging": "1", "Archived": "2", "None": "4"}
    assert {v.version for v in client.get_registered_model(name).latest_versions} == {
        "1",
        "2",
        "3",
        "4",
    }

    for bad_stage, archive in [("Retired", False), ("Archived", True), ("None", True)]:
        with pytest.raises(MlflowException) as excinfo:
            client.transition_model_version_stage(
                name, "4", bad_stage, archive_existing_versions=archive
            )
        assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as excinfo:
        client.transition_model_version_stage(name, "9", "Staging")
    assert error_code(excinfo) == "RESOURCE_DOES_NOT_EXIST"


def test_version_description_and_timestamps(client: MlflowClient, name: str, source: str):
    client.create_registered_model(name)
    created = client.create_model_version(name, source, description="first", tags={"a": 1})
    assert created.status == "READY"
    assert created.version == "1"
    assert created.description == "first"
    assert created.tags == {"a": "1"}
    assert created.creation_timestamp == created.last_updated_timestamp
    model_updated = client.get_registered_model(name).last_updated_timestamp
    time.sleep(0.01)
    updated = client.update_model_version(name, "1", "second")
    assert updated.description == "second"
    assert updated.last_updated_timestamp > created.last_updated_timestamp
    assert client.get_registered_model(name).last_updated_timestamp == model_updated
    bare = client.create_model_version(name, source)
    # As against mlflow server: no status message is None, no tags or aliases are empty.
    assert (bare.status_message, bare.tags, bare.aliases) == (None, {}, [])
    client.create_model_version(name, source)
    time.sleep(0.01)
    client.transition_model_version_stage(name, "2", "Staging")
    by_update = client.search_model_versions(
        f"name = '{name}'", order_by=["last_updated_timestamp DESC"]
    )
    assert [v.version for v in by_update] == ["2", "3", "1"]
    stamps = [v.last_updated_timestamp for v in by_update]
    assert stamps == sorted(stamps, reverse=True)
    with pytest.raises(MlflowException) as excinfo:
        client.get_model_version(name, "not-a-number")
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"


# -- search, ordering, pagination ---------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue(server_url: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str]]:
    """Twelve models ``<prefix>-NN`` with tags, and 1-3 versions each (some stamped with
    run ids), for the search tests."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in MLFLOW_ENV.items():
            patch.setenv(key, value)
        client = MlflowClient(tracking_uri=server_url, registry_uri=server_url)
        prefix = f"cat{uuid.uuid4().hex[:6]}"
        run = client.create_run(client.create_experiment(prefix))
        weights = tmp_path_factory.mktemp("catalogue") / "weights.bin"
        weights.write_bytes(b"catalogue")
        client.log_artifact(run.info.run_id, str(weights), "model")
        names = [f"{prefix}-{i:02}" for i in range(12)]
        for i, model in enumerate(names):
            client.create_registered_model(
                model, {"team": "risk" if i % 2 else "growth", "Tier": f"t{i % 3}"}
            )
            for _ in range(1 + i % 3):
                client.create_model_version(
                    model, f"runs:/{run.info.run_id}/model", run.info.run_id if i < 4 else None
                )
        return prefix, names


def test_search_models_filters(client: MlflowClient, catalogue: tuple[str, list[str]]):
    prefix, names = catalogue

    def found(filter_string: str) -> list[str]:
        return [m.name for m in client.search_registered_models(filter_string, max_results=1000)]

    assert found(f"name LIKE '{prefix}-%'") == names
    assert found(f"name LIKE '{prefix}-0%'") == names[:10]
    assert found(f"name LIKE '{prefix.upper()}-%'") == []
    assert found(f"name ILIKE '{prefix.upper()}-1%'") == names[10:]
    assert found(f"name = '{names[3]}'") == [names[3]]
    assert found(f"name != '{names[3]}' AND name LIKE '{prefix}%'") == names[:3] + names[4:]
    assert found(f"name IN ('{names[1]}', '{names[5]}', 'nope')") == [names[1], names[5]]
    assert found(f"name LIKE '{prefix}%' AND tags.team = 'risk'") == names[1::2]
    assert found(f"name LIKE '{prefix}%' AND tags.`Tier` != 't0'") == [
        n for i, n in enumerate(names) if i % 3
    ]
    assert found(f"name LIKE '{prefix}%' AND tag.team LIKE 'gr%' AND tags.Tier = 't0'") == [
        n for i, n in enumerate(names) if i % 2 == 0 and i % 3 == 0
    ]
    assert found(f"name LIKE '{prefix}%' AND tags.team ILIKE 'RISK'") == names[1::2]
    for bad in (f"name = '{prefix}' OR name = 'x'", "owner = 'x'", "name = "):
        with pytest.raises(MlflowException) as excinfo:
            client.search_registered_models(bad)
        assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"


def test_search_versions_filters(client: MlflowClient, catalogue: tuple[str, list[str]]):
    prefix, names = catalogue

    def found(filter_string: str) -> set[tuple[str, str]]:
        return {(v.name, v.version) for v in client.search_model_versions(filter_string)}

    everything = {(n, str(v)) for i, n in enumerate(names) for v in range(1, 2 + i % 3)}
    assert found(f"name LIKE '{prefix}%'") == everything
    assert found(f"name = '{names[2]}'") == {(names[2], "1"), (names[2], "2"), (names[2], "3")}
    assert found(f"name LIKE '{prefix}%' AND version_number >= 3") == {
        (n, v) for n, v in everything if v == "3"
    }
    assert found(f"name IN ('{names[1]}', '{names[2]}') AND version_number != 1") == {
        (names[1], "2"),
        (names[2], "2"),
        (names[2], "3"),
    }
    run_ids = {v.run_id for v in client.search_model_versions(f"name = '{names[0]}'")}
    (run_id,) = run_ids
    assert found(f"run_id = '{run_id}' AND name LIKE '{prefix}%'") == {
        (n, v) for n, v in everything if names.index(n) < 4
    }
    client.set_model_version_tag(names[5], "2", "validated", "yes")
    assert found("tags.validated = 'yes'") == {(names[5], "2")}
    with pytest.raises(MlflowException) as excinfo:
        client.search_model_versions("version_number = 'one'")
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"


def test_search_versions_by_source_path(client: MlflowClient, name: str, tmp_path: Path):
    run = client.create_run(client.create_experiment(f"e-{uuid.uuid4().hex[:10]}"))
    run_id = run.info.run_id
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"w" * 1000)
    sources = []
    for folder in ("model", "model-b", "Other"):
        client.log_artifact(run_id, str(weights), folder)
        sources.append(f"runs:/{run_id}/{folder}")
    client.create_registered_model(name)
    for source in sources:
        client.create_model_version(name, source, run_id)

    def found(condition: str) -> list[str]:
        versions = client.search_model_versions(f"name = '{name}' AND {condition}")
        return sorted(v.version for v in versions)

    assert found(f"source_path = '{sources[1]}'") == ["2"]
    assert found(f"source_path != '{sources[1]}'") == ["1", "3"]
    assert found(f"source_path LIKE 'runs:/{run_id}/model%'") == ["1", "2"]
    assert found("source_path LIKE '%/other'") == []  # LIKE is case-sensitive, as in MLflow
    assert found("source_path ILIKE '%/other'") == ["3"]
    assert found(f"source_path IN ('{sources[0]}', '{sources[2]}')") == ["1", "3"]
    assert found(f"source_path NOT IN ('{sources[0]}')") == ["2", "3"]
    assert found("source_path = 'runs:/elsewhere/model'") == []


def test_search_ordering(client: MlflowClient, catalogue: tuple[str, list[str]]):
    prefix, names = catalogue
    models = client.search_registered_models(
        f"name LIKE '{prefix}%'", order_by=["name DESC"], max_results=100
    )
    assert [m.name for m in models] == names[::-1]
    by_update = client.search_registered_models(
        f"name LIKE '{prefix}%'", order_by=["last_updated_timestamp DESC"], max_results=100
    )
    stamps = [m.last_updated_timestamp for m in by_update]
    assert stamps == sorted(stamps, reverse=True)

    versions = client.search_model_versions(
        f"name LIKE '{prefix}%'", order_by=["version_number DESC"]
    )
    assert [(v.name, v.version) for v in versions] == sorted(
        [(v.name, v.version) for v in versions], key=lambda item: (-int(item[1]), item[0])
    )
    newest_first = client.search_model_versions(f"name LIKE '{prefix}%'")
    created = [v.creation_timestamp for v in newest_first]
    assert created == sorted(created, reverse=True)
    with pytest.raises(MlflowException) as excinfo:
        client.search_model_versions(f"name LIKE '{prefix}%'", order_by=["size DESC"])
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"


@pytest.mark.parametrize("page_size", [1, 5, 7, 100])
def test_pagination_covers_every_row_exactly_once(
    client: MlflowClient, catalogue: tuple[str, list[str]], page_size: int
):
    prefix, names = catalogue

    def pages(search, filter_string: str) -> list[object]:  # type: ignore[no-untyped-def]
        collected: list[object] = []
        token = None
        while True:
            page = search(filter_string, max_results=page_size, page_token=token)
            assert len(page) <= page_size
            collected.extend(page)
            token = page.token
            if not token:
                return collected

    models = pages(client.search_registered_models, f"name LIKE '{prefix}%'")
    assert [m.name for m in models] == names  # type: ignore[attr-defined]
    versions = pages(client.search_model_versions, f"name LIKE '{prefix}%'")
    keys = [(v.name, v.version) for v in versions]  # type: ignore[attr-defined]
    all_versions = client.search_model_versions(f"name LIKE '{prefix}%'", max_results=1000)
    assert keys == [(v.name, v.version) for v in all_versions]
    assert len(set(keys)) == len(keys) == sum(1 + i % 3 for i in range(12))


def test_page_tokens_are_validated(client: MlflowClient, catalogue: tuple[str, list[str]]):
    prefix, _ = catalogue
    page = client.search_registered_models(f"name LIKE '{prefix}%'", max_results=2)
    assert page.token
    with pytest.raises(MlflowException) as excinfo:
        client.search_registered_models(f"name LIKE '{prefix}%'", page_token="garbage")  # noqa: S106
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as excinfo:  # a token of another query
        client.search_registered_models("name LIKE 'x%'", page_token=page.token)
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as excinfo:
        client.search_registered_models(max_results=1001)
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"


# -- exact wire details -------------------------------------------------------------------------


def test_wire_details(url: str, client: MlflowClient, name: str, source: str):
    client.create_registered_model(name)
    created = raw(
        url, "POST", "/api/2.0/mlflow/model-versions/create", json={"name": name, "source": source}
    )
    assert created.status_code == 200
    version = created.json()["model_version"]
    assert version["version"] == "1"
    assert version["status"] == "READY"
    assert isinstance(version["creation_timestamp"], int)

    endpoint = "/api/2.0/mlflow/registered-models/get-latest-versions"
    by_post = raw(url, "POST", endpoint, json={"name": name})
    by_get = raw(url, "GET", endpoint, params={"name": name, "stages": ["None"]})
    assert by_post.status_code == by_get.status_code == 200
    assert by_post.json()["model_versions"][0]["version"] == "1"
    assert by_get.json()["model_versions"][0]["version"] == "1"

    missing = raw(url, "GET", "/api/2.0/mlflow/registered-models/get", params={"name": "nope"})
    assert (missing.status_code, missing.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    unknown = raw(url, "POST", "/api/2.0/mlflow/no-such-endpoint", json={})
    assert (unknown.status_code, unknown.json()["error_code"]) == (404, "ENDPOINT_NOT_FOUND")
    malformed = raw(url, "POST", "/api/2.0/mlflow/registered-models/create", data=b"{not json")
    assert (malformed.status_code, malformed.json()["error_code"]) == (
        400,
        "INVALID_PARAMETER_VALUE",
    )
    no_name = raw(url, "POST", "/api/2.0/mlflow/registered-models/create", json={})
    assert no_name.status_code == 400
    bad_source = raw(
        url,
        "POST",
        "/api/2.0/mlflow/model-versions/create",
        json={"name": name, "source": "s3://b/k"},
    )
    assert (bad_source.status_code, bad_source.json()["error_code"]) == (
        400,
        "INVALID_PARAMETER_VALUE",
    )

    # The filter the client appends to hide prompts parses and keeps ordinary models.
    prompt_filter = f"name = '{name}' AND tag.`mlflow.prompt.is_prompt` != 'true'"
    assert [m.name for m in client.search_registered_models(prompt_filter)] == [name]
    assert [m.name for m in client.search_registered_models(f"name = '{name}'")] == [name]


# -- tracking searches --------------------------------------------------------------------------


def test_search_runs_as_a_dataframe_and_in_pages(url: str, name: str):
    """``mlflow.search_runs()`` asks for 10,000 runs a page, more than a modelreg page."""
    experiment_id = mlflow.create_experiment(f"exp-{name}")
    started = []
    for c in ("0.1", "1.0", "10"):
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_param("C", c)
        started.append(run.info.run_id)

    frame = mlflow.search_runs(experiment_ids=[experiment_id])
    assert sorted(frame["run_id"]) == sorted(started)
    assert sorted(frame["params.C"]) == ["0.1", "1.0", "10"]
    client = MlflowClient()
    first = client.search_runs([experiment_id], max_results=2)
    rest = client.search_runs([experiment_id], max_results=2, page_token=first.token)
    assert len(first) == 2
    assert first.token
    assert sorted(r.info.run_id for r in [*first, *rest]) == sorted(started)
    assert not rest.token
    found = mlflow.search_experiments(filter_string=f"name = 'exp-{name}'")
    assert [e.experiment_id for e in found] == [experiment_id]
    other = mlflow.create_experiment(f"exp-{name}-b", tags={"team": "risk"})
    by_name = mlflow.search_experiments(
        filter_string=f"name LIKE 'exp-{name}%'", order_by=["name DESC"]
    )
    assert [e.experiment_id for e in by_name] == [other, experiment_id]
    tagged = mlflow.search_experiments(filter_string="tags.team = 'risk'")
    assert other in [e.experiment_id for e in tagged]
    assert experiment_id not in [e.experiment_id for e in tagged]
    with pytest.raises(MlflowException) as excinfo:
        client.search_runs([experiment_id], max_results=50_001)
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"


def test_the_best_run_by_its_metrics_is_found_and_registered(url: str, name: str):
    """The flow MLflow's docs teach: search the runs by metric, register the best one."""
    experiment_id = mlflow.create_experiment(f"best-{name}")
    for alpha, rmse in (("0.1", 0.3), ("1.0", 0.4), ("10", 0.6)):
        with mlflow.start_run(experiment_id=experiment_id):
            mlflow.log_param("alpha", alpha)
            mlflow.log_metric("rmse", rmse * 2, step=0)
            mlflow.log_metric("rmse", rmse, step=1)  # the latest value is the one compared
            mlflow.log_text(f"alpha={alpha}", "model/weights.txt")

    best = mlflow.search_runs(
        [experiment_id],
        filter_string="metrics.rmse < 0.8 AND params.alpha != '0.1'",
        order_by=["metrics.rmse ASC"],
        max_results=1,
    )
    assert list(best["params.alpha"]) == ["1.0"]
    run_id = str(best["run_id"][0])
    client = MlflowClient()
    client.create_registered_model(name)
    # Files logged as plain artifacts, not a logged model: MLflow 3's register_model() would
    # look for a logged model under the run, so the version is created from the run's folder.
    version = client.create_model_version(name, f"runs:/{run_id}/model", run_id)
    assert version.run_id == run_id
    loaded = Path(mlflow.artifacts.download_artifacts(f"models:/{name}/{version.version}"))
    assert (loaded / "weights.txt").read_text() == "alpha=1.0"

    finished = client.search_runs(
        [experiment_id], "attributes.status = 'FINISHED'", order_by=["metrics.rmse DESC"]
    )
    assert [r.data.params["alpha"] for r in finished] == ["10", "1.0", "0.1"]
    with pytest.raises(MlflowException) as excinfo:
        client.search_runs([experiment_id], "metrics.rmse LIKE '0%'")
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"


# -- logging, registering, downloading, loading -------------------------------------------------


def _sklearn_model():  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    features = np.array([[0.0], [1.0], [2.0], [3.0]])
    return LogisticRegression().fit(features, np.array([0, 0, 1, 1])), features


def test_sklearn_log_register_download_and_load(url: str, name: str, tmp_path: Path):
    model, features = _sklearn_model()
    mlflow.set_experiment(f"exp-{name}")
    with mlflow.start_run() as run:
        mlflow.log_param("C", 1.0)
        mlflow.log_metric("accuracy", 1.0)
        mlflow.sklearn.log_model(model, **log_model_target("model"), pip_requirements=REQUIREMENTS)

    by_run = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
    assert by_run.version == "1"
    assert by_run.run_id == run.info.run_id
    client = MlflowClient()
    client.set_registered_model_alias(name, "champion", "1")

    downloaded = Path(
        mlflow.artifacts.download_artifacts(f"models:/{name}@champion", dst_path=str(tmp_path))
    )
    assert (downloaded / "MLmodel").is_file()
    loaded = mlflow.pyfunc.load_model(f"models:/{name}@champion")
    assert list(loaded.predict(features)) == [0, 0, 1, 1]
    latest = mlflow.sklearn.load_model(f"models:/{name}/latest")
    assert list(latest.predict(features)) == [0, 0, 1, 1]
    # The MLflow 2 way of naming a deployed version, still common.
    client.transition_model_version_stage(name, "1", "Production")
    staged = mlflow.sklearn.load_model(f"models:/{name}/Production")
    assert list(staged.predict(features)) == [0, 0, 1, 1]
    assert client.get_run(run.info.run_id).data.params == {"C": "1.0"}


@requires_logged_models
def test_a_logged_model_registers_by_its_id(url: str, name: str):
    model, features = _sklearn_model()
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(model, name="model", pip_requirements=REQUIREMENTS)
    assert info.model_uri == f"models:/{info.model_id}"
    by_run = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
    by_id = mlflow.register_model(f"models:/{info.model_id}", name)
    assert (by_run.version, by_id.version) == ("1", "2")
    assert MlflowClient().get_logged_model(info.model_id).status.name == "READY"
    loaded = mlflow.sklearn.load_model(f"models:/{name}/2")
    assert list(loaded.predict(features)) == [0, 0, 1, 1]


@requires_logged_models
def test_the_best_logged_model_by_its_metrics_is_found_and_registered(url: str, name: str):
    """MLflow 3's form of the flow: search logged models by metric, register the best."""
    model, features = _sklearn_model()
    experiment_id = mlflow.create_experiment(f"models-{name}")
    ids = {}
    with mlflow.start_run(experiment_id=experiment_id):
        for depth, accuracy in ((2, 0.71), (4, 0.93), (8, 0.88)):
            info = mlflow.sklearn.log_model(
                model, name=f"tree-{depth}", pip_requirements=REQUIREMENTS
            )
            mlflow.log_metric("accuracy", accuracy, model_id=info.model_id)
            ids[depth] = info.model_id

    best = mlflow.search_logged_models(
        experiment_ids=[experiment_id],
        filter_string="metrics.accuracy > 0.8",
        order_by=[{"field_name": "metrics.accuracy", "ascending": False}],
        max_results=1,
        output_format="list",
    )
    assert [m.model_id for m in best] == [ids[4]]
    version = mlflow.register_model(f"models:/{best[0].model_id}", name)
    loaded = mlflow.sklearn.load_model(f"models:/{name}/{version.version}")
    assert list(loaded.predict(features)) == [0, 0, 1, 1]

    ranked = mlflow.search_logged_models(
        experiment_ids=[experiment_id],
        order_by=[{"field_name": "metrics.accuracy"}],
        output_format="list",
    )
    assert [m.model_id for m in ranked] == [ids[2], ids[8], ids[4]]
    with pytest.raises(MlflowException) as excinfo:
        mlflow.search_logged_models(
            experiment_ids=[experiment_id], order_by=[{"field_name": "params.depth"}]
        )
    assert error_code(excinfo) == "INVALID_PARAMETER_VALUE"
    # No metric here was measured on a dataset (test_mlflow_datasets.py covers those).
    on_a_dataset = mlflow.search_logged_models(
        experiment_ids=[experiment_id], datasets=[{"dataset_name": "test"}], output_format="list"
    )
    assert on_a_dataset == []


class AddOne(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    def predict(self, model_input: list[int], params=None) -> list[int]:  # type: ignore[no-untyped-def]
        return [x + 1 for x in model_input]


# Naming the requirements skips MLflow's inference, which imports the model in a subprocess.
REQUIREMENTS = ["mlflow", "scikit-learn"]


def release(url: str, ref: str) -> None:
    """A maintainer's release of a reviewed pyfunc version, through modelreg's own API."""
    modelreg.Client(url).release_quarantine(ref, reason="pyfunc code reviewed")


def test_pyfunc_log_register_and_load(url: str, name: str):
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(
            **log_model_target("adder"), python_model=AddOne(), pip_requirements=REQUIREMENTS
        )
    version = mlflow.register_model(info.model_uri, name)
    assert version.version == "1"
    release(url, f"{name}/1")
    loaded = mlflow.pyfunc.load_model(f"models:/{name}/1")
    assert loaded.predict([1, 2]) == [2, 3]
    copy = MlflowClient().copy_model_version(f"models:/{name}/1", name)
    assert copy.version == "2"
    # The copy holds the same reviewed bytes with the same findings: blobs are guarded by
    # digest, so the release of version 1 covers them for whoever may read version 1.
    assert mlflow.pyfunc.load_model(f"models:/{name}/2").predict([5]) == [6]


# -- one registry, two APIs ---------------------------------------------------------------------


def test_native_api_sees_models_registered_through_mlflow(url: str, name: str, tmp_path: Path):
    model, _ = _sklearn_model()
    with mlflow.start_run():
        # Registering while logging, the usual way in MLflow 2 tutorials.
        info = mlflow.sklearn.log_model(
            model,
            **log_model_target("model"),
            pip_requirements=REQUIREMENTS,
            registered_model_name=name,
        )
    client = MlflowClient()
    client.set_registered_model_alias(name, "prod", "1")
    client.update_registered_model(name, "from mlflow")

    native = modelreg.Client(url, cache_dir=tmp_path / "cache")
    found = native.get_model(name)
    assert found.description == "from mlflow"
    assert found.aliases == {"prod": 1}
    # The serialized estimator: model.skops with MLflow 3, model.pkl with MLflow 2.
    estimator = info.flavors["sklearn"]["pickled_model"]
    version = native.resolve(f"{name}@prod")
    assert {f.path for f in version.files} >= {"MLmodel", estimator}
    pulled = native.pull(f"{name}@prod", tmp_path / "pulled")
    via_mlflow = Path(
        mlflow.artifacts.download_artifacts(f"models:/{name}/1", dst_path=str(tmp_path / "m"))
    )
    assert (pulled / estimator).read_bytes() == (via_mlflow / estimator).read_bytes()


def test_mlflow_sees_models_pushed_with_modelreg(url: str, name: str, tmp_path: Path):
    saved = tmp_path / "saved"
    mlflow.pyfunc.save_model(str(saved), python_model=AddOne(), pip_requirements=REQUIREMENTS)
    native = modelreg.Client(url, cache_dir=tmp_path / "cache")
    native.create_model(name, description="native", tags={"origin": "modelreg"})
    pushed = native.push(name, saved, tags={"pushed": "yes"}, alias="live")
    release(url, f"{name}@live")

    client = MlflowClient()
    model = client.get_registered_model(name)
    assert (model.description, model.tags, model.aliases) == (
        "native",
        {"origin": "modelreg"},
        {"live": str(pushed.version)},
    )
    version = client.get_model_version_by_alias(name, "live")
    assert (version.version, version.tags, version.current_stage) == (
        "1",
        {"pushed": "yes"},
        "None",
    )
    loaded = mlflow.pyfunc.load_model(f"models:/{name}@live")
    assert loaded.predict([41]) == [42]
    native.set_alias(name, "canary", 1)
    assert client.get_model_version_by_alias(name, "canary").version == "1"
    assert json.loads(json.dumps(client.get_registered_model(name).aliases)) == {
        "live": "1",
        "canary": "1",
    }


def test_a_pyfunc_model_loads_once_a_maintainer_releases_it(url: str, name: str):
    """The whole flow on a registry that enforces the quarantine: log, register, a refused
    load (in MLflow's error shape), a release with modelreg's CLI, a load that works."""
    model = AddOne()
    # Bytes of their own: a release covers a blob by digest, and other tests release the
    # (deterministic) pickle of a bare AddOne on this server.
    model.tag = name
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(
            **log_model_target("adder"), python_model=model, pip_requirements=REQUIREMENTS
        )
    mlflow.register_model(info.model_uri, name)
    MlflowClient().set_registered_model_alias(name, "champion", "1")
    with pytest.raises(MlflowException, match="quarantined") as refused:
        mlflow.pyfunc.load_model(f"models:/{name}@champion")
    # MLflow wraps each failed file's HTTP error; the server's answer is in MLflow's shape.
    assert '"error_code": "PERMISSION_DENIED"' in str(refused.value)
    assert "python_model.pkl" in str(refused.value)
    # The message says which version to have reviewed, and how to release it.
    assert f"it is a file of {name}/1. A maintainer" in str(refused.value)
    assert f"modelreg scan release {name}/1 --reason" in str(refused.value)

    cli = [*ENTRY, "--registry", url, "scan", "release", f"{name}@champion"]
    reason = ["--reason", "reviewed AddOne: adds one, no I/O"]
    env = clean_env()
    done = subprocess.run(
        [*cli, *reason], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{name}/1: released (python_model.pkl)"
    loaded = mlflow.pyfunc.load_model(f"models:/{name}@champion")
    assert loaded.predict([1]) == [2]
    history = modelreg.Client(url).events(name)
    assert "scan.released" in [event.action for event in history]


def test_the_client_runs_in_a_fresh_process(url: str, name: str, source: str):
    """MLFLOW_TRACKING_URI alone points an unmodified program at modelreg."""
    script = (
        "import mlflow, sys\n"
        "c = mlflow.MlflowClient()\n"
        f"c.create_registered_model({name!r})\n"
        f"print(c.create_model_version({name!r}, {source!r}).version)\n"
    )
    env = clean_env(MLFLOW_TRACKING_URI=url, **MLFLOW_ENV)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "1"
