"""MLflow artifact transfers through a real ``modelreg server``: files larger than the server's
write and read batches, bodies cut into odd pieces, byte ranges, and an upload cut short.

The server hands uploads to a worker thread in batches while it receives the next ones, and
reads downloads ahead in batches (server/mlflow/artifacts.py); these tests cross every batch
boundary with sizes that are not multiples of anything the server uses.
"""

from __future__ import annotations

import socket
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from modelreg.hashing import digest_file
from tests.e2e.mlflow_target import MLFLOW_ENV, modelreg_server
from tests.factories import opaque_bytes

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import mlflow
    from mlflow import MlflowClient

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore")]

MiB = 1024 * 1024
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mlflow-transfers")


@pytest.fixture(scope="module")
def server_url(home: Path) -> Iterator[str]:
    with modelreg_server(home) as url:
        yield url


@pytest.fixture
def url(server_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for key, value in MLFLOW_ENV.items():
        monkeypatch.setenv(key, value)
    mlflow.set_tracking_uri(server_url)
    return server_url


def _content(size: int) -> bytes:
    return opaque_bytes(size)


def _run_root(url: str) -> tuple[str, str]:
    """A new run: its id and the artifact path of its root."""
    client = MlflowClient(tracking_uri=url)
    run = client.create_run(client.create_experiment(f"e-{uuid.uuid4().hex[:10]}"))
    return run.info.run_id, run.info.artifact_uri.removeprefix("mlflow-artifacts:/")


def _log_and_download(url: str, tmp_path: Path, name: str, size: int) -> tuple[Path, str, str]:
    """A file of ``size`` random bytes logged under a new run's ``model/`` with the client and
    downloaded again, checked equal; returns the file, the run id and its artifact root."""
    source = tmp_path / name
    source.write_bytes(_content(size))
    run_id, root = _run_root(url)
    MlflowClient(tracking_uri=url).log_artifact(run_id, str(source), "model")
    pulled = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path=f"model/{name}", dst_path=str(tmp_path / "pulled")
    )
    assert Path(pulled).read_bytes() == source.read_bytes()
    return source, run_id, root


def test_a_file_of_many_batches_round_trips_with_its_digest(url: str, tmp_path: Path):
    source, _, root = _log_and_download(url, tmp_path, "weights.bin", 9 * MiB + 12_345)
    digest, _ = digest_file(source)
    with httpx.stream("GET", f"{url}{ARTIFACTS}/{root}/model/weights.bin") as response:
        assert response.headers["x-modelreg-digest"] == str(digest)
        assert response.headers["content-length"] == str(9 * MiB + 12_345)


def test_a_body_sent_in_odd_pieces_is_stored_whole(url: str):
    content = _content(5 * MiB + 7)
    sizes = [1, 4095, 65_537, 3 * MiB + 1, 13]

    def pieces() -> Iterator[bytes]:  # chunked encoding: the server sees many small messages
        offset, turn = 0, 0
        while offset < len(content):
            size = sizes[turn % len(sizes)]
            yield content[offset : offset + size]
            offset, turn = offset + size, turn + 1

    _, root = _run_root(url)
    target = f"{url}{ARTIFACTS}/{root}/pieces.bin"
    assert httpx.put(target, content=pieces(), timeout=60).status_code == 200
    assert httpx.get(target, timeout=60).content == content


def test_byte_ranges(url: str):
    content = _content(6 * MiB + 3)
    _, root = _run_root(url)
    target = f"{url}{ARTIFACTS}/{root}/ranged.bin"
    assert httpx.put(target, content=content, timeout=60).status_code == 200

    def get(header: str) -> httpx.Response:
        return httpx.get(target, headers={"Range": header}, timeout=60)

    middle = get(f"bytes={MiB - 5}-{5 * MiB + 9}")
    assert middle.status_code == 206
    assert middle.content == content[MiB - 5 : 5 * MiB + 10]
    assert middle.headers["content-range"] == f"bytes {MiB - 5}-{5 * MiB + 9}/{len(content)}"
    assert get("bytes=-10").content == content[-10:]
    assert get(f"bytes={len(content) - 1}-").content == content[-1:]
    refused = get(f"bytes={len(content)}-")
    assert refused.status_code == 416
    assert refused.headers["content-range"] == f"bytes */{len(content)}"
    whole = get("lines=1-2")  # not a byte range: ignored, as RFC 9110 says
    assert (whole.status_code, whole.content) == (200, content)


def test_an_upload_cut_short_stores_nothing_and_leaves_no_partial_file(url: str, home: Path):
    _, root = _run_root(url)
    path = f"{ARTIFACTS}/{root}/cut.bin"
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port)) as sock:
        head = f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {10 * MiB}\r\n\r\n"
        sock.sendall(head.encode())
        sock.sendall(_content(5 * MiB + 1))  # more than one batch, less than declared

    assert httpx.get(f"{url}{path}").status_code == 404
    partial = home / "d" / "blobs" / ".partial"
    deadline = time.monotonic() + 30  # the server notices the closed connection on its own
    while any(partial.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(partial.iterdir()), "an aborted upload left its partial file behind"

    content = _content(MiB)  # the path is still free, and the server still serves
    assert httpx.put(f"{url}{path}", content=content, timeout=60).status_code == 200
    assert httpx.get(f"{url}{path}", timeout=60).content == content


def test_a_client_forcing_multipart_transfers_falls_back_to_whole_files(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """MLflow's documented setting for large artifacts asks for a multipart upload (and a
    pre-signed download) whatever ``server-info`` says; the client must fall back to plain
    transfers, not fail."""
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(MiB))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(MiB))
    monkeypatch.setenv("MLFLOW_MULTIPART_DOWNLOAD_MINIMUM_FILE_SIZE", str(MiB))
    _, run_id, root = _log_and_download(url, tmp_path, "large.bin", 3 * MiB + 5)

    refused = httpx.post(
        f"{url}/api/2.0/mlflow-artifacts/mpu/create/{root}/model",
        json={"path": "large.bin", "num_parts": 4},
    )
    assert refused.status_code == 400
    assert refused.json()["error_code"] == "NOT_IMPLEMENTED"
    assert refused.json()["message"].startswith(
        "Multipart upload is not supported for the current artifact repository"
    )
    listed = MlflowClient(tracking_uri=url).list_artifacts(run_id, "model")
    assert [(f.path, f.file_size) for f in listed] == [("model/large.bin", 3 * MiB + 5)]
