"""Scale-out on S3: two server processes share one PostgreSQL database and one bucket, pushed to
at the same time. Version numbers stay unique and gapless, each server serves the other's pushes,
and every blob is stored once in the bucket, intact."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelreg import Client
from modelreg.blobs.layout import parse_blob_key
from tests.e2e.concurrent_pushes import push_concurrently
from tests.e2e.conftest import RunningServer, ServerFactory, tree_bytes
from tests.s3server import MotoServer, stored_object_digest

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.s3]

MODEL = "shared-s3-model"
PREFIX = "registry"
PUSHES_PER_SERVER = 3


def test_concurrent_pushes_through_two_servers_on_one_bucket(
    postgres_database: str, s3_env: MotoServer, server: ServerFactory, tmp_path: Path
) -> None:
    bucket = s3_env.new_bucket()
    storage_url = f"s3://{bucket}/{PREFIX}"
    servers: dict[str, RunningServer] = {
        label: server(
            tmp_path / f"home-{label}", database_url=postgres_database, storage_url=storage_url
        )
        for label in ("a", "b")
    }

    run = push_concurrently(
        servers, MODEL, tmp_path, pushes_per_server=PUSHES_PER_SERVER, shared_size=300_000
    )
    pushed = run.pushed

    total = 2 * PUSHES_PER_SERVER
    numbers = sorted(v.version for versions in pushed.values() for v in versions)
    assert numbers == list(range(1, total + 1))

    expected_folder = run.folder_of()
    listings = []
    for label, running in servers.items():
        with Client(running.url, cache_dir=tmp_path / f"pull-cache-{label}") as client:
            listed = client.list_versions(MODEL)
            assert [v.version for v in listed] == list(range(total, 0, -1))
            listings.append([(v.version, v.files) for v in listed])
            for number, folder in sorted(expected_folder.items()):
                dest = client.pull(f"{MODEL}/{number}", tmp_path / f"pulled-{label}-{number}")
                assert tree_bytes(dest) == tree_bytes(folder), (label, number)
    assert listings[0] == listings[1]

    # one shared blob plus one per push, each intact; no upload left behind
    s3 = s3_env.client()
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
    ]
    blob_keys = [k for k in keys if k.startswith(f"{PREFIX}/blobs/")]
    assert sorted(keys) == sorted(blob_keys), "something besides blobs is left in the bucket"
    assert len(blob_keys) == 1 + total
    for key in blob_keys:
        digest = parse_blob_key(key.removeprefix(f"{PREFIX}/"))
        assert digest is not None, key
        assert stored_object_digest(s3_env, bucket, key, digest.algorithm) == digest
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
