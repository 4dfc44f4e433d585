"""A real ``modelreg server`` process for the tests that drive the unmodified ``mlflow`` client,
and the client settings they share."""

from __future__ import annotations

import gc
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.e2e.conftest import ENTRY, clean_env, free_port

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from mlflow.utils.request_utils import _cached_get_request_session

STARTUP_TIMEOUT = 60.0
MLFLOW_ENV = {
    # A 5xx must fail the test at once instead of being retried for minutes.
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
}


@contextmanager
def modelreg_server(home: Path, **env: str) -> Iterator[str]:
    """``modelreg server`` on a free port of 127.0.0.1 with ``env`` added; yields its URL."""
    port = free_port()
    log = (home / "server.log").open("wb")
    process = subprocess.Popen(
        [*ENTRY, "server", "--host", "127.0.0.1", "--port", str(port), "--home", str(home / "d")],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=clean_env(**env),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            assert process.poll() is None, (home / "server.log").read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "modelreg server did not start in time"
            time.sleep(0.1)
        yield url
    finally:
        process.kill()
        process.wait(timeout=10)
        log.close()
        # The client keeps pooled connections to the server in cached sessions; drop them now,
        # quietly, rather than as "unclosed socket" warnings when they are collected later.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _cached_get_request_session.cache_clear()
            gc.collect()
