"""The SDK end to end, embedded and over HTTP, on SQLite and PostgreSQL (the ``client`` fixture)."""

import contextlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from modelreg import (
    AliasNotFoundError,
    Client,
    DigestMismatchError,
    InvalidArgumentError,
    InvalidFilterError,
    Lineage,
    ModelNotFoundError,
    ModelregError,
    NotFoundError,
    VersionNotFoundError,
    VersionStatus,
)
from modelreg.blobs.layout import blob_key
from modelreg.domain.tracking import Stage
from modelreg.server.mlflow.deps import MlflowServices
from modelreg.settings import Settings
from modelreg.wiring import Services
from tests.factories import make_draft, opaque_bytes, read_tree, write_model_dir

# -- helpers ---------------------------------------------------------------------------------


def small_dir(root: Path, tag: str) -> Path:
    """A distinct little model folder; ``tag`` makes its content unique."""
    return write_model_dir(root / tag, {"model.bin": f"weights {tag}".encode()})


def push_small(client: Client, tmp_path: Path, name: str, tag: str, **kwargs):
    return client.push(name, small_dir(tmp_path, f"{name}-{tag}"), **kwargs)


def count_uploads(client: Client, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the digest of every blob the transport sends from now on."""
    sent: list[str] = []
    original = client.transport.upload_blob

    def counting(upload_id, digest, source, *, progress):
        sent.append(str(digest))
        return original(upload_id, digest, source, progress=progress)

    monkeypatch.setattr(client.transport, "upload_blob", counting)
    return sent


def stored_blob_path(settings: Settings, digest) -> Path:
    return settings.resolved_storage_path().joinpath(*blob_key(digest).split("/"))


def corrupt(path: Path) -> None:
    """Replace the file's content with different bytes of the same size."""
    data = path.read_bytes()
    path.write_bytes(bytes(b ^ 0xFF for b in data))


@pytest.fixture
def remote(http: TestClient, tmp_path: Path) -> Client:
    """An SDK client over HTTP only: for behaviour that exists only with a remote registry."""
    return Client(http_client=http, user="alice", cache_dir=tmp_path / "remote-cache")


def requests_log(http: TestClient) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    http.event_hooks["request"].append(
        lambda request: seen.append((request.method, request.url.path))
    )
    return seen


# -- push and pull ---------------------------------------------------------------------------


def test_push_pull_folder_round_trip_is_byte_identical(client, model_dir, tmp_path):
    version = client.push("resnet", model_dir)
    dest = client.pull("resnet/1", tmp_path / "out")
    assert dest == tmp_path / "out"
    assert read_tree(dest) == read_tree(model_dir)
    assert sorted(f.path for f in version.files) == sorted(read_tree(model_dir))
    assert version.status is VersionStatus.READY


def test_push_pull_single_file_round_trip(client, tmp_path):
    source = tmp_path / "model.onnx"
    source.write_bytes(opaque_bytes(70_000))
    version = client.push("onnx-model", source)
    assert [(f.path, f.size) for f in version.files] == [("model.onnx", 70_000)]
    dest = client.pull("onnx-model", tmp_path / "out")
    assert read_tree(dest) == {"model.onnx": source.read_bytes()}


def test_push_pull_empty_file(client, tmp_path):
    folder = write_model_dir(tmp_path / "m", {"empty.txt": b"", "x.bin": b"x"})
    client.push("with-empty", folder)
    assert read_tree(client.pull("with-empty/1", tmp_path / "out")) == read_tree(folder)


def test_versions_are_numbered_1_2_3(client, tmp_path):
    numbers = [push_small(client, tmp_path, "m", str(i)).version for i in range(3)]
    assert numbers == [1, 2, 3]
    assert [v.version for v in client.list_versions("m")] == [3, 2, 1]
    assert client.get_model("m").latest_version == 3


def test_pull_of_a_version_returns_that_versions_content(client, tmp_path):
    push_small(client, tmp_path, "m", "one")
    push_small(client, tmp_path, "m", "two")
    assert read_tree(client.pull("m/1", tmp_path / "v1")) == {"model.bin": b"weights m-one"}
    assert read_tree(client.pull("m", tmp_path / "latest")) == {"model.bin": b"weights m-two"}


def test_metadata_is_stored_and_returned(client, model_dir, tmp_path):
    push_small(client, tmp_path, "clf", "base")
    lineage = Lineage(
        source_commit="abc123",
        source_url="https://git.example/repo",
        datasets=("s3://data/train", "s3://data/val"),
        parent_version=1,
        run_id="run-7",
        experiment_id="exp-2",
    )
    pushed = client.push(
        "clf",
        model_dir,
        params={"lr": 0.01, "epochs": 3, "shuffle": True, "optimizer": "adam"},
        metrics={"auc": 0.93, "loss": 1},
        tags={"team": "ml", "stage": "candidate"},
        description="second try",
        lineage=lineage,
    )
    fetched = client.get_version("clf", 2)
    for version in (pushed, fetched):
        assert version.version == 2
        assert dict(version.params) == {
            "lr": "0.01",
            "epochs": "3",
            "shuffle": "true",
            "optimizer": "adam",
        }
        assert dict(version.metrics) == {"auc": 0.93, "loss": 1.0}
        assert dict(version.tags) == {"team": "ml", "stage": "candidate"}
        assert version.description == "second try"
        assert version.lineage == lineage
        assert version.created_by == "alice"
        assert version.size == sum(len(b) for b in read_tree(model_dir).values())


def test_push_with_missing_parent_version_is_rejected(client, tmp_path):
    push_small(client, tmp_path, "m", "a")
    with pytest.raises(VersionNotFoundError):
        push_small(client, tmp_path, "m", "b", lineage=Lineage(parent_version=9))
    assert [v.version for v in client.list_versions("m")] == [1]


def test_push_with_alias_sets_it(client, tmp_path):
    version = push_small(client, tmp_path, "m", "a", alias="production")
    assert version.aliases == ("production",)
    assert client.get_alias("m", "production").version == 1
    assert client.get_model("m").aliases == {"production": 1}


def test_the_mlflow_stage_of_a_version_is_set_for_mlflow_clients(client, services, tmp_path):
    for content in ("a", "b"):
        push_small(client, tmp_path, "m", content)
    client.set_mlflow_stage("m", 1, "production")  # MLflow's names, in any case
    client.set_mlflow_stage("m", 2, "Production")  # nothing else moves
    reads = MlflowServices.over(services).reads
    assert [reads.version("m", n).extras.stage for n in (1, 2)] == [Stage.PRODUCTION] * 2
    assert client.get_version("m", 2).updated_at > client.get_version("m", 2).created_at
    with pytest.raises(ModelregError, match="stage"):
        client.set_mlflow_stage("m", 1, "Retired")


def test_push_creates_the_model_owned_by_the_pusher(client, tmp_path):
    push_small(client, tmp_path, "fresh", "a")
    model = client.get_model("fresh")
    assert model.owner == "alice"
    assert model.latest_version == 1


def test_push_with_invalid_metric_stores_nothing(client, tmp_path):
    with pytest.raises(InvalidArgumentError):
        push_small(client, tmp_path, "m", "a", metrics={"auc": float("nan")})
    with pytest.raises(ModelNotFoundError):
        client.get_model("m")


# -- resolve ---------------------------------------------------------------------------------


def test_resolve_all_reference_forms(client, tmp_path):
    for tag in "abc":
        push_small(client, tmp_path, "m", tag)
    client.set_alias("m", "champion", 2)
    assert client.resolve("m").version == 3
    assert client.resolve("m@latest").version == 3
    assert client.resolve("m/1").version == 1
    assert client.resolve("m@champion").version == 2


def test_resolve_errors(client, tmp_path):
    push_small(client, tmp_path, "m", "a")
    with pytest.raises(ModelNotFoundError):
        client.resolve("nope")
    with pytest.raises(VersionNotFoundError):
        client.resolve("m/7")
    with pytest.raises(AliasNotFoundError):
        client.resolve("m@missing")
    with pytest.raises(InvalidArgumentError):
        client.resolve("m/zero")


# -- deduplication ---------------------------------------------------------------------------


def test_pushing_the_same_folder_twice_uploads_nothing_the_second_time(
    client, model_dir, monkeypatch
):
    sent = count_uploads(client, monkeypatch)
    client.push("m", model_dir)
    assert len(sent) == 3
    sent.clear()
    second = client.push("m", model_dir)
    assert sent == []
    assert second.version == 2


def test_identical_content_in_another_model_is_not_uploaded_again(
    client, model_dir, tmp_path, monkeypatch
):
    client.push("first", model_dir)
    sent = count_uploads(client, monkeypatch)
    client.push("second", model_dir)
    assert sent == []
    assert read_tree(client.pull("second/1", tmp_path / "out")) == read_tree(model_dir)


def test_only_changed_files_are_uploaded(client, model_dir, monkeypatch):
    client.push("m", model_dir)
    (model_dir / "config.json").write_text('{"layers": 4}')
    sent = count_uploads(client, monkeypatch)
    version = client.push("m", model_dir)
    changed = next(f for f in version.files if f.path == "config.json")
    assert sent == [str(changed.digest)]


def test_start_upload_reports_nothing_missing_for_known_content(client, tmp_path):
    push_small(client, tmp_path, "m", "a")
    session = client.transport.start_upload("m", make_draft({"model.bin": b"weights m-a"}))
    assert session.missing == ()
    client.transport.cancel_upload(session.id)


def test_second_push_over_http_sends_no_put_requests(remote, http, model_dir):
    remote.push("m", model_dir)
    seen = requests_log(http)
    remote.push("m", model_dir)
    assert [path for method, path in seen if method == "PUT"] == []
    assert any(method == "POST" and path.endswith("/commit") for method, path in seen)


# -- aliases ---------------------------------------------------------------------------------


def test_set_move_and_delete_alias(client, tmp_path):
    push_small(client, tmp_path, "m", "a")
    push_small(client, tmp_path, "m", "b")
    alias = client.set_alias("m", "prod", 1)
    assert (alias.model_name, alias.name, alias.version) == ("m", "prod", 1)
    assert alias.updated_by == "alice"
    assert client.resolve("m@prod").version == 1

    client.set_alias("m", "prod", 2)
    assert client.resolve("m@prod").version == 2
    assert client.get_version("m", 1).aliases == ()
    assert client.get_version("m", 2).aliases == ("prod",)
    assert client.get_model("m").aliases == {"prod": 2}

    client.delete_alias("m", "prod")
    with pytest.raises(AliasNotFoundError):
        client.get_alias("m", "prod")
    with pytest.raises(AliasNotFoundError):
        client.resolve("m@prod")
    assert client.get_model("m").aliases == {}


def test_alias_to_missing_version_is_version_not_found(client, tmp_path):
    push_small(client, tmp_path, "m", "a")
    with pytest.raises(VersionNotFoundError):
        client.set_alias("m", "prod", 2)
    with pytest.raises(AliasNotFoundError):
        client.get_alias("m", "prod")


def test_alias_on_missing_model_is_model_not_found(client):
    with pytest.raises(ModelNotFoundError):
        client.set_alias("ghost", "prod", 1)


@pytest.mark.parametrize("alias", ["latest", "v1", "bad alias"])
def test_invalid_or_reserved_alias_is_refused(client, tmp_path, alias):
    push_small(client, tmp_path, "m", "a")
    with pytest.raises(InvalidArgumentError):
        client.set_alias("m", alias, 1)
    assert client.get_model("m").aliases == {}


def test_deleting_a_missing_alias_is_alias_not_found(client, tmp_path):
    push_small(client, tmp_path, "m", "a")
    with pytest.raises(AliasNotFoundError):
        client.delete_alias("m", "prod")


# -- update and delete -----------------------------------------------------------------------


def test_create_and_update_model(client):
    client.create_model("m", description="first", tags={"team": "ml", "old": "x"})
    updated = client.update_model(
        "m", description="second", owner="bob", set_tags={"team": "cv"}, delete_tags=["old"]
    )
    fetched = client.get_model("m")
    for model in (updated, fetched):
        assert model.description == "second"
        assert model.owner == "bob"
        assert dict(model.tags) == {"team": "cv"}


def test_update_of_missing_model_is_model_not_found(client):
    with pytest.raises(ModelNotFoundError):
        client.update_model("ghost", description="x")


def test_delete_model_removes_it_and_its_versions(client, tmp_path):
    push_small(client, tmp_path, "m", "a")
    push_small(client, tmp_path, "other", "a")
    client.delete_model("m")
    with pytest.raises(ModelNotFoundError):
        client.get_model("m")
    with pytest.raises(ModelNotFoundError):
        client.get_version("m", 1)
    assert [m.name for m in client.search_models()] == ["other"]
    assert [v.model_name for v in client.search_versions()] == ["other"]


def test_update_version_changes_description_and_tags_only(client, tmp_path):
    pushed = push_small(client, tmp_path, "m", "a", tags={"a": "1", "b": "2"}, metrics={"auc": 0.5})
    updated = client.update_version(
        "m", 1, description="better", set_tags={"a": "9", "c": "3"}, delete_tags=["b"]
    )
    fetched = client.get_version("m", 1)
    for version in (updated, fetched):
        assert version.description == "better"
        assert dict(version.tags) == {"a": "9", "c": "3"}
        assert dict(version.metrics) == {"auc": 0.5}
        assert version.files == pushed.files


def test_update_of_missing_version_is_version_not_found(client, tmp_path):
    push_small(client, tmp_path, "m", "a")
    with pytest.raises(VersionNotFoundError):
        client.update_version("m", 5, description="x")


def test_delete_version(client, tmp_path):
    push_small(client, tmp_path, "m", "a")
    push_small(client, tmp_path, "m", "b", alias="prod")
    client.delete_version("m", 2)
    with pytest.raises(VersionNotFoundError):
        client.get_version("m", 2)
    with pytest.raises(AliasNotFoundError):
        client.get_alias("m", "prod")
    assert client.resolve("m").version == 1
    assert client.get_model("m").latest_version == 1
    with pytest.raises(VersionNotFoundError):
        client.delete_version("m", 2)


def test_deleted_version_numbers_are_never_reused(client, tmp_path):
    push_small(client, tmp_path, "m", "1")
    push_small(client, tmp_path, "m", "2")
    client.delete_version("m", 2)
    assert push_small(client, tmp_path, "m", "3").version == 3
    assert [v.version for v in client.list_versions("m")] == [3, 1]


# -- history ---------------------------------------------------------------------------------


def test_events_record_who_did_what(client, tmp_path):
    push_small(client, tmp_path, "m", "a")
    client.set_alias("m", "prod", 1)
    client.update_model("m", description="now documented", set_tags={"team": "ml"})
    client.update_version("m", 1, description="v1 notes")
    client.delete_alias("m", "prod")

    events = client.events("m")
    assert [e.action for e in events] == [
        "alias.deleted",
        "version.updated",
        "model.updated",
        "alias.set",
        "version.created",
        "model.created",
    ]
    assert {e.actor for e in events} == {"alice"}
    assert all(e.model_name == "m" for e in events)
    by_action = {e.action: e for e in events}
    assert by_action["version.created"].version == 1
    assert by_action["alias.set"].details == {"alias": "prod", "from": None, "to": 1}
    assert by_action["model.updated"].details == {
        "description": {"from": "", "to": "now documented"},
        "tags.team": {"from": None, "to": "ml"},
    }
    assert by_action["version.updated"].version == 1
    assert by_action["version.updated"].details == {"description": {"from": "", "to": "v1 notes"}}
    assert by_action["alias.deleted"].details == {"alias": "prod"}


def test_moving_an_alias_records_the_previous_version(client, tmp_path):
    push_small(client, tmp_path, "m", "a")
    push_small(client, tmp_path, "m", "b")
    client.set_alias("m", "prod", 1)
    client.set_alias("m", "prod", 2)
    latest = client.events("m", limit=1)[0]
    assert latest.action == "alias.set"
    assert latest.details == {"alias": "prod", "from": 1, "to": 2}


def test_events_of_missing_model_is_model_not_found(client):
    with pytest.raises(ModelNotFoundError):
        client.events("ghost")


# -- search ----------------------------------------------------------------------------------


@pytest.fixture
def catalogue(client, tmp_path):
    """alpha (team ml): v1 auc .7, v2 auc .9 @production; beta (team cv): v1 auc .8; gamma: v1."""
    client.create_model("alpha", tags={"team": "ml"})
    client.create_model("beta", tags={"team": "cv"})
    push_small(client, tmp_path, "alpha", "1", metrics={"auc": 0.7}, tags={"data": "v1"})
    push_small(client, tmp_path, "alpha", "2", metrics={"auc": 0.9}, tags={"data": "v2"})
    push_small(client, tmp_path, "beta", "1", metrics={"auc": 0.8}, params={"lr": 0.1})
    push_small(client, tmp_path, "gamma", "1")
    client.set_alias("alpha", "production", 2)
    return client


def refs(versions):
    return [(v.model_name, v.version) for v in versions]


def test_search_versions_by_metric_with_ordering(catalogue):
    found = catalogue.search_versions("metrics.auc > 0.75 ORDER BY metrics.auc DESC")
    assert refs(found) == [("alpha", 2), ("beta", 1)]
    ascending = catalogue.search_versions("metrics.auc >= 0 ORDER BY metrics.auc ASC")
    assert refs(ascending) == [("alpha", 1), ("beta", 1), ("alpha", 2)]


def test_search_versions_missing_metric_sorts_last(catalogue):
    found = catalogue.search_versions("ORDER BY metrics.auc DESC")
    assert refs(found) == [("alpha", 2), ("beta", 1), ("alpha", 1), ("gamma", 1)]


def test_search_versions_by_tag_param_and_name(catalogue):
    assert refs(catalogue.search_versions("tags.data = 'v1'")) == [("alpha", 1)]
    assert refs(catalogue.search_versions("params.lr = 0.1")) == [("beta", 1)]
    found = catalogue.search_versions("name = 'alpha' ORDER BY version ASC")
    assert refs(found) == [("alpha", 1), ("alpha", 2)]


def test_search_by_alias(catalogue):
    assert refs(catalogue.search_versions("alias = 'production'")) == [("alpha", 2)]
    assert [m.name for m in catalogue.search_models("alias = 'production'")] == ["alpha"]


def test_search_models_by_tag(catalogue):
    assert [m.name for m in catalogue.search_models("tags.team = 'ml'")] == ["alpha"]
    assert [m.name for m in catalogue.search_models("tags.team IS NULL")] == ["gamma"]
    assert [m.name for m in catalogue.search_models()] == ["alpha", "beta", "gamma"]


def test_search_limit_clause(catalogue):
    found = catalogue.search_versions("ORDER BY metrics.auc DESC LIMIT 2")
    assert refs(found) == [("alpha", 2), ("beta", 1)]
    assert [m.name for m in catalogue.search_models("LIMIT 1")] == ["alpha"]


def test_search_limit_argument(catalogue):
    assert len(catalogue.search_versions("", limit=3)) == 3


def test_invalid_filter_is_invalid_filter_error(catalogue):
    with pytest.raises(InvalidFilterError, match="nme"):
        catalogue.search_versions("nme = 'alpha'")
    with pytest.raises(InvalidFilterError):
        catalogue.search_models("metrics.auc > 1")


def all_pages(fetch, limit):
    """Every page of a paginated call; returns the list of pages."""
    pages = []
    cursor = None
    while True:
        page = fetch(cursor, limit)
        pages.append(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return pages
        assert len(pages) < 50, "pagination does not terminate"


def test_search_versions_pagination_covers_every_row_once(catalogue, tmp_path):
    for tag in "xyz":
        push_small(catalogue, tmp_path, "beta", tag)
    expected = refs(catalogue.search_versions(""))
    assert len(expected) == 7

    pages = all_pages(
        lambda cursor, limit: catalogue.transport.search_versions("", cursor=cursor, limit=limit), 2
    )
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    assert [ref for page in pages for ref in refs(page)] == expected


def test_search_versions_pagination_with_filter_and_order(catalogue):
    query = "metrics.auc > 0 ORDER BY metrics.auc DESC"
    pages = all_pages(
        lambda cursor, limit: catalogue.transport.search_versions(
            query, cursor=cursor, limit=limit
        ),
        2,
    )
    assert [refs(page) for page in pages] == [[("alpha", 2), ("beta", 1)], [("alpha", 1)]]


def test_pagination_respects_the_limit_clause(catalogue):
    query = "ORDER BY metrics.auc DESC LIMIT 3"
    pages = all_pages(
        lambda cursor, limit: catalogue.transport.search_versions(
            query, cursor=cursor, limit=limit
        ),
        2,
    )
    assert [refs(page) for page in pages] == [[("alpha", 2), ("beta", 1)], [("alpha", 1)]]


def test_search_models_pagination_covers_every_row_once(client):
    names = [f"model-{i}" for i in range(5)]
    for name in names:
        client.create_model(name)
    pages = all_pages(
        lambda cursor, limit: client.transport.search_models("", cursor=cursor, limit=limit), 2
    )
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [m.name for page in pages for m in page] == names


def test_cursor_from_another_query_is_rejected(catalogue):
    page = catalogue.transport.search_versions("name = 'alpha'", cursor=None, limit=1)
    assert page.next_cursor is not None
    with pytest.raises(InvalidArgumentError, match="cursor"):
        catalogue.transport.search_versions("name = 'beta'", cursor=page.next_cursor, limit=1)
    models_page = catalogue.transport.search_models("", cursor=None, limit=1)
    assert models_page.next_cursor is not None
    with pytest.raises(InvalidArgumentError, match="cursor"):
        catalogue.transport.search_versions("", cursor=models_page.next_cursor, limit=1)


def test_garbage_cursor_is_rejected(catalogue):
    with pytest.raises(InvalidArgumentError, match="cursor"):
        catalogue.transport.search_versions("", cursor="not-a-cursor!", limit=2)


# -- the pull cache (HTTP only: the embedded registry reads its own storage) ------------------


def test_second_pull_transfers_nothing(remote, http, services, model_dir, tmp_path):
    version = remote.push("m", model_dir)
    remote.pull("m/1", tmp_path / "first")
    cached = {entry.digest for entry in remote.cache.entries()}
    assert cached == {f.digest for f in version.files}

    seen = requests_log(http)
    for entry in version.files:
        services.blobs.delete(entry.digest)
    dest = remote.pull("m/1", tmp_path / "second")
    assert read_tree(dest) == read_tree(model_dir)
    assert [path for method, path in seen if "/blobs/" in path] == []


def test_pull_over_http_fails_without_cache_when_blob_is_gone(remote, services, tmp_path):
    source = write_model_dir(tmp_path / "src", {"a.bin": b"abc"})
    version = remote.push("m", source)
    services.blobs.delete(version.files[0].digest)
    with pytest.raises(NotFoundError):  # the blob is gone and was never cached
        remote.pull("m/1", tmp_path / "out")
    assert read_tree(tmp_path / "out") == {}


# -- integrity -------------------------------------------------------------------------------


def test_corrupted_blob_is_detected_on_pull_and_nothing_is_written(client, settings, tmp_path):
    source = tmp_path / "weights.bin"
    source.write_bytes(opaque_bytes(30_000))
    version = client.push("m", source)
    stored = stored_blob_path(settings, version.files[0].digest)
    assert stored.read_bytes() == source.read_bytes()
    corrupt(stored)

    dest = tmp_path / "out"
    with pytest.raises(DigestMismatchError):
        client.pull("m/1", dest)
    assert not dest.exists() or list(dest.iterdir()) == []
    assert list(client.cache.entries()) == []


def test_corrupted_blob_in_a_folder_never_reaches_its_target(client, settings, model_dir, tmp_path):
    version = client.push("m", model_dir)
    weights = next(f for f in version.files if f.path == "weights.bin")
    corrupt(stored_blob_path(settings, weights.digest))
    dest = tmp_path / "out"
    with pytest.raises(DigestMismatchError):
        client.pull("m/1", dest)
    written = read_tree(dest)
    assert "weights.bin" not in written
    original = read_tree(model_dir)
    assert all(original[path] == data for path, data in written.items())


def test_pull_refuses_a_symlinked_folder_escaping_the_destination(client, model_dir, tmp_path):
    client.push("m", model_dir)
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "sub").symlink_to(outside, target_is_directory=True)
    with pytest.raises(InvalidArgumentError):
        client.pull("m/1", dest)
    assert list(outside.iterdir()) == []


def test_pull_refuses_to_write_through_a_file_symlink(client, model_dir, tmp_path):
    client.push("m", model_dir)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "weights.bin").symlink_to(victim)
    with pytest.raises(InvalidArgumentError):
        client.pull("m/1", dest)
    assert victim.read_text() == "keep me"


def test_pulling_unknown_version_writes_nothing(client, tmp_path):
    push_small(client, tmp_path, "m", "a")
    with pytest.raises(VersionNotFoundError):
        client.pull("m/2", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_services_fixture_is_shared_with_the_client(client, services: Services, tmp_path):
    push_small(client, tmp_path, "m", "a")
    assert services.registry.get_model("m").latest_version == 1


def test_corrupted_cache_entry_does_not_break_pulls_for_good(remote, model_dir, tmp_path):
    version = remote.push("m", model_dir)
    remote.pull("m/1", tmp_path / "first")
    weights = next(f for f in version.files if f.path == "weights.bin")
    corrupt(remote.cache.path(weights.digest))

    with contextlib.suppress(DigestMismatchError):  # detecting it once is fine ...
        remote.pull("m/1", tmp_path / "second")
    dest = remote.pull("m/1", tmp_path / "third")  # ... but a retry must succeed
    assert read_tree(dest) == read_tree(model_dir)
