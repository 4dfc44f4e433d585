"""A real ``modelreg server`` process for the tests that drive the unmodified ``mlflow`` client,
the client settings they share, and which client release they run with.

The same tests run with the installed MLflow 3 client and, through ``test_mlflow2_client.py``,
with a late MLflow 2 client in a virtualenv of its own. ``MODELREG_TEST_MLFLOW_VERSION`` names
the client such a run expects, so a run that imported another ``mlflow`` fails at collection
instead of testing the wrong client.
"""

from __future__ import annotations

import gc
import os
import subprocess
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from packaging.version import Version

from tests.e2e.conftest import ENTRY, clean_env, free_port

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import mlflow
    from mlflow.utils.request_utils import _cached_get_request_session

EXPECTED_VERSION_ENV = "MODELREG_TEST_MLFLOW_VERSION"
CLIENT_VERSION = Version(mlflow.__version__)
_expected = os.environ.get(EXPECTED_VERSION_ENV)
if _expected and Version(_expected) != CLIENT_VERSION:
    raise RuntimeError(
        f"{EXPECTED_VERSION_ENV}={_expected} but mlflow {mlflow.__version__} was imported "
        f"from {mlflow.__file__}"
    )
# The prefix of every skip reason for a client too old for a feature; the MLflow 2 run checks
# that nothing else was skipped.
TOO_OLD = "needs the MLflow client >="


def too_old(minimum: str, feature: str) -> str | None:
    """Why ``feature`` cannot be tested when the client under test predates it, else None."""
    if Version(minimum) <= CLIENT_VERSION:
        return None
    return f"{TOO_OLD} {minimum} for {feature}; this run uses mlflow {mlflow.__version__}"


def requires_mlflow(minimum: str, feature: str) -> pytest.MarkDecorator:
    """Skip, naming ``feature``, when the client under test predates it."""
    reason = too_old(minimum, feature)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


# MLflow 3.0 brought logged models (``models:/m-<id>``, ``log_model(name=...)``,
# ``get_logged_model``).
requires_logged_models = requires_mlflow("3.0", "logged models (models:/m-<id>)")


def log_model_target(path: str) -> dict[str, str]:
    """Where ``log_model`` puts a model: ``name=`` since MLflow 3.0 (``artifact_path=`` is
    deprecated there), ``artifact_path=`` before."""
    return {"name": path} if CLIENT_VERSION.major >= 3 else {"artifact_path": path}


STARTUP_TIMEOUT = 60.0
MLFLOW_ENV = {
    # A 5xx must fail the test at once instead of being retried for minutes.
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
}


def point_mlflow_at(url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The client settings above, and ``url`` as the tracking URI for clients and the fluent
    API alike; returns ``url``."""
    for key, value in MLFLOW_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    mlflow.set_tracking_uri(url)
    return url


@contextmanager
def modelreg_server(home: Path, extra_args: Sequence[str] = (), **env: str) -> Iterator[str]:
    """``modelreg server --home HOME/d EXTRA_ARGS`` on a free port of 127.0.0.1 with ``env``
    added, logging to ``HOME/server.log``; yields its URL."""
    port = free_port()
    log = (home / "server.log").open("wb")
    address = ["--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*ENTRY, "server", *address, "--home", str(home / "d"), *extra_args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=clean_env(**env),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(process, f"{url}/healthz", home / "server.log", STARTUP_TIMEOUT)
        yield url
    finally:
        process.kill()
        process.wait(timeout=10)
        log.close()
        forget_client_sessions()


def wait_until_healthy(
    process: subprocess.Popen[bytes], health: str, log: Path, timeout: float
) -> None:
    """Poll ``health`` until it answers 200; fails with the end of ``log`` if the server exits
    first, and after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            if httpx.get(health, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{health} did not answer within {timeout:.0f} s"
        time.sleep(0.1)


def forget_client_sessions() -> None:
    """The MLflow client keeps pooled connections to a server in cached sessions: drop them
    when that server stops, quietly, rather than as "unclosed socket" warnings later."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _cached_get_request_session.cache_clear()
        gc.collect()
