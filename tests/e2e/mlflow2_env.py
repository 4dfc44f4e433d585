"""A virtualenv with a late MLflow 2 client, built once per machine and reused, for running the
MLflow end-to-end tests with it (``test_mlflow2_client.py``).

The virtualenv sees the test environment's packages (``--system-site-packages``: modelreg, pytest,
scikit-learn, numpy, pandas...) and holds only what ``mlflow-skinny==2.22.5`` needs beyond them or
in other versions, which pip picks from that release's own pins (protobuf < 7, packaging < 25,
cachetools < 6, importlib_metadata < 9); its ``mlflow`` package shadows the installed MLflow 3.

It lives in ``~/.cache/modelreg-tests`` (``MODELREG_TEST_CACHE`` overrides), in a folder named
after a digest of the interpreter and every installed distribution: a change to the test
environment gets a fresh virtualenv rather than one whose shadowing packages no longer fit. A
file lock makes concurrent xdist workers and test runs build it once, and a marker written last
tells a complete one from a build that was interrupted.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MLFLOW2_VERSION = "2.22.5"
REQUIREMENTS = (f"mlflow-skinny=={MLFLOW2_VERSION}",)
PIP_TIMEOUT = 900.0
_MARKER = "modelreg-ready.json"


def cache_root() -> Path:
    configured = os.environ.get("MODELREG_TEST_CACHE")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "modelreg-tests"


def environment_key() -> str:
    """What the virtualenv depends on: this interpreter, the requirements, and every
    distribution it inherits (name and version)."""
    inherited = sorted(
        f"{dist.metadata['Name']}=={dist.version}"
        for dist in importlib.metadata.distributions()
        if dist.metadata["Name"]
    )
    text = json.dumps([sys.version, sys.base_prefix, REQUIREMENTS, inherited])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def unavailable(reason: str) -> None:
    """No MLflow 2 client can be had: a failure under CI, a skip with the reason elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(
            f"the MLflow {MLFLOW2_VERSION} client is required in CI but {reason}", pytrace=False
        )
    pytest.skip(f"MLflow {MLFLOW2_VERSION} client not installable ({reason}); set CI=1 to fail")


@contextmanager
def mlflow2_python() -> Iterator[Path]:
    """The virtualenv's interpreter, building the virtualenv first if needed. The virtualenv
    stays while the block runs: a shared lock keeps other runs from pruning it."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    venv = root / f"mlflow-{MLFLOW2_VERSION}-{environment_key()}"
    python = venv / "bin" / "python"
    with (root / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        if not (venv / _MARKER).is_file():
            shutil.rmtree(venv, ignore_errors=True)  # an interrupted build
            _build(venv, python)
            _prune_siblings(root, keep=venv)
        fcntl.flock(lock, fcntl.LOCK_SH)  # complete: others may use it at the same time
        yield python


def _build(venv: Path, python: Path) -> None:
    # The inherited pip installs into the virtualenv: no pip of its own to bootstrap (~10 s).
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
        check=True,
        timeout=120,
    )
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *REQUIREMENTS],
        capture_output=True,
        text=True,
        env=env,
        timeout=PIP_TIMEOUT,
        check=False,
    )
    if install.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)
        _explain_install_failure(python, install.stdout + install.stderr, env)
    check = subprocess.run(
        [str(python), "-c", "import mlflow; print(mlflow.__version__)"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    found = check.stdout.strip().splitlines()[-1:] if check.returncode == 0 else []
    if found != [MLFLOW2_VERSION]:
        shutil.rmtree(venv, ignore_errors=True)
        pytest.fail(
            f"the virtualenv's mlflow is not {MLFLOW2_VERSION}: {check.stdout[-500:]}"
            f"{check.stderr[-3000:]}"
        )
    marker = venv / f"{_MARKER}.tmp"
    marker.write_text(json.dumps({"requirements": REQUIREMENTS, "python": sys.version}))
    marker.rename(venv / _MARKER)


def _explain_install_failure(python: Path, output: str, env: dict[str, str]) -> None:
    """Tell an unreachable package index (skip locally, fail in CI) from a broken install
    (always a failure) by asking pip's own configured index about the package."""
    probe = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", "mlflow-skinny"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if probe.returncode != 0 or MLFLOW2_VERSION not in probe.stdout:
        last = (probe.stderr.strip().splitlines() or ["no answer"])[-1]
        unavailable(f"the package index did not list it: {last[-500:]}")
    pytest.fail(f"pip could not install {' '.join(REQUIREMENTS)} into {python}:\n{output[-4000:]}")


def _prune_siblings(root: Path, keep: Path) -> None:
    """Virtualenvs built for earlier test environments are never used again; those a run is
    using (it holds their lock) are left for a later build to remove."""
    for stale in root.glob(f"mlflow-{MLFLOW2_VERSION}-*"):
        if stale == keep or not stale.is_dir():
            continue
        lock_path = stale.with_name(f"{stale.name}.lock")
        with lock_path.open("w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            shutil.rmtree(stale, ignore_errors=True)
            lock_path.unlink(missing_ok=True)
