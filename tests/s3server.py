"""A real S3-protocol server for tests: ``moto_server`` on 127.0.0.1, one per xdist worker.

``MotoServer.start()`` runs it on a free port and waits (bounded) until it answers; a server that
cannot start fails the test run instead of skipping it. ``s3_server`` is the session fixture;
``new_bucket`` makes a fresh bucket so every test starts from an empty store.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from modelreg.domain.digests import Digest
from modelreg.hashing import DigestHasher

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
REGION = "us-east-1"
# moto accepts any credentials; boto3 needs some to sign with.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "modelreg-test",
    "AWS_SECRET_ACCESS_KEY": "modelreg-test-secret",
}


class MotoServerError(RuntimeError):
    pass


@dataclass
class MotoServer:
    """One ``moto_server`` process; ``endpoint_url`` is where clients reach it."""

    endpoint_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @classmethod
    def start(cls) -> MotoServer:
        executable = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
        if not Path(executable).exists():
            raise MotoServerError("moto_server is not installed (pip install 'moto[server]')")
        log_path = Path(tempfile.mkstemp(prefix="moto-", suffix=".log")[1])
        last_log = ""
        for _attempt in range(3):  # the free port may be taken before moto binds it
            port = _free_port()
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    [executable, "-H", "127.0.0.1", "-p", str(port)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, **CREDENTIALS, "PYTHONUNBUFFERED": "1"},
                )
            server = cls(f"http://127.0.0.1:{port}", process, log_path)
            if server._wait_ready():
                return server
            server.stop()
            last_log = log_path.read_text(errors="replace")
        raise MotoServerError(
            f"moto_server did not answer within {STARTUP_TIMEOUT:.0f} s:\n{last_log[-2000:]}"
        )

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        with httpx.Client(timeout=2.0) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    return False
                try:
                    http.get(f"{self.endpoint_url}/moto-api/")
                    return True
                except httpx.TransportError:
                    time.sleep(0.1)
        return False

    def client(self) -> S3Client:
        from modelreg.blobs.s3 import s3_client

        for name, value in CREDENTIALS.items():
            os.environ.setdefault(name, value)
        return s3_client(endpoint_url=self.endpoint_url, region=REGION)

    def new_bucket(self) -> str:
        name = f"test-{uuid.uuid4().hex[:20]}"
        self.client().create_bucket(Bucket=name)
        return name

    def env(self) -> dict[str, str]:
        """Variables that point a ``modelreg server`` process at this S3 server."""
        return {**CREDENTIALS, "AWS_ENDPOINT_URL_S3": self.endpoint_url, "AWS_REGION": REGION}

    def requests(self, bucket: str) -> list[str]:
        """The request lines moto logged for ``bucket``, e.g. ``PUT /bucket/key?... HTTP/1.1``;
        those of pre-signed URLs carry ``X-Amz-Signature=`` in their query."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return [line.split('"')[1] for line in lines if '"' in line and f" /{bucket}" in line]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[MotoServer]:
    """One moto_server per test session (so per xdist worker); fails when it cannot start."""
    try:
        server = MotoServer.start()
    except MotoServerError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        server.stop()
        server.log_path.unlink(missing_ok=True)


# Small enough that a few MiB go in several parts; S3 refuses smaller parts.
DIRECT_PART_SIZE = 5 * 1024 * 1024


@pytest.fixture
def s3_env(s3_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """Server processes started from here on reach moto through the standard AWS variables,
    with direct uploads in parts of ``DIRECT_PART_SIZE``."""
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MODELREG_DIRECT_PART_SIZE", str(DIRECT_PART_SIZE))
    return s3_server


def stored_object_digest(s3: MotoServer, bucket: str, key: str, algorithm: str) -> Digest:
    """The digest of the object ``key`` as stored, read back from the bucket."""
    body = s3.client().get_object(Bucket=bucket, Key=key)["Body"]
    hasher = DigestHasher(algorithm)
    for chunk in body.iter_chunks(1 << 20):
        hasher.update(chunk)
    return hasher.digest()
