"""Tag values up to MLflow's registry limit (100,000 characters) on both databases, for a
registry created before migration 0016 (when a version's tag values were limited to 5,000
characters by their column) as for a new one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from modelreg.domain.entities import VersionStatus
from modelreg.domain.errors import LimitExceededError
from modelreg.domain.rules import DEFAULT_LIMITS
from modelreg.settings import Settings
from modelreg.store.sql import migrate
from modelreg.store.sql.tables import ModelVersionRow, RegisteredModelRow, VersionTagRow
from modelreg.wiring import open_services
from tests import databases

LONGEST = DEFAULT_LIMITS.tag_value_length
OLD_LONGEST = "o" * 5000


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.db'}"
        return
    name = f"modelreg_tags_{uuid.uuid4().hex[:8]}"
    url = databases.create_postgres_database(name, migrated=False)
    yield url
    databases.drop_postgres_database(name)


def test_a_registry_from_before_0016_keeps_its_tags_and_takes_mlflow_length_values(
    empty_database: str, tmp_path: Path
) -> None:
    assert LONGEST == 100_000  # MLflow's MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH
    engine = create_engine(empty_database)
    migrate.upgrade(engine, "0015")
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with Session(engine) as session, session.begin():
        model = RegisteredModelRow(name="scorer", created_at=now, updated_at=now, last_version=1)
        session.add(model)
        session.flush()
        version = ModelVersionRow(
            model_id=model.id,
            version=1,
            status=VersionStatus.READY,
            created_by="ann",
            created_at=now,
            updated_at=now,
        )
        session.add(version)
        session.flush()
        session.add(VersionTagRow(version_id=version.id, key="old", value=OLD_LONGEST))
    migrate.upgrade(engine)
    engine.dispose()

    services = open_services(Settings(home=tmp_path / "home", database_url=empty_database))
    try:
        registry = services.registry
        long_value = "λ" * LONGEST  # characters, not bytes: 200,000 bytes in UTF-8
        registry.update_version("scorer", 1, actor="ann", set_tags={"schema": long_value})
        registry.update_model("scorer", actor="ann", set_tags={"schema": long_value})
        assert registry.get_version("scorer", 1).tags == {"old": OLD_LONGEST, "schema": long_value}
        assert registry.get_model("scorer").tags == {"schema": long_value}
        with pytest.raises(LimitExceededError):
            registry.update_version("scorer", 1, actor="ann", set_tags={"x": "v" * (LONGEST + 1)})
    finally:
        services.close()
