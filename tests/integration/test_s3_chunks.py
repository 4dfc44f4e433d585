"""Chunked pushes on S3 storage with direct transfers (moto_server): big files are deduplicated
in chunks, and the chunk bytes go straight from the SDK to the bucket through pre-signed URLs of
staging keys; the server only lists, signs and verifies (docs/dedup.md, docs/storage-s3.md)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from modelreg import routes
from modelreg.client.chunking import cut_file
from modelreg.client.client import Client
from modelreg.client.http import HttpTransport
from modelreg.domain.digests import Digest
from modelreg.domain.entities import FileEntry, VersionDraft
from modelreg.hashing import digest_file
from modelreg.server.app import create_app
from modelreg.service.gc import GarbageCollector
from modelreg.wiring import Services, open_services
from tests.factories import opaque_bytes
from tests.integration.test_direct_transfers import bucket_keys, s3_settings
from tests.s3server import MotoServer

pytestmark = pytest.mark.s3

MiB = 1 << 20
PREFIX = "registry/"


class BodyCounter:
    """ASGI wrapper that counts the body bytes the registry app receives and sends."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.received = 0
        self.sent = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def counting_receive() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
            return message

        async def counting_send(message: Any) -> None:
            if message["type"] == "http.response.body":
                self.sent += len(message.get("body", b""))
            await send(message)

        await self.app(scope, counting_receive, counting_send)


@pytest.fixture
def bucket(s3_server: MotoServer) -> str:
    return s3_server.new_bucket()


@pytest.fixture
def s3_services(tmp_path, database_url, s3_server, bucket) -> Iterator[Services]:
    opened = open_services(s3_settings(tmp_path, database_url, s3_server, bucket))
    yield opened
    opened.close()


@pytest.fixture
def counter(s3_services: Services) -> BodyCounter:
    return BodyCounter(create_app(services=s3_services))


@pytest.fixture
def http(counter: BodyCounter) -> Iterator[TestClient]:
    with TestClient(counter, raise_server_exceptions=False) as test_client:  # type: ignore[arg-type]
        yield test_client


def sizes(s3: MotoServer, bucket: str, under: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for page in s3.client().get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            if item["Key"].startswith(PREFIX + under):
                found[item["Key"]] = item["Size"]
    return found


def test_versions_share_chunks_that_never_pass_through_the_server(
    http, counter, s3_server, bucket, tmp_path
):
    model = tmp_path / "model"
    model.mkdir()
    weights = model / "weights.bin"
    # seeded: where content-defined cuts fall, and so how much of v2 is new, depends on the
    # bytes; with os.urandom the bound below failed about one run in thirty (chunks up to 2 MiB)
    noise = random.Random(0)  # noqa: S311 (test bytes, not secrets)
    weights.write_bytes(noise.randbytes(24 * MiB))
    (model / "config.json").write_text('{"layers": 2}')
    sdk = Client(http_client=http, user="alice", cache_dir=tmp_path / "cache")

    v1 = sdk.push("dedup", model)
    after_v1 = sizes(s3_server, bucket, "chunks/")
    received_v1 = counter.received
    with weights.open("r+b") as handle:  # three regions of 96 KiB rewritten
        for offset in (1 * MiB, 11 * MiB, 20 * MiB):
            handle.seek(offset)
            handle.write(noise.randbytes(96 * 1024))
    v2 = sdk.push("dedup", model)
    after_v2 = sizes(s3_server, bucket, "chunks/")

    # v1: every chunk went to the bucket, none through the server (only JSON chunk lists)
    assert sum(after_v1.values()) == 24 * MiB
    assert received_v1 < 64 * 1024
    # v2: only the chunks around the rewritten regions were new, and sent
    new = {key: size for key, size in after_v2.items() if key not in after_v1}
    assert 0 < sum(new.values()) < 0.2 * 24 * MiB
    staged_puts = [
        line
        for line in s3_server.requests(bucket)
        if line.startswith("PUT ") and "/uploads/" in line and "/chunks/" in line
    ]
    assert all("X-Amz-Signature=" in line for line in staged_puts)
    assert len(staged_puts) == len(after_v1) + len(new)
    assert counter.received < 128 * 1024  # both pushes together
    # stored: whole-file blobs for neither version, one recipe each, no upload left behind
    everything = sizes(s3_server, bucket, "")
    assert len(sizes(s3_server, bucket, "recipes/")) == 2
    assert [key for key in everything if "/uploads/" in key] == []
    assert sum(everything.values()) < 1.3 * 24 * MiB
    # pulls are byte-identical, v1 included, and read the chunks from the bucket themselves
    sent_before_pulls = counter.sent
    pulled = sdk.pull("dedup/2", tmp_path / "pulled2")
    assert (pulled / "weights.bin").read_bytes() == weights.read_bytes()
    pulled = sdk.pull("dedup/1", tmp_path / "pulled1")
    first = next(f.digest for f in v1.files if f.path == "weights.bin")
    assert digest_file(pulled / "weights.bin", first.algorithm)[0] == first
    assert first != next(f.digest for f in v2.files if f.path == "weights.bin")
    assert counter.sent - sent_before_pulls < 512 * 1024  # manifests, not 48 MiB of chunks
    # a download resumed from an offset starts inside the right chunk
    tail = b"".join(sdk.transport.read_blob(first, offset=7 * MiB + 3))
    assert tail == (pulled / "weights.bin").read_bytes()[7 * MiB + 3 :]
    manifest = http.get(
        routes.url(routes.BLOB, digest=first), headers={"Accept": routes.CHUNK_MANIFEST_TYPE}
    )
    assert manifest.headers["content-type"] == routes.CHUNK_MANIFEST_TYPE
    assert manifest.headers["cache-control"] == "no-store"
    pieces = manifest.json()["pieces"]
    assert sum(piece["length"] for piece in pieces) == 24 * MiB
    assert all(piece["url"].startswith(s3_server.endpoint_url) for piece in pieces)
    # a client that does not ask for a manifest (curl, a browser) still gets the bytes
    plain = http.get(routes.url(routes.BLOB, digest=first), headers={"Range": "bytes=5-9"})
    assert plain.status_code == 206
    assert plain.content == (pulled / "weights.bin").read_bytes()[5:10]


def start_session(http: TestClient, path: Path) -> tuple[str, Digest]:
    digest, size = digest_file(path)
    transport = HttpTransport(client=http, user="alice")
    draft = VersionDraft(files=(FileEntry("w.bin", size, digest),))
    return transport.start_upload("tamper", draft).id, digest


@pytest.mark.parametrize("tamper", ["other-bytes", "shorter"])
def test_a_tampered_staged_chunk_is_refused_and_deleted(http, s3_server, bucket, tmp_path, tamper):
    source = tmp_path / "w.bin"
    source.write_bytes(opaque_bytes(9 * MiB))
    upload_id, digest = start_session(http, source)
    cut = cut_file(source)
    chunk_list = {"chunks": [{"digest": str(c.digest), "size": c.size} for _, c in cut]}
    alice = {routes.USER_HEADER: "alice"}
    base = routes.url(routes.UPLOAD_BLOB, upload_id=upload_id, digest=digest)
    missing = http.post(f"{base}/chunks", json=chunk_list, headers=alice).json()["missing"]
    assert len(missing) == len(cut)
    assert all(item["upload_url"].startswith(s3_server.endpoint_url) for item in missing)
    data = source.read_bytes()
    for index, (offset, chunk) in enumerate(cut):
        body = data[offset : offset + chunk.size]
        if index == 1:  # same size and other bytes (read and hashed), or refused unread
            body = bytes(reversed(body)) if tamper == "other-bytes" else body[:-1]
        assert httpx.put(missing[index]["upload_url"], content=body).status_code == 200

    assembled = http.post(f"{base}/assemble", json=chunk_list, headers=alice)

    assert assembled.status_code == 400
    assert assembled.json()["error"]["code"] == "DIGEST_MISMATCH"
    keys = bucket_keys(s3_server, bucket)
    assert not [key for key in keys if key.startswith((PREFIX + "recipes/", PREFIX + "blobs/"))]
    assert not [key for key in keys if key.endswith(cut[1][1].digest.hex)]  # bad one deleted
    commit = http.post(routes.url(routes.UPLOAD_COMMIT, upload_id=upload_id), headers=alice)
    assert commit.json()["error"]["code"] == "MISSING_BLOBS"
    # pushing that chunk again (as a new push would) completes the blob
    again = http.post(f"{base}/chunks", json=chunk_list, headers=alice).json()["missing"]
    assert [item["digest"] for item in again] == [str(cut[1][1].digest)]
    offset, chunk = cut[1]
    httpx.put(again[0]["upload_url"], content=data[offset : offset + chunk.size])
    assert http.post(f"{base}/assemble", json=chunk_list, headers=alice).status_code == 201


def test_staged_chunks_of_an_abandoned_push_are_collected(
    http, s3_services, s3_server, bucket, tmp_path
):
    source = tmp_path / "w.bin"
    source.write_bytes(opaque_bytes(9 * MiB))
    upload_id, digest = start_session(http, source)
    cut = cut_file(source)
    chunk_list = {"chunks": [{"digest": str(c.digest), "size": c.size} for _, c in cut]}
    base = routes.url(routes.UPLOAD_BLOB, upload_id=upload_id, digest=digest)
    alice = {routes.USER_HEADER: "alice"}
    missing = http.post(f"{base}/chunks", json=chunk_list, headers=alice).json()["missing"]
    offset, chunk = cut[0]
    with source.open("rb") as handle:
        handle.seek(offset)
        httpx.put(missing[0]["upload_url"], content=handle.read(chunk.size))
    staged = [key for key in bucket_keys(s3_server, bucket) if f"uploads/{upload_id}/" in key]
    assert staged == [
        f"{PREFIX}uploads/{upload_id}/chunks/{chunk.digest.algorithm}/{chunk.digest.hex}"
    ]

    # A real collection, run as if two hours had passed: the staged chunk is then abandoned.
    later = datetime.now(UTC) + timedelta(hours=2)
    collector = GarbageCollector(s3_services.metadata, s3_services.blobs, clock=lambda: later)
    report = collector.collect(grace=timedelta(0))

    assert report.uploads.objects >= 1
    assert [key for key in bucket_keys(s3_server, bucket) if "/uploads/" in key] == []


def test_without_direct_transfers_chunks_go_to_the_server(
    tmp_path, database_url, s3_server, bucket
):
    settings = s3_settings(tmp_path, database_url, s3_server, bucket, direct_transfers=False)
    services = open_services(settings)
    try:
        with TestClient(create_app(services=services)) as http:
            source = tmp_path / "w.bin"
            source.write_bytes(opaque_bytes(9 * MiB))
            upload_id, digest = start_session(http, source)
            cut = cut_file(source)
            chunk_list = {"chunks": [{"digest": str(c.digest), "size": c.size} for _, c in cut]}
            base = routes.url(routes.UPLOAD_BLOB, upload_id=upload_id, digest=digest)
            answer = http.post(
                f"{base}/chunks", json=chunk_list, headers={routes.USER_HEADER: "alice"}
            )
            urls = [item["upload_url"] for item in answer.json()["missing"]]
            assert urls
            assert all(url.startswith(f"{base}/chunks/") for url in urls)
    finally:
        services.close()
