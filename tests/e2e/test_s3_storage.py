"""A real ``modelreg server`` on S3 storage (moto_server): pushes and pulls through the SDK and
the CLI move blob bytes straight between the client and the bucket, byte-identical."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from modelreg import Client, routes
from modelreg.blobs.layout import blob_key
from modelreg.client.http import HttpTransport
from modelreg.domain.digests import Digest
from modelreg.domain.entities import FileEntry, VersionDraft
from tests.e2e.conftest import (
    MiB,
    ServerFactory,
    clean_env,
    run_cli,
    tree_bytes,
    write_incompressible_file,
)
from tests.s3server import DIRECT_PART_SIZE, MotoServer, stored_object_digest

pytestmark = [pytest.mark.e2e, pytest.mark.s3]

PREFIX = "registry"
PART = DIRECT_PART_SIZE


def test_push_and_pull_through_s3_go_direct(
    s3_env: MotoServer, server: ServerFactory, tmp_path: Path
) -> None:
    bucket = s3_env.new_bucket()
    running = server(storage_url=f"s3://{bucket}/{PREFIX}")
    model = tmp_path / "model"
    (model / "sub").mkdir(parents=True)
    (model / "config.json").write_text('{"layers": 4}')
    (model / "sub" / "vocab.txt").write_text("a\nb\nc\n")
    # two parts, below the 8 MiB from which files go in chunks (test_s3_dedup.py)
    write_incompressible_file(model / "weights.bin", PART + 3 * MiB // 2)

    with Client(running.url, cache_dir=tmp_path / "cache", user="alice") as client:
        version = client.push("s3-model", model)
        assert isinstance(client.transport, HttpTransport)
        assert client.transport.direct.offered is True
    env = clean_env(MODELREG_CACHE=str(tmp_path / "cli-cache"))
    run_cli("--registry", running.url, "pull", "s3-model/1", tmp_path / "pulled", env=env).ok()

    assert tree_bytes(tmp_path / "pulled") == tree_bytes(model)
    # every file is one object under its blob key, holding exactly its content
    keys = {item["Key"] for item in s3_env.client().list_objects_v2(Bucket=bucket)["Contents"]}
    expected = {f"{PREFIX}/{blob_key(entry.digest)}" for entry in version.files}
    assert keys == expected
    for entry in version.files:
        key = f"{PREFIX}/{blob_key(entry.digest)}"
        assert stored_object_digest(s3_env, bucket, key, entry.digest.algorithm) == entry.digest
    # the bytes went straight between the clients and moto, through pre-signed URLs
    presigned = [line for line in s3_env.requests(bucket) if "X-Amz-Signature=" in line]
    part_puts = [line for line in presigned if line.startswith("PUT ") and "partNumber=" in line]
    assert len(part_puts) == 2  # weights.bin in two parts
    assert sum(line.startswith("PUT ") for line in presigned) == 2 + 2  # + two single PUTs
    assert sum(line.startswith("GET ") for line in presigned) == 3  # the CLI's pull
    weights = next(entry for entry in version.files if entry.path == "weights.bin")
    answer = httpx.get(
        running.url + routes.url(routes.BLOB, digest=weights.digest), follow_redirects=False
    )
    assert answer.status_code == 307
    assert answer.headers["location"].startswith(s3_env.endpoint_url)


def test_a_push_of_bytes_that_do_not_match_stores_nothing(
    s3_env: MotoServer, server: ServerFactory, tmp_path: Path
) -> None:
    bucket = s3_env.new_bucket()
    running = server(storage_url=f"s3://{bucket}/{PREFIX}")
    declared = b"the declared content"
    digest = Digest("sha256", hashlib.sha256(declared).hexdigest())
    draft = VersionDraft(files=(FileEntry("w.bin", len(declared), digest),))
    with httpx.Client(base_url=running.url) as http:
        session = HttpTransport(client=http, user="mallory").start_upload("m", draft)
        path = routes.url(routes.DIRECT_UPLOAD, upload_id=session.id, digest=digest)
        started = http.post(path).json()
        httpx.put(started["parts"][0]["url"], content=b"X" * len(declared)).raise_for_status()
        ref = {"transfer_id": started["transfer_id"], "multipart_id": started["multipart_id"]}
        completed = http.post(f"{path}/complete", json={**ref, "parts": []})

    assert completed.status_code == 400
    assert completed.json()["error"]["code"] == "DIGEST_MISMATCH"
    assert s3_env.client().list_objects_v2(Bucket=bucket).get("Contents", []) == []


def test_a_missing_bucket_stops_the_server_with_one_clear_error(
    s3_env: MotoServer, tmp_path: Path
) -> None:
    result = run_cli(
        "server", "--home", tmp_path / "home", "--storage-url", "s3://no-such-bucket/x"
    )

    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: S3 bucket 'no-such-bucket' does not exist at {s3_env.endpoint_url}; "
        "create it first"
    ]
