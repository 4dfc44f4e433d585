"""Archiving versions: hidden from default listings and search, files kept, aliases first; and
restoring. On SQLite and PostgreSQL, through the SDK (embedded and HTTP), the API and the CLI."""

import json

import pytest
from typer.testing import CliRunner

from modelreg import Client, ConflictError, InvalidFilterError
from modelreg.cli.main import app
from tests.factories import read_tree, write_model_dir


def push(client: Client, tmp_path, name: str, tag: str):
    return client.push(name, write_model_dir(tmp_path / f"{name}-{tag}", {"m.bin": tag.encode()}))


def numbers(versions) -> list[int]:
    return [v.version for v in versions]


@pytest.fixture
def three(client, tmp_path):
    for tag in ("1", "2", "3"):
        push(client, tmp_path, "m", tag)
    return client


def test_archived_versions_leave_default_listings_and_search(three):
    client = three
    archived = client.archive_version("m", 2)
    assert archived.archived
    assert archived.archived_at is not None
    assert numbers(client.list_versions("m")) == [3, 1]
    assert numbers(client.list_versions("m", include_archived=True)) == [3, 2, 1]
    assert numbers(client.search_versions("name = 'm'")) == [3, 1]
    assert numbers(client.search_versions("name = 'm'", include_archived=True)) == [3, 2, 1]
    assert numbers(client.search_versions("archived = true")) == [2]
    assert numbers(client.search_versions("name = 'm' AND archived = false")) == [3, 1]
    assert numbers(client.search_versions("archived != true")) == [3, 1]
    # Still reachable by number, with its files.
    assert client.get_version("m", 2).archived
    assert client.resolve("m/2").archived


def test_archived_files_are_kept_and_can_be_pulled(three, tmp_path):
    three.archive_version("m", 2)
    out = three.pull("m/2", tmp_path / "out")
    assert read_tree(out) == {"m.bin": b"2"}


def test_latest_skips_archived_versions(three):
    three.archive_version("m", 3)
    assert three.resolve("m").version == 2
    assert three.get_model("m").latest_version == 2
    assert [m.name for m in three.search_models("latest_version = 2")] == ["m"]


def test_aliases_must_move_first(three):
    client = three
    client.set_alias("m", "production", 2)
    with pytest.raises(ConflictError, match="aliases must move first"):
        client.archive_version("m", 2)
    assert not client.get_version("m", 2).archived
    client.set_alias("m", "production", 3)
    client.archive_version("m", 2)
    with pytest.raises(ConflictError, match="restore it"):
        client.set_alias("m", "staging", 2)


def test_restore_brings_a_version_back_and_both_are_idempotent(three):
    client = three
    client.archive_version("m", 1)
    client.archive_version("m", 1)
    restored = client.restore_version("m", 1)
    assert not restored.archived
    assert numbers(client.list_versions("m")) == [3, 2, 1]
    assert not client.restore_version("m", 1).archived
    assert [e.action for e in client.audit(action="version.*")][-2:] == [
        "version.archived",
        "version.restored",
    ]
    assert client.verify_audit().ok


def test_archived_is_a_boolean_field(three):
    with pytest.raises(InvalidFilterError, match="true or false"):
        three.search_versions("archived = 'yes'")
    with pytest.raises(InvalidFilterError, match="ORDER BY"):
        three.search_versions("ORDER BY archived")
    with pytest.raises(InvalidFilterError):
        three.search_models("archived = true")


def test_api_archive_and_listing(http, services):
    from tests.records import push as push_service

    push_service(services, "m", "1")
    push_service(services, "m", "2")
    response = http.post("/api/v1/models/m/versions/1/archive", headers={"X-Modelreg-User": "x"})
    assert response.status_code == 200
    assert response.json()["archived_at"] is not None
    listed = http.get("/api/v1/models/m/versions").json()["items"]
    assert [v["version"] for v in listed] == [2]
    listed = http.get("/api/v1/models/m/versions", params={"include_archived": "true"}).json()
    assert [v["version"] for v in listed["items"]] == [2, 1]
    http.put("/api/v1/models/m/aliases/prod", json={"version": 2})
    refused = http.post("/api/v1/models/m/versions/2/archive")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "CONFLICT")
    assert http.post("/api/v1/models/m/versions/1/restore").json()["archived_at"] is None


def test_cli_archive_restore(tmp_path):
    home = tmp_path / "home"
    with Client.local(home, user="alice", cache_dir=tmp_path / "cache") as sdk:
        push(sdk, tmp_path, "m", "1")
        push(sdk, tmp_path, "m", "2")
    runner = CliRunner()

    def run(*args):
        return runner.invoke(app, ["--home", str(home), *args])

    assert run("archive", "m/1").output.strip() == "archived m/1"
    listed = json.loads(run("versions", "m", "--json").output)
    assert [v["version"] for v in listed] == [2]
    listed = json.loads(run("versions", "m", "--include-archived", "--json").output)
    assert [v["version"] for v in listed] == [2, 1]
    assert "updated" not in run("show", "m/2").output
    assert run("restore", "m/1").output.strip() == "restored m/1"
    assert "updated" in run("show", "m/1").output  # archiving and restoring changed it
    shown = json.loads(run("show", "m/1", "--json").output)
    assert shown["updated_at"] > shown["created_at"]
    run("alias", "set", "m", "prod", "2")
    refused = run("archive", "m/2")
    assert refused.exit_code != 0
    assert isinstance(refused.exception, ConflictError)
