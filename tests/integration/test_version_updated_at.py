"""A version's ``updated_at`` (migration 0015) on SQLite and PostgreSQL: set at creation, moved by
every change of its description, tags, archive state or MLflow stage, searchable and orderable
natively and as MLflow's ``last_updated_timestamp``; existing versions get it from what the
registry knew before."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from modelreg.domain.entities import ModelVersion
from modelreg.server.mlflow.deps import MlflowServices
from modelreg.server.mlflow.filters import version_search
from modelreg.settings import Settings
from modelreg.store.sql import migrate
from modelreg.store.sql.engine import make_engine
from modelreg.wiring import Services, open_services
from tests import databases
from tests.factories import make_draft

ACTOR = "alice"


def push(services: Services, name: str = "credit") -> ModelVersion:
    content = b"weights"
    session = services.uploads.start_upload(name, make_draft({"m.bin": content}), actor=ACTOR)
    for digest in session.missing:
        services.uploads.receive_blob(session.id, digest, [content])
    committed = services.uploads.commit_upload(session.id, actor=ACTOR)
    return services.registry.get_version(name, committed.version)


def test_every_change_of_a_version_moves_its_update_time(services: Services):
    services.registry.create_model("credit", actor=ACTOR)
    created = push(services)
    assert created.updated_at == created.created_at
    assert services.registry.get_version("credit", 1).updated_at == created.created_at

    described = services.registry.update_version("credit", 1, actor=ACTOR, description="v1")
    assert described.updated_at > created.updated_at
    tagged = services.registry.update_version("credit", 1, actor=ACTOR, set_tags={"k": "v"})
    assert tagged.updated_at > described.updated_at
    archived = services.lifecycle.archive_version("credit", 1, actor=ACTOR)
    assert archived.updated_at > tagged.updated_at
    restored = services.lifecycle.restore_version("credit", 1, actor=ACTOR)
    assert restored.updated_at > archived.updated_at

    ms = MlflowServices.over(services)
    staged = ms.stages.transition("credit", 1, "Staging", archive_existing=False, actor=ACTOR)
    assert staged.updated_at > restored.updated_at
    assert ms.reads.version("credit", 1).updated_at == staged.updated_at
    push(services)
    ms.stages.transition("credit", 2, "Staging", archive_existing=True, actor=ACTOR)
    pushed_out = services.registry.get_version("credit", 1)  # moved to Archived by the stage
    assert pushed_out.updated_at > staged.updated_at

    services.registry.set_alias("credit", "prod", 1, actor=ACTOR)  # the model's, not the version's
    assert services.registry.get_version("credit", 1).updated_at == pushed_out.updated_at


def test_versions_are_searched_and_ordered_by_their_update_time(services: Services):
    services.registry.create_model("credit", actor=ACTOR)
    third = [push(services) for _ in range(3)][-1]
    services.registry.update_version("credit", 1, actor=ACTOR, description="touched last")
    newest = [
        v.version for v in services.registry.search_versions("ORDER BY updated_at DESC").items
    ]
    assert newest == [1, 3, 2]
    since = (third.updated_at - timedelta(microseconds=1)).isoformat()
    found = services.registry.search_versions(f"updated_at > '{since}' ORDER BY version")
    assert [v.version for v in found.items] == [1, 3]
    ms = MlflowServices.over(services)
    query = version_search("name = 'credit'", ["last_updated_timestamp DESC"])
    found = ms.reads.search_versions(query).items
    assert [v.version for v in found] == [1, 3, 2]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path, worker_id: str) -> Iterator[str]:
    """A database no migration has run on yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    name = f"modelreg_migrate_{worker_id}_{os.getpid()}"
    yield databases.create_postgres_database(name, migrated=False)
    databases.drop_postgres_database(name)


def test_the_migration_gives_existing_versions_the_time_the_registry_knew(
    empty_database: str, tmp_path
):
    database_url = empty_database
    engine = make_engine(database_url)
    migrate.upgrade(engine, "0014")
    at = {n: f"2026-0{n}-01 00:00:00.000000" for n in range(1, 6)}
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO registered_models (id, name, description, created_at, updated_at,"
                " last_version) VALUES (1, 'old', '', :t1, :t1, 3)"
            ),
            {"t1": at[1]},
        )
        for number, archived in ((1, None), (2, None), (3, at[4])):
            connection.execute(
                text(
                    "INSERT INTO model_versions (id, model_id, version, status, description,"
                    " created_by, created_at, datasets, archived_at) VALUES"
                    " (:n, 1, :n, 'READY', '', 'a', :t, '[]', :archived)"
                ),
                {"n": number, "t": at[1], "archived": archived},
            )
        connection.execute(
            text(
                "INSERT INTO mlflow_version_extras (version_id, stage, run_link, updated_at)"
                " VALUES (2, 'Staging', '', :t3)"
            ),
            {"t3": at[3]},
        )
        # What hangs off a version, which rebuilding its table must not take with it.
        for statement in (
            "INSERT INTO version_files VALUES (1, 'm.bin', 3, :digest)",
            "INSERT INTO version_tags VALUES (1, 'team', 'risk')",
            "INSERT INTO aliases (model_id, name, version_id, updated_at, updated_by)"
            " VALUES (1, 'prod', 1, :t1, 'a')",
        ):
            connection.execute(text(statement), {"t1": at[1], "digest": "blake3:" + "0" * 64})
    engine.dispose()
    services = open_services(Settings(home=tmp_path / "home", database_url=database_url))
    try:
        listed = services.registry.list_versions("old").items
        times = {v.version: v.updated_at.month for v in listed}
        archived = services.registry.get_version("old", 3)
        first = services.registry.get_version("old", 1)
        staged = MlflowServices.over(services).reads.version("old", 2)
    finally:
        services.close()
    assert times == {1: 1, 2: 3}  # created; MLflow's stage change (3 is archived: hidden)
    assert archived.updated_at.month == 4
    assert [f.path for f in first.files] == ["m.bin"]
    assert (dict(first.tags), first.aliases) == ({"team": "risk"}, ("prod",))
    assert staged.extras.stage.value == "Staging"


def test_sqlite_enforces_foreign_keys_again_after_migrating(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        migrate.upgrade(engine)
        assert engine.pool.checkedin() == 1  # the one connection it ran on, back in the pool
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
