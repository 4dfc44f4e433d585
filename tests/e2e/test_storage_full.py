"""A server whose storage cannot take an upload answers at once that it is full, keeps nothing
of it, and goes on serving.

The server runs under a file-size limit (``RLIMIT_FSIZE``, as ``ulimit -f`` or a container
sets it), so a file it writes cannot grow past ``LIMIT``: the operating system refuses the
write (EFBIG) as a full disk refuses it (ENOSPC), with no privileges needed to set it up.
"""

from __future__ import annotations

import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from modelreg.hashing import digest_file
from tests.e2e.conftest import clean_env, free_port
from tests.e2e.mlflow_target import (
    MLFLOW_ENV,
    forget_client_sessions,
    point_mlflow_at,
    wait_until_healthy,
)
from tests.factories import opaque_bytes

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from mlflow import MlflowClient
    from requests.exceptions import HTTPError

pytestmark = [pytest.mark.e2e, pytest.mark.filterwarnings("ignore")]

MiB = 1024 * 1024
LIMIT = 8 * MiB


# The server's command line: the limit is set in the server's own process before modelreg
# starts (a ``preexec_fn`` is not safe in a test process that runs threads). SIGXFSZ would
# kill the server at the limit; ignored, the write fails with EFBIG instead.
LIMITED_ENTRY = [
    sys.executable,
    "-c",
    "import resource, signal, sys\n"
    "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
    f"resource.setrlimit(resource.RLIMIT_FSIZE, ({LIMIT}, {LIMIT}))\n"
    "from modelreg.cli.main import main\n"
    "sys.argv[0] = 'modelreg'\n"
    "main()",
]


@pytest.fixture
def limited_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    home = tmp_path / "home"
    port = free_port()
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [*LIMITED_ENTRY, "server", "--host", "127.0.0.1", "--port", str(port), "--home", str(home)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=clean_env(),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(process, f"{url}/healthz", tmp_path / "server.log", 60)
        point_mlflow_at(url, monkeypatch)
        yield url, home
    finally:
        process.kill()
        process.wait(timeout=10)
        log.close()
        forget_client_sessions()


def test_an_mlflow_upload_past_the_storage_limit_fails_at_once_and_keeps_nothing(
    limited_server: tuple[str, Path], tmp_path: Path
) -> None:
    url, home = limited_server
    assert MLFLOW_ENV["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "0"  # a retry would hide the answer
    client = MlflowClient(url, url)
    run_id = client.create_run(client.create_experiment("full")).info.run_id
    big = tmp_path / "big.bin"
    big.write_bytes(opaque_bytes(LIMIT + 4 * MiB))

    began = time.monotonic()
    with pytest.raises(HTTPError) as excinfo:  # what the client's artifact upload raises
        client.log_artifact(run_id, str(big), "model")
    assert time.monotonic() - began < 30  # answered, not retried or left hanging
    assert excinfo.value.response.status_code == 507
    assert excinfo.value.response.json() == {
        "error_code": "RESOURCE_EXHAUSTED",
        "message": "the registry's blob storage has no room left; nothing of this upload was "
        "kept (File too large)",
    }

    # The same through plain HTTP: 507, which the MLflow client does not retry.
    answer = httpx.put(
        f"{url}/api/2.0/mlflow-artifacts/artifacts/0/{run_id}/artifacts/raw.bin",
        content=big.read_bytes(),
        timeout=60,
    )
    assert answer.status_code == 507
    assert answer.json()["error_code"] == "RESOURCE_EXHAUSTED"

    # Nothing of either upload is listed or left on disk, and the server goes on.
    assert client.list_artifacts(run_id) == []
    assert list((home / "blobs" / ".partial").iterdir()) == []
    small = tmp_path / "small.bin"
    small.write_bytes(opaque_bytes(100_000))
    client.log_artifact(run_id, str(small), "model")
    assert [a.path for a in client.list_artifacts(run_id, "model")] == ["model/small.bin"]


def test_a_native_blob_upload_past_the_storage_limit_is_storage_full(
    limited_server: tuple[str, Path], tmp_path: Path
) -> None:
    url, home = limited_server
    weights = tmp_path / "weights.bin"
    weights.write_bytes(opaque_bytes(LIMIT + MiB))
    digest, size = digest_file(weights)
    with httpx.Client(base_url=url, timeout=60) as http:
        assert http.post("/api/v1/models", json={"name": "too-big"}).status_code == 201
        upload = http.post(
            "/api/v1/models/too-big/uploads",
            json={"files": [{"path": "weights.bin", "size": size, "digest": str(digest)}]},
        )
        assert upload.status_code == 201, upload.text
        answer = http.put(
            f"/api/v1/uploads/{upload.json()['upload_id']}/blobs/{digest}",
            content=weights.read_bytes(),
        )
        assert answer.status_code == 507, answer.text
        assert answer.json()["error"]["code"] == "STORAGE_FULL"
        committed = http.post(f"/api/v1/uploads/{upload.json()['upload_id']}/commit")
        assert committed.json()["error"]["code"] == "MISSING_BLOBS"
        assert http.get("/api/v1/models/too-big/versions").json()["items"] == []
    assert list((home / "blobs" / ".partial").iterdir()) == []
