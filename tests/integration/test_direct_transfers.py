"""Direct transfers with S3 storage (moto_server): the SDK pushes and pulls blob bytes straight
to and from the bucket, the server only signs URLs and verifies what arrived."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from modelreg import routes
from modelreg.client.client import Client
from modelreg.client.http import HttpTransport
from modelreg.domain.digests import Digest
from modelreg.domain.entities import FileEntry, VersionDraft
from modelreg.hashing import digest_file
from modelreg.server.app import create_app
from modelreg.settings import Settings
from modelreg.wiring import Services, open_services
from tests.factories import opaque_bytes
from tests.s3server import REGION, MotoServer

pytestmark = pytest.mark.s3

MiB = 1 << 20
PART = 5 * MiB


@pytest.fixture
def bucket(s3_server: MotoServer) -> str:
    return s3_server.new_bucket()


def s3_settings(
    tmp_path: Path, database_url: str, s3: MotoServer, bucket: str, **extra
) -> Settings:
    return Settings(
        home=tmp_path / "home",
        database_url=database_url,
        storage_url=f"s3://{bucket}/registry",
        s3_endpoint_url=s3.endpoint_url,
        s3_region=REGION,
        direct_part_size=PART,
        webhook_worker=False,
        **extra,
    )


@pytest.fixture
def s3_services(tmp_path, database_url, s3_server, bucket) -> Iterator[Services]:
    opened = open_services(s3_settings(tmp_path, database_url, s3_server, bucket))
    yield opened
    opened.close()


@pytest.fixture
def http(s3_services: Services) -> Iterator[TestClient]:
    app = create_app(services=s3_services)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def bucket_keys(s3: MotoServer, bucket: str) -> list[str]:
    found = s3.client().list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in found.get("Contents", []))


def open_multipart_uploads(s3: MotoServer, bucket: str) -> list[str]:
    found = s3.client().list_multipart_uploads(Bucket=bucket)
    return [upload["Key"] for upload in found.get("Uploads", [])]


def test_push_and_pull_go_straight_to_the_bucket(http, s3_server, bucket, tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"layers": 2}')
    # two parts, below the 8 MiB from which files go in chunks (test_s3_chunks.py)
    (model / "weights.bin").write_bytes(opaque_bytes(PART + 1234))
    sdk = Client(http_client=http, user="alice", cache_dir=tmp_path / "cache")

    version = sdk.push("direct-model", model)
    pulled = sdk.pull("direct-model/1", tmp_path / "pulled")

    assert isinstance(sdk.transport, HttpTransport)
    assert sdk.transport.direct.offered is True
    for name in ("config.json", "weights.bin"):
        assert (pulled / name).read_bytes() == (model / name).read_bytes()
    blob_keys = [k for k in bucket_keys(s3_server, bucket) if k.startswith("registry/blobs/")]
    assert len(blob_keys) == 2
    assert [k for k in bucket_keys(s3_server, bucket) if "/uploads/" in k] == []
    assert open_multipart_uploads(s3_server, bucket) == []

    weights = next(f for f in version.files if f.path == "weights.bin")
    answer = http.get(routes.url(routes.BLOB, digest=weights.digest), follow_redirects=False)
    assert answer.status_code == 307
    assert answer.headers["location"].startswith(s3_server.endpoint_url)
    assert answer.headers["cache-control"] == "no-store"
    head = http.head(routes.url(routes.BLOB, digest=weights.digest))
    assert head.status_code == 200
    assert head.headers["content-length"] == str(weights.size)
    tail = b"".join(sdk.transport.read_blob(weights.digest, offset=PART + 7))
    assert tail == (model / "weights.bin").read_bytes()[PART + 7 :]


def test_the_version_file_route_redirects_with_the_file_name(http, tmp_path):
    model = tmp_path / "model"
    (model / "sub").mkdir(parents=True)
    (model / "sub" / "tokenizer.txt").write_text("a b c\n")
    Client(http_client=http, user="alice", cache_dir=tmp_path / "cache").push("named", model)

    path = routes.url(routes.VERSION_FILE, name="named", version=1, path="sub/tokenizer.txt")
    answer = http.get(path, follow_redirects=False)

    assert answer.status_code == 307
    assert (
        "tokenizer.txt"
        in httpx.URL(answer.headers["location"]).params["response-content-disposition"]
    )
    assert httpx.get(answer.headers["location"]).content == b"a b c\n"


def start_session(http: TestClient, data: bytes) -> tuple[str, Digest]:
    digest = Digest("sha256", hashlib.sha256(data).hexdigest())
    transport = HttpTransport(client=http, user="mallory")
    draft = VersionDraft(files=(FileEntry("w.bin", len(data), digest),))
    return transport.start_upload("tampered", draft).id, digest


def test_bytes_that_do_not_match_the_declared_digest_are_refused(http, s3_server, bucket):
    declared = os.urandom(1000)
    upload_id, digest = start_session(http, declared)
    path = routes.url(routes.DIRECT_UPLOAD, upload_id=upload_id, digest=digest)

    started = http.post(path)
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["mode"] == "direct"
    assert body["part_count"] == 1
    sent = httpx.put(body["parts"][0]["url"], content=b"x" * 1000)  # same size, other bytes
    assert sent.status_code == 200
    ref = {"transfer_id": body["transfer_id"], "multipart_id": body["multipart_id"]}
    completed = http.post(f"{path}/complete", json={**ref, "parts": []})

    assert completed.status_code == 400
    assert completed.json()["error"]["code"] == "DIGEST_MISMATCH"
    assert bucket_keys(s3_server, bucket) == []
    commit = http.post(routes.url(routes.UPLOAD_COMMIT, upload_id=upload_id))
    assert commit.json()["error"]["code"] == "MISSING_BLOBS"


def test_a_blob_not_declared_in_the_session_is_refused(http):
    upload_id, _ = start_session(http, b"declared")
    other = Digest("sha256", hashlib.sha256(b"other").hexdigest())

    answer = http.post(routes.url(routes.DIRECT_UPLOAD, upload_id=upload_id, digest=other))

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "INVALID_ARGUMENT"


def test_more_part_urls_on_request(http):
    upload_id, digest = start_session(http, b"\0" * (2 * PART + 1))
    path = routes.url(routes.DIRECT_UPLOAD, upload_id=upload_id, digest=digest)
    body = http.post(path).json()
    ref = {"transfer_id": body["transfer_id"], "multipart_id": body["multipart_id"]}

    more = http.post(f"{path}/parts", json={**ref, "first": 2, "count": 50})
    aborted = http.post(f"{path}/abort", json=ref)

    assert body["part_count"] == 3
    assert [p["number"] for p in more.json()["parts"]] == [2, 3]
    assert aborted.status_code == 204


def test_without_direct_transfers_the_server_carries_the_bytes(
    tmp_path, database_url, s3_server, bucket
):
    settings = s3_settings(tmp_path, database_url, s3_server, bucket, direct_transfers=False)
    services = open_services(settings)
    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.bin").write_bytes(opaque_bytes(3 * MiB))
    try:
        with TestClient(create_app(services=services), raise_server_exceptions=False) as http:
            sdk = Client(http_client=http, user="alice", cache_dir=tmp_path / "cache")
            version = sdk.push("proxied", model)
            digest = version.files[0].digest
            answer = http.get(routes.url(routes.BLOB, digest=digest), follow_redirects=False)
            pulled = sdk.pull("proxied/1", tmp_path / "pulled")
    finally:
        services.close()

    assert isinstance(sdk.transport, HttpTransport)
    assert sdk.transport.direct.offered is False
    assert answer.status_code == 200
    assert (pulled / "weights.bin").read_bytes() == (model / "weights.bin").read_bytes()
    assert digest_file(pulled / "weights.bin", digest.algorithm)[0] == digest


def test_a_local_registry_asks_for_the_bytes_through_itself(client, tmp_path, model_dir):
    version = client.push("local-model", model_dir)

    assert client.pull("local-model/1", tmp_path / "out").is_dir()
    assert version.version == 1
    if isinstance(client.transport, HttpTransport):
        assert client.transport.direct.offered is False


class _Recorder(BaseHTTPRequestHandler):
    """A stand-in registry and object store on one real socket: the registry part redirects
    blob GETs to the store part, which records the headers it receives."""

    seen: list[dict[str, str]] = []  # noqa: RUF012 (one test at a time uses it)
    body = b"0123456789"

    def do_GET(self) -> None:
        if self.path.startswith("/api/"):
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/store/x")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        _Recorder.seen.append({k.lower(): v for k, v in self.headers.items()})
        start = int(self.headers.get("Range", "bytes=0-").removeprefix("bytes=").rstrip("-"))
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(self.body) - start))
        self.end_headers()
        self.wfile.write(self.body[start:])

    def log_message(self, *args: object) -> None:
        pass


def test_a_redirected_download_carries_no_registry_credentials():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.seen.clear()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        transport = HttpTransport(url, user="alice", token="mr_secret-token")  # noqa: S106
        digest = Digest("sha256", "0" * 64)
        whole = b"".join(transport.read_blob(digest))
        tail = b"".join(transport.read_blob(digest, offset=4))
        transport.close()
    finally:
        server.shutdown()
        server.server_close()

    assert whole == b"0123456789"
    assert tail == b"456789"
    assert len(_Recorder.seen) == 2
    for headers in _Recorder.seen:
        assert "authorization" not in headers
        assert routes.USER_HEADER.lower() not in headers
    assert _Recorder.seen[1]["range"] == "bytes=4-"
