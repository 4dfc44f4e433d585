"""Numbers a run logs after a version was registered from it (``service/late_numbers.py``), on
SQLite and PostgreSQL: added to the version when the run ends, never changing what it holds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from modelreg.client.client import Client
from modelreg.client.embedded import EmbeddedTransport
from modelreg.domain.access import Principal, Role, open_principal
from modelreg.domain.entities import Event, Lineage
from modelreg.domain.permissions import Subject, SubjectKind
from modelreg.domain.tracking import Metric, RunStatus
from modelreg.server.mlflow.deps import MlflowServices
from modelreg.service.late_numbers import NUMBERS_ADDED
from modelreg.wiring import Services
from tests.factories import write_model_dir

ACTOR = "alice"
AT = datetime(2026, 11, 28, tzinfo=UTC)


@pytest.fixture
def ms(services: Services) -> MlflowServices:
    return MlflowServices.over(services)


def new_run(ms: MlflowServices) -> str:
    experiment_id = ms.tracking.create_experiment(f"exp-{uuid.uuid4()}").id
    run = ms.tracking.create_run(experiment_id, user_id="u")
    root = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    ms.artifacts.upload(f"{root}/model/MLmodel", [b"flavors: {}\n"])
    return run.info.id


def metric(key: str, value: float, step: int = 0, model_id: str | None = None) -> Metric:
    return Metric(key, value, AT, step=step, model_id=model_id)


def additions(ms: MlflowServices, name: str) -> list[Event]:
    events = ms.registry.list_events(name).items
    return [event for event in events if event.action == NUMBERS_ADDED]


def test_a_version_registered_during_its_run_takes_the_numbers_logged_after_it(
    ms: MlflowServices,
):
    run_id = new_run(ms)
    ms.tracking.log_batch(run_id, params={"lr": "0.1"}, metrics=[metric("loss", 0.9)])
    ms.registry.create_model("credit", actor=ACTOR)
    registered, _ = ms.sources.register("credit", f"runs:/{run_id}/model", actor=ACTOR)
    assert (dict(registered.params), dict(registered.metrics)) == ({"lr": "0.1"}, {"loss": 0.9})

    ms.tracking.log_batch(
        run_id,
        params={"epochs": "3"},
        metrics=[metric("loss", 0.2, step=3), metric("auc", 0.8), metric("auc", 0.85, step=1)],
    )
    ms.tracking.update_run(run_id, status=RunStatus.FINISHED, by=open_principal("trainer"))

    version = ms.registry.get_version("credit", registered.version)
    # New keys take the run's latest values; a key the version held keeps its value.
    assert dict(version.params) == {"epochs": "3", "lr": "0.1"}
    assert dict(version.metrics) == {"auc": 0.85, "loss": 0.9}
    assert version.updated_at > registered.updated_at
    [event] = additions(ms, "credit")
    assert (event.actor, event.version) == ("trainer", registered.version)
    assert event.details == {
        "run_id": run_id,
        "params": {"epochs": "3"},
        "metrics": {"auc": 0.85},
    }


def test_a_logged_model_version_takes_the_model_metrics_when_its_run_ends(ms: MlflowServices):
    """Autolog's order: log the model, register it, then log its metrics against it."""
    run_id = new_run(ms)
    experiment_id = ms.tracking.get_run(run_id).info.experiment_id
    logged = ms.tracking.create_logged_model(experiment_id, name="lm", source_run_id=run_id)
    root = logged.artifact_uri.removeprefix("mlflow-artifacts:/")
    ms.artifacts.upload(f"{root}/MLmodel", [b"flavors: {}\n"])
    ms.registry.create_model("credit", actor=ACTOR)
    registered, _ = ms.sources.register(
        "credit", f"models:/{logged.id}", actor=ACTOR, run_id=run_id
    )
    assert dict(registered.metrics) == {}

    ms.tracking.log_batch(
        run_id,
        metrics=[metric("training_score", 0.97, model_id=logged.id), metric("run_only", 1.0)],
    )
    ms.tracking.update_run(run_id, status=RunStatus.FINISHED)
    version = ms.registry.get_version("credit", registered.version)
    assert dict(version.metrics) == {"training_score": 0.97}


def test_only_versions_registered_from_that_run_are_completed_and_only_once(
    ms: MlflowServices, services: Services, tmp_path: Path
):
    run_id, other_run = new_run(ms), new_run(ms)
    ms.registry.create_model("credit", actor=ACTOR)
    from_run, _ = ms.sources.register("credit", f"runs:/{run_id}/model", actor=ACTOR)
    from_other, _ = ms.sources.register("credit", f"runs:/{other_run}/model", actor=ACTOR)
    copied, _ = ms.sources.register("credit", f"models:/credit/{from_run.version}", actor=ACTOR)
    # A push that names the run in its lineage holds the numbers it was pushed with.
    sdk = Client(transport=EmbeddedTransport(services, user=ACTOR), cache_dir=tmp_path / "c")
    folder = write_model_dir(tmp_path / "m", {"w.bin": b"w"})
    pushed = sdk.push("credit", folder, lineage=Lineage(run_id=run_id))

    ms.tracking.log_batch(run_id, metrics=[metric("auc", 0.7)])
    ms.tracking.update_run(run_id, status=RunStatus.FINISHED)
    ms.tracking.log_batch(run_id, metrics=[metric("late", 1.0)])
    ms.tracking.update_run(run_id, status=RunStatus.FINISHED)  # ended already: nothing more

    def metrics_of(version: int) -> dict[str, float]:
        return dict(ms.registry.get_version("credit", version).metrics)

    assert metrics_of(from_run.version) == {"auc": 0.7}
    assert metrics_of(from_other.version) == {}
    assert metrics_of(copied.version) == {}
    assert metrics_of(pushed.version) == {}
    assert len(additions(ms, "credit")) == 1


def test_a_failed_run_completes_its_versions_too(ms: MlflowServices):
    run_id = new_run(ms)
    ms.registry.create_model("credit", actor=ACTOR)
    registered, _ = ms.sources.register("credit", f"runs:/{run_id}/model", actor=ACTOR)
    ms.tracking.log_batch(run_id, metrics=[metric("loss", 3.5)])
    ms.tracking.update_run(run_id, status=RunStatus.FAILED)
    assert dict(ms.registry.get_version("credit", registered.version).metrics) == {"loss": 3.5}


def test_a_client_clock_ahead_of_the_server_does_not_hide_the_version(ms: MlflowServices):
    experiment_id = ms.tracking.create_experiment(f"exp-{uuid.uuid4()}").id
    ahead = datetime.now(UTC) + timedelta(hours=2)
    run = ms.tracking.create_run(experiment_id, user_id="u", start_time=ahead)
    root = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    ms.artifacts.upload(f"{root}/model/MLmodel", [b"flavors: {}\n"])
    ms.registry.create_model("credit", actor=ACTOR)
    registered, _ = ms.sources.register("credit", f"runs:/{run.info.id}/model", actor=ACTOR)
    assert registered.created_at < ahead

    ms.tracking.log_batch(run.info.id, metrics=[metric("auc", 0.6)])
    ms.tracking.update_run(run.info.id, status=RunStatus.FINISHED)
    assert dict(ms.registry.get_version("credit", registered.version).metrics) == {"auc": 0.6}


@pytest.mark.parametrize(
    ("role", "completed"), [(None, False), (Role.READER, False), (Role.WRITER, True)]
)
def test_only_who_may_update_the_model_completes_its_versions(
    ms: MlflowServices, services: Services, role: Role | None, completed: bool
):
    """With authentication on, ending a run completes a version only for a caller who could
    have set its numbers: a writer on the model. Other callers still end their run."""
    run_id = new_run(ms)
    ms.registry.create_model("credit", actor=ACTOR)
    registered, _ = ms.sources.register("credit", f"runs:/{run_id}/model", actor=ACTOR)
    if role is not None:
        services.access.grant("credit", Subject(SubjectKind.USER, "trainer"), role, actor=ACTOR)
    ms.tracking.log_batch(run_id, metrics=[metric("auc", 0.8)])

    info = ms.tracking.update_run(run_id, status=RunStatus.FINISHED, by=Principal("trainer"))

    assert info.status is RunStatus.FINISHED
    metrics = dict(ms.registry.get_version("credit", registered.version).metrics)
    assert metrics == ({"auc": 0.8} if completed else {})
    assert [event.actor for event in additions(ms, "credit")] == (["trainer"] if completed else [])
