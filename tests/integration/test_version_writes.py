"""A write answers the version it wrote without reading it back (``insert_version``): what it
answers must be exactly what a later read answers, on SQLite and PostgreSQL, for a push and for
an MLflow registration; and the number of statements a registration costs stays put."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelreg.client.client import Client
from modelreg.domain.entities import Lineage
from modelreg.domain.errors import ModelNotFoundError, PolicyViolationError
from modelreg.domain.tracking import Metric
from modelreg.server.mlflow.deps import MlflowServices
from modelreg.wiring import Services
from tests.databases import recorded_statements
from tests.factories import write_model_dir

ALICE = "alice"


def test_a_push_answers_what_a_read_answers(client: Client, tmp_path: Path):
    folder = write_model_dir(
        tmp_path / "m", {"z.bin": b"z", "B/b.txt": b"b", "a.bin": b"a", "a/x.bin": b"x"}
    )
    first = client.push("m", folder)
    pushed = client.push(
        "m",
        folder,
        params={"zeta": "1", "Alpha": "2", "alpha": "3"},
        metrics={"zeta": 1, "beta": 0.25},  # an int is stored, and answered, as a float
        tags={"z": "last", "a": "first"},
        description="second",
        lineage=Lineage(
            source_commit="abc123",
            source_url="https://example.org/repo",
            datasets=("s3://b/train", "s3://b/eval"),
            parent_version=first.version,
            run_id="run-1",
            experiment_id="7",
        ),
    )
    read = client.get_version("m", pushed.version)
    assert pushed == read
    assert list(pushed.params) == ["Alpha", "alpha", "zeta"]
    assert [f.path for f in pushed.files] == ["B/b.txt", "a.bin", "a/x.bin", "z.bin"]
    assert pushed.metrics == {"beta": 0.25, "zeta": 1.0}
    assert isinstance(pushed.metrics["zeta"], float)


def test_an_mlflow_registration_answers_what_a_read_answers(services: Services):
    ms = MlflowServices.over(services)
    source = _run_source(ms)
    ms.registry.create_model("m", actor=ALICE)
    version, extras = ms.sources.register(
        "m", source, actor=ALICE, tags={"b": "2", "a": "1"}, run_link="link"
    )
    assert version == ms.registry.get_version("m", version.version)
    assert extras == ms.stages.extras_of([version])[("m", version.version)]
    assert ms.reads.version("m", version.version).extras.run_link == "link"


def test_registering_under_a_missing_model_writes_nothing(services: Services):
    ms = MlflowServices.over(services)
    source = _run_source(ms)
    with pytest.raises(ModelNotFoundError):
        ms.sources.register("absent", source, actor=ALICE)
    ms.registry.create_model("absent", actor=ALICE)
    version, _ = ms.sources.register("absent", source, actor=ALICE)
    assert version.version == 1


def test_the_model_read_under_the_lock_drives_the_policy(services: Services):
    """``lock_model_head`` gives the policy the model's owner and whether the version is its
    first live one, as the full read of the model did."""
    ms = MlflowServices.over(services)
    source = _run_source(ms)
    ms.registry.create_model("Bad_Name", actor=ALICE, owner="team-risk")
    services.policies.set_policy({"naming": {"pattern": "^[a-z-]+$"}}, actor="admin")
    with pytest.raises(PolicyViolationError, match="Bad_Name"):
        ms.sources.register("Bad_Name", source, actor=ALICE)  # its first version: name checked
    services.policies.set_policy({}, actor="admin")
    ms.sources.register("Bad_Name", source, actor=ALICE)
    services.policies.set_policy(
        {"naming": {"pattern": "^[a-z-]+$"}, "version": {"required": ["owner"]}}, actor="admin"
    )
    version, _ = ms.sources.register("Bad_Name", source, actor=ALICE)  # not the first: passes
    assert version.version == 2
    ms.registry.update_model("Bad_Name", actor=ALICE, owner="")
    with pytest.raises(PolicyViolationError, match="owner"):
        ms.sources.register("Bad_Name", source, actor=ALICE)


def test_a_registration_costs_a_fixed_number_of_statements(services: Services):
    ms = MlflowServices.over(services)
    source = _run_source(ms)
    ms.registry.create_model("m", actor=ALICE)
    ms.sources.register("m", source, actor=ALICE)
    with recorded_statements(services.metadata.engine) as seen:
        ms.sources.register("m", source, actor=ALICE)
    work = [s for s in seen if not s.upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT"))]
    # 16 on SQLite and PostgreSQL when this was written: 13 for the version (30 before the
    # write path stopped reading back), 2 for the run's params and metrics, 1 for its commit
    # and datasets. More means a read crept back onto the path of every registration.
    assert len(work) <= 16, "\n".join(work)


def test_a_registration_keeps_the_numbers_of_its_source(services: Services):
    """The run's params and latest metrics, a logged model's own, a copied version's: what
    modelreg can hold, searchable with modelreg's own grammar."""
    ms = MlflowServices.over(services)
    source = _run_source(ms)
    run_id = source.removeprefix("runs:/").split("/")[0]
    at = datetime(2026, 1, 1, tzinfo=UTC)
    ms.tracking.log_batch(
        run_id,
        params={"lr": "0.1"},
        metrics=[
            Metric("auc", 0.8, at, step=1),
            Metric("auc", 0.9, at, step=2),
            Metric("loss", math.nan, at),
        ],
    )
    ms.registry.create_model("m", actor=ALICE)
    version, _ = ms.sources.register("m", source, actor=ALICE)
    assert (dict(version.params), dict(version.metrics)) == ({"lr": "0.1"}, {"auc": 0.9})
    read = services.registry.get_version("m", version.version)
    assert (dict(read.params), dict(read.metrics)) == ({"lr": "0.1"}, {"auc": 0.9})
    found = services.registry.search_versions("metrics.auc > 0.85").items
    assert [(v.model_name, v.version) for v in found] == [("m", 1)]

    copied, _ = ms.sources.register("m", "models:/m/1", actor=ALICE)
    assert (dict(copied.params), dict(copied.metrics)) == ({"lr": "0.1"}, {"auc": 0.9})

    experiment = ms.tracking.get_run(run_id).info.experiment_id
    logged = ms.tracking.create_logged_model(
        experiment, name="gbm", source_run_id=run_id, params={"depth": "4"}
    )
    ms.tracking.log_batch(run_id, metrics=[Metric("acc", 0.7, at, model_id=logged.id)])
    root = logged.artifact_uri.removeprefix("mlflow-artifacts:/")
    ms.artifacts.upload(f"{root}/model.bin", [b"gbm"])
    by_model, _ = ms.sources.register("m", f"models:/{logged.id}", actor=ALICE)
    assert (dict(by_model.params), dict(by_model.metrics)) == ({"depth": "4"}, {"acc": 0.7})


def _run_source(ms: MlflowServices) -> str:
    experiment = ms.tracking.create_experiment("exp")
    run = ms.tracking.create_run(experiment.id, user_id="u")
    root = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    ms.artifacts.upload(f"{root}/model/weights.bin", [b"weights"])
    ms.artifacts.upload(f"{root}/model/MLmodel", [b"flavors: {}"])
    return f"runs:/{run.info.id}/model"
