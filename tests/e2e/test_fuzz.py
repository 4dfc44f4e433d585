"""Fuzz every operation of ``/openapi.json`` against a live ``modelreg server`` process.

Schemathesis generates requests from the schema (valid and invalid bodies, odd path and query
values); whatever it sends, the server must answer with a 4xx or a success, never a 5xx, and
must not log an unhandled exception. The number of examples per operation is bounded so the
whole run stays within a few minutes on two cores. Runs on SQLite and on PostgreSQL, whose
column types refuse different values (an id beyond int4, a NUL in text).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.core.result import Ok

from modelreg import Client
from tests.e2e.conftest import ServerFactory

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("MODELREG_FUZZ_EXAMPLES", "10"))
# Signs of an exception that escaped a handler, in uvicorn's or Starlette's words.
CRASH_MARKERS = ("Traceback (most recent call last)", "Exception in ASGI application")


def seed(url: str, model_dir: Path, cache: Path) -> None:
    """Something for generated requests to find: a model with two versions and an alias."""
    with Client(url, user="fuzz", cache_dir=cache) as client:
        client.push("fuzz", model_dir, metrics={"auc": 0.9}, alias="candidate")
        client.push("fuzz", model_dir, params={"lr": 0.1})


def test_no_operation_answers_5xx_or_crashes(
    server: ServerFactory, database_url: str, model_dir: Path, tmp_path: Path
) -> None:
    running = server(database_url=database_url)
    seed(running.url, model_dir, tmp_path / "cache")
    schema = schemathesis.openapi.from_url(f"{running.url}/openapi.json")
    session = requests.Session()
    session.headers["X-Modelreg-User"] = "fuzzer"
    failures: list[str] = []
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the schema itself must be valid
        operations.append(result.ok())
    assert len(operations) > 50  # the whole API, not an empty schema

    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,  # the same requests every run: a failure is reproducible
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(data=st.data())
        def exercise(data: st.DataObject) -> None:
            case = data.draw(operation.as_strategy())  # noqa: B023 - used at once, in the loop
            try:
                response = case.call(base_url=running.url, session=session, timeout=30)
            except requests.RequestException as error:
                failures.append(f"{case.method} {case.formatted_path}: no answer ({error})")
                return
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} query={case.query} -> "
                    f"{response.status_code}: {response.text[:200]}"
                )

        exercise()

    assert running.alive(), running.log_text()[-4000:]
    log = running.log_text()
    crashes = [marker for marker in CRASH_MARKERS if marker in log]
    assert failures == [], "\n".join(failures[:30])
    assert crashes == [], log[-6000:]
