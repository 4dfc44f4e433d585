"""A pytest plugin for the run of the MLflow end-to-end tests under another ``mlflow`` client
(``-p tests.e2e.mlflow2_report``): at the end it writes to ``$MODELREG_TEST_MLFLOW_REPORT`` which
client the tests imported and each test's outcome, for ``test_mlflow2_client.py`` to check."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

REPORT_ENV = "MODELREG_TEST_MLFLOW_REPORT"


def _reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    # A skip's longrepr is (path, line, "Skipped: <reason>").
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get(REPORT_ENV)
    if not target:
        return
    stats = session.config.pluginmanager.getplugin("terminalreporter").stats
    mlflow = sys.modules.get("mlflow")
    document = {
        "exitstatus": int(exitstatus),
        "mlflow_version": getattr(mlflow, "__version__", None),
        "mlflow_file": getattr(mlflow, "__file__", None),
        "passed": sorted(r.nodeid for r in stats.get("passed", []) if r.when == "call"),
        "failed": sorted(r.nodeid for r in stats.get("failed", [])),
        "errors": sorted(r.nodeid for r in stats.get("error", [])),
        "skipped": {r.nodeid: _reason(r) for r in stats.get("skipped", [])},
    }
    Path(target).write_text(json.dumps(document, indent=2))
