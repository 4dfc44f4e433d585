"""Two server processes sharing one PostgreSQL database and one storage folder, pushed to at the
same time: version numbers stay unique and gapless, and each server serves the other's pushes."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelreg import Client, ModelVersion
from tests.e2e.concurrent_pushes import push_concurrently
from tests.e2e.conftest import RunningServer, ServerFactory, tree_bytes, verified_blobs

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

MODEL = "shared-model"
PUSHES_PER_SERVER = 5


def _summary(version: ModelVersion) -> tuple[object, ...]:
    return (
        version.version,
        version.status.value,
        version.created_by,
        tuple(sorted(version.tags.items())),
        tuple((f.path, f.size, str(f.digest)) for f in version.files),
    )


def test_concurrent_pushes_through_two_servers(
    postgres_database: str, server: ServerFactory, tmp_path: Path
) -> None:
    storage = tmp_path / "shared-storage"
    servers: dict[str, RunningServer] = {
        "a": server(tmp_path / "home-a", database_url=postgres_database, storage_url=str(storage)),
        "b": server(tmp_path / "home-b", database_url=postgres_database, storage_url=str(storage)),
    }
    assert servers["a"].port != servers["b"].port

    run = push_concurrently(
        servers, MODEL, tmp_path, pushes_per_server=PUSHES_PER_SERVER, shared_size=256_000
    )
    pushed = run.pushed

    # version numbers 1..10, each handed out once
    numbers = sorted(v.version for versions in pushed.values() for v in versions)
    assert numbers == list(range(1, 2 * PUSHES_PER_SERVER + 1))
    for versions in pushed.values():  # one writer's pushes are numbered in its own order
        assert [v.version for v in versions] == sorted(v.version for v in versions)

    expected_folder = run.folder_of()
    listings = {}
    for label, running in servers.items():
        with Client(running.url, cache_dir=tmp_path / f"read-cache-{label}") as client:
            listed = client.list_versions(MODEL)
            listings[label] = [_summary(v) for v in listed]
            assert [v.version for v in listed] == list(range(2 * PUSHES_PER_SERVER, 0, -1))
            assert client.get_model(MODEL).latest_version == 2 * PUSHES_PER_SERVER
            for v in listed:
                writer = dict(v.tags)["writer"]
                assert v.created_by == f"writer-{writer}"
    assert listings["a"] == listings["b"]
    by_number = {v.version: _summary(v) for versions in pushed.values() for v in versions}
    assert sorted(by_number.items(), reverse=True) == [(s[0], s) for s in listings["a"]]

    # each version pulls back byte-identical through either server
    for label, running in servers.items():
        with Client(running.url, cache_dir=tmp_path / f"pull-cache-{label}") as client:
            for number, folder in sorted(expected_folder.items()):
                dest = client.pull(f"{MODEL}/{number}", tmp_path / f"pulled-{label}-{number}")
                assert tree_bytes(dest) == tree_bytes(folder), (label, number)

    # one shared blob plus one per push, each intact, in the one storage folder
    blobs = verified_blobs(storage / "blobs")
    assert len(blobs) == 1 + 2 * PUSHES_PER_SERVER
