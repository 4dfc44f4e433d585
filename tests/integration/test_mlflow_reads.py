"""MLflow's lean reads (``service/mlflow_reads.py``) answer exactly what the registry's general
reads answer for the same calls, on SQLite and PostgreSQL: same versions and fields, same
latest-per-stage, same order, visibility and cursors, same errors; and a page costs a fixed
number of statements whatever its size."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest

from modelreg.domain.entities import Lineage, ModelVersion, VersionDraft
from modelreg.domain.errors import AliasNotFoundError, ModelNotFoundError, VersionNotFoundError
from modelreg.domain.mlflow_views import (
    MlflowModelView,
    MlflowVersionView,
    model_view,
    version_view,
)
from modelreg.domain.permissions import Visibility
from modelreg.server.mlflow import wire
from modelreg.server.mlflow.deps import MlflowServices
from modelreg.wiring import Services
from tests.databases import recorded_statements

ALICE, BOB = "alice", "bob"


@pytest.fixture
def ms(services: Services) -> MlflowServices:
    return MlflowServices.over(services)


def _source(ms: MlflowServices) -> str:
    experiment = ms.tracking.create_experiment("exp")
    run = ms.tracking.create_run(experiment.id, user_id="u")
    root = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    ms.artifacts.upload(f"{root}/model/weights.bin", [b"weights"])
    return f"runs:/{run.info.id}/model"


def _populate(ms: MlflowServices, services: Services) -> str:
    """Model ``a`` (alice): versions registered the MLflow way and one pushed natively (no MLflow
    fields stored), in every stage, with tags, aliases and an archived version; models ``b``
    and ``c`` (bob) with two versions each; model ``empty`` (alice) without versions."""
    source = _source(ms)
    ms.registry.create_model("a", actor=ALICE, tags={"z": "1", "team": "x"}, description="d")
    ms.registry.create_model("b", actor=BOB)
    ms.registry.create_model("empty", actor=ALICE)
    for number in range(1, 6):
        ms.sources.register(
            "a", source, actor=ALICE, tags={"k": str(number), "b": "x"}, run_link=f"l{number}"
        )
    native = VersionDraft(
        files=ms.registry.get_version("a", 1).files,
        params={"lr": "0.1"},
        metrics={"auc": 0.9},
        tags={"native": "yes"},
        lineage=Lineage(run_id="r-native"),
    )
    services.uploads.register_version("a", native, actor=ALICE)  # version 6
    ms.sources.register("a", source, actor=ALICE)  # version 7, archived below
    for number, stage in ((1, "Production"), (2, "Production"), (3, "Staging"), (4, "Archived")):
        ms.stages.transition("a", number, stage, archive_existing=number == 2, actor=ALICE)
    for alias, number in (("champ", 2), ("Blue-x", 2), ("alpha", 6)):
        ms.registry.set_alias("a", alias, number, actor=ALICE)
    ms.registry.update_version("a", 5, actor=ALICE, description="changed")
    services.lifecycle.archive_version("a", 7, actor=ALICE)
    for _ in range(2):
        ms.sources.register("b", source, actor=BOB)
    # Model ``c``: its highest version has no MLflow fields stored, so it is in stage None.
    ms.registry.create_model("c", actor=BOB)
    ms.sources.register("c", source, actor=BOB)
    ms.stages.transition("c", 1, "Staging", archive_existing=False, actor=BOB)
    services.uploads.register_version("c", native, actor=BOB)
    return source


def _full(ms: MlflowServices, version: ModelVersion) -> MlflowVersionView:
    """The view built from the registry's general read of the same version."""
    extras = ms.stages.extras_of([version])[(version.model_name, version.version)]
    return version_view(version, extras)


def _same(found: Any, expected: Any) -> None:
    """Equal, and rendered to the same MLflow JSON (which also compares tag and alias order)."""
    assert found == expected

    def rendered(item: Any) -> str:
        if isinstance(item, MlflowModelView):
            return json.dumps(wire.registered_model(item))
        return json.dumps(wire.model_version(item))

    items = found if isinstance(found, Sequence) else [found]
    others = expected if isinstance(expected, Sequence) else [expected]
    assert [rendered(i) for i in items] == [rendered(i) for i in others]


def test_single_reads_match_the_registry(ms: MlflowServices, services: Services):
    _populate(ms, services)
    reads = ms.reads
    for number in range(1, 8):
        _same(reads.version("a", number), _full(ms, ms.registry.get_version("a", number)))
    assert reads.version("a", 6).extras.source is None  # pushed natively: defaults
    for alias in ("champ", "Blue-x", "alpha"):
        expected = _full(ms, ms.registry.resolve(f"a@{alias}"))
        _same(reads.version_by_alias("a", alias), expected)
    for latest in ("latest", "LATEST"):
        _same(reads.version_by_alias("a", latest), _full(ms, ms.registry.resolve("a")))
    assert reads.version_by_alias("a", "latest").version == 6  # 7 is archived


def test_latest_per_stage_and_models_match_the_registry(ms: MlflowServices, services: Services):
    _populate(ms, services)
    reads = ms.reads
    for stages in ([], ["production"], ["None", "Staging"], ["Archived"]):
        expected = [_full(ms, v) for v in ms.stages.latest_versions("a", stages)]
        _same(reads.latest_versions("a", stages), expected)
    assert [v.version for v in reads.latest_versions("a")] == [7, 4, 3, 2]
    assert [(v.version, v.extras.stage.value) for v in reads.latest_versions("c")] == [
        (2, "None"),
        (1, "Staging"),
    ]
    assert reads.latest_versions("empty") == []
    for name in ("a", "b", "c", "empty"):
        model = ms.registry.get_model(name)
        latest = [_full(ms, v) for v in ms.stages.latest_versions_of([name]).get(name, [])]
        _same(reads.model(name), model_view(model, latest))
        _same(reads.model_of(model), reads.model(name))


def test_searches_match_the_registry_with_visibility_and_cursors(
    ms: MlflowServices, services: Services
):
    _populate(ms, services)
    reads = ms.reads
    for who in (None, Visibility(ALICE), Visibility(BOB), Visibility("nobody")):
        for query in ("", "name = 'a' ORDER BY version DESC", "tags.k = '3' OR name = 'b'"):
            found = _all(reads.search_versions, query, who)
            _same(found, [_full(ms, v) for v in _all(ms.registry.search_versions, query, who)])
        models = _all(reads.search_models, "", who)
        _same(models, [reads.model(m.name) for m in _all(ms.registry.search_models, "", who)])
    assert {v.model_name for v in _all(reads.search_versions, "", Visibility(BOB))} == {"b", "c"}
    assert [m.name for m in _all(reads.search_models, "", Visibility(ALICE))] == ["a", "empty"]
    assert _all(reads.search_models, "", Visibility("nobody")) == []
    # Archived versions only when the filter asks for them, as in the registry.
    assert 7 not in [v.version for v in reads.search_versions("name = 'a'").items]
    assert [v.version for v in reads.search_versions("name = 'a' AND archived = true").items] == [7]
    # A cursor of one path resumes the other: same query, same order, same offsets.
    first = ms.registry.search_versions("name = 'a' ORDER BY version ASC", limit=2)
    rest = reads.search_versions("name = 'a' ORDER BY version ASC", cursor=first.next_cursor)
    assert [v.version for v in rest.items] == [3, 4, 5, 6]


def test_missing_things_raise_the_registry_errors(ms: MlflowServices, services: Services):
    _populate(ms, services)
    reads = ms.reads
    with pytest.raises(ModelNotFoundError):
        reads.version("nope", 1)
    with pytest.raises(VersionNotFoundError):
        reads.version("a", 99)
    with pytest.raises(ModelNotFoundError):
        reads.version_by_alias("nope", "champ")
    with pytest.raises(AliasNotFoundError):
        reads.version_by_alias("a", "missing")
    with pytest.raises(ModelNotFoundError):
        reads.version_by_alias("nope", "latest")
    with pytest.raises(VersionNotFoundError):
        reads.version_by_alias("empty", "latest")
    with pytest.raises(ModelNotFoundError):
        reads.model("nope")
    with pytest.raises(ModelNotFoundError):
        reads.latest_versions("nope")


def test_a_page_costs_the_same_statements_whatever_its_size(ms: MlflowServices, services: Services):
    source = _populate(ms, services)
    for index in range(12):
        ms.registry.create_model(f"m{index:02d}", actor=ALICE, tags={"i": str(index)})
        ms.sources.register(f"m{index:02d}", source, actor=ALICE, tags={"t": "v"})
        ms.registry.set_alias(f"m{index:02d}", "live", 1, actor=ALICE)
    reads = ms.reads
    with recorded_statements(services.metadata.engine) as small:
        reads.search_versions("", limit=2, readable_by=Visibility(ALICE))
        reads.search_models("", limit=2, readable_by=Visibility(ALICE))
    with recorded_statements(services.metadata.engine) as large:
        reads.search_versions("", limit=20, readable_by=Visibility(ALICE))
        reads.search_models("", limit=20, readable_by=Visibility(ALICE))
    assert len(large) == len(small)
    with recorded_statements(services.metadata.engine) as single:
        reads.version("a", 2)
    assert len([s for s in single if s.lstrip().upper().startswith("SELECT")]) == 2


def _all(search: Any, query: str, who: Visibility | None) -> list[Any]:
    """Every item of a search, in pages of 2."""
    items: list[Any] = []
    cursor = None
    while True:
        page = search(query, cursor=cursor, limit=2, readable_by=who)
        items.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return items
