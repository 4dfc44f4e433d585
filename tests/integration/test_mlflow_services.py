"""The use cases behind the MLflow API (tracking, artifacts, stages, registration from sources,
rename) on SQLite and PostgreSQL, through the same services the server builds."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from modelreg.domain.entities import Lineage
from modelreg.domain.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidArgumentError,
    ModelNotFoundError,
    NotFoundError,
    PermissionDeniedError,
)
from modelreg.domain.tracking import (
    LifecycleStage,
    LoggedModelStatus,
    Metric,
    ModelOutput,
    Stage,
)
from modelreg.server.mlflow.deps import MlflowServices
from modelreg.server.mlflow.tracking_filters import logged_model_search
from modelreg.wiring import Services
from tests.factories import make_draft

ACTOR = "tester"


@pytest.fixture
def ms(services: Services) -> MlflowServices:
    return MlflowServices.over(services)


def _run_with_files(ms: MlflowServices, files: dict[str, bytes]) -> str:
    experiment = ms.tracking.create_experiment("exp")
    run = ms.tracking.create_run(experiment.id, user_id="u")
    root = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    for path, content in files.items():
        ms.artifacts.upload(f"{root}/{path}", [content[:3], content[3:]])
    return run.info.id


def test_artifacts_are_indexed_blobs_listed_like_folders(ms: MlflowServices):
    ms.artifacts.upload("1/run/artifacts/model/MLmodel", [b"flavors: {}\n"])
    ms.artifacts.upload("1/run/artifacts/model/data/weights.bin", [b"abc", b"def"])
    listing = ms.artifacts.list_folder("1/run/artifacts/model")
    assert [(c.name, c.is_dir, c.size) for c in listing] == [
        ("MLmodel", False, 12),
        ("data", True, None),
    ]
    assert ms.artifacts.list_folder("1/run/artifacts/model/MLmodel") == []  # a file lists as empty
    assert ms.artifacts.list_folder("nothing/here") == []
    stored = ms.artifacts.stat("1/run/artifacts/model/data/weights.bin")
    assert b"".join(ms.artifacts.open(stored)) == b"abcdef"
    assert [f.path for f in ms.artifacts.files_under("1/run/artifacts/model")] == [
        "MLmodel",
        "data/weights.bin",
    ]
    ms.artifacts.upload("1/run/artifacts/model/MLmodel", [b"replaced"])  # overwrite
    assert b"".join(ms.artifacts.open(ms.artifacts.stat("1/run/artifacts/model/MLmodel"))) == (
        b"replaced"
    )
    with pytest.raises(ConflictError):
        ms.artifacts.upload("1/run/artifacts/model/MLmodel/inner", [b"x"])
    with pytest.raises(ConflictError):
        ms.artifacts.upload("1/run/artifacts/model/data", [b"x"])
    with pytest.raises(InvalidArgumentError):
        ms.artifacts.upload("1/../escape", [b"x"])
    with pytest.raises(PermissionDeniedError):
        ms.artifacts.upload("_registry/m/1/file", [b"x"])
    with pytest.raises(NotFoundError):
        ms.artifacts.stat("1/run/artifacts/missing")
    assert ms.artifacts.delete("1/run/artifacts/model/data") == 1
    assert [c.name for c in ms.artifacts.list_folder("1/run/artifacts/model")] == ["MLmodel"]


def test_versions_register_from_every_source_kind_without_copying(ms: MlflowServices):
    run_id = _run_with_files(ms, {"model/MLmodel": b"m", "model/w.bin": b"weights"})
    run = ms.tracking.get_run(run_id)
    ms.registry.create_model("m", actor=ACTOR)

    by_run, extras = ms.sources.register("m", f"runs:/{run_id}/model", actor=ACTOR, run_id=run_id)
    assert [f.path for f in by_run.files] == ["MLmodel", "w.bin"]
    assert by_run.lineage.run_id == run_id
    assert (extras.source, extras.stage) == (f"runs:/{run_id}/model", Stage.NONE)

    folder = run.info.artifact_uri + "/model"
    by_uri, _ = ms.sources.register("m", folder, actor=ACTOR, tags={"k": "v"})
    assert by_uri.files == by_run.files
    assert by_uri.tags == {"k": "v"}
    assert by_uri.lineage.run_id is None  # as in MLflow: only the run the caller names

    logged = ms.tracking.create_logged_model(
        run.info.experiment_id, name="lm", source_run_id=run_id
    )
    root = logged.artifact_uri.removeprefix("mlflow-artifacts:/")
    ms.artifacts.upload(f"{root}/MLmodel", [b"m"])
    by_id, extras = ms.sources.register("m", f"models:/{logged.id}", actor=ACTOR)
    assert [f.path for f in by_id.files] == ["MLmodel"]
    assert by_id.lineage.run_id == run_id
    assert extras.logged_model_id == logged.id

    ms.registry.set_alias("m", "champion", by_uri.version, actor=ACTOR)
    for copy_source, expected in [("models:/m/1", by_run), ("models:/m@champion", by_uri)]:
        copied, _ = ms.sources.register("m", copy_source, actor=ACTOR)
        assert copied.files == expected.files
    virtual, _ = ms.sources.register("m", "mlflow-artifacts:/_registry/m/1", actor=ACTOR)
    assert virtual.files == by_run.files
    assert virtual.version == 6

    for bad in ["s3://bucket/model", "/local/path", f"runs:/{run_id}/nothing-there"]:
        with pytest.raises(InvalidArgumentError):
            ms.sources.register("m", bad, actor=ACTOR)
    with pytest.raises(ModelNotFoundError):
        ms.sources.register("other", f"runs:/{run_id}/model", actor=ACTOR)
    with pytest.raises(NotFoundError):
        ms.sources.register("m", "runs:/0123456789abcdef0123456789abcdef/model", actor=ACTOR)


def test_registry_tree_shows_every_version_whoever_pushed_it(ms: MlflowServices):
    ms.registry.create_model("native", actor=ACTOR)
    run_id = _run_with_files(ms, {"model/a/b.txt": b"b", "model/c.txt": b"c"})
    ms.sources.register("native", f"runs:/{run_id}/model", actor=ACTOR)
    assert [(c.name, c.is_dir) for c in ms.artifacts.list_folder("_registry/native/1")] == [
        ("a", True),
        ("c.txt", False),
    ]
    assert [c.name for c in ms.artifacts.list_folder("_registry/native/1/a")] == ["b.txt"]
    assert [c.name for c in ms.artifacts.list_folder("_registry/native")] == ["1"]
    assert "native" in [c.name for c in ms.artifacts.list_folder("_registry")]
    stored = ms.artifacts.stat("_registry/native/1/a/b.txt")
    assert b"".join(ms.artifacts.open(stored)) == b"b"


def test_stages_move_versions_and_find_the_latest_of_each(ms: MlflowServices):
    run_id = _run_with_files(ms, {"model/f": b"f"})
    ms.registry.create_model("s", actor=ACTOR)
    for _ in range(4):
        ms.sources.register("s", f"runs:/{run_id}/model", actor=ACTOR)
    assert ms.stages.extras_of([ms.registry.get_version("s", 1)])[("s", 1)].stage is Stage.NONE

    ms.stages.transition("s", 1, "production", archive_existing=False, actor=ACTOR)
    ms.stages.transition("s", 2, "Production", archive_existing=True, actor=ACTOR)
    ms.stages.transition("s", 3, "staging", archive_existing=False, actor=ACTOR)
    extras = ms.stages.extras_of([ms.registry.get_version("s", n) for n in (1, 2, 3, 4)])
    assert [extras[("s", n)].stage for n in (1, 2, 3, 4)] == [
        Stage.ARCHIVED,
        Stage.PRODUCTION,
        Stage.STAGING,
        Stage.NONE,
    ]
    assert [v.version for v in ms.stages.latest_versions("s", ["Production"])] == [2]
    assert [v.version for v in ms.stages.latest_versions("s")] == [4, 3, 2, 1]
    assert [v.version for v in ms.stages.latest_versions_of(["s", "none"])["s"]] == [4, 3, 2, 1]
    with pytest.raises(InvalidArgumentError):
        ms.stages.transition("s", 4, "Archived", archive_existing=True, actor=ACTOR)
    with pytest.raises(InvalidArgumentError):
        ms.stages.transition("s", 4, "Retired", archive_existing=False, actor=ACTOR)
    actions = [e.action for e in ms.registry.list_events("s").items]
    assert actions.count("version.stage_changed") == 3


def test_rename_keeps_versions_aliases_and_tags(ms: MlflowServices):
    run_id = _run_with_files(ms, {"model/f": b"f"})
    ms.registry.create_model("old", actor=ACTOR, tags={"t": "1"})
    ms.sources.register("old", f"runs:/{run_id}/model", actor=ACTOR)
    ms.registry.set_alias("old", "prod", 1, actor=ACTOR)
    ms.stages.transition("old", 1, "Staging", archive_existing=False, actor=ACTOR)
    renamed = ms.registry.rename_model("old", "new", actor=ACTOR)
    assert (renamed.name, dict(renamed.tags), dict(renamed.aliases)) == (
        "new",
        {"t": "1"},
        {"prod": 1},
    )
    assert (
        ms.stages.extras_of([ms.registry.get_version("new", 1)])[("new", 1)].stage is Stage.STAGING
    )
    with pytest.raises(ModelNotFoundError):
        ms.registry.get_model("old")
    ms.registry.create_model("other", actor=ACTOR)
    with pytest.raises(AlreadyExistsError):
        ms.registry.rename_model("new", "other", actor=ACTOR)
    with pytest.raises(InvalidArgumentError):
        ms.registry.rename_model("new", "bad/name", actor=ACTOR)


def test_runs_params_metrics_tags_and_outputs(ms: MlflowServices):
    default = ms.tracking.get_experiment("0")
    assert (default.name, default.artifact_location) == ("Default", "mlflow-artifacts:/0")
    assert ms.tracking.get_experiment_by_name("Default").id == "0"
    created = ms.tracking.create_experiment("exp", tags={"team": "a"})
    with pytest.raises(AlreadyExistsError):
        ms.tracking.create_experiment("exp")
    run = ms.tracking.create_run(created.id, user_id="u", tags={"mlflow.source.name": "x.py"})
    assert run.tags["mlflow.runName"] == run.info.name
    at = datetime(2026, 1, 1, tzinfo=UTC)
    ms.tracking.log_batch(
        run.info.id,
        metrics=[
            Metric("loss", 0.5, at, step=1),
            Metric("loss", 0.25, at, step=2),
            Metric("nan", math.nan, at),
        ],
        params={"lr": "0.1"},
        tags={"k": "v"},
    )
    ms.tracking.log_batch(run.info.id, params={"lr": "0.1"})  # the same value again is fine
    with pytest.raises(InvalidArgumentError):
        ms.tracking.log_batch(run.info.id, params={"lr": "0.2"})
    found = ms.tracking.get_run(run.info.id)
    assert found.params == {"lr": "0.1"}
    latest = {m.key: m.value for m in found.metrics}
    assert latest["loss"] == 0.25
    assert math.isnan(latest["nan"])
    assert [m.value for m in ms.tracking.metric_history(run.info.id, "loss")] == [0.5, 0.25]
    ms.tracking.delete_run_tag(run.info.id, "k")
    assert "k" not in ms.tracking.get_run(run.info.id).tags

    logged = ms.tracking.create_logged_model(created.id, name="m", source_run_id=run.info.id)
    assert logged.status is LoggedModelStatus.PENDING
    ms.tracking.log_outputs(run.info.id, [ModelOutput(logged.id, 3)])
    assert ms.tracking.get_run(run.info.id).outputs == (ModelOutput(logged.id, 3),)
    ready = ms.tracking.update_logged_model(
        logged.id, status=LoggedModelStatus.READY, set_tags={"a": "b"}
    )
    assert (ready.status, dict(ready.tags)) == (LoggedModelStatus.READY, {"a": "b"})
    search = ms.tracking.search_logged_models
    named = logged_model_search("name = 'm'", [])
    assert [m.id for m in search([created.id], named).items] == [logged.id]
    assert search([created.id], logged_model_search("source_run_id = 'nope'", [])).items == ()
    ms.tracking.update_logged_model(logged.id, delete=True)
    with pytest.raises(NotFoundError):
        ms.tracking.get_logged_model(logged.id)

    ms.tracking.update_run(run.info.id, lifecycle_stage=LifecycleStage.DELETED)
    with pytest.raises(InvalidArgumentError):
        ms.tracking.log_batch(run.info.id, tags={"k": "v"})
    assert ms.tracking.search_runs([created.id]).items == ()
    assert [r.info.id for r in ms.tracking.search_runs([created.id], view="ALL").items] == [
        run.info.id
    ]


def test_register_version_needs_its_blobs(ms: MlflowServices):
    ms.registry.create_model("b", actor=ACTOR)
    with pytest.raises(InvalidArgumentError):
        ms.uploads.register_version("b", make_draft(lineage=Lineage()), actor=ACTOR)
