"""The unmodified MLflow client against two ``modelreg server`` processes that share one
PostgreSQL database and one storage folder, as behind a load balancer: what one server
logged, the other registers and serves, and registrations made through both at once are
numbered once each, with no error (a 5xx would have the client retry for minutes)."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import RunningServer, ServerFactory
from tests.e2e.mlflow_target import MLFLOW_ENV, forget_client_sessions
from tests.factories import opaque_bytes

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import mlflow
    from mlflow import MlflowClient

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.filterwarnings("ignore")]

MODEL = "fraud-scorer"
WRITERS_PER_SERVER = 2
CREATES_PER_WRITER = 6


@pytest.fixture
def servers(
    postgres_database: str, server: ServerFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, RunningServer]]:
    for key, value in MLFLOW_ENV.items():
        monkeypatch.setenv(key, value)
    storage = str(tmp_path / "shared-storage")
    started = {
        label: server(
            tmp_path / f"home-{label}", database_url=postgres_database, storage_url=storage
        )
        for label in ("a", "b")
    }
    yield started
    forget_client_sessions()


def test_a_model_logged_through_one_server_is_registered_and_served_by_the_other(
    servers: dict[str, RunningServer], tmp_path: Path
) -> None:
    a, b = (MlflowClient(s.url, s.url) for s in servers.values())
    run = a.create_run(a.create_experiment("scale-out"))
    weights = opaque_bytes(300_000)
    (tmp_path / "weights.bin").write_bytes(weights)
    a.log_artifact(run.info.run_id, str(tmp_path / "weights.bin"), "model")
    source = f"runs:/{run.info.run_id}/model"
    b.create_registered_model(MODEL)

    failures: list[BaseException] = []
    created: dict[str, list[int]] = {}
    start = threading.Barrier(len(servers) * WRITERS_PER_SERVER)

    def register(label: str, writer: int) -> None:
        client = MlflowClient(servers[label].url, servers[label].url)
        numbers = created.setdefault(f"{label}{writer}", [])
        try:
            start.wait(timeout=60)
            for _ in range(CREATES_PER_WRITER):
                version = client.create_model_version(MODEL, source, run.info.run_id)
                assert version.status == "READY"
                numbers.append(int(version.version))
        except BaseException as error:  # reported below, with every other writer's
            failures.append(error)

    threads = [
        threading.Thread(target=register, args=(label, writer))
        for label in servers
        for writer in range(WRITERS_PER_SERVER)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a registration hung"
    assert failures == []

    total = len(servers) * WRITERS_PER_SERVER * CREATES_PER_WRITER
    numbers = sorted(n for per_writer in created.values() for n in per_writer)
    assert numbers == list(range(1, total + 1))  # each number handed out once, none skipped
    for per_writer in created.values():  # one writer's registrations in its own order
        assert per_writer == sorted(per_writer)

    # Both servers answer the same page, and each version's files are the logged ones.
    pages = {
        label: [
            (v.version, v.run_id, v.source, v.current_stage)
            for v in MlflowClient(s.url, s.url).search_model_versions(
                f"name = '{MODEL}'", max_results=100
            )
        ]
        for label, s in servers.items()
    }
    assert pages["a"] == pages["b"]
    assert sorted(int(version) for version, *_ in pages["a"]) == list(range(1, total + 1))

    a.set_registered_model_alias(MODEL, "champion", str(total))
    assert b.get_model_version_by_alias(MODEL, "champion").version == str(total)
    mlflow.set_tracking_uri(servers["b"].url)
    landed = mlflow.artifacts.download_artifacts(
        f"models:/{MODEL}@champion", dst_path=str(tmp_path / "pulled")
    )
    assert (Path(landed) / "weights.bin").read_bytes() == weights
