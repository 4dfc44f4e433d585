"""The MLflow end-to-end tests, run again with a late MLflow 2 client.

The installed client is MLflow 3; MLflow 2 clients are still common, and they differ on the
wire (``runs/log-model`` instead of logged models, ``runs:/`` sources resolved by the client,
artifact URIs resolved against the global tracking URI). The same test files run here in a
child pytest under the interpreter of a cached virtualenv holding ``mlflow-skinny==2.22.5``
(``mlflow2_env.py``); tests of features MLflow 2 lacks are skipped there with a reason that
names the feature and the version that brought it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import clean_env
from tests.e2e.mlflow2_env import MLFLOW2_VERSION, mlflow2_python
from tests.e2e.mlflow2_report import REPORT_ENV
from tests.e2e.mlflow_target import EXPECTED_VERSION_ENV, TOO_OLD

pytestmark = [pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
SUITES = (
    "tests/e2e/test_mlflow_client.py",
    "tests/e2e/test_mlflow_datasets.py",
    "tests/e2e/test_mlflow_auth.py",
    "tests/e2e/test_mlflow_webhooks.py",
    "tests/e2e/test_mlflow_artifact_transfers.py",
)
# 39 pass with 2.22.5; far fewer means tests went missing (or none were collected).
MIN_PASSED = 36
RUN_TIMEOUT = 1200.0
# One process (no -n: the parent's xdist workers already share the cores), no cache writes into
# the checkout, and the plugin that reports the outcome.
CHILD_OPTIONS = ("-q", "-p", "no:cacheprovider", "-p", "tests.e2e.mlflow2_report")


def child_env(report: Path) -> dict[str, str]:
    # The child is a pytest session of its own, not part of this one's xdist run.
    inherited = {k: v for k, v in clean_env().items() if not k.startswith("PYTEST_")}
    return {**inherited, EXPECTED_VERSION_ENV: MLFLOW2_VERSION, REPORT_ENV: str(report)}


def test_the_mlflow_tests_pass_with_an_mlflow_2_client(tmp_path: Path):
    report = tmp_path / "report.json"
    with mlflow2_python() as python:
        done = subprocess.run(
            [str(python), "-m", "pytest", *SUITES, *CHILD_OPTIONS],
            capture_output=True,
            text=True,
            env=child_env(report),
            cwd=ROOT,
            timeout=RUN_TIMEOUT,
            check=False,
        )
    assert done.returncode == 0, f"{done.stdout[-12000:]}\n{done.stderr[-4000:]}"
    found = json.loads(report.read_text())
    assert found["mlflow_version"] == MLFLOW2_VERSION
    assert Path(found["mlflow_file"]).is_relative_to(python.parent.parent)
    assert (found["failed"], found["errors"]) == ([], [])
    assert len(found["passed"]) >= MIN_PASSED, found["passed"]
    # Only features the client predates may be skipped, each named.
    for nodeid, reason in found["skipped"].items():
        assert reason.startswith(TOO_OLD), f"{nodeid} skipped: {reason}"
    skipped = " ".join(found["skipped"].values())
    assert "logged models" in skipped
    assert "webhooks" in skipped
